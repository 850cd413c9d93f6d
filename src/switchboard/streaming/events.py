"""The events of a stream: what a provider's `stream()` and `Agent.run_stream` yield.

A provider's stream yields `TextDelta`, `ToolCallStart`, `ToolCallDelta`, `ToolCallReady`
and `ToolCallCut` as the reply arrives (and `TurnRestart` when a broken reply is asked for
again), and one `TurnEnd` last. The loop adds `ToolProgressEvent` as running calls report
progress, `ToolResultEvent` as calls finish and `RunEnd` at the end of the run. Every event
is a frozen dataclass with a ``kind`` discriminator (a class attribute: one fewer field to
set per event, which matters at one event per fragment), so ``match`` or ``event.kind``
tells them apart.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, ClassVar, Literal

from switchboard.messages import ModelResponse, StopReason, ToolCall, ToolResult, Usage
from switchboard.outcome import RunResult

if TYPE_CHECKING:
    from switchboard.tools.context import ToolProgress


@dataclass(frozen=True, slots=True)
class TextDelta:
    """A piece of the model's text.

    Attributes:
        text: The new text, to append to what came before.
    """

    text: str
    kind: ClassVar[Literal["text_delta"]] = "text_delta"


@dataclass(frozen=True, slots=True)
class ToolCallStart:
    """The model began a call: its id and tool name are known, its arguments not yet.

    Attributes:
        id: The call's id (the one its `ToolCallReady` and result carry).
        name: The tool's name.
    """

    id: str
    name: str
    kind: ClassVar[Literal["tool_call_start"]] = "tool_call_start"


@dataclass(frozen=True, slots=True)
class ToolCallDelta:
    """A fragment of a call's arguments.

    Attributes:
        id: The call's id.
        fragment: The raw JSON text that arrived (Gemini, which streams values rather
            than text, sends each value as JSON).
        partial_args: With ``partial_args`` on: the arguments parsed so far (a string
            still being written cut where the text ends, any other unfinished trailing
            value dropped), else ``None``. It may lag the fragments by a bounded share of
            the text (see `ArgumentBuffer`). Never mutated: keep it as long as you like.
    """

    id: str
    fragment: str
    partial_args: Mapping[str, Any] | None = None
    kind: ClassVar[Literal["tool_call_delta"]] = "tool_call_delta"


@dataclass(frozen=True, slots=True)
class ToolCallReady:
    """A call is complete: the provider closed it, and its arguments are final.

    Attributes:
        call: The call, as `ModelResponse.turn.tool_calls` will hold it.
    """

    call: ToolCall
    kind: ClassVar[Literal["tool_call_ready"]] = "tool_call_ready"


@dataclass(frozen=True, slots=True)
class ToolCallCut:
    """A call the stream ended inside (max tokens, an error): it is never run.

    Attributes:
        call: The call with the values that are complete (an unfinished trailing value,
            a string included, dropped, as the Anthropic SDK reads a truncated call), so
            the conversation can carry it with an error result.
        raw_arguments: The raw argument text that arrived.
        reason: Why the stream ended: ``length`` or ``error``.
    """

    call: ToolCall
    raw_arguments: str
    reason: StopReason
    kind: ClassVar[Literal["tool_call_cut"]] = "tool_call_cut"


@dataclass(frozen=True, slots=True)
class TurnRestart:
    """The reply broke off before any of its calls was complete, and is asked for again.

    Everything streamed since the turn began (text, calls started) is void: the next
    events are the new reply's. Only the provider's fault (a reset connection, a stream
    that ended before the provider finished it) restarts a turn.

    Attributes:
        attempt: The try that starts now (2 for the first retry).
        delay: Seconds waited before it.
        reason: What broke the previous try.
    """

    attempt: int
    delay: float
    reason: str
    kind: ClassVar[Literal["turn_restart"]] = "turn_restart"


@dataclass(frozen=True, slots=True)
class TurnEnd:
    """The model's reply is complete.

    Attributes:
        usage: Tokens the reply spent.
        stop_reason: Why the model stopped.
        response: The whole reply, as `Provider.complete` would have returned it.
    """

    usage: Usage
    stop_reason: StopReason
    response: ModelResponse
    kind: ClassVar[Literal["turn_end"]] = "turn_end"


@dataclass(frozen=True, slots=True)
class ToolResultEvent:
    """A call finished (or was refused): its result, as the model will read it.

    Attributes:
        result: The result.
    """

    result: ToolResult
    kind: ClassVar[Literal["tool_result"]] = "tool_result"


@dataclass(frozen=True, slots=True)
class ToolProgressEvent:
    """A running call reported how far it has got.

    Its tool called `RunContext.report_progress`, or it is an MCP server's tool and the
    server sent a progress notification.

    Attributes:
        progress: The report: the call's id, the tool, how far, of how much, and what it
            is doing.
    """

    progress: ToolProgress
    kind: ClassVar[Literal["tool_progress"]] = "tool_progress"


@dataclass(frozen=True, slots=True)
class RunEnd:
    """The run is over.

    Attributes:
        result: What `Agent.run` would have returned.
    """

    result: RunResult
    kind: ClassVar[Literal["run_end"]] = "run_end"


StreamEvent = (
    TextDelta | ToolCallStart | ToolCallDelta | ToolCallReady | ToolCallCut | TurnRestart | TurnEnd
)
"""What a provider's ``stream()`` yields; `TurnEnd` comes last."""

RunEvent = StreamEvent | ToolProgressEvent | ToolResultEvent | RunEnd
"""What `Agent.run_stream` yields; `RunEnd` comes last."""
