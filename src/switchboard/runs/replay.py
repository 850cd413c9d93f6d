"""Replay a recorded run against today's agent, and report where it first diverges.

`replay` runs the agent's own loop again, from the recorded opening messages, with a model
that answers each request with the recorded reply (`ReplayModel`: no network) and compares
each request with the recorded one first. The calls in the replies run again
(``tools="rerun"``: their results are compared with the recorded ones) or are answered with
their recorded results (``tools="recorded"``: no tool runs). The first difference ends the
replay (`Divergence`): a changed tool schema, a different request, a different call, or a
run that ends earlier or later than the recording.

A run that paused and was resumed replays through its resume: a call that waits (for a
human's approval, or for the application) is answered as the recorded resume answered it
(the result its `Deny` or `Supply` gave it), or, approved, run again with the arguments
approved (``tools="rerun"``); a call the recording has no answer for waits, and the replay
pauses where the recorded run is paused.

The replay runs on a copy of the agent with its model and executor replaced
(`replaying_agent`), so every setting of the agent (system prompt, tool choice, limits, the
loop guard, a router) acts as it would in a real run. `switchboard.testing` uses the same
pieces for its cassettes.

This module imports the loop: the loop must not import it.
"""

from __future__ import annotations

import copy
import functools
import operator
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, NoReturn, get_args

from switchboard.blocking import run_blocking
from switchboard.errors import (
    ArgumentsError,
    ConfigurationError,
    MaxIterationsError,
    RunStateError,
    SwitchboardError,
)
from switchboard.execution.arguments import UnparsableArguments, parse_arguments
from switchboard.execution.executor import Executor, ExecutorState
from switchboard.messages import Message, ModelResponse, SystemMessage, ToolCall, ToolResult
from switchboard.outcome import RunResult, run_so_far
from switchboard.providers.base import ModelRequest
from switchboard.runs.approval import PendingCall
from switchboard.runs.compare import INVALID_CALL, Divergence, compare_requests, compare_results
from switchboard.runs.recording import Recording, recording_of_run
from switchboard.runs.request import request_json
from switchboard.runs.store import RunStore
from switchboard.streaming import StreamEvent, replay_response

if TYPE_CHECKING:
    from switchboard.agent import Agent
    from switchboard.tools.context import ProgressListener
from switchboard.tools.registry import ToolRegistry

__all__ = [
    "DivergenceError",
    "RecordedResults",
    "RecordingEnded",
    "ReplayModel",
    "ReplayReport",
    "ReplaySession",
    "RerunResults",
    "ToolsMode",
    "replay",
    "replay_sync",
    "replaying_agent",
]

ToolsMode = Literal["rerun", "recorded"]
"""How a replay answers the recorded calls: run the tools again, or give the recorded results."""


class DivergenceError(SwitchboardError):
    """A replayed run differs from its recording.

    `replay` reports it in `ReplayReport.divergence`; a cassette (`switchboard.testing`)
    raises it, so that the test fails where the agent changed.

    Attributes:
        divergence: Where and how the run first differs.
    """

    def __init__(self, divergence: Divergence, source: str, hint: str = "") -> None:
        self.divergence = divergence
        message = f"The replay of {source} diverged at {divergence}"
        super().__init__(f"{message} {hint}".rstrip())


class RecordingEnded(SwitchboardError):
    """The recording has no reply for the request the replay made: the run was interrupted."""


