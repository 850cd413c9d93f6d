"""The input of a batch: one conversation per JSON line, every line checked before any runs.

A line is a JSON object with ``prompt`` (the user's message) or ``messages`` (a conversation
to continue, ending with the user's turn), or both (the prompt comes after the messages),
and optionally:

- ``id``: a string or an integer naming the line in the output (default: its line number);
  ids are unique in a file. A rerun skips the ids already in the output.
- the run's settings, over the batch's own: ``system``, ``max_iterations``,
  ``max_tool_calls``, ``tool_choice`` (``"auto"``, ``"none"``, ``"required"`` or a tool's
  name), ``max_tokens``, ``temperature``, ``seed``, ``tool_timeout``, ``run_timeout``,
  ``request_timeout``;
- ``metadata``: any JSON value, copied to the line's output as it is.

A message is ``{"role": "system" | "user" | "assistant", "content": "..."}`` (text only),
or a message as the output writes them (``{"type": "assistant", ...}``, see
`switchboard.runs.codec`), so an output's conversation can be continued. Blank lines are
skipped. Problems are reported with the file and line they are on, all of them at once.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

from switchboard.errors import ConfigurationError, RunStateError
from switchboard.messages import (
    AssistantTurn,
    Message,
    SystemMessage,
    ToolResult,
    UserMessage,
)

if TYPE_CHECKING:
    from pydantic import BaseModel

__all__ = ["SETTINGS", "Line", "LineId", "id_key", "read_lines"]

LineId = str | int
"""A line's id: its own ``id``, or its line number."""

SETTINGS: Final = (
    "system",
    "max_iterations",
    "max_tool_calls",
    "tool_choice",
    "max_tokens",
    "temperature",
    "seed",
    "tool_timeout",
    "run_timeout",
    "request_timeout",
)
"""The run settings a line may set for itself."""

_SHOWN_PROBLEMS: Final = 20
_CHOICES: Final = ("auto", "none", "required")


@dataclass(frozen=True, slots=True)
class Line:
    """One checked line of a batch's input: a conversation to run.

    Attributes:
        number: Its line number in the file (from 1).
        id: Its ``id``, or its line number.
        prompt: The user's message, if given.
        messages: The conversation before the prompt.
        settings: The run settings the line sets (names from `SETTINGS`).
        metadata: Its ``metadata``, copied to its output.
        run_id: The id of its run in the batch's run store, given by the batch (not read
            from the input) before the line is handed out, so a retry carries it too.
    """

    number: int
    id: LineId
    prompt: str | None = None
    messages: tuple[Message, ...] = ()
    settings: Mapping[str, Any] = field(default_factory=lambda: {})
    metadata: Any = None
    run_id: str | None = None


def id_key(line_id: Any) -> str:
    """The key a line's id is compared by: its JSON text (``7`` and ``"7"`` differ)."""
    return json.dumps(line_id, ensure_ascii=False)


def read_lines(path: str | Path, tool_names: Sequence[str] = ()) -> list[Line]:
    """Read and check every line of a batch's input (see the module's doc).

    Args:
        path: The JSON Lines file.
        tool_names: The tools the batch offers: a ``tool_choice`` must name one of them.

    Raises:
        ConfigurationError: The file cannot be read, or lines are wrong; the message
            names each problem's file and line (the first 20 of them, and how many more).
    """
    schema = _line_schema()
    lines: list[Line] = []
    problems: list[str] = []
    seen: dict[str, int] = {}
    for number, text in _numbered(path):
        if not text.strip():
            continue
        try:
            line = _checked(number, text, schema, tool_names)
        except _LineProblem as e:
            problems.extend(f"{path} line {number}: {problem}" for problem in e.problems)
            continue
        key = id_key(line.id)
        first = seen.setdefault(key, number)
        if first != number:
            problems.append(
                f"{path} line {number}: id {key} is also the id of line {first}. Give each "
                "line its own id (a rerun finds a line's output by it)."
            )
            continue
        lines.append(line)
    if problems:
        more = len(problems) - _SHOWN_PROBLEMS
        shown = problems[:_SHOWN_PROBLEMS] + ([f"... and {more} more"] if more > 0 else [])
        msg = "The batch's input has problems; nothing was run:\n" + "\n".join(shown)
        raise ConfigurationError(msg)
    return lines


class _LineProblem(Exception):
    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


def _numbered(path: str | Path) -> Iterator[tuple[int, str]]:
    try:
        with Path(path).open(encoding="utf-8") as file:
            yield from enumerate(file, start=1)
    except FileNotFoundError:
        msg = f"No such file: {path}. Pass a JSON Lines file, one conversation per line."
        raise ConfigurationError(msg) from None
    except (OSError, UnicodeDecodeError) as e:
        msg = f"{path} cannot be read ({e}). Pass a UTF-8 JSON Lines file."
        raise ConfigurationError(msg) from e


