"""A ``streamGenerateContent`` stream read into neutral events and one `ModelResponse`.

Gemini sends a call either whole (a ``functionCall`` part with ``name`` and ``args``) or,
with streamed arguments (Vertex AI), in pieces (see `pieces`): a part with the ``name`` and
``willContinue``, parts with ``partialArgs`` or with nothing at all, each saying
``willContinue`` while more follow, and a last part without it. Only that last part makes
the call complete: a call still open when another begins or when the stream stops is cut,
never ready. Gemini streams values, not JSON text, so each `ToolCallDelta.fragment` is the
value that arrived, as JSON. The parts are put back together as one response and read by
`parse_response`, so the reply equals what `complete` returns.
"""

from __future__ import annotations

import copy
import json
import logging
from collections.abc import Sequence
from dataclasses import replace

from google.genai import types

from switchboard.messages import ModelResponse, StopReason
from switchboard.providers.gemini.parse import parse_response, synthesized_id
from switchboard.providers.gemini.pieces import NO_VALUE, PiecedCall
from switchboard.streaming import CUT_REASONS, StreamEvent, TurnAccumulator, TurnEnd

logger = logging.getLogger("switchboard")

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
        self._streamed: PiecedCall | None = None
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
        if call.name:
            # A call begins: one still open never reached its last part.
            events = self._cut_streamed("error")
            if call.will_continue:
                events.extend(self._start(part, call))
            else:
                events.extend(self._whole(part, call))
            return events
        if self._streamed is None:
            logger.warning("Stream: a piece of no open call, skipped: %r", call)
            return []
        events = self._partial(call.partial_args or ())
        if not call.will_continue:  # the call's last part
            events.extend(self._end_streamed())
        return events

    def _start(self, part: types.Part, call: types.FunctionCall) -> list[StreamEvent]:
        name = call.name or ""
        call_id = call.id or synthesized_id(
            self._response_id, len(self.turn.calls), name, {}, part.thought_signature
        )
        self._streamed = PiecedCall(part)
        events = self.turn.open_call(_STREAMED, call_id, name)
        events.extend(self._partial(call.partial_args or ()))
        return events

    def _whole(self, part: types.Part, call: types.FunctionCall) -> list[StreamEvent]:
        if call.partial_args:  # a call in one part, its values as pieces
            pieced = PiecedCall(part)
            for arg in call.partial_args:
                pieced.add(arg)
            part = pieced.part()
            call = part.function_call or call
        arguments = dict(call.args or {})
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

    def _partial(self, partial_args: Sequence[types.PartialArg]) -> list[StreamEvent]:
        streamed = self._streamed
        if streamed is None:
            return []
        events: list[StreamEvent] = []
        for arg in partial_args:
            value = streamed.add(arg)
            if value is NO_VALUE:
                continue
            args = copy.deepcopy(streamed.args) if self.turn.partial_args else streamed.args
            events.extend(self.turn.add_fragment(_STREAMED, json.dumps(value), args))
        return events

    def _end_streamed(self) -> list[StreamEvent]:
        if self._streamed is None:
            return []
        self._keep_streamed()
        return self.turn.close_call(_STREAMED)

    def _cut_streamed(self, reason: StopReason) -> list[StreamEvent]:
        """The streamed call never reached its last part: kept with its values, cut."""
        if self._streamed is None:
            return []
        self._keep_streamed()
        return self.turn.cut_open(reason)

    def _keep_streamed(self) -> None:
        """The streamed call as one part of the reply, with the values that arrived."""
        if self._streamed is not None:
            self._parts.append(self._streamed.part())
            self._streamed = None

    def finish(self) -> list[StreamEvent]:
        """End the turn: the open call cut, and `TurnEnd` with the whole reply.

        A call still streaming when the stream ended never reached its last part: it is
        cut (for the stop reason when Gemini stopped at its limit or the stream broke off,
        else as ``error``): the reply keeps it with the values that arrived, and it is
        never ready.
        """
        stop = self._stop()
        events = self._cut_streamed(stop if stop in CUT_REASONS else "error")
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
        return replace(response, turn=turn, stop_reason=reason)