class ReplaySession:
    """The replay of one recording: the replies served so far, and the comparisons.

    Args:
        recording: What to replay.
        hint: Added to the message of a `DivergenceError` (what to do about it).
    """

    def __init__(self, recording: Recording, *, hint: str = "") -> None:
        self.recording = recording
        self.hint = hint
        self.position = 0
        """The replies served: the index of the next step."""
        self.calls_run = 0
        """The calls run by the tools (never with ``tools="recorded"``)."""
        self.divergence: Divergence | None = None
        # The last request's messages, and their JSON forms: the next request of the same
        # run begins with the same objects, so only its new messages are written and compared.
        self._sent: tuple[Message, ...] = ()
        self._forms: list[dict[str, Any]] = []

    def answer(self, request: ModelRequest) -> ModelResponse:
        """The recorded reply to ``request``, once it is compared with the recorded request.

        Raises:
            DivergenceError: The request differs, or the recording has no more steps.
            RecordingEnded: The recorded step has no reply.
        """
        steps = self.recording.steps
        index = self.position
        if index >= len(steps):
            last = steps[-1].response if steps else None
            ended = f" (its last reply: {last.stop_reason})" if last is not None else ""
            self.diverge(
                Divergence(
                    "length",
                    index,
                    f"The run makes a request at step {index}, but the recorded run made "
                    f"{_count(len(steps), 'request')} and stopped there{ended}.",
                )
            )
        step = steps[index]
        messages, sent = request.messages, self._sent
        known = len(sent)
        same_run = index > 0 and steps[index - 1].conversation is step.conversation
        if not same_run or len(messages) < known or not all(map(operator.is_, sent, messages)):
            known = 0
        replayed = request_json(request, known)
        del self._forms[known:]
        self._forms.extend(replayed["messages"])
        replayed["messages"] = self._forms
        self._sent = tuple(messages)
        found = compare_requests(index, step.whole_request(), replayed, start=known)
        if found is not None:
            self.diverge(found)
        if step.response is None:
            message = (
                f"The recording of {self.recording.source} has no reply at step {index}: the "
                "run was interrupted while it waited for the model."
            )
            raise RecordingEnded(message)
        self.position = index + 1
        return step.response

    def recorded_result(self, call_id: str) -> ToolResult | None:
        """The recorded result of a call of the reply just served, if there is one."""
        return self.recording.steps[self.position - 1].results.get(call_id)

    def resumed_with(self, call_id: str) -> ToolResult | ToolCall | None:
        """How the recorded run went on with a call of the reply just served that waits now.

        Returns:
            The result a decision gave it without running it (denied, or supplied); the
            call as a human approved it, to run again; or ``None``: no result is recorded
            (the recorded run waits on it too).
        """
        step = self.recording.steps[self.position - 1]
        result = step.results.get(call_id)
        if result is None:
            return None
        approved = step.ran.get(call_id)
        if approved is None or call_id in step.settled:
            return result
        return approved

    def check_result(self, result: ToolResult) -> None:
        """Compare a call's result now with its recorded one (if any).

        Raises:
            DivergenceError: They differ.
        """
        recorded = self.recorded_result(result.call_id)
        if recorded is None:
            return
        found = compare_results(self.position - 1, recorded, result)
        if found is not None:
            self.diverge(found)

    def finish(self, result: RunResult | None = None) -> None:
        """Check that the replay, now over, used every recorded step.

        Args:
            result: The replayed run, if one run was replayed (its stop reason is shown).

        Raises:
            DivergenceError: The recording goes on past the replay's last request (and no
                divergence was met before).
        """
        steps = len(self.recording.steps)
        if self.position >= steps or self.divergence is not None:  # reported already
            return
        how = "" if result is None else f" ({result.stop_reason})"
        self.diverge(
            Divergence(
                "length",
                self.position,
                f"The run ended after {_count(self.position, 'step')}{how}, but the recording "
                f"goes on to {steps} steps.",
            )
        )

    def diverge(self, divergence: Divergence) -> NoReturn:
        """Record the divergence and end the replay with it.

        Raises:
            DivergenceError: Always.
        """
        self.divergence = divergence
        raise DivergenceError(divergence, self.recording.source, self.hint)


