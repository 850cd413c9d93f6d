"""The tool-call loop: model -> calls -> results -> model, until an answer or a limit.

Each iteration sends the conversation and the tool schemas to the model; when it calls
tools, the calls run through the `Executor` (in parallel, validated, isolated) and their
results join the conversation for the next request. A run stops when the model answers,
or at a limit: ``max_iterations`` model requests, ``max_tool_calls`` calls, or the loop
guard (the same call made over and over). A call the run already has the result of is
not run again: by default the model gets that result back and is asked to answer.

A run pauses on calls that wait for a human or for the application, and goes on with
`Agent.resume`; with a run store it is checkpointed at every step, and resumes after a
crash from its id.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Iterable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, Generic, Literal, Unpack, get_args

from switchboard.blocking import run_blocking
from switchboard.errors import ConfigurationError, MaxIterationsError, RunStateError
from switchboard.execution.executor import Executor, ExecutorOptions
from switchboard.execution.toolbox import Toolbox
from switchboard.guard import OnRepeat
from switchboard.messages import (
    AssistantTurn,
    Message,
    SystemMessage,
    ToolResult,
    UserMessage,
)
from switchboard.outcome import OutputT, RunResult
from switchboard.output_schema import OutputSchema
from switchboard.providers.base import (
    AllowedTools,
    ModelSettings,
    Provider,
    ToolChoice,
    check_timeouts,
)
from switchboard.providers.models import resolve_model
from switchboard.run import RunLoop
from switchboard.runs.approval import Decision
from switchboard.runs.state import RunState
from switchboard.streaming import RunEnd, RunEvent
from switchboard.telemetry.settings import InstrumentationSettings, instrumentation
from switchboard.tools.source import ToolSource
from switchboard.tools.tool import Tool

if TYPE_CHECKING:
    from switchboard.routing import Router
    from switchboard.runs.store import RunStore, StoredRun
    from switchboard.telemetry.tracing import Tracing


class Agent(Generic[OutputT]):
    """Runs the function-calling loop of one model over one set of tools.

    Args:
        model: A `Provider`, or a model string such as ``"openai:gpt-4.1-mini"``,
            ``"anthropic:claude-sonnet-4-5"``, ``"gemini:gemini-2.5-flash"``.
        tools: A `Toolbox`, or tools, functions and tool sources (toolboxes, MCP servers:
            see `Toolbox.include`) to put in a new one.
        system: Instructions sent ahead of the conversation.
        max_iterations: The most model requests in one run.
        max_tool_calls: The most tool calls in one run (``None``: no limit). Calls past
            it are answered with an error result, and the run stops.
        tool_choice: ``"auto"``, ``"none"``, ``"required"``, a tool's name, or
            `AllowedTools` (offer many, allow a few).
        reset_tool_choice: After a turn whose calls were forced (``"required"`` or a
            name), use ``"auto"`` for the rest of the run, so a forced tool cannot loop.
        parallel_tool_calls: Whether the model may make several calls per turn
            (``None``: the provider's default).
        strict: Send tool schemas in OpenAI strict form where the provider has one.
        settings: Sampling settings (max tokens, temperature, seed).
        on_repeat: What to do with a call identical (same tool, same arguments) to one
            the run already has the result of, with no other tool run since (which might
            have changed it): ``"answer"`` does not run it, gives the model the earlier
            result with a reminder, and makes the next request forbid calls
            (``tool_choice="none"``), so the run ends with an answer; ``"error"`` does not
            run it and tells the model so, as an error result; ``"stop"`` does not run it
            and ends the run (``loop_guard``); ``"run"`` runs it again (for tools whose
            result changes, e.g. a job's status). A failure that may pass (a timeout, a
            denied approval) is never an answer: the call may be made again.
        repeat_limit: The loop guard: the call that repeats a call (same tool, same
            arguments) for the ``repeat_limit``-th time is not run; the model gets an
            error result saying so. If it makes that call yet again, the run stops.
        answer_at_limit: Make the last of the ``max_iterations`` requests forbid calls
            (``tool_choice="none"``), so a run that reaches the limit still ends with an
            answer from what it has.
        raise_on_limit: Raise `MaxIterationsError` (carrying the partial result)
            instead of returning when ``max_iterations`` is reached.
        deps: Passed to tools as ``RunContext.deps``.
        router: Offers each request only the tools a `Router` picks for the
            conversation (plus its ``always`` tools and those already called in the run);
            ``None`` offers every tool.
        early_execution: In `run_stream`, start a call as soon as the model has finished
            writing it, while it still streams the rest of its reply (never for
            ``sequential``, ``requires_approval`` or ``external`` tools, nor with a
            ``store``, where no call starts before its reply is recorded).
        on_cut_off: When a reply ends inside a call (max tokens, an error; see
            `ModelResponse.unfinished_calls`), that call never runs: ``"retry"`` tells the
            model which calls were cut off (an error result each) and goes on; ``"stop"``
            ends the run with the reply's stop reason. Calls already complete run either way.
        request_timeout: Seconds for each try of a model request, its whole reply
            included (``None``: the provider's own limit, 600 s for the API providers).
        run_timeout: Seconds for the whole run, model requests and tool calls included;
            past it the run raises `RunTimeoutError`, carrying the run so far.
        tool_timeout: Seconds for each batch of tool calls (a tool's own ``timeout``
            applies as well); calls still running then get timeout results.
        api_key: With a model string: the provider's key (default: its variable).
        base_url: With a model string: another endpoint, e.g. an OpenAI-compatible
            local server for ``"openai:<model>"``.
        output_type: A Pydantic model the answer must be: the provider is asked for it
            through its structured output (the local model through its grammar), and the
            answer is validated into ``result.parsed``. ``None``: the answer is free text.
        output_retries: With ``output_type``: how many invalid answers are sent back, with
            their problems, to be corrected; one more raises `OutputValidationError`.
        store: Where each run is checkpointed, step by step (e.g. `SQLiteStore`): its
            requests and replies, each call as it starts and ends, its state. A run in a
            store can be resumed by its id after a crash (`resume`). ``None``: runs live in
            memory only (their ``result.state`` can still be resumed).
        instrument: Emit OpenTelemetry spans and metrics for each run, under the GenAI
            semantic conventions (``True``, or `InstrumentationSettings` for other
            providers, an agent name, or message contents). Off by default; needs
            ``switchboard[otel]``.
        **executor: `Executor` settings for the calls (``max_concurrency``,
            ``timeout``, ``before``, ``after``, ``approve``, ``format_error``, ...).

    Example:
        >>> from switchboard import ScriptedModel, ToolCall
        >>> def double(x: int) -> int:
        ...     "Double a number."
        ...     return 2 * x
        >>> model = ScriptedModel([ToolCall("c1", "double", '{"x": 21}'), "42."])
        >>> result = Agent(model, tools=[double]).run_sync("Double 21.")
        >>> result.output, result.stop_reason, len(result.steps)
        ('42.', 'answer', 2)
    """

    def __init__(
        self,
        model: str | Provider,
        tools: Toolbox | Iterable[Tool | Callable[..., Any] | ToolSource] = (),
        *,
        system: str | None = None,
        max_iterations: int = 10,
        max_tool_calls: int | None = None,
        tool_choice: ToolChoice = "auto",
        reset_tool_choice: bool = True,
        parallel_tool_calls: bool | None = None,
        strict: bool = False,
        settings: ModelSettings | None = None,
        on_repeat: OnRepeat = "answer",
        repeat_limit: int = 3,
        answer_at_limit: bool = False,
        raise_on_limit: bool = False,
        deps: Any = None,
        router: Router | None = None,
        early_execution: bool = True,
        on_cut_off: Literal["retry", "stop"] = "retry",
        request_timeout: float | None = None,
        run_timeout: float | None = None,
        tool_timeout: float | None = None,
        api_key: str | None = None,
        base_url: str | None = None,
        store: RunStore | None = None,
        output_type: type[OutputT] | None = None,
        output_retries: int = 2,
        instrument: bool | InstrumentationSettings = False,
        **executor: Unpack[ExecutorOptions],
    ) -> None:
        if max_iterations < 1:
            msg = f"max_iterations must be at least 1 (got {max_iterations})."
            raise ConfigurationError(msg)
        if max_tool_calls is not None and max_tool_calls < 0:
            msg = f"max_tool_calls must be 0 or more, or None (got {max_tool_calls})."
            raise ConfigurationError(msg)
        if repeat_limit < 2:
            msg = f"repeat_limit must be at least 2 (got {repeat_limit})."
            raise ConfigurationError(msg)
        if on_repeat not in get_args(OnRepeat):
            choices = ", ".join(repr(mode) for mode in get_args(OnRepeat))
            msg = f"on_repeat must be one of {choices} (got {on_repeat!r})."
            raise ConfigurationError(msg)
        if "timeout" in executor:
            msg = (
                "Agent(timeout=...) is ambiguous: pass tool_timeout= (each batch of tool "
                "calls), request_timeout= (each try of a model request) or run_timeout= "
                "(the whole run)."
            )
            raise ConfigurationError(msg)
        check_timeouts(
            request_timeout=request_timeout, run_timeout=run_timeout, tool_timeout=tool_timeout
        )
        self.toolbox = tools if isinstance(tools, Toolbox) else Toolbox(tools)
        if isinstance(tool_choice, AllowedTools):
            unknown = [name for name in tool_choice.names if name not in self.toolbox]
        else:
            named = tool_choice in ("auto", "none", "required") or tool_choice in self.toolbox
            unknown = [] if named else [tool_choice]
        if unknown:
            names = ", ".join(self.toolbox.names) or "none"
            msg = f"tool_choice={tool_choice!r} names no tool of this agent (tools: {names})."
            raise ConfigurationError(msg)
        self.provider = resolve_model(model, api_key=api_key, base_url=base_url)
        self.system = system
        self.max_iterations = max_iterations
        self.max_tool_calls = max_tool_calls
        self.tool_choice: ToolChoice = tool_choice
        self.reset_tool_choice = reset_tool_choice
        self.parallel_tool_calls = parallel_tool_calls
        self.strict = strict
        self.settings = settings or ModelSettings()
        self.on_repeat: OnRepeat = on_repeat
        self.repeat_limit = repeat_limit
        self.answer_at_limit = answer_at_limit
        self.raise_on_limit = raise_on_limit
        self.deps = deps
        self.router = router
        self.early_execution = early_execution
        self.on_cut_off: Literal["retry", "stop"] = on_cut_off
        self.request_timeout = request_timeout
        self.run_timeout = run_timeout
        options: ExecutorOptions = {**executor, "timeout": tool_timeout}
        self.executor = Executor(**options)
        self.store = store
        if output_retries < 0:
            msg = f"output_retries must be 0 or more (got {output_retries})."
            raise ConfigurationError(msg)
        self.output: OutputSchema[OutputT] | None = (
            None if output_type is None else OutputSchema[OutputT].of(output_type)
        )
        self.output_retries = output_retries
        self.instrument = instrumentation(instrument)
        self._tracing: Tracing | None = None
        if self.instrument is not None:  # a sync tool's spans go under its call's span
            self.executor.threads.carry_context = True

    async def run(
        self,
        prompt: str | None = None,
        *,
        messages: Sequence[Message] = (),
        deps: Any = None,
        run_id: str | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> RunResult[OutputT]:
        """Run the loop until the model answers, a limit stops it, or it pauses.

        A run pauses (``stop_reason="paused"``) on calls that wait: of a
        ``requires_approval`` tool when no ``approve=`` callback is set, of an
        ``external`` tool, or whose tool raised `ApprovalRequired` or `CallDeferred`. The
        turn's other calls have run; ``result.pending`` lists the waiting ones, and
        `resume` goes on with a decision for each.

        Args:
            prompt: The user's message. May be left out when ``messages`` ends with one.
            messages: Earlier conversation to continue (e.g. a previous
                ``RunResult.messages``); the system message is added only if absent.
            deps: Overrides the agent's ``deps`` for this run.
            run_id: The run's id (``result.state.run_id``; its key in the store); default
                a new random one.
            meta: Recorded with the run in the store (e.g. who asked), beside the model.

        Raises:
            MaxIterationsError: ``max_iterations`` was reached and ``raise_on_limit`` set.
            ProviderError: The model provider failed (after its retries).
            RunTimeoutError: The run passed ``run_timeout``.
            RunStateError: The store failed, or already has a run ``run_id``.
            RunError: Anything else failed inside the run.

        Every error raised out of a run carries the run so far in ``error.result``: the
        calls that ran and their results are in its messages, to continue from, and its
        ``state`` to resume.
        """
        return await self._result(self._new_run(prompt, messages, deps, run_id, meta))

    async def resume(
        self,
        state: RunState | str,
        decisions: Mapping[str, Decision] | None = None,
        *,
        deps: Any = None,
    ) -> RunResult[OutputT]:
        """Go on with a paused run, or one whose process died, from where it stopped.

        A paused run takes a decision for each pending call, by call id: `Approve` runs it
        (with the arguments the model wrote, or others, validated like the model's),
        `Deny` gives the model an error result with its message, `Supply` gives the
        application's own result. Then the loop goes on. The calls of the paused turn
        that had run are not run again.

        A run the store holds (resumed by its id after a crash) loses nothing it stored:
        a reply stored is not asked for again, a call whose result was stored does not
        run again, and a call that started with no result stored runs again only if its
        tool is ``idempotent``; otherwise the model is told it may have taken effect, and
        its id is in ``result.interrupted``.

        Args:
            state: The run's `RunState` (``result.state``), its JSON text
                (`RunState.to_json`), or its id in this agent's store.
            decisions: Call id -> decision, one for each pending call of a paused run.
            deps: Overrides the agent's ``deps`` for the rest of the run.

        Raises:
            ConfigurationError: The decisions do not answer the pending calls one for one,
                or a run id was given to an agent with no store.
            RunStateError: No run has that id, the run has finished, the state is not a
                state, or the store holds a later state of the run than the one given.
            ProviderError, RunTimeoutError, RunError: As `run`, with ``error.result``.
        """
        # Imported on use: a run that never resumes and has no store does without them, and
        # `import switchboard` leaves them out (tests/test_imports.py).
        from switchboard.resume_plan import plan_resume
        from switchboard.run_resume import ResumedLoop
        from switchboard.runs.recorder import RunRecorder

        given, stored = await self._stored(state)
        plan = plan_resume(
            given, stored, decisions or {}, self.toolbox, self.executor.max_result_chars
        )
        recorder = None
        if self.store is not None:
            recorder = RunRecorder(self.store, given.run_id, recorded=_recorded(plan.state, stored))
        run = ResumedLoop(self, plan, self.deps if deps is None else deps, recorder)
        return await self._result(run, decisions)

    def resume_sync(
        self,
        state: RunState | str,
        decisions: Mapping[str, Decision] | None = None,
        *,
        deps: Any = None,
    ) -> RunResult[OutputT]:
        """`resume`, for code without an event loop.

        Raises:
            ConfigurationError: Called inside a running event loop (use ``await resume``).
        """
        self._check_no_loop("resume_sync", "resume")
        return run_blocking(self.resume(state, decisions, deps=deps))

    async def _stored(self, state: RunState | str) -> tuple[RunState, StoredRun | None]:
        """The state to resume, and the run as the store holds it (``None``: not there)."""
        store = self.store
        if isinstance(state, str) and not state.lstrip().startswith("{"):
            if store is None:
                msg = (
                    f"agent.resume({state!r}): a run id needs a store to find the run in. "
                    "Pass store= to the Agent, or resume from the run's state."
                )
                raise ConfigurationError(msg)
            stored = await store.load(state)
            if stored.state is None:
                msg = (
                    f"Run {state!r} has no saved state in the store: it was stopped before "
                    "its first step, so nothing of it ran. Start it again, under a new id."
                )
                raise RunStateError(msg)
            return RunState.from_json(stored.state), stored
        given = RunState.from_json(state) if isinstance(state, str) else state
        if store is None:
            return given, None
        try:
            return given, await store.load(given.run_id)
        except RunStateError:  # not in this store: it is recorded from here on
            return given, None

    async def _result(
        self, run: RunLoop, decisions: Mapping[str, Decision] | None = None
    ) -> RunResult[OutputT]:
        """Run ``run`` whole: its result (``decisions``: a resumed run's, for its trace)."""
        # Closed here, not left to the collector: its loop would get the closing as a task.
        async with contextlib.aclosing(
            self._events(run, streaming=False, decisions=decisions)
        ) as events:
            async for event in events:
                if isinstance(event, RunEnd):
                    return self._checked(event.result)
        msg = "The loop ended without a result."  # unreachable: events() ends with RunEnd
        raise RuntimeError(msg)

    def _new_run(
        self,
        prompt: str | None,
        messages: Sequence[Message],
        deps: Any,
        run_id: str | None,
        meta: Mapping[str, Any] | None,
    ) -> RunLoop:
        if run_id is not None and not run_id:
            msg = "run_id must be a non-empty string, or None for a new random id."
            raise ConfigurationError(msg)
        opening = self._opening(prompt, messages)
        run = RunLoop(self, opening, self.deps if deps is None else deps, run_id=run_id)
        if self.store is not None:
            from switchboard.runs.recorder import RunRecorder

            provider = self.provider
            run.recorder = run.calls.recorder = RunRecorder(self.store, run.run_id)
            run.meta = {"model": f"{provider.name}:{provider.model}", **(meta or {})}
        return run

    async def run_stream(
        self,
        prompt: str | None = None,
        *,
        messages: Sequence[Message] = (),
        deps: Any = None,
        partial_args: bool = False,
        run_id: str | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> AsyncIterator[RunEvent]:
        """Run the loop, yielding the model's replies as they stream and the calls' results.

        Yields `TextDelta`, `ToolCallStart`, `ToolCallDelta`, `ToolCallReady`,
        `ToolCallCut` and `TurnEnd` for each reply, `ToolProgressEvent` as running calls report
        progress, `ToolResultEvent` as each call finishes, and `RunEnd` last, whose result
        is what `run` returns for the same replies (a paused run's too). With
        ``early_execution`` a call starts as soon as it is complete (with a store: once the
        reply is recorded).

        Args:
            prompt: The user's message. May be left out when ``messages`` ends with one.
            messages: Earlier conversation to continue.
            deps: Overrides the agent's ``deps`` for this run.
            partial_args: Compute `ToolCallDelta.partial_args`, the arguments so far.
            run_id: The run's id, as for `run`.
            meta: Recorded with the run in the store, as for `run`.

        Raises:
            MaxIterationsError: ``max_iterations`` was reached and ``raise_on_limit`` set.
            ProviderError: The model provider failed (after retries), ``error.result``
                holding the run so far, as for `run`.
            RunTimeoutError: The run passed ``run_timeout``.
            RunError: Anything else failed inside the run.
        """
        run = self._new_run(prompt, messages, deps, run_id, meta)
        async for event in self._events(run, streaming=True, partial_args=partial_args):
            if isinstance(event, RunEnd):
                self._checked(event.result)
            yield event

    def _events(
        self,
        run: RunLoop,
        streaming: bool,
        partial_args: bool = False,
        decisions: Mapping[str, Decision] | None = None,
    ) -> AsyncGenerator[RunEvent, None]:
        """The run's events; traced when the agent is instrumented."""
        events = run.events(streaming=streaming, partial_args=partial_args)
        if self.instrument is None:
            return events
        from switchboard.telemetry.run_trace import RunTrace, traced_events
        from switchboard.telemetry.tracing import Tracing

        tracing = self._tracing
        if tracing is None:
            tracing = self._tracing = Tracing(self.instrument)
        if not tracing.recording():
            return events
        return traced_events(RunTrace(tracing, run), events, decisions)

    def _checked(self, result: RunResult[Any]) -> RunResult[OutputT]:
        if result.stop_reason == "max_iterations" and self.raise_on_limit:
            msg = (
                f"The run reached max_iterations={self.max_iterations} while the model was "
                "still calling tools. Raise max_iterations, or continue with result.messages."
            )
            raise MaxIterationsError(msg, result)
        return result

    def run_sync(
        self,
        prompt: str | None = None,
        *,
        messages: Sequence[Message] = (),
        deps: Any = None,
        run_id: str | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> RunResult[OutputT]:
        """`run`, for code without an event loop.

        Raises:
            ConfigurationError: Called inside a running event loop (use ``await run``).
        """
        self._check_no_loop("run_sync", "run")
        return run_blocking(
            self.run(prompt, messages=messages, deps=deps, run_id=run_id, meta=meta)
        )

    @staticmethod
    def _check_no_loop(name: str, instead: str) -> None:
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return
        msg = (
            f"Agent.{name}() was called in a running event loop: use `await agent.{instead}(...)`."
        )
        raise ConfigurationError(msg)

    def _opening(self, prompt: str | None, history: Sequence[Message]) -> list[Message]:
        messages: list[Message] = []
        if self.system is not None and not any(isinstance(m, SystemMessage) for m in history):
            messages.append(SystemMessage(self.system))
        messages.extend(history)
        if prompt is not None:
            messages.append(UserMessage(prompt))
        if not messages or not isinstance(messages[-1], UserMessage | ToolResult):
            msg = "Nothing to answer: pass a prompt, or messages ending with the user's turn."
            raise ConfigurationError(msg)
        return messages


def _recorded(state: RunState, stored: StoredRun | None) -> int:
    """How many of the state's messages the requests of its stored steps hold."""
    if stored is None or state.iteration == 0:
        return 0  # a run new to the store: its first step's request holds them all
    if state.pending:
        from switchboard.resume_plan import paused_turn

        return paused_turn(list(state.messages))[0]
    turns = [i for i, m in enumerate(state.messages) if isinstance(m, AssistantTurn)]
    return turns[-1] if turns else 0
