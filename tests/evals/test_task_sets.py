"""The shipped task sets (evals/tasks/*.jsonl) are well formed and answerable by their tools."""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import pytest

from switchboard import ToolCall, ToolResult
from switchboard.tools_file import load_toolbox

ROOT = Path(__file__).parent.parent.parent
TASKS = ROOT / "evals" / "tasks"
EXAMPLES = ROOT / "examples"

# Each set, the tool file it is run with, and the least number of tasks it must hold.
SETS = {
    "weather.jsonl": ("weather.py", 26),
    "calculator.jsonl": ("calculator_units.py", 20),
    "todo.jsonl": ("todo.py", 20),
}
TAGS = {
    "single",
    "two-entities",
    "three-entities",
    "compare",
    "units",
    "unknown-entity",
    "two-step",
    "stateful",
    "forecast",
    "phrasing",
}
REQUIRED = {"id", "split", "prompt", "calls", "facts", "tags"}
OPTIONAL = {"setup", "absent"}


def _load(name: str) -> list[dict[str, Any]]:
    tasks: list[dict[str, Any]] = []
    lines = (TASKS / name).read_text(encoding="utf-8").splitlines()
    for number, line in enumerate(lines, start=1):
        try:
            task = json.loads(line)
        except json.JSONDecodeError as e:
            msg = f"{name} line {number} is not JSON: {e}"
            raise AssertionError(msg) from e
        assert isinstance(task, dict), f"{name} line {number} is not a JSON object"
        tasks.append(task)
    return tasks


ALL = [(name, task) for name in SETS for task in _load(name)]
BY_ID = [pytest.param(name, task, id=str(task.get("id"))) for name, task in ALL]


def _patterns(task: dict[str, Any]) -> list[str]:
    return [*task["facts"], *task.get("absent", [])]


def _run(toolbox: Any, call: dict[str, Any]) -> ToolResult:
    # One call at a time: a batch may run concurrently, and the todo list's order matters.
    [result] = toolbox.execute_sync([ToolCall("c1", call["name"], json.dumps(call["arguments"]))])
    return result


def test_task_ids_are_unique_across_all_sets() -> None:
    """No two tasks share an id, in one file or across files."""
    counts = Counter(task["id"] for _, task in ALL)
    assert [task_id for task_id, count in counts.items() if count > 1] == []


@pytest.mark.parametrize(("name", "task"), BY_ID)
def test_a_task_has_the_fields_of_the_format(name: str, task: dict[str, Any]) -> None:
    """Required fields present, no unknown ones, a valid split and known tags."""
    assert REQUIRED <= task.keys() <= REQUIRED | OPTIONAL
    assert task["split"] in {"train", "test"}
    assert isinstance(task["prompt"], str)
    assert task["prompt"].strip()
    assert task["tags"]
    assert set(task["tags"]) <= TAGS
    assert task["facts"]
    for call in [*task["calls"], *task.get("setup", [])]:
        assert call.keys() == {"name", "arguments"}
        assert isinstance(call["arguments"], dict)


@pytest.mark.parametrize(("name", "task"), BY_ID)
def test_each_regex_compiles_and_cannot_match_an_empty_answer(
    name: str, task: dict[str, Any]
) -> None:
    """A fact or absent pattern is a valid regex that needs some text to match."""
    for pattern in _patterns(task):
        assert re.search(pattern, "") is None, pattern


@pytest.mark.parametrize(("name", "task"), BY_ID)
def test_each_call_names_a_tool_of_its_file_with_valid_arguments(
    name: str, task: dict[str, Any]
) -> None:
    """Setup and needed calls name tools of the set's file, and their arguments validate."""
    toolbox = load_toolbox(EXAMPLES / SETS[name][0])
    for call in [*task.get("setup", []), *task["calls"]]:
        assert call["name"] in toolbox, call["name"]
        toolbox.get(call["name"]).validate(call["arguments"])


@pytest.mark.parametrize("name", list(SETS))
def test_a_set_has_enough_tasks_and_holds_out_a_quarter_to_under_half(name: str) -> None:
    """Each set meets its size, and 25-45% of it is the held-out test split."""
    tasks = [task for task_name, task in ALL if task_name == name]
    held_out = sum(task["split"] == "test" for task in tasks) / len(tasks)
    assert len(tasks) >= SETS[name][1]
    assert 0.25 <= held_out <= 0.45, f"{held_out:.0%} of {name} is test"


@pytest.mark.parametrize("split", ["train", "test"])
def test_every_tag_is_used_in_each_split(split: str) -> None:
    """Each kind of task is both tuned on and held out: no kind sits on one side only."""
    used = {tag for _, task in ALL if task["split"] == split for tag in task["tags"]}
    assert TAGS - used == set()


@pytest.mark.parametrize(("name", "task"), BY_ID)
def test_a_task_is_answerable_from_the_results_of_its_calls(
    name: str, task: dict[str, Any]
) -> None:
    """After the setup, the needed calls' results state every fact and no absent pattern.

    An unknown-entity task needs a call that fails: its facts are the refusal the answer
    must make, and its absent patterns may name what the error shows but the answer must
    not repeat (the known cities).
    """
    toolbox = load_toolbox(EXAMPLES / SETS[name][0])  # a fresh import: fresh module state
    for call in task.get("setup", []):
        assert not _run(toolbox, call).is_error, call
    results = [_run(toolbox, call) for call in task["calls"]]
    text = "\n".join(result.content for result in results)
    assert [fact for fact in task["facts"] if not re.search(fact, text)] == [], text
    if "unknown-entity" in task["tags"]:
        assert any(result.is_error for result in results), text
        return
    assert [pattern for pattern in task.get("absent", []) if re.search(pattern, text)] == []
