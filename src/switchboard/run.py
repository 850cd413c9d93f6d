"""One run of the loop: its conversation, guards, steps, and result.

`Agent` holds the settings; a `RunLoop` holds what one run has done so far and drives
it, whole (`Agent.run`) or streamed (`Agent.run_stream`), through the same code.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import AsyncGenerator, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, cast

from switchboard.errors import RunError, RunTimeoutError, SwitchboardError
from switchboard.execution.executor import ExecutorState
from switchboard.guard import CallGuard
from switchboard.messages import (
    AssistantTurn,
    Message,
    ModelResponse,
    ToolCall,
    ToolResult,
    Usage,
    UserMessage,
)
from switchboard.outcome import RunResult, RunStopReason, Step
from switchboard.providers.base import ModelRequest
from switchboard.streaming import RunEnd, RunEvent, StreamedTurn, cut_result, withheld_result
from switchboard.streaming.partial import settled_arguments
from switchboard.tools.context import ProgressListener
from switchboard.tools.tool import Tool

if TYPE_CHECKING:
    from switchboard.agent import Agent
    from switchboard.routing import Router

logger = logging.getLogger("switchboard")


class RunLoop:
    """The state of one run: the conversation, counters, and the steps so far."""

    def __init__(self, agent: Agent, messages: list[Message], deps: Any) -> None:
        self.agent = agent
        self.messages = messages
        self.deps = deps
        self.state = ExecutorState()
        self.steps: list[Step] = []
        self.tool_choice = agent.tool_choice
        self.guard = CallGuard(agent.max_tool_calls, agent.repeat_limit, agent.on_repeat)
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
            SwitchboardError: Whatever failed (a provider, the run's deadline), its
                ``result`` set to the run so far; any other exception as `RunError`.
        """
        try:
            # Closed here when the caller stops at RunEnd, not left to the collector.
            async with contextlib.aclosing(self._iterations(streaming, partial_args)) as events:
                async for event in events:
                    yield event
        except SwitchboardError as e:
            if e.result is None:
                e.result = self._failed()
            raise
        except Exception as e:
            error = RunError(f"The run failed: {e!r}. error.result holds what it had done.")
            error.result = self._failed()
            raise error from e

    async def _iterations(
        self, streaming: bool, partial_args: bool
    ) -> AsyncGenerator[RunEvent, None]:
        agent = self.agent
        for iteration in range(agent.max_iterations):
            self._check_deadline()
            router = agent.router
            offered: Sequence[Tool]
            if router is None:
                offered, names = self._all_tools()
            else:
                offered = await self._routed(router)
                names = tuple([tool.name for tool in offered])
            if agent.answer_at_limit and iteration == agent.max_iterations - 1:
                self.tool_choice = "none"
            request = ModelRequest(
                tuple(self.messages),
                offered,
                self.tool_choice if offered else "auto",
                agent.parallel_tool_calls,
                agent.strict,
                agent.settings,
                agent.request_timeout,
                self.deadline,
            )
            if streaming:
                turn = self._turn = self._streamed_turn()
                async for event in turn.run(
                    agent.provider.stream(request, partial_args=partial_args)
                ):
                    yield event
                self._turn = None
                # run() has filled the reply in (it raises when the stream gave none).
                response, results = cast(ModelResponse, turn.response), turn.results
                stop = turn.stop or self._guard_stop
                if turn.cut and agent.on_cut_off == "stop":
                    stop = stop or _final_reason(response)
            else:
                response = await agent.provider.complete(request)
                response, results, stop = await self._run_reply(response)
            ended = self._record(response, results, stop, names)
            if ended is not None:
                yield RunEnd(self._finish(ended))
                return
        yield RunEnd(self._finish("max_iterations"))

    def _check_deadline(self) -> None:
        if self.deadline is not None and asyncio.get_running_loop().time() >= self.deadline:
            message = (
                f"The run passed its run_timeout of {self.agent.run_timeout:g} s. Raise "
                "run_timeout, or continue the run from error.result."
            )
            raise RunTimeoutError(message)

    def _failed(self) -> RunResult:
        """The run so far, for an error raised out of it: a streamed turn's started calls too."""
        if self._turn is not None:
            salvaged = self._turn.salvage()
            if salvaged is not None:
                turn, results = salvaged
                self.messages.append(turn)
                self.messages.extend(results)
        return self._finish("error")

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
            return response, [withheld_result(call) for call in calls], "content_filter"
        unfinished = response.unfinished_calls()
        if not unfinished:
            results, stop = await self._run_calls(calls)
            return response, results, stop
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
        if not response.turn.tool_calls:
            self.steps.append(Step(response, (), names))
            return _final_reason(response)
        self.messages.extend(results)
        self.steps.append(Step(response, tuple(results), names))
        if self._called is not None:
            self._called.update(call.name for call in response.turn.tool_calls)
        self.guard.remember(response.turn.tool_calls, results)
        if stop is not None:
            return stop
        if self.agent.reset_tool_choice and self.tool_choice not in ("auto", "none"):
            self.tool_choice = "auto"
        if self.guard.answer_next:
            self.tool_choice = "none"
        return None

    def _streamed_turn(self) -> StreamedTurn:
        agent = self.agent
        self._guard_stop = None

        def admit(call: ToolCall) -> ToolResult | None:
            refusal, stop = self.guard.admit(call)
            self._guard_stop = stop or self._guard_stop
            return refusal

        def early(call: ToolCall) -> bool:
            if not agent.early_execution or call.name not in agent.toolbox:
                return False
            tool = agent.toolbox.get(call.name)
            return not (tool.sequential or tool.requires_approval)

        async def execute(
            calls: Sequence[ToolCall], on_progress: ProgressListener
        ) -> list[ToolResult]:
            return await agent.executor.execute(
                agent.toolbox,
                calls,
                deps=self.deps,
                state=self.state,
                deadline=self.deadline,
                on_progress=on_progress,
            )

        return StreamedTurn(admit=admit, execute=execute, early=early)

    async def _run_calls(
        self, calls: Sequence[ToolCall]
    ) -> tuple[list[ToolResult], RunStopReason | None]:
        """Run the calls the guards let through; every call gets a result, in order."""
        refused: dict[int, ToolResult] = {}
        stop: RunStopReason | None = None
        admit = self.guard.admit
        for i, call in enumerate(calls):
            refusal, reason = admit(call)
            if refusal is not None:
                refused[i] = refusal
            stop = reason or stop
        agent = self.agent
        allowed = [call for i, call in enumerate(calls) if i not in refused] if refused else calls
        ran = await agent.executor.execute(
            agent.toolbox, allowed, deps=self.deps, state=self.state, deadline=self.deadline
        )
        if not refused:
            return ran, stop
        finished = iter(ran)
        results = [refused[i] if i in refused else next(finished) for i in range(len(calls))]
        return results, stop

    def _finish(self, stop_reason: RunStopReason) -> RunResult:
        last = self.messages[-1]
        output = last.text if isinstance(last, AssistantTurn) else ""
        logger.debug("Run ended: %s after %d steps", stop_reason, len(self.steps))
        return RunResult(output, tuple(self.messages), self.usage, tuple(self.steps), stop_reason)

    @property
    def usage(self) -> Usage:
        """The tokens and requests of the run so far: the sum of its steps'."""
        inputs = outputs = requests = 0
        for step in self.steps:
            usage = step.response.usage
            inputs += usage.input_tokens
            outputs += usage.output_tokens
            requests += usage.requests
        return Usage(inputs, outputs, requests)


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
