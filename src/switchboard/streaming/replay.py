"""A whole `ModelResponse` played back as a stream.

For models that only answer whole (`ScriptedModel`, a provider without ``stream``), so the
loop streams them the same way.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Mapping
from dataclasses import replace
from typing import TYPE_CHECKING, Any

from switchboard.messages import ToolCall
from switchboard.streaming.accumulate import CUT_REASONS, TurnAccumulator
from switchboard.streaming.events import StreamEvent, ToolCallCut, ToolCallReady, TurnEnd

if TYPE_CHECKING:
    from switchboard.messages import ModelResponse


async def replay_response(
    response: ModelResponse, *, partial_args: bool = False, fragment_chars: int = 16
) -> AsyncIterator[StreamEvent]:
    """Yield ``response`` as a provider's stream would: text, then each call in fragments.

    A call the reply did not finish (`ModelResponse.unfinished_calls`: the last call of a
    reply stopped at the length limit, every call of one that ended in an error) is
    yielded as cut, never ready, and the `TurnEnd` reply carries it with the values that
    are complete.

    Args:
        response: The whole reply.
        partial_args: Compute `ToolCallDelta.partial_args`.
        fragment_chars: The size of the argument fragments.
    """
    turn = TurnAccumulator(partial_args=partial_args)
    text = response.turn.text
    for start in range(0, len(text), fragment_chars):
        for event in turn.add_text(text[start : start + fragment_chars]):
            yield event
    unfinished = response.unfinished_calls()
    cut_ids: dict[str, str] = {}
    for index, call in enumerate(response.turn.tool_calls):
        for event in turn.open_call(index, call.id, call.name):
            yield event
        arguments = _text(call.arguments)
        for start in range(0, len(arguments), fragment_chars):
            for event in turn.add_fragment(index, arguments[start : start + fragment_chars]):
                yield event
        if call.id in unfinished:
            continue  # left open: cut when the turn ends
        ready = turn.close_call(index, arguments)
        # The call in the form the reply holds (a mapping stays a mapping).
        for event in [ToolCallReady(call)] if ready else []:
            yield event
    stop = response.stop_reason
    ending = turn.cut_open("error") if unfinished and stop not in CUT_REASONS else turn.end(stop)
    for event in ending:
        if isinstance(event, ToolCallCut):
            cut_ids[event.call.id] = _text(event.call.arguments)
        yield event
    if cut_ids:
        calls = tuple(
            ToolCall(c.id, c.name, cut_ids[c.id]) if c.id in cut_ids else c
            for c in response.turn.tool_calls
        )
        response = replace(response, turn=replace(response.turn, tool_calls=calls))
    yield TurnEnd(response.usage, response.stop_reason, response)


def _text(arguments: str | Mapping[str, Any]) -> str:
    if isinstance(arguments, str):
        return arguments
    return json.dumps(arguments, ensure_ascii=False)
