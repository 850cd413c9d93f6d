"""The tool-call loop: model -> calls -> results -> model, until an answer or a limit.

Each iteration sends the conversation and the tool schemas to the model; when it calls
tools, the calls run through the `Executor` (in parallel, validated, isolated) and their
results join the conversation for the next request. A run stops when the model answers,
or at a limit: ``max_iterations`` model requests, ``max_tool_calls`` calls, or the loop
guard (the same call made over and over).
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Unpack, cast

from switchboard.errors import ConfigurationError, MaxIterationsError
from switchboard.execution.executor import Executor, ExecutorOptions, RunState
from switchboard.messages import (
    AssistantTurn,
    Message,
    SystemMessage,
    ToolCall,
    ToolResult,
    Usage,
    UserMessage,
)
from switchboard.providers.base import (
    ModelRequest,
    ModelResponse,
    ModelSettings,
    Provider,
    ToolChoice,
)
from switchboard.providers.models import resolve_model
from switchboard.routing import Router
from switchboard.streaming import RunEnd, RunEvent, StreamedTurn
from switchboard.tools.tool import Tool
from switchboard.tools.toolbox import Toolbox

logger = logging.getLogger("switchboard")

RunStopReason = Literal[
    "answer", "max_iterations", "max_tool_calls", "loop_guard", "length", "content_filter", "error"
]
"""Why a run ended.

- ``answer``: the model answered without calling a tool.
- ``max_iterations``: it made ``max_iterations`` requests and still wanted tools.
- ``max_tool_calls``: the run's calls reached ``max_tool_calls``.
- ``loop_guard``: the model kept making the same call with the same arguments.
- ``length``, ``content_filter``, ``error``: the model's last reply stopped so (see
  `StopReason`).
