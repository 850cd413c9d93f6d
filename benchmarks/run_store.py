"""What checkpointing a run to the SQLite and PostgreSQL run stores costs per step.

Workload: one run of 1,000 scripted steps. Each step adds a model turn with 2 tool calls and
their 2 results to the conversation (so the run's state grows by 3 messages a step, to 3,002
messages and about 500 KB), as the loop would. Subjects, given the same steps:

* ``no_store``: the step's own work and nothing else: build the turn, the results and the
  new `RunState`, and the JSON forms of the request, response and results that a step
  records (so both subjects do that work).
* ``store`` (SQLite): the same, plus the checkpoint a step takes, in the two batches
  (`RunStore.write`, one transaction each) the loop's recorder makes: before the calls
  run, ``begin_step`` (the request: the messages added since the last step, the tools'
  names and schema hashes, the tool choice), ``finish_step`` (the response) and
  ``call_started`` for each call; after them, ``call_finished`` for each call and
  ``save_state`` of the whole state, written by a `StateEncoder` (each message written
  once). The file is new for each sample, in WAL mode with ``synchronous=NORMAL`` (the
  default).
* ``unbatched`` (SQLite): the same seven writes each in a transaction of its own, awaited
  in the loop's order, as the recorder wrote them before it batched them.
* ``postgres``: the batched checkpoints through `PostgresStore`, over loopback TCP, to a
  throwaway PostgreSQL server this script starts in a temporary folder with the server's
  default settings (``synchronous_commit = on``: each commit is flushed to disk before it
  returns), or to the server ``--dsn`` names; a new schema for each sample.
* ``postgres_async_commit``: the same with ``synchronous_commit = off`` for the connection
  (a commit returns before its flush: it survives the process being killed, not a crash of
  the server), the setting closest to SQLite's ``synchronous=NORMAL``.
* ``postgres_unbatched``: ``postgres`` with the seven writes each by itself.

Per step: the time from the step's first checkpoint write to its ``save_state`` returning,
the state's encoding included (``checkpoint_ms``), and the same without the encoding
(``store_ms``); p50 and p99 over the 1,000 steps, and p50 over the first and the last 100
steps, to show how it grows with the state. Totals: the run's wall time with and without
the store. Each sample runs every subject in turn on one event loop, ``--rounds``
samples, and every figure is the best (minimum) over the samples. Target:
``checkpoint_ms`` p50 at most 1 ms. The PostgreSQL subjects are in the ``postgres...``
objects, with the same figures; without the PostgreSQL programs (and no ``--dsn``) they
say why they were not measured.

This measures the store alone: the whole loop with and without it (the issue's "at most
10% of a 1,000-step run") is ``benchmarks/run_store_loop.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

from switchboard.messages import (
    AssistantTurn,
    Message,
    ModelResponse,
    SystemMessage,
    ToolCall,
    ToolResult,
    Usage,
    UserMessage,
)
from switchboard.runs.codec import call_to_json, message_to_json, response_to_json
from switchboard.runs.postgres import PostgresStore
from switchboard.runs.sqlite import SQLiteStore
from switchboard.runs.state import RunState, StateEncoder, schema_hash
from switchboard.runs.store import RunStore
from switchboard.runs.writes import (
    BeginStep,
    CallFinished,
    CallStarted,
    FinishStep,
    SaveState,
    StoreWrite,
)

# The tests' throwaway PostgreSQL server (tests/runs/postgres_server.py), from the checkout.
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from tests.runs.postgres_server import PostgresServer

ASYNC_COMMIT = "-c synchronous_commit=off"

STEPS = 1_000
TOOLS = (("add", schema_hash({"type": "object", "properties": {"a": {}, "b": {}}})),)


def step_messages(step: int) -> tuple[ModelResponse, tuple[ToolResult, ...]]:
    """The model's reply of ``step`` (2 calls) and the results of its calls."""
    calls = tuple(
        ToolCall(f"call_{step}_{n}", "add", f'{{"a": {step}, "b": {n}, "note": "step {step}"}}')
        for n in range(2)
    )
    response = ModelResponse(
        AssistantTurn(f"Adding, step {step}.", calls), Usage(900 + step, 40, 1), "tool_calls"
    )
    results = tuple(
        ToolResult(
            call.id, "add", f'{{"sum": {step + n}, "ok": true}}', duration=2e-5, value=step + n
        )
        for n, call in enumerate(calls)
    )
    return response, results


