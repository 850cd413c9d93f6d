"""Streaming: the events of a stream, and the pieces that assemble a reply from it."""

from switchboard.streaming.accumulate import CUT_REASONS, StreamedCall, TurnAccumulator
from switchboard.streaming.events import (
    RunEnd,
    RunEvent,
    StreamEvent,
    TextDelta,
    ToolCallCut,
    ToolCallDelta,
    ToolCallReady,
    ToolCallStart,
    ToolProgressEvent,
    ToolResultEvent,
    TurnEnd,
    TurnRestart,
)
from switchboard.streaming.partial import GROWTH, ArgumentBuffer
from switchboard.streaming.replay import replay_response
from switchboard.streaming.turn import (
    StreamedTurn,
    cut_result,
    interrupted_result,
    withheld_result,
)

__all__ = [
    "CUT_REASONS",
    "GROWTH",
    "ArgumentBuffer",
    "RunEnd",
    "RunEvent",
    "StreamEvent",
    "StreamedCall",
    "StreamedTurn",
    "TextDelta",
    "ToolCallCut",
    "ToolCallDelta",
    "ToolCallReady",
    "ToolCallStart",
    "ToolProgressEvent",
    "ToolResultEvent",
    "TurnAccumulator",
    "TurnEnd",
    "TurnRestart",
    "cut_result",
    "interrupted_result",
    "replay_response",
    "withheld_result",
]
