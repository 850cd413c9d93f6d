"""switchboard's MCP client against switchboard's own server (`switchboard mcp serve`), both ways.

The server is the real command in a subprocess, over stdio and over streamable HTTP on
loopback; the client is `MCPServer`. What the server's tools declare (hints, output schema,
validation messages) must come through the client as switchboard reads any MCP tool.
"""

from __future__ import annotations

import sys
from collections.abc import AsyncIterator, Iterator
from pathlib import Path
from typing import TextIO

import pytest

from switchboard import MCPServer, Toolbox, ToolCall

from .conftest import SOURCE_ENV, serve_args, served_over_http

pytestmark = pytest.mark.anyio

SERVED = str(Path(__file__).with_name("served_tools.py"))
COMMAND = serve_args(SERVED)


@pytest.fixture(scope="module")
def http_url(server_log: TextIO) -> Iterator[str]:
    with served_over_http(SERVED, server_log) as url:
        yield url


@pytest.fixture(scope="module", params=["stdio", "http"])
async def served(request: pytest.FixtureRequest, server_log: TextIO) -> AsyncIterator[Toolbox]:
    if request.param == "stdio":
        server = MCPServer.stdio(sys.executable, COMMAND, env=SOURCE_ENV, stderr=server_log)
    else:
        server = MCPServer.http(request.getfixturevalue("http_url"))
    async with server:
        yield Toolbox([server])


async def test_a_served_tools_value_comes_back_through_the_client(served: Toolbox) -> None:
    """A call through both switchboard ends returns the tool's value as structured content."""
    [result] = await served.execute([ToolCall("c1", "add", '{"a": 2, "b": 40}')])
    assert (result.is_error, result.value) == (False, {"result": 42})


async def test_a_served_models_fields_come_back_as_its_value(served: Toolbox) -> None:
    """A tool returning a pydantic model reaches the client as that model's fields."""
    [result] = await served.execute([ToolCall("c1", "weather", '{"city": "Oslo"}')])
    assert result.value == {"city": "Oslo", "celsius": 18.5}


async def test_wrong_arguments_to_a_served_tool_are_an_error_result(served: Toolbox) -> None:
    """Arguments of the wrong type give the model an error result naming the argument."""
    [result] = await served.execute([ToolCall("c1", "add", '{"a": 2, "b": "forty"}')])
    assert result.is_error
    assert "b" in result.content


async def test_the_served_schema_is_the_clients_schema(served: Toolbox) -> None:
    """The client offers the served tool with the parameters switchboard's server declared."""
    parameters = served.get("add").parameters
    assert parameters["required"] == ["a", "b"]
    assert parameters["properties"]["a"]["type"] == "integer"


async def test_the_servers_hints_become_the_clients_tool_options(served: Toolbox) -> None:
    """Title and behaviour hints declared on the server are the client tool's options."""
    add = served.get("add")
    assert (add.title, add.read_only, add.idempotent, add.open_world) == (
        "Add two numbers",
        True,
        True,
        False,
    )


@pytest.mark.parametrize(
    ("transport", "version"), [("stdio", "2025-11-25"), ("http", "2026-07-28")]
)
async def test_the_client_agrees_on_its_transports_default_revision(
    request: pytest.FixtureRequest, server_log: TextIO, transport: str, version: str
) -> None:
    """By default the handshake's 2025-11-25 over stdio, the stateless 2026-07-28 over HTTP."""
    server = (
        MCPServer.stdio(sys.executable, COMMAND, env=SOURCE_ENV, stderr=server_log)
        if transport == "stdio"
        else MCPServer.http(request.getfixturevalue("http_url"))
    )
    async with server:
        assert server.protocol_version == version