class Workload:
    """The run's own work, step by step: its conversation and state."""

    def __init__(self) -> None:
        self.messages: tuple[Message, ...] = (
            SystemMessage("You add numbers with the add tool."),
            UserMessage("Add the pairs, one step at a time."),
        )
        self.state = RunState(run_id="bench", messages=self.messages, tools=TOOLS)
        self.usage = Usage()

    def step(self, step: int) -> tuple[dict[str, Any], ModelResponse, tuple[ToolResult, ...]]:
        """The step's request (as recorded), the reply and its results; the state advanced."""
        new = self.messages[-2:] if step else self.messages
        request = {
            "messages": [message_to_json(m) for m in new],
            "tools": [list(pair) for pair in TOOLS],
            "tool_choice": "auto",
        }
        response, results = step_messages(step)
        self.messages = (*self.messages, response.turn, *results)
        self.usage += response.usage
        self.state = RunState(
            run_id="bench",
            messages=self.messages,
            iteration=step + 1,
            calls_made=2 * (step + 1),
            usage=self.usage,
            tools=TOOLS,
        )
        return request, response, results


async def without_store() -> float:
    """The workload alone; its wall time."""
    workload = Workload()
    start = time.perf_counter()
    for step in range(STEPS):
        _, response, results = workload.step(step)
        response_to_json(response)
        for call, result in zip(response.turn.tool_calls, results, strict=True):
            call_to_json(call)
            message_to_json(result)
    return time.perf_counter() - start


async def with_store(store: RunStore, batched: bool) -> tuple[float, list[float], list[float]]:
    """The workload with its checkpoints; wall time, and per step checkpoint and store ms.

    ``batched``: the step's writes in the two batches the loop's recorder makes (the request,
    the response and the calls' starts; the results and the state), else each by itself.
    """
    workload = Workload()
    encoder = StateEncoder()
    checkpoint: list[float] = []
    store_only: list[float] = []
    try:
        await store.create_run("bench", {"model": "scripted"})
        start = time.perf_counter()
        for step in range(STEPS):
            request, response, results = workload.step(step)
            began = time.perf_counter()
            calls = response.turn.tool_calls
            starts = [CallStarted(step, c.id, c.name, c.arguments) for c in calls]
            ends = [
                CallFinished(step, c.id, message_to_json(r))
                for c, r in zip(calls, results, strict=True)
            ]
            first: list[StoreWrite] = [
                BeginStep(step, request),
                FinishStep(step, response_to_json(response)),
            ]
            if batched:
                await store.write("bench", [*first, *starts])
            else:
                for write in [*first, *starts[:1], ends[0], starts[1], ends[1]]:
                    await store.write("bench", [write])
            encoding = time.perf_counter()
            text = encoder.to_json(workload.state)
            encoded = time.perf_counter()
            saved = SaveState(text, "running")
            await store.write("bench", [*ends, saved] if batched else [saved])
            ended = time.perf_counter()
            checkpoint.append((ended - began) * 1e3)
            store_only.append((ended - began - (encoded - encoding)) * 1e3)
        total = time.perf_counter() - start
    finally:
        await store.close()
    return total, checkpoint, store_only


