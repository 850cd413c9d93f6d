"""`switchboard mcp serve` as a real subprocess, called over stdio and HTTP by real MCP clients.

Clients: the official SDK's ``ClientSession`` (over its ``stdio_client`` and
``streamable_http_client`` transports: the initialize handshake), the SDK's ``mcp.Client``
(which probes ``server/discover`` and speaks the 2026-07-28 per-request revision) and
FastMCP's ``Client``. Over stdio each client starts its own server; over HTTP one server on a
free loopback port serves them all. Each client stays connected for the whole module.
"""

import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterator
from contextlib import AsyncExitStack
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import anyio
import fastmcp
import mcp.types as types
import pytest
from fastmcp.client.transports import StdioTransport
from mcp import Client, ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared.dispatcher import ProgressFnT

import switchboard

from .conftest import free_port

SERVED = Path(__file__).with_name("served_tools.py")
SOURCE = str(Path(switchboard.__file__).resolve().parents[1])
# What the installed `switchboard` console script runs, with this checkout's source.
COMMAND = [sys.executable, "-c", "from _switchboard_cli import main; main()"]
SERVE = [*COMMAND[1:], "mcp", "serve", str(SERVED)]
ENV = {"PYTHONPATH": SOURCE}

HANDSHAKE, PER_REQUEST = "2025-11-25", "2026-07-28"

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    """One event loop for the module, so that connections live across its tests."""
    return "asyncio"


@dataclass(frozen=True)
class Connection:
    """A client connected to the served tools: what it negotiated, and how it lists and calls."""

    version: str
    list_tools: Callable[[], Awaitable[list[types.Tool]]]
    call: Callable[[str, dict[str, Any], ProgressFnT | None], Awaitable[types.CallToolResult]]


async def _session(stack: AsyncExitStack, streams: Any) -> Connection:
    read, write = await stack.enter_async_context(streams)
    session = await stack.enter_async_context(ClientSession(read, write))
    version = (await session.initialize()).protocol_version

    async def list_tools() -> list[types.Tool]:
        return (await session.list_tools()).tools

    async def call(name: str, arguments: dict[str, Any], progress: ProgressFnT | None) -> Any:
        return await session.call_tool(name, arguments, progress_callback=progress)

    return Connection(version, list_tools, call)


async def _sdk_client(stack: AsyncExitStack, server: StdioServerParameters | str) -> Connection:
    client = await stack.enter_async_context(Client(server))

    async def list_tools() -> list[types.Tool]:
        return (await client.list_tools()).tools

    async def call(name: str, arguments: dict[str, Any], progress: ProgressFnT | None) -> Any:
        return await client.call_tool(name, arguments, progress_callback=progress)

    return Connection(str(client.session.protocol_version), list_tools, call)


async def _fastmcp(stack: AsyncExitStack, server: StdioTransport | str) -> Connection:
    client = await stack.enter_async_context(fastmcp.Client(server))

    async def call(name: str, arguments: dict[str, Any], progress: ProgressFnT | None) -> Any:
        return await client.call_tool_mcp(name, arguments, progress_handler=progress)

    return Connection(str(client.session.protocol_version), client.list_tools, call)


def _wait_for_port(port: int, process: subprocess.Popen[str]) -> None:
    """Return once ``port`` accepts connections; fail if the server exits first."""
    assert process.stderr is not None
    # The status line comes just before the server binds: wait for it without spinning.
    assert process.stderr.readline().startswith("Serving ")
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        assert process.poll() is None, "the server exited before listening"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            continue
        return
    pytest.fail(f"the server did not listen on port {port} within 60 s")


@pytest.fixture(scope="module")
def http_url() -> Iterator[str]:
    """`switchboard mcp serve --transport http` on a free loopback port; its endpoint's URL."""
    port = free_port()
    with subprocess.Popen(
        [*COMMAND, "mcp", "serve", str(SERVED), "--transport", "http", "--port", str(port)],
        env={**os.environ, **ENV},
        stderr=subprocess.PIPE,
        text=True,
    ) as process:
        try:
            _wait_for_port(port, process)
            yield f"http://127.0.0.1:{port}/mcp"
        finally:
            process.terminate()
            process.wait(timeout=30)


CONNECTIONS = {
    "stdio-ClientSession": HANDSHAKE,
    "stdio-mcp.Client": PER_REQUEST,
    "stdio-fastmcp.Client": PER_REQUEST,
    "http-ClientSession": HANDSHAKE,
    "http-mcp.Client": PER_REQUEST,
    "http-fastmcp.Client": PER_REQUEST,
}


