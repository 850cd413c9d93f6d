"""A Chat Completions stream read into neutral events and one `ModelResponse`: pure, no I/O.

Calls arrive as deltas keyed by ``index``; the ``id`` and ``name`` come on a call's first
delta only. Servers differ: some repeat an empty ``name`` on later deltas, some send a whole
call in one chunk, and Ollama reuses index 0 for every call of a turn, so a new ``id`` under
an index that already has a call starts a new call
(https://github.com/ollama/ollama/issues/15457). Mistral sends each call whole with no
``index`` at all (its ``ToolCall.index`` is optional): such a delta is keyed by its ``id``, a
new call when it names a tool without one, else the next fragment of the open call. A call
is complete when the next call starts (calls are streamed one after another) or when the
stream finishes. DeepSeek's ``reasoning_content`` deltas (thinking mode) are kept for the
reply, not streamed as text.
"""

from __future__ import annotations

import hashlib
import logging
from collections.abc import Hashable
from dataclasses import replace
from typing import Any

from openai.types.chat import ChatCompletion, ChatCompletionChunk
from openai.types.chat.chat_completion_chunk import ChoiceDeltaToolCall

from switchboard.messages import ModelResponse, StopReason
from switchboard.providers.openai_chat.parse import arguments_text, parse_response
from switchboard.providers.openai_chat.render import REASONING_CONTENT
from switchboard.streaming import StreamEvent, TextDelta, TurnAccumulator, TurnEnd

logger = logging.getLogger("switchboard")

# Compatible servers may send other reasons; the completion model accepts only these.
_FINISH_REASONS = {
    reason: reason for reason in ("stop", "length", "tool_calls", "content_filter", "function_call")
}


