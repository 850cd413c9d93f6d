"""A served toolbox that changes tells its clients so (``notifications/tools/list_changed``).

In process, the SDK's ``mcp.Client`` in both eras: the handshake era's notification, and the
2026-07-28 revision's ``subscriptions/listen`` stream. Then `switchboard mcp serve` as a
real subprocess (tests/mcp/changing_tools.py, whose tools register and remove tools), over
stdio and streamable HTTP on loopback: the SDK's ``ClientSession`` receives the
notification, and switchboard's own client (`MCPServer`) lists the tools again on it.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from contextlib import AsyncExitStack
from pathlib import Path
from typing import Any, TextIO

import anyio
import mcp.types as types
import pytest
from mcp import Client, ClientSession, StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.server.subscriptions import ToolsListChanged

from switchboard import MCPServer, Toolbox, ToolCall

from .conftest import SOURCE_ENV, serve_args, served_over_http, wait_for_tool

pytestmark = pytest.mark.anyio

CHANGING = str(Path(__file__).with_name("changing_tools.py"))
SERVE = serve_args(CHANGING)


def echo(text: str) -> str:
    """Echo the text."""
    return text


def shout(text: str) -> str:
    """Echo the text in capitals."""
    return text.upper()


class Heard:
    """A client's message handler that counts the tool-list notifications it is given."""

    def __init__(self) -> None:
        self.count = 0
        self._next = anyio.Event()

    async def __call__(self, message: object) -> None:
        if isinstance(message, types.ToolListChangedNotification):
            self.count += 1
            self._next.set()

    async def wait(self, limit: float = 10.0) -> None:
        """Wait for the next notification, if none came since the last wait."""
        with anyio.fail_after(limit):
            await self._next.wait()
        self._next = anyio.Event()


async def _names(client: Client | ClientSession) -> list[str]:
    return [tool.name for tool in (await client.list_tools()).tools]


@pytest.mark.parametrize("mode", ["auto", "legacy"])
async def test_the_server_declares_that_its_tool_list_changes(mode: str) -> None:
    """Both eras' capabilities say ``tools.listChanged``: the server will tell."""
    async with Client(Toolbox([echo]).mcp_server(), mode=mode) as client:
        tools = client.server_capabilities.tools
        assert tools is not None
        assert tools.list_changed is True


async def test_a_handshake_session_is_told_of_a_tool_registered_later() -> None:
    """A 2025-11-25 session that listed the tools gets list_changed when one is added."""
    toolbox = Toolbox([echo])
    heard = Heard()
    async with Client(toolbox.mcp_server(), mode="legacy", message_handler=heard) as client:
        assert await _names(client) == ["echo"]
        toolbox.register(shout)
        await heard.wait()
        assert await _names(client) == ["echo", "shout"]


async def test_a_listening_client_is_told_of_a_tool_removed() -> None:
    """A 2026-07-28 client's subscriptions/listen stream carries the change."""
    toolbox = Toolbox([echo, shout])
    async with (
        Client(toolbox.mcp_server()) as client,
        client.listen(tools_list_changed=True) as changes,
    ):
        toolbox.unregister("shout")
        with anyio.fail_after(10):
            event = await anext(changes)
        assert isinstance(event, ToolsListChanged)
        assert await _names(client) == ["echo"]


async def test_a_tool_registered_from_another_thread_is_announced() -> None:
    """A change made in a worker thread is announced in the server's own event loop."""
    toolbox = Toolbox([echo])
    heard = Heard()
    async with Client(toolbox.mcp_server(), mode="legacy", message_handler=heard) as client:
        await client.list_tools()
        await anyio.to_thread.run_sync(toolbox.register, shout)
        await heard.wait()
        assert await _names(client) == ["echo", "shout"]


async def test_a_change_in_an_included_toolbox_is_announced() -> None:
    """A toolbox the served one includes (or an MCP server's list) changes it too: told."""
    inner = Toolbox([echo])
    heard = Heard()
    served = Toolbox([inner])
    async with Client(served.mcp_server(), mode="legacy", message_handler=heard) as client:
        await client.list_tools()
        inner.register(shout)
        await heard.wait()
        assert await _names(client) == ["echo", "shout"]


@pytest.fixture(scope="module")
def http_url(server_log: TextIO) -> Iterator[str]:
    """`switchboard mcp serve changing_tools.py --transport http` on a free loopback port."""
    with served_over_http(CHANGING, server_log) as url:
        yield url


@pytest.mark.parametrize("transport", ["stdio", "http"])
async def test_the_sdks_client_session_hears_a_served_tool_added(
    transport: str, request: pytest.FixtureRequest, server_log: TextIO
) -> None:
    """The SDK's ClientSession, after the handshake, is told when a call adds a tool."""
    name = f"echo_session_{transport}"
    heard = Heard()
    async with AsyncExitStack() as stack:
        streams: Any = (
            stdio_client(
                StdioServerParameters(command=sys.executable, args=SERVE, env=SOURCE_ENV),
                errlog=server_log,
            )
            if transport == "stdio"
            else streamable_http_client(request.getfixturevalue("http_url"))
        )
        read, write = await stack.enter_async_context(streams)
        session = await stack.enter_async_context(ClientSession(read, write, message_handler=heard))
        initialized = await session.initialize()
        assert initialized.capabilities.tools is not None
        assert initialized.capabilities.tools.list_changed is True
        await session.list_tools()
        await session.call_tool("enable", {"name": name})
        await heard.wait()
        assert name in await _names(session)


@pytest.fixture(
    scope="module",
    params=["stdio-auto", "stdio-legacy", "http-auto", "http-legacy"],
)
async def served(request: pytest.FixtureRequest, server_log: TextIO) -> AsyncIterator[Toolbox]:
    """An `MCPServer` on switchboard's own server, over each transport, in each era."""
    transport, protocol = request.param.split("-")
    server = (
        MCPServer.stdio(sys.executable, SERVE, env=SOURCE_ENV, stderr=server_log, protocol=protocol)
        if transport == "stdio"
        else MCPServer.http(request.getfixturevalue("http_url"), protocol=protocol)
    )
    async with server:
        yield Toolbox([server])


async def test_switchboards_client_follows_a_tool_its_server_adds(
    served: Toolbox, request: pytest.FixtureRequest
) -> None:
    """A tool the served toolbox gains appears in the client's toolbox, and can be called."""
    name = "echo_" + request.node.callspec.id.replace("-", "_")
    [enabled] = await served.execute([ToolCall("c1", "enable", {"name": name})])
    assert not enabled.is_error, enabled.content
    await wait_for_tool(served, name)
    [echoed] = await served.execute([ToolCall("c2", name, {"text": "hi"})])
    assert echoed.value == {"result": "hi"}


async def test_switchboards_client_follows_a_tool_its_server_removes(
    served: Toolbox, request: pytest.FixtureRequest
) -> None:
    """A tool removed from the served toolbox leaves the client's toolbox."""
    name = "gone_" + request.node.callspec.id.replace("-", "_")
    await served.execute([ToolCall("c1", "enable", {"name": name})])
    await wait_for_tool(served, name)
    await served.execute([ToolCall("c2", "disable", {"name": name})])
    with anyio.fail_after(10):
        while name in served:
            await anyio.sleep(0.01)
