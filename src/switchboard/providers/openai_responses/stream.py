"""A Responses API stream read into neutral events and one `ModelResponse`: pure, no I/O.

A call is an output item: ``response.output_item.added`` (a ``function_call`` item with its
``call_id`` and ``name``), ``response.function_call_arguments.delta`` fragments keyed by the
item's id, and ``response.function_call_arguments.done`` (the whole arguments), which
completes it. A custom tool's call (``custom_tool_call``) comes whole when its item is
done. The stream ends with ``response.completed``, ``.incomplete`` or ``.failed``,
carrying the whole response, which `parse_response` reads as `complete` would; a stream
that broke off before it keeps the response id that ``response.created`` announced.
"""

from __future__ import annotations

import json
import logging
from dataclasses import replace
from typing import Any

from openai.types.responses import (
    Response,
    ResponseCompletedEvent,
    ResponseCreatedEvent,
    ResponseCustomToolCall,
    ResponseErrorEvent,
    ResponseFailedEvent,
    ResponseFunctionCallArgumentsDeltaEvent,
    ResponseFunctionCallArgumentsDoneEvent,
    ResponseFunctionToolCall,
    ResponseIncompleteEvent,
    ResponseOutputItemAddedEvent,
    ResponseOutputItemDoneEvent,
    ResponseRefusalDeltaEvent,
    ResponseStreamEvent,
    ResponseTextDeltaEvent,
)

from switchboard.messages import AssistantTurn, ModelResponse, StopReason, ToolCall, Usage
from switchboard.providers.openai_responses.parse import parse_response
from switchboard.providers.openai_responses.render import PROVIDER
from switchboard.streaming import StreamEvent, TurnAccumulator, TurnEnd
from switchboard.tools.grammar import INPUT

logger = logging.getLogger("switchboard")


class ResponsesStreamReader:
    """Reads the events of one streamed response, in order.

    Args:
        partial_args: Compute `ToolCallDelta.partial_args`.
    """

    def __init__(self, *, partial_args: bool = False) -> None:
        self.turn = TurnAccumulator(partial_args=partial_args)
        self._items: dict[int, dict[str, Any]] = {}
        self._final: Response | None = None
        self._refused = False
        self._response_id: str | None = None  # announced by response.created

    def read(self, event: ResponseStreamEvent) -> list[StreamEvent]:
        """The events of one stream event."""
        match event:
            case ResponseTextDeltaEvent():
                return self.turn.add_text(event.delta)
            case ResponseRefusalDeltaEvent():
                self._refused = True
                return self.turn.add_text(event.delta)
            case ResponseOutputItemAddedEvent(item=ResponseFunctionToolCall() as item):
                events = self.turn.open_call(item.id or item.call_id, item.call_id, item.name)
                if item.arguments:  # a whole call in one item
                    events.extend(self.turn.add_fragment(item.id or item.call_id, item.arguments))
                return events
            case ResponseFunctionCallArgumentsDeltaEvent():
                return self.turn.add_fragment(event.item_id, event.delta)
            case ResponseFunctionCallArgumentsDoneEvent():
                return self.turn.close_call(event.item_id, event.arguments)
            case ResponseOutputItemDoneEvent():
                self._items[event.output_index] = event.item.to_dict(mode="json")
                if isinstance(event.item, ResponseFunctionToolCall):
                    item = event.item
                    return self.turn.close_call(item.id or item.call_id, item.arguments)
                if isinstance(event.item, ResponseCustomToolCall):
                    return self._custom_call(event.item)
                return []
            case ResponseCreatedEvent():
                self._response_id = event.response.id or None
                return []
            case ResponseCompletedEvent() | ResponseIncompleteEvent() | ResponseFailedEvent():
                self._final = event.response
                return []
            case ResponseErrorEvent():
                logger.warning("Stream: the API reported an error: %s", event.message)
                return []
            case _:
                return []

    def _custom_call(self, item: ResponseCustomToolCall) -> list[StreamEvent]:
        """A custom tool's call, whole at its item's end, with arguments ``{"input": text}``."""
        key = item.id or item.call_id
        arguments = json.dumps({INPUT: item.input}, ensure_ascii=False)
        events = self.turn.open_call(key, item.call_id, item.name)
        events.extend(self.turn.add_fragment(key, arguments))
        events.extend(self.turn.close_call(key, arguments))
        return events

    def finish(self) -> list[StreamEvent]:
        """End the turn: open calls closed (or cut), and `TurnEnd` with the whole reply."""
        parsed = parse_response(self._final) if self._final is not None else None
        stop: StopReason = parsed.stop_reason if parsed is not None else "error"
        events = self.turn.end(stop)
        response = self._response(parsed, stop)
        events.append(TurnEnd(response.usage, response.stop_reason, response))
        return events

    def _response(self, parsed: ModelResponse | None, stop: StopReason) -> ModelResponse:
        calls = tuple(
            ToolCall(
                call.id,
                call.name,
                self.turn.cut_text(call) if call.cut else self.turn.final_arguments(call),
            )
            for call in self.turn.calls
        )
        if parsed is not None and not any(call.cut for call in self.turn.calls):
            return replace(parsed, turn=replace(parsed.turn, tool_calls=calls))
        items = [self._items[i] for i in sorted(self._items)]
        turn = AssistantTurn(self.turn.text, calls, {PROVIDER: items})
        if parsed is not None:
            return replace(parsed, turn=turn)
        # The stream broke off before its last event: the id it announced is all there is.
        return ModelResponse(turn, Usage(requests=1), "error", response_id=self._response_id)
