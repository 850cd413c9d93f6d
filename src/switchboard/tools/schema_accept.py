"""A quick yes for arguments that a simple JSON Schema certainly accepts, before ``jsonschema``.

Hand-written because ``jsonschema`` (which stays the judge) builds a validator object for
each subschema it descends into, on every call: about 12 µs for two integer properties, a
third of what switchboard adds to a call of an MCP tool (benchmarks/mcp_client.py). Most tool
schemas use a few keywords; for a schema that uses only those, `acceptor` builds a check that
answers True only for an instance every keyword accepts. It answers False when it is not
sure (a float that may be an integer, a value outside a string enum), and a schema with any
other keyword (``$ref``, ``format``, ``pattern``, ``oneOf``...) gets no check at all: either
way ``jsonschema`` decides, and writes the messages. So nothing ``jsonschema`` refuses is
accepted (tests/tools/test_schema_accept.py checks this against ``jsonschema`` itself).
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, cast

Check = Callable[[Any], bool]
"""True: the instance is valid. False: not known (it may be valid or not)."""

_ANNOTATIONS = frozenset(
    {"title", "description", "default", "examples", "$comment", "deprecated", "readOnly",
     "writeOnly", "$schema"}
)  # fmt: skip
"""Keywords that never make an instance invalid (``$schema``: the drafts agree on the
keywords handled here, once ``exclusiveMinimum`` is a number, as checked)."""

_TYPES: dict[str, Check] = {
    # Exact classes: bool is no integer to JSON Schema, and an integral float is left to it.
    "integer": lambda value: value.__class__ is int,
    "number": lambda value: value.__class__ is int or value.__class__ is float,
    "string": lambda value: value.__class__ is str,
    "boolean": lambda value: value.__class__ is bool,
    "object": lambda value: value.__class__ is dict,
    "array": lambda value: value.__class__ is list,
    "null": lambda value: value is None,
}


class _Unsupported(Exception):
    """The schema uses what `acceptor` does not check."""


def acceptor(schema: Mapping[str, Any] | bool) -> Check | None:
    """A check that says True only for instances ``schema`` accepts; None for other schemas."""
    try:
        return _compile(schema)
    except _Unsupported:
        return None


def _compile(schema: object) -> Check:
    if schema is True:
        return _yes
    if not isinstance(schema, dict):
        raise _Unsupported
    keywords = cast(dict[str, Any], schema)
    checks: list[Check] = []
    for keyword, value in keywords.items():
        if keyword in _ANNOTATIONS:
            continue
        build = _KEYWORDS.get(keyword)
        if build is None:
            raise _Unsupported
        checks.append(build(value, keywords))
    if not checks:
        return _yes
    if len(checks) == 1:
        return checks[0]
    every = tuple(checks)

    def check_all(value: object) -> bool:
        for check in every:  # noqa: SIM110 - a loop makes no generator per call
            if not check(value):
                return False
        return True

    return check_all


def _yes(value: object) -> bool:
    del value
    return True


def _type(value: object, schema: dict[str, Any]) -> Check:
    del schema
    if not isinstance(value, str | list) or not value:
        raise _Unsupported
    names = [value] if isinstance(value, str) else cast(list[Any], value)
    checks = [_TYPES[name] for name in names if isinstance(name, str) and name in _TYPES]
    if len(checks) != len(names):
        raise _Unsupported
    if len(checks) == 1:
        return checks[0]
    return lambda instance: any(check(instance) for check in checks)


def _properties(value: object, schema: dict[str, Any]) -> Check:
    del schema
    if not isinstance(value, dict):
        raise _Unsupported
    checks = {name: _compile(sub) for name, sub in cast(dict[str, Any], value).items()}

    named = tuple(checks.items())

    def check(instance: Any) -> bool:
        if instance.__class__ is not dict:
            return True  # properties says nothing of other values
        for name, accepts in named:
            if name in instance and not accepts(instance[name]):
                return False
        return True

    return check


def _required(value: object, schema: dict[str, Any]) -> Check:
    del schema
    if not isinstance(value, list):
        raise _Unsupported
    names = tuple(cast(list[Any], value))
    if not all(isinstance(name, str) for name in names):
        raise _Unsupported
    return lambda instance: instance.__class__ is not dict or all(n in instance for n in names)


def _additional_properties(value: object, schema: dict[str, Any]) -> Check:
    if value is True:
        return _yes
    if value is not False or "patternProperties" in schema:
        raise _Unsupported
    allowed = frozenset(cast(dict[str, Any], schema.get("properties", {})))
    return lambda instance: instance.__class__ is not dict or allowed.issuperset(instance)


def _enum(value: object, schema: dict[str, Any]) -> Check:
    del schema
    if not isinstance(value, list):
        raise _Unsupported
    listed = cast(list[Any], value)
    if not all(isinstance(member, str) for member in listed):
        raise _Unsupported
    members = frozenset(listed)
    return lambda instance: instance.__class__ is str and instance in members


def _items(value: object, schema: dict[str, Any]) -> Check:
    del schema
    if not isinstance(value, dict | bool):
        raise _Unsupported  # the array form of older drafts (prefixItems now)
    item = None if value is False else _compile(cast(dict[str, Any] | bool, value))

    def check(instance: Any) -> bool:
        if instance.__class__ is not list:
            return True
        if item is None:
            return not instance
        return all(item(element) for element in instance)

    return check


def _any_of(value: object, schema: dict[str, Any]) -> Check:
    del schema
    if not isinstance(value, list) or not value:
        raise _Unsupported
    checks = [_compile(sub) for sub in cast(list[Any], value)]
    return lambda instance: any(check(instance) for check in checks)


def _bound(compare: Callable[[float, float], bool]) -> Callable[[object, dict[str, Any]], Check]:
    def build(value: object, schema: dict[str, Any]) -> Check:
        del schema
        if value.__class__ is not int and value.__class__ is not float:
            raise _Unsupported  # draft 4's boolean exclusiveMinimum among them
        limit = cast(float, value)
        return lambda instance: (
            (instance.__class__ is not int and instance.__class__ is not float)
            or compare(instance, limit)
        )

    return build


def _length(
    kind: type, compare: Callable[[int, int], bool]
) -> Callable[[object, dict[str, Any]], Check]:
    def build(value: object, schema: dict[str, Any]) -> Check:
        del schema
        if value.__class__ is not int:
            raise _Unsupported
        limit = cast(int, value)
        return lambda instance: instance.__class__ is not kind or compare(len(instance), limit)

    return build


_KEYWORDS: dict[str, Callable[[object, dict[str, Any]], Check]] = {
    "type": _type,
    "properties": _properties,
    "required": _required,
    "additionalProperties": _additional_properties,
    "enum": _enum,
    "items": _items,
    "anyOf": _any_of,
    "minimum": _bound(lambda value, limit: value >= limit),
    "maximum": _bound(lambda value, limit: value <= limit),
    "exclusiveMinimum": _bound(lambda value, limit: value > limit),
    "exclusiveMaximum": _bound(lambda value, limit: value < limit),
    "minLength": _length(str, lambda size, limit: size >= limit),
    "maxLength": _length(str, lambda size, limit: size <= limit),
    "minItems": _length(list, lambda size, limit: size >= limit),
    "maxItems": _length(list, lambda size, limit: size <= limit),
}
