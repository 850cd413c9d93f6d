"""The way back from strict mode: the ``null``s it made a model send, removed again."""

from __future__ import annotations

import contextlib
from collections.abc import Mapping, Sequence
from typing import Any

from switchboard.schema.combine import Clash, distributed
from switchboard.schema.nodes import accepts_null, as_list, as_schema, resolve_ref

_MAX_REF_HOPS = 64


def drop_strict_nulls(arguments: Mapping[str, Any], schema: Mapping[str, Any]) -> dict[str, Any]:
    """Remove the ``null``s strict mode made a model send for parameters it left out.

    A property that is optional in ``schema`` and does not accept ``null`` there is
    dropped when its value is ``null``, at any depth (nested objects, arrays, ``$ref``s),
    so that its default applies. A ``null`` that ``schema`` accepts is kept.

    Args:
        arguments: The arguments the model sent, parsed from JSON.
        schema: The original (neutral) schema, not its strict form, with its ``$ref``s as
            JSON Pointers (`switchboard.schema.canonical.canonical_schema` makes them so;
            `Tool.validate` passes it that way).

    Returns:
        A new dict; ``arguments`` is not changed.
    """
    node = _object_branch(_resolved(schema, schema), arguments, schema)
    return _restore_object(arguments, node, schema)


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
    if node is not None and ("anyOf" in node or "oneOf" in node):
        # Read as strict mode wrote it: the keywords beside the union are in each branch.
        with contextlib.suppress(Clash):
            node = distributed(node, root)
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
    if node is not None and ("anyOf" in node or "oneOf" in node):
        with contextlib.suppress(Clash):
            node = distributed(node, root)
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
