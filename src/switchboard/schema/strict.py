"""OpenAI strict mode ("Structured Outputs"): what stops a schema, and its strict form.

In strict mode the model's arguments always match the schema, but only a subset of JSON
Schema is accepted: every object closed (``additionalProperties: false``) with every
property required, and a short list of keywords. `make_strict` rewrites a neutral schema
into that subset — an optional property becomes a required one that may be ``null``, and
a keyword strict mode lacks is written into the description — and `drop_strict_nulls`
undoes the first rewrite on the arguments the model sends, so that defaults apply.

Reference: https://platform.openai.com/docs/guides/structured-outputs#supported-schemas
"""

from __future__ import annotations

import copy
from collections.abc import Mapping, Sequence
from typing import Any

from switchboard.errors import StrictIssue
from switchboard.schema.nodes import (
    DEFINITION_KEYS,
    accepts_null,
    as_list,
    as_schema,
    definitions,
    inferred_types,
    is_local_ref,
    pointer,
    resolve_ref,
    split_type_list,
    subschemas,
)
from switchboard.schema.notes import keyword_note, with_notes

# OpenAI Structured Outputs: supported schemas — the documented limits of one schema.
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

_TYPES = frozenset({"string", "number", "integer", "boolean", "object", "array", "null"})
_NULLABLE_BY_TYPE = frozenset({"string", "number", "integer", "boolean"})
_STRING_FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)
# The keywords strict mode takes, in the order `make_strict` writes them.
_KEY_ORDER = (
    "type",
    "title",
    "description",
    "enum",
    "const",
    "anyOf",
    "$ref",
    "properties",
    "required",
    "additionalProperties",
    "items",
    "minItems",
    "maxItems",
    "pattern",
    "format",
    "minimum",
    "exclusiveMinimum",
    "maximum",
    "exclusiveMaximum",
    "multipleOf",
    "$defs",
    "definitions",
)
# Keywords strict mode takes whose values hold no subschema: copied as they are.
_COPIED = frozenset(
    {"enum", "const", "minItems", "maxItems", "pattern", "minimum", "exclusiveMinimum"}
    | {"maximum", "exclusiveMaximum", "multipleOf"}
)
# Keywords strict mode lacks whose meaning a sentence in the description keeps.
_DESCRIBED = frozenset(
    {"default", "examples", "minLength", "maxLength", "uniqueItems", "minProperties"}
    | {"maxProperties", "dependentRequired", "deprecated", "contentEncoding", "contentMediaType"}
)
# Keywords that only annotate: beside a `$ref` they add no constraint to merge.
_ANNOTATIONS = frozenset({"title", "description", "default", "examples", "deprecated"})
_FIX_DICT = "Use a model with named fields, or a list of {key, value} objects."
_FIX_TUPLE = "Use a list of one item type, or a model with named fields."
_FIX_CONDITION = "Use anyOf of the alternatives instead."
# Keywords whose constraint has no strict form and no sentence a model would reliably follow.
_BLOCKING = {
    "patternProperties": f"allows keys matching a pattern (patternProperties). {_FIX_DICT}",
    "propertyNames": f"constrains key names (propertyNames), as a dict does. {_FIX_DICT}",
    "prefixItems": f"is a tuple (prefixItems), which strict mode cannot express. {_FIX_TUPLE}",
    "additionalItems": f"is a tuple (additionalItems), which strict mode lacks. {_FIX_TUPLE}",
    "contains": "'contains' has no strict form. Say what the list must hold in the description.",
    "not": "'not' has no strict form. List the allowed values with enum or anyOf instead.",
    "if": f"conditional subschemas (if/then/else) have no strict form. {_FIX_CONDITION}",
    "then": f"conditional subschemas (if/then/else) have no strict form. {_FIX_CONDITION}",
    "else": f"conditional subschemas (if/then/else) have no strict form. {_FIX_CONDITION}",
    "dependentSchemas": f"dependentSchemas has no strict form. {_FIX_CONDITION}",
    "$dynamicRef": "dynamic references have no strict form. Use a $ref to a $defs entry.",
    "$recursiveRef": "dynamic references have no strict form. Use a $ref to a $defs entry.",
}
_CLOSED_BY_DEFAULT = frozenset({"unevaluatedProperties", "unevaluatedItems"})
# Every keyword this module acts on; any other carries no constraint and is dropped.
_MEANINGFUL = frozenset(
    {*_KEY_ORDER, *_DESCRIBED, *_BLOCKING, *_CLOSED_BY_DEFAULT, "oneOf", "allOf"}
) - {*DEFINITION_KEYS}
_MAX_REF_HOPS = 64


