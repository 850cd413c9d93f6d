"""Read a tool call's arguments as strict JSON, fast, when they are a clean object.

The tools' validators try this first on every call; what it refuses goes to the executor's
repairing parser (`switchboard.execution.arguments`), which also shares `may_repeat_keys`.
"""

from __future__ import annotations

from typing import Any

from pydantic_core import from_json


def load_json_object(text: str) -> dict[str, Any] | None:
    """The object that ``text`` is as strict JSON; None when it is anything else.

    The fast path of argument validation: None sends the text to the executor's
    `parse_arguments`, which repairs what it can and explains what it cannot (``NaN``, a
    repeated key).
    """
    try:
        value = from_json(text, allow_inf_nan=False)
    except (ValueError, TypeError):
        return None
    if value.__class__ is not dict:
        return None
    # may_repeat_keys inlined for the common flat object: this runs on every call.
    if text.count(":") != len(value) and may_repeat_keys(text, value):
        return None
    return value


def may_repeat_keys(text: str, value: Any) -> bool:
    """Whether ``text`` may hold a key twice in one object, which ``value`` would hide.

    Every key of the text is followed by a colon, so with as many colons as ``value`` has
    keys, none was dropped. Colons inside strings (times, URLs) make this say "maybe",
    and the caller checks the text key by key.
    """
    colons = text.count(":")
    if value.__class__ is dict and colons == len(value):
        return False
    return colons != _count_keys(value)


def _count_keys(value: Any) -> int:
    if value.__class__ is dict:
        items: list[Any] = list(value.values())
        count = len(items)
    elif value.__class__ is list:
        items = value
        count = 0
    else:
        return 0
    for item in items:
        if item.__class__ is dict or item.__class__ is list:
            count += _count_keys(item)
    return count
