"""An `Agent` using MCP servers' tools end to end: on the scripted model, and on the local one."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import TextIO

import pytest

from switchboard import (
    Agent,
    MCPServer,
    ModelSettings,
    ScriptedModel,
    Toolbox,
    ToolCall,
    ToolProgress,
    ToolProgressEvent,
    ToolResultEvent,
)
from switchboard.providers.local import LocalProvider

from .conftest import fixture_stdio, time_stdio

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module", params=[None, "auto"], ids=["default", "auto"])
async def fixture_server(
    request: pytest.FixtureRequest, server_log: TextIO
) -> AsyncIterator[MCPServer]:
    """At stdio's default revision (2025-11-25), and with protocol="auto" (2026-07-28)."""
    protocol: dict[str, str] = {} if request.param is None else {"protocol": request.param}
    async with fixture_stdio(server_log, include=["slow", "add"], **protocol) as server:
        yield server


@pytest.fixture(scope="module")
async def time_server(server_log: TextIO) -> AsyncIterator[MCPServer]:
    async with time_stdio(server_log, prefix="time_") as server:
        yield server


def double(x: int) -> int:
    """Double a number."""
    return 2 * x


async def test_agent_combines_a_toolbox_and_a_servers_tools(fixture_server: MCPServer) -> None:
    """Agent(tools=[toolbox, server]) offers both, and runs each call where its tool lives."""
    local = Toolbox([double])
    calls = [ToolCall("c1", "double", '{"x": 4}'), ToolCall("c2", "add", '{"a": 8, "b": 1}')]
    model = ScriptedModel([calls, "9."])
    result = await Agent(model, tools=[local, fixture_server]).run("Double 4, then add 1.")
    assert result.steps[0].tools == ("double", "add", "slow")
    assert [r.content for r in result.steps[0].results] == ["8", '{"result":9}']


@pytest.mark.parametrize("early_execution", [True, False])
async def test_server_progress_surfaces_as_stream_events(
    fixture_server: MCPServer, early_execution: bool
) -> None:
    """The server's progress notifications arrive as progress events before the result."""
    call = ToolCall("c1", "slow", '{"label": "p", "seconds": 0.08}')
    agent = Agent(
        ScriptedModel([call, "Done."]), tools=[fixture_server], early_execution=early_execution
    )
    events = [
        event
        async for event in agent.run_stream("Go slowly.")
        if isinstance(event, ToolProgressEvent | ToolResultEvent)
    ]
    assert events[:4] == [
        ToolProgressEvent(ToolProgress("c1", "slow", step, 4, f"step {step}"))
        for step in range(1, 5)
    ]
    assert isinstance(events[4], ToolResultEvent)
    assert events[4].result.value == {"result": "p done"}


async def test_server_progress_reaches_the_listener_of_execute(fixture_server: MCPServer) -> None:
    """Toolbox.execute(on_progress=...) hears an MCP tool's progress like a local tool's."""
    heard: list[ToolProgress] = []
    call = ToolCall("c1", "slow", '{"label": "q", "seconds": 0.04}')
    await Toolbox([fixture_server]).execute([call], on_progress=heard.append)
    assert [(p.call_id, p.tool_name, p.progress) for p in heard] == [
        ("c1", "slow", step) for step in range(1, 5)
    ]


async def test_local_model_calls_the_time_servers_tool_end_to_end(time_server: MCPServer) -> None:
    """The embedded model, forced to call mcp-server-time's tool, gets the server's answer."""
    agent = Agent(
        LocalProvider(n_threads=1),
        tools=[time_server],
        tool_choice="time_get_current_time",
        settings=ModelSettings(max_tokens=48, temperature=0.0, seed=1),
        max_iterations=2,
    )
    result = await agent.run("What time is it in Tokyo?")
    [answer] = result.steps[0].results
    assert answer.name == "time_get_current_time"
    # The server answered: with the time, or with its own refusal of the timezone written.
    assert answer.error_kind in (None, "raised")
    if answer.is_error:
        assert answer.content.startswith("Error executing tool get_current_time")
    else:
        assert set(answer.value) == {"timezone", "datetime", "day_of_week", "is_dst"}
