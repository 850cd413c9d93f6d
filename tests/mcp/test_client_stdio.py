"""switchboard's MCP client against a server built on the official SDK, over stdio.

The server (fixture_server.py) lists its tools in pages of four, so every test here also
relies on the listing following the pages.
"""

from __future__ import annotations

import asyncio
import sys
from collections.abc import AsyncIterator
from pathlib import Path
from typing import TextIO

import pytest

from switchboard import (
    FilePart,
    ImagePart,
    MCPConnectionError,
    MCPServer,
    RetryPolicy,
    TextPart,
    Toolbox,
    ToolCall,
    ToolError,
    ToolOptions,
)
from switchboard.routing import Router

from .conftest import (
    FIXTURE_SERVER,
    child_pids,
    fixture_stdio,
    wait_for_cancellation,
    wait_for_tool,
)
from .fixture_server import PNG, WAV

pytestmark = pytest.mark.anyio

LISTED = [
    "add",
    "echo",
    "fail",
    "forecast",
    "broken_forecast",
    "picture",
    "sound",
    "document",
    "slow",
    "peak",
    "flaky",
    "header",
    "cancellations",
    "grow",
    "where",
    "pid",
    "die",
]


@pytest.fixture(scope="module")
async def fixture_server(server_log: TextIO) -> AsyncIterator[MCPServer]:
    async with fixture_stdio(server_log, "--page-size", "4") as server:
        yield server


@pytest.fixture(scope="module")
def toolbox(fixture_server: MCPServer) -> Toolbox:
    return Toolbox([fixture_server])


@pytest.fixture(scope="module", params=[None, "auto"], ids=["default", "auto"])
async def guarded(
    request: pytest.FixtureRequest, server_log: TextIO, tmp_path_factory: pytest.TempPathFactory
) -> AsyncIterator[Toolbox]:
    """Some of the server's tools, some with options, run with a variable and a directory.

    The options: a timeout, a concurrency limit, retries, approval. Once at stdio's default
    revision (the handshake, 2025-11-25) and once with ``protocol="auto"`` (2026-07-28).
    """
    protocol: dict[str, str] = {} if request.param is None else {"protocol": request.param}
    options: dict[str, ToolOptions] = {
        "slow": {"timeout": 0.5, "max_concurrency": 1},
        "flaky": {"retry": RetryPolicy(attempts=2, base=0.0, retry_on=(ToolError,))},
        "echo": {"requires_approval": True},
    }
    chosen = ["*forecast", "echo*", "slow", "peak", "flaky", "cancellations", "grow", "where"]
    async with fixture_stdio(
        server_log,
        include=chosen,
        exclude=["broken_*"],
        tool_options=options,
        env={"SWITCHBOARD_MARKER": "set"},
        cwd=tmp_path_factory.mktemp("cwd"),
        **protocol,
    ) as server:
        yield Toolbox([server])


async def test_listing_follows_every_page(toolbox: Toolbox) -> None:
    """All sixteen tools arrive, in the server's order, though it lists them four at a time."""
    assert toolbox.names == LISTED


async def test_is_error_result_becomes_an_error_result_with_the_servers_text(
    toolbox: Toolbox,
) -> None:
    """A tool the server fails answers with an error result whose content is its message."""
    [result] = await toolbox.execute([ToolCall("c1", "fail", '{"reason": "no"}')])
    assert (result.is_error, result.error_kind) == (True, "raised")
    assert result.content == "Error executing tool fail: Refused: no"


async def test_structured_content_is_the_value(toolbox: Toolbox) -> None:
    """Structured content that matches the output schema is passed on as the value."""
    [result] = await toolbox.execute([ToolCall("c1", "forecast", '{"city": "Oslo"}')])
    assert result.value == {"city": "Oslo", "high": 21, "sky": "clear"}
    assert result.content == '{"city":"Oslo","high":21,"sky":"clear"}'


