"""What the user's own words settle, so that a small model does not have to: pure.

* `named_tools`: a message that names a tool's subject ("Tokyo weather?", "my todo
  list") narrows the tools its reply may call to those whose names share the most words
  with it; a message that names none leaves the choice to the model.
* `ground_choices`: a call whose argument is one of a fixed set of choices (an enum)
  takes the choice the message names, when it names exactly one of them and the model
  wrote another ("in Fahrenheit", and the model kept the default ``celsius``); arguments
  sharing one set of choices (``from_unit``, ``to_unit``) take the choices named in the
  message's order, when it names one per argument ("Convert 100 Fahrenheit to Celsius");
  and a number argument whose value the message does not hold takes the one number the
  message holds that no other argument has, when it fits the argument's type and bounds
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
from dataclasses import dataclass, replace
from typing import Any, Final, cast

from switchboard.messages import ToolCall
from switchboard.providers.local.clauses import clauses, opening_verb, stem, tool_for_verb
from switchboard.providers.local.prompt import call_arguments
from switchboard.providers.local.units import amount_before, converts_to, named_units, unit_of
from switchboard.routing.stopwords import STOPWORDS_EN_PLUS
from switchboard.routing.text import identifier_words
from switchboard.tools.tool import Tool

__all__ = [
    "formulas",
    "ground_choices",
    "ground_strings",
    "named_tools",
    "spans",
]

_WORD: Final = re.compile(r"[a-z0-9]+")
_STOPWORDS: Final = frozenset(STOPWORDS_EN_PLUS)
_QUOTED: Final = re.compile(r"(?<!\w)'([^'\n]{2,}?)'(?!\w)|\"([^\"\n]{2,}?)\"|“([^”\n]{2,}?)”")
_NUMBER: Final = r"\(*\s*-?\d+(?:\.\d+)?\s*\)*"
_FORMULA: Final = re.compile(rf"{_NUMBER}(?:\s*(?:\*\*|[-+*/%^])\s*{_NUMBER})+")
_NUMBER_WORD: Final = re.compile(r"(?<![\w.])-?\d+(?:\.\d+)?(?![\w.]*\d)")

# Arguments named for what a conversion gives: ``to_unit``, ``target_currency``.
_TARGET_KEY: Final = re.compile(r"(?:to|target|dest(?:ination)?|into|output)(?:_|$)")

# Words that tell of time ahead, in a message ("tomorrow", "next week", "will it rain") or
# in a tool's name and description ("forecast", "upcoming"); stemmed as `_stems` does.
_AHEAD: Final = frozenset(
    (
        *("tomorrow", "tonight", "next", "later", "will", "ll", "weekend", "week", "soon"),
        *("upcoming", "coming", "forecast", "ahead", "future", "predict", "prediction"),
        *("predicted", "day", "days"),
    )
)

# Where the object of a request's verb ends: "mark buy milk| as done", "add eggs| to my list".
_OBJECT_END: Final = re.compile(
    r"\s+(?:as\s+(?:done|complete|finished)|done|to|from|on|off|in|onto|into)\b", re.IGNORECASE
)
_DETERMINER: Final = re.compile(r"^\s*(?:the|my|our|a|an|this|that)\s+", re.IGNORECASE)

# Words of tool names that say what a tool does in general, not what it is about.
_GENERIC: Final = frozenset(
    (
        *("get", "set", "fetch", "find", "do", "make", "run", "tool", "current", "info"),
        *("data", "lookup", "look", "up", "query", "search", "the", "a", "an", "of", "for"),
        *("by", "to", "from"),
    )
)


def named_tools(tools: Sequence[Tool], message: str) -> list[Tool]:
    """The tools ``message`` asks for by name; all if it names none.

    A message that opens with a verb ("Mark 'Call mom' as done", "Remove ...") asks for
    the one tool whose name or description opens with that verb (``remove_todo``, "Mark
    an item as done."), when one does. Otherwise it asks for the tools whose names share the
    most words with it. Words are compared lower-case, a trailing plural ``s`` dropped; the
    generic words of tool names (``get``, ``fetch``...) do not count. A message that shares
    no word with any tool's name asks for the time it speaks of: the tools that tell of time
    ahead (a forecast) when it speaks of it ("tomorrow", "next week"), else the others
    ("Is it raining in Paris?" asks for the weather now).

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
    acting = tool_for_verb(tools, opening_verb(message))
    if acting is not None:
        return [acting]
    said = _stems(message)
    scores = [len(said & (_stems(identifier_words(t.name)) - _GENERIC)) for t in tools]
    best = max(scores, default=0)
    if best == 0:
        return _by_time(tools, said)
    return [t for t, score in zip(tools, scores, strict=True) if score == best]


def _by_time(tools: Sequence[Tool], said: set[str]) -> list[Tool]:
    """The tools for the time ``said`` asks about: ahead ("tomorrow") or now.

    Only when some of ``tools`` tell of time ahead ("Get a daily forecast") and some do
    not; else all of them.
    """
    ahead = [t for t in tools if _stems(f"{identifier_words(t.name)} {t.description}") & _AHEAD]
    now = [t for t in tools if t not in ahead]
    if not ahead or not now:
        return list(tools)
    return ahead if said & _AHEAD else now


def ground_choices(
    calls: Sequence[ToolCall], tools: Sequence[Tool], message: str
) -> tuple[ToolCall, ...]:
    """``calls``, with their choices and numbers set to what ``message`` names.

    Only top-level arguments change: those whose schema is an ``enum`` of strings and
    those of type ``integer`` or ``number`` (see the module's doc).
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
        _ground_numbers(changed, properties, message)
        _ground_enums(changed, properties, message)
        grounded.append(_rewritten(call, arguments, changed))
    return tuple(grounded)


def _ground_numbers(arguments: dict[str, Any], properties: Mapping[str, Any], message: str) -> None:
    """A number the message does not hold becomes the message's one free number."""
    numbers = [float(n) for n in _NUMBER_WORD.findall(message)]
    for key, schema in properties.items():
        value = arguments.get(key)
        kind = _type(schema)
        if kind not in ("integer", "number") or not _is_number(value) or value in numbers:
            continue
        taken = {v for k, v in arguments.items() if k != key and _is_number(v)}
        free = {n for n in numbers if n not in taken}
        if len(free) != 1:
            continue
        (number,) = free
        if (kind == "number" or number.is_integer()) and _within(schema, number):
            arguments[key] = int(number) if kind == "integer" or number.is_integer() else number


def _ground_enums(arguments: dict[str, Any], properties: Mapping[str, Any], message: str) -> None:
    """Enum arguments take the choices the message names (see `ground_choices`).

    Arguments that share one set of choices (``from_unit``, ``to_unit``) take the choices
    named, only when it names as many as there are arguments: the one it converts to ("to
    miles", "how many centimeters") goes to the argument named for a target (``to_...``),
    the others in the message's order. The amount the message gives with the unit it
    converts from ("5 km") goes to the tool's one number argument.
    """
    groups: dict[tuple[str, ...], list[str]] = {}
    for key, schema in properties.items():
        choices = _choices(schema)
        if len(choices) >= 2 and arguments.get(key) in choices:
            groups.setdefault(tuple(choices), []).append(key)
    for choices, keys in groups.items():
        named = _named_in_order(message, choices, len(keys))
        if len(named) != len(keys):
            continue
        targets = [n for n in named if n.target]
        target_keys = [k for k in keys if _TARGET_KEY.match(k)]
        if len(keys) == 1 or len(targets) != 1 or len(target_keys) != 1:
            arguments.update(zip(keys, [n.choice for n in named], strict=True))
            continue
        arguments[target_keys[0]] = targets[0].choice
        sources = [n for n in named if not n.target]
        arguments.update(
            zip([k for k in keys if k != target_keys[0]], [n.choice for n in sources], strict=True)
        )
        amounts = [n.amount for n in sources if n.amount is not None]
        numeric = [k for k, schema in properties.items() if _type(schema) in ("integer", "number")]
        if len(amounts) == 1 and len(numeric) == 1 and _within(properties[numeric[0]], amounts[0]):
            amount = amounts[0]
            if _type(properties[numeric[0]]) == "number" or amount.is_integer():
                arguments[numeric[0]] = int(amount) if amount.is_integer() else amount


@dataclass(frozen=True, slots=True)
class _Named:
    """A choice the message names, where, whether it converts to it, with what amount."""

    choice: str
    start: int
    target: bool
    amount: float | None


def _named_in_order(message: str, choices: Sequence[str], wanted: int) -> list[_Named]:
    """The choices ``message`` names, in its order.

    A choice is named by its own word, or as a unit by any name of it ("miles" for ``mi``,
    "°F" for ``fahrenheit``; see `switchboard.providers.local.units`) when its own words
    name fewer than ``wanted`` or several are wanted (a message may convert twice: "1 mile
    to km and 1 kg to pounds"). A choice too common to tell (``in``, one letter: the ``m``
    of "I'm") names nothing by its own word.
    """
    found: dict[str, _Named] = {}
    for choice in choices:
        if len(choice) < 2 or choice.casefold() in _STOPWORDS:
            continue
        hit = re.search(rf"(?<![\w'\u2019]){re.escape(choice)}(?!\w)", message, re.IGNORECASE)
        if hit is not None:
            target = converts_to(message[: hit.start()])
            amount = amount_before(message, hit.start())
            found[choice] = _Named(choice, hit.start(), target, amount)
    if len(found) < wanted or (wanted > 1 and found):
        mentions = named_units(message)
        by_unit = {unit_of(choice): choice for choice in choices} if mentions else {}
        for mention in mentions:
            choice = by_unit.get(mention.unit)
            if choice is not None and choice not in found and mention.unit:
                found[choice] = _Named(choice, mention.start, mention.target, mention.amount)
    return sorted(found.values(), key=lambda n: n.start)


def spans(message: str) -> list[str]:
    """The spans ``message`` sets apart: its quoted text if any, else its formulas."""
    quoted = [next(g for g in m.groups() if g) for m in _QUOTED.finditer(message)]
    return quoted or formulas(message)


def formulas(message: str) -> list[str]:
    """The arithmetic in ``message``: ``(12 + 8) * 3``, ``2 ** 10``, ``-5 + 12``."""
    return [_balanced(m.group().strip()) for m in _FORMULA.finditer(message)]


def ground_strings(
    calls: Sequence[ToolCall], tools: Sequence[Tool], message: str
) -> tuple[ToolCall, ...]:
    """``calls``, each string argument replaced by the span of ``message`` it stands for.

    A value that is a piece of one span, or holds one, becomes that span. A value the
    message does not hold at all (the model made it up: "Add a task to the todo list")
    becomes the first span, in the message's order, that no argument of ``calls`` has;
    not for an argument with fixed choices (``enum``, ``const``), whose values the message
    need not hold.

    Example:
        >>> call = ToolCall("c", "remove_todo", '{"title": "Remove pay rent"}')
        >>> ground_strings([call], [], "Remove 'Pay rent' from my list.")[0].arguments
        '{"title": "Pay rent"}'
    """
    found = spans(message)
    if not found:
        return _by_object(calls, tools, message)
    parsed = [call_arguments(call) for call in calls]
    related = [
        None if arguments is None else {k: _relate(v, found) for k, v in arguments.items()}
        for arguments in parsed
    ]
    used = _strings_held(related)
    unused = iter([span for span in found if _squeezed(span) not in used])
    fixed = {tool.name: _fixed_choices(tool) for tool in tools}
    said = _squeezed(message)
    grounded: list[ToolCall] = []
    for call, arguments, changed in zip(calls, parsed, related, strict=True):
        if arguments is None or changed is None:
            grounded.append(call)
            continue
        for key, value in changed.items():
            if key in fixed.get(call.name, ()) or not isinstance(value, str):
                continue
            if value.strip() and _squeezed(value) not in said:
                changed[key] = next(unused, value)
        grounded.append(_rewritten(call, arguments, changed))
    return _by_clause(tuple(grounded), tools, message)


def _by_object(
    calls: Sequence[ToolCall], tools: Sequence[Tool], message: str
) -> tuple[ToolCall, ...]:
    """``calls``, a piece of the object of the message's opening verb widened to all of it.

    "mark buy MILK done" opens with the verb of ``complete_todo`` ("Mark an item as
    done"): its object is "buy MILK", so ``complete_todo("Milk")`` becomes
    ``complete_todo("buy MILK")``. Only for a message that sets no span apart.
    """
    parts = clauses(message)
    tool = tool_for_verb(tools, parts[0].verb) if parts else None
    if tool is None:
        return tuple(calls)
    opening = message[parts[0].start : parts[0].end]
    verb = re.search(rf"\b{re.escape(parts[0].verb)}\w*\s+", opening, re.IGNORECASE)
    if verb is None:
        return tuple(calls)
    phrase = _OBJECT_END.split(opening[verb.end() :], maxsplit=1)[0]
    phrase = _DETERMINER.sub("", phrase).strip()
    fixed = _fixed_choices(tool)
    whole = _squeezed(phrase)
    grounded: list[ToolCall] = []
    for call in calls:
        arguments = call_arguments(call) if call.name == tool.name else None
        changed = dict(arguments or {})
        for key, value in changed.items():
            held = _squeezed(value) if isinstance(value, str) and key not in fixed else ""
            if held and held != whole and held in whole:
                changed[key] = phrase
        grounded.append(_rewritten(call, arguments, changed))
    return tuple(grounded)


def _by_clause(
    calls: tuple[ToolCall, ...], tools: Sequence[Tool], message: str
) -> tuple[ToolCall, ...]:
    """``calls``, each given the quoted span of its own tool's clause, not another's.

    "Add 'Book dentist', mark 'Call mom' as done": a call ``complete_todo("Book
    dentist")`` takes 'Call mom', the one span of the clause that asks for
    ``complete_todo`` that no call has, since 'Book dentist' is asked of ``add_todo``.
    """
    quoted = [(m.start(), next(g for g in m.groups() if g)) for m in _QUOTED.finditer(message)]
    if len(quoted) < 2 or not tools:
        return calls
    parts = clauses(message)
    asked: dict[str, str] = {}  # squeezed span -> the tool its clause asks for
    for start, span in quoted:
        clause = next((c for c in parts if c.start <= start < c.end), None)
        tool = None if clause is None else tool_for_verb(tools, clause.verb)
        if tool is not None:
            asked[_squeezed(span)] = tool.name
    parsed = [call_arguments(call) for call in calls]
    used = _strings_held(parsed)
    spans_of = {_squeezed(span): span for _, span in quoted}
    grounded: list[ToolCall] = []
    for call, arguments in zip(calls, parsed, strict=True):
        changed = dict(arguments or {})
        for key, value in changed.items():
            owner = asked.get(_squeezed(value)) if isinstance(value, str) else None
            if owner is None or owner == call.name:
                continue
            free = [s for s, name in asked.items() if name == call.name and s not in used]
            if len(free) == 1:
                changed[key] = spans_of[free[0]]
                used.add(free[0])
        grounded.append(_rewritten(call, arguments, changed))
    return tuple(grounded)


def _rewritten(
    call: ToolCall, arguments: Mapping[str, Any] | None, changed: Mapping[str, Any]
) -> ToolCall:
    """``call`` with the ``changed`` arguments, or as it was if nothing changed."""
    if arguments is None or changed == arguments:
        return call
    return replace(call, arguments=json.dumps(changed, ensure_ascii=False))


def _strings_held(arguments: Sequence[Mapping[str, Any] | None]) -> set[str]:
    """The string values of ``arguments``, squeezed (see `_squeezed`)."""
    return {_squeezed(v) for held in arguments if held for v in held.values() if isinstance(v, str)}


def _fixed_choices(tool: Tool) -> set[str]:
    """The tool's top-level arguments whose values are fixed choices."""
    properties = cast("Mapping[str, Any]", tool.parameters.get("properties", {}))
    return {
        key
        for key, schema in properties.items()
        if isinstance(schema, Mapping)
        and (
            "enum" in cast("Mapping[str, Any]", schema)
            or "const" in cast("Mapping[str, Any]", schema)
        )
    }


def _relate(value: Any, found: Sequence[str]) -> Any:
    return _span_for(value, found) if isinstance(value, str) else value


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
    return {stem(w) for w in words}


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


def _type(schema: Any) -> Any:
    return cast("Mapping[str, Any]", schema).get("type") if isinstance(schema, Mapping) else None


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _within(schema: Any, number: float) -> bool:
    bounds = cast("Mapping[str, Any]", schema)
    low, high = bounds.get("minimum"), bounds.get("maximum")
    return (not isinstance(low, int | float) or number >= low) and (
        not isinstance(high, int | float) or number <= high
    )
