"""Turn what a tool returned into the text the model reads, and into its `ToolResult`."""

from __future__ import annotations

import base64
import dataclasses
import itertools
import sys
from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, TypeGuard, cast

import pydantic_core

from switchboard.messages import ContentPart, ErrorKind, FilePart, ImagePart, TextPart, ToolResult

if TYPE_CHECKING:
    from pydantic import BaseModel

DEFAULT_MAX_RESULT_CHARS = 50_000
"""Results longer than this are cut, with a marker saying so (about 12k tokens)."""


def to_content(value: Any, max_chars: int = DEFAULT_MAX_RESULT_CHARS) -> str:
    r"""Serialise a return value for the model.

    Rules: ``str`` as is; ``bytes`` as UTF-8 text when they decode, else as
    ``base64:<data>``; everything else (Pydantic models, dataclasses, dicts, lists,
    numbers, ``None``, enums, datetimes) as compact JSON, with objects JSON cannot hold
    written as their ``str()``, ``NaN`` and infinities as the strings ``"NaN"`` and
    ``"Infinity"``. Text longer than ``max_chars`` is cut and ends with a marker giving the
    full length.

    It never fails on what a tool returned: bytes inside a structure are written as
    above, a structure that contains itself has the inner reference written as
    ``"<cycle>"``, and an iterator (a generator, ``map``, ``itertools.count()``) is read
    only as far as ``max_chars`` allows, so an endless one costs bounded time and memory.

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
    elif hasattr(value.__class__, "__next__"):  # an iterator: it may never end
        return _iterator_text(value, max_chars)
    else:
        text = _json(value, max_chars)
    if len(text) <= max_chars:
        return text
    return f"{text[:max_chars]}\n[truncated: {max_chars} of {len(text)} characters shown]"


_FAST_INT = 10**18
_MAX_DEPTH = 100
CYCLE = "<cycle>"
"""What stands in a result for a reference to a structure from inside itself."""


def _json(value: Any, max_chars: int) -> str:
    try:
        return pydantic_core.to_json(value, fallback=_text, inf_nan_mode="strings").decode()
    # Bytes that are not UTF-8, cycles, nesting too deep, a fallback that failed: write
    # what can be written rather than call a call that ran a failure.
    except (ValueError, TypeError, RecursionError):
        plain = _plain(value, max_chars, set(), 0)
        return pydantic_core.to_json(plain, fallback=_text, inf_nan_mode="strings").decode()


def _iterator_text(iterator: Iterator[Any], max_chars: int) -> str:
    """An iterator as a JSON list of as many items as fit in ``max_chars``, then a marker."""
    items: list[str] = []
    size = 1
    for item in iterator:
        items.append(_json(item, max_chars))
        size += len(items[-1]) + 1
        if size > max_chars:
            break
    else:
        return "[" + ",".join(items) + "]"
    text = "[" + ",".join(items)
    return f"{text[:max_chars]}\n[truncated: the first {max_chars} characters shown]"


def _plain(value: Any, budget: int, inside: set[int], depth: int) -> Any:
    """``value`` rebuilt from what JSON holds, cycles cut and iterators read within ``budget``."""
    if value is None or isinstance(value, str | int | float | bool):
        return value
    if isinstance(value, bytes | bytearray):
        return _bytes_text(bytes(value))
    if id(value) in inside:
        return CYCLE
    if depth >= _MAX_DEPTH:
        return _text(value)
    inside.add(id(value))
    try:
        return _plain_container(value, budget, inside, depth + 1)
    finally:
        inside.discard(id(value))


def _plain_container(value: object, budget: int, inside: set[int], depth: int) -> Any:
    fields = _fields(value)
    if fields is not None:
        pairs = itertools.islice(fields.items(), budget)
        return {_text(k): _plain(v, budget, inside, depth) for k, v in pairs}
    if isinstance(value, list | tuple | set | frozenset) or hasattr(type(value), "__next__"):
        items = itertools.islice(cast(Iterable[Any], value), budget)
        return [_plain(item, budget, inside, depth) for item in items]
    try:
        pydantic_core.to_json(value, fallback=_text)
    except (ValueError, TypeError, RecursionError):
        return _text(value)
    return value


def _fields(value: object) -> dict[Any, Any] | None:
    """A mapping, model or dataclass instance as a dict of its fields; None for others."""
    if isinstance(value, dict):
        return cast(dict[Any, Any], value)
    if _is_pydantic_model(value):
        return {name: getattr(value, name) for name in type(value).model_fields}
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        return {f.name: getattr(value, f.name) for f in dataclasses.fields(value)}
    return None


def _is_pydantic_model(value: object) -> TypeGuard[BaseModel]:
    # Only a program that imported pydantic holds a model: checking for one must not import
    # it (switchboard itself imports pydantic with the first tool it builds).
    pydantic: Any = sys.modules.get("pydantic")
    return pydantic is not None and isinstance(value, pydantic.BaseModel)


def _text(value: Any) -> str:
    """``str(value)``, or a description of it when its ``__str__`` fails."""
    try:
        return str(value)
    except Exception:  # a broken __str__ is the tool's, and must not fail its result
        return f"<{type(value).__name__} object>"


_PART_TYPES: frozenset[type] = frozenset({TextPart, ImagePart, FilePart})
PART_HOLDERS: frozenset[type] = _PART_TYPES | {list, tuple}
"""The classes of a value `result_parts` may find parts in: a cheap test before calling it."""


def result_parts(value: Any) -> tuple[ContentPart, ...] | None:
    """The content parts a tool returned: one part, or a list or tuple of parts only.

    ``None`` for any other value (written with `to_content`), an empty list included.

    Example:
        >>> result_parts([TextPart("a chart"), ImagePart("https://c.example/c", "image/png")])
        (TextPart(text='a chart'), ImagePart(data='https://c.example/c', media_type='image/png'))
    """
    if value.__class__ in _PART_TYPES:
        return (value,)
    if value.__class__ not in (list, tuple) or not value:
        return None
    items = cast("list[Any] | tuple[Any, ...]", value)
    if all(item.__class__ in _PART_TYPES for item in items):
        return tuple(items)
    return None


def describe_parts(
    parts: tuple[ContentPart, ...], max_chars: int = DEFAULT_MAX_RESULT_CHARS
) -> str:
    r"""The parts as text, for a model or an API that reads text only.

    Text parts are given whole, images and files by a line in brackets naming what they are.

    Example:
        >>> describe_parts((TextPart("The chart:"), ImagePart(b"GIF89a", "image/gif")))
        'The chart:\n[image: image/gif, 6 bytes]'
    """
    text = "\n".join(_describe_part(part) for part in parts)
    if len(text) <= max_chars:
        return text
    return f"{text[:max_chars]}\n[truncated: {max_chars} of {len(text)} characters shown]"


def _describe_part(part: ContentPart) -> str:
    if isinstance(part, TextPart):
        return part.text
    kind = "image" if isinstance(part, ImagePart) else "file"
    named = f" {part.filename}" if isinstance(part, FilePart) and part.filename else ""
    where = part.data if isinstance(part.data, str) else f"{len(part.data):,} bytes"
    return f"[{kind}{named}: {part.media_type}, {where}]"


def new_result(
    call_id: str,
    name: str,
    content: str,
    is_error: bool,
    error_kind: ErrorKind | None,
    repaired: tuple[str, ...],
    duration: float,
    value: Any,
    parts: tuple[ContentPart, ...] = (),
) -> ToolResult:
    """Build a `ToolResult` from all its fields, for a quarter of its constructor's cost.

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``.
    Here the fields are written to an object of the same slot layout whose attributes are
    writable, which then becomes a `ToolResult` by ``__class__`` assignment (CPython
    checks that the layouts match). The result is an ordinary, frozen `ToolResult`.
    """
    record = WritableResult()
    record.call_id = call_id
    record.name = name
    record.content = content
    record.is_error = is_error
    record.error_kind = error_kind
    record.repaired = repaired
    record.duration = duration
    record.value = value
    record.parts = parts
    record.__class__ = ToolResult  # pyright: ignore[reportAttributeAccessIssue]
    return record  # pyright: ignore[reportReturnType]


class WritableResult:
    """`ToolResult`'s slots without its frozen ``__setattr__``, for `new_result` alone.

    The executor's short way (`switchboard.execution.executor`) does what `new_result`
    does in line: a call of it costs a quarter of what it does, on every call.
    """

    __slots__ = ToolResult.__slots__
    call_id: str
    name: str
    content: str
    is_error: bool
    error_kind: ErrorKind | None
    repaired: tuple[str, ...]
    duration: float
    value: Any
    parts: tuple[ContentPart, ...]


def _bytes_text(data: bytes) -> str:
    try:
        return data.decode()
    except UnicodeDecodeError:
        return "base64:" + base64.b64encode(data).decode()
