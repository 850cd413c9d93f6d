"""Time to read hostile tool-call arguments: switchboard's repair against json_repair.

Workload: arguments a model (or an attacker) may send, at 10 kB, 100 kB, 1 MB and 10 MB:

* ``unquoted``: an object whose one value is a long unquoted word, ``{"a": xxxx...}``;
* ``cut_string``: an object cut off inside a long string, ``{"a": "xxxx...``;
* ``single_quoted``: a Python dict with one long single-quoted string;
* ``clean``: the same value as valid JSON, the common case, for reference.

Subjects, given the same text:

* ``switchboard``: ``parse_arguments(text, accepts=always)``, which repairs what it can and
  refuses the rest (cut-off strings, oversized text) with a message for the model;
* ``json_repair``: ``json_repair.loads(text)``, the library switchboard falls back on, run
  directly, up to 1 MB (100 kB for ``unquoted``, where it is quadratic: 1 MB takes
  minutes).

A figure is the best of ``REPEATS`` runs, in milliseconds, with the outcome (``ok`` or
``refused``). ``growth`` is switchboard's time at 10 MB over its time at 1 MB (linear: about
10; refused early: about 1). Target: every switchboard figure under 1 s, and growth at most 15.
Run: ``.venv/bin/python benchmarks/repair.py``. Prints one JSON line.
"""

from __future__ import annotations

import importlib.metadata
import json
import time
from collections.abc import Callable
from typing import Any

import json_repair

from switchboard.execution.arguments import UnparsableArguments, parse_arguments

SIZES = (10_000, 100_000, 1_000_000, 10_000_000)
REPEATS = 3
# json_repair is not run past these sizes (it is quadratic on unquoted values).
JSON_REPAIR_LIMIT = 1_000_000
JSON_REPAIR_UNQUOTED_LIMIT = 100_000


def inputs(size: int) -> dict[str, str]:
    value = "x" * size
    return {
        "unquoted": '{"a": ' + value + "}",
        "cut_string": '{"a": "' + value,
        "single_quoted": "{'a': '" + value + "'}",
        "clean": json.dumps({"a": value}),
    }


def switchboard(text: str) -> str:
    try:
        parse_arguments(text, accepts=lambda _: True)
    except UnparsableArguments:
        return "refused"
    return "ok"


def peer(text: str) -> str:
    value: Any = json_repair.loads(text)
    return "ok" if isinstance(value, dict) and value else "refused"


def best(subject: Callable[[str], str], text: str) -> tuple[float, str]:
    times: list[float] = []
    outcome = ""
    for _ in range(REPEATS):
        started = time.perf_counter()
        outcome = subject(text)
        times.append(time.perf_counter() - started)
    return round(min(times) * 1000, 3), outcome


def main() -> None:
    figures: dict[str, dict[str, dict[str, Any]]] = {}
    for size in SIZES:
        for kind, text in inputs(size).items():
            row = figures.setdefault(kind, {})
            ms, outcome = best(switchboard, text)
            entry: dict[str, Any] = {"switchboard_ms": ms, "switchboard": outcome}
            limit = JSON_REPAIR_UNQUOTED_LIMIT if kind == "unquoted" else JSON_REPAIR_LIMIT
            if size <= limit:
                peer_ms, peer_outcome = best(peer, text)
                entry.update(json_repair_ms=peer_ms, json_repair=peer_outcome)
            row[str(size)] = entry
    growth = {
        kind: round(
            row["10000000"]["switchboard_ms"] / max(row["1000000"]["switchboard_ms"], 1e-3), 1
        )
        for kind, row in figures.items()
    }
    worst = max(entry["switchboard_ms"] for row in figures.values() for entry in row.values())
    met = worst < 1000 and all(g <= 15 for g in growth.values())
    print(
        json.dumps(
            {
                "benchmark": "repair",
                "unit": "ms",
                "figures": figures,
                "growth_10mb_over_1mb": growth,
                "worst_switchboard_ms": worst,
                "targets": {"worst_ms_max": 1000, "growth_max": 15},
                "met": met,
                "repeats": REPEATS,
                "json_repair": importlib.metadata.version("json-repair"),
            }
        )
    )


if __name__ == "__main__":
    main()