async def _connect(stack: AsyncExitStack, name: str, request: pytest.FixtureRequest) -> Connection:
    transport, client = name.split("-", 1)
    if transport == "http":
        url: str = request.getfixturevalue("http_url")
        if client == "ClientSession":
            return await _session(stack, streamable_http_client(url))
        return await (_sdk_client if client == "mcp.Client" else _fastmcp)(stack, url)
    stdio = StdioServerParameters(command=sys.executable, args=SERVE, env=ENV)
    if client == "ClientSession":
        return await _session(stack, stdio_client(stdio))
    if client == "mcp.Client":
        return await _sdk_client(stack, stdio)
    transport_ = StdioTransport(
        sys.executable, SERVE, env=ENV, keep_alive=False, log_file=Path(os.devnull)
    )
    return await _fastmcp(stack, transport_)


@pytest.fixture(scope="module", params=list(CONNECTIONS))
async def connection(request: pytest.FixtureRequest) -> AsyncIterator[Connection]:
    """One client connected to the served tools for the whole module."""
    async with AsyncExitStack() as stack:
        yield await _connect(stack, request.param, request)


def _text(result: types.CallToolResult) -> str:
    (block,) = result.content
    assert isinstance(block, types.TextContent)
    return block.text


async def test_the_client_negotiates_the_revision_of_its_era(
    connection: Connection, request: pytest.FixtureRequest
) -> None:
    """A handshake client gets 2025-11-25; a client that probes first gets 2026-07-28."""
    assert connection.version == CONNECTIONS[request.node.callspec.params["connection"]]


async def test_the_listing_carries_schemas_hints_and_output_schemas(
    connection: Connection,
) -> None:
    """Each tool arrives with its input schema, title, hints and output schema."""
    listed = {tool.name: tool for tool in await connection.list_tools()}
    add = listed["add"]
    assert add.input_schema["required"] == ["a", "b"]
    assert (add.title, add.annotations) == (
        "Add two numbers",
        types.ToolAnnotations(
            title="Add two numbers",
            read_only_hint=True,
            idempotent_hint=True,
            open_world_hint=False,
        ),
    )
    assert listed["weather"].output_schema is not None
    assert listed["weather"].output_schema["required"] == ["city", "celsius"]


async def test_a_call_answers_text_and_structured_content(connection: Connection) -> None:
    """A successful call comes back with the model's text and the structured value."""
    result = await connection.call("weather", {"city": "Lima"}, None)
    assert (result.is_error, result.structured_content) == (
        False,
        {"city": "Lima", "celsius": 18.5},
    )
    assert _text(result) == '{"city":"Lima","celsius":18.5}'


async def test_invalid_arguments_answer_switchboards_error_result(connection: Connection) -> None:
    """A wrong type is an isError result holding the message a model would read."""
    result = await connection.call("add", {"a": 1, "b": "two"}, None)
    assert result.is_error
    assert _text(result).startswith("Invalid arguments for add:\n- b: ")


async def test_a_tool_that_raises_answers_an_error_result(connection: Connection) -> None:
    """A tool's exception is an isError result naming it."""
    result = await connection.call("explode", {"reason": "no fuel"}, None)
    assert (result.is_error, _text(result)) == (True, "explode raised ValueError: no fuel")


async def test_a_timed_out_tool_answers_a_timeout_error(connection: Connection) -> None:
    """A tool past its own time limit is answered with an isError result saying so."""
    result = await connection.call("stall", {}, None)
    assert (result.is_error, _text(result)) == (
        True,
        "stall did not finish within its 0.05 s time limit.",
    )


async def test_progress_notifications_reach_the_client(connection: Connection) -> None:
    """The tool's progress reports arrive as notifications, in order."""
    reports: list[tuple[float, float | None, str | None]] = []

    async def record(progress: float, total: float | None, message: str | None) -> None:
        reports.append((progress, total, message))

    await connection.call("count", {"n": 3}, record)
    assert reports == [(1, 3, "step 1"), (2, 3, "step 2"), (3, 3, "step 3")]


async def test_cancelling_a_call_cancels_the_tool(connection: Connection) -> None:
    """A call the client gives up on is cancelled in the server: the tool records it."""

    async def cancelled_so_far() -> int:
        result = await connection.call("cancelled", {}, None)
        return len(result.structured_content["result"])  # type: ignore[index]

    started = anyio.Event()

    async def on_progress(*_: Any) -> None:
        started.set()

    before = await cancelled_so_far()
    async with anyio.create_task_group() as group:
        group.start_soon(partial(connection.call, "wait", {}, on_progress))
        with anyio.fail_after(10):
            await started.wait()
        group.cancel_scope.cancel()
    with anyio.fail_after(10):
        while await cancelled_so_far() == before:  # each round trip gives the server a turn
            pass
