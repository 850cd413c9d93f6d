"""One reading of a JSON Schema for every dialect: local references, no boolean subschemas.

JSON Schema lets a ``$ref`` name its target through an ``$id``, an ``$anchor`` or a URN,
and lets ``true`` and ``false`` stand for a subschema. The dialect converters (strict
mode, Gemini, the local call grammar) read ``#/...`` pointers and schema objects;
`canonical_schema` rewrites the rest into those, so that nothing is dropped because a
converter did not read it:

- a ``$ref`` that resolves inside the document becomes the JSON Pointer of its target
  (``#code`` -> ``#/$defs/Code``), found by `referencing`, the resolver ``jsonschema``
  validates with; the ``$id``s below the root, which would move the base of those
  pointers, are removed. A ``$ref`` that does not resolve is left as it is, for the
  converters to report (`switchboard.schema.nodes.ref_problem`);
- ``true`` becomes ``{}`` and ``false`` becomes ``{"not": {}}``
  (`switchboard.schema.nodes.is_nothing`), except under ``additionalProperties`` and the
  ``unevaluated`` keywords, whose booleans every converter reads.

A schema that has none of these (every schema pydantic writes) is returned as it is.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any, Final, cast
from urllib.parse import quote, unquote

from switchboard.schema.nodes import (
    MISSING,
    as_list,
    as_schema,
    copy_json,
    definitions,
    is_local_ref,
    is_nothing,
    nothing,
    pointer,
    resolve_ref,
    subschemas,
    walk_pointer,
)

if TYPE_CHECKING:
    from referencing import Specification

# Keywords whose boolean values the converters read as they are.
_BOOLEANS_KEPT: Final = frozenset(
    {"additionalProperties", "unevaluatedProperties", "unevaluatedItems"}
)
# JSON Pointer characters left as they are when a pointer becomes a URI fragment.
_POINTER_SAFE: Final = "/~!$&'()*+,;=:@"


def canonical_schema(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """``schema`` with local pointer references and no boolean subschemas (see the module).

    Args:
        schema: A JSON Schema object; it is not changed.

    Returns:
        ``schema`` itself when there is nothing to rewrite, else a rewritten copy.
    """
    if not _needs_rewrite(schema):
        return schema
    document = cast("dict[str, Any]", copy_json(dict(schema)))
    _point_refs_locally(document)
    return _without_booleans(document)


def unresolved_refs(schema: Mapping[str, Any]) -> list[tuple[str, str]]:
    """Each ``$ref`` of a `canonical_schema` output that does not resolve: (path, ref)."""
    found: list[tuple[str, str]] = []
    for path, node in _nodes(schema):
        ref = node.get("$ref")
        if ref is None:
            continue
        target = walk_pointer(schema, unquote(ref[1:])) if is_local_ref(ref) else MISSING
        if as_schema(target) is None:
            found.append((path, ref))
    return found


def unsatisfiable(schema: Mapping[str, Any]) -> tuple[str, str] | None:
    """Why no instance is valid, found through the required properties: (path, reason).

    Looks for a required property that accepts no value (``false``), and a required name
    that its closed object (``additionalProperties: false``) forbids, in a schema output by
    `canonical_schema`; ``None`` when none is found (each reference is followed once).
    """
    stack: list[tuple[Mapping[str, Any], str, frozenset[str]]] = [(schema, "", frozenset())]
    while stack:
        node, path, seen = stack.pop()
        if is_nothing(node):
            return path or "/", "accepts no value (the schema false) and is required"
        ref = node.get("$ref")
        if isinstance(ref, str) and ref not in seen:
            target = resolve_ref(schema, ref)
            if target is not None:
                stack.append((target, path, seen | {ref}))
        properties = as_schema(node.get("properties")) or {}
        closed = node.get("additionalProperties") is False and not node.get("patternProperties")
        for name in as_list(node.get("required")) or ():
            sub = as_schema(properties.get(name)) if isinstance(name, str) else None
            if sub is not None:
                stack.append((sub, pointer(path, "properties", name), seen))
            elif closed and name not in properties:
                return path or "/", f"requires {name!r}, which additionalProperties: false forbids"
    return None


def _needs_rewrite(schema: Mapping[str, Any]) -> bool:
    for path, node in _nodes(schema):
        ref = node.get("$ref")
        if ref is not None and not is_local_ref(ref):
            return True
        if path and isinstance(node.get("$id"), str):
            return True
        if any(isinstance(child, bool) for _, _, child in _children(node)):
            return True
    return False


def _point_refs_locally(document: dict[str, Any]) -> None:
    """Rewrite each ``$ref`` that resolves as the JSON Pointer of its target, in place."""
    # Imported here: only schemas with $id, $anchor or URN references need the resolver.
    from referencing import Registry
    from referencing.jsonschema import DRAFT202012, specification_with

    dialect = document.get("$schema")
    specification: Specification[Any] = (
        specification_with(dialect, default=DRAFT202012)
        if isinstance(dialect, str)
        else DRAFT202012
    )
    resource = specification.create_resource(document)
    base = resource.id() or ""
    registry: Registry[Any] = Registry[Any]().with_resource(base, resource).crawl()
    paths = {id(node): path for path, node in _nodes(document)}
    # Resolver (referencing._core) is not exported: its type is left to inference.
    stack: list[tuple[dict[str, Any], str, Any]] = [(document, "", registry.resolver(base))]
    while stack:
        node, path, resolver = stack.pop()
        if path and isinstance(node.get("$id"), str):
            resolver = resolver.in_subresource(specification.create_resource(node))
        ref = node.get("$ref")
        if isinstance(ref, str):
            target = _target_path(resolver, ref, paths)
            if target is not None:
                node["$ref"] = "#" + quote(target, safe=_POINTER_SAFE)
        stack.extend(
            (cast("dict[str, Any]", child), child_path, resolver)
            for child_path, child in (*subschemas(node, path), *definitions(node, path))
            if isinstance(child, dict)
        )
    for path, node in _nodes(document):
        if path:
            cast("dict[str, Any]", node).pop("$id", None)


def _target_path(resolver: Any, ref: str, paths: Mapping[int, str]) -> str | None:
    """The JSON Pointer (from the document's root) of what ``ref`` names; None if nothing."""
    from referencing.exceptions import Unresolvable

    uri, _, fragment = ref.partition("#")
    pointer = unquote(fragment)
    try:
        # A pointer fragment is walked from its resource, as a target may be a boolean
        # (which has no identity to look up); an anchor names a schema object.
        found = resolver.lookup(f"{uri}#" if pointer.startswith("/") else ref)
    except Unresolvable:
        return None
    base = paths.get(id(found.contents))
    if base is None:
        return None
    if not pointer.startswith("/"):
        return base
    return base + pointer if walk_pointer(found.contents, pointer) is not MISSING else None


def _without_booleans(node: dict[str, Any]) -> dict[str, Any]:
    """Replace each boolean subschema with its object form, in place, and return ``node``."""
    for container, key, child in list(_children(node)):
        if isinstance(child, bool):
            container[key] = {} if child else nothing()
        elif isinstance(child, dict):
            _without_booleans(cast("dict[str, Any]", child))
    return node


def _children(node: Mapping[str, Any]) -> Iterator[tuple[Any, Any, object]]:
    """Each subschema position of ``node`` as (its container, its key there, the value)."""
    for key, value in node.items():
        if key in _BOOLEANS_KEPT and isinstance(value, bool):
            continue
        named = as_schema(value)
        if key in _NAMED_SCHEMAS and named is not None:
            yield from ((value, name, sub) for name, sub in named.items())
        elif key in _ONE_SCHEMA and (named is not None or isinstance(value, bool)):
            yield node, key, value
        elif key in _SCHEMA_LISTS and isinstance(value, list):
            yield from ((value, i, sub) for i, sub in enumerate(cast("list[Any]", value)))


def _nodes(schema: Mapping[str, Any]) -> Iterator[tuple[str, Mapping[str, Any]]]:
    """Every schema object in ``schema`` (definitions included) with its JSON Pointer."""
    stack: list[tuple[str, object]] = [("", schema)]
    while stack:
        path, value = stack.pop()
        node = as_schema(value)
        if node is None:
            continue
        yield path, node
        stack.extend(reversed([*subschemas(node, path), *definitions(node, path)]))


_NAMED_SCHEMAS: Final = frozenset(
    {"properties", "patternProperties", "dependentSchemas", "$defs", "definitions"}
)
_ONE_SCHEMA: Final = frozenset(
    {"items", "additionalItems", "propertyNames", "contains", "not", "if", "then", "else"}
)
_SCHEMA_LISTS: Final = frozenset({"anyOf", "oneOf", "allOf", "prefixItems", "items"})