def _checked(number: int, text: str, schema: type[BaseModel], tool_names: Sequence[str]) -> Line:
    from pydantic import ValidationError

    try:
        data = json.loads(text)
    except ValueError as e:
        raise _LineProblem([f"not JSON ({e})"]) from None
    if not isinstance(data, dict):
        problem = f"a line is a JSON object, not {type(data).__name__} ({text.strip()[:40]})"
        raise _LineProblem([problem])
    fields = cast("dict[str, Any]", data)
    problems: list[str] = []
    wrong: set[object] = set()  # the fields that failed validation: left out of what follows
    try:
        values = schema.model_validate(fields).model_dump(exclude_unset=True)
    except ValidationError as e:
        errors = e.errors()
        problems.extend(_problem(error) for error in errors)
        wrong = {error["loc"][0] for error in errors if error["loc"]}
        values = {name: value for name, value in fields.items() if name not in wrong}
    line_id = values.pop("id", number)
    if isinstance(line_id, bool) or not isinstance(line_id, str | int):
        problems.append(f"id must be a string or an integer (got {line_id!r})")
    messages = _messages(values.pop("messages", None) or [], problems)
    prompt = values.pop("prompt", None)
    answerable = prompt is not None or (
        messages and isinstance(messages[-1], UserMessage | ToolResult)
    )
    if not answerable and not {"prompt", "messages"} & wrong:
        problems.append(
            'nothing to answer: give "prompt", or "messages" ending with the user\'s turn'
        )
    choice = values.get("tool_choice")
    if isinstance(choice, str) and choice not in _CHOICES and choice not in tool_names:
        names = ", ".join(tool_names) or "none"
        problems.append(
            f"tool_choice {choice!r} is neither auto, none, required nor a tool (tools: {names})"
        )
    if problems:
        raise _LineProblem(problems)
    metadata = values.pop("metadata", None)
    return Line(number, line_id, prompt, tuple(messages), values, metadata)


def _messages(given: list[Any], problems: list[str]) -> list[Message]:
    from switchboard.runs.codec import message_from_json

    messages: list[Message] = []
    for index, item in enumerate(given):
        where = f"messages[{index}]"
        if isinstance(item, dict) and "type" in item:
            try:
                messages.append(message_from_json(item, where))
            except RunStateError as e:
                problems.append(str(e))
            continue
        message = _chat_message(cast("dict[str, Any]", item) if isinstance(item, dict) else None)
        if message is None:
            problems.append(
                f'{where} is not a message: write {{"role": "user", "content": "..."}} '
                "(role system, user or assistant) or a message as the output writes them"
            )
        else:
            messages.append(message)
    return messages


def _chat_message(item: dict[str, Any] | None) -> Message | None:
    if item is None or set(item) != {"role", "content"} or not isinstance(item["content"], str):
        return None
    content: str = item["content"]
    role = item["role"]
    if role == "user":
        return UserMessage(content)
    if role == "system":
        return SystemMessage(content)
    if role == "assistant":
        return AssistantTurn(text=content)
    return None


def _problem(error: Mapping[str, Any]) -> str:
    where = ".".join(str(part) for part in error["loc"]) or "the line"
    if error["type"] == "extra_forbidden":
        allowed = ", ".join(["id", "prompt", "messages", *SETTINGS, "metadata"])
        return f"unknown field {where!r} (a line may have: {allowed})"
    return f"{where}: {error['msg']} (got {error['input']!r:.60})"


_SCHEMA: list[type[BaseModel]] = []


def _line_schema() -> type[BaseModel]:
    """The Pydantic model of a line, made on first use (pydantic loads only for a batch)."""
    if _SCHEMA:
        return _SCHEMA[0]
    from pydantic import BaseModel, ConfigDict, Field

    class BatchLine(BaseModel):
        model_config = ConfigDict(extra="forbid", strict=True)

        id: Any = None
        prompt: str | None = None
        messages: list[Any] | None = None
        system: str | None = None
        max_iterations: int = Field(default=10, ge=1)
        max_tool_calls: int | None = Field(default=None, ge=0)
        tool_choice: str = "auto"
        max_tokens: int | None = Field(default=None, ge=1)
        temperature: float | None = Field(default=None, ge=0)
        seed: int | None = None
        tool_timeout: float | None = Field(default=None, gt=0)
        run_timeout: float | None = Field(default=None, gt=0)
        request_timeout: float | None = Field(default=None, gt=0)
        metadata: Any = None

    _SCHEMA.append(BatchLine)
    return BatchLine
