"""Shared by the provider tests: a request body checked against the SDK's own request types.

The SDKs describe their request bodies as TypedDicts, which nothing checks at run time
(pydantic validates their ``Iterable`` fields lazily, and ignores unknown keys). This reads
the types strictly: every required key present, no key the type does not name, every
value of its declared type, a union satisfied by one of its branches. A body the SDK's
types reject is a body the API was never documented to take.
"""

from __future__ import annotations

import collections.abc
import types
import typing
from typing import (
    Annotated,
    Any,
    Literal,
    NotRequired,
    Required,
    Union,
    get_args,
    get_origin,
    get_type_hints,
)

from typing_extensions import is_typeddict

__all__ = ["assert_sdk_accepts", "sdk_problems"]


def assert_sdk_accepts(value: Any, expected: Any) -> None:
    """Fail naming the first place where ``value`` is not an ``expected`` (an SDK type)."""
    problems = sdk_problems(value, expected)
    assert not problems, "the SDK's request types reject the body:\n" + "\n".join(problems[:5])


def sdk_problems(value: Any, expected: Any, path: str = "$") -> list[str]:
    """Where ``value`` does not match the type ``expected``; empty when it does."""
    origin = get_origin(expected)
    if expected is Any or expected is object:
        return []
    if origin is Annotated or origin in (Required, NotRequired):
        return sdk_problems(value, get_args(expected)[0], path)
    if origin in (Union, types.UnionType):
        return _union(value, get_args(expected), path)
    if origin is Literal:
        allowed = get_args(expected)
        return [] if value in allowed else [f"{path}: {value!r} is not one of {allowed}"]
    if expected is type(None):
        return [] if value is None else [f"{path}: {value!r} is not null"]
    if is_typeddict(expected):
        return _typed_dict(value, expected, path)
    if origin in (dict, collections.abc.Mapping) or expected is dict:
        return _mapping(value, get_args(expected), path)
    if _is_sequence(expected, origin):
        return _sequence(value, get_args(expected), path)
    return _scalar(value, expected, path)


def _union(value: Any, branches: tuple[Any, ...], path: str) -> list[str]:
    found: list[str] = []
    for branch in branches:
        problems = sdk_problems(value, branch, path)
        if not problems:
            return []
        found.extend(problems)
    # The problems of the branch that came closest (fewest), to point at the real mistake.
    best = min((sdk_problems(value, b, path) for b in branches), key=len)
    return best or found


def _typed_dict(value: Any, expected: Any, path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: {type(value).__name__} is not an object ({expected.__name__})"]
    hints = get_type_hints(expected, include_extras=True)
    problems = [
        f"{path}: {expected.__name__} has no key {key!r}" for key in value if key not in hints
    ]
    problems.extend(
        f"{path}: {expected.__name__} requires {key!r}"
        for key in expected.__required_keys__
        if key not in value
    )
    for key, item in value.items():
        if key in hints:
            problems.extend(sdk_problems(item, hints[key], f"{path}.{key}"))
    return problems


def _mapping(value: Any, args: tuple[Any, ...], path: str) -> list[str]:
    if not isinstance(value, dict):
        return [f"{path}: {type(value).__name__} is not an object"]
    if not args:
        return []
    key_type, value_type = args
    problems: list[str] = []
    for key, item in value.items():
        problems.extend(sdk_problems(key, key_type, f"{path}[key {key!r}]"))
        problems.extend(sdk_problems(item, value_type, f"{path}.{key}"))
    return problems


def _is_sequence(expected: Any, origin: Any) -> bool:
    if origin in (list, collections.abc.Iterable, collections.abc.Sequence):
        return True
    # The SDKs' SequenceNotStr[str]: a sequence, but not a str.
    return getattr(origin, "__name__", "") == "SequenceNotStr" or expected is list


def _sequence(value: Any, args: tuple[Any, ...], path: str) -> list[str]:
    if not isinstance(value, list):
        return [f"{path}: {type(value).__name__} is not an array"]
    item_type = args[0] if args else object
    problems: list[str] = []
    for index, item in enumerate(value):
        problems.extend(sdk_problems(item, item_type, f"{path}[{index}]"))
    return problems


def _scalar(value: Any, expected: Any, path: str) -> list[str]:
    if expected is float:
        ok = isinstance(value, int | float) and not isinstance(value, bool)
    elif expected is int:
        ok = isinstance(value, int) and not isinstance(value, bool)
    elif isinstance(expected, type):
        ok = isinstance(value, expected)
    elif isinstance(expected, typing.TypeVar):
        ok = True
    else:
        return [f"{path}: the check cannot read the type {expected!r}"]
    return [] if ok else [f"{path}: {value!r} is not a {getattr(expected, '__name__', expected)}"]