class ReplayModel:
    """A model that answers each request with the recorded reply, after comparing them.

    Args:
        session: The replay it serves.
    """

    def __init__(self, session: ReplaySession) -> None:
        self.session = session

    @property
    def name(self) -> str:
        """Always ``"replay"``."""
        return "replay"

    @property
    def model(self) -> str:
        """The model string the run was recorded with, if known."""
        return self.session.recording.model

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """The recorded reply (see `ReplaySession.answer`)."""
        return self.session.answer(request)

    async def stream(
        self, request: ModelRequest, *, partial_args: bool = False
    ) -> AsyncIterator[StreamEvent]:
        """The recorded reply, as a stream (see `replay_response`)."""
        response = self.session.answer(request)
        async for event in replay_response(response, partial_args=partial_args):
            yield event


@dataclass(frozen=True)
class RerunResults(Executor):
    """Runs the calls with the agent's own executor, then compares each result with the record.

    A call with no recorded result (its run was interrupted before the result was stored)
    has nothing to be compared with: it only runs.

    Attributes:
        session: The replay.
        tools: The agent's executor, which runs the calls.
    """

    session: ReplaySession = field(kw_only=True, repr=False, compare=False)
    tools: Executor = field(kw_only=True, repr=False, compare=False)

    async def execute(
        self,
        toolbox: ToolRegistry,
        calls: Iterable[ToolCall],
        *,
        deps: Any = None,
        state: ExecutorState | None = None,
        deadline: float | None = None,
        on_progress: ProgressListener | None = None,
    ) -> list[ToolResult]:
        """Run the calls; raise `DivergenceError` for the first result unlike its record.

        A call that waits (for approval, or for the application) is answered as the
        recorded run was resumed: with the result its decision gave, or run again as it
        was approved (`ReplaySession.resumed_with`); with neither recorded, it waits.
        """
        run = functools.partial(
            self.tools.execute, toolbox, deps=deps, deadline=deadline, on_progress=on_progress
        )
        results = await run(calls, state=state)
        settled: set[str] = set()
        waiting = state.pending if state is not None else None
        if waiting:
            settled = await self._resume(results, waiting, state, run)
        self.session.calls_run += sum(
            1 for r in results if r.call_id not in settled and r.call_id not in (waiting or {})
        )
        for result in results:
            self.session.check_result(result)
        return results

    async def _resume(
        self,
        results: list[ToolResult],
        waiting: dict[str, PendingCall],
        state: ExecutorState | None,
        run: Callable[..., Awaitable[list[ToolResult]]],
    ) -> set[str]:
        """Answer the waiting calls as the recorded run's resume did; the ids settled."""
        answers: dict[str, ToolResult] = {}
        approved: list[ToolCall] = []
        for result in results:
            if result.call_id not in waiting:
                continue
            resumed = self.session.resumed_with(result.call_id)
            if isinstance(resumed, ToolResult):
                answers[result.call_id] = resumed
            elif resumed is not None:
                approved.append(resumed)
        settled = set(answers)
        for call_id in [*answers, *(call.id for call in approved)]:
            del waiting[call_id]
        if approved:
            assert state is not None  # calls wait only in a state
            before, state.approved = state.approved, frozenset(call.id for call in approved)
            try:
                answers.update((r.call_id, r) for r in await run(approved, state=state))
            finally:
                state.approved = before
        results[:] = [answers.get(r.call_id, r) for r in results]
        return settled


