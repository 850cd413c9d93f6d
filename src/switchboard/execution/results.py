"""Turn what a tool returned into the text the model reads, and into its `ToolResult`."""

from __future__ import annotations

import base64
from typing import Any

import pydantic_core

from switchboard.messages import ErrorKind, ToolResult

DEFAULT_MAX_RESULT_CHARS = 50_000
"""Results longer than this are cut, with a marker saying so (about 12k tokens)."""


def to_content(value: Any, max_chars: int = DEFAULT_MAX_RESULT_CHARS) -> str:
    r"""Serialise a return value for the model.

    Rules: ``str`` as is; ``bytes`` as UTF-8 text when they decode, else as
    ``base64:<data>``; everything else (Pydantic models, dataclasses, dicts, lists,
    numbers, ``None``, enums, datetimes) as compact JSON, with objects JSON cannot hold
    written as their ``str()``. Text longer than ``max_chars`` is cut and ends with a
    marker giving the full length.

    Example:
        >>> to_content({"city": "Tokyo", "temp": 18.5})
        '{"city":"Tokyo","temp":18.5}'
        >>> to_content("x" * 30, max_chars=10)
        'xxxxxxxxxx\n[truncated: 10 of 30 characters shown]'
    """
    if isinstance(value, str):
        text = value
    # Plain int, bool and None are written here, without a round trip through pydantic-core;
    # the exact-class tests leave subclasses (IntEnum serialises differently) to it.
    elif value.__class__ is int and -_FAST_INT < value < _FAST_INT:  # str() refuses 4300+ digits
        text = str(value)
    elif value.__class__ is bool:
        text = "true" if value else "false"
    elif value is None:
        text = "null"
    elif isinstance(value, bytes | bytearray):
        text = _bytes_text(bytes(value))
    else:
        text = pydantic_core.to_json(value, fallback=str).decode()
    if len(text) <= max_chars:
        return text
    return f"{text[:max_chars]}\n[truncated: {max_chars} of {len(text)} characters shown]"


_FAST_INT = 10**18


def new_result(
    call_id: str,
    name: str,
    content: str,
    is_error: bool,
    error_kind: ErrorKind | None,
    repaired: tuple[str, ...],
    duration: float,
    value: Any,
) -> ToolResult:
    """Build a `ToolResult` from all its fields, for a quarter of its constructor's cost.

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``.
    Here the fields are written to an object of the same slot layout whose attributes are
    writable, which then becomes a `ToolResult` by ``__class__`` assignment (CPython
    checks that the layouts match). The result is an ordinary, frozen `ToolResult`.
    """
    record = _WritableResult()
    record.call_id = call_id
    record.name = name
    record.content = content
    record.is_error = is_error
    record.error_kind = error_kind
    record.repaired = repaired
    record.duration = duration
    record.value = value
    record.__class__ = ToolResult  # pyright: ignore[reportAttributeAccessIssue]
    return record  # pyright: ignore[reportReturnType]


class _WritableResult:
    """`ToolResult`'s slots without its frozen ``__setattr__``: only `new_result` uses it."""

    __slots__ = ToolResult.__slots__
    call_id: str
    name: str
    content: str
    is_error: bool
    error_kind: ErrorKind | None
    repaired: tuple[str, ...]
    duration: float
    value: Any


def _bytes_text(data: bytes) -> str:
    try:
        return data.decode()
    except UnicodeDecodeError:
        return "base64:" + base64.b64encode(data).decode()
