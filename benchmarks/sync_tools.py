"""Cost of running sync tools: worker threads and execute_sync, against the floor and peers.

Workload: the trivial sync tool ``add(a: int, b: int) -> int`` (a plain ``def``), every call
its own id and arguments (``{"a": i, "b": i + 1}`` as JSON text, as a model sends it). With a
trivial tool, all of a figure is overhead: handing the call to a thread and the result back.

Per call, batches of 1, 100 and 10,000 calls, each batch awaited on one event loop
(microseconds per call):

* ``switchboard_threads``: ``await toolbox.execute(calls)``, default settings: the tool runs in
  the executor's worker threads (``max_concurrency=16``).
* ``switchboard_inline``: the same with the tool registered ``inline=True``: it runs on the
  event loop, no thread (the cost of everything but the thread).
* ``floor_thread_pool``: no framework: per call a prebuilt Pydantic ``TypeAdapter``'s
  ``validate_json`` and the call, run by ``loop.run_in_executor`` on a
  ``ThreadPoolExecutor(16)`` (the standard library's way to run a sync function off the loop),
  the batch under ``asyncio.gather``.
* ``openai_agents``: ``FunctionTool.on_invoke_tool(ToolContext, arguments)`` of
  ``agents.function_tool``, contexts built before the clock starts; it runs a sync tool with
  ``asyncio.to_thread``. The batch under ``asyncio.gather``.
* ``pydantic_ai``: ``ToolManager.handle_call(ToolCallPart)`` on a prepared ``ToolManager``
  (see benchmarks/dispatch.py); it runs a sync tool in a worker thread
  (``anyio.to_thread``). The batch under ``asyncio.gather``.

``execute_sync`` batch of 10 calls, from code with no event loop (milliseconds per batch):
``switchboard_threads`` and ``switchboard_inline`` as above through ``toolbox.execute_sync``;
``asyncio_run``: ``asyncio.run(toolbox.execute(calls))``, a new event loop per batch (what
``execute_sync`` did before it kept one per thread). No peer has a sync batch call.

Targets: ``switchboard_threads`` at most ``MAX_THREADED_US`` per call at 100 and 10,000 calls,
and ``execute_sync`` at most ``MAX_EXECUTE_SYNC_MS`` per batch of 10.

Method: each library is measured in a fresh interpreter (``multiprocessing`` "spawn"), the
libraries taking turns for ``--rounds`` rounds (default 3). Every subject is checked on a
warm-up batch (``a + b`` for every call) before its clock starts. A sample is
``BATCHES_PER_SAMPLE`` batches back to back after a ``gc.collect()`` (the collector stays on);
a figure is the best of ``REPEATS`` samples (``REPEATS_LARGE`` at 10,000 calls) in each round
and the best over the rounds, for every subject alike. Output: one JSON line on stdout;
progress goes to stderr.
Run: ``.venv/bin/python benchmarks/sync_tools.py``.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import platform
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor, ThreadPoolExecutor
from importlib import metadata
from multiprocessing import get_context
from typing import Any

from typing_extensions import TypedDict  # pydantic needs it for TypedDicts before 3.12

BATCH_SIZES = (1, 100, 10_000)
BATCHES_PER_SAMPLE = {1: 300, 100: 5, 10_000: 1}
REPEATS = 5
REPEATS_LARGE = 3  # for 10,000 calls: a peer's sample takes seconds
SYNC_BATCH = 10
SYNC_BATCHES_PER_SAMPLE = 100
THREADS = 16
MAX_THREADED_US = 10.0
MAX_EXECUTE_SYNC_MS = 0.4


def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: The first addend.
        b: The second addend.
    """
    return a + b


class AddArguments(TypedDict):
    """The arguments of ``add``, for the floor's prebuilt validator."""

    a: int
    b: int


Call = tuple[str, str]  # id, arguments


def make_calls(tag: str, count: int) -> list[Call]:
    """``count`` calls with distinct ids and arguments."""
    return [(f"{tag}_{i}", json.dumps({"a": i, "b": i + 1})) for i in range(count)]


def expected(calls: Sequence[Call]) -> list[int]:
    return [2 * i + 1 for i in range(len(calls))]


