"""Batches: the engine's cost per run, here and on a local Ray cluster; local model replicas.

The engine's cost per run, in process and on a local Ray cluster; the local model's
throughput with one replica and two.

Scripted workload (``benchmarks/batch_workload.py``): ``--lines`` conversations, each a
`ScriptedModel` reply calling ``add`` once and an answer (two model requests, one tool call,
no network). Subjects, each given the same lines, taking turns round by round, best of
``--rounds`` (every subject alike):

* ``agent_loop`` (the floor): ``await agent.run(prompt)`` for each line, 8 at a time (as
  ``in_process``), one `Agent` built once: no input file, no output file, no engine.
* ``in_process``: ``switchboard.batch(...)`` in this process, ``concurrency=8``: the lines
  read and checked, each run, each result written and flushed as a JSON line.
* ``in_process_store``: the same, each line also recorded as a run in a new `SQLiteStore`
  file (``store=``): the run store's cost per conversation in a batch.
* ``ray_tasks``: the same on the local Ray cluster, a task per line (2 CPUs: two workers).
* ``ray_2_replicas``: the same on two actors (``replicas=2``), each building the model once.

``ms_per_run`` is a whole batch's wall time per line (a Ray subject's includes starting its
workers or actors); ``steady_ms_per_run`` the time from its first result to its last, per
line: what a run costs once the workers are up.

Local model workload: ``--prompts`` weather questions (``examples/weather.py``) through the
embedded SmolLM2-135M, greedy, with `switchboard run`'s settings. Subjects: ``in_process``
(every core), ``ray_1_replica`` (one actor with both CPUs: 2 threads), ``ray_2_replicas``
(two actors of one CPU each). A Ray subject's wall time includes starting its actors and
loading the model in each (the batch starts them); ``--local-rounds`` rounds, best taken.

The cluster is started once (``ray_start_s``) and is not in any figure. Prints one JSON
line; progress on stderr. Usage:
``python benchmarks/batch.py [--lines 500] [--rounds 3] [--prompts 6] [--local-rounds 1]``
(``--prompts 0``: the scripted workload only).
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from switchboard import Agent, BatchSettings, BatchSummary, batch
from switchboard.batch.cluster import connect, disconnect
from switchboard.command_agent import MAX_ITERATIONS, MAX_TOKENS, TOOL_CHOICE

ROOT = Path(__file__).resolve().parents[1]
WORKLOAD = Path(__file__).with_name("batch_workload.py")
WEATHER = ROOT / "examples" / "weather.py"
CITIES = ("Tokyo", "Paris", "London", "New York", "Sydney")
CONCURRENCY = 8
"""Conversations at once in this process: the floor's and ``in_process``'s."""


def _write(path: Path, prompts: list[str]) -> Path:
    path.write_text("".join(json.dumps({"prompt": p}) + "\n" for p in prompts), encoding="utf-8")
    return path


async def _timed(work: Callable[[], Awaitable[Any]]) -> tuple[float, Any]:
    started = time.perf_counter()
    value = await work()
    return time.perf_counter() - started, value


async def _scripted(folder: Path, lines: int, rounds: int) -> dict[str, Any]:
    from batch_workload import model as scripted_model  # pyright: ignore[reportMissingImports]
    from batch_workload import tools as scripted_tools  # pyright: ignore[reportMissingImports]

    prompts = [str(n) for n in range(lines)]
    source = _write(folder / "scripted.jsonl", prompts)
    factory = f"{WORKLOAD}:model"
    agent = Agent(scripted_model(), tools=scripted_tools)
    samples = 0

    async def agent_loop() -> int:
        pending = iter(prompts)
        answered = 0

        async def lane() -> None:
            nonlocal answered
            for prompt in pending:
                result = await agent.run(prompt)
                answered += result.stop_reason == "answer"

        await asyncio.gather(*(lane() for _ in range(CONCURRENCY)))
        return answered

    steady: dict[str, float] = {}

    def batch_of(name: str, *, store: bool = False, **options: Any) -> Callable[[], Awaitable[int]]:
        async def run() -> int:
            nonlocal samples
            samples += 1
            out = folder / f"scripted-{samples}.jsonl"
            times: list[float] = []
            summary: BatchSummary = await batch(
                source,
                tools=WORKLOAD,
                model=factory,
                output=out,
                on_result=lambda _: times.append(time.perf_counter()),
                store=folder / f"runs-{samples}.sqlite3" if store else None,
                **options,
            )
            # From the first result to the last: the cost per run once the workers are up.
            per_run = (times[-1] - times[0]) / (len(times) - 1)
            steady[name] = min(steady.get(name, per_run), per_run)
            return summary.answered

        return run

    subjects: dict[str, Callable[[], Awaitable[int]]] = {
        "agent_loop": agent_loop,
        "in_process": batch_of("in_process", concurrency=CONCURRENCY),
        "in_process_store": batch_of("in_process_store", store=True, concurrency=CONCURRENCY),
        "ray_tasks": batch_of("ray_tasks", ray=True),
        "ray_2_replicas": batch_of("ray_2_replicas", ray=True, replicas=2),
    }
    best: dict[str, float] = {}
    for round_number in range(rounds):
        for name, work in subjects.items():
            seconds, answered = await _timed(work)
            assert answered == lines, (name, answered)
            best[name] = min(best.get(name, seconds), seconds)
            print(f"scripted round {round_number + 1} {name}: {seconds:.2f} s", file=sys.stderr)
    return {
        "lines": lines,
        "runs_per_s": {name: round(lines / s, 1) for name, s in best.items()},
        "ms_per_run": {name: round(1000 * s / lines, 3) for name, s in best.items()},
        "steady_ms_per_run": {name: round(1000 * s, 3) for name, s in steady.items()},
        "over_agent_loop": {
            name: round(s / best["agent_loop"], 2)
            for name, s in best.items()
            if name != "agent_loop"
        },
    }


async def _local(folder: Path, prompts: int, rounds: int) -> dict[str, Any]:
    questions = [f"What's the weather in {CITIES[n % len(CITIES)]}?" for n in range(prompts)]
    source = _write(folder / "local.jsonl", questions)
    settings = BatchSettings(
        tool_choice=TOOL_CHOICE,
        max_iterations=MAX_ITERATIONS,
        max_tokens=MAX_TOKENS,
        temperature=0.0,
        seed=0,
        answer_at_limit=True,
    )
    samples = 0

    def batch_of(**options: Any) -> Callable[[], Awaitable[BatchSummary]]:
        async def run() -> BatchSummary:
            nonlocal samples
            samples += 1
            out = folder / f"local-{samples}.jsonl"
            return await batch(
                source, tools=WEATHER, model="local", output=out, settings=settings, **options
            )

        return run

    subjects = {
        "in_process": batch_of(concurrency=2),
        "ray_1_replica": batch_of(ray=True, replicas=1),
        "ray_2_replicas": batch_of(ray=True, replicas=2),
    }
    best: dict[str, float] = {}
    answered: dict[str, int] = {}
    tokens: dict[str, int] = {}
    for round_number in range(rounds):
        for name, work in subjects.items():
            seconds, summary = await _timed(work)
            best[name] = min(best.get(name, seconds), seconds)
            answered[name] = summary.answered
            tokens[name] = summary.output_tokens
            print(f"local round {round_number + 1} {name}: {seconds:.1f} s", file=sys.stderr)
    scaling = best["ray_1_replica"] / best["ray_2_replicas"]
    return {
        "prompts": prompts,
        "seconds": {name: round(s, 2) for name, s in best.items()},
        "runs_per_min": {name: round(60 * prompts / s, 2) for name, s in best.items()},
        "output_tokens_per_s": {name: round(tokens[name] / s, 1) for name, s in best.items()},
        "answered": answered,
        "speedup_2_over_1_replica": round(scaling, 2),
        "scaling_efficiency_2_replicas": round(scaling / 2, 2),
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--prompts", type=int, default=6)
    parser.add_argument("--local-rounds", type=int, default=1)
    args = parser.parse_args()
    sys.path.insert(0, str(WORKLOAD.parent))
    load_before = os.getloadavg()
    started = time.perf_counter()
    connect("local")
    ray_start = time.perf_counter() - started
    try:
        with tempfile.TemporaryDirectory() as folder:
            scripted = await _scripted(Path(folder), args.lines, args.rounds)
            local = (
                await _local(Path(folder), args.prompts, args.local_rounds)
                if args.prompts
                else None
            )
    finally:
        disconnect()
    report = {
        "benchmark": "batch",
        "cpus": os.cpu_count(),
        "ray_start_s": round(ray_start, 2),
        "scripted": scripted,
        "local_model": local,
        "load_average": {"start": load_before[0], "end": os.getloadavg()[0]},
    }
    print(json.dumps(report))


if __name__ == "__main__":
    asyncio.run(main())
