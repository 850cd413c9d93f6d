"""Agent runs killed with SIGKILL at random points, resumed in a fresh process each time.

Every call ran at most once (idempotent ones may run again), no message is lost, and the
finished run's conversation is the one of a run never killed, but for the calls a kill
interrupted, which say so to the model.
"""

import asyncio
import contextlib
import os
import random
import signal
import subprocess
import sys
from collections import Counter
from pathlib import Path
from typing import Any

from switchboard import Message, RunState, SQLiteStore, ToolResult
from switchboard.resume_plan import interrupted_result
from switchboard.runs.codec import message_to_json
from tests.runs import crash_agent

KILLS = 50
TARGETS = ("running", "call_started", "save_state")
"""Events kills are aimed at: a tool's code runs (its effect done, its result not yet back),
the starts of a batch's calls are written (before or after: a store write is a batch of
writes, named by them), a step's state is written with its results."""
WORKER = Path(crash_agent.__file__)
ROOT = Path(__file__).parents[2]


class Worker:
    """The crash_agent process: forks one run process per round, reports its events."""

    def __init__(self, folder: Path) -> None:
        path = os.pathsep.join([str(ROOT / "src"), str(ROOT)])
        self.process = subprocess.Popen(
            [sys.executable, str(WORKER), str(folder)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            env={**os.environ, "PYTHONPATH": path},
        )

    def line(self) -> list[str]:
        assert self.process.stdout is not None
        text = self.process.stdout.readline().decode()
        assert text, "the crash worker ended"
        return text.split(maxsplit=1)

    def round(self, stop: int, hold: bool, named: str = "") -> tuple[str | None, bool]:
        """One run process, killed at its ``stop``-th event (of those ``named``, if given).

        Returns the event it was held at when killed (``"race"`` if it was not held, None
        if it was not killed) and whether it finished its run.
        """
        assert self.process.stdin is not None
        mode = "hold" if hold else "race"
        self.process.stdin.write(f"go {stop} {mode} {named}\n".encode())
        self.process.stdin.flush()
        kind, pid = self.line()
        assert kind == "pid"
        killed: str | None = None
        done = False
        while True:
            kind, value = self.line()
            if kind == "event":
                if not hold and int(value.split()[0]) == stop:
                    with contextlib.suppress(ProcessLookupError):  # it may have ended
                        os.kill(int(pid), signal.SIGKILL)
                    killed = "race"
            elif kind == "hold":
                os.kill(int(pid), signal.SIGKILL)
                killed = value.partition(" ")[2].strip()
            elif kind == "done":
                done = True
            elif kind == "reaped":
                status = int(value)
                if status == 0 and killed == "race":  # the kill came after it had ended
                    killed = None
                assert status == (-signal.SIGKILL if killed else 0), (status, killed)
                return killed, done
            else:
                message = f"crash worker: {kind} {value}"
                raise AssertionError(message)

    def close(self) -> None:
        assert self.process.stdin is not None
        assert self.process.stdout is not None
        self.process.stdin.close()
        self.process.wait(timeout=30)
        self.process.stdout.close()


def timeless(messages: tuple[Message, ...] | list[Message]) -> list[dict[str, Any]]:
    return [message_to_json(m) | {"duration": 0} for m in messages]


def uninterrupted(folder: Path) -> tuple[Message, ...]:
    """The conversation of the script's run when nothing kills it."""
    folder.mkdir()

    async def run() -> tuple[Message, ...]:
        agent = crash_agent.make_agent(folder, None, lambda what: None)
        return (await agent.run(crash_agent.PROMPT, deps="reference")).messages

    return asyncio.run(run())


def check_finished(folder: Path, run_id: str, reference: tuple[Message, ...]) -> None:
    """The finished run: its conversation, its calls' counts, its rows."""

    async def load() -> Any:
        async with SQLiteStore(folder / "runs.sqlite3") as store:
            return await store.load(run_id)

    stored = asyncio.run(load())
    assert stored.status == "finished"
    messages = RunState.from_json(stored.state).messages
    lost = {
        m.call_id: m.name
        for m in messages
        if isinstance(m, ToolResult) and m.error_kind == "interrupted"
    }
    assert not set(lost.values()) & crash_agent.IDEMPOTENT, lost
    calls = {call.id: call for turn in crash_agent.TURNS for call in turn}
    expected = [
        interrupted_result(calls[m.call_id])
        if isinstance(m, ToolResult) and m.call_id in lost
        else m
        for m in reference
    ]
    assert timeless(messages) == timeless(expected)
    ran = Counter(
        line.split()[1]
        for path in (folder / "counts").glob("*.txt")
        for line in path.read_text().splitlines()
        if line.split()[0] == run_id
    )
    for call_id, call in calls.items():
        if call.name in crash_agent.IDEMPOTENT:
            assert ran[call_id] >= 1, call_id
        elif call_id in lost:
            assert ran[call_id] <= 1, call_id
        else:
            assert ran[call_id] == 1, (call_id, ran[call_id])
    rows = [call for step in stored.steps for call in step.calls]
    assert sorted(c.call_id for c in rows) == sorted(calls)
    assert all(c.status == "finished" for c in rows)


def test_runs_killed_at_random_points_resume_to_the_conversation_of_an_unkilled_run(
    tmp_path: Path,
) -> None:
    """50 SIGKILLs (between steps, inside a batch of parallel calls); each run resumes whole."""
    reference = uninterrupted(tmp_path / "reference")
    folder = tmp_path / "crashes"
    folder.mkdir()
    rng = random.Random(16)
    runs = 0
    crash_agent.set_current(folder, f"run-{runs}")
    worker = Worker(folder)
    held: list[str] = []
    kills = 0
    done = False
    try:
        while kills < KILLS or not done:
            if kills >= KILLS:  # the last run goes on to its end
                killed, done = worker.round(10**9, hold=False)
            elif kills % 3 == 2:  # aimed: inside a batch, or between two steps
                named = TARGETS[kills // 3 % len(TARGETS)]
                killed, done = worker.round(rng.randint(1, 3), hold=True, named=named)
            else:
                killed, done = worker.round(rng.randint(1, 40), hold=rng.random() < 0.5)
            kills += killed is not None
            if killed not in (None, "race"):
                held.append(killed)
            if done:
                run_id = (folder / "current").read_text()
                check_finished(folder, run_id, reference)
                runs += 1
                crash_agent.set_current(folder, f"run-{runs}")
    finally:
        worker.close()
    assert runs >= 3, "several runs should finish, each after several kills"
    # Killed inside a batch (a tool's code was running while the turn's other calls ran
    # beside it, or its calls' starts were stored and none had run) and between steps (a
    # state was saved).
    assert any(event.endswith(" running") for event in held), held
    assert any(event.startswith("after ") and "call_started" in event for event in held), held
    assert any(event.startswith("after ") and event.endswith("save_state") for event in held)