Runner = Callable[[list[Any]], Any]  # an async function of a prepared batch


def switchboard_subjects() -> dict[str, tuple[Callable[[Sequence[Call]], Any], Runner]]:
    from switchboard import Toolbox, ToolCall

    threaded, inline = Toolbox([add]), Toolbox()
    inline.register(add, inline=True)

    def prepare(calls: Sequence[Call]) -> list[ToolCall]:
        return [ToolCall(i, "add", arguments) for i, arguments in calls]

    def on(toolbox: Toolbox) -> Runner:
        async def run(batch: list[Any]) -> list[int]:
            return [int(r.content) for r in await toolbox.execute(batch)]

        return run

    return {
        "switchboard_threads": (prepare, on(threaded)),
        "switchboard_inline": (prepare, on(inline)),
    }


def floor_subjects() -> dict[str, tuple[Callable[[Sequence[Call]], Any], Runner]]:
    from pydantic import TypeAdapter

    validate = TypeAdapter(AddArguments).validate_json
    pool = ThreadPoolExecutor(THREADS)

    def one(arguments: str) -> int:
        return add(**validate(arguments))

    async def run(batch: list[Any]) -> list[int]:
        loop = asyncio.get_running_loop()
        return list(await asyncio.gather(*(loop.run_in_executor(pool, one, a) for a in batch)))

    return {"floor_thread_pool": (lambda calls: [a for _, a in calls], run)}


def openai_agents_subjects() -> dict[str, tuple[Callable[[Sequence[Call]], Any], Runner]]:
    from agents import function_tool
    from agents.tool_context import ToolContext

    invoke = function_tool(add).on_invoke_tool

    def prepare(calls: Sequence[Call]) -> list[Any]:
        return [
            (ToolContext(context=None, tool_name="add", tool_call_id=i, tool_arguments=a), a)
            for i, a in calls
        ]

    async def run(batch: list[Any]) -> list[int]:
        return list(await asyncio.gather(*(invoke(ctx, a) for ctx, a in batch)))

    return {"openai_agents": (prepare, run)}


def pydantic_ai_subjects() -> dict[str, tuple[Callable[[Sequence[Call]], Any], Runner]]:
    from pydantic_ai import RunContext
    from pydantic_ai.messages import ToolCallPart
    from pydantic_ai.models.test import TestModel
    from pydantic_ai.tool_manager import ToolManager
    from pydantic_ai.toolsets import FunctionToolset
    from pydantic_ai.usage import RunUsage

    context = RunContext(deps=None, model=TestModel(), usage=RunUsage())
    unprepared = ToolManager(FunctionToolset([add]))
    manager: list[Any] = []

    def prepare(calls: Sequence[Call]) -> list[Any]:
        return [ToolCallPart(tool_name="add", args=a, tool_call_id=i) for i, a in calls]

    async def run(batch: list[Any]) -> list[int]:
        if not manager:  # prepared for a run step on the first batch, as the agent does
            manager.append(await unprepared.for_run_step(context))
        handle = manager[0].handle_call
        return list(await asyncio.gather(*(handle(part) for part in batch)))

    return {"pydantic_ai": (prepare, run)}


LIBRARIES: dict[str, tuple[str, Callable[[], dict[str, Any]]]] = {
    "switchboard": ("switchboard", switchboard_subjects),
    "floor": ("pydantic", floor_subjects),
    "openai_agents": ("openai-agents", openai_agents_subjects),
    "pydantic_ai": ("pydantic-ai-slim", pydantic_ai_subjects),
}


async def per_call_us(name: str, prepare: Callable[..., Any], run: Runner) -> dict[str, float]:
    """Best µs per call at each batch size, after a checked warm-up."""
    warm = make_calls(f"{name}_warm", 200)
    if await run(prepare(warm)) != expected(warm):
        msg = f"{name}: wrong results in the warm-up"
        raise RuntimeError(msg)
    figures: dict[str, float] = {}
    for size in BATCH_SIZES:
        best = float("inf")
        for repeat in range(REPEATS_LARGE if size >= 10_000 else REPEATS):
            count = BATCHES_PER_SAMPLE[size]
            tag = f"{name}_{size}_{repeat}"
            batches = [prepare(make_calls(f"{tag}_{b}", size)) for b in range(count)]
            gc.collect()
            start = time.perf_counter_ns()
            for batch in batches:
                await run(batch)
            best = min(best, (time.perf_counter_ns() - start) / (size * count) / 1e3)
        figures[str(size)] = round(best, 2)
    return figures