async def test_structured_content_breaking_the_output_schema_is_an_error(
    toolbox: Toolbox,
) -> None:
    """Structured content the tool's outputSchema refuses is an error result, not a value."""
    [result] = await toolbox.execute([ToolCall("c1", "broken_forecast", '{"city": "Oslo"}')])
    assert (result.is_error, result.content) == (
        True,
        "The MCP server's result for broken_forecast is not valid: Invalid structured content "
        "returned by tool broken_forecast: 'sky' is a required property",
    )


async def test_image_reaches_providers_as_an_image_part(toolbox: Toolbox) -> None:
    """An image block becomes an `ImagePart` of its bytes, after the text part before it."""
    [result] = await toolbox.execute([ToolCall("c1", "picture", "{}")])
    assert result.parts == (TextPart("A pixel."), ImagePart(PNG, "image/png"))
    assert result.content == f"A pixel.\n[image: image/png, {len(PNG)} bytes]"


async def test_audio_reaches_providers_as_a_file_part(toolbox: Toolbox) -> None:
    """An audio block becomes a `FilePart`; providers that take no audio describe it."""
    [result] = await toolbox.execute([ToolCall("c1", "sound", "{}")])
    assert result.parts == (FilePart(WAV, "audio/wav"),)
    assert result.content == f"[file: audio/wav, {len(WAV)} bytes]"


async def test_embedded_text_resource_is_given_whole(toolbox: Toolbox) -> None:
    """An embedded text resource reaches the model named, with its text."""
    [result] = await toolbox.execute([ToolCall("c1", "document", "{}")])
    assert (
        result.content == "Here are the notes.\n[resource: file:///notes.txt (text/plain)]\nNotes."
    )


async def test_timeout_sends_the_protocols_cancellation(guarded: Toolbox) -> None:
    """A call past its tool's timeout gets a timeout result, and the server cancels its work."""
    [result] = await guarded.execute([ToolCall("c1", "slow", '{"label": "late", "seconds": 30}')])
    assert (result.error_kind, result.content) == (
        "timeout",
        "slow did not finish within its 0.5 s time limit.",
    )
    assert await wait_for_cancellation(guarded, "late") == ["late"]


async def test_concurrency_limit_holds_on_the_server(guarded: Toolbox) -> None:
    """With max_concurrency=1, the server never runs two of the tool's calls at once."""
    calls = [ToolCall(f"c{i}", "slow", f'{{"label": "{i}", "seconds": 0.04}}') for i in range(3)]
    results = await guarded.execute(calls)
    [peak] = await guarded.execute([ToolCall("p", "peak", "{}")])
    assert [r.value for r in results] == [{"result": f"{i} done"} for i in range(3)]
    assert peak.value == {"result": 1}


async def test_without_a_limit_calls_run_on_the_server_together(toolbox: Toolbox) -> None:
    """The sibling of the limit test: unlimited, the server sees the calls overlap."""
    calls = [ToolCall(f"c{i}", "slow", f'{{"label": "{i}", "seconds": 0.4}}') for i in range(3)]
    await toolbox.execute(calls)
    [peak] = await toolbox.execute([ToolCall("p", "peak", "{}")])
    assert peak.value == {"result": 3}


async def test_retry_policy_retries_an_error_result(guarded: Toolbox) -> None:
    """A tool retried on ToolError succeeds when the server's second try does."""
    [result] = await guarded.execute([ToolCall("c1", "flaky", '{"key": "retried"}')])
    assert result.value == {"result": "retried worked on try 2"}


async def test_approval_denied_never_reaches_the_server(guarded: Toolbox) -> None:
    """A denied call of a tool that requires approval is refused before the server sees it."""
    seen: list[str] = []

    def deny(call: ToolCall, tool: object) -> bool:
        seen.append(call.name)
        return False

    [result] = await guarded.execute([ToolCall("c1", "echo", '{"text": "hi"}')], approve=deny)
    assert (result.error_kind, seen) == ("denied", ["echo"])


