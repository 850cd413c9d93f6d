r"""Task files: one task per JSON line, validated whole before anything runs.

A line holds a prompt, the calls its answer needs and the facts the answer must state::

    {"id": "weather-tokyo-paris", "split": "train",
     "prompt": "What's the weather in Tokyo and Paris?",
     "calls": [{"name": "get_weather", "arguments": {"city": "Tokyo"}},
               {"name": "get_weather", "arguments": {"city": "Paris"}}],
     "facts": ["\\b18(\\.0)?\\b", "(?i)clear", "\\b12\\.5\\b"],
     "absent": ["(?i)known cities"], "tags": ["two-entities"]}

(written on one line in the file). Blank lines and lines starting with ``//`` are skipped.
See `Task` for each field.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, ValidationError, field_validator
from pydantic_core import ErrorDetails

from switchboard.errors import ConfigurationError
from switchboard.execution.toolbox import Toolbox

__all__ = ["NeededCall", "Task", "check_tasks", "load_tasks"]

_FORMAT = (
    "Each line is one JSON object with 'id' and 'prompt', and optionally 'split' "
    "(\"train\" or \"test\"), 'setup', 'calls', 'facts', 'absent' and 'tags'."
)


class NeededCall(BaseModel):
    """A call a task's answer needs (or, in ``setup``, a call run before the prompt).

    Attributes:
        name: The tool's name.
        arguments: Only the arguments that matter; the others are not compared.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    name: str = Field(min_length=1)
    arguments: dict[str, Any] = Field(default_factory=dict[str, Any])


class Task(BaseModel):
    """One prompt, the calls its answer needs and the facts the answer must state.

    Attributes:
        id: Unique in its file.
        prompt: What the model is asked.
        split: ``"train"`` (tuned on) or ``"test"`` (held out).
        setup: Calls run on the fresh tools before the prompt, to give a stateful tool its
            starting state; the model never sees them.
        calls: The calls the answer needs (may be empty).
        facts: Regular expressions that must each be found in the answer.
        absent: Regular expressions that must not be found in the answer.
        tags: Labels for the per-tag figures.
    """

    model_config = ConfigDict(extra="forbid", frozen=True)

    id: str = Field(min_length=1)
    prompt: str = Field(min_length=1)
    split: Literal["train", "test"] = "train"
    setup: tuple[NeededCall, ...] = ()
    calls: tuple[NeededCall, ...] = ()
    facts: tuple[str, ...] = ()
    absent: tuple[str, ...] = ()
    tags: tuple[str, ...] = ()

    @field_validator("facts", "absent")
    @classmethod
    def _compiles(cls, patterns: tuple[str, ...]) -> tuple[str, ...]:
        for pattern in patterns:
            try:
                re.compile(pattern)
            except re.error as e:
                msg = (
                    f"the regex {json.dumps(pattern)} does not compile ({e}); in JSON a "
                    "backslash is written \\\\"
                )
                raise ValueError(msg) from None
        return patterns


def load_tasks(path: str | Path) -> list[Task]:
    """Read and validate a task file (JSON Lines; see the module's doc).

    Raises:
        ConfigurationError: The file is missing or holds no task, or a line is not JSON,
            lacks a field, has a field of the wrong kind or an unknown one, a regex that
            does not compile, an unknown split, or an id used before. The message names
            the file, the line and the field.
    """
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as e:
        msg = f"Cannot read the task file {path}: {e}. Pass a JSON Lines file of tasks."
        raise ConfigurationError(msg) from e
    tasks: list[Task] = []
    lines: dict[str, int] = {}
    for number, line in enumerate(text.splitlines(), start=1):
        if not line.strip() or line.lstrip().startswith("//"):
            continue
        task = _parse_line(path, number, line)
        if task.id in lines:
            msg = (
                f"{path} line {number}: field 'id': {task.id!r} is already the id of line "
                f"{lines[task.id]}. Give each task its own id."
            )
            raise ConfigurationError(msg)
        lines[task.id] = number
        tasks.append(task)
    if not tasks:
        msg = f"{path} holds no task. {_FORMAT}"
        raise ConfigurationError(msg)
    return tasks


def check_tasks(tasks: Sequence[Task], toolbox: Toolbox, tools_file: str | Path) -> None:
    """Check that the tools can serve every task, before any of them runs.

    Raises:
        ConfigurationError: A needed or setup call names a tool the tools file lacks, or an
            argument its tool does not take; or a setup call's arguments do not fit its
            tool.
    """
    for task in tasks:
        for field, calls in (("setup", task.setup), ("calls", task.calls)):
            for call in calls:
                _check_call(task, field, call, toolbox, tools_file)


def _check_call(
    task: Task, field: str, call: NeededCall, toolbox: Toolbox, tools_file: str | Path
) -> None:
    where = f"Task {task.id!r}, field '{field}'"
    if call.name not in toolbox:
        msg = (
            f"{where}: {tools_file} has no tool {call.name!r} (it has: "
            f"{', '.join(toolbox.names)}). Fix the task, or pass the tools file that defines it."
        )
        raise ConfigurationError(msg)
    tool = toolbox.get(call.name)
    properties: Mapping[str, Any] = tool.parameters.get("properties", {})
    unknown = [name for name in call.arguments if name not in properties]
    if unknown:
        msg = (
            f"{where}: {call.name} takes no argument {unknown[0]!r} (it takes: "
            f"{', '.join(properties) or 'none'}). Fix the task's arguments."
        )
        raise ConfigurationError(msg)
    if field == "setup" and not tool.accepts(call.arguments):
        msg = (
            f"{where}: the arguments {json.dumps(call.arguments)} do not fit {call.name}'s "
            "parameters. Fix the setup call."
        )
        raise ConfigurationError(msg)


def _parse_line(path: Path, number: int, line: str) -> Task:
    try:
        value = json.loads(line)
    except json.JSONDecodeError as e:
        msg = f"{path} line {number} is not JSON: {e.msg} (column {e.colno}). {_FORMAT}"
        raise ConfigurationError(msg) from None
    if not isinstance(value, dict):
        msg = f"{path} line {number} is not a JSON object. {_FORMAT}"
        raise ConfigurationError(msg)
    try:
        return Task.model_validate(value)
    except ValidationError as e:
        problems = "; ".join(_problem(error) for error in e.errors())
        msg = f"{path} line {number}: {problems}. {_FORMAT}"
        raise ConfigurationError(msg) from None


def _problem(error: ErrorDetails) -> str:
    where = ".".join(str(part) for part in error["loc"])
    kind = error["type"]
    if kind == "missing":
        return f"field {where!r} is missing"
    if kind == "extra_forbidden":
        return f"field {where!r} is not a task field"
    if kind in ("tuple_type", "list_type"):
        return f"field {where!r} should be a JSON list"
    if kind in ("dict_type", "model_type"):
        return f"field {where!r} should be a JSON object"
    if kind == "value_error":
        return f"field {where!r}: {error.get('ctx', {}).get('error', error['msg'])}"
    return f"field {where!r}: {error['msg'][0].lower()}{error['msg'][1:]}"
