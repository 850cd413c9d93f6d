"""A model request as a run store records it, and the part of a message the model reads.

A step's request is stored as JSON (`request_json`)::

    {"messages": [...], "tools": [[name, schema_hash], ...], "tool_choice": ..., "settings": {...}}

``messages`` holds the codec form of the messages added since the step before (for a run's
first step, its whole opening: the system message and the prompt or history), so the
conversation a step sent is the concatenation of the ``messages`` of its run's steps up to
it. ``tools`` names each tool offered with the `schema_hash` of its parameters. ``settings``
holds the sampling settings (`ModelSettings`' fields) and ``parallel_tool_calls`` and
``strict``.

`sent_form` keeps of a message's codec form what is sent to the model, for comparing two
conversations: a tool result's ``duration`` differs from run to run and its ``value``,
``error_kind`` and ``repaired`` never reach the model.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping, Sequence
from typing import Any, Final

from switchboard.providers.base import ModelRequest
from switchboard.runs.codec import message_to_json
from switchboard.runs.state import schema_hash
from switchboard.tools.tool import Tool

__all__ = ["request_json", "sent_form", "settings_json", "tool_digests"]

# What of a tool result the model reads; every other message is sent whole.
_RESULT_SENT: Final = ("type", "call_id", "name", "content", "is_error")


def tool_digests(tools: Sequence[Tool]) -> list[list[str]]:
    """Each tool's name and the `schema_hash` of its parameters, in the order offered."""
    return [[tool.name, schema_hash(tool.parameters)] for tool in tools]


def settings_json(request: ModelRequest) -> dict[str, Any]:
    """The request's sampling settings, ``parallel_tool_calls`` and ``strict``, as JSON."""
    settings = request.settings
    fields = {field.name: getattr(settings, field.name) for field in dataclasses.fields(settings)}
    return {**fields, "parallel_tool_calls": request.parallel_tool_calls, "strict": request.strict}


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
        "tool_choice": request.tool_choice,
        "settings": settings_json(request),
    }


def sent_form(message: Mapping[str, Any]) -> dict[str, Any]:
    """What of a message's codec form is sent to the model (see the module's doc)."""
    if message.get("type") == "tool_result":
        return {key: message.get(key) for key in _RESULT_SENT}
    return dict(message)
