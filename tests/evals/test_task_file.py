"""Task files: what a line may hold, and the error for each way it can be wrong."""

from __future__ import annotations

from pathlib import Path

import pytest

from switchboard import ConfigurationError
from switchboard.evals.tasks import NeededCall, load_tasks

GOOD = '{"id": "a", "prompt": "Weather in Tokyo?"}'


def write(tmp_path: Path, *lines: str) -> Path:
    path = tmp_path / "tasks.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def load_error(tmp_path: Path, *lines: str) -> str:
    with pytest.raises(ConfigurationError) as caught:
        load_tasks(write(tmp_path, *lines))
    return str(caught.value)


def test_a_full_line_is_read_into_a_task(tmp_path: Path) -> None:
    """Every field of a line reaches the task, regexes kept as written."""
    line = (
        '{"id": "w1", "split": "test", "prompt": "Tokyo?", '
        '"setup": [{"name": "add_todo", "arguments": {"title": "Milk"}}], '
        '"calls": [{"name": "get_weather", "arguments": {"city": "Tokyo"}}], '
        '"facts": ["\\\\b18\\\\b"], "absent": ["(?i)known"], "tags": ["one"]}'
    )
    [task] = load_tasks(write(tmp_path, line))
    assert (task.id, task.split, task.prompt, task.facts, task.absent, task.tags) == (
        "w1",
        "test",
        "Tokyo?",
        (r"\b18\b",),
        ("(?i)known",),
        ("one",),
    )
    assert task.setup == (NeededCall(name="add_todo", arguments={"title": "Milk"}),)
    assert task.calls == (NeededCall(name="get_weather", arguments={"city": "Tokyo"}),)


def test_split_defaults_to_train_and_the_lists_to_empty(tmp_path: Path) -> None:
    """A line with only id and prompt is a train task with no calls, facts or tags."""
    [task] = load_tasks(write(tmp_path, GOOD))
    assert (task.split, task.setup, task.calls, task.facts, task.absent, task.tags) == (
        "train",
        (),
        (),
        (),
        (),
        (),
    )


def test_blank_and_comment_lines_are_skipped_but_counted(tmp_path: Path) -> None:
    """Blank lines and // lines hold no task, and the line numbers still count them."""
    message = load_error(tmp_path, "// weather tasks", "", GOOD, "{not json")
    assert "tasks.jsonl line 4 is not JSON" in message


def test_a_line_that_is_not_json_names_the_line_and_column(tmp_path: Path) -> None:
    """Bad JSON: the file, the line, the column, and what a line must be."""
    message = load_error(tmp_path, GOOD, '{"id": "b", "prompt": "x",}')
    assert "line 2 is not JSON" in message
    assert "(column 27)" in message
    assert "Each line is one JSON object" in message


def test_a_line_that_is_not_an_object_is_an_error(tmp_path: Path) -> None:
    """A JSON list on a line is refused as not an object."""
    assert "line 1 is not a JSON object" in load_error(tmp_path, '["a", "b"]')


def test_a_missing_prompt_names_the_line_and_field(tmp_path: Path) -> None:
    """A line without a prompt: its line and the missing field are named."""
    assert "line 1: field 'prompt' is missing" in load_error(tmp_path, '{"id": "a"}')


def test_a_missing_call_name_names_the_nested_field(tmp_path: Path) -> None:
    """A needed call without a name names calls.0.name."""
    line = '{"id": "a", "prompt": "p", "calls": [{"arguments": {}}]}'
    assert "line 1: field 'calls.0.name' is missing" in load_error(tmp_path, line)


def test_an_unknown_field_is_an_error(tmp_path: Path) -> None:
    """A misspelt field ("fact") is refused rather than ignored."""
    line = '{"id": "a", "prompt": "p", "fact": ["18"]}'
    assert "field 'fact' is not a task field" in load_error(tmp_path, line)


def test_facts_given_as_a_string_ask_for_a_list(tmp_path: Path) -> None:
    """A single string of facts is refused: facts is a list of regexes."""
    line = '{"id": "a", "prompt": "p", "facts": "18"}'
    assert "field 'facts' should be a JSON list" in load_error(tmp_path, line)


def test_a_duplicate_id_names_both_lines(tmp_path: Path) -> None:
    """An id used twice names the line that repeats it and the line that had it first."""
    message = load_error(tmp_path, GOOD, GOOD.replace("Tokyo", "Paris"))
    assert "line 2: field 'id': 'a' is already the id of line 1" in message


def test_a_regex_that_does_not_compile_names_the_line_and_pattern(tmp_path: Path) -> None:
    """A fact that is no regex: the line, the field, the pattern and re's complaint."""
    line = '{"id": "a", "prompt": "p", "facts": ["ok", "18 (C"]}'
    message = load_error(tmp_path, line)
    assert "line 1: field 'facts': the regex \"18 (C\" does not compile (missing )" in message


def test_an_absent_regex_that_does_not_compile_is_an_error(tmp_path: Path) -> None:
    """The absent patterns are checked as the facts are."""
    line = '{"id": "a", "prompt": "p", "absent": ["[known"]}'
    assert "field 'absent': the regex \"[known\" does not compile" in load_error(tmp_path, line)


def test_an_unknown_split_names_the_allowed_ones(tmp_path: Path) -> None:
    """A split other than train or test is refused, naming the two."""
    line = '{"id": "a", "prompt": "p", "split": "dev"}'
    assert "line 1: field 'split': input should be 'train' or 'test'" in load_error(tmp_path, line)


def test_a_file_without_tasks_is_an_error(tmp_path: Path) -> None:
    """A file of comments only holds no task."""
    assert "holds no task" in load_error(tmp_path, "// nothing yet")


def test_a_missing_file_is_an_error_naming_it(tmp_path: Path) -> None:
    """A path with no file is a ConfigurationError naming the path."""
    with pytest.raises(ConfigurationError, match=r"Cannot read the task file .*nope\.jsonl"):
        load_tasks(tmp_path / "nope.jsonl")
