"""The main job's task success on the embedded model, with and without each technique.

Workload: the task sets of ``evals/tasks/`` (weather, calculator and units, a stateful
todo list; their ``train`` and held-out ``test`` splits), each task run as
``switchboard run`` runs it: SmolLM2-135M-Instruct through `LocalProvider`, greedy,
``tool_choice="required"`` then ``"auto"``, at most 6 requests and 256 tokens per reply,
``on_repeat="answer"``, ``answer_at_limit=True``. Scored by `switchboard.evals.tasks`
(the right calls made, an answer, every fact stated).

Configurations (``--configs``, comma-separated; default: all of them):

* ``all``: every technique on, as shipped.
* ``no_<technique>``: one `LocalTechniques` switch off (``fan_out``, ``plain_answers``,
  ``name_match``, ``ground_choices``, ``ground_strings``, ``restate``, ``clauses``).
* ``repeat_runs``: ``on_repeat="run"`` (a repeated call runs again; the loop guard stops it).
* ``no_answer_at_limit``: the last request may still call tools.
* ``none``: all of the above off: the loop and the local provider as they were before.

Figures per configuration: ``success``, ``calls_right``, ``answered`` (shares of tasks),
``errors`` (runs that raised), ``mean_s`` (wall seconds per run), and ``success`` per split.
Prints one JSON line. No peer library runs a local model's tool loop, so none is measured.

Run: ``python benchmarks/main_job.py [--configs all,none] [--split test] [--threads N]``;
one configuration over all 90 tasks takes about 6 minutes on two quiet cores.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import sys
from pathlib import Path
from typing import Any

from switchboard import Agent, ModelSettings
from switchboard.evals.tasks import (
    TaskResult,
    TaskSummary,
    load_tasks,
    run_tasks,
    summarize_tasks,
)
from switchboard.execution.toolbox import Toolbox
from switchboard.providers.local import LocalProvider, LocalTechniques

ROOT = Path(__file__).resolve().parent.parent
SETS = {
    "weather": ROOT / "examples" / "weather.py",
    "calculator": ROOT / "examples" / "calculator_units.py",
    "todo": ROOT / "examples" / "todo.py",
}
TECHNIQUES = [f.name for f in dataclasses.fields(LocalTechniques)]
CONFIGS = [
    "all",
    *(f"no_{name}" for name in TECHNIQUES),
    "repeat_runs",
    "no_answer_at_limit",
    "none",
]


def setup(config: str) -> tuple[LocalTechniques, dict[str, Any]]:
    """The provider's techniques and the agent's settings of one configuration."""
    if config == "none":
        off = LocalTechniques(**dict.fromkeys(TECHNIQUES, False))
        return off, {"on_repeat": "run", "answer_at_limit": False}
    agent: dict[str, Any] = {"on_repeat": "answer", "answer_at_limit": True}
    if config == "repeat_runs":
        agent["on_repeat"] = "run"
    if config == "no_answer_at_limit":
        agent["answer_at_limit"] = False
    technique = config.removeprefix("no_")
    if config.startswith("no_") and technique in TECHNIQUES:
        return LocalTechniques(**{technique: False}), agent
    return LocalTechniques(), agent


async def measure(config: str, split: str | None, threads: int | None) -> dict[str, Any]:
    """Every task of every set under one configuration: its figures."""
    techniques, settings = setup(config)
    provider = LocalProvider(n_threads=threads, techniques=techniques)

    def make_agent(toolbox: Toolbox) -> Agent:
        return Agent(
            provider,
            tools=toolbox,
            tool_choice="required",
            max_iterations=6,
            settings=ModelSettings(max_tokens=256),
            **settings,
        )

    results: list[TaskResult] = []
    for name, tools in SETS.items():
        tasks = load_tasks(ROOT / "evals" / "tasks" / f"{name}.jsonl")
        tasks = [t for t in tasks if split is None or t.split == split]
        results.extend(await run_tasks(tasks, tools, make_agent))
    provider.close()
    report = summarize_tasks(results)
    return {
        **figures(report.overall),
        "by_split": {
            part: round(summary.success_rate, 3) for part, summary in report.splits.items()
        },
    }


def figures(summary: TaskSummary) -> dict[str, Any]:
    """A summary's figures, rounded for the JSON line."""
    return {
        "tasks": summary.tasks,
        "success": round(summary.success_rate, 3),
        "calls_right": round(summary.calls_right_rate, 3),
        "answered": round(summary.answered_rate, 3),
        "errors": summary.errors,
        "mean_s": round(summary.mean_seconds, 2),
    }


def main() -> None:
    """Parse the arguments, measure each configuration, print one JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--configs", default=",".join(CONFIGS))
    parser.add_argument("--split", choices=["train", "test"], default=None)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    configs = [c for c in args.configs.split(",") if c]
    unknown = [c for c in configs if c not in CONFIGS]
    if unknown:
        parser.error(f"unknown configs {unknown}: choose from {', '.join(CONFIGS)}")
    measured: dict[str, Any] = {}
    for config in configs:
        measured[config] = asyncio.run(measure(config, args.split, args.threads))
        print(json.dumps({config: measured[config]}), file=sys.stderr, flush=True)  # progress
    out = {
        "benchmark": "main_job",
        "model": "SmolLM2-135M-Instruct (embedded)",
        "split": args.split or "all",
        "configs": measured,
    }
    print(json.dumps(out))


if __name__ == "__main__":
    main()
