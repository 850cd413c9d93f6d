"""What the user's own words settle, so that a small model does not have to: pure.

* `named_tools`: a message that names a tool's subject ("Tokyo weather?", "my todo
  list") narrows the tools its reply may call to those whose names share the most words
  with it; a message that names none leaves the choice to the model.
* `ground_choices`: a call whose argument is one of a fixed set of choices (an enum)
  takes the choice the message names, when it names exactly one of them and the model
  wrote another ("in Fahrenheit", and the model kept the default ``celsius``); and an
  integer argument whose value the message does not hold takes the one integer the
  message holds that no other argument has, when it is within the argument's bounds
  ("the 3-day forecast", and the model wrote ``days: 1``).
* `ground_strings`: a string argument that is a piece of a span the user set apart, or
  holds one (a quoted ``'Buy eggs'``, a formula ``(12 + 8) * 3``), becomes that span
  ("Remove pay rent" for ``'Pay rent'``, ``12 + 8`` for ``(12 + 8) * 3``); an empty
  one becomes the message's only such span.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import replace
from typing import Any, Final, cast

from switchboard.messages import ToolCall
from switchboard.routing.text import identifier_words
from switchboard.tools.tool import Tool

__all__ = [
    "call_arguments",
    "formulas",
    "ground_choices",
    "ground_strings",
    "named_tools",
    "spans",
]

_WORD: Final = re.compile(r"[a-z0-9]+")
_QUOTED: Final = re.compile(r"(?<!\w)'([^'\n]{2,}?)'(?!\w)|\"([^\"\n]{2,}?)\"|“([^”\n]{2,}?)”")
_NUMBER: Final = r"\(*\s*-?\d+(?:\.\d+)?\s*\)*"
_FORMULA: Final = re.compile(rf"{_NUMBER}(?:\s*(?:\*\*|[-+*/%^])\s*{_NUMBER})+")
_INTEGER: Final = re.compile(r"(?<![\w.])-?\d+(?![\w.]*\d)")

# Words of tool names that say what a tool does in general, not what it is about.
_GENERIC: Final = frozenset(
    (
        *("get", "set", "fetch", "find", "do", "make", "run", "tool", "current", "info"),
        *("data", "lookup", "look", "up", "query", "search", "the", "a", "an", "of", "for"),
        *("by", "to", "from"),
    )
)


def named_tools(tools: Sequence[Tool], message: str) -> list[Tool]:
    """The tools whose names share the most words with ``message``; all if none shares one.

    Words are compared lower-case, a trailing plural ``s`` dropped; the generic words of
    tool names (``get``, ``fetch``...) do not count.

    Example:
        >>> from switchboard import tool
        >>> @tool
        ... def get_weather(city: str) -> str:
        ...     "Weather now."
        ...     return city
        >>> @tool
        ... def get_forecast(city: str) -> str:
        ...     "Weather ahead."
        ...     return city
        >>> [t.name for t in named_tools([get_weather, get_forecast], "Tokyo weather?")]
        ['get_weather']
    """
    said = _stems(message)
    scores = [len(said & (_stems(identifier_words(t.name)) - _GENERIC)) for t in tools]
    best = max(scores, default=0)
    if best == 0:
        return list(tools)
    return [t for t, score in zip(tools, scores, strict=True) if score == best]


def ground_choices(
    calls: Sequence[ToolCall], tools: Sequence[Tool], message: str
) -> tuple[ToolCall, ...]:
    """``calls``, each argument with choices set to the one choice ``message`` names.

    Only a top-level argument whose schema is an ``enum`` of strings changes, and only
    when the message names exactly one of its choices (as a whole word, any case) and the
    call has another.
    """
    by_name = {t.name: t for t in tools}
    grounded: list[ToolCall] = []
    for call in calls:
        tool = by_name.get(call.name)
        arguments = call_arguments(call)
        if tool is None or arguments is None:
            grounded.append(call)
            continue
        changed = dict(arguments)
        properties = cast("Mapping[str, Any]", tool.parameters.get("properties", {}))
        numbers = {int(n) for n in _INTEGER.findall(message)}
        for key, schema in properties.items():
            if _is_integer(schema) and isinstance(changed.get(key), int):
                free = numbers - {v for k, v in changed.items() if k != key}
                if changed[key] not in numbers and len(free) == 1:
                    (number,) = free
                    if _within(cast("Mapping[str, Any]", schema), number):
                        changed[key] = number
                continue
            choices = _choices(schema)
            if len(choices) < 2:
                continue
            named = [c for c in choices if _names(message, c)]
            if len(named) == 1 and changed.get(key) in choices and changed[key] != named[0]:
                changed[key] = named[0]
        grounded.append(
            call
            if changed == arguments
            else replace(call, arguments=json.dumps(changed, ensure_ascii=False))
        )
    return tuple(grounded)


def spans(message: str) -> list[str]:
    """The spans ``message`` sets apart: its quoted text if any, else its formulas."""
    quoted = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(message)]
    return quoted or formulas(message)


def formulas(message: str) -> list[str]:
    """The arithmetic in ``message``: ``(12 + 8) * 3``, ``2 ** 10``, ``-5 + 12``."""
    return [_balanced(m.group().strip()) for m in _FORMULA.finditer(message)]


def ground_strings(calls: Sequence[ToolCall], message: str) -> tuple[ToolCall, ...]:
    """``calls``, each string argument replaced by the span of ``message`` it is a piece of.

    Example:
        >>> call = ToolCall("c", "remove_todo", '{"title": "Remove pay rent"}')
        >>> ground_strings([call], "Remove 'Pay rent' from my list.")[0].arguments
        '{"title": "Pay rent"}'
    """
    found = spans(message)
    if not found:
        return tuple(calls)
    grounded: list[ToolCall] = []
    for call in calls:
        arguments = call_arguments(call)
        if arguments is None:
            grounded.append(call)
            continue
        changed = {
            key: _span_for(value, found) if isinstance(value, str) else value
            for key, value in arguments.items()
        }
        grounded.append(
            call
            if changed == arguments
            else replace(call, arguments=json.dumps(changed, ensure_ascii=False))
        )
    return tuple(grounded)


def _span_for(value: str, found: Sequence[str]) -> str:
    """The one span ``value`` is a piece of or holds (spacing and case aside), else ``value``."""
    squeezed = _squeezed(value)
    if any(_squeezed(span) == squeezed for span in found):
        return value
    if not squeezed:
        return found[0] if len(found) == 1 else value
    related = [span for span in found if squeezed in _squeezed(span) or _squeezed(span) in squeezed]
    return related[0] if len(related) == 1 else value


def _squeezed(text: str) -> str:
    return "".join(text.split()).casefold()


def _balanced(formula: str) -> str:
    """A formula without the parentheses it does not open or close itself."""
    while formula.startswith("(") and formula.count("(") > formula.count(")"):
        formula = formula[1:].lstrip()
    while formula.endswith(")") and formula.count(")") > formula.count("("):
        formula = formula[:-1].rstrip()
    return formula


def _stems(text: str) -> set[str]:
    words = _WORD.findall(text.lower())
    return {w[:-1] if len(w) > 3 and w.endswith("s") else w for w in words}


def _choices(schema: Any) -> list[str]:
    if not isinstance(schema, Mapping):
        return []
    values = cast("Mapping[str, Any]", schema).get("enum")
    if not isinstance(values, list):
        return []
    choices = cast("list[Any]", values)
    return (
        [v for v in choices if isinstance(v, str)]
        if all(isinstance(v, str) for v in choices)
        else []
    )


def _is_integer(schema: Any) -> bool:
    return (
        isinstance(schema, Mapping) and cast("Mapping[str, Any]", schema).get("type") == "integer"
    )


def _within(schema: Mapping[str, Any], number: int) -> bool:
    low, high = schema.get("minimum"), schema.get("maximum")
    return (not isinstance(low, int | float) or number >= low) and (
        not isinstance(high, int | float) or number <= high
    )


def _names(message: str, choice: str) -> bool:
    return re.search(rf"(?<!\w){re.escape(choice)}(?!\w)", message, re.IGNORECASE) is not None


def call_arguments(call: ToolCall) -> dict[str, Any] | None:
    """A call's arguments as a dict; ``None`` when they are not a JSON object."""
    if isinstance(call.arguments, Mapping):
        return dict(call.arguments)
    try:
        value = json.loads(call.arguments)
    except ValueError:
        return None
    return cast("dict[str, Any]", value) if isinstance(value, dict) else None
