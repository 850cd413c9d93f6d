"""A call's argument text as it arrives, and the arguments it holds so far."""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

import pydantic_core

GROWTH = 0.25
"""The buffer is re-parsed once it has grown by this share of its size at the last parse."""


class ArgumentBuffer:
    """The fragments of one call's arguments: joined once, parsed at geometric sizes.

    Appending a fragment is O(1); the text is joined only when asked for (and the join
    is kept), so accumulating a call costs time linear in its length.

    The partially parsed arguments (`partial`) come from **re-parsing at geometrically
    spaced sizes**: the whole buffer is parsed again (``pydantic_core.from_json`` with
    ``allow_partial``, the parser the Anthropic SDK uses) only when it has grown by
    `GROWTH` of its size at the previous parse. The sizes parsed grow geometrically, so the
    parsing done over a whole stream is at most ``(1 + 1 / GROWTH)`` times the final
    length: amortised linear, where parsing at every fragment (what the SDKs do) is
    quadratic in the number of fragments. Between parses `partial` returns the last
    value, which lags the text by less than `GROWTH` of it.

    Why re-parse rather than parse incrementally: no parser among the dependencies keeps
    its state between fragments (jiter, behind ``pydantic_core.from_json``, parses a whole
    buffer at a time), and a hand-written resumable parser in Python pays an interpreter
    step per character, slower than jiter's native re-parses at geometric sizes.

    `partial` keeps a string still being written, cut where the text ends, and drops any
    other unfinished trailing value (``tr`` of ``true``, a key without its value).
    `settled` is what a call cut off mid-way keeps: the values that are complete, an
    unfinished string dropped too, as the Anthropic SDK reads a truncated call.

    Args:
        trailing_strings: Whether `partial` keeps a string still being written.
    """

    __slots__ = ("_fragments", "_length", "_mode", "_next", "_parsed", "_parsed_at")

    def __init__(self, *, trailing_strings: bool = True) -> None:
        self._fragments: list[str] = []
        self._length = 0
        self._parsed_at = 0
        self._next = 1  # the length at which `partial` parses again
        self._parsed: Mapping[str, Any] = {}
        self._mode: bool | str = "trailing-strings" if trailing_strings else True

    def append(self, fragment: str) -> None:
        """Add the next fragment of the text."""
        self._fragments.append(fragment)
        self._length += len(fragment)

    def __len__(self) -> int:
        return self._length

    @property
    def text(self) -> str:
        """The text so far."""
        if len(self._fragments) != 1:
            self._fragments = ["".join(self._fragments)]
        return self._fragments[0] if self._length else ""

    @property
    def partial(self) -> Mapping[str, Any]:
        """The arguments so far, re-parsed only when the text has grown enough (see above)."""
        if self._length >= self._next:
            self._parse()
        return self._parsed

    def settled(self) -> Mapping[str, Any]:
        """The arguments whose values are complete, in all of the text so far (one parse).

        An unfinished trailing value, a string included, is dropped; text that is not
        JSON gives ``{}``.
        """
        try:
            value: Any = pydantic_core.from_json(self.text, allow_partial=True)
        except ValueError:
            return {}
        return value if isinstance(value, dict) else {}  # pyright: ignore[reportUnknownVariableType]

    def _parse(self) -> None:
        self._parsed_at = self._length
        self._next = self._length + max(1, math.ceil(GROWTH * self._length))
        try:
            value: Any = pydantic_core.from_json(self.text, allow_partial=self._mode)  # pyright: ignore[reportArgumentType]
        except ValueError:
            return  # not JSON (yet, or at all): keep the last value
        if isinstance(value, dict):
            self._parsed = value
