"""switchboard's MCP client over streamable HTTP, against the SDK-built server on loopback."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import TextIO

import pytest

from switchboard import MCPConnectionError, MCPServer, Toolbox, ToolCall

from .conftest import free_port, http_fixture_server, wait_for_cancellation, wait_for_tool

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
def url(server_log: TextIO) -> Iterator[str]:
    port = free_port()
    with http_fixture_server(port, server_log):
        yield f"http://127.0.0.1:{port}/mcp"


@pytest.fixture(scope="module")
async def toolbox(url: str) -> AsyncIterator[Toolbox]:
    headers = {"X-Team": "switchboard"}
    async with MCPServer.http(url, headers=headers, tool_options={"slow": {"timeout": 0.5}}) as s:
        yield Toolbox([s])


async def test_call_over_http_returns_the_servers_value(toolbox: Toolbox) -> None:
    """A call over streamable HTTP returns the tool's structured content."""
    [result] = await toolbox.execute([ToolCall("c1", "add", '{"a": 2, "b": 3}')])
    assert result.value == {"result": 5}


async def test_headers_reach_the_server(toolbox: Toolbox) -> None:
    """The headers given to MCPServer.http are sent with the requests."""
    [result] = await toolbox.execute([ToolCall("c1", "header", '{"name": "X-Team"}')])
    assert result.value == {"result": "switchboard"}


async def test_http_session_negotiates_the_stateless_revision(url: str) -> None:
    """Over HTTP too, an SDK 2.3 server and switchboard agree on 2026-07-28."""
    async with MCPServer.http(url, include=["add"]) as server:
        assert server.protocol_version == "2026-07-28"


async def test_timeout_over_http_cancels_the_servers_work(toolbox: Toolbox) -> None:
    """A call past its timeout is cancelled on the server too (the request's stream closes)."""
    [late] = await toolbox.execute([ToolCall("c1", "slow", '{"label": "http", "seconds": 30}')])
    assert late.error_kind == "timeout"
    assert "http" in await wait_for_cancellation(toolbox, "http")


async def test_server_gone_gives_an_error_result_and_back_again_works(server_log: TextIO) -> None:
    """A call to a stopped HTTP server gets an error result; once it is back, calls work."""
    port = free_port()
    with http_fixture_server(port, server_log):
        server = MCPServer.http(f"http://127.0.0.1:{port}/mcp", include=["add"])
        await server.connect()
    toolbox = Toolbox([server])
    try:
        [gone] = await toolbox.execute([ToolCall("c1", "add", '{"a": 1, "b": 1}')])
        with http_fixture_server(port, server_log):
            [back] = await toolbox.execute([ToolCall("c2", "add", '{"a": 1, "b": 1}')])
    finally:
        await server.close()
    assert gone.is_error
    assert gone.content.startswith("The MCP server 'switchboard-fixture' ")
    assert back.value == {"result": 2}


async def test_restarted_server_is_given_a_new_session_and_the_call_runs(
    server_log: TextIO,
) -> None:
    """Handshake era: a server that restarted forgot the session; the client starts a new one.

    The first call after the restart is refused for its unknown session (HTTP 404), which
    means it did not run: the client opens a new session and sends it again, as the spec
    requires.
    """
    port = free_port()
    with http_fixture_server(port, server_log):
        server = MCPServer.http(f"http://127.0.0.1:{port}/mcp", include=["add"], protocol="legacy")
        await server.connect()
    toolbox = Toolbox([server])
    try:
        with http_fixture_server(port, server_log):
            [result] = await toolbox.execute([ToolCall("c1", "add", '{"a": 2, "b": 2}')])
    finally:
        await server.close()
    assert result.value == {"result": 4}


async def test_tool_list_changes_are_followed_after_the_server_restarts(
    server_log: TextIO,
) -> None:
    """2026-07-28: the listen stream a restart broke is opened again, and changes arrive."""
    port = free_port()
    with http_fixture_server(port, server_log):
        server = MCPServer.http(f"http://127.0.0.1:{port}/mcp", include=["grow", "echo*"])
        await server.connect()
    toolbox = Toolbox([server])
    try:
        with http_fixture_server(port, server_log):
            await toolbox.execute([ToolCall("c1", "grow", '{"name": "echo_again"}')])
            await wait_for_tool(toolbox, "echo_again")
    finally:
        await server.close()


async def test_nothing_listening_raises_a_clear_error() -> None:
    """Connecting to a port nothing listens on raises MCPConnectionError naming the URL."""
    url = f"http://127.0.0.1:{free_port()}/mcp"
    with pytest.raises(MCPConnectionError) as raised:
        await MCPServer.http(url).connect()
    message = str(raised.value)
    assert message.startswith(f"Could not connect to the MCP server '{url}' ({url}): ConnectError")
    assert message.endswith(
        "Check that the server is running and that the URL, path included, is its MCP endpoint."
    )