def strict_issues(schema: Mapping[str, Any]) -> tuple[StrictIssue, ...]:
    """Every reason ``schema`` has no OpenAI strict-mode form; empty when it has one.

    Args:
        schema: A JSON Schema for a tool's arguments (an object schema).

    Returns:
        Each offending node's JSON Pointer and what to change there, in document order.
    """
    return _convert(schema)[1]


def make_strict(schema: Mapping[str, Any]) -> dict[str, Any]:
    """The OpenAI strict-mode form of ``schema``; ``schema`` itself is left as it is.

    Every object gets ``additionalProperties: false`` and lists all its properties as
    required; an optional property that did not accept ``null`` now does (send the
    model's arguments through `drop_strict_nulls` to get the defaults back). ``oneOf``
    becomes ``anyOf``, a one-schema ``allOf`` and a ``$ref`` with annotations beside it
    are inlined, and keywords strict mode lacks (``default``, ``maxLength``...) move
    into the node's description.

    Example:
        >>> strict = make_strict(
        ...     {"type": "object", "properties": {"n": {"type": "integer", "default": 1}}}
        ... )
        >>> strict["properties"], strict["required"], strict["additionalProperties"]
        ({'n': {'type': ['integer', 'null'], 'description': 'Default: 1.'}}, ['n'], False)

    Raises:
        ValueError: ``schema`` has strict issues (see `strict_issues`); the message lists them.
    """
    converted, issues = _convert(schema)
    if issues:
        listed = "; ".join(str(issue) for issue in issues)
        msg = f"The schema has no OpenAI strict-mode form: {listed}"
        raise ValueError(msg)
    return converted


