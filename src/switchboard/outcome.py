"""What a run produced: its `RunResult`, the `Step`s it took, and why it ended.

Neutral types: the loop builds them, and the stream's last event carries them, so they
live below both.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, Literal, cast

from typing_extensions import TypeVar

from switchboard.messages import Message, ModelResponse, ToolResult, Usage
from switchboard.runs.approval import PendingCall
from switchboard.runs.state import RunState

RunStopReason = Literal[
    "answer",
    "paused",
    "max_iterations",
    "max_tool_calls",
    "loop_guard",
    "length",
    "content_filter",
    "error",
]
"""Why a run ended.

- ``answer``: the model answered without calling a tool.
- ``paused``: calls of the last turn wait for a human or the application (``pending``); the
  turn's other calls ran. Continue with ``agent.resume(result.state, decisions)``.
- ``max_iterations``: it made ``max_iterations`` requests and still wanted tools.
- ``max_tool_calls``: the run's calls reached ``max_tool_calls``.
- ``loop_guard``: the model repeated a call it had the result of (``on_repeat="stop"``),
  or kept making the same call past ``repeat_limit``.
- ``length``, ``content_filter``, ``error``: the model's last reply stopped so (see
  `StopReason`); a reply stopped by ``content_filter`` runs none of its calls and ends the
  run. Set on ``error.result`` too, when a run raises.
"""

OutputT = TypeVar("OutputT", default=Any)
"""A run's output type (``Agent(output_type=...)``); ``Any`` for one that answers in text."""


@dataclass(frozen=True, slots=True)
class Step:
    """One iteration of a run: a model reply and the results of the calls it made.

    Attributes:
        response: The model's reply.
        results: One result per call of the reply, in order (empty for an answer); for the
            turn a run paused on, those of the calls that ran.
        tools: The names of the tools offered to the model for this reply.
    """

    response: ModelResponse
    results: tuple[ToolResult, ...] = ()
    tools: tuple[str, ...] = ()


def new_step(
    response: ModelResponse, results: tuple[ToolResult, ...], tools: tuple[str, ...]
) -> Step:
    """Build a `Step` from all its fields, for half its constructor's cost: one per step.

    As `switchboard.execution.results.new_result` does: the fields are written to an object
    of the same slot layout, which then becomes a `Step` by ``__class__`` assignment.
    """
    step = _WritableStep()
    step.response = response
    step.results = results
    step.tools = tools
    step.__class__ = Step  # pyright: ignore[reportAttributeAccessIssue]
    return step  # pyright: ignore[reportReturnType]


class _WritableStep:
    """`Step`'s slots without its frozen ``__setattr__``, for `new_step` alone."""

    __slots__ = Step.__slots__
    response: ModelResponse
    results: tuple[ToolResult, ...]
    tools: tuple[str, ...]


@dataclass(frozen=True, slots=True)
class RunResult(Generic[OutputT]):
    """What a run produced.

    Attributes:
        output: The model's final text ("" if the run stopped before an answer); with an
            ``output_type``, the answer's JSON text.
        messages: The whole conversation, the system message and the prompt included;
            pass it back as ``messages=`` to continue the run. A paused run's ends with
            the paused turn and the results of its calls that ran.
        usage: Tokens and requests, summed over the run (a resumed run's included).
        steps: Each iteration, in order (a resumed run: those since it resumed).
        stop_reason: Why the run ended.
        state: Everything needed to continue the run (``agent.resume``), its id
            (``state.run_id``: its key in a run store) included.
        pending: When paused: the calls that wait, in the order the model made them.
        interrupted: The ids of the calls a resumed run found started with no result
            stored (the process died while they ran) and did not run again, not being
            ``idempotent``: the model was told they may have taken effect.
        parsed: With an ``output_type``, the answer validated into it (``None`` when the
            run stopped before a valid answer: paused, or at a limit); without, ``None``.
    """

    output: str
    messages: tuple[Message, ...]
    usage: Usage
    steps: tuple[Step, ...]
    stop_reason: RunStopReason
    state: RunState
    pending: tuple[PendingCall, ...] = ()
    interrupted: tuple[str, ...] = ()
    parsed: OutputT | None = None


def run_so_far(error: BaseException) -> RunResult[Any] | None:
    """The run so far that an error raised out of a run carries (its ``result``), if any."""
    result = getattr(error, "result", None)
    return cast("RunResult[Any]", result) if isinstance(result, RunResult) else None