async def test_approved_call_runs_on_the_server(guarded: Toolbox) -> None:
    """The sibling: an approved call of the same tool runs."""
    [result] = await guarded.execute(
        [ToolCall("c1", "echo", '{"text": "hi"}')], approve=lambda call, tool: True
    )
    assert result.content == '{"result":"hi"}'


async def test_router_offers_the_servers_tool_the_query_needs(toolbox: Toolbox) -> None:
    """Lexical routing ranks the MCP tool whose description matches the query first."""
    [best] = Router(top_k=1).select(toolbox, "What will the weather be tomorrow? forecast")
    assert best.name == "forecast"


async def test_include_and_exclude_choose_the_tools(guarded: Toolbox) -> None:
    """Tools matching an include pattern are taken, in the server's order, less excluded ones."""
    assert guarded.names == [
        "echo",
        "forecast",
        "slow",
        "peak",
        "flaky",
        "cancellations",
        "grow",
        "where",
    ]


async def test_env_and_cwd_reach_the_server_process(guarded: Toolbox) -> None:
    """The variables and working directory given to MCPServer.stdio are the server's."""
    [result] = await guarded.execute([ToolCall("c1", "where", "{}")])
    assert result.value["marker"] == "set"
    assert Path(result.value["cwd"]).name.startswith("cwd")


async def test_calls_from_another_event_loop_get_an_error_result(guarded: Toolbox) -> None:
    """A call run in another loop (execute_sync in a thread) is refused, saying why."""
    [result] = await asyncio.to_thread(guarded.execute_sync, [ToolCall("c1", "where", "{}")])
    assert result.content.startswith(
        "The MCP server 'switchboard-fixture' was connected in another event loop"
    )


async def test_tool_list_change_reaches_the_toolbox(guarded: Toolbox) -> None:
    """A tool the server adds mid-session appears in the toolbox (list_changed, or listen)."""
    await guarded.execute([ToolCall("c1", "grow", '{"name": "echo_two"}')])
    await wait_for_tool(guarded, "echo_two")
    [result] = await guarded.execute([ToolCall("c2", "echo_two", '{"text": "hi"}')])
    assert (result.content, result.value) == ("hi", "hi")


async def test_stdio_negotiates_the_handshake_revision_by_default(
    fixture_server: MCPServer,
) -> None:
    """With no protocol given, stdio agrees on the newest handshake revision: 2025-11-25."""
    assert fixture_server.protocol_version == "2025-11-25"


async def test_auto_over_stdio_negotiates_the_stateless_revision(server_log: TextIO) -> None:
    """protocol="auto" over stdio takes the server's 2026-07-28 revision."""
    async with fixture_stdio(server_log, include=["add"], protocol="auto") as server:
        assert server.protocol_version == "2026-07-28"


async def test_tool_list_change_reaches_the_toolbox_in_the_handshake_era(
    server_log: TextIO,
) -> None:
    """On a 2025-11-25 session, the server's list_changed notification is followed too."""
    async with fixture_stdio(server_log, include=["grow", "echo*"], protocol="legacy") as server:
        toolbox = Toolbox([server])
        await toolbox.execute([ToolCall("c1", "grow", '{"name": "echo_three"}')])
        await wait_for_tool(toolbox, "echo_three")
        assert server.protocol_version == "2025-11-25"


async def test_server_that_ends_mid_call_gives_an_error_result_then_restarts(
    server_log: TextIO,
) -> None:
    """A call whose server process exits gets an error result; the next call starts a new one."""
    async with fixture_stdio(server_log, include=["pid", "die"]) as server:
        toolbox = Toolbox([server])
        [before] = await toolbox.execute([ToolCall("c1", "pid", "{}")])
        [died] = await toolbox.execute([ToolCall("c2", "die", "{}")])
        [after] = await toolbox.execute([ToolCall("c3", "pid", "{}")])
    assert died.is_error
    assert "went away during the call" in died.content
    assert after.value["result"] != before.value["result"]


