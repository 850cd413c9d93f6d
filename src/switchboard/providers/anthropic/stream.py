"""A Messages API stream read into neutral events and one `ModelResponse`: pure, no I/O.

Content arrives block by block: ``content_block_start`` (a ``tool_use`` block opens a call),
deltas (``text_delta``, ``input_json_delta`` for a call's arguments, thinking, signatures,
citations), and ``content_block_stop``, which completes the call. Pings are skipped. The
blocks are rebuilt as the API would have returned them whole, and read by `parse_response`,
so the reply equals what `complete` returns.

A message is open from its ``message_start`` to its ``message_stop``
(https://docs.anthropic.com/en/docs/build-with-claude/streaming). Another ``message_start``
while one is open means two messages are mixed in one stream: the turn ends there as an
``error``, its open calls cut, and nothing after it is read. The one exception is the open
message's own start repeated (same id) before any of its content, as some proxies send it
(the Vercel AI SDK's recorded ``duplicate-message-start`` stream): it is ignored. A
``message_start`` after a ``message_stop`` continues the reply with a next message (seen in
recorded programmatic tool calling streams): its blocks follow the earlier ones, and the
reply's id is the last message's (as `continue_turn` gives it).
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Any, cast

from anthropic._models import construct_type_unchecked
from anthropic.types import (
    CitationsDelta,
    InputJSONDelta,
    Message,
    RawContentBlockDeltaEvent,
    RawContentBlockStartEvent,
    RawContentBlockStopEvent,
    RawMessageDeltaEvent,
    RawMessageStartEvent,
    RawMessageStopEvent,
    RawMessageStreamEvent,
    TextBlock,
    ToolUseBlock,
)
from anthropic.types import TextDelta as AnthropicTextDelta

from switchboard.messages import ModelResponse, StopReason
from switchboard.providers.anthropic.parse import parse_response
from switchboard.providers.anthropic.render import PROVIDER
from switchboard.streaming import StreamEvent, TurnAccumulator, TurnEnd

logger = logging.getLogger("switchboard")

# Where each delta type's text goes in its block.
_TEXT_FIELDS = {"text_delta": "text", "thinking_delta": "thinking", "signature_delta": "signature"}


class _Block:
    """One content block being rebuilt: its start, then its streamed text fields."""

    __slots__ = ("fields", "json", "raw")

    def __init__(self, raw: dict[str, Any]) -> None:
        self.raw = raw
        self.fields: dict[str, list[str]] = {}
        self.json: list[str] = []

    def whole(self, arguments: dict[str, Any] | None) -> dict[str, Any]:
        block = dict(self.raw)
        for name, parts in self.fields.items():
            block[name] = block.get(name, "") + "".join(parts)
        if arguments is not None:
            block["input"] = arguments
        elif self.json:  # a server tool's input
            block["input"] = _object("".join(self.json))
        return block


class AnthropicStreamReader:
    """Reads the events of one streamed message, in order.

    Args:
        partial_args: Compute `ToolCallDelta.partial_args`.
    """

    def __init__(self, *, partial_args: bool = False) -> None:
        self.turn = TurnAccumulator(partial_args=partial_args, parsed_arguments=True)
        self._message: dict[str, Any] | None = None
        self._message_id = ""  # the last message read: the reply's id
        self._blocks: dict[int, _Block] = {}
        self._calls: dict[int, int] = {}  # block index -> position in turn.calls
        self._stop_reason: str | None = None
        self._stop_sequence: str | None = None
        self._usage: dict[str, Any] = {}
        self._container: dict[str, Any] | None = None
        self._open = False  # a message started and not stopped
        self._content = False  # the open message has sent more than its start
        self._offset = 0  # where the blocks of the open message go, after earlier messages'
        self._broken = False

    def read(self, event: RawMessageStreamEvent) -> list[StreamEvent]:
        """The events of one stream event."""
        if self._broken:
            return []
        match event:
            case RawMessageStartEvent():
                return self._message_start(event)
            case RawContentBlockStartEvent():
                self._content = True
                return self._start(event)
            case RawContentBlockDeltaEvent():
                self._content = True
                return self._delta(event)
            case RawContentBlockStopEvent():
                key = self._offset + event.index
                return self.turn.close_call(key) if key in self._calls else []
            case RawMessageDeltaEvent():
                self._content = True
                self._stop_reason = event.delta.stop_reason or self._stop_reason
                self._stop_sequence = event.delta.stop_sequence or self._stop_sequence
                if event.delta.container is not None:
                    self._container = event.delta.container.model_dump(mode="json")
                self._usage.update(event.usage.model_dump(mode="json", exclude_none=True))
                return []
            case RawMessageStopEvent():
                self._open = False
                return []
            case _:  # an event type this SDK version does not know
                return []

    def _message_start(self, event: RawMessageStartEvent) -> list[StreamEvent]:
        if self._message is None:
            self._message_id = event.message.id
            self._message = event.message.model_dump(mode="json", exclude_none=True)
            self._usage = dict(self._message.get("usage", {}))
        elif self._open:
            if not self._content and event.message.id == self._message.get("id"):
                return []  # the open message's own start, repeated
            return self._break(event)
        else:  # the next message of the reply: its blocks follow the earlier ones
            self._offset = max(self._blocks, default=-1) + 1
            self._message_id = event.message.id
        self._open = True
        self._content = False
        return []

    def _break(self, event: RawMessageStartEvent) -> list[StreamEvent]:
        """Another message started inside the open one: the stream is broken."""
        logger.warning(
            "Stream: message %r started while message %r was open; the turn ends as an "
            "error and nothing after it is read",
            event.message.id,
            (self._message or {}).get("id"),
        )
        self._broken = True
        return self.turn.cut_open("error")

    def _start(self, event: RawContentBlockStartEvent) -> list[StreamEvent]:
        block = event.content_block
        key = self._offset + event.index
        self._blocks[key] = _Block(block.model_dump(mode="json", exclude_none=True))
        if isinstance(block, ToolUseBlock):
            self._calls[key] = len(self.turn.calls)
            return self.turn.open_call(key, block.id, block.name)
        text = getattr(block, "text", None)
        if isinstance(text, str) and text:
            return self.turn.add_text(text)
        return []

    def _delta(self, event: RawContentBlockDeltaEvent) -> list[StreamEvent]:
        key = self._offset + event.index
        block = self._blocks.get(key)
        if block is None:
            logger.warning("Stream: delta for no content block, skipped: %r", event)
            return []
        delta = event.delta
        if isinstance(delta, InputJSONDelta):
            if key in self._calls:
                return self.turn.add_fragment(key, delta.partial_json)
            block.json.append(delta.partial_json)
            return []
        if isinstance(delta, CitationsDelta):
            citations: list[Any] = block.raw.setdefault("citations", [])
            citations.append(delta.citation.model_dump(mode="json", exclude_none=True))
            return []
        field = _TEXT_FIELDS.get(delta.type)
        if field is None:
            # A delta this SDK has no type for (e.g. compaction_delta): its text fields
            # are appended to the block's fields of the same names.
            dumped: dict[str, object] = delta.model_dump(exclude={"type"})
            for name, part in dumped.items():
                if isinstance(part, str):
                    block.fields.setdefault(name, []).append(part)
            return []
        value: str = getattr(delta, field)
        block.fields.setdefault(field, []).append(value)
        return self.turn.add_text(value) if isinstance(delta, AnthropicTextDelta) else []

    def finish(self) -> list[StreamEvent]:
        """End the turn: open calls closed (or cut), and `TurnEnd` with the whole reply.

        The turn is an ``error`` when the stream broke off before the API said why it
        stopped, or when another message started inside the open one.
        """
        stop = self._stop()
        events = self.turn.end(stop)
        response = self._response(stop)
        events.append(TurnEnd(response.usage, response.stop_reason, response))
        return events

    def _stop(self) -> StopReason:
        if self._broken:
            return "error"
        if self._stop_reason in ("max_tokens", "model_context_window_exceeded"):
            return "length"
        if self._stop_reason is None:
            return "error"  # the stream broke off before the API said why
        return "answer"

    def _response(self, stop: StopReason) -> ModelResponse:
        content: list[dict[str, Any]] = []
        for index in sorted(self._blocks):
            arguments = None
            if index in self._calls:
                call = self.turn.calls[self._calls[index]]
                arguments = dict(call.parsed or call.arguments.settled())
            content.append(self._blocks[index].whole(arguments))
        message = {
            "type": "message",
            "role": "assistant",
            "model": "",
            **(self._message or {}),
            "id": self._message_id,
            "content": content,
            "stop_reason": self._stop_reason,
            "stop_sequence": self._stop_sequence,
            "usage": {"input_tokens": 0, "output_tokens": 0, **self._usage},
        }
        if self._container is not None:
            message["container"] = self._container
        # Built as the SDK builds a response it receives (loosely, as in its own stream
        # parser), so blocks this SDK version has no type for (e.g. compaction) pass as
        # they do through `complete`.
        built = construct_type_unchecked(value=message, type_=Message)
        # Such blocks come out as TextBlocks without text, which `parse_response` cannot
        # read: it reads the others, and every block is kept for the API all the same.
        built.content = [b for b in built.content if not _untyped(b)]
        response = parse_response(built)
        turn = replace(
            response.turn, provider_state={**response.turn.provider_state, PROVIDER: content}
        )
        reason = "error" if stop == "error" else response.stop_reason
        return replace(response, turn=turn, stop_reason=reason)


def _untyped(block: object) -> bool:
    return isinstance(block, TextBlock) and block.type != "text"


def _object(text: str) -> dict[str, Any]:
    """A server tool's input, ``{}`` when it is empty or not a JSON object."""
    try:
        value: Any = json.loads(text) if text.strip() else {}
    except ValueError:
        logger.warning("Stream: server tool input is not JSON: %r", text)
        return {}
    return cast(dict[str, Any], value) if isinstance(value, dict) else {}