"""


@dataclass(frozen=True, slots=True)
class Step:
    """One iteration of a run: a model reply and the results of the calls it made.

    Attributes:
        response: The model's reply.
        results: One result per call of the reply, in order (empty for an answer).
        tools: The names of the tools offered to the model for this reply.
    """

    response: ModelResponse
    results: tuple[ToolResult, ...] = ()
    tools: tuple[str, ...] = ()


@dataclass(frozen=True, slots=True)
class RunResult:
    """What a run produced.

    Attributes:
        output: The model's final text ("" if the run stopped before an answer).
        messages: The whole conversation, the system message and the prompt included;
            pass it back as ``messages=`` to continue the run.
        usage: Tokens and requests, summed over the run.
        steps: Each iteration, in order.
        stop_reason: Why the run ended.
    """

    output: str
    messages: tuple[Message, ...]
    usage: Usage
    steps: tuple[Step, ...]
    stop_reason: RunStopReason


class Agent:
    """Runs the function-calling loop of one model over one set of tools.

    Args:
        model: A `Provider`, or a model string such as ``"openai:gpt-4.1-mini"``,
            ``"anthropic:claude-sonnet-4-5"``, ``"gemini:gemini-2.5-flash"``.
        tools: A `Toolbox`, or tools and functions to put in a new one.
        system: Instructions sent ahead of the conversation.
        max_iterations: The most model requests in one run.
        max_tool_calls: The most tool calls in one run (``None``: no limit). Calls past
            it are answered with an error result, and the run stops.
        tool_choice: ``"auto"``, ``"none"``, ``"required"`` or a tool's name.
        reset_tool_choice: After a turn whose calls were forced (``"required"`` or a
            name), use ``"auto"`` for the rest of the run, so a forced tool cannot loop.
        parallel_tool_calls: Whether the model may make several calls per turn
            (``None``: the provider's default).
        strict: Send tool schemas in OpenAI strict form where the provider has one.
        settings: Sampling settings (max tokens, temperature, seed).
        repeat_limit: The loop guard: the call that repeats a call (same tool, same
            arguments) for the ``repeat_limit``-th time is not run; the model gets an
            error result saying so. If it makes that call yet again, the run stops.
        raise_on_limit: Raise `MaxIterationsError` (carrying the partial result)
            instead of returning when ``max_iterations`` is reached.
        deps: Passed to tools as ``RunContext.deps``.
        router: Offers each request only the tools a `Router` picks for the
            conversation (plus its ``always`` tools and those already called in the run);
            ``None`` offers every tool.
        early_execution: In `run_stream`, start a call as soon as the model has finished
            writing it, while it still streams the rest of its reply (never for
            ``sequential`` or ``requires_approval`` tools).
        on_cut_off: In `run_stream`, when the reply ends (max tokens, a broken stream)
            inside a call: ``"retry"`` tells the model which calls were cut off (an error
            result each) and goes on; ``"stop"`` ends the run with the reply's stop reason.
            Calls already complete run either way.
        api_key: With a model string: the provider's key (default: its variable).
        base_url: With a model string: another endpoint, e.g. an OpenAI-compatible
            local server for ``"openai:<model>"``.
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
        tools: Toolbox | Iterable[Tool | Callable[..., Any]] = (),
        *,
        system: str | None = None,
        max_iterations: int = 10,
        max_tool_calls: int | None = None,
        tool_choice: ToolChoice = "auto",
        reset_tool_choice: bool = True,
        parallel_tool_calls: bool | None = None,
        strict: bool = False,
        settings: ModelSettings | None = None,
        repeat_limit: int = 3,
        raise_on_limit: bool = False,
        deps: Any = None,
        router: Router | None = None,
        early_execution: bool = True,
        on_cut_off: Literal["retry", "stop"] = "retry",
        api_key: str | None = None,
        base_url: str | None = None,
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
        self.toolbox = tools if isinstance(tools, Toolbox) else Toolbox(tools)
        if tool_choice not in ("auto", "none", "required") and tool_choice not in self.toolbox:
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
        self.repeat_limit = repeat_limit
        self.raise_on_limit = raise_on_limit
        self.deps = deps
        self.router = router
        self.early_execution = early_execution
        self.on_cut_off: Literal["retry", "stop"] = on_cut_off
        self.executor = Executor(**executor)

    async def run(
        self,
        prompt: str | None = None,
        *,
        messages: Sequence[Message] = (),
        deps: Any = None,
    ) -> RunResult:
        """Run the loop until the model answers or a limit stops it.

        Args:
            prompt: The user's message. May be left out when ``messages`` ends with one.
            messages: Earlier conversation to continue (e.g. a previous
                ``RunResult.messages``); the system message is added only if absent.
            deps: Overrides the agent's ``deps`` for this run.

        Raises:
            MaxIterationsError: ``max_iterations`` was reached and ``raise_on_limit`` set.
            ProviderError: The model provider failed (after its retries).
        """
        run = _Run(self, self._opening(prompt, messages), self.deps if deps is None else deps)
        async for event in run.events(streaming=False):
            if isinstance(event, RunEnd):
                return self._checked(event.result)
        msg = "The loop ended without a result."  # unreachable: events() ends with RunEnd
        raise RuntimeError(msg)

    async def run_stream(
        self,
        prompt: str | None = None,
        *,
        messages: Sequence[Message] = (),
        deps: Any = None,
        partial_args: bool = False,
    ) -> AsyncIterator[RunEvent]:
        """Run the loop, yielding the model's replies as they stream and the calls' results.

        Yields `TextDelta`, `ToolCallStart`, `ToolCallDelta`, `ToolCallReady`,
        `ToolCallCut` and `TurnEnd` for each reply, `ToolResultEvent` as each call
        finishes, and `RunEnd` last, whose result is what `run` returns for the same
        replies. With ``early_execution`` a call starts as soon as it is complete.

        Args:
            prompt: The user's message. May be left out when ``messages`` ends with one.
            messages: Earlier conversation to continue.
            deps: Overrides the agent's ``deps`` for this run.
            partial_args: Compute `ToolCallDelta.partial_args`, the arguments so far.

        Raises:
            MaxIterationsError: ``max_iterations`` was reached and ``raise_on_limit`` set.
            ProviderError: The model provider failed before a stream began (after retries).
        """
        run = _Run(self, self._opening(prompt, messages), self.deps if deps is None else deps)
        async for event in run.events(streaming=True, partial_args=partial_args):
            if isinstance(event, RunEnd):
                self._checked(event.result)
            yield event

    def _checked(self, result: RunResult) -> RunResult:
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
    ) -> RunResult:
        """`run`, for code without an event loop."""
        return asyncio.run(self.run(prompt, messages=messages, deps=deps))

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


