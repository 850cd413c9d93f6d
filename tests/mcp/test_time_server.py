"""switchboard's MCP client against a third-party server from PyPI: mcp-server-time, over stdio."""

from __future__ import annotations

import json
import os
import signal
from collections.abc import AsyncIterator
from typing import Any, TextIO

import pytest

from switchboard import Agent, MCPServer, ScriptedModel, Toolbox, ToolCall
from switchboard.schema.llama import to_llama_schema

from .conftest import child_pids, time_stdio

pytestmark = pytest.mark.anyio


@pytest.fixture(scope="module")
async def time_server(server_log: TextIO) -> AsyncIterator[MCPServer]:
    async with time_stdio(server_log, prefix="time_") as server:
        yield server


@pytest.fixture(scope="module")
def toolbox(time_server: MCPServer) -> Toolbox:
    return Toolbox([time_server])


def paris_time(call_id: str = "c1", arguments: str = '{"timezone": "Europe/Paris"}') -> ToolCall:
    return ToolCall(call_id, "time_get_current_time", arguments)


async def test_its_tools_join_a_toolbox_under_the_prefix(toolbox: Toolbox) -> None:
    """Both tools of mcp-server-time are in the toolbox, named with the prefix."""
    assert toolbox.names == ["time_get_current_time", "time_convert_time"]


async def test_server_names_itself_and_negotiates_the_handshake_revision_by_default(
    time_server: MCPServer,
) -> None:
    """The server's own name is used, and over stdio the 2025-11-25 handshake by default."""
    assert (time_server.name, time_server.protocol_version) == ("mcp-time", "2025-11-25")


async def test_auto_negotiates_the_stateless_revision(server_log: TextIO) -> None:
    """With protocol="auto", mcp-server-time and switchboard agree on 2026-07-28 over stdio."""
    async with time_stdio(server_log, protocol="auto") as server:
        assert server.protocol_version == "2026-07-28"


async def test_call_returns_structured_content_as_value_and_its_json_as_content(
    toolbox: Toolbox,
) -> None:
    """A successful call's value is the server's structured content; the model reads its JSON."""
    [result] = await toolbox.execute([paris_time()])
    assert not result.is_error
    assert result.value["timezone"] == "Europe/Paris"
    assert set(result.value) == {"timezone", "datetime", "day_of_week", "is_dst"}
    assert json.loads(result.content) == result.value


async def test_server_error_result_reaches_the_model_as_its_text(toolbox: Toolbox) -> None:
    """An isError result becomes an error result carrying the server's own message."""
    [result] = await toolbox.execute([paris_time(arguments='{"timezone": "Nowhere/Land"}')])
    assert (result.is_error, result.error_kind) == (True, "raised")
    assert result.content.startswith("Error executing tool get_current_time: Invalid timezone")


async def test_invalid_arguments_are_refused_before_reaching_the_server(toolbox: Toolbox) -> None:
    """Arguments the input schema refuses get an 'invalid' result naming the problem."""
    [result] = await toolbox.execute([paris_time(arguments='{"timezone": 7}')])
    assert result.error_kind == "invalid"
    assert "timezone: 7 is not of type 'string'" in result.content


async def test_broken_json_arguments_are_repaired_then_sent(toolbox: Toolbox) -> None:
    """Arguments with a trailing comma are repaired, and the call runs with them."""
    [result] = await toolbox.execute([paris_time(arguments='{"timezone": "Asia/Tokyo",}')])
    assert result.value["timezone"] == "Asia/Tokyo"
    assert result.repaired != ()


@pytest.mark.parametrize(
    ("fmt", "strict"),
    [
        ("openai", True),
        ("openai-responses", True),
        ("anthropic", True),
        ("gemini", False),
        ("mcp", False),
    ],
)
async def test_schema_renders_in_each_dialect(toolbox: Toolbox, fmt: Any, strict: bool) -> None:
    """The server's input schema renders in every dialect, strictly where one is strict."""
    schema = toolbox.get("time_convert_time").schema(fmt, strict=strict)
    rendered = json.dumps(schema)
    assert "time_convert_time" in rendered
    assert "source_timezone" in rendered


async def test_schema_compiles_to_the_local_models_grammar(toolbox: Toolbox) -> None:
    """The local model's call grammar enforces all of the server's input schema."""
    tool = toolbox.get("time_convert_time")
    assert to_llama_schema(tool.parameters).issues == ()
    assert tool.local_issues() == ()


async def test_agent_on_scripted_model_answers_with_the_servers_time(
    time_server: MCPServer,
) -> None:
    """An agent runs the model's call on the server and feeds the result back."""
    model = ScriptedModel([paris_time(), "It is morning in Paris."])
    result = await Agent(model, tools=[time_server]).run("What time is it in Paris?")
    assert result.output == "It is morning in Paris."
    [answer] = result.steps[0].results
    assert answer.value["timezone"] == "Europe/Paris"


async def test_killed_server_gives_an_error_result_then_starts_again(server_log: TextIO) -> None:
    """After its process is killed, a call gets an error result; the next one restarts it."""
    others = set(child_pids())
    async with time_stdio(server_log) as server:
        toolbox = Toolbox([server])
        [pid] = set(child_pids()) - others
        os.kill(pid, signal.SIGKILL)
        [lost] = await toolbox.execute([ToolCall("c1", "get_current_time", '{"timezone": "UTC"}')])
        [again] = await toolbox.execute([ToolCall("c2", "get_current_time", '{"timezone": "UTC"}')])
    assert lost.is_error
    assert "The MCP server 'mcp-time' went away during the call" in lost.content
    assert again.value["timezone"] == "UTC"
