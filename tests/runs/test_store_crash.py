"""A writer killed with SIGKILL at random points: every committed row stays, and no half row."""

import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from tests.runs import crash_plan, stores

pytestmark = pytest.mark.anyio

KILLS = 60
WRITER = Path(__file__).with_name("crash_writer.py")
ROOT = Path(__file__).parents[2]


class Writers:
    """The crash_writer process: forks one writer per round, reports its acks."""

    def __init__(self, kind: str, location: str) -> None:
        path = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
        self.process = subprocess.Popen(
            [sys.executable, str(WRITER), kind, location],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": path},
        )

    def line(self) -> list[str]:
        assert self.process.stdout is not None
        text = self.process.stdout.readline().decode()
        assert text, "the crash writer process ended"
        return text.split(maxsplit=1)

    def round(self, kill_after: int, delay: float) -> tuple[int, bool, int]:
        """One writer, killed ``delay`` seconds after its ``kill_after``-th ack.

        Returns the highest op count it acknowledged (0 if none), whether it reached the end
        of the sequence, and its exit status.
        """
        assert self.process.stdin is not None
        self.process.stdin.write(b"go\n")
        self.process.stdin.flush()
        kind, pid = self.line()
        assert kind == "pid"
        acked, acks, ended = 0, 0, False
        while True:
            kind, value = self.line()
            if kind == "ack":
                acked, acks = int(value), acks + 1
                if acks == kill_after:
                    deadline = time.perf_counter() + delay
                    while time.perf_counter() < deadline:  # lands the kill inside a write
                        pass
                    os.kill(int(pid), signal.SIGKILL)
            elif kind == "end":
                ended = True
            elif kind == "reaped":
                return acked, ended, int(value)
            else:
                message = f"crash writer: {kind} {value}"
                raise AssertionError(message)

    def close(self) -> None:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.close()
        self.process.wait(timeout=10)
        self.process.stdout.close()


async def test_killed_writers_leave_every_acknowledged_write_and_nothing_half_written(
    store_kind: str, store_location: str
) -> None:
    """60 writers killed at random points: the store always opens holding a prefix of the writes.

    The prefix holds at least every write acknowledged and at most one more, each row whole.
    """
    rng = random.Random(16)
    writers = Writers(store_kind, store_location)
    kills = acked = 0
    try:
        while kills < KILLS:
            kill_after = rng.randint(1, 12)
            seen, ended, status = writers.round(kill_after, rng.uniform(0, 0.0004))
            assert not ended, "the sequence ran out before enough kills: make it longer"
            assert status == -signal.SIGKILL
            kills += 1
            acked = max(acked, seen)
            stores.settle(store_kind, store_location)
            store = stores.open_store(store_kind, store_location)
            try:
                runs = await crash_plan.stored(store)
            finally:
                await store.close()
            done = crash_plan.done_ops(runs)
            assert acked <= done <= acked + 1, (kills, acked, done)
            assert runs == crash_plan.expected(done), kills
            assert stores.integrity_problems(store_kind, store_location) == []
            acked = done
    finally:
        writers.close()
