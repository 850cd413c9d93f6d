"""The files of the batch tests: input lines, the output read back, the tools' side effects."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

TOOLS = Path(__file__).with_name("scripted_tools.py")
MODEL = f"{TOOLS}:model"


def write_lines(path: Path, lines: list[dict[str, Any]]) -> Path:
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    return path


def prompts(tmp_path: Path, count: int, **extra: Any) -> list[dict[str, Any]]:
    """``count`` lines whose runs each record their number in tmp_path/log."""
    log = str(tmp_path / "log")
    return [
        {"id": f"p{n}", "prompt": json.dumps({"n": n, "log": log, **extra})} for n in range(count)
    ]


def read_output(path: Path) -> list[dict[str, Any]]:
    return [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]


def recorded(tmp_path: Path) -> list[int]:
    return [int(line) for line in (tmp_path / "log").read_text().split()]