class ChatStreamReader:
    """Reads the chunks of one streamed completion, in order.

    `read` turns each chunk into events; `finish` ends the turn (closing or cutting the
    open calls) and returns the last events, `TurnEnd` with the whole reply last.

    Args:
        partial_args: Compute `ToolCallDelta.partial_args`.
    """

    # Slots: `read` reads the reader's state once per chunk of a stream.
    __slots__ = (
        "_completion_id",
        "_current",
        "_finish_reason",
        "_ids",
        "_model",
        "_reasoning",
        "_refusal",
        "_usage",
        "turn",
    )

    def __init__(self, *, partial_args: bool = False) -> None:
        self.turn = TurnAccumulator(partial_args=partial_args)
        self._ids: dict[Hashable, str] = {}
        self._current: Hashable | None = None
        self._reasoning: list[str] = []
        self._finish_reason: str | None = None
        self._refusal: list[str] = []
        self._completion_id = ""
        self._model = ""
        self._usage: dict[str, Any] | None = None

    def read(self, chunk: ChatCompletionChunk) -> list[StreamEvent]:
        """The events of one chunk (only its first choice is read)."""
        if not self._completion_id:
            # Read loosely by the SDK: a malformed chunk may lack either.
            self._completion_id = chunk.id or ""
            self._model = chunk.model or ""
        if chunk.usage is not None:
            self._usage = chunk.usage.model_dump()
        events: list[StreamEvent] = []
        for choice in chunk.choices:
            if choice.index != 0:
                continue
            delta = choice.delta
            if delta.content:
                events.extend(self.turn.add_text(delta.content))
            # model_extra (a property) costs twice its field, read once per chunk.
            extra = delta.__pydantic_extra__
            reasoning = _reasoning(extra) if extra else ""
            if reasoning:
                self._reasoning.append(reasoning)
            if delta.refusal:
                # A refusal is the reply's text (as `parse_response` reads it).
                self._refusal.append(delta.refusal)
                events.append(TextDelta(delta.refusal))
            for tool_call in delta.tool_calls or ():
                current = self._current
                function = tool_call.function
                arguments = function.arguments if function is not None else None
                if (
                    current is not None
                    and tool_call.index == current
                    and not tool_call.id
                    and isinstance(arguments, str)
                ):
                    # The common delta, the short way: the next fragment of the open call.
                    if arguments:
                        events += self.turn.add_fragment(current, arguments)
                else:
                    events.extend(self._read_call(tool_call))
            if choice.finish_reason is not None:
                self._finish_reason = choice.finish_reason
        return events

    def _read_call(self, delta: ChoiceDeltaToolCall) -> list[StreamEvent]:
        # Typed int, but the SDK reads chunks loosely: a missing index comes as None.
        index = delta.index
        key = index if index is not None else self._key(delta)  # pyright: ignore[reportUnnecessaryComparison]
        if key is None:
            logger.warning("Stream: call delta for no call skipped: %r", delta)
            return []
        function = delta.function
        arguments = function.arguments if function else None
        fragment = arguments if arguments.__class__ is str else arguments_text(arguments)
        if key == self._current and (not delta.id or delta.id == self._ids[key]):
            # The common case, kept short: the next fragment of the open call (some
            # servers, llama-cpp-python's, repeat its id and name on every delta).
            return self.turn.add_fragment(key, fragment) if fragment else []
        known = self._ids.get(key)
        if known is not None and delta.id in (None, known):
            logger.warning("Stream: delta for closed call %r skipped: %r", key, delta)
            return []
        events: list[StreamEvent] = []
        # The next call started: the call before it is complete. (With the same index and
        # a new id, `open_call` closes it.)
        if self._current is not None and self._current != key:
            events.extend(self.turn.close_call(self._current))
        name = (function.name if function else None) or ""
        call_id = delta.id or self._made_up_id(key, name)
        self._ids[key] = call_id
        events.extend(self.turn.open_call(key, call_id, name))
        self._current = key
        if fragment:
            events.extend(self.turn.add_fragment(key, fragment))
        return events

    def _key(self, delta: ChoiceDeltaToolCall) -> Hashable | None:
        """The key of a call delta that has no ``index`` (``None``: no call)."""
        if delta.id:
            return ("id", delta.id)
        if delta.function and delta.function.name:
            return ("call", len(self.turn.calls))
        return self._current

    def _made_up_id(self, key: Hashable, name: str) -> str:
        digest = hashlib.sha256(f"{self._completion_id}\0{key}\0{name}".encode())
        return f"call_{digest.hexdigest()[:24]}"

    def finish(self) -> list[StreamEvent]:
        """End the turn: open calls closed (or cut), and `TurnEnd` with the whole reply.

        Calls still open are cut when the stream stopped at the length limit or broke off.
        """
        stop = self._stop_reason()
        events = self.turn.end(stop)
        response = self._response(stop)
        events.append(TurnEnd(response.usage, response.stop_reason, response))
        return events

    def _stop_reason(self) -> StopReason:
        if self._finish_reason is None:
            return "error"  # the stream ended before the server said why
        if self._finish_reason == "length":
            return "length"
        return "answer"

    def _response(self, stop: StopReason) -> ModelResponse:
        calls = [
            {
                "id": call.id,
                "type": "function",
                "function": {
                    "name": call.name,
                    "arguments": (self.turn.cut_text(call) if call.cut else call.raw_arguments),
                },
            }
            for call in self.turn.calls
        ]
        message: dict[str, Any] = {"role": "assistant", "content": self.turn.text or None}
        if calls:
            message["tool_calls"] = calls
        if self._refusal:
            message["refusal"] = "".join(self._refusal)
        if self._reasoning:
            message[REASONING_CONTENT] = "".join(self._reasoning)
        completion = ChatCompletion.model_validate(
            {
                "id": self._completion_id,
                "object": "chat.completion",
                "created": 0,
                "model": self._model,
                "choices": [
                    {
                        "index": 0,
                        "message": message,
                        "finish_reason": _FINISH_REASONS.get(self._finish_reason or "", "stop"),
                    }
                ],
                "usage": self._usage,
            }
        )
        response = parse_response(completion)
        if stop == "error":
            return replace(response, stop_reason="error")
        return response


def _reasoning(extra: dict[str, Any]) -> str:
    """A delta's ``reasoning_content`` (a field the SDK does not know: in its model_extra)."""
    reasoning = extra.get(REASONING_CONTENT)
    return reasoning if isinstance(reasoning, str) else ""
