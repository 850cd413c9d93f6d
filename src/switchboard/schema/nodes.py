"""Reading JSON Schema nodes: JSON Pointers, local ``$ref``s, nullability and recursion.

Shared by the strict-mode transform and the provider dialects; every function here reads
and never mutates.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, cast
from urllib.parse import unquote

# Where a JSON Schema (draft 2020-12) nests subschemas: under a map of names, as one
# subschema, or as a list of them. Definitions are walked separately (`definitions`).
_SCHEMA_MAPS = ("properties", "patternProperties", "dependentSchemas")
_SCHEMA_ONE = (
    "items",
    "additionalItems",
    "additionalProperties",
    "unevaluatedProperties",
    "unevaluatedItems",
    "propertyNames",
    "contains",
    "not",
    "if",
    "then",
    "else",
)
_SCHEMA_LIST = ("anyOf", "oneOf", "allOf", "prefixItems", "items")
DEFINITION_KEYS = ("$defs", "definitions")


def nothing() -> dict[str, Any]:
    """The schema ``false`` as an object, ``{"not": {}}``: no value is valid."""
    return {"not": {}}


def is_nothing(schema: object) -> bool:
    """Whether ``schema`` is ``false`` or says so as an object (``{"not": {}}``)."""
    if schema is False:
        return True
    node = as_schema(schema)
    negated = None if node is None else node.get("not")
    return negated is True or (isinstance(negated, Mapping) and not negated)


def copy_json(value: Any) -> Any:
    """A deep copy of JSON data (dicts, lists, scalars).

    Several times faster than `copy.deepcopy`, which pays for memo bookkeeping and
    arbitrary objects that a JSON Schema never holds.
    """
    if isinstance(value, dict):
        return {key: copy_json(item) for key, item in cast(dict[str, Any], value).items()}
    if isinstance(value, list):
        return [copy_json(item) for item in cast(list[Any], value)]
    return value


def as_schema(value: object) -> Mapping[str, Any] | None:
    """``value`` as a schema object, or ``None`` when it is not one (``true``, a list...)."""
    return cast("Mapping[str, Any]", value) if isinstance(value, Mapping) else None


def as_list(value: object) -> Sequence[Any] | None:
    """``value`` as a JSON array, or ``None`` when it is not one."""
    return cast("Sequence[Any]", value) if isinstance(value, list | tuple) else None


def pointer(path: str, *tokens: str | int) -> str:
    """Extend the JSON Pointer ``path`` by ``tokens``, escaping ``~`` and ``/`` (RFC 6901)."""
    escaped = (str(t).replace("~", "~0").replace("/", "~1") for t in tokens)
    return "".join([path, *(f"/{t}" for t in escaped)])


def is_local_ref(ref: object) -> bool:
    """Whether ``ref`` points into the same document (``#`` or ``#/...``)."""
    return isinstance(ref, str) and (ref == "#" or ref.startswith("#/"))


def resolve_ref(root: Mapping[str, Any], ref: object) -> Mapping[str, Any] | None:
    """The schema object a local ``$ref`` points to, or ``None`` if it points to nothing."""
    if not isinstance(ref, str) or not is_local_ref(ref):
        return None
    return as_schema(walk_pointer(root, unquote(ref[1:])))


def walk_pointer(root: object, path: str) -> object:
    """The value at JSON Pointer ``path`` (``/a/0``) inside ``root``; `MISSING` if none."""
    node: object = root
    for raw in path.split("/")[1:] if path else ():
        token = raw.replace("~1", "/").replace("~0", "~")
        mapping, items = as_schema(node), as_list(node)
        if mapping is not None and token in mapping:
            node = mapping[token]
        elif items is not None and token.isdigit() and int(token) < len(items):
            node = items[int(token)]
        else:
            return MISSING
    return node


MISSING: Final = object()
"""What `walk_pointer` returns for a pointer to nothing."""


def ref_problem(ref: object) -> str:
    """Why a ``$ref`` that did not resolve inside its schema does not, and what to do.

    The dialect converters read the output of
    `switchboard.schema.canonical.canonical_schema`, where every reference that resolves
    is a JSON Pointer into the document: what is left is one of these.
    """
    if not isinstance(ref, str):
        return f"$ref {ref!r} is not a string. Write the target's pointer, e.g. '#/$defs/Name'."
    if is_local_ref(ref):
        return f"$ref {ref!r} points to nothing in this schema. Fix the $ref."
    if ref.startswith("#"):
        return (
            f"$ref {ref!r} names an anchor that no subschema declares ($anchor). "
            "Fix the $ref, or add the $anchor to its target."
        )
    return f"$ref {ref!r} points outside this schema. Put the target in $defs."


def ref_path(ref: str) -> str:
    """The JSON Pointer of a local ``$ref``'s target (``#/$defs/A`` -> ``/$defs/A``)."""
    return unquote(ref[1:])


def subschemas(schema: Mapping[str, Any], path: str) -> Iterator[tuple[str, object]]:
    """Each subschema directly inside ``schema`` with its pointer, definitions excepted."""
    for key in _SCHEMA_MAPS:
        named = as_schema(schema.get(key))
        for name, sub in (named or {}).items():
            yield pointer(path, key, name), sub
    for key in _SCHEMA_ONE:
        if as_schema(schema.get(key)) is not None:
            yield pointer(path, key), schema[key]
    for key in _SCHEMA_LIST:
        for index, sub in enumerate(as_list(schema.get(key)) or ()):
            yield pointer(path, key, index), sub


def definitions(schema: Mapping[str, Any], path: str) -> Iterator[tuple[str, object]]:
    """Each entry of ``schema``'s ``$defs`` (and draft-07 ``definitions``) with its pointer."""
    for key in DEFINITION_KEYS:
        for name, sub in (as_schema(schema.get(key)) or {}).items():
            yield pointer(path, key, name), sub


def accepts_null(schema: object, root: Mapping[str, Any], *, implied_types: bool = False) -> bool:
    """Whether ``null`` is valid against ``schema`` (``$ref``s resolved against ``root``).

    With ``implied_types``, a node without ``type`` or union has the type its keywords
    imply (`inferred_types`), as the dialects read it: ``{"items": ...}`` is an array.
    """
    return _accepts_null(schema, root, frozenset(), implied_types)


def _accepts_null(
    schema: object, root: Mapping[str, Any], seen: frozenset[str], implied: bool
) -> bool:
    node = as_schema(schema)
    if node is None:
        return schema is True
    if node.get("nullable") is True:  # OpenAPI 3.0's spelling, in hand-written schemas
        return True
    type_ = node.get("type")
    if type_ is None and implied and not {"anyOf", "oneOf", "$ref"} & node.keys():
        type_ = inferred_types(node) or None
    if type_ is not None and "null" not in (as_list(type_) or (type_,)):
        return False
    if "enum" in node and None not in (as_list(node["enum"]) or ()):
        return False
    if "const" in node and node["const"] is not None:
        return False
    if is_nothing(node):
        return False
    branches = as_list(node.get("anyOf"))
    if branches is not None and not any(_accepts_null(b, root, seen, implied) for b in branches):
        return False
    exclusive = as_list(node.get("oneOf"))
    if (
        exclusive is not None
        and [_accepts_null(b, root, seen, implied) for b in exclusive].count(True) != 1
    ):
        return False
    if not all(_accepts_null(b, root, seen, implied) for b in as_list(node.get("allOf")) or ()):
        return False
    ref = node.get("$ref")
    if ref is None:
        return True
    target = resolve_ref(root, ref)
    return (
        target is not None
        and ref not in seen
        and _accepts_null(target, root, seen | {ref}, implied)
    )


def find_ref_cycle(root: Mapping[str, Any]) -> tuple[str, str] | None:
    """The first ``$ref`` that closes a cycle, as (pointer to the ``$ref`` node, the ref).

    Returns ``None`` when no chain of references leads back to where it started.
    """
    state: dict[str, bool] = {}  # ref -> True while being walked, False once finished

    def visit(ref: str, node: Mapping[str, Any], path: str) -> tuple[str, str] | None:
        state[ref] = True
        stack: list[tuple[str, object]] = [(path, node)]
        while stack:
            here, value = stack.pop()
            current = as_schema(value)
            if current is None:
                continue
            target_ref = current.get("$ref")
            if isinstance(target_ref, str) and is_local_ref(target_ref):
                if state.get(target_ref) is True:
                    return here, target_ref
                target = resolve_ref(root, target_ref)
                if target is not None and target_ref not in state:
                    found = visit(target_ref, target, ref_path(target_ref))
                    if found is not None:
                        return found
            stack.extend(reversed(list(subschemas(current, here))))
        state[ref] = False
        return None

    found = visit("#", root, "")
    for path, definition in definitions(root, ""):
        node, ref = as_schema(definition), f"#{path}"
        if found is not None:
            break
        if node is not None and ref not in state:
            found = visit(ref, node, path)
    return found


def json_type(value: object) -> str:
    """The JSON Schema type name of a JSON value (``1`` -> ``"integer"``)."""
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "boolean"
    if isinstance(value, int):
        return "integer"
    if isinstance(value, float):
        return "integer" if value.is_integer() else "number"
    if isinstance(value, str):
        return "string"
    return "array" if isinstance(value, list | tuple) else "object"


def matches_type(value: object, type_name: str) -> bool:
    """Whether a JSON value is of the JSON Schema type ``type_name``."""
    actual = json_type(value)
    return actual == type_name or (type_name == "number" and actual == "integer")


# The keywords that constrain only values of one JSON type, for splitting a type list.
_TYPE_KEYWORDS: dict[str, frozenset[str]] = {
    "string": frozenset(
        {"pattern", "format", "minLength", "maxLength", "contentEncoding", "contentMediaType"}
    ),
    "number": frozenset(
        {"minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum", "multipleOf"}
    ),
    "array": frozenset(
        {"items", "prefixItems", "additionalItems", "minItems", "maxItems", "uniqueItems"}
        | {"contains", "minContains", "maxContains", "unevaluatedItems"}
    ),
    "object": frozenset(
        {"properties", "required", "additionalProperties", "patternProperties", "propertyNames"}
        | {"minProperties", "maxProperties", "dependentRequired", "dependentSchemas"}
        | {"unevaluatedProperties"}
    ),
}
_TYPE_KEYWORDS["integer"] = _TYPE_KEYWORDS["number"]
TYPED_KEYWORDS = frozenset({"type", "enum", "const"}.union(*_TYPE_KEYWORDS.values()))
"""The keywords that say what type a value has, or constrain values of one type."""


def inferred_types(schema: Mapping[str, Any]) -> list[str]:
    """The JSON types an untyped node's own keywords imply (``enum: [1, "a"]`` -> both)."""
    if any(k in schema for k in ("properties", "required", "additionalProperties")):
        return ["object"]
    if "items" in schema or "prefixItems" in schema:
        return ["array"]
    values = as_list(schema.get("enum"))
    if values is None:
        values = [schema["const"]] if "const" in schema else []
    types = list(dict.fromkeys(json_type(v) for v in values))
    if "integer" in types and "number" in types:
        types.remove("integer")
    return types


def split_type_list(schema: Mapping[str, Any]) -> dict[str, Any]:
    """Rewrite ``{"type": [A, B], ...}`` as ``{"anyOf": [{"type": A, ...}, {"type": B, ...}]}``.

    Each branch takes the keywords that constrain its type and the ``enum`` values of its
    type; annotations and anything else stay on the node.
    """
    types = as_list(schema.get("type")) or ()
    enum, const = as_list(schema.get("enum")), schema.get("const")
    branches: list[dict[str, Any]] = []
    for type_name in types:
        keywords = _TYPE_KEYWORDS.get(type_name, frozenset())
        branch: dict[str, Any] = {"type": type_name}
        branch.update((k, v) for k, v in schema.items() if k in keywords)
        if enum is not None:
            branch["enum"] = [v for v in enum if matches_type(v, type_name)]
        if "const" in schema:
            branch["const"] = const
        if branch.get("enum") == [] or ("const" in branch and not matches_type(const, type_name)):
            continue
        branches.append(branch)
    rest = {k: v for k, v in schema.items() if k not in TYPED_KEYWORDS}
    return {**rest, "anyOf": branches}


@dataclass(frozen=True, slots=True)
class TupleShape:
    """A list described by positions, as every dialect reads it (see `tuple_shape`).

    Attributes:
        positions: The schema of each position, with its JSON Pointer.
        rest: The schema of the items after the positions, with its pointer; ``None``
            when nothing may follow them.
        min_items: The fewest items.
        max_items: The most items; ``None`` for no bound.
    """

    positions: tuple[tuple[object, str], ...]
    rest: tuple[object, str] | None
    min_items: int
    max_items: int | None

    @property
    def items(self) -> tuple[tuple[object, str], ...]:
        """Every schema an item may have to match: the positions', then the rest's."""
        return (*self.positions, *((self.rest,) if self.rest is not None else ()))


def tuple_shape(schema: Mapping[str, Any], path: str) -> TupleShape | None:
    """The tuple ``schema`` describes (``prefixItems``, or draft-07's list ``items``).

    A tuple is read as its positions written in full: at least as many items as positions
    unless ``minItems`` says fewer, and nothing after them unless ``items`` (draft-07:
    ``additionalItems``) says what may follow. That is what pydantic's tuples state
    explicitly and what hand-written ones mean; JSON Schema alone would also allow a
    shorter list, and any items after the positions. A position whose schema is false
    ends the list there.

    Returns:
        ``None`` when ``schema`` describes no tuple.
    """
    key, rest_key = "prefixItems", "items"
    listed = as_list(schema.get(key))
    if listed is None:
        key, rest_key = "items", "additionalItems"
        listed = as_list(schema.get(key))
    if listed is None:
        return None
    positions: list[tuple[object, str]] = []
    for index, item in enumerate(listed):
        if is_nothing(item):
            break
        positions.append((item, pointer(path, key, index)))
    rest = schema.get(rest_key)
    closed = len(positions) < len(listed) or rest is None or is_nothing(rest)
    declared_min, declared_max = schema.get("minItems"), schema.get("maxItems")
    min_items = declared_min if isinstance(declared_min, int) else len(positions)
    max_items = declared_max if isinstance(declared_max, int) else None
    if closed:
        max_items = len(positions) if max_items is None else min(max_items, len(positions))
    return TupleShape(
        positions=tuple(positions),
        rest=None if closed else (rest, pointer(path, rest_key)),
        min_items=min_items,
        max_items=max_items,
    )