def execute_sync_ms() -> dict[str, float]:
    """Best ms per ``execute_sync`` batch of 10, threaded and inline, and asyncio.run's."""
    from switchboard import Toolbox, ToolCall

    threaded, inline = Toolbox([add]), Toolbox()
    inline.register(add, inline=True)
    calls = [ToolCall(i, "add", a) for i, a in make_calls("sync", SYNC_BATCH)]
    subjects: dict[str, Callable[[], Any]] = {
        "switchboard_threads": lambda: threaded.execute_sync(calls),
        "switchboard_inline": lambda: inline.execute_sync(calls),
        "asyncio_run": lambda: asyncio.run(threaded.execute(calls)),
    }
    for name, subject in subjects.items():
        if [int(r.content) for r in subject()] != expected(calls):
            msg = f"execute_sync {name}: wrong results in the warm-up"
            raise RuntimeError(msg)
    best = dict.fromkeys(subjects, float("inf"))
    for _ in range(REPEATS):
        for name, subject in subjects.items():  # taking turns sample by sample
            gc.collect()
            start = time.perf_counter_ns()
            for _ in range(SYNC_BATCHES_PER_SAMPLE):
                subject()
            elapsed = (time.perf_counter_ns() - start) / SYNC_BATCHES_PER_SAMPLE / 1e6
            best[name] = min(best[name], elapsed)
    return {name: round(value, 3) for name, value in best.items()}


def measure(library: str) -> dict[str, Any]:
    """All figures of one library, in this (fresh) interpreter."""
    distribution, subjects = LIBRARIES[library]
    figures: dict[str, Any] = {"version": metadata.version(distribution)}
    for name, (prepare, run) in subjects().items():
        figures[name] = asyncio.run(per_call_us(name, prepare, run))
    if library == "switchboard":
        figures["execute_sync_ms"] = execute_sync_ms()
    return figures


def best_of(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """The smallest figure of each subject over the rounds."""
    merged: dict[str, Any] = dict(rounds[0])
    for figures in rounds[1:]:
        for name, value in figures.items():
            if isinstance(value, dict):
                merged[name] = {k: min(v, value[k]) for k, v in merged[name].items()}
    return merged


def main() -> None:
    """Measure every library for the given rounds and print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3)
    rounds = parser.parse_args().rounds
    collected: dict[str, list[dict[str, Any]]] = {library: [] for library in LIBRARIES}
    errors: dict[str, str] = {}
    context = get_context("spawn")
    for round_number in range(rounds):
        for library in LIBRARIES:
            if library in errors:
                continue
            print(f"sync_tools: {library} (round {round_number + 1})", file=sys.stderr, flush=True)
            with ProcessPoolExecutor(max_workers=1, mp_context=context) as pool:
                try:
                    collected[library].append(pool.submit(measure, library).result())
                except Exception as e:  # a library that fails is reported; the others still run
                    errors[library] = repr(e)
    figures: dict[str, Any] = {}
    for library, results in collected.items():
        if library in errors:
            figures[library] = {"error": errors[library]}
        elif results:
            figures.update({k: v for k, v in best_of(results).items() if k != "version"})
            figures.setdefault("versions", {})[library] = results[0]["version"]
    threads = figures.get("switchboard_threads")
    syncs = figures.get("execute_sync_ms")
    if threads is not None and syncs is not None:
        inline = figures["switchboard_inline"]
        figures["threads_over_inline"] = {k: round(v / inline[k], 2) for k, v in threads.items()}
        figures["met"] = {
            "threaded_call": max(threads["100"], threads["10000"]) <= MAX_THREADED_US,
            "execute_sync_batch": syncs["switchboard_threads"] <= MAX_EXECUTE_SYNC_MS,
        }
    figures["rounds"] = rounds
    figures["python"] = platform.python_version()
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
