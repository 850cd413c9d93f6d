"""The results a reply answers, restated in short lines for the answer to begin with: pure.

A small model asked to answer from tool results often invents ("Paris is a city of
elegance... 25.3°C") or drops what the results say. With `LocalTechniques.restate`, an
answer to tool results must begin with them restated, one line per call, and the model
goes on from there (to compare, conclude, or say what failed)::

    Tokyo: temperature 18.0, unit celsius, sky clear.
    Berlin: failed, no weather station for 'Berlin'.

Each line starts with the call's argument values that the user's message names (what
was asked about; all of them if it names none), then the result: an object as ``key
value`` pairs (a value of the call's arguments left out), a list item by item, anything
else as it is; a tool's failure as its first sentence, since the rest of an error message
is written for the model to correct a call, not for the user. A call the model got wrong
(unknown tool, bad arguments) is left out: that is no answer to the user, and a repeated
call is said once.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, cast

from switchboard.messages import AssistantTurn, Message, ToolCall, ToolResult, UserMessage
from switchboard.providers.local.prompt import call_arguments

__all__ = ["cut_answer", "restatement", "sentences_within"]

_MAX_CHARS: Final = 600
"""A longer restatement is cut at a whole line: the answer needs room of its own."""

_ERROR_PREFIX: Final = re.compile(r"^(?:\w+ raised )?(?:[A-Z]\w*(?:Error|Exception)):\s*")

# Errors of the model's own making: no answer to the user.
_MODEL_ERRORS: Final = frozenset({"unknown_tool", "unparsable", "invalid"})
_FIRST_SENTENCE: Final = re.compile(r"^(.*?[.!?])(?:\s|$)", re.DOTALL)
_SENTENCE_END: Final = re.compile(r"[.!?](?=\s|$)")


def restatement(messages: Sequence[Message]) -> str:
    """The lines restating the results after the user's last message ("" if there are none).

    Example:
        >>> from switchboard.messages import AssistantTurn, ToolCall, ToolResult
        >>> call = ToolCall("c-0", "get_weather", '{"city": "Tokyo"}')
        >>> print(restatement([
        ...     AssistantTurn(tool_calls=(call,)),
        ...     ToolResult("c-0", "get_weather", '{"city": "Tokyo", "sky": "clear"}'),
        ... ]), end="")
        Tokyo: sky clear.
    """
    calls: dict[str, ToolCall] = {}
    results: list[ToolResult] = []
    asked = ""
    for message in messages:
        if isinstance(message, UserMessage):
            calls, results, asked = {}, [], message.content
        elif isinstance(message, AssistantTurn):
            calls.update((call.id, call) for call in message.tool_calls)
        elif isinstance(message, ToolResult):
            results.append(message)
    lines: list[str] = []
    said: set[tuple[str, str]] = set()
    size = 0
    for result in results:
        call = calls.get(result.call_id)
        key = (result.name, json.dumps(call_arguments(call) if call else None, sort_keys=True))
        if result.error_kind in _MODEL_ERRORS or key in said:
            continue
        said.add(key)
        line = _line(call, result, asked)
        size += len(line) + 1
        if size > _MAX_CHARS and lines:
            break
        lines.append(line)
    return "".join(f"{line}\n" for line in lines)


def sentences_within(text: str, start: int) -> str:
    """``text`` cut after its last sentence end at or past ``start`` (whole if none is)."""
    ends = [m.end() for m in _SENTENCE_END.finditer(text) if m.end() > start]
    return text[: ends[-1]] if ends else text


def cut_answer(text: str, lead: str) -> str:
    """An answer cut by the token limit, ended whole.

    It ends at its last sentence end past ``lead``, else where ``lead`` (the restatement,
    whole lines) ends.
    """
    whole = sentences_within(text, len(lead))
    return whole if whole != text else lead


def _line(call: ToolCall | None, result: ToolResult, asked: str) -> str:
    subject = _subject(call, result.name, asked)
    if result.is_error:
        reason = _ERROR_PREFIX.sub("", result.content.strip())
        first = _FIRST_SENTENCE.match(reason)
        reason = first.group(1) if first else reason
        return f"{subject}: failed, {_lower_first(reason.rstrip('.'))}."
    try:
        value = json.loads(result.content)
    except ValueError:
        value = result.content
    arguments = call_arguments(call) if call is not None else None
    body = _value(value, {_scalar(v).casefold() for v in (arguments or {}).values()})
    return f"{subject}: {body}." if body else f"{subject}: done."


def _subject(call: ToolCall | None, name: str, asked: str) -> str:
    arguments = call_arguments(call) if call is not None else None
    values = [_scalar(v) for v in (arguments or {}).values() if _is_scalar(v)]
    named = [v for v in values if re.search(rf"(?<!\w){re.escape(v)}(?!\w)", asked, re.I)]
    return ", ".join(named or values) or name


def _value(value: Any, said: set[str]) -> str:
    if isinstance(value, Mapping):
        pairs = cast("Mapping[str, Any]", value)
        parts = [
            f"{key} {_value(item, said)}"
            for key, item in pairs.items()
            if not (_is_scalar(item) and _scalar(item).casefold() in said)
        ]
        return ", ".join(parts)
    if isinstance(value, list):
        items = [_value(item, said) for item in cast("list[Any]", value)]
        return "; ".join(items) if items else "none"
    return _scalar(value)


def _is_scalar(value: Any) -> bool:
    return isinstance(value, str | int | float | bool) or value is None


def _scalar(value: Any) -> str:
    if isinstance(value, bool) or value is None:
        return json.dumps(value)
    return str(value)


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[1:2].islower() else text
