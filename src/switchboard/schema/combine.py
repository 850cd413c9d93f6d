"""Keywords beside ``anyOf``/``oneOf`` moved into each branch, where every dialect reads them.

``{"properties": P, "required": R, "anyOf": [A, B]}`` means (P, R) *and* (A or B). Strict
mode, Gemini and the call grammar read a union by its branches only, so P and R would be
lost. `distributed` rewrites the node as ``{"anyOf": [(P, R) and A, (P, R) and B]}``,
merging the keywords into each branch where the merge is exact, and says when it is not
(a property both sides define differently, a closed object the other side adds keys to).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from switchboard.schema.nodes import (
    DEFINITION_KEYS,
    TYPED_KEYWORDS,
    as_list,
    as_schema,
    is_nothing,
    nothing,
    resolve_ref,
)

_UNION_KEYS: Final = ("anyOf", "oneOf")
_ANNOTATIONS: Final = frozenset(
    {"title", "description", "default", "examples", "deprecated", "$comment", "$anchor"}
)
# Keywords whose meaning depends on other keywords of the same object: merged only when
# the other side adds nothing they would then cover differently.
_CLOSING: Final = {"additionalProperties": ("properties", "patternProperties")}


class Clash(Exception):
    """The keywords beside a union and one of its branches cannot be merged exactly.

    Attributes:
        keywords: The keywords that clash, e.g. ``("properties",)``.
    """

    def __init__(self, keywords: tuple[str, ...]) -> None:
        self.keywords = keywords
        super().__init__(", ".join(keywords))


def distributed(node: Mapping[str, Any], root: Mapping[str, Any]) -> Mapping[str, Any]:
    """``node`` with the type keywords beside its union merged into each of its branches.

    Annotations (``description``, ``default``...) and anything that is not a type keyword
    stay on the node. A branch that cannot hold a value of the merged type is dropped; a
    branch that is a ``$ref`` is merged with its target.

    Args:
        node: A schema object with ``anyOf`` or ``oneOf`` (not both).
        root: The document, for ``$ref`` branches.

    Returns:
        ``node`` itself when nothing constraining is beside the union, else a new node.

    Raises:
        Clash: A branch and the keywords beside the union define the same keyword
            differently (see the module).
    """
    key = next((k for k in _UNION_KEYS if k in node), None)
    branches = as_list(node.get(key)) if key is not None else None
    beside = {k: v for k, v in node.items() if k in TYPED_KEYWORDS}
    if key is None or branches is None or not beside:
        return node
    rest = {k: v for k, v in node.items() if k not in beside}
    combined = [
        branch
        for branch in (merged(beside, _inlined(b, root)) for b in branches if not is_nothing(b))
        if branch is not None
    ]
    if not combined:
        return {**{k: v for k, v in rest.items() if k != key}, **nothing()}
    return {**rest, key: combined}


def _inlined(branch: object, root: Mapping[str, Any]) -> Mapping[str, Any]:
    node = as_schema(branch)
    if node is None:
        raise Clash(("anyOf",))
    ref = node.get("$ref")
    if ref is None:
        return node
    target = resolve_ref(root, ref)
    if target is None:
        raise Clash(("$ref",))
    siblings = {k: v for k, v in node.items() if k != "$ref"}
    return {**{k: v for k, v in target.items() if k not in DEFINITION_KEYS}, **siblings}


def merged(first: Mapping[str, Any], second: Mapping[str, Any]) -> dict[str, Any] | None:
    """One schema that holds exactly the values both schemas hold (their ``allOf``).

    Keywords only one side has are kept; ``required`` lists and ``properties`` maps are
    joined, ``type``s intersected; annotations come from ``first`` where both have them.

    Returns:
        The merged schema, or ``None`` when no value can satisfy both (no common type).

    Raises:
        Clash: Both define a keyword differently, or one closes an object (or its key
            patterns) that the other adds keys to.
    """
    out = dict(first)
    clashes: list[str] = []
    for key, value in second.items():
        if key not in out or out[key] == value:
            out[key] = value
        elif key == "required":
            listed = [*(as_list(out[key]) or ()), *(as_list(value) or ())]
            out[key] = list(dict.fromkeys(listed))
        elif key == "type":
            types = _common_types(out[key], value)
            if not types:
                return None
            out[key] = types[0] if len(types) == 1 else types
        elif key == "properties":
            out[key] = _merged_properties(out[key], value, clashes)
        elif key not in _ANNOTATIONS:
            clashes.append(key)
    for closing, covered in _CLOSING.items():
        for one, other in ((first, second), (second, first)):
            if closing in one and one[closing] is not True and _adds(other, one, covered):
                clashes.append(closing)
    if clashes:
        raise Clash(tuple(dict.fromkeys(clashes)))
    return out


def _merged_properties(first: object, second: object, clashes: list[str]) -> dict[str, Any]:
    ours, theirs = as_schema(first) or {}, as_schema(second) or {}
    if any(name in ours and ours[name] != sub for name, sub in theirs.items()):
        clashes.append("properties")
    return {**ours, **theirs}


def _adds(other: Mapping[str, Any], one: Mapping[str, Any], covered: tuple[str, ...]) -> bool:
    """Whether ``other`` declares keys (or key patterns) that ``one`` does not."""
    return any(
        set(as_schema(other.get(key)) or {}) - set(as_schema(one.get(key)) or {}) for key in covered
    )


def _common_types(first: object, second: object) -> list[str]:
    """The JSON types both type keywords allow (``number`` and ``integer``: ``integer``)."""
    ours = [t for t in as_list(first) or [first] if isinstance(t, str)]
    theirs = [t for t in as_list(second) or [second] if isinstance(t, str)]

    def allowed(name: str, among: list[str]) -> bool:
        return name in among or (name == "integer" and "number" in among)

    common = [t for t in ours if allowed(t, theirs)]
    common += [t for t in theirs if t == "integer" and allowed(t, ours) and t not in common]
    return common