def _p(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


class Best:
    """The best (minimum) of each figure of one store subject over the samples."""

    def __init__(self) -> None:
        self.values: dict[str, float] = {}

    def keep(self, name: str, value: float) -> None:
        """Keep ``value`` if it is the best of ``name`` so far."""
        self.values[name] = min(self.values.get(name, float("inf")), value)

    def sample(self, total: float, checkpoint: list[float], store_only: list[float]) -> None:
        """Keep the figures of one sample (a `with_store` run)."""
        self.keep("store_s", total)
        self.keep("checkpoint_p50", statistics.median(checkpoint))
        self.keep("checkpoint_p99", _p(checkpoint, 99))
        self.keep("checkpoint_first100_p50", statistics.median(checkpoint[:100]))
        self.keep("checkpoint_last100_p50", statistics.median(checkpoint[-100:]))
        self.keep("store_p50", statistics.median(store_only))
        self.keep("store_p99", _p(store_only, 99))

    def figures(self, no_store_s: float) -> dict[str, Any]:
        """The best figures, against the best wall time of the same steps without a store."""
        best = self.values
        return {
            "checkpoint_ms": {
                "p50": round(best["checkpoint_p50"], 3),
                "p99": round(best["checkpoint_p99"], 3),
                "first_100_p50": round(best["checkpoint_first100_p50"], 3),
                "last_100_p50": round(best["checkpoint_last100_p50"], 3),
            },
            "store_ms": {"p50": round(best["store_p50"], 3), "p99": round(best["store_p99"], 3)},
            "total_s": {"no_store": round(no_store_s, 3), "store": round(best["store_s"], 3)},
            "added_per_step_ms": round((best["store_s"] - no_store_s) / STEPS * 1e3, 3),
        }


@contextmanager
def postgres(dsn: str | None) -> Iterator[str | None]:
    """The server to measure: ``dsn``, else a throwaway one; None if none can be started."""
    if dsn is not None:
        yield dsn
        return
    server = PostgresServer()
    try:
        server.start()
    except FileNotFoundError as error:
        print(f"PostgreSQL not measured: {error}", file=sys.stderr)
        server.stop()
        yield None
        return
    try:
        yield server.dsn(tcp=True)
    finally:
        server.stop()


async def main(rounds: int, dsn: str | None) -> dict[str, Any]:
    no_store = float("inf")
    sqlite, sqlite_unbatched = Best(), Best()
    postgres_sync, postgres_async, postgres_unbatched = Best(), Best(), Best()
    size = 0
    with tempfile.TemporaryDirectory() as folder, postgres(dsn) as server:
        async_dsn = None if server is None else f"{server} options='{ASYNC_COMMIT}'"
        subjects: list[tuple[Best, bool, Callable[[int], RunStore]]] = [
            (sqlite, True, lambda n: SQLiteStore(Path(folder) / f"runs-{n}.sqlite3")),
            (sqlite_unbatched, False, lambda n: SQLiteStore(Path(folder) / f"each-{n}.sqlite3")),
        ]
        if server is not None and async_dsn is not None:
            subjects += [
                (postgres_sync, True, lambda n: PostgresStore(server, schema=f"bench_{n}")),
                (
                    postgres_async,
                    True,
                    lambda n: PostgresStore(async_dsn, schema=f"bench_async_{n}"),
                ),
                (
                    postgres_unbatched,
                    False,
                    lambda n: PostgresStore(server, schema=f"bench_each_{n}"),
                ),
            ]
        for sample in range(rounds):
            no_store = min(no_store, await without_store())
            for best, batched, open_store in subjects:
                best.sample(*await with_store(open_store(sample), batched))
            size = (Path(folder) / f"runs-{sample}.sqlite3").stat().st_size
    state_kb = len(Workload().state.to_json()) / 1024
    final = Workload()
    for step in range(STEPS):
        final.step(step)
    figures = sqlite.figures(no_store)
    not_measured = {"not_measured": "no PostgreSQL server (see stderr)"}
    return {
        "benchmark": "run_store",
        "steps": STEPS,
        "calls_per_step": 2,
        "rounds": rounds,
        **figures,
        "state_kb": {
            "first": round(state_kb, 1),
            "last": round(len(final.state.to_json()) / 1024, 1),
        },
        "file_kb": round(size / 1024),
        "target_p50_ms": 1.0,
        "met": figures["checkpoint_ms"]["p50"] <= 1.0,
        "unbatched": sqlite_unbatched.figures(no_store),
        "postgres": postgres_sync.figures(no_store) if postgres_sync.values else not_measured,
        "postgres_async_commit": (
            postgres_async.figures(no_store) if postgres_async.values else not_measured
        ),
        "postgres_unbatched": (
            postgres_unbatched.figures(no_store) if postgres_unbatched.values else not_measured
        ),
        "load_average": round(os.getloadavg()[0], 2),
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5, help="samples of each subject")
    parser.add_argument(
        "--dsn", help="measure this PostgreSQL server rather than start a throwaway one"
    )
    arguments = parser.parse_args()
    print(json.dumps(asyncio.run(main(arguments.rounds, arguments.dsn))))