def drop_strict_nulls(arguments: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """Remove the ``null``s strict mode made a model send for parameters it left out.

    A property that is optional in ``schema`` and does not accept ``null`` there is
    dropped when its value is ``null``, at any depth (nested objects, arrays, ``$ref``s),
    so that its default applies. A ``null`` that ``schema`` accepts is kept.

    Args:
        arguments: The arguments the model sent, parsed from JSON.
        schema: The original (neutral) schema, not its strict form.

    Returns:
        A new dict; ``arguments`` is not changed.
    """
    node = _object_branch(_resolved(schema, schema), arguments, schema)
    return _restore_object(arguments, node, schema)


def _convert(schema: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[StrictIssue, ...]]:
    schema = _dereferenced_root(schema)
    root_problem = _root_problem(schema)
    if root_problem is not None:
        return {}, (StrictIssue("", root_problem),)
    conversion = _Conversion(schema)
    converted = conversion.schema(schema, "")
    return converted, (*conversion.issues, *_limit_issues(converted))


def _dereferenced_root(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """A root that is only a ``$ref`` (pydantic's form for a recursive model) as its target."""
    target = resolve_ref(schema, schema.get("$ref"))
    if target is None or set(schema) - {"$ref", *DEFINITION_KEYS, *_ANNOTATIONS}:
        return schema
    rest = {k: v for k, v in schema.items() if k != "$ref"}
    return {**{k: v for k, v in target.items() if k not in DEFINITION_KEYS}, **rest}


def _root_problem(schema: Mapping[str, Any]) -> str | None:
    type_ = schema.get("type")
    combinator = next((k for k in ("$ref", "anyOf", "oneOf") if k in schema), None)
    types = as_list(type_)
    if types is not None and "object" in types and len(types) > 1:
        return "the root may only be an object, not null or another type. Make it a plain object."
    if not (type_ in ("object", ["object"]) or (type_ is None and "properties" in schema)):
        what = f"a {combinator}" if type_ is None and combinator else _text(type_ or "untyped")
        return (
            f"the root must be an object schema, not {what}. "
            "Wrap the value in an object with one property."
        )
    if combinator is not None:
        return f"the root must be a plain object, without {combinator}. Move it into a property."
    return None


class _Conversion:
    """One run of `make_strict`: the converted schema and the issues found on the way."""

    def __init__(self, root: Mapping[str, Any]) -> None:
        self.root = root
        self.issues: list[StrictIssue] = []

    def flag(self, path: str, reason: str) -> None:
        self.issues.append(StrictIssue(path, reason))

    def schema(
        self, value: object, path: str, inlining: frozenset[str] = frozenset()
    ) -> dict[str, Any]:
        node = as_schema(value)
        if node is None:
            reason = _NOT_A_SCHEMA[value] if isinstance(value, bool) else "is not a schema object."
            self.flag(path, reason)
            return {}
        while "allOf" in node:
            node = self._merged_all_of(node, path)
        if "$ref" in node:
            return self._ref(node, path, inlining)
        branches_key = "oneOf" if "oneOf" in node and "anyOf" not in node else "anyOf"
        return self._typed(self._normalised(node, path), path, inlining, branches_key)

    def _merged_all_of(self, node: Mapping[str, Any], path: str) -> dict[str, Any]:
        entries = as_list(node["allOf"]) or ()
        rest = {k: v for k, v in node.items() if k != "allOf"}
        entry = as_schema(entries[0]) if len(entries) == 1 else None
        if entry is None:
            self.flag(
                pointer(path, "allOf"),
                f"allOf of {len(entries)} schemas has no strict form. Merge them into one schema.",
            )
            return rest
        self._flag_clashes(entry, rest, path, "allOf")
        return {**entry, **rest}

    def _ref(self, node: Mapping[str, Any], path: str, inlining: frozenset[str]) -> dict[str, Any]:
        ref = node["$ref"]
        target = resolve_ref(self.root, ref)
        if not is_local_ref(ref):
            self.flag(path, f"$ref {ref!r} points outside this schema. Put the target in $defs.")
            return {}
        if target is None:
            self.flag(path, f"$ref {ref!r} points to nothing in this schema.")
            return {}
        if ref != "#" and not any(ref.startswith(f"#/{k}/") for k in DEFINITION_KEYS):
            self.flag(path, f"$ref {ref!r} points into another schema. Move the target to $defs.")
            return {}
        siblings = {k: v for k, v in node.items() if k in _MEANINGFUL and k != "$ref"}
        # A recursive model whose self-reference has a description would inline forever:
        # there the reference stays and loses its annotations, as a $ref takes no siblings.
        if not siblings or ref in inlining:
            return {"$ref": ref}
        # Strict mode rejects keywords beside a $ref, so the target is inlined, as
        # openai-python's `to_strict_json_schema` does.
        self._flag_clashes(target, siblings, path, "$ref")
        inlined = {k: v for k, v in target.items() if k not in DEFINITION_KEYS}
        return self.schema({**inlined, **siblings}, path, inlining | {ref})

    def _flag_clashes(
        self, target: Mapping[str, Any], siblings: Mapping[str, Any], path: str, keyword: str
    ) -> None:
        clashes = sorted(
            k
            for k, v in siblings.items()
            if k in target and k not in _ANNOTATIONS and target[k] != v and k in _MEANINGFUL
        )
        if clashes:
            self.flag(
                path,
                f"{', '.join(clashes)} beside {keyword} differ from the target's; strict mode "
                "needs one schema. Merge them by hand.",
            )

    def _normalised(self, node: Mapping[str, Any], path: str) -> dict[str, Any]:
        out = dict(node)
        if "oneOf" in out and "anyOf" in out:
            self.flag(path, "combines anyOf and oneOf; strict mode takes one. Keep one of them.")
            del out["oneOf"]
        elif "oneOf" in out:
            # Exclusive or inclusive makes no difference for disjoint branches, which is what
            # pydantic's (discriminated) unions are.
            out["anyOf"] = out.pop("oneOf")
        if "type" not in out and "anyOf" not in out and (types := inferred_types(out)):
            out["type"] = types if len(types) > 1 else types[0]
        types = as_list(out.get("type"))
        if types is not None and len([t for t in types if t != "null"]) > 1 and "anyOf" not in out:
            return split_type_list(out)
        if types is not None and len(types) == 1:
            out["type"] = types[0]
        return out

    def _typed(
        self, node: Mapping[str, Any], path: str, inlining: frozenset[str], branches_key: str
    ) -> dict[str, Any]:
        out: dict[str, Any] = {}
        notes: list[str] = []
        type_ = node.get("type")
        if type_ is None and "anyOf" not in node:
            self.flag(path, "accepts any value (typing.Any, or no type); strict mode needs a type.")
        elif type_ is not None and "anyOf" in node:
            self.flag(
                path,
                "has both type and anyOf; strict mode takes one. Move the type into each branch.",
            )
        if type_ is not None:
            out["type"] = self._type(type_, path)
        for key, value in node.items():
            self._keyword(key, value, path, out, notes)
        if "anyOf" in node:
            out["anyOf"] = [
                self.schema(branch, pointer(path, branches_key, i), inlining)
                for i, branch in enumerate(as_list(node["anyOf"]) or ())
            ]
        types = as_list(type_) or (type_,)
        if "object" in types:
            self._object(node, path, inlining, out)
        if "array" in types:
            self._array(node, path, inlining, out)
        return _ordered(with_notes(out, notes))

    def _keyword(
        self, key: str, value: object, path: str, out: dict[str, Any], notes: list[str]
    ) -> None:
        if key in _BLOCKING:
            self.flag(pointer(path, key), _BLOCKING[key])
        elif key in _CLOSED_BY_DEFAULT and value is not False:
            self.flag(pointer(path, key), f"allows more than its declared members. {_FIX_DICT}")
        elif key in _DESCRIBED or (key == "format" and value not in _STRING_FORMATS):
            if (note := keyword_note(key, value)) is not None:
                notes.append(note)
        elif key in ("title", "description", "format") and isinstance(value, str):
            out[key] = value
        elif key in _COPIED:
            out[key] = copy.deepcopy(value)
        elif key in DEFINITION_KEYS and path:
            self.flag(pointer(path, key), "definitions must be at the root. Move them to $defs.")
        elif key in DEFINITION_KEYS:
            named = as_schema(value) or {}
            out[key] = {
                name: self.schema(sub, pointer(path, key, name)) for name, sub in named.items()
            }

    def _type(self, type_: object, path: str) -> object:
        names = as_list(type_) or (type_,)
        unknown = [n for n in names if n not in _TYPES]
        if unknown:
            self.flag(pointer(path, "type"), f"{unknown[0]!r} is not a JSON Schema type.")
        return list(names) if isinstance(type_, list) else type_

    def _object(
        self, node: Mapping[str, Any], path: str, inlining: frozenset[str], out: dict[str, Any]
    ) -> None:
        properties = as_schema(node.get("properties"))
        additional = node.get("additionalProperties")
        if additional is not None and additional is not False:
            self.flag(
                pointer(path, "additionalProperties"),
                "allows keys not named in properties (a dict[str, X] or free-form object); "
                f"strict mode needs additionalProperties: false. {_FIX_DICT}",
            )
        elif properties is None and additional is None:
            self.flag(path, f"is an object without properties (a free-form dict). {_FIX_DICT}")
        required = set(as_list(node.get("required")) or ())
        converted: dict[str, Any] = {}
        for name, sub in (properties or {}).items():
            strict_sub = self.schema(sub, pointer(path, "properties", name), inlining)
            optional = name not in required and not accepts_null(sub, self.root)
            converted[name] = _nullable(strict_sub) if optional else strict_sub
        out["properties"] = converted
        out["required"] = list(converted)
        out["additionalProperties"] = False

    def _array(
        self, node: Mapping[str, Any], path: str, inlining: frozenset[str], out: dict[str, Any]
    ) -> None:
        items = node.get("items")
        if "prefixItems" in node:
            return
        if as_list(items) is not None:
            self.flag(pointer(path, "items"), f"is a tuple (a list of item schemas). {_FIX_TUPLE}")
        elif items is None:
            self.flag(
                path, "is a list whose items may be anything; strict mode needs an item type."
            )
        else:
            out["items"] = self.schema(items, pointer(path, "items"), inlining)


_NOT_A_SCHEMA = {
    True: "accepts any value (the schema true); strict mode needs a type.",
    False: "accepts no value (the schema false). Remove the property.",
}


def _nullable(node: dict[str, Any]) -> dict[str, Any]:
    """``node`` widened to also accept ``null``, the way strict mode marks optional."""
    branches = as_list(node.get("anyOf"))
    if branches is not None:
        return {**node, "anyOf": [*branches, {"type": "null"}]}
    type_ = node.get("type")
    if type_ in _NULLABLE_BY_TYPE and "enum" not in node and "const" not in node:
        return {**node, "type": [type_, "null"]}
    annotations = {k: v for k, v in node.items() if k in ("title", "description")}
    inner = {k: v for k, v in node.items() if k not in annotations}
    return _ordered({**annotations, "anyOf": [inner, {"type": "null"}]})


def _ordered(node: Mapping[str, Any]) -> dict[str, Any]:
    rank = {key: i for i, key in enumerate(_KEY_ORDER)}
    return dict(sorted(node.items(), key=lambda item: rank.get(item[0], len(rank))))


def _limit_issues(schema: Mapping[str, Any]) -> list[StrictIssue]:
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


def _resolved(schema: object, root: Mapping[str, Any]) -> Mapping[str, Any] | None:
    """``schema`` with ``$ref``s and one-schema ``allOf``s followed to the node that decides."""
    node = as_schema(schema)
    for _ in range(_MAX_REF_HOPS):
        if node is None or "properties" in node or "items" in node:
            return node
        all_of = as_list(node.get("allOf"))
        if "$ref" in node:
            node = resolve_ref(root, node["$ref"])
        elif all_of is not None and len(all_of) == 1:
            node = as_schema(all_of[0])
        else:
            return node
    return node


def _object_branch(
    node: Mapping[str, Any] | None,
    value: Mapping[str, Any],
    root: Mapping[str, Any],
    depth: int = 0,
) -> Mapping[str, Any] | None:
    """The object schema among ``node`` and its union branches that ``value`` was written for."""
    branches = None if node is None else as_list(node.get("anyOf", node.get("oneOf")))
    if branches is None or depth > _MAX_REF_HOPS:
        return node
    options = [
        option
        for branch in branches
        if (option := _object_branch(_resolved(branch, root), value, root, depth + 1)) is not None
        and as_schema(option.get("properties")) is not None
    ]
    keys = set(value)
    exact = [o for o in options if keys == set(o["properties"])]
    covering = [o for o in options if keys <= set(o["properties"])]
    return next(iter(exact or covering), None)


def _array_branch(
    node: Mapping[str, Any] | None, root: Mapping[str, Any]
) -> Mapping[str, Any] | None:
    """The array schema among ``node`` and its union branches."""
    branches = None if node is None else as_list(node.get("anyOf", node.get("oneOf")))
    if branches is None:
        return node
    arrays = (b for b in (_resolved(b, root) for b in branches) if b is not None)
    return next((b for b in arrays if "items" in b or "prefixItems" in b), None)


def _restore(value: object, schema: object, root: Mapping[str, Any]) -> object:
    node = _resolved(schema, root)
    mapping, items = as_schema(value), as_list(value)
    if mapping is not None:
        return _restore_object(mapping, _object_branch(node, mapping, root), root)
    if items is not None:
        return _restore_array(items, _array_branch(node, root), root)
    return value


def _restore_object(
    value: Mapping[str, Any], node: Mapping[str, Any] | None, root: Mapping[str, Any]
) -> dict[str, Any]:
    node = node or {}
    properties = as_schema(node.get("properties")) or {}
    required = set(as_list(node.get("required")) or ())
    out: dict[str, Any] = {}
    for key, item in value.items():
        sub = properties[key] if key in properties else node.get("additionalProperties")
        if (
            item is None
            and key in properties
            and key not in required
            and not accepts_null(sub, root)
        ):
            continue
        out[key] = _restore(item, sub, root)
    return out


def _restore_array(
    items: Sequence[Any], node: Mapping[str, Any] | None, root: Mapping[str, Any]
) -> list[Any]:
    node = node or {}
    prefix = as_list(node.get("prefixItems")) or ()
    rest = node.get("items")
    return [
        _restore(item, prefix[i] if i < len(prefix) else rest, root) for i, item in enumerate(items)
    ]
