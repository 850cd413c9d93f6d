"""OpenAI strict mode ("Structured Outputs"): what stops a schema, and its strict form.

In strict mode the model's arguments always match the schema, but only a subset of JSON
Schema is accepted: every object closed (``additionalProperties: false``) with every
property required, and a short list of keywords. `make_strict` rewrites a neutral schema
into that subset — an optional property becomes a required one that may be ``null``, and
a keyword strict mode lacks is written into the description — and `drop_strict_nulls`
undoes the first rewrite on the arguments the model sends, so that defaults apply.

The size limits live in `switchboard.schema.strict_limits`, and `drop_strict_nulls` in
`switchboard.schema.strict_nulls` (it is importable from here too).

Reference: https://platform.openai.com/docs/guides/structured-outputs#supported-schemas
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any

from switchboard.errors import StrictIssue
from switchboard.schema.canonical import canonical_schema
from switchboard.schema.combine import Clash, distributed
from switchboard.schema.nodes import (
    DEFINITION_KEYS,
    TYPED_KEYWORDS,
    accepts_null,
    as_list,
    as_schema,
    copy_json,
    inferred_types,
    is_nothing,
    nothing,
    pointer,
    ref_problem,
    resolve_ref,
    split_type_list,
)
from switchboard.schema.notes import keyword_note, with_notes
from switchboard.schema.strict_limits import limit_issues
from switchboard.schema.strict_nulls import drop_strict_nulls as drop_strict_nulls

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


def _convert(schema: Mapping[str, Any]) -> tuple[dict[str, Any], tuple[StrictIssue, ...]]:
    schema = _dereferenced_root(canonical_schema(schema))
    root_problem = _root_problem(schema)
    if root_problem is not None:
        return {}, (StrictIssue("", root_problem),)
    conversion = _Conversion(schema)
    converted = conversion.schema(schema, "")
    return converted, (*conversion.issues, *limit_issues(converted))


def _dereferenced_root(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """A root that is only a ``$ref`` (pydantic's form for a recursive model) as its target."""
    target = resolve_ref(schema, schema.get("$ref"))
    if target is None or set(schema) - {"$ref", *DEFINITION_KEYS, *_ANNOTATIONS}:
        return schema
    rest = {k: v for k, v in schema.items() if k != "$ref"}
    return {**{k: v for k, v in target.items() if k not in DEFINITION_KEYS}, **rest}


def _root_problem(schema: Mapping[str, Any]) -> str | None:
    if is_nothing(schema):
        return _NOT_A_SCHEMA[False]
    type_ = schema.get("type")
    combinator = next((k for k in ("$ref", "anyOf", "oneOf") if k in schema), None)
    types = as_list(type_)
    if types is not None and "object" in types and len(types) > 1:
        return "the root may only be an object, not null or another type. Make it a plain object."
    if not (type_ in ("object", ["object"]) or (type_ is None and "properties" in schema)):
        what = f"type {json.dumps(type_)}" if type_ is not None else f"a {combinator or 'schema'}"
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
        if node is None or is_nothing(node):
            reason = _NOT_A_SCHEMA[value] if isinstance(value, bool) else "is not a schema object."
            self.flag(path, _NOT_A_SCHEMA[False] if is_nothing(value) else reason)
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
        if target is None:
            self.flag(path, ref_problem(ref))
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
        seen = len(self.issues)
        converted = self.schema({**inlined, **siblings}, path, inlining | {ref})
        # Issues inside the target are reported once, at its own place in $defs (or the root).
        self.issues[seen:] = [issue for issue in self.issues[seen:] if issue.path == path]
        return converted

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
        if "anyOf" in out:
            out = self._distributed(out, path)
            if is_nothing(out):
                return out
        if "type" not in out and "anyOf" not in out and (types := inferred_types(out)):
            out["type"] = types if len(types) > 1 else types[0]
        types = as_list(out.get("type"))
        if types is not None and len([t for t in types if t != "null"]) > 1 and "anyOf" not in out:
            return split_type_list(out)
        if types is not None and len(types) == 1:
            out["type"] = types[0]
        return out

    def _distributed(self, node: dict[str, Any], path: str) -> dict[str, Any]:
        """Move type keywords beside anyOf into its branches; drop branches that are false."""
        branches = as_list(node["anyOf"]) or ()
        kept = [b for b in branches if not is_nothing(b)]
        if not kept:
            return nothing()
        node = {**node, "anyOf": kept} if len(kept) < len(branches) else node
        try:
            return dict(distributed(node, self.root))
        except Clash as clash:
            self.flag(
                path,
                f"{', '.join(clash.keywords)} beside anyOf differ from a branch's; strict mode "
                "needs one schema per branch. Merge them into each branch by hand.",
            )
            return {k: v for k, v in node.items() if k not in TYPED_KEYWORDS}

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
            out[key] = copy_json(value)
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
        elif properties is None and additional is None and path:
            # The root is exempt: a bare {"type": "object"} is how tools without parameters
            # are commonly written (MCP servers, hand-written schemas). An explicitly empty
            # "properties" is read as an object with no fields: it is what Pydantic emits
            # for a model without fields, whose extra keys are ignored anyway.
            self.flag(path, f"is an object without properties (a free-form dict). {_FIX_DICT}")
        listed = [r for r in as_list(node.get("required")) or () if isinstance(r, str)]
        required = set(listed)
        undeclared = [name for name in listed if name not in (properties or {})]
        if undeclared:
            self.flag(path, _undeclared(undeclared))
        converted: dict[str, Any] = {}
        for name, sub in (properties or {}).items():
            if name not in required and is_nothing(sub):
                continue  # never to be sent: the closed object already forbids it
            strict_sub = self.schema(sub, pointer(path, "properties", name), inlining)
            # The strict form's own reading decides: {"items": ...} is an array there.
            optional = name not in required and not accepts_null(sub, self.root, implied_types=True)
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
    False: "accepts no value (the schema false). Remove it.",
}


def _undeclared(names: list[str]) -> str:
    listed = ", ".join(repr(name) for name in names)
    one = len(names) == 1
    return (
        f"requires {listed}, which {'is' if one else 'are'} not in its properties: strict mode "
        f"closes the object, so {'it' if one else 'they'} could never be sent. "
        f"Declare {'it' if one else 'them'} in properties."
    )


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