@dataclass(frozen=True)
class RecordedResults(Executor):
    """Runs no tool: each call gets its recorded result, if the current tools still take it.

    Attributes:
        session: The replay.
    """

    session: ReplaySession = field(kw_only=True, repr=False, compare=False)

    async def execute(
        self,
        toolbox: ToolRegistry,
        calls: Iterable[ToolCall],
        *,
        deps: Any = None,
        state: ExecutorState | None = None,
        deadline: float | None = None,
        on_progress: ProgressListener | None = None,
    ) -> list[ToolResult]:
        """The recorded results; `DivergenceError` for a call the tools now judge otherwise.

        A call the recording has no result for, which never ran, of a tool that needs
        approval or is run by the application, waits (the recorded run is paused on it).
        """
        return [self._recorded(toolbox, call, state) for call in calls]

    def _recorded(
        self, toolbox: ToolRegistry, call: ToolCall, state: ExecutorState | None
    ) -> ToolResult:
        session = self.session
        step = session.position - 1
        recorded = session.recorded_result(call.id)
        name = f"Call {call.id!r} to {call.name!r}"
        if recorded is None and state is not None and state.pending is not None:
            waiting = _waiting(toolbox, call, session.recording.steps[step].ran)
            if waiting is not None:
                state.pending[call.id] = waiting
                return ToolResult(call.id, call.name, "Waiting.", True, "denied")
        if recorded is None:
            session.diverge(
                Divergence(
                    "call",
                    step,
                    f"{name} has no recorded result to answer it with (the run was "
                    "interrupted before it finished); replay with the tools run again.",
                    call_id=call.id,
                )
            )
        problem = _call_problem(toolbox, call)
        refused = recorded.is_error and recorded.error_kind in INVALID_CALL
        if problem is not None and not refused:
            explanation = f"{name} is no longer valid for the current tools: {problem}"
        elif problem is None and refused:
            explanation = (
                f"{name} was refused when recorded ({recorded.error_kind}: "
                f"{recorded.content[:80]}), but the current tools take it."
            )
        else:
            return recorded
        session.diverge(Divergence("call", step, explanation, call_id=call.id))


def _waiting(
    toolbox: ToolRegistry, call: ToolCall, ran: Mapping[str, ToolCall]
) -> PendingCall | None:
    """The pending call a call with no recorded result is, if it waits as it did when recorded.

    It waits if it never ran, is valid (only valid calls wait), and its tool waits on every
    call: one that needs approval, or that the application runs (one that asks for
    approval itself can only tell by running).
    """
    tool = toolbox.find(call.name)
    if call.id in ran or tool is None or not (tool.requires_approval or tool.external):
        return None
    if _call_problem(toolbox, call) is not None:
        return None
    return PendingCall(
        call.id, call.name, call.arguments, "", "external" if tool.external else "approval"
    )


def _call_problem(toolbox: ToolRegistry, call: ToolCall) -> str | None:
    """Why the tools would refuse the call (no such tool, bad arguments), or ``None``."""
    if call.name not in toolbox:
        return f"no tool is named {call.name!r} now."
    tool = toolbox.get(call.name)
    try:
        tool.validate(parse_arguments(call.arguments, accepts=tool.accepts).value)
    except UnparsableArguments as e:
        return f"its arguments cannot be read: {e.message}"
    except ArgumentsError as e:
        return f"its arguments do not fit the tool's parameters now: {e}"
    return None


def replaying_agent(agent: Agent, session: ReplaySession, tools: ToolsMode) -> Agent:
    """A copy of ``agent`` whose model is the recording and whose calls are compared.

    Raises:
        ConfigurationError: ``tools`` is neither ``"rerun"`` nor ``"recorded"``.
    """
    if tools not in get_args(ToolsMode):
        message = f"tools={tools!r}: use 'rerun' (run the tools again) or 'recorded'."
        raise ConfigurationError(message)
    replica = copy.copy(agent)
    replica.provider = ReplayModel(session)
    if tools == "rerun":
        replica.executor = RerunResults(session=session, tools=agent.executor)
    else:
        replica.executor = RecordedResults(session=session)
    return replica