class _Run:
    """The state of one run: the conversation, counters, and the steps so far."""

    def __init__(self, agent: Agent, messages: list[Message], deps: Any) -> None:
        self.agent = agent
        self.messages = messages
        self.deps = deps
        self.state = RunState()
        self.usage = Usage()
        self.steps: list[Step] = []
        self.tool_choice = agent.tool_choice
        self.calls_made = 0
        self.repeats: Counter[tuple[str, str]] = Counter()
        self._guard_stop: RunStopReason | None = None

    async def events(
        self, *, streaming: bool, partial_args: bool = False
    ) -> AsyncIterator[RunEvent]:
        """The loop, shared by `Agent.run` and `Agent.run_stream`; `RunEnd` comes last.

        Without ``streaming`` each reply is asked for whole and nothing but `RunEnd` is
        yielded; with it, each reply streams (see `StreamedTurn`).
        """
        agent = self.agent
        for _ in range(agent.max_iterations):
            offered = await self._offered()
            request = ModelRequest(
                tuple(self.messages),
                offered,
                self.tool_choice if offered else "auto",
                agent.parallel_tool_calls,
                agent.strict,
                agent.settings,
            )
            names = tuple(tool.name for tool in offered)
            if streaming:
                turn = self._streamed_turn()
                async for event in turn.run(
                    agent.provider.stream(request, partial_args=partial_args)
                ):
                    yield event
                # run() has filled the reply in (it raises when the stream gave none).
                response, results = cast(ModelResponse, turn.response), turn.results
                stop = self._guard_stop
                if turn.cut and agent.on_cut_off == "stop":
                    stop = _final_reason(response)
            else:
                response = await agent.provider.complete(request)
                calls = response.turn.tool_calls
                results, stop = await self._run_calls(calls) if calls else ([], None)
            ended = self._record(response, results, stop, names)
            if ended is not None:
                yield RunEnd(self._finish(ended))
                return
        yield RunEnd(self._finish("max_iterations"))

    async def _offered(self) -> list[Tool]:
        """The tools for the next request: all, or those the router picks."""
        router = self.agent.router
        if router is None:
            return list(self.agent.toolbox)
        called = {
            call.name
            for m in self.messages
            if isinstance(m, AssistantTurn)
            for call in m.tool_calls
        }
        return await router.select_async(self.agent.toolbox, _query(self.messages), called=called)

    def _record(
        self,
        response: ModelResponse,
        results: list[ToolResult],
        stop: RunStopReason | None,
        names: tuple[str, ...],
    ) -> RunStopReason | None:
        """Add a reply and its results to the run; the reason to stop, if it must."""
        self.usage = self.usage + response.usage
        self.messages.append(response.turn)
        if not response.turn.tool_calls:
            self.steps.append(Step(response, (), names))
            return _final_reason(response)
        self.messages.extend(results)
        self.steps.append(Step(response, tuple(results), names))
        if stop is not None:
            return stop
        if self.agent.reset_tool_choice and self.tool_choice not in ("auto", "none"):
            self.tool_choice = "auto"
        return None

    def _streamed_turn(self) -> StreamedTurn:
        agent = self.agent
        self._guard_stop = None

        def admit(call: ToolCall) -> ToolResult | None:
            refusal, stop = self._admit(call)
            self._guard_stop = stop or self._guard_stop
            return refusal

        def early(call: ToolCall) -> bool:
            if not agent.early_execution or call.name not in agent.toolbox:
                return False
            tool = agent.toolbox.get(call.name)
            return not (tool.sequential or tool.requires_approval)

        async def execute(calls: Sequence[ToolCall]) -> list[ToolResult]:
            return await agent.executor.execute(
                agent.toolbox, calls, deps=self.deps, state=self.state
            )

        return StreamedTurn(admit=admit, execute=execute, early=early)

    async def _run_calls(
        self, calls: Sequence[ToolCall]
    ) -> tuple[list[ToolResult], RunStopReason | None]:
        """Run the calls the guards let through; every call gets a result, in order."""
        refused: dict[int, ToolResult] = {}
        stop: RunStopReason | None = None
        for i, call in enumerate(calls):
            refusal, reason = self._admit(call)
            if refusal is not None:
                refused[i] = refusal
            stop = reason or stop
        allowed = [call for i, call in enumerate(calls) if i not in refused]
        ran = iter(
            await self.agent.executor.execute(
                self.agent.toolbox, allowed, deps=self.deps, state=self.state
            )
        )
        results = [refused[i] if i in refused else next(ran) for i in range(len(calls))]
        return results, stop

    def _admit(self, call: ToolCall) -> tuple[ToolResult | None, RunStopReason | None]:
        """The guards, for the run's next call: a refusal or ``None``, and a reason to stop."""
        limit = self.agent.max_tool_calls
        if limit is not None and self.calls_made >= limit:
            refusal = _refusal(
                call,
                f"Not run: this run's limit of {limit} tool calls is reached. "
                "Answer with what you have.",
            )
            return refusal, "max_tool_calls"
        self.calls_made += 1
        key = (call.name, _canonical(call.arguments))
        self.repeats[key] += 1
        seen = self.repeats[key]
        if seen < self.agent.repeat_limit:
            return None, None
        refusal = _refusal(
            call,
            f"Not run: you have now called {call.name} with these same arguments "
            f"{seen} times, and it will not give a different result. Do not repeat "
            "it: answer with what you have, or try something else.",
        )
        return refusal, "loop_guard" if seen > self.agent.repeat_limit else None

    def _finish(self, stop_reason: RunStopReason) -> RunResult:
        last = self.messages[-1]
        output = last.text if isinstance(last, AssistantTurn) else ""
        logger.debug("Run ended: %s after %d steps", stop_reason, len(self.steps))
        return RunResult(output, tuple(self.messages), self.usage, tuple(self.steps), stop_reason)


def _query(messages: Sequence[Message], context: int = 2) -> str:
    """What to route on: the latest user message, after a little recent context.

    The context is the text of up to ``context`` earlier user and assistant messages, so a
    follow-up ("and in Paris?") still finds the tools of the topic it follows.
    """
    texts = [
        m.content if isinstance(m, UserMessage) else m.text
        for m in messages
        if isinstance(m, UserMessage) or (isinstance(m, AssistantTurn) and m.text)
    ]
    return "\n".join(texts[-(context + 1) :])


def _final_reason(response: ModelResponse) -> RunStopReason:
    reason = response.stop_reason
    return "answer" if reason in ("answer", "tool_calls") else reason


def _refusal(call: ToolCall, message: str) -> ToolResult:
    return ToolResult(call.id, call.name, message, is_error=True, error_kind="denied")


def _canonical(arguments: str | Any) -> str:
    """The arguments as one comparable string: key order and spacing do not matter."""
    try:
        value = json.loads(arguments) if isinstance(arguments, str) else arguments
        return json.dumps(value, sort_keys=True, separators=(",", ":"), default=str)
    except (ValueError, TypeError):
        return str(arguments)
