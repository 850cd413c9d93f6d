"""A `Toolbox` as an MCP server: the official SDK's low-level server, calls run by the executor.

The SDK speaks the protocol (every transport, every revision it knows, the handshake or
the 2026-07-28 per-request envelope); switchboard answers ``tools/list`` from its own
schemas (`server_tools`) and ``tools/call`` through its `Executor`, so a client gets what a
model gets: arguments repaired and validated, time limits, and every failure as an
``isError`` result holding the message written for the model. The SDK's own validation of
arguments is not used: it would answer before switchboard's repairs and messages.

The server follows the toolbox: a tool registered or removed after it started is listed at
once, and the clients are told (``tools.listChanged``, see `server_changes`).

A tool that takes a `RunContext` may report progress (`RunContext.report_progress`); the
reports reach a client that asked for them as ``notifications/progress``, in order, before
the call's result. A client's ``notifications/cancelled`` cancels the call: an async tool
sees `asyncio.CancelledError`; a sync one runs on in its thread, its result dropped.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import math
from collections.abc import AsyncGenerator, Mapping
from dataclasses import dataclass
from typing import Any

from pydantic import ValidationError

from switchboard.execution.executor import Executor
from switchboard.execution.toolbox import Toolbox
from switchboard.messages import ToolCall, ToolResult
from switchboard.tools.context import ProgressListener, ToolProgress
from switchboard.tools.tool import Tool

try:
    import anyio
    import mcp.types as types
    from anyio.streams.memory import MemoryObjectReceiveStream, MemoryObjectSendStream
    from mcp.server.context import ServerRequestContext
    from mcp.server.lowlevel import NotificationOptions, Server
    from mcp.server.models import InitializationOptions
    from mcp.server.session import ServerSession
    from mcp.shared.exceptions import MCPError
except ImportError as e:  # pragma: no cover - exercised only without the extra
    msg = 'Install the extra: pip install "switchboard[mcp]"'
    raise ImportError(msg) from e

from switchboard.mcp.server_changes import ToolListChanges
from switchboard.mcp.server_tools import ToolOutput, tool_listing, tool_output

logger = logging.getLogger("switchboard")

_Context = ServerRequestContext[Any, Any]


def toolbox_server(
    toolbox: Toolbox,
    *,
    name: str = "switchboard",
    version: str = "",
    instructions: str | None = None,
    executor: Executor | None = None,
    deps: Any = None,
) -> Server[Any]:
    """An MCP server for the tools of ``toolbox`` (see `Toolbox.mcp_server`)."""
    served = _ServedToolbox(toolbox, executor or Executor(), deps)
    return _ToolboxServer(
        name,
        version=version,
        instructions=instructions,
        on_list_tools=served.list_tools,
        on_call_tool=served.call_tool,
        on_subscriptions_listen=served.changes.listen,
        get_tool_input_schema=served.input_schema,
    )


class _ToolboxServer(Server[Any]):
    """The SDK's server, declaring in the handshake that the tool list changes.

    In the 2026-07-28 era the SDK declares it itself, from the ``subscriptions/listen``
    handler; in the handshake era it takes the declaration from the options every transport
    asks for (stdio, HTTP, in memory), which default to announcing nothing.
    """

    def create_initialization_options(
        self,
        notification_options: NotificationOptions | None = None,
        experimental_capabilities: dict[str, dict[str, Any]] | None = None,
        extensions: dict[str, dict[str, Any]] | None = None,
    ) -> InitializationOptions:
        """The handshake's answer: the tools' ``listChanged`` is declared unless told otherwise."""
        return super().create_initialization_options(
            notification_options or NotificationOptions(tools_changed=True),
            experimental_capabilities,
            extensions,
        )


@dataclass(frozen=True, slots=True)
class _Listing:
    """What ``tools/list`` answers for one version of the toolbox, and the tools' outputs."""

    version: int
    result: types.ListToolsResult
    outputs: Mapping[str, ToolOutput | None]


