"""Tool schemas to a GBNF grammar that admits only valid calls: pure, no model needed.

A call is written as JSON: ``{"name": "<tool>", "arguments": {...}}``, or with parallel
calls allowed a list of those. The grammar is llama.cpp's JSON-Schema-to-grammar
conversion of a schema that is a ``oneOf`` over the offered tools, each with its name as a
``const`` and its own parameters schema as ``arguments``. Under ``"auto"`` the root also
admits plain text, provided its first character is not ``{``, ``[`` or whitespace, so that
a reply is either a valid call or an answer, never a broken call.

Keywords the conversion cannot enforce are listed by `grammar_issues` (and
`Tool.local_issues`); `grammar_schema` drops the ones it would reject, so the grammar is
built for every tool and those tools fall back to validate-and-retry.
"""

from __future__ import annotations

import copy
import functools
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, cast

CallShape = tuple[bool, bool]
"""(text allowed, several calls allowed): what the root of a grammar admits."""

# Enforced by llama.cpp's converter (llama_cpp/llama_grammar.py, SchemaConverter.visit).
_ENFORCED_FORMATS: Final = frozenset({"date", "time", "date-time", "uuid"})

# Read by the converter only to the extent noted; anything else in this set is ignored.
_IGNORED_KEYWORDS: Final[Mapping[str, str]] = {
    "minimum": "numeric bounds are not enforced",
    "maximum": "numeric bounds are not enforced",
    "exclusiveMinimum": "numeric bounds are not enforced",
    "exclusiveMaximum": "numeric bounds are not enforced",
    "multipleOf": "multipleOf is not enforced",
    "uniqueItems": "uniqueItems is not enforced",
    "minProperties": "object sizes are not enforced",
    "maxProperties": "object sizes are not enforced",
    "not": "'not' is not enforced",
    "if": "if/then/else is not enforced",
    "dependentRequired": "dependentRequired is not enforced",
    "dependentSchemas": "dependentSchemas is not enforced",
    "propertyNames": "propertyNames is not enforced",
    "patternProperties": "patternProperties is not enforced",
    "contains": "contains is not enforced",
    "unevaluatedProperties": "unevaluatedProperties is not enforced",
    "unevaluatedItems": "unevaluatedItems is not enforced",
    "oneOf": "oneOf is decoded as anyOf (one branch or more may match)",
    "allOf": "allOf is decoded as the union of its branches' properties only",
}

_ANY_VALUE: Final = ("string", "number", "boolean", "object", "array", "null")

# GBNF for the answer branch of "auto": text whose first character cannot open a call.
_TEXT_RULES: Final = "text ::= [^{[ \\t\\n\\r] [^\\x00]*\n"


def grammar_issues(schema: Mapping[str, Any], path: str = "") -> list[str]:
    """The parts of a JSON Schema that the call grammar does not enforce.

    Args:
        schema: A tool's parameters schema (or any node of one).
        path: The node's JSON pointer, for the messages.

    Returns:
        One line per issue, e.g. ``"/properties/age: numeric bounds are not enforced"``;
        empty when every valid output of the grammar is valid against the schema.

    Example:
        >>> grammar_issues({"type": "object", "properties": {"n": {"type": "integer",
        ...     "minimum": 1}}})
        ['/properties/n: numeric bounds are not enforced']
    """
    issues: list[str] = []
    where = path or "/"
    for key, why in _IGNORED_KEYWORDS.items():
        if key in schema and why not in (i.split(": ", 1)[1] for i in issues):
            issues.append(f"{where}: {why}")
    fmt = schema.get("format")
    if isinstance(fmt, str) and not _format_enforced(schema, fmt):
        issues.append(f"{where}: format {fmt!r} is not enforced")
    pattern = schema.get("pattern")
    if isinstance(pattern, str) and not _pattern_enforced(pattern):
        issues.append(f"{where}: pattern {pattern!r} is not enforced (only ^...$ patterns are)")
    elif (pattern is not None or fmt in _ENFORCED_FORMATS) and (
        "minLength" in schema or "maxLength" in schema
    ):
        issues.append(f"{where}: string lengths are not enforced beside pattern or format")
    for key, child in _children(schema, path):
        issues.extend(grammar_issues(child, key))
    return issues


