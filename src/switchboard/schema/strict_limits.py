"""OpenAI strict mode's documented size limits, checked on a schema already made strict."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from switchboard.errors import StrictIssue
from switchboard.schema.nodes import (
    DEFINITION_KEYS,
    as_list,
    as_schema,
    definitions,
    pointer,
    subschemas,
)

# OpenAI Structured Outputs: supported schemas — the documented limits of one schema
# (https://platform.openai.com/docs/guides/structured-outputs#supported-schemas).
# The docs do not say how nesting is counted; the count here (objects inside the root
# object, $refs not followed) is the reading that refuses the fewest schemas.
MAX_OBJECT_PROPERTIES = 5_000
"""Object properties in the whole schema, definitions included."""
MAX_NESTING_DEPTH = 10
"""Levels of objects nested inside the root object."""
MAX_ENUM_VALUES = 1_000
"""Enum values across all enums."""
MAX_TOTAL_STRING_LENGTH = 120_000
"""Characters of all property names, definition names, enum values and const values."""
LARGE_ENUM_SIZE = 250
"""A string enum with more values than this is held to `MAX_LARGE_ENUM_STRING_LENGTH`."""
MAX_LARGE_ENUM_STRING_LENGTH = 15_000
"""Characters of all values of one string enum of more than `LARGE_ENUM_SIZE` values."""


def limit_issues(schema: Mapping[str, Any]) -> list[StrictIssue]:
    """The documented size limits ``schema`` (already strict) goes over."""
    issues: list[StrictIssue] = []
    properties = enum_values = characters = 0
    deepest: tuple[int, str] | None = None
    stack: list[tuple[object, str, int]] = [(schema, "", 0)]
    while stack:
        value, path, depth = stack.pop()
        node = as_schema(value)
        if node is None:
            continue
        is_object = "properties" in node
        if is_object and depth > MAX_NESTING_DEPTH and deepest is None:
            deepest = (depth, path)
        names = list(as_schema(node.get("properties")) or {})
        properties += len(names)
        characters += sum(map(len, names)) + sum(map(len, _definition_names(node)))
        enum = as_list(node.get("enum")) or ()
        enum_values += len(enum)
        lengths = [len(_text(v)) for v in enum]
        characters += sum(lengths) + (len(_text(node["const"])) if "const" in node else 0)
        if len(enum) > LARGE_ENUM_SIZE and all(isinstance(v, str) for v in enum):
            _check_large_enum(sum(lengths), len(enum), path, issues)
        children = [*subschemas(node, path), *definitions(node, path)]
        stack.extend(
            (child, child_path, depth + is_object) for child_path, child in reversed(children)
        )
    if deepest is not None:
        issues.append(
            StrictIssue(
                deepest[1],
                f"is an object nested {deepest[0]} levels deep; OpenAI strict mode allows "
                f"{MAX_NESTING_DEPTH}. Flatten the arguments.",
            )
        )
    _check_total(properties, MAX_OBJECT_PROPERTIES, "object properties", issues)
    _check_total(enum_values, MAX_ENUM_VALUES, "enum values", issues)
    _check_total(
        characters, MAX_TOTAL_STRING_LENGTH, "characters of names, enum and const values", issues
    )
    return issues


def _check_large_enum(length: int, count: int, path: str, issues: list[StrictIssue]) -> None:
    if length > MAX_LARGE_ENUM_STRING_LENGTH:
        issues.append(
            StrictIssue(
                pointer(path, "enum"),
                f"has {count} values of {length:,} characters in all; OpenAI strict mode allows "
                f"{MAX_LARGE_ENUM_STRING_LENGTH:,} in an enum of more than {LARGE_ENUM_SIZE} "
                "values. Use a plain string and check it in the tool.",
            )
        )


def _check_total(total: int, limit: int, what: str, issues: list[StrictIssue]) -> None:
    if total > limit:
        issues.append(
            StrictIssue(
                "",
                f"has {total:,} {what} in all; OpenAI strict mode allows {limit:,}. "
                "Split the tool, or drop or shorten parameters.",
            )
        )


def _definition_names(node: Mapping[str, Any]) -> list[str]:
    return [name for key in DEFINITION_KEYS for name in as_schema(node.get(key)) or {}]


def _text(value: object) -> str:
    return value if isinstance(value, str) else repr(value)
