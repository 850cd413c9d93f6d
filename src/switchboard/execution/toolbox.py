"""`Toolbox`: the registry of tools, and the calls to them run with an `Executor`."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import Any, Unpack

from switchboard.blocking import run_blocking
from switchboard.errors import ConfigurationError
from switchboard.execution.executor import Executor, ExecutorOptions, ExecutorState
from switchboard.messages import ToolCall, ToolResult
from switchboard.tools.registry import ToolRegistry

# Executors are immutable and keep nothing between batches: the default one is shared.
_DEFAULT_EXECUTOR = Executor()


class Toolbox(ToolRegistry):
    """The tools a model may call, by name; runs batches of calls to them.

    Example:
        >>> tools = Toolbox()
        >>> @tools.register
        ... def get_weather(city: str) -> str:
        ...     '''Get the current weather for a city.'''
        ...     return "sunny"
        >>> [s["function"]["name"] for s in tools.schemas("openai")]
        ['get_weather']
        >>> get_weather("Tokyo")  # still the plain function
        'sunny'
    """

    async def execute(
        self,
        calls: Iterable[ToolCall],
        *,
        deps: Any = None,
        state: ExecutorState | None = None,
        **options: Unpack[ExecutorOptions],
    ) -> list[ToolResult]:
        """Run a batch of calls; one result per call, in order, with the call's id.

        Never raises for what the model or a tool got wrong: an unknown name, bad JSON,
        invalid arguments, an exception or a timeout each become an error result written
        for the model. Only cancellation and ``KeyboardInterrupt`` propagate.

        Args:
            calls: The calls, as the model made them.
            deps: Passed to tools as ``RunContext.deps``.
            state: Carries failure counts across the batches of one run.
            **options: The `Executor`'s settings (``max_concurrency``, ``timeout``,
                ``before``, ``after``, ``approve``, ``format_error``, ``max_result_chars``).

        Example:
            >>> tools = Toolbox()
            >>> @tools.register
            ... def add(a: int, b: int) -> int:
            ...     return a + b
            >>> [r.content for r in tools.execute_sync([ToolCall("c1", "add", '{"a": 1, "b": 2}')])]
            ['3']
        """
        executor = Executor(**options) if options else _DEFAULT_EXECUTOR
        return await executor.execute(self, calls, deps=deps, state=state)

    def execute_sync(
        self,
        calls: Iterable[ToolCall],
        *,
        deps: Any = None,
        state: ExecutorState | None = None,
        **options: Unpack[ExecutorOptions],
    ) -> list[ToolResult]:
        """`execute` for code without an event loop.

        Raises:
            ConfigurationError: Called from inside a running event loop (await `execute`).
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return run_blocking(self.execute(calls, deps=deps, state=state, **options))
        msg = "execute_sync() was called in a running event loop: use `await toolbox.execute(...)`."
        raise ConfigurationError(msg)