def grammar_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a parameters schema in the form llama.cpp's converter accepts.

    Patterns it cannot translate are dropped (they are enforced by validation instead),
    and a node with no type and no structure (BFCL's "any") becomes a union of every JSON
    type, which the converter would otherwise reject.
    """
    definitions = _as_node(schema.get("$defs") or schema.get("definitions"))
    node = _inlined(dict(schema), definitions, ())
    node.pop("$defs", None)
    node.pop("definitions", None)
    return _accepted(node)


def call_schema(
    tools: Sequence[tuple[str, Mapping[str, Any]]], *, parallel: bool
) -> dict[str, Any]:
    """The JSON Schema of one call (or a list of calls) of the given tools.

    Args:
        tools: (name, parameters schema) of each tool the call may name.
        parallel: Also admit a non-empty list of calls.
    """
    branches = [
        {
            "type": "object",
            "properties": {"name": {"const": name}, "arguments": grammar_schema(parameters)},
            "required": ["name", "arguments"],
        }
        for name, parameters in tools
    ]
    one: dict[str, Any] = branches[0] if len(branches) == 1 else {"oneOf": branches}
    if not parallel:
        return one
    return {"oneOf": [one, {"type": "array", "items": one, "minItems": 1}]}


@functools.lru_cache(maxsize=64)
def call_grammar(tools_key: str, *, text: bool, parallel: bool) -> str:
    """The GBNF grammar of a reply, cached per tool set and shape.

    Args:
        tools_key: `tools_key` of the tools the reply may call.
        text: Also admit plain text (``tool_choice="auto"``).
        parallel: Admit a list of calls as well as one call.

    Returns:
        GBNF text whose ``root`` rule admits the reply.
    """
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    pairs = cast("list[tuple[str, dict[str, Any]]]", [tuple(t) for t in json.loads(tools_key)])
    gbnf = json_schema_to_gbnf(json.dumps(call_schema(pairs, parallel=parallel)))
    if not text:
        return gbnf
    renamed = re.sub(r"^root ::=", "call ::=", gbnf, count=1, flags=re.MULTILINE)
    return f"root ::= call | text\n{renamed.rstrip()}\n{_TEXT_RULES}"


def tools_key(tools: Sequence[tuple[str, Mapping[str, Any]]]) -> str:
    """A canonical text of (name, parameters) pairs: the cache key of `call_grammar`."""
    return json.dumps([[name, parameters] for name, parameters in tools], sort_keys=True)


def _format_enforced(schema: Mapping[str, Any], fmt: str) -> bool:
    if "pattern" in schema:
        return False
    return fmt in _ENFORCED_FORMATS or bool(re.fullmatch(r"uuid[1-5]?", fmt))


def _pattern_enforced(pattern: str) -> bool:
    if not (pattern.startswith("^") and pattern.endswith("$")):
        return False
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    try:
        json_schema_to_gbnf(json.dumps({"type": "string", "pattern": pattern}))
    except (AssertionError, ValueError, KeyError, IndexError):
        return False
    return True


def _inlined(node: Any, definitions: Mapping[str, Any], seen: tuple[str, ...]) -> Any:
    """The node with each local ``$ref`` replaced by a copy of its definition.

    The call schema nests each tool's parameters under ``arguments``, where their
    ``#/$defs/...`` references would no longer resolve. A recursive reference (which no
    finite grammar from this converter can expand) becomes an unconstrained value.
    """
    if isinstance(node, list):
        return [_inlined(item, definitions, seen) for item in cast("list[Any]", node)]
    if not isinstance(node, dict):
        return copy.deepcopy(node)
    mapping = cast("dict[str, Any]", node)
    ref = mapping.get("$ref")
    if isinstance(ref, str):
        name = ref.rsplit("/", 1)[-1]
        if name in seen or name not in definitions:
            return {k: v for k, v in mapping.items() if k != "$ref"}
        siblings = {k: v for k, v in mapping.items() if k != "$ref"}
        target = _inlined(definitions[name], definitions, (*seen, name))
        return {**target, **_inlined(siblings, definitions, seen)}
    return {key: _inlined(value, definitions, seen) for key, value in mapping.items()}


def _accepted(node: dict[str, Any]) -> dict[str, Any]:
    pattern = node.get("pattern")
    if isinstance(pattern, str) and not _pattern_enforced(pattern):
        del node["pattern"]
    for key in ("properties", "$defs", "definitions"):
        children = node.get(key)
        if isinstance(children, dict):
            mapping = cast("dict[str, Any]", children)
            node[key] = {name: _accepted(_as_node(sub)) for name, sub in mapping.items()}
    for key in ("items", "additionalProperties"):
        child = node.get(key)
        if isinstance(child, dict):
            node[key] = _accepted(_as_node(child))
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        children = node.get(key)
        if isinstance(children, list):
            node[key] = [_accepted(_as_node(sub)) for sub in cast("list[Any]", children)]
    if not _is_shaped(node):
        node["type"] = list(_ANY_VALUE)
    return node


def _is_shaped(node: Mapping[str, Any]) -> bool:
    """Whether the converter finds a rule for this node without guessing a type."""
    shaping = {"type", "$ref", "oneOf", "anyOf", "allOf", "const", "enum", "properties"}
    shaping |= {"items", "prefixItems", "pattern", "additionalProperties"}
    return bool(shaping & node.keys())


def _as_node(value: Any) -> dict[str, Any]:
    return cast("dict[str, Any]", value) if isinstance(value, dict) else {}


def _children(schema: Mapping[str, Any], path: str) -> list[tuple[str, Mapping[str, Any]]]:
    found: list[tuple[str, Any]] = []
    for key in ("properties", "$defs", "definitions"):
        children = schema.get(key)
        if isinstance(children, Mapping):
            mapping = cast("Mapping[str, Any]", children)
            found.extend((f"{path}/{key}/{name}", sub) for name, sub in mapping.items())
    for key in ("items", "additionalProperties"):
        found.append((f"{path}/{key}", schema.get(key)))
    for key in ("anyOf", "oneOf", "allOf", "prefixItems"):
        children = schema.get(key)
        if isinstance(children, list):
            items = cast("list[Any]", children)
            found.extend((f"{path}/{key}/{i}", sub) for i, sub in enumerate(items))
    return [
        (where, cast("Mapping[str, Any]", sub)) for where, sub in found if isinstance(sub, Mapping)
    ]