async def test_without_reconnect_calls_fail_until_reconnected(server_log: TextIO) -> None:
    """reconnect=False: after the server ends, calls fail at once; reconnect() brings it back."""
    async with fixture_stdio(server_log, include=["pid", "die"], reconnect=False) as server:
        toolbox = Toolbox([server])
        await toolbox.execute([ToolCall("c1", "die", "{}")])
        [refused] = await toolbox.execute([ToolCall("c2", "pid", "{}")])
        await server.reconnect()
        [back] = await toolbox.execute([ToolCall("c3", "pid", "{}")])
    assert refused.content == (
        "The MCP server 'switchboard-fixture' is not available: the server closed the connection."
    )
    assert not back.is_error


async def test_failed_restart_is_an_error_result_and_reconnect_raises(
    server_log: TextIO, tmp_path: Path
) -> None:
    """When the server cannot start again, calls get an error result; reconnect() raises."""
    ran = tmp_path / "ran"
    # Serves the first time; every later start fails at once.
    once = f'test -e "{ran}" && exit 1; touch "{ran}"; exec "$0" "$1"'
    server = MCPServer.stdio(
        "sh",
        ["-c", once, sys.executable, FIXTURE_SERVER],
        stderr=server_log,
        include=["die", "pid"],
    )
    async with server:
        toolbox = Toolbox([server])
        await toolbox.execute([ToolCall("c1", "die", "{}")])
        [result] = await toolbox.execute([ToolCall("c2", "pid", "{}")])
        with pytest.raises(MCPConnectionError, match="Could not connect to the MCP server"):
            await server.reconnect()
    assert result.is_error
    assert result.content.startswith(
        "The MCP server 'switchboard-fixture' is not available (the server closed the "
        "connection); Could not connect"
    )


async def test_command_that_does_not_start_raises_a_clear_error(server_log: TextIO) -> None:
    """A command that does not exist raises MCPConnectionError naming it and what to check."""
    server = MCPServer.stdio("/nonexistent/mcp-server", stderr=server_log)
    with pytest.raises(MCPConnectionError) as raised:
        await server.connect()
    assert str(raised.value).startswith(
        "Could not connect to the MCP server '/nonexistent/mcp-server' (/nonexistent/mcp-server): "
        "FileNotFoundError"
    )
    assert "Check that the command runs and speaks MCP" in str(raised.value)


async def test_server_that_never_answers_times_out_at_connect(server_log: TextIO) -> None:
    """A process that reads its input and says nothing fails the handshake at connect_timeout."""
    silent = ["-c", "import sys; sys.stdin.read()"]
    server = MCPServer.stdio(sys.executable, silent, stderr=server_log, connect_timeout=0.5)
    with pytest.raises(
        MCPConnectionError, match=r"did not complete the MCP handshake within 0\.5 s"
    ):
        await server.connect()


NO_TOOLS = """
import anyio
from mcp.server import Server
from mcp.server.stdio import stdio_server

async def main():
    server = Server("no-tools")
    async with stdio_server() as (read, write):
        await server.run(read, write, server.create_initialization_options())

anyio.run(main)
"""


async def test_server_refusing_to_list_tools_raises_and_is_stopped(server_log: TextIO) -> None:
    """A server that answers tools/list with an error fails the connect, and its process ends."""
    others = set(child_pids())
    server = MCPServer.stdio(sys.executable, ["-c", NO_TOOLS], stderr=server_log)
    with pytest.raises(MCPConnectionError, match="'no-tools' did not list its tools"):
        await server.connect()
    assert set(child_pids()) - others == set()


async def test_tools_leave_the_toolbox_when_the_server_closes(server_log: TextIO) -> None:
    """Closing the server takes its tools out of the toolboxes that include it."""
    server = fixture_stdio(server_log, include=["echo"])
    toolbox = Toolbox([server])
    async with server:
        assert toolbox.names == ["echo"]
    assert toolbox.names == []
