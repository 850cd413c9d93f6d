"""A call's argument text as it arrives, and the arguments it holds so far."""

from __future__ import annotations

import math
import re
from collections.abc import Callable, Mapping
from typing import Any, cast

import pydantic_core

from switchboard.streaming.events import StreamEvent, ToolCallDelta

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

    def add(self, fragment: str) -> Mapping[str, Any]:
        """`append` the fragment, then return `partial`: one call, made once per fragment."""
        self._fragments.append(fragment)
        self._length += len(fragment)
        if self._length >= self._next:
            self._parse()
        return self._parsed

    def deltas(
        self, call_id: str, *, partial_args: bool = True
    ) -> Callable[[str], list[StreamEvent]]:
        """What a stream of the call ``call_id`` does with each next fragment, in one call.

        The function returned adds the fragment (as `add` does, or as `append` does
        without ``partial_args``) and gives its `ToolCallDelta` (``partial_args`` the
        `partial` arguments), none for an empty fragment. A stream makes this step for every
        fragment of a call, so the whole of it is one call of a method of the buffer (see
        benchmarks/streaming.py); `TurnAccumulator.add_fragment` makes it.
        """

        def delta(fragment: str) -> list[StreamEvent]:
            if not fragment:
                return []
            self._fragments.append(fragment)
            self._length += len(fragment)
            if self._length >= self._next:
                self._parse()
            # Built as `_DeltaFields` says, for a third of the constructor's cost.
            event = _DeltaFields()
            event.id = call_id
            event.fragment = fragment
            event.partial_args = self._parsed
            event.__class__ = ToolCallDelta  # pyright: ignore[reportAttributeAccessIssue]
            return [event]  # pyright: ignore[reportReturnType]

        def text_delta(fragment: str) -> list[StreamEvent]:
            if not fragment:
                return []
            self._fragments.append(fragment)
            self._length += len(fragment)
            event = _DeltaFields()
            event.id = call_id
            event.fragment = fragment
            event.partial_args = None
            event.__class__ = ToolCallDelta  # pyright: ignore[reportAttributeAccessIssue]
            return [event]  # pyright: ignore[reportReturnType]

        return delta if partial_args else text_delta

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

        See `settled_arguments`.
        """
        return settled_arguments(self.text)

    def _parse(self) -> None:
        self._parsed_at = self._length
        self._next = self._length + max(1, math.ceil(GROWTH * self._length))
        try:
            value: Any = pydantic_core.from_json(self.text, allow_partial=self._mode)  # pyright: ignore[reportArgumentType]
        except ValueError:
            return  # not JSON (yet, or at all): keep the last value
        if isinstance(value, dict):
            self._parsed = value


class _DeltaFields:
    """`ToolCallDelta`'s slots without its frozen ``__setattr__``, to build one cheaply.

    A frozen dataclass's ``__init__`` sets each field through ``object.__setattr__``.
    `ArgumentBuffer.deltas` writes the fields to an object of the same slot layout, which
    then becomes a `ToolCallDelta` by ``__class__`` assignment (CPython checks that the
    layouts match), as `switchboard.execution.results.new_result` does for results.
    """

    __slots__ = ToolCallDelta.__slots__
    id: str
    fragment: str
    partial_args: Mapping[str, Any] | None


# A text ending in one of these, outside strings, may end inside a number or a literal
# (10 of 1000, tru).
_OPEN_SCALAR_ENDS = frozenset("0123456789.-+eEtrufalsn")
_STRING = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)


def settled_arguments(text: str) -> dict[str, Any]:
    """The values of cut-off argument text that are certainly complete.

    An unfinished trailing value is dropped: a string without its closing quote, and a
    number or literal the text ends in, which may have gone on (``10`` of ``1000``). Text
    that is not JSON gives ``{}``.

    Example:
        >>> settled_arguments('{"to": "ana", "amount": 10')
        {'to': 'ana'}
    """
    try:
        value: Any = pydantic_core.from_json(text, allow_partial=True)
    except ValueError:
        return {}
    if not isinstance(value, dict):
        return {}
    settled = cast(dict[str, Any], value)
    outside = _STRING.sub("", text)  # what is left of a string the text ends in starts with "
    if outside and outside[-1] in _OPEN_SCALAR_ENDS and '"' not in outside:
        _drop_last_scalar(settled)
    return settled


def _drop_last_scalar(container: dict[str, Any] | list[Any]) -> None:
    """Remove the last leaf value of ``container`` (the one written last)."""
    if not container:
        return
    if isinstance(container, dict):
        key = next(reversed(container))
        last = container[key]
        if isinstance(last, dict | list) and last:
            _drop_last_scalar(cast(dict[str, Any] | list[Any], last))
        else:
            del container[key]
        return
    last = container[-1]
    if isinstance(last, dict | list) and last:
        _drop_last_scalar(cast(dict[str, Any] | list[Any], last))
    else:
        container.pop()
