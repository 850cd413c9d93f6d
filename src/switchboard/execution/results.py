"""Turn what a tool returned into the text the model reads."""

from __future__ import annotations

import base64
from typing import Any

import pydantic_core

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
    elif isinstance(value, bytes | bytearray):
        text = _bytes_text(bytes(value))
    else:
        text = pydantic_core.to_json(value, fallback=str).decode()
    if len(text) <= max_chars:
        return text
    return f"{text[:max_chars]}\n[truncated: {max_chars} of {len(text)} characters shown]"


def _bytes_text(data: bytes) -> str:
    try:
        return data.decode()
    except UnicodeDecodeError:
        return "base64:" + base64.b64encode(data).decode()
