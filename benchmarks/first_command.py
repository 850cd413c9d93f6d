"""The README's first command, end to end: wall and CPU time per thread count.

Workload: ``switchboard run "What's the weather in Tokyo and Paris?" --tools
examples/weather.py`` as a user types it (a new process each time: Python's start, the
imports, the embedded model's load, two model requests, the answer), with ``--threads N``
for each N of ``--threads`` (``default``: the option left out, what a user gets).

Figures, per thread setting: ``wall_s`` (best and median of ``--runs``), ``cpu_s`` (user +
system seconds of the process, median) and whether every run's answer holds both cities'
temperatures. The settings take turns run by run, so a busy moment of the machine falls on
all of them alike. Prints one JSON line; progress on stderr.

Usage: python benchmarks/first_command.py [--runs 5] [--threads default,1,2]
"""

from __future__ import annotations

import argparse
import json
import os
import re
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
QUESTION = "What's the weather in Tokyo and Paris?"
# Tokyo 18.0 and Paris 12.5 degrees (examples/weather.py's fixed readings).
FACTS = (re.compile(r"\b18(\.0)?\b"), re.compile(r"\b12\.5\b"))


def _command(threads: str) -> list[str]:
    # The command installed beside this Python, as the README runs it.
    command = [str(Path(sys.executable).parent / "switchboard"), "run", QUESTION]
    command += ["--tools", str(ROOT / "examples" / "weather.py")]
    return command if threads == "default" else [*command, "--threads", threads]


def _run(threads: str) -> tuple[float, float, bool]:
    """One run: wall seconds, CPU seconds, and whether the answer holds both temperatures."""
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    done = subprocess.run(
        _command(threads),
        capture_output=True,
        text=True,
        check=False,
        cwd=ROOT,
    )
    wall = time.perf_counter() - start
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    cpu = (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime)
    right = done.returncode == 0 and all(fact.search(done.stdout) for fact in FACTS)
    return wall, cpu, right


def main() -> None:
    """Run each thread setting ``--runs`` times, in turns, and print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--threads", default="default,1,2")
    args = parser.parse_args()
    settings = args.threads.split(",")
    walls: dict[str, list[float]] = {s: [] for s in settings}
    cpus: dict[str, list[float]] = {s: [] for s in settings}
    right: dict[str, bool] = dict.fromkeys(settings, True)
    for run in range(args.runs):
        for setting in settings:
            wall, cpu, ok = _run(setting)
            walls[setting].append(wall)
            cpus[setting].append(cpu)
            right[setting] = right[setting] and ok
            print(f"run {run + 1} threads={setting}: {wall:.2f} s wall", file=sys.stderr)
    figures = {
        setting: {
            "wall_s_best": round(min(walls[setting]), 2),
            "wall_s_median": round(statistics.median(walls[setting]), 2),
            "cpu_s_median": round(statistics.median(cpus[setting]), 2),
            "answers_right": right[setting],
        }
        for setting in settings
    }
    print(
        json.dumps(
            {
                "benchmark": "first_command",
                "command": f'switchboard run "{QUESTION}" --tools examples/weather.py',
                "runs": args.runs,
                "cpu_count": os.cpu_count(),
                "load_average_1min": round(os.getloadavg()[0], 2),
                "threads": figures,
            }
        )
    )


if __name__ == "__main__":
    main()