@dataclass(frozen=True, slots=True)
class ReplayReport:
    """What a replay found.

    Attributes:
        run_id: The run replayed.
        tools: Whether the calls ran again (``"rerun"``) or got their recorded results.
        divergence: Where the run first differs from its recording; ``None``: nowhere.
        steps_recorded: The steps of the recording.
        steps_replayed: The recorded replies the replay was served.
        calls_run: The calls the tools ran (0 with ``tools="recorded"``).
        interrupted: The recording ends in a step with no reply (the run was interrupted
            there): the replay compared the run up to that step's request.
        result: The replayed run, as far as it went.
    """

    run_id: str
    tools: ToolsMode
    divergence: Divergence | None
    steps_recorded: int
    steps_replayed: int
    calls_run: int
    interrupted: bool = False
    result: RunResult | None = field(default=None, repr=False)

    @property
    def diverged(self) -> bool:
        """Whether the run differs from its recording."""
        return self.divergence is not None

    def __str__(self) -> str:
        if self.divergence is not None:
            return f"Run {self.run_id} diverged at {self.divergence}"
        tools = "tools run again" if self.tools == "rerun" else "recorded results"
        if self.interrupted:
            return (
                f"Run {self.run_id}: no divergence in the {self.steps_recorded} recorded "
                f"requests ({tools}); the recording ends at an interrupted step."
            )
        steps, calls = _count(self.steps_replayed, "step"), _count(self.calls_run, "call")
        return f"Run {self.run_id}: no divergence in {steps} ({tools}, {calls} run)."


async def replay(
    store: RunStore,
    run_id: str,
    agent: Agent,
    *,
    tools: ToolsMode = "rerun",
    deps: Any = None,
) -> ReplayReport:
    """Run a recorded run again with ``agent``, and report its first divergence.

    The run starts from its recorded opening messages; if ``agent`` has a system prompt,
    that prompt stands in place of the recorded one, so a changed prompt shows as a
    divergence (without one, the recorded system message is kept, as the run's own
    history). Nothing is sent to a model, and nothing is written to the store.

    Args:
        store: Where the run was recorded.
        run_id: The run.
        agent: The agent to replay it with: its tools and settings as they are now.
        tools: ``"rerun"``: run the calls again and compare their results with the
            recorded ones; ``"recorded"``: run no tool, answer each call with its recorded
            result (if the current tools still take the call).
        deps: Passed to tools as ``RunContext.deps`` (default: the agent's).

    Raises:
        RunStateError: No run has this id, it has no step, or what is stored is not of the
            stored form.
        ConfigurationError: ``tools`` is neither ``"rerun"`` nor ``"recorded"``.
    """
    recording = recording_of_run(await store.load(run_id))
    if not recording.steps:
        message = f"Run {run_id!r} has no recorded step: there is nothing to replay."
        raise RunStateError(message)
    session = ReplaySession(recording)
    replica = replaying_agent(agent, session, tools)
    # A replay is no new run to record: the copy writes to no store.
    replica.store = None
    opening = list(recording.opening)
    if agent.system is not None and opening and isinstance(opening[0], SystemMessage):
        opening = opening[1:]
    result: RunResult | None = None
    interrupted = False
    try:
        result = await _run(replica, opening, deps)
        session.finish(result)
    except DivergenceError as e:
        result = run_so_far(e) or result
    except RecordingEnded as e:
        result = run_so_far(e)
        interrupted = True
    return ReplayReport(
        run_id,
        tools,
        session.divergence,
        len(recording.steps),
        session.position,
        session.calls_run,
        interrupted,
        result,
    )


def replay_sync(
    store: RunStore,
    run_id: str,
    agent: Agent,
    *,
    tools: ToolsMode = "rerun",
    deps: Any = None,
) -> ReplayReport:
    """`replay`, for code without an event loop.

    Raises:
        ConfigurationError: Called inside a running event loop (use ``await replay``).
    """
    import asyncio

    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run_blocking(replay(store, run_id, agent, tools=tools, deps=deps))
    message = "replay_sync() was called in a running event loop: use `await replay(...)`."
    raise ConfigurationError(message)


def _count(number: int, noun: str) -> str:
    return f"{number} {noun}" if number == 1 else f"{number} {noun}s"


async def _run(agent: Agent, opening: list[Any], deps: Any) -> RunResult:
    """The replayed run's result; a run that reached its limit and raised, as returned."""
    try:
        return await agent.run(messages=opening, deps=deps)
    except MaxIterationsError as e:
        if (result := run_so_far(e)) is not None:
            return result
        raise
