"""A model request as a run store records it, and the part of a message the model reads.

A step's request is stored as JSON (`request_json`)::

    {"messages": [...], "tools": [[name, schema_hash], ...], "tool_choice": ...,
     "settings": {...}, "output": {"name": ..., "schema": schema_hash} | null}

``messages`` holds the codec form of the messages added since the step before (for a run's
first step, its whole opening: the system message and the prompt or history), so the
conversation a step sent is the concatenation of the ``messages`` of its run's steps up to
it. ``tools`` names each tool offered with the `schema_hash` of its parameters. ``settings``
holds the sampling settings (`ModelSettings`' fields) and ``parallel_tool_calls`` and
``strict``. ``output`` names the output type the answer was asked in (``Agent(output_type=)``)
with the `schema_hash` of its JSON Schema, or is ``null`` for a free-text answer; recordings
made before it was recorded have no ``output`` key.

`sent_form` keeps of a message's codec form what is sent to the model, for comparing two
conversations: a tool result's ``duration`` differs from run to run and its ``value``,
``error_kind`` and ``repaired`` never reach the model.
"""

from __future__ import annotations

import dataclasses
import weakref
from collections.abc import Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Final

from switchboard.providers.base import AllowedTools, ModelRequest, ModelSettings, ToolChoice
from switchboard.runs.codec import message_to_json
from switchboard.runs.state import schema_hash
from switchboard.tools.tool import Tool

if TYPE_CHECKING:
    from switchboard.output_schema import OutputSchema

__all__ = [
    "choice_from_json",
    "choice_to_json",
    "output_json",
    "request_json",
    "sent_form",
    "settings_json",
    "tool_digests",
    "tool_hashes",
]

# What of a tool result the model reads; every other message is sent whole.
_RESULT_SENT: Final = ("type", "call_id", "name", "content", "is_error")

_SETTINGS: Final = tuple(field.name for field in dataclasses.fields(ModelSettings))

# Each tool's schema (an output type's too) is hashed once, not at every step of every run.
_HASHES: weakref.WeakKeyDictionary[Tool, str] = weakref.WeakKeyDictionary()
# The last tools asked about and their pairs: the loop asks about the same tuple each run.
_last: tuple[object, tuple[tuple[str, str], ...]] = ((), ())


def tool_hashes(tools: Iterable[Tool]) -> tuple[tuple[str, str], ...]:
    """Each tool's name and `schema_hash` of its parameters, each hash made once per tool."""
    global _last
    if tools is _last[0]:
        return _last[1]
    pairs: list[tuple[str, str]] = []
    for tool in tools:
        pairs.append((tool.name, _digest(tool)))
    found = tuple(pairs)
    if isinstance(tools, tuple):  # immutable: safe to know again by identity
        _last = (tools, found)
    return found


def tool_digests(tools: Sequence[Tool]) -> list[list[str]]:
    """Each tool's name and the `schema_hash` of its parameters, in the order offered."""
    return [[name, digest] for name, digest in tool_hashes(tools)]


def settings_json(request: ModelRequest) -> dict[str, Any]:
    """The request's sampling settings, ``parallel_tool_calls`` and ``strict``, as JSON."""
    settings = request.settings
    fields = {name: getattr(settings, name) for name in _SETTINGS}
    return {**fields, "parallel_tool_calls": request.parallel_tool_calls, "strict": request.strict}


def output_json(output: OutputSchema[Any] | None) -> dict[str, str] | None:
    """The output type a request asks for, as recorded: its name and `schema_hash`, or ``None``."""
    if output is None:
        return None
    return {"name": output.name, "schema": _digest(output.tool)}


def _digest(tool: Tool) -> str:
    digest = _HASHES.get(tool)
    if digest is None:
        digest = _HASHES[tool] = schema_hash(tool.parameters)
    return digest


def request_json(request: ModelRequest, since: int = 0) -> dict[str, Any]:
    """The JSON form a run store records of ``request``.

    Args:
        request: The request sent to the model.
        since: How many of its messages the step before had sent: only those after are
            written (0 for a run's first step).
    """
    return {
        "messages": [message_to_json(m) for m in request.messages[since:]],
        "tools": tool_digests(request.tools),
        "tool_choice": choice_to_json(request.tool_choice),
        "settings": settings_json(request),
        "output": output_json(request.output),
    }


def sent_form(message: Mapping[str, Any]) -> dict[str, Any]:
    """What of a message's codec form is sent to the model (see the module's doc)."""
    if message.get("type") == "tool_result":
        return {key: message.get(key) for key in _RESULT_SENT}
    return dict(message)


def choice_to_json(choice: ToolChoice) -> str | dict[str, Any]:
    """A tool choice as JSON: a name, or ``{"allowed": [names], "required": bool}``.

    The form a `RunState` keeps and a stored request records.
    """
    if isinstance(choice, AllowedTools):
        return {"allowed": list(choice.names), "required": choice.required}
    return choice


def choice_from_json(choice: str | Mapping[str, Any]) -> ToolChoice:
    """The tool choice of `choice_to_json`'s form."""
    if isinstance(choice, str):
        return choice
    return AllowedTools(choice["allowed"], required=choice["required"])
