"""A ``streamGenerateContent`` stream read into neutral events and one `ModelResponse`.

Gemini sends a call either whole (a ``functionCall`` part with ``name`` and ``args``) or,
with streamed arguments, in pieces: a part with the ``name`` and ``willContinue``, parts
with ``partialArgs`` (each a value at a JSON path; a string may come in several pieces),
and an empty ``functionCall`` part that ends it. Gemini streams values, not JSON text, so
each `ToolCallDelta.fragment` is the value that arrived, as JSON. The parts are put back
together as one response and read by `parse_response`, so the reply equals what
`complete` returns.
"""

from __future__ import annotations

import copy
import itertools
import json
import logging
import re
from dataclasses import replace
from typing import Any, cast

from google.genai import types

from switchboard.messages import StopReason
from switchboard.providers.base import ModelResponse
from switchboard.providers.gemini.parse import parse_response, synthesized_id
from switchboard.streaming import CUT_REASONS, StreamEvent, TurnAccumulator, TurnEnd

logger = logging.getLogger("switchboard")

_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]")
_STREAMED = "streamed"  # the key of the call whose arguments are being streamed


class GeminiStreamReader:
    """Reads the chunks of one streamed response, in order.

    Args:
        partial_args: Compute `ToolCallDelta.partial_args` (a copy of the values so far
            per delta: Gemini's values are few and small, unlike a text buffer).
    """

    def __init__(self, *, partial_args: bool = False) -> None:
        self.turn = TurnAccumulator(partial_args=partial_args, parsed_arguments=True)
        self._parts: list[types.Part] = []
        self._streamed: types.Part | None = None
        self._args: dict[str, Any] = {}
        self._last: types.GenerateContentResponse | None = None
        self._finish: types.FinishReason | None = None
        self._response_id: str | None = None

    def read(self, chunk: types.GenerateContentResponse) -> list[StreamEvent]:
        """The events of one chunk (its first candidate)."""
        self._last = chunk
        self._response_id = self._response_id or chunk.response_id
        if not chunk.candidates:
            return []
        candidate = chunk.candidates[0]
        if candidate.finish_reason is not None:
            self._finish = candidate.finish_reason
        parts = candidate.content.parts if candidate.content and candidate.content.parts else []
        events: list[StreamEvent] = []
        for part in parts:
            events.extend(self._read_part(part))
        return events

    def _read_part(self, part: types.Part) -> list[StreamEvent]:
        call = part.function_call
        if call is None:
            self._parts.append(part)
            return self.turn.add_text(part.text) if part.text and not part.thought else []
        if call.partial_args:
            return self._partial(call.partial_args)
        if call.name and call.will_continue:
            events = self._end_streamed()
            call_id = call.id or synthesized_id(
                self._response_id, len(self.turn.calls), call.name, {}, part.thought_signature
            )
            self._streamed = part
            self._args = {}
            events.extend(self.turn.open_call(_STREAMED, call_id, call.name))
            return events
        if not call.name:  # the empty part that ends a streamed call
            return self._end_streamed()
        return [*self._end_streamed(), *self._whole(part, call)]

    def _whole(self, part: types.Part, call: types.FunctionCall) -> list[StreamEvent]:
        arguments: dict[str, Any] = dict(call.args or {})
        name = call.name or ""
        call_id = call.id or synthesized_id(
            self._response_id, len(self.turn.calls), name, arguments, part.thought_signature
        )
        self._parts.append(part)
        key = ("whole", len(self.turn.calls))
        return [
            *self.turn.open_call(key, call_id, name),
            *self.turn.add_fragment(key, json.dumps(arguments), arguments),
            *self.turn.close_call(key),
        ]

    def _partial(self, partial_args: list[types.PartialArg]) -> list[StreamEvent]:
        if self._streamed is None:
            logger.warning("Stream: partial arguments for no open call, skipped: %r", partial_args)
            return []
        events: list[StreamEvent] = []
        for arg in partial_args:
            value = _value(arg)
            if not arg.json_path or value is _NO_VALUE:
                continue
            _assign(self._args, arg.json_path, value)
            snapshot = copy.deepcopy(self._args) if self.turn.partial_args else self._args
            events.extend(self.turn.add_fragment(_STREAMED, json.dumps(value), snapshot))
        return events

    def _end_streamed(self) -> list[StreamEvent]:
        if self._streamed is None:
            return []
        self._keep_streamed()
        return self.turn.close_call(_STREAMED)

    def _keep_streamed(self) -> None:
        """The streamed call as one part of the reply, with the values that arrived."""
        start = cast(types.Part, self._streamed)
        self._streamed = None
        began = start.function_call
        whole = types.FunctionCall(
            id=began.id if began else None, name=began.name if began else None, args=self._args
        )
        self._parts.append(
            types.Part(function_call=whole, thought_signature=start.thought_signature)
        )

    def finish(self) -> list[StreamEvent]:
        """End the turn: open calls closed (or cut), and `TurnEnd` with the whole reply.

        A call still streaming when Gemini stopped at its limit (or the stream broke off)
        is cut: the reply keeps it with the values that arrived, and it is never ready.
        """
        stop = self._stop()
        if stop in CUT_REASONS:
            if self._streamed is not None:
                self._keep_streamed()
            events = self.turn.end(stop)
        else:
            events = self._end_streamed()
        response = self._response(stop)
        events.append(TurnEnd(response.usage, response.stop_reason, response))
        return events

    def _stop(self) -> StopReason:
        if self._finish is None:
            return "error"  # the stream broke off before Gemini said why
        return parse_response(self._built()).stop_reason

    def _built(self) -> types.GenerateContentResponse:
        last = self._last or types.GenerateContentResponse()
        candidate = types.Candidate(
            content=types.Content(role="model", parts=list(self._parts)),
            finish_reason=self._finish,
        )
        return types.GenerateContentResponse(
            candidates=[candidate],
            usage_metadata=last.usage_metadata,
            model_version=last.model_version,
            response_id=self._response_id,
            prompt_feedback=last.prompt_feedback,
        )

    def _response(self, stop: StopReason) -> ModelResponse:
        response = parse_response(self._built())
        # Ids as the stream gave them (a streamed call's was made when it began).
        calls = tuple(
            replace(call, id=streamed.id)
            for call, streamed in zip(response.turn.tool_calls, self.turn.calls, strict=True)
        )
        turn = replace(response.turn, tool_calls=calls)
        reason: StopReason = "error" if stop == "error" else response.stop_reason
        return ModelResponse(turn, response.usage, reason, response.model)


_NO_VALUE = object()


def _value(arg: types.PartialArg) -> object:
    if arg.string_value is not None:
        return arg.string_value
    if arg.number_value is not None:
        return arg.number_value
    if arg.bool_value is not None:
        return arg.bool_value
    if arg.null_value is not None:
        return None
    return _NO_VALUE


def _assign(target: dict[str, Any], path: str, value: object) -> None:
    """Set ``value`` at JSON path ``path`` (``$.a.b[0]``); a string continues one there."""
    steps: list[str | int] = [
        name if name else int(index) for name, index in _STEP.findall(path.removeprefix("$"))
    ]
    if not steps:
        return
    node: Any = target
    for step, following in itertools.pairwise(steps):
        empty: Any = [] if isinstance(following, int) else {}
        if isinstance(step, int):
            _pad(node, step)
            if node[step] is None:
                node[step] = empty
        elif step not in node:
            node[step] = empty
        node = node[step]
    last = steps[-1]
    if isinstance(last, int):
        _pad(node, last)
    current = node[last] if isinstance(last, int) else node.get(last)
    if isinstance(current, str) and isinstance(value, str):
        value = current + value
    node[last] = value


def _pad(items: list[Any], index: int) -> None:
    items.extend([None] * (index + 1 - len(items)))
