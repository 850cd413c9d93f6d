"""llama.cpp's JSON-Schema-to-grammar dialect: the form its converter reads as meant.

The local model's call grammar comes from llama.cpp's converter
(``llama_cpp.llama_grammar.SchemaConverter``), which reads a subset of JSON Schema, some
of it in its own way: a union drops the keywords beside it, a type list drops every other
keyword, ``{}`` is read as an object, ``additionalProperties: true`` takes objects only,
``prefixItems`` beside ``items`` is ignored, a required name without a property can never
be written. `to_llama_schema` rewrites a schema into the form the converter reads as
meant, and lists in ``issues`` what the grammar cannot enforce (numeric bounds, ``not``...),
so that the provider validates those calls after decoding.

The grammar writes what the other dialects send: an object closes over the keys it names
(one that names none, without ``additionalProperties``, takes any keys), and a tuple writes
its positions (see `switchboard.schema.nodes.tuple_shape`). Recursive references become
``$ref``s to the returned ``definitions``, which the converter turns into recursive rules.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Final

from switchboard.schema.canonical import canonical_schema
from switchboard.schema.combine import Clash, distributed, merged
from switchboard.schema.nodes import (
    DEFINITION_KEYS,
    TYPED_KEYWORDS,
    as_list,
    as_schema,
    copy_json,
    inferred_types,
    is_nothing,
    matches_type,
    pointer,
    ref_path,
    ref_problem,
    resolve_ref,
    split_type_list,
    tuple_shape,
)

ANY_TYPES: Final = ("string", "number", "boolean", "object", "array", "null")
"""The JSON types, as the type list that stands for any value."""

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
    "$dynamicRef": "dynamic references are not enforced",
    "oneOf": "oneOf is decoded as anyOf (one branch or more may match)",
}
_STRING_KEYWORDS: Final = ("pattern", "format", "minLength", "maxLength")
# A tuple whose length may vary by up to this much beyond its positions is written out as
# one fixed-length list per length; a longer one is widened to a list of the union.
_MAX_TUPLE_LENGTHS: Final = 8


@dataclass(frozen=True, slots=True)
class LlamaSchema:
    """A schema in the form llama.cpp's converter reads as meant.

    Attributes:
        schema: The schema, with no ``$defs`` of its own.
        definitions: The recursive definitions, by name; ``schema`` refers to each as
            ``{"$ref": "#/$defs/<name>"}``.
        issues: What the grammar does not enforce, one ``"<path>: <why>"`` line each.
    """

    schema: dict[str, Any]
    definitions: dict[str, dict[str, Any]] = field(default_factory=dict[str, dict[str, Any]])
    issues: tuple[str, ...] = ()


def to_llama_schema(schema: Mapping[str, Any], *, prefix: str = "") -> LlamaSchema:
    """``schema`` in the form llama.cpp's converter reads as meant (see the module).

    Args:
        schema: A tool's parameters schema; it is not changed.
        prefix: Starts the name of each definition, to keep several tools' apart.

    Example:
        >>> to_llama_schema({"type": "object", "properties": {"n": {"minimum": 1}}}).issues
        ('/properties/n: numeric bounds are not enforced',)
    """
    root = canonical_schema(schema)
    conversion = _Conversion(root, prefix)
    converted = conversion.convert(root, "", ())
    definitions = conversion.finish()
    return LlamaSchema(converted, definitions, tuple(dict.fromkeys(conversion.issues)))


def pattern_enforced(pattern: str) -> bool:
    """Whether llama.cpp's converter turns the regular expression ``pattern`` into rules."""
    if not (pattern.startswith("^") and pattern.endswith("$")):
        return False
    from llama_cpp.llama_grammar import json_schema_to_gbnf

    try:
        json_schema_to_gbnf(json.dumps({"type": "string", "pattern": pattern}))
    except (AssertionError, ValueError, KeyError, IndexError, re.error):
        return False
    return True


def _any() -> dict[str, Any]:
    return {"type": list(ANY_TYPES)}


