"""One run of the loop: its conversation, guards, steps, and result.

`Agent` holds the settings; a `RunLoop` holds what one run has done so far and drives
it, whole (`Agent.run`) or streamed (`Agent.run_stream`), through the same code. A run that
goes on from a `RunState` (`Agent.resume`) is a `ResumedLoop` (`switchboard.run_resume`).

With a run store, each step is checkpointed through a `RunRecorder`: the request before the
model is asked, the reply, each call as it starts and finishes, the state after the step.
Without one, the loop does none of that work.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import replace
from types import MappingProxyType
from typing import TYPE_CHECKING, Any, cast

from switchboard.errors import RunError, RunTimeoutError, SwitchboardError
from switchboard.execution.executor import ExecutorState
from switchboard.guard import CallGuard, GuardMemory
from switchboard.messages import (
    AssistantTurn,
    Message,
    ModelResponse,
    ToolCall,
    ToolResult,
    Usage,
    UserMessage,
)
from switchboard.outcome import RunResult, RunStopReason, Step, new_step
from switchboard.providers.base import (
    AllowedTools,
    ModelRequest,
    Provider,
    forces_a_call,
    new_request,
)
from switchboard.run_output import OutputCheck
from switchboard.runs.approval import PendingCall
from switchboard.runs.request import choice_to_json, tool_hashes
from switchboard.runs.state import RunState, RunStatus, new_run_id
from switchboard.streaming import RunEnd, RunEvent, StreamedTurn, cut_result, withheld_result
from switchboard.streaming.partial import settled_arguments
from switchboard.tools.context import ProgressListener
from switchboard.tools.tool import Tool

if TYPE_CHECKING:
    from switchboard.agent import Agent
    from switchboard.routing import Router
    from switchboard.runs.recorder import RunRecorder

logger = logging.getLogger("switchboard")

_NO_META: Mapping[str, Any] = MappingProxyType({})
_NO_USAGE = Usage()


class RunLoop:
    """The state of one run: the conversation, counters, and the steps so far.

    Args:
        agent: The agent whose settings the run follows.
        messages: The conversation to start from.
        deps: Passed to tools as ``RunContext.deps``.
        run_id: The run's id (default: a new one).
        recorder: Checkpoints the run to a store; ``None``: no store.
        meta: Recorded with a new run in the store.
    """

    def __init__(
        self,
        agent: Agent,
        messages: list[Message],
        deps: Any,
        *,
        run_id: str | None = None,
        recorder: RunRecorder | None = None,
        meta: Mapping[str, Any] | None = None,
    ) -> None:
        self.agent = agent
        self.provider: Provider = agent.provider
        """The model this run asks (the agent's; traced where the agent is instrumented)."""
        self.messages = messages
        self.deps = deps
        self.run_id = run_id or new_run_id()
        self.calls = ExecutorState(pending={})
        """The executor's memory of the run, and the calls of the turn that wait."""
        self.steps: list[Step] = []
        self.iteration = 0
        """The steps whose replies are in the conversation, resumed runs' earlier ones too."""
        self.tool_choice = agent.tool_choice
        self.guard = CallGuard(agent.max_tool_calls, agent.repeat_limit, agent.on_repeat)
        self.interrupted: list[str] = []
        self.recorder = recorder
        if recorder is not None:
            self.calls.recorder = recorder
        self.meta: Mapping[str, Any] = meta or _NO_META
        """Recorded with a new run in the store."""
        output = agent.output
        self.output = None if output is None else OutputCheck(output, agent.output_retries)
        """Validates the answers of a run with an ``output_type``."""
        self._parsed: Any = None
        self._guard = GuardMemory(len(messages))
        self._usage = _NO_USAGE  # of the steps before the run resumed
        self._sums = (0, 0, 0)  # input, output tokens and requests of the first _summed steps
        self._summed = 0
        self._waiting: tuple[PendingCall, ...] = ()  # while the paused turn is settled
        self._offered: Sequence[Tool] = ()
        self._tools: tuple[tuple[str, str], ...] = ()  # offered before the run resumed
        # Runs the guards' batch instead of the executor, while a resumed run re-runs a stored
        # reply (a method to override would cost every batch one call more).
        self._rerun: Callable[[Sequence[ToolCall]], Awaitable[list[ToolResult]]] | None = None
        self._guard_stop: RunStopReason | None = None
        self._turn: StreamedTurn | None = None
        self._called: set[str] | None = None
        self._all: tuple[int, tuple[Tool, ...], tuple[str, ...]] | None = None
        timeout = agent.run_timeout
        self.deadline = None if timeout is None else asyncio.get_running_loop().time() + timeout

    async def events(
        self, *, streaming: bool, partial_args: bool = False
    ) -> AsyncGenerator[RunEvent, None]:
        """The loop, shared by `Agent.run` and `Agent.run_stream`; `RunEnd` comes last.

        Without ``streaming`` each reply is asked for whole and nothing but `RunEnd` is
        yielded; with it, each reply streams (see `StreamedTurn`).

        Raises:
            SwitchboardError: Whatever failed (a provider, the run's deadline, the store),
                its ``result`` set to the run so far; any other exception as `RunError`.
        """
        try:
            # Closed here when the caller stops at RunEnd, not left to the collector.
            async with contextlib.aclosing(self._iterations(streaming, partial_args)) as events:
                async for event in events:
                    yield event
        except SwitchboardError as e:
            if e.result is None:
                e.result = await self._failed()
            raise
        except Exception as e:
            error = RunError(f"The run failed: {e!r}. error.result holds what it had done.")
            error.result = await self._failed()
            raise error from e

    async def _iterations(
        self, streaming: bool, partial_args: bool
    ) -> AsyncGenerator[RunEvent, None]:
        agent = self.agent
        ended = reply = None
        prologue = self._prologue()
        if prologue is not None:
            ended, reply = await prologue
        if ended is not None:
            yield RunEnd(ended)
            return
        # Without a store, each step awaits nothing of the loop's own but the model and the
        # calls: a coroutine more per step would show in the loop's cost per call.
        while self.iteration < agent.max_iterations:
            if agent.router is None:
                offered, names = self._all_tools()
                self._check_deadline()
            else:
                offered, names = await self._routed_tools(agent.router)
            self._offered = offered
            if agent.answer_at_limit and self.iteration == agent.max_iterations - 1:
                self.tool_choice = "none"
            request = new_request(
                tuple(self.messages),
                offered,
                self.tool_choice if offered else "auto",
                agent.parallel_tool_calls,
                agent.strict,
                agent.settings,
                agent.request_timeout,
                self.deadline,
                output=agent.output,
            )
            if reply is not None:  # stored before the process died: the model is not asked
                response, results, stop = await self._run_reply(reply)
                reply = None
            elif streaming:
                if self.recorder is not None:
                    await self.recorder.begin_step(self.iteration, request)
                turn = self._turn = self._streamed_turn()
                async for event in turn.run(
                    self.provider.stream(request, partial_args=partial_args)
                ):
                    yield event
                response, results, stop = self._streamed(turn)
            elif self.recorder is None:
                response = await self.provider.complete(request)
                response, results, stop = await self._run_reply(response)
            else:
                response, results, stop = await self._recorded_reply(self.recorder, request)
            if self.recorder is None and not self.calls.pending:
                reason = self._record(response, results, stop, names)
                result = None if reason is None else self._finish(reason)
            else:
                result = await self._step_end(response, results, stop, names)
            if result is not None:
                yield RunEnd(result)
                return
        yield RunEnd(await self._end("max_iterations"))

    def _prologue(self) -> Awaitable[tuple[RunResult | None, ModelResponse | None]] | None:
        """Before the first request: the result, if the run ends there, and a stored reply.

        A new run is recorded in the store; it ends nowhere here and has no stored reply.
        ``None``: nothing to do (no coroutine made for nothing: see `_iterations`).
        """
        return None if self.recorder is None else self._create(self.recorder)

    async def _create(self, recorder: RunRecorder) -> tuple[RunResult | None, ModelResponse | None]:
        await recorder.create(self.meta, self._state("running"))
        return None, None

    async def _routed_tools(self, router: Router) -> tuple[list[Tool], tuple[str, ...]]:
        """The tools the router picks for the next request, and their names."""
        self._check_deadline()
        offered = await self._routed(router)
        return offered, tuple([tool.name for tool in offered])

    def _streamed(
        self, turn: StreamedTurn
    ) -> tuple[ModelResponse, list[ToolResult], RunStopReason | None]:
        """A streamed turn's reply, its calls' results and a reason to stop, once it ended."""
        self._turn = None
        # run() has filled the reply in (it raises when the stream gave none).
        response, results = cast(ModelResponse, turn.response), turn.results
        stop = turn.stop or self._guard_stop
        if turn.cut and self.agent.on_cut_off == "stop":
            stop = stop or _final_reason(response)
        if turn.unadmitted:
            self._unadmitted(turn.unadmitted)
        return response, results, stop

    async def _recorded_reply(
        self, recorder: RunRecorder, request: ModelRequest
    ) -> tuple[ModelResponse, list[ToolResult], RunStopReason | None]:
        """Ask the model for its whole reply, recording both, and run its calls."""
        await recorder.begin_step(self.iteration, request)
        response = await self.provider.complete(request)
        await recorder.finish_step(response)
        return await self._run_reply(response)

    async def _step_end(
        self,
        response: ModelResponse,
        results: list[ToolResult],
        stop: RunStopReason | None,
        names: tuple[str, ...],
    ) -> RunResult | None:
        """Record the step: the run's result if it ends here (an answer, a stop, a pause)."""
        recorder = self.recorder
        if recorder is not None:
            recorder.check()
        if self.calls.pending:
            return await self._pause(response, results, stop, names)
        ended = self._record(response, results, stop, names)
        if ended is not None:
            return await self._end(ended)
        if recorder is not None:
            await recorder.save(self._state("running"))
        return None

    def _check_deadline(self) -> None:
        if self.deadline is not None and asyncio.get_running_loop().time() >= self.deadline:
            message = (
                f"The run passed its run_timeout of {self.agent.run_timeout:g} s. Raise "
                "run_timeout, or continue the run from error.result."
            )
            raise RunTimeoutError(message)

    async def _failed(self) -> RunResult:
        """The run so far, for an error raised out of it: a streamed turn's started calls too.

        With a store, its state is saved as ``failed`` if the store can still be written.
        """
        if self._turn is not None:
            salvaged = self._turn.salvage()
            if salvaged is not None:
                turn, results = salvaged
                self.messages.append(turn)
                self.messages.extend(results)
                self.iteration += 1
        result = self._finish("error", self._waiting)
        if self.recorder is not None:
            try:
                await self.recorder.save(result.state)
            except Exception:  # the store may be what failed: the run's own error goes up
                logger.exception("The failed state of run %r could not be saved", self.run_id)
        return result

    async def _run_reply(
        self, response: ModelResponse
    ) -> tuple[ModelResponse, list[ToolResult], RunStopReason | None]:
        """Run the calls of a whole reply that the model finished; the rest get a result each.

        A call the reply ended inside (`ModelResponse.unfinished_calls`) never runs: it is
        answered as cut, with the values that are complete in the history. A reply stopped
        by a content filter runs none of its calls, and ends the run.
        """
        calls = response.turn.tool_calls
        if not calls:
            return response, [], None
        if response.stop_reason == "content_filter":
            self._unadmitted(call.id for call in calls)
            return response, [withheld_result(call) for call in calls], "content_filter"
        unfinished = response.unfinished_calls()
        if not unfinished:
            results, stop = await self._run_calls(calls)
            return response, results, stop
        self._unadmitted(unfinished)
        response = _settle(response, unfinished)
        whole = [call for call in response.turn.tool_calls if call.id not in unfinished]
        ran, stop = await self._run_calls(whole) if whole else ([], None)
        finished = iter(ran)
        reason = "length" if response.stop_reason == "length" else "error"
        results = [
            cut_result(call, reason) if call.id in unfinished else next(finished)
            for call in response.turn.tool_calls
        ]
        if self.agent.on_cut_off == "stop":
            stop = stop or _final_reason(response)
        return response, results, stop

    def _unadmitted(self, ids: Iterable[str]) -> None:
        """Note calls that never went through the guard, for a resumed run to know it."""
        memory = self._guard
        self._guard = replace(memory, unadmitted=(*memory.unadmitted, *ids))

    def _all_tools(self) -> tuple[tuple[Tool, ...], tuple[str, ...]]:
        """Every tool of the toolbox and their names, listed again only when it changed."""
        toolbox = self.agent.toolbox
        listed = self._all
        if listed is None or listed[0] != toolbox.version:
            tools = tuple(toolbox)
            listed = self._all = (toolbox.version, tools, tuple([tool.name for tool in tools]))
        return listed[1], listed[2]

    async def _routed(self, router: Router) -> list[Tool]:
        """The tools the router picks for the next request."""
        if self._called is None:  # the tools called in the history, then kept up in _record
            self._called = {
                call.name
                for m in self.messages
                if isinstance(m, AssistantTurn)
                for call in m.tool_calls
            }
        query = _query(self.messages)
        return await router.select_async(self.agent.toolbox, query, called=set(self._called))

    def _record(
        self,
        response: ModelResponse,
        results: list[ToolResult],
        stop: RunStopReason | None,
        names: tuple[str, ...],
    ) -> RunStopReason | None:
        """Add a reply and its results to the run; the reason to stop, if it must."""
        self.messages.append(response.turn)
        self.iteration += 1
        if not response.turn.tool_calls:
            self.steps.append(new_step(response, (), names))
            reason = _final_reason(response)
            if self.output is not None and reason == "answer":
                self._parsed, ask = self.output.check(response.turn.text)
                if ask is not None:  # invalid: sent back to be corrected
                    self.messages.append(ask)
                    return None
            return reason
        self.messages.extend(results)
        answered = tuple(results)
        self.steps.append(new_step(response, answered, names))
        if self._called is not None:
            self._called.update(call.name for call in response.turn.tool_calls)
        self.guard.remember(response.turn.tool_calls, answered)
        if stop is not None:
            return stop
        self._after_turn()
        return None

    def _after_turn(self) -> None:
        """The tool choice after a turn whose calls all have their results."""
        if self.agent.reset_tool_choice and forces_a_call(self.tool_choice):
            choice = self.tool_choice
            # Allowed tools stay allowed: only the obligation to call one goes.
            self.tool_choice = (
                AllowedTools(choice.names) if isinstance(choice, AllowedTools) else "auto"
            )
        if self.guard.answer_next:
            self.tool_choice = "none"

    async def _pause(
        self,
        response: ModelResponse,
        results: list[ToolResult],
        stop: RunStopReason | None,
        names: tuple[str, ...],
    ) -> RunResult:
        """End the run on a turn whose calls wait: the others' results join the conversation."""
        waiting = cast("dict[str, PendingCall]", self.calls.pending)
        done = tuple([r for r in results if r.call_id not in waiting])
        self.messages.append(response.turn)
        self.messages.extend(done)
        self.iteration += 1
        self.steps.append(Step(response, done, names))
        if self._called is not None:
            self._called.update(call.name for call in response.turn.tool_calls)
        self._guard = replace(self._guard, stop=stop)
        pending = tuple(waiting[c.id] for c in response.turn.tool_calls if c.id in waiting)
        return await self._end("paused", pending)

    def _streamed_turn(self) -> StreamedTurn:
        agent = self.agent
        recorder = self.recorder
        self._guard_stop = None

        def admit(call: ToolCall) -> ToolResult | None:
            refusal, stop = self.guard.admit(call)
            self._guard_stop = stop or self._guard_stop
            return refusal

        def early(call: ToolCall) -> bool:
            # With a store, no call starts before the reply it belongs to is recorded.
            if not agent.early_execution or recorder is not None or call.name not in agent.toolbox:
                return False
            tool = agent.toolbox.get(call.name)
            return not (tool.sequential or tool.requires_approval or tool.external)

        return StreamedTurn(
            admit=admit,
            execute=self._run_batch,
            early=early,
            pending=cast("dict[str, PendingCall]", self.calls.pending),
            replied=None if recorder is None else recorder.finish_step,
        )

    async def _run_calls(
        self, calls: Sequence[ToolCall]
    ) -> tuple[list[ToolResult], RunStopReason | None]:
        """Run the calls the guards let through; every call gets a result, in order."""
        refused, stop = self.guard.admit_all(calls)
        allowed = [call for i, call in enumerate(calls) if i not in refused] if refused else calls
        agent = self.agent
        rerun = self._rerun
        ran = await (
            agent.executor.execute(
                agent.toolbox, allowed, deps=self.deps, state=self.calls, deadline=self.deadline
            )
            if rerun is None
            else rerun(allowed)
        )
        if not refused:
            return ran, stop
        finished = iter(ran)
        results = [refused[i] if i in refused else next(finished) for i in range(len(calls))]
        return results, stop

    def _run_batch(
        self, calls: Sequence[ToolCall], on_progress: ProgressListener | None = None
    ) -> Awaitable[list[ToolResult]]:
        """Run a batch of calls the guards let through, one result per call, in order."""
        agent = self.agent
        return agent.executor.execute(
            agent.toolbox,
            calls,
            deps=self.deps,
            state=self.calls,
            deadline=self.deadline,
            on_progress=on_progress,
        )

    async def _end(
        self, stop_reason: RunStopReason, pending: tuple[PendingCall, ...] = ()
    ) -> RunResult:
        """The run's result; with a store, its last state saved first."""
        result = self._finish(stop_reason, pending)
        if self.recorder is not None:
            await self.recorder.save(result.state)
        return result

    def _finish(
        self, stop_reason: RunStopReason, pending: tuple[PendingCall, ...] = ()
    ) -> RunResult:
        messages = tuple(self.messages)
        last = messages[-1]
        paused = stop_reason == "paused"
        output = last.text if isinstance(last, AssistantTurn) and not paused else ""
        logger.debug("Run ended: %s after %d steps", stop_reason, len(self.steps))
        status: RunStatus = (
            "paused" if paused else "failed" if stop_reason == "error" else "finished"
        )
        state = self._state(status, pending, messages)
        return RunResult(
            output,
            messages,
            state.usage,
            tuple(self.steps),
            stop_reason,
            state,
            pending,
            tuple(self.interrupted),
            self._parsed,
        )

    def _state(
        self,
        status: RunStatus,
        pending: tuple[PendingCall, ...] = (),
        messages: tuple[Message, ...] | None = None,
    ) -> RunState:
        """The run's state now (see `RunState`)."""
        return RunState(
            run_id=self.run_id,
            messages=tuple(self.messages) if messages is None else messages,
            pending=pending,
            iteration=self.iteration,
            calls_made=self.guard.calls_made,
            usage=self.usage,
            guard=self._guard.to_json(),
            failures=dict(self.calls.failures),
            tool_choice=choice_to_json(self.tool_choice),
            tools=tool_hashes(self._offered) if self._offered else self._tools,
            status=status,
            invalid_answers=0 if self.output is None else self.output.invalid,
        )

    @property
    def usage(self) -> Usage:
        """The tokens and requests of the run so far: the sum of its steps'.

        Summed from where it was last summed: with a store it is read after every step.
        """
        inputs, outputs, requests = self._sums
        steps = self.steps
        for step in steps[self._summed :] if self._summed else steps:
            usage = step.response.usage
            inputs += usage.input_tokens
            outputs += usage.output_tokens
            requests += usage.requests
        self._summed = len(steps)
        self._sums = (inputs, outputs, requests)
        base = self._usage
        return Usage(
            base.input_tokens + inputs, base.output_tokens + outputs, base.requests + requests
        )


def _query(messages: Sequence[Message], context: int = 2) -> str:
    """What to route on: the latest user message, after a little recent context.

    The context is the text of up to ``context`` earlier user and assistant messages, so a
    follow-up ("and in Paris?") still finds the tools of the topic it follows.
    """
    texts: list[str] = []
    for m in reversed(messages):  # from the end: a long run costs no more per request
        if isinstance(m, UserMessage):
            texts.append(m.content)
        elif isinstance(m, AssistantTurn) and m.text:
            texts.append(m.text)
        if len(texts) > context:
            break
    return "\n".join(reversed(texts))


def _settle(response: ModelResponse, unfinished: frozenset[str]) -> ModelResponse:
    """The reply with each unfinished call's arguments cut to the values that are complete.

    So the history never holds a value the model did not finish (``"ACC-12"`` for
    ``"ACC-1234"``), nor text that is not JSON, which some APIs refuse.
    """
    calls = tuple(
        replace(call, arguments=settled_arguments(call.arguments))
        if call.id in unfinished and isinstance(call.arguments, str)
        else call
        for call in response.turn.tool_calls
    )
    return replace(response, turn=replace(response.turn, tool_calls=calls))


def _final_reason(response: ModelResponse) -> RunStopReason:
    reason = response.stop_reason
    return "answer" if reason in ("answer", "tool_calls") else reason
