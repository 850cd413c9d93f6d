"""Anthropic strict tool use: the narrower subset it takes of an OpenAI strict schema.

Anthropic compiles a ``strict: true`` tool's schema into a grammar as OpenAI does, with the
same closed objects and required properties, but it lacks numeric bounds, ``maxItems``,
``minItems`` above 1, and recursive schemas
(https://docs.claude.com/en/docs/build-with-claude/structured-outputs#json-schema-limitations).
The bounds move into the description, as the Anthropic SDK's own ``transform_schema``
(``anthropic/lib/_parse/_transform.py``) does; recursion cannot be sent strict at all.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from switchboard.errors import SchemaDialectError
from switchboard.schema.nodes import as_list, as_schema, copy_json, find_ref_cycle
from switchboard.schema.notes import keyword_note, with_notes

_DESCRIBED = frozenset(
    {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf", "maxItems"}
)
_SCHEMA_MAPS = frozenset({"properties", "$defs", "definitions"})


def narrow_for_anthropic(schema: Mapping[str, Any], *, tool: str) -> dict[str, Any]:
    """``schema`` (the output of `make_strict`) as Anthropic's strict tool use takes it.

    Args:
        schema: A strict-mode schema; it is not changed.
        tool: The tool's name, for error messages.

    Raises:
        SchemaDialectError: The schema is recursive.
    """
    cycle = find_ref_cycle(schema)
    if cycle is not None:
        path, ref = cycle
        msg = (
            f"Tool {tool!r}: its parameters are recursive ({ref} refers back to itself at "
            f"{path}), and Anthropic's strict tool use does not support recursive schemas. "
            "Send this tool with strict=False, or give the recursive field a fixed depth."
        )
        raise SchemaDialectError(msg, tool=tool, dialect="anthropic", path=path)
    return _narrowed(schema)


def _narrowed(node: Mapping[str, Any]) -> dict[str, Any]:
    out: dict[str, Any] = {}
    notes: list[str] = []
    for key, value in node.items():
        named, sub, branches = as_schema(value), as_schema(value), as_list(value)
        if key in _DESCRIBED or (key == "minItems" and value not in (0, 1)):
            notes.append(keyword_note(key, value) or "")
        elif key in _SCHEMA_MAPS and named is not None:
            out[key] = {name: _narrowed(as_schema(s) or {}) for name, s in named.items()}
        elif key == "items" and sub is not None:
            out[key] = _narrowed(sub)
        elif key == "anyOf" and branches is not None:
            out[key] = [_narrowed(as_schema(b) or {}) for b in branches]
        else:
            out[key] = copy_json(value)
    described = with_notes(out, [n for n in notes if n])
    # A description the notes created goes where make_strict writes descriptions: after type.
    head = {k: described[k] for k in ("type", "description") if k in described}
    return {**head, **described}