class _Conversion:
    """One run of `to_llama_schema`: the converted schema, its rules and its issues."""

    def __init__(self, root: Mapping[str, Any], prefix: str) -> None:
        self.root = root
        self.prefix = prefix
        self.issues: list[str] = []
        self.names: dict[str, str] = {}  # recursive $ref -> definition name
        self.definitions: dict[str, dict[str, Any]] = {}

    def flag(self, path: str, why: str) -> None:
        self.issues.append(f"{path or '/'}: {why}")

    def finish(self) -> dict[str, dict[str, Any]]:
        """Convert the definitions recursive references need, until none is missing."""
        while missing := [ref for ref, name in self.names.items() if name not in self.definitions]:
            for ref in missing:
                self.definitions[self.names[ref]] = {}  # claimed before, for self-references
                self.definitions[self.names[ref]] = self.reference_target(ref, {}, (ref,))
        return self.definitions

    def convert(self, value: object, path: str, seen: tuple[str, ...]) -> dict[str, Any]:
        node = as_schema(value)
        if node is None:
            return _any() if value is not False else self.nothing(path)
        self.keyword_issues(node, path)
        if is_nothing(node):
            return self.nothing(path)
        if "$ref" in node:
            return self.reference(node, path, seen)
        while "allOf" in node:
            node = self.all_of(node, path)
        if "anyOf" in node or "oneOf" in node:
            return self.union(node, path, seen)
        types = _types(node)
        if not types:
            typed = {k for k in node if k in TYPED_KEYWORDS}
            return {**_annotations(node), **_any()} if not typed else self.untyped(node, path, seen)
        if len(types) > 1:
            return self.union(split_type_list({**node, "type": types}), path, seen, split=True)
        return self.typed(node, types[0], path, seen)

    def nothing(self, path: str) -> dict[str, Any]:
        self.flag(path, "accepts no value (the schema false), so no call can be valid")
        return _any()

    def keyword_issues(self, node: Mapping[str, Any], path: str) -> None:
        whys = [why for key, why in _IGNORED_KEYWORDS.items() if key in node]
        if is_nothing(node):
            whys.remove(_IGNORED_KEYWORDS["not"])
        for why in dict.fromkeys(whys):
            self.flag(path, why)
        fmt, pattern = node.get("format"), node.get("pattern")
        if isinstance(fmt, str) and not _format_enforced(node, fmt):
            self.flag(path, f"format {fmt!r} is not enforced")
        if isinstance(pattern, str) and not pattern_enforced(pattern):
            self.flag(path, f"pattern {pattern!r} is not enforced (only ^...$ patterns are)")
        elif (pattern is not None or fmt in _ENFORCED_FORMATS) and (
            "minLength" in node or "maxLength" in node
        ):
            self.flag(path, "string lengths are not enforced beside pattern or format")

    def reference(
        self, node: Mapping[str, Any], path: str, seen: tuple[str, ...]
    ) -> dict[str, Any]:
        ref = node["$ref"]
        siblings = {k: v for k, v in node.items() if k != "$ref"}
        if resolve_ref(self.root, ref) is None:
            self.flag(path, ref_problem(ref))
            return _any()
        if ref not in seen:
            return self.reference_target(ref, siblings, (*seen, ref), path)
        # A recursive reference: a rule that refers to itself, whatever the depth.
        if TYPED_KEYWORDS & siblings.keys():
            self.flag(path, "keywords beside a recursive $ref are not enforced")
        name = self.names.setdefault(ref, f"{self.prefix}ref{len(self.names)}")
        return {"$ref": f"#/$defs/{name}"}

    def reference_target(
        self, ref: str, siblings: Mapping[str, Any], seen: tuple[str, ...], path: str = ""
    ) -> dict[str, Any]:
        target = resolve_ref(self.root, ref) or {}
        body = {k: v for k, v in target.items() if k not in DEFINITION_KEYS}
        where = path if TYPED_KEYWORDS & siblings.keys() else ref_path(ref)
        try:
            combined = merged(body, siblings)
        except Clash as clash:
            self.flag(path, f"{', '.join(clash.keywords)} beside $ref are not enforced")
            combined = body
        if combined is None:
            return self.nothing(path)
        return self.convert(combined, where, seen)

    def all_of(self, node: Mapping[str, Any], path: str) -> dict[str, Any]:
        combined: dict[str, Any] | None = {k: v for k, v in node.items() if k != "allOf"}
        rest = dict(combined)
        for entry in as_list(node["allOf"]) or ():
            sub = as_schema(entry) or {}
            target = resolve_ref(self.root, sub.get("$ref")) if "$ref" in sub else None
            if target is not None:
                sub = {**{k: v for k, v in target.items() if k not in DEFINITION_KEYS}, **sub}
                sub.pop("$ref")
            try:
                combined = merged(combined, sub) if combined is not None else None
            except Clash as clash:
                self.flag(path, f"allOf is not enforced ({', '.join(clash.keywords)} differ)")
                return rest
        return combined if combined is not None else {"not": {}}

    def union(
        self, node: Mapping[str, Any], path: str, seen: tuple[str, ...], *, split: bool = False
    ) -> dict[str, Any]:
        """A union's branches, with the keywords beside it moved in (see `distributed`).

        ``split``: the union is a type list split by type, whose branches are the node.
        """
        if "anyOf" in node and "oneOf" in node:
            self.flag(path, "anyOf beside oneOf is not enforced")
            node = {k: v for k, v in node.items() if k != "anyOf"}
        try:
            node = distributed(node, self.root)
        except Clash as clash:
            self.flag(path, f"{', '.join(clash.keywords)} beside a union are not enforced")
            node = {k: v for k, v in node.items() if k not in TYPED_KEYWORDS}
        if is_nothing(node):
            return self.nothing(path)
        key = "anyOf" if "anyOf" in node else "oneOf"
        branches = [
            self.convert(branch, path if split else pointer(path, key, i), seen)
            for i, branch in enumerate(as_list(node[key]) or ())
            if not is_nothing(branch)
        ]
        if not branches:
            return self.nothing(path)
        return {**_annotations(node), "anyOf": branches}

    def untyped(self, node: Mapping[str, Any], path: str, seen: tuple[str, ...]) -> dict[str, Any]:
        """A node without type but with type keywords: each type with its own keywords."""
        return self.union(
            split_type_list({**node, "type": list(ANY_TYPES)}), path, seen, split=True
        )

    def typed(
        self, node: Mapping[str, Any], type_name: str, path: str, seen: tuple[str, ...]
    ) -> dict[str, Any]:
        values = as_list(node.get("enum"))
        if values is None and "const" in node:
            values = [node["const"]]
        if values is not None:
            # The converter writes the listed values whatever the type: only those of it.
            kept = [copy_json(v) for v in values if matches_type(v, type_name)]
            return {"enum": kept} if kept else self.nothing(path)
        if type_name == "object":
            return self.object(node, path, seen)
        if type_name == "array":
            return self.array(node, path, seen)
        out: dict[str, Any] = {**_annotations(node), "type": type_name}
        if type_name == "string":
            out.update((k, node[k]) for k in _STRING_KEYWORDS if k in node)
            pattern = out.get("pattern")
            if isinstance(pattern, str) and not pattern_enforced(pattern):
                del out["pattern"]  # the converter would reject it; validation enforces it
        return out

    def object(self, node: Mapping[str, Any], path: str, seen: tuple[str, ...]) -> dict[str, Any]:
        properties = as_schema(node.get("properties")) or {}
        required = [r for r in as_list(node.get("required")) or () if isinstance(r, str)]
        converted: dict[str, Any] = {}
        for name, sub in properties.items():
            if is_nothing(sub) and name not in required:
                continue  # never to be sent: the closed object already leaves it out
            converted[name] = self.convert(sub, pointer(path, "properties", name), seen)
        for name in required:
            converted.setdefault(name, _any())  # required but undeclared: any value
        out: dict[str, Any] = {**_annotations(node), "type": "object", "properties": converted}
        if required:
            out["required"] = list(dict.fromkeys(required))
        extra = self.extra_keys(node, path, seen)
        if extra is not None:
            out["additionalProperties"] = extra
        return out

    def extra_keys(
        self, node: Mapping[str, Any], path: str, seen: tuple[str, ...]
    ) -> dict[str, Any] | None:
        """The schema of the keys ``node`` does not name; None when there are none."""
        additional = node.get("additionalProperties")
        free_form = "properties" not in node and additional is None
        if free_form or additional is True or node.get("patternProperties"):
            # The converter reads `true` as objects only, and no key pattern at all.
            return _any()
        if additional is None or additional is False or is_nothing(additional):
            return None
        return self.convert(additional, pointer(path, "additionalProperties"), seen)

    def array(self, node: Mapping[str, Any], path: str, seen: tuple[str, ...]) -> dict[str, Any]:
        out: dict[str, Any] = {**_annotations(node), "type": "array"}
        shape = tuple_shape(node, path)
        if shape is None:
            items = node.get("items")
            out["items"] = (
                _any() if items is None else self.convert(items, pointer(path, "items"), seen)
            )
            out.update(
                (k, node[k]) for k in ("minItems", "maxItems") if isinstance(node.get(k), int)
            )
            if is_nothing(items):
                out["items"], out["maxItems"] = _any(), 0
            return out
        positions = [self.convert(item, where, seen) for item, where in shape.positions]
        rest = None if shape.rest is None else self.convert(*shape.rest, seen)
        low, high = shape.min_items, shape.max_items
        if rest is not None and (
            high is None or high - max(low, len(positions)) > _MAX_TUPLE_LENGTHS
        ):
            self.flag(path, "tuple positions are not enforced where items may follow them")
            items = [*positions, rest]
            out["items"] = items[0] if len(items) == 1 else {"anyOf": items}
            out["minItems"] = low
            if high is not None:
                out["maxItems"] = high
            return out
        high = len(positions) if high is None else high
        lists = [
            {"type": "array", "prefixItems": [*positions, *[rest] * (n - len(positions))][:n]}
            for n in range(low, high + 1)
        ]
        if not lists:
            return self.nothing(path)
        return lists[0] if len(lists) == 1 else {"anyOf": lists}


def _types(node: Mapping[str, Any]) -> list[str]:
    """The types ``node`` declares, or else those its keywords imply."""
    type_ = node.get("type")
    if type_ is None:
        return inferred_types(node)
    return [t for t in as_list(type_) or [type_] if isinstance(t, str)]


def _annotations(node: Mapping[str, Any]) -> dict[str, Any]:
    return {k: node[k] for k in ("description",) if isinstance(node.get(k), str)}


def _format_enforced(schema: Mapping[str, Any], fmt: str) -> bool:
    if "pattern" in schema:
        return False
    return fmt in _ENFORCED_FORMATS or bool(re.fullmatch(r"uuid[1-5]?", fmt))
