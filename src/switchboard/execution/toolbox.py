"""`Toolbox`: the registry of tools, and the calls to them run with an `Executor`."""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from typing import TYPE_CHECKING, Any, Unpack

from switchboard.blocking import run_blocking
from switchboard.errors import ConfigurationError
from switchboard.execution.executor import Executor, ExecutorOptions, ExecutorState
from switchboard.messages import ToolCall, ToolResult
from switchboard.tools.context import ProgressListener
from switchboard.tools.registry import ToolRegistry

if TYPE_CHECKING:
    from mcp.server.lowlevel import Server

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
        on_progress: ProgressListener | None = None,
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
            on_progress: Receives what tools report with ``RunContext.report_progress``
                (from a worker thread, for a sync tool).
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
        return await executor.execute(self, calls, deps=deps, state=state, on_progress=on_progress)

    def execute_sync(
        self,
        calls: Iterable[ToolCall],
        *,
        deps: Any = None,
        state: ExecutorState | None = None,
        on_progress: ProgressListener | None = None,
        **options: Unpack[ExecutorOptions],
    ) -> list[ToolResult]:
        """`execute` for code without an event loop.

        Raises:
            ConfigurationError: Called from inside a running event loop (await `execute`).
        """
        try:
            asyncio.get_running_loop()
        except RuntimeError:
            return run_blocking(
                self.execute(calls, deps=deps, state=state, on_progress=on_progress, **options)
            )
        msg = "execute_sync() was called in a running event loop: use `await toolbox.execute(...)`."
        raise ConfigurationError(msg)

    def mcp_server(
        self,
        *,
        name: str = "switchboard",
        version: str = "",
        instructions: str | None = None,
        executor: Executor | None = None,
        deps: Any = None,
    ) -> Server[Any]:
        """These tools as an MCP server: the official SDK's low-level ``Server``, to run or embed.

        ``tools/list`` answers with each tool's schema, title, behaviour hints and, from its
        return annotation, output schema; ``tools/call`` runs the call through ``executor``
        as a model's call is run, and answers what the model would read (``isError`` for a
        failure), with ``structuredContent`` when the tool declares an output. The listing
        follows tools added or removed later, and connected clients are told of each
        change (``notifications/tools/list_changed``). Needs the ``mcp`` extra.

        Serve it over stdio with ``switchboard mcp serve FILE``, or over streamable HTTP
        from any ASGI server: ``toolbox.mcp_server().streamable_http_app()`` is a Starlette
        app whose lifespan runs the SDK's session manager (mount it in a larger app only
        with that lifespan running).

        Args:
            name: The server's name, as clients show it.
            version: The server's version.
            instructions: How to use the tools, for the client's model.
            executor: Runs the calls (hooks, approval, time limits, result size); a new
                `Executor` with the default settings when None.
            deps: Passed to tools as ``RunContext.deps``.

        Raises:
            ImportError: The ``mcp`` extra is not installed; the message says how to.
        """
        from switchboard.mcp.server import toolbox_server

        return toolbox_server(
            self,
            name=name,
            version=version,
            instructions=instructions,
            executor=executor,
            deps=deps,
        )
