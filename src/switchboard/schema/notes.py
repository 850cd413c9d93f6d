"""Sentences that keep a dropped keyword's meaning in a schema node's ``description``.

A provider dialect that cannot take a keyword (``default``, ``maxLength``...) removes it;
the model can still follow it when it is written out, e.g. ``At most 10 characters.``.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any

from switchboard.schema.nodes import as_list, as_schema

# Notes that state the keyword's value as JSON, as its own text, or only when it is true.
_JSON_NOTES = {
    "minimum": "At least {}.",
    "maximum": "At most {}.",
    "exclusiveMinimum": "Greater than {}.",
    "exclusiveMaximum": "Less than {}.",
    "multipleOf": "A multiple of {}.",
    "pattern": "Matches the regular expression {}.",
    "example": "Example: {}.",
    "const": "Always {}.",
}
_TEXT_NOTES = {
    "format": "Format: {}.",
    "contentEncoding": "Encoded as {}.",
    "contentMediaType": "Media type: {}.",
}
_FLAG_NOTES = {"uniqueItems": "Items must be unique.", "deprecated": "Deprecated."}
_COUNTED = ("minLength", "maxLength", "minItems", "maxItems", "minProperties", "maxProperties")


def keyword_note(keyword: str, value: object) -> str | None:
    """The sentence that states ``keyword: value`` to a model, or ``None`` if it says nothing."""
    if keyword in _JSON_NOTES:
        return _JSON_NOTES[keyword].format(_json(value))
    if keyword in _TEXT_NOTES:
        return _TEXT_NOTES[keyword].format(value)
    if keyword in _FLAG_NOTES:
        return _FLAG_NOTES[keyword] if value is True else None
    if keyword in _COUNTED:
        return _count_note(keyword, value)
    match keyword:
        case "default":
            return None if value is None else f"Default: {_json(value)}."
        case "examples" | "enum":
            listed = ", ".join(_json(v) for v in as_list(value) or (value,))
            return f"{'Examples' if keyword == 'examples' else 'One of'}: {listed}."
        case "dependentRequired":
            return _dependent_required_note(as_schema(value) or {})
        case _:
            return None


def with_notes(node: Mapping[str, Any], notes: Iterable[str]) -> dict[str, Any]:
    """A copy of ``node`` whose ``description`` ends with ``notes``."""
    added = " ".join(notes)
    out = dict(node)
    if not added:
        return out
    description = node.get("description")
    if not isinstance(description, str) or not description.strip():
        out["description"] = added
        return out
    text = description.rstrip()
    out["description"] = f"{text}{'' if text[-1] in '.!?:' else '.'} {added}"
    return out


def _count_note(keyword: str, value: object) -> str:
    bound = "At least" if keyword.startswith("min") else "At most"
    noun = {"Length": "character", "Items": "item", "Properties": "property"}[keyword[3:]]
    plural = "properties" if noun == "property" else f"{noun}s"
    return f"{bound} {_json(value)} {noun if value == 1 else plural}."


def _dependent_required_note(dependencies: Mapping[str, Any]) -> str | None:
    sentences = [
        f"When {name!r} is set, {', '.join(repr(r) for r in as_list(required) or ())} must be too."
        for name, required in dependencies.items()
    ]
    return " ".join(sentences) or None


def _json(value: object) -> str:
    return json.dumps(value, ensure_ascii=False)