class _ServedToolbox:
    """The server's handlers: a toolbox, the executor that runs its calls, their deps."""

    def __init__(self, toolbox: Toolbox, executor: Executor, deps: Any) -> None:
        self.toolbox = toolbox
        self.executor = executor
        self.deps = deps
        self.changes = ToolListChanges()
        toolbox.watch(self.changes)  # held by the server's handlers: watched while served
        self._listing: _Listing | None = None

    async def list_tools(
        self, ctx: _Context, params: types.PaginatedRequestParams | None
    ) -> types.ListToolsResult:
        """Answer ``tools/list``: every tool, in one page; the client hears of changes."""
        del params
        self.changes.listed(ctx)
        return self._current().result

    def input_schema(self, name: str) -> Mapping[str, Any] | None:
        """The input schema of tool ``name`` (what the SDK checks ``Mcp-Param-*`` headers by)."""
        tool = self.toolbox.find(name)
        return None if tool is None else tool.parameters

    async def call_tool(
        self, ctx: _Context, params: types.CallToolRequestParams
    ) -> types.CallToolResult:
        """Answer ``tools/call``: run the call through the executor, as a model's call is run.

        Raises:
            MCPError: No tool has that name (``INVALID_PARAMS``, as the specification asks,
                with switchboard's message naming the closest tools).
        """
        call = ToolCall(str(ctx.request_id), params.name, params.arguments or {})
        tool = self.toolbox.find(params.name)
        if tool is not None and tool.context_parameter is not None:
            result = await self._execute_reporting(call, ctx.session)
        else:
            (result,) = await self.executor.execute(self.toolbox, [call], deps=self.deps)
        if result.error_kind == "unknown_tool":
            raise MCPError(types.INVALID_PARAMS, result.content)
        if tool is None or result.is_error:
            return _text_result(result.content, is_error=result.is_error)
        return self._answer(tool, result)

    def _current(self) -> _Listing:
        listing = self._listing
        if listing is None or listing.version != self.toolbox.version:
            listing = self._listing = _list(self.toolbox)
        return listing

    def _answer(self, tool: Tool, result: ToolResult) -> types.CallToolResult:
        # Checked against the output of the tool the client called, even when a before-hook
        # sent the call to another: that declared schema is what the client validates by.
        output = self._current().outputs.get(tool.name)
        if output is None:
            return _text_result(result.content, is_error=False)
        try:
            structured = output.structured(result.value)
        except ValidationError as e:
            logger.error("Tool %r returned what its return annotation refuses: %s", tool.name, e)
            return _text_result(_mismatch_message(tool.name, e), is_error=True)
        return types.CallToolResult(
            content=[types.TextContent(text=result.content)], structured_content=structured
        )

    async def _execute_reporting(self, call: ToolCall, session: ServerSession) -> ToolResult:
        """Run one call whose tool may report progress, relaying the reports to the client."""
        async with _relay(session) as listen:
            results = await self.executor.execute(
                self.toolbox, [call], deps=self.deps, on_progress=listen
            )
        return results[0]


@contextlib.asynccontextmanager
async def _relay(session: ServerSession) -> AsyncGenerator[ProgressListener]:
    """A listener that sends progress reports to the client: in order, from any thread.

    Reports go through a queue to one sender, which has sent them all when the block ends.
    """
    loop = asyncio.get_running_loop()
    send, receive = anyio.create_memory_object_stream[ToolProgress](math.inf)

    def listen(report: ToolProgress) -> None:
        loop.call_soon_threadsafe(_offer, send, report)

    async with anyio.create_task_group() as relay:
        relay.start_soon(_forward, receive, session)
        try:
            yield listen
        finally:
            # Queued behind the reports the call made: the sender drains them, then ends.
            loop.call_soon(send.close)


def _list(toolbox: Toolbox) -> _Listing:
    outputs = {tool.name: tool_output(tool) for tool in toolbox}
    listed = [
        types.Tool.model_validate(tool_listing(tool, outputs[tool.name]), by_alias=True)
        for tool in toolbox
    ]
    return _Listing(toolbox.version, types.ListToolsResult(tools=listed), outputs)


def _text_result(text: str, *, is_error: bool) -> types.CallToolResult:
    return types.CallToolResult(content=[types.TextContent(text=text)], is_error=is_error)


def _mismatch_message(name: str, error: ValidationError) -> str:
    problems = "; ".join(
        f"{'.'.join(map(str, problem['loc'])) or 'the value'}: {problem['msg']}"
        for problem in error.errors(include_url=False)[:5]
    )
    return (
        f"{name} ran, but what it returned does not match its declared output ({problems}). "
        "This is a fault of the tool, not of the call: do not repeat it."
    )


def _offer(send: MemoryObjectSendStream[ToolProgress], report: ToolProgress) -> None:
    # A sync tool that timed out may report after its call has been answered: dropped.
    with contextlib.suppress(anyio.ClosedResourceError, anyio.BrokenResourceError):
        send.send_nowait(report)


async def _forward(
    reports: MemoryObjectReceiveStream[ToolProgress], session: ServerSession
) -> None:
    async with reports:
        async for report in reports:
            try:
                await session.report_progress(report.progress, report.total, report.message)
            except Exception:
                # A report that cannot be sent must not fail the call it reports on.
                logger.warning("Could not send a progress report of call %r", report.call_id)
