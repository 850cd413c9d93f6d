"""One reply's text and calls, assembled from a stream's pieces, with the events to yield.

Each adapter's ``stream.py`` reads its provider's wire events and drives a
`TurnAccumulator` with the neutral operations (text, open a call, a fragment, close a
call, finish); the accumulator keeps the calls in order, emits the `StreamEvent`s, and
knows, at the end, which calls are complete and which the stream ended inside.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Callable, Hashable, Mapping
from dataclasses import dataclass
from typing import Any

from switchboard.messages import StopReason, ToolCall
from switchboard.streaming.events import (
    StreamEvent,
    TextDelta,
    ToolCallCut,
    ToolCallDelta,
    ToolCallReady,
    ToolCallStart,
)
from switchboard.streaming.partial import ArgumentBuffer

logger = logging.getLogger("switchboard")

CUT_REASONS: frozenset[StopReason] = frozenset({"length", "error", "content_filter"})
"""Stop reasons that leave the calls still open unfinished: they are cut, never run."""


@dataclass(slots=True)
class StreamedCall:
    """One call as it arrives.

    Attributes:
        id: The call's id.
        name: The tool's name.
        arguments: Its argument text so far.
        closed: Whether the provider closed it (its arguments are final).
        cut: Whether the stream ended inside it.
        parsed: The arguments as a mapping: so far, for providers that stream values
            (Gemini); once closed, for providers whose calls carry parsed input.
        final: The whole argument text, when the provider sent it on closing the call.
    """

    id: str
    name: str
    arguments: ArgumentBuffer
    closed: bool = False
    cut: bool = False
    parsed: Mapping[str, Any] | None = None
    final: str | None = None

    @property
    def raw_arguments(self) -> str:
        """The argument text: the provider's final text if it sent one, else the fragments."""
        return self.final if self.final is not None else self.arguments.text


