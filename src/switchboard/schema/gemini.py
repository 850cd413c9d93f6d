"""Gemini's function-declaration schema: the OpenAPI 3.0 subset of ``google.genai.types.Schema``.

Every ``$ref`` is inlined (so a recursive model has no Gemini form), nullable unions become
``nullable: true``, type names are upper case, and keywords Gemini rejects are dropped,
their meaning kept in the description.

Reference: https://ai.google.dev/gemini-api/docs/function-calling#function_declarations
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from switchboard.errors import SchemaDialectError
from switchboard.schema.canonical import canonical_schema
from switchboard.schema.combine import Clash, distributed
from switchboard.schema.nodes import (
    DEFINITION_KEYS,
    as_list,
    as_schema,
    copy_json,
    inferred_types,
    is_nothing,
    pointer,
    ref_path,
    ref_problem,
    resolve_ref,
    split_type_list,
    tuple_shape,
)
from switchboard.schema.notes import keyword_note, with_notes

MAX_INLINED_NODES = 10_000
"""How many schema nodes the parameters may grow to once every ``$ref`` is inlined."""

_TYPES = {
    "string": "STRING",
    "number": "NUMBER",
    "integer": "INTEGER",
    "boolean": "BOOLEAN",
    "array": "ARRAY",
    "object": "OBJECT",
    "null": "NULL",
}
# Gemini rejects other formats: "format: only 'enum' and 'date-time' are supported for
# STRING type" (https://github.com/google-gemini/gemini-cli/issues/3178).
_FORMATS = {
    "STRING": frozenset({"date-time"}),
    "NUMBER": frozenset({"float", "double"}),
    "INTEGER": frozenset({"int32", "int64"}),
}
_COPIED = (
    "minItems",
    "maxItems",
    "minLength",
    "maxLength",
    "pattern",
    "minimum",
    "maximum",
    "minProperties",
    "maxProperties",
)
_DESCRIBED = (
    "default",
    "examples",
    "example",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "multipleOf",
    "uniqueItems",
    "deprecated",
    "contentEncoding",
    "contentMediaType",
    "dependentRequired",
)
_KEY_ORDER = (
    *("type", "nullable", "description", "enum", "format", "anyOf", "properties", "required"),
    *("items", *_COPIED),
)
_NULL = {"type": "null"}


def to_gemini_schema(schema: Mapping[str, Any], *, tool: str) -> dict[str, Any]:
    """``schema`` as Gemini's ``FunctionDeclaration.parameters`` takes it.

    Args:
        schema: A neutral JSON Schema (it is not changed).
        tool: The tool's name, for error messages.

    Returns:
        The schema in the REST API's camelCase keys, as ``google.genai.types.Schema``
        validates it.

    Raises:
        SchemaDialectError: The schema is recursive, uses a ``$ref`` that cannot be
            inlined or an ``allOf`` of several schemas, has a value of no type (which no
            Gemini type can stand for: an ``OBJECT`` needs properties) or one that accepts
            no value, requires a name it does not declare, keywords beside a union that
            its branches contradict, or grows past `MAX_INLINED_NODES` once inlined.
    """
    schema = canonical_schema(schema)
    return _Conversion(schema, tool).schema(schema, "", ())


class _Conversion:
    def __init__(self, root: Mapping[str, Any], tool: str) -> None:
        self.root = root
        self.tool = tool
        self.budget = MAX_INLINED_NODES

    def fail(self, problem: str, *, path: str) -> SchemaDialectError:
        message = f"Tool {self.tool!r}: {problem}"
        return SchemaDialectError(message, tool=self.tool, dialect="gemini", path=path)

    def schema(self, value: object, path: str, refs: tuple[str, ...]) -> dict[str, Any]:
        self.budget -= 1
        if self.budget < 0:
            msg = (
                f"its parameters grow past {MAX_INLINED_NODES:,} schema nodes once every $ref "
                "is inlined, as Gemini needs. Share fewer models between parameters."
            )
            raise self.fail(msg, path="")
        node = as_schema(value)
        if node is None:
            return {}
        node, path, refs, nullable = self._flattened(node, path, refs)
        if is_nothing(node):
            msg = f"{path or '/'} accepts no value (the schema false). Remove it."
            raise self.fail(msg, path=path)
        return self._converted(node, path, refs, nullable)

    def _flattened(
        self, node: Mapping[str, Any], path: str, refs: tuple[str, ...]
    ) -> tuple[dict[str, Any], str, tuple[str, ...], bool]:
        """Inline ``$ref``s, merge a one-schema ``allOf``, and take ``null`` out of unions."""
        out, nullable = dict(node), False
        while True:
            if "$ref" in out:
                ref = out.pop("$ref")
                out = {**self._target(ref, path, refs), **out}
                path, refs = ref_path(ref), (*refs, ref)
            elif "allOf" in out:
                out = {**self._single_all_of(out, path), **out}
                del out["allOf"]
            elif "oneOf" in out or "anyOf" in out:
                out = self._distributed(out, path)
                if is_nothing(out):
                    return out, path, refs, nullable
                branches = as_list(out.pop("anyOf", None)) or as_list(out.pop("oneOf", None)) or ()
                branches = [b for b in branches if not is_nothing(b)]
                kept = [b for b in branches if not _is_null(b, self.root)]
                nullable = nullable or len(kept) < len(branches)
                if not kept:
                    return {**out, "type": "null"}, path, refs, nullable
                if len(kept) > 1:
                    return {**out, "anyOf": kept}, path, refs, nullable
                out = {**(as_schema(kept[0]) or {}), **out}
            else:
                return out, path, refs, nullable

    def _distributed(self, node: dict[str, Any], path: str) -> dict[str, Any]:
        """The node with the type keywords beside its union moved into each branch."""
        if "anyOf" in node and "oneOf" in node:
            msg = f"{path or '/'} has both anyOf and oneOf; Gemini takes one union. Merge them."
            raise self.fail(msg, path=path)
        try:
            return dict(distributed(node, self.root))
        except Clash as clash:
            msg = (
                f"{', '.join(clash.keywords)} beside the union at {path or '/'} differ from a "
                "branch's, and Gemini reads only the branches. Merge them into each branch."
            )
            raise self.fail(msg, path=path) from None

    def _target(self, ref: object, path: str, refs: tuple[str, ...]) -> dict[str, Any]:
        target = resolve_ref(self.root, ref)
        if target is None:
            msg = f"at {path or '/'}, {ref_problem(ref)}"
            raise self.fail(msg, path=path)
        if ref in refs:
            msg = (
                f"its parameters are recursive: {ref} refers back to itself at {path}. Gemini "
                "function declarations cannot express recursion (every $ref is inlined). Give "
                "the recursive field a fixed depth, take it as a JSON string, or use another "
                "provider."
            )
            raise self.fail(msg, path=path)
        return {k: v for k, v in target.items() if k not in DEFINITION_KEYS}

    def _single_all_of(self, node: Mapping[str, Any], path: str) -> Mapping[str, Any]:
        entries = as_list(node["allOf"]) or ()
        entry = as_schema(entries[0]) if len(entries) == 1 else None
        if entry is None:
            msg = (
                f"allOf of {len(entries)} schemas at {path or '/'} has no Gemini form. Merge them."
            )
            raise self.fail(msg, path=pointer(path, "allOf"))
        return entry

    def _converted(
        self, node: dict[str, Any], path: str, refs: tuple[str, ...], nullable: bool
    ) -> dict[str, Any]:
        notes: list[str] = []
        nullable = _take_null_values(node) or nullable
        type_name, nullable = _type_name(node, nullable)
        if type_name is None and "anyOf" not in node:
            msg = (
                f"{path or '/'} has no type, so it accepts any value, and Gemini needs a type "
                "on every value (an OBJECT needs properties, so no Gemini type stands for any "
                "JSON value). Give it a type, or send this tool to another provider."
            )
            raise self.fail(msg, path=path)
        out: dict[str, Any] = {}
        if type_name is not None:
            out["type"] = type_name
        if nullable:
            out["nullable"] = True
        if isinstance(node.get("description"), str):
            out["description"] = node["description"]
        for key, value in node.items():
            if key in _COPIED:
                out[key] = copy_json(value)
            elif key == "format" and value in _FORMATS.get(type_name or "", ()):
                out[key] = value
            elif key in _DESCRIBED or key == "format":
                notes.append(keyword_note(key, value) or "")
        self._values(node, type_name, out, notes)
        if "anyOf" in node:
            out["anyOf"] = [
                self.schema(b, pointer(path, "anyOf", i), refs)
                for i, b in enumerate(as_list(node["anyOf"]) or ())
            ]
        if type_name == "OBJECT":
            self._object(node, path, refs, out, notes)
        if type_name == "ARRAY":
            self._array(node, path, refs, out)
        described = with_notes(out, [n for n in notes if n])
        rank = {key: i for i, key in enumerate(_KEY_ORDER)}
        return dict(sorted(described.items(), key=lambda item: rank.get(item[0], len(rank))))

    def _values(
        self, node: Mapping[str, Any], type_name: str | None, out: dict[str, Any], notes: list[str]
    ) -> None:
        """Keep a string ``enum`` (or ``const``); state any other in the description."""
        values = as_list(node.get("enum"))
        if values is None and "const" in node:
            values = [node["const"]]
        if values is None:
            return
        # Gemini takes enums of strings only ("enum: only allowed for STRING type"), and a
        # number turned into a string would be answered as one, which fails validation.
        if type_name == "STRING" and all(isinstance(v, str) for v in values):
            out["enum"] = list(values)
        else:
            notes.append(keyword_note("enum", values) or "")

    def _object(
        self,
        node: Mapping[str, Any],
        path: str,
        refs: tuple[str, ...],
        out: dict[str, Any],
        notes: list[str],
    ) -> None:
        listed = as_list(node.get("required")) or ()
        declared = as_schema(node.get("properties")) or {}
        undeclared = [r for r in listed if r not in declared]
        if undeclared:
            # Gemini rejects a required name that is not a property of the same node, and
            # leaving it out would leave the model unable ever to send it.
            names = ", ".join(repr(r) for r in undeclared)
            msg = (
                f"{path or '/'} requires {names}, which Gemini is not shown: a required name "
                "must be one of the node's properties. Declare it in properties, with a type."
            )
            raise self.fail(msg, path=path)
        # A property that may never be sent (its schema is false) is not offered at all.
        properties = {
            name: sub
            for name, sub in (as_schema(node.get("properties")) or {}).items()
            if name in listed or not is_nothing(sub)
        }
        if properties:
            out["properties"] = {
                name: self.schema(sub, pointer(path, "properties", name), refs)
                for name, sub in properties.items()
            }
        required = [r for r in listed if r in properties]
        if required:
            out["required"] = required
        # additionalProperties is dropped: Gemini mishandles it (pydantic-ai's
        # GoogleJsonSchemaTransformer drops it for the same reason).
        extra = node.get("additionalProperties")
        if not properties and extra is not None and extra is not False:
            value_type = (as_schema(extra) or {}).get("type")
            values = f" and {value_type} values" if isinstance(value_type, str) else ""
            notes.append(f"An object with any keys{values}.")

    def _array(
        self, node: Mapping[str, Any], path: str, refs: tuple[str, ...], out: dict[str, Any]
    ) -> None:
        shape = tuple_shape(node, path)
        if shape is None:
            if "items" in node:
                out["items"] = self.schema(node["items"], pointer(path, "items"), refs)
            return
        # A tuple: Gemini has no positional items, so the item type widens to the union of
        # the positions (and of what may follow them), within the tuple's length.
        converted: list[dict[str, Any]] = []
        for item, item_path in shape.items:
            schema = self.schema(item, item_path, refs)
            if schema not in converted:
                converted.append(schema)
        if not converted:
            msg = f"{path or '/'} accepts only an empty list; Gemini needs an item type."
            raise self.fail(msg, path=path)
        out["items"] = converted[0] if len(converted) == 1 else {"anyOf": converted}
        out["minItems"] = shape.min_items
        if shape.max_items is not None:
            out["maxItems"] = shape.max_items
        else:
            out.pop("maxItems", None)


def _is_null(schema: object, root: Mapping[str, Any]) -> bool:
    node = as_schema(schema)
    while node is not None and "$ref" in node:
        node = resolve_ref(root, node["$ref"])
    return node is not None and (node.get("type") == "null" or node.get("const", ...) is None)


def _take_null_values(node: dict[str, Any]) -> bool:
    """Remove ``null`` from ``node``'s ``enum`` and ``const``; whether it was there."""
    values = as_list(node.get("enum"))
    if values is not None and None in values:
        node["enum"] = [v for v in values if v is not None]
        return True
    if "const" in node and node["const"] is None:
        del node["const"]
        node["type"] = "null"
    return False


def _type_name(node: dict[str, Any], nullable: bool) -> tuple[str | None, bool]:
    """Gemini's name for ``node``'s type, and whether it is nullable; splits type lists."""
    type_ = node.get("type")
    if type_ is None and "anyOf" not in node and (types := inferred_types(node)):
        type_ = types
    types = list(as_list(type_) or ([type_] if isinstance(type_, str) else []))
    if "null" in types and len(types) > 1:
        types.remove("null")
        nullable = True
    if len(types) > 1:
        split = split_type_list({**node, "type": types})
        node.clear()
        node.update(split)
        return None, nullable
    return (_TYPES.get(types[0]) if types else None), nullable