class TurnAccumulator:
    """Assembles one streamed reply: text pieces and calls keyed by the provider's key.

    Time is linear in the size of the reply: text and argument fragments are appended to
    lists and joined once; partial arguments (when asked for) are parsed at geometric
    sizes (see `ArgumentBuffer`).

    Args:
        partial_args: Compute `ToolCallDelta.partial_args`.
        trailing_strings: In partial arguments, keep a string still being written, cut
            where the text ends (the default), or drop it.
        parsed_arguments: Calls carry their arguments parsed (a mapping), as providers that
            send parsed input do (Anthropic, Gemini); a call closed with text that is not a
            JSON object is then cut (reason ``error``), never ready.
    """

    # Slots: `add_fragment` reads the accumulator once per fragment of a stream.
    __slots__ = (
        "_deltas",
        "_open",
        "_text",
        "_trailing_strings",
        "calls",
        "parsed_arguments",
        "partial_args",
    )

    def __init__(
        self,
        *,
        partial_args: bool = False,
        trailing_strings: bool = True,
        parsed_arguments: bool = False,
    ) -> None:
        self.partial_args = partial_args
        self.parsed_arguments = parsed_arguments
        self._trailing_strings = trailing_strings
        self._text: list[str] = []
        self.calls: list[StreamedCall] = []
        self._open: dict[Hashable, StreamedCall] = {}
        # Open calls whose fragments are text: key -> its buffer's step (`add_fragment`).
        self._deltas: dict[Hashable, Callable[[str], list[StreamEvent]]] = {}

    @property
    def text(self) -> str:
        """The text so far."""
        if len(self._text) > 1:
            self._text = ["".join(self._text)]
        return self._text[0] if self._text else ""

    def add_text(self, text: str) -> list[StreamEvent]:
        """A piece of text arrived."""
        if not text:
            return []
        self._text.append(text)
        return [TextDelta(text)]

    def is_open(self, key: Hashable) -> bool:
        """Whether a call is open under ``key``."""
        return key in self._open

    def open_call(self, key: Hashable, call_id: str, name: str) -> list[StreamEvent]:
        """A call began under ``key``; one still open under the same key is closed first."""
        events = self.close_call(key) if key in self._open else []
        buffer = ArgumentBuffer(trailing_strings=self._trailing_strings)
        call = StreamedCall(call_id, name, buffer)
        self.calls.append(call)
        self._open[key] = call
        self._deltas[key] = buffer.deltas(call_id, partial_args=self.partial_args)
        events.append(ToolCallStart(call_id, name))
        return events

    def add_fragment(
        self, key: Hashable, fragment: str, parsed: Mapping[str, Any] | None = None
    ) -> list[StreamEvent]:
        """A fragment of the arguments of the call open under ``key``.

        ``parsed`` is for providers that stream values (Gemini): the arguments so far. A
        fragment for no open call is logged and skipped.
        """
        if parsed is None:
            try:
                deltas = self._deltas[key]
            except KeyError:
                pass
            else:
                # The common fragment, the short way: this runs once per chunk of a stream,
                # and the call's buffer does all of it in one call (`ArgumentBuffer.deltas`).
                return deltas(fragment)
        call = self._open.get(key)
        if call is None:
            logger.warning("Stream: argument fragment for no open call (key %r): %r", key, fragment)
            return []
        if parsed is not None:
            call.parsed = parsed
            self._deltas.pop(key, None)  # its fragments now come with its values
        if not fragment:
            return []
        buffer = call.arguments
        buffer.append(fragment)
        if not self.partial_args:
            return [ToolCallDelta(call.id, fragment)]
        partial = call.parsed if call.parsed is not None else buffer.partial
        return [ToolCallDelta(call.id, fragment, partial)]

    def close_call(self, key: Hashable, arguments: str | None = None) -> list[StreamEvent]:
        """The call open under ``key`` is complete.

        ``arguments`` is the provider's whole text, when it sends one on closing; it wins
        over the fragments.
        """
        call = self._open.pop(key, None)
        if call is None:
            return []
        self._deltas.pop(key, None)
        if arguments is not None and arguments != call.arguments.text:
            if call.arguments.text:
                logger.warning(
                    "Stream: call %r closed with arguments %r unlike its fragments %r",
                    call.id,
                    arguments,
                    call.arguments.text,
                )
            call.final = arguments
        if self.parsed_arguments and call.parsed is None:
            parsed = _object(call.raw_arguments)
            if parsed is None:
                logger.warning(
                    "Stream: call %r closed with arguments that are not a JSON object: %r",
                    call.id,
                    call.raw_arguments,
                )
                return [self._cut(call, "error")]
            call.parsed = parsed
        call.closed = True
        return [ToolCallReady(ToolCall(call.id, call.name, self.final_arguments(call)))]

    def close_all(self) -> list[StreamEvent]:
        """Close every open call, in the order they began."""
        events: list[StreamEvent] = []
        for key in list(self._open):
            events.extend(self.close_call(key))
        return events

    def cut_open(self, reason: StopReason) -> list[StreamEvent]:
        """The stream ended (``reason``) inside the open calls: mark them cut."""
        events: list[StreamEvent] = [self._cut(call, reason) for call in self._open.values()]
        self._open.clear()
        self._deltas.clear()
        return events

    def _cut(self, call: StreamedCall, reason: StopReason) -> ToolCallCut:
        call.cut = True
        partial = dict(call.parsed if call.parsed is not None else call.arguments.settled())
        return ToolCallCut(ToolCall(call.id, call.name, partial), call.raw_arguments, reason)

    def end(self, stop_reason: StopReason) -> list[StreamEvent]:
        """The stream ended: open calls are closed, or cut for one of `CUT_REASONS`."""
        if stop_reason in CUT_REASONS:
            return self.cut_open(stop_reason)
        return self.close_all()

    def final_arguments(self, call: StreamedCall) -> str | Mapping[str, Any]:
        """A closed call's arguments as its `ToolCall` holds them: text, or a mapping."""
        if call.parsed is not None:
            return call.parsed
        return call.raw_arguments or "{}"

    def cut_text(self, call: StreamedCall) -> str:
        """A cut call's arguments as JSON text: what parsed, trailing values dropped."""
        return json.dumps(call.arguments.settled(), ensure_ascii=False)


def _object(text: str) -> dict[str, Any] | None:
    """Complete argument text as a mapping (``""`` is ``{}``); ``None`` if no object."""
    if not text.strip():
        return {}
    try:
        value: Any = json.loads(text)
    except ValueError:
        return None
    return dict(value) if isinstance(value, dict) else None  # pyright: ignore[reportUnknownArgumentType]
