"""switchboard's MCP server in process, called by the official SDK's client.

``mcp.Client(server)`` connects in process through the SDK's own dispatch: ``mode="auto"``
speaks the 2026-07-28 revision (per-request envelope, no handshake), ``mode="legacy"`` the
2025-11-25 handshake over the SDK's in-memory JSON-RPC streams. Each behaviour is checked
in both; tests/mcp/test_server_wire.py checks the same server over stdio and HTTP.
"""

from collections.abc import AsyncIterator
from functools import partial
from typing import Any

import anyio
import mcp.types as types
import pytest
from mcp import Client, MCPError

from switchboard import Denial, Executor, RunContext, Toolbox, ToolCall
from tests.mcp.served_tools import CANCELLED, tools

pytestmark = pytest.mark.anyio

MODES = ["auto", "legacy"]


@pytest.fixture(params=MODES)
async def client(request: pytest.FixtureRequest) -> AsyncIterator[Client]:
    """The SDK's client, connected in process to a server for tests/mcp/served_tools.py."""
    async with Client(tools.mcp_server(), mode=request.param) as connected:
        yield connected


async def _listed(client: Client, name: str) -> types.Tool:
    (found,) = [tool for tool in (await client.list_tools()).tools if tool.name == name]
    return found


def _text(result: types.CallToolResult) -> str:
    (block,) = result.content
    assert isinstance(block, types.TextContent)
    return block.text


@pytest.mark.parametrize(("mode", "version"), [("auto", "2026-07-28"), ("legacy", "2025-11-25")])
async def test_each_era_negotiates_its_newest_revision(mode: str, version: str) -> None:
    """The per-request era speaks 2026-07-28; the handshake era the newest handshake revision."""
    async with Client(tools.mcp_server(), mode=mode) as connected:
        assert connected.session.protocol_version == version


async def test_listing_gives_each_tool_its_switchboard_input_schema(client: Client) -> None:
    """tools/list holds every tool, in order, each with the neutral schema switchboard built."""
    listed = (await client.list_tools()).tools
    assert [tool.name for tool in listed] == tools.names
    assert [tool.input_schema for tool in listed] == [tools.get(n).parameters for n in tools.names]


async def test_title_and_behaviour_hints_come_from_the_tool_options(client: Client) -> None:
    """title, read_only, idempotent and open_world become the tool's title and hints."""
    add = await _listed(client, "add")
    assert add.title == "Add two numbers"
    assert add.annotations == types.ToolAnnotations(
        title="Add two numbers", read_only_hint=True, idempotent_hint=True, open_world_hint=False
    )


async def test_hints_a_tool_leaves_unsaid_are_left_out(client: Client) -> None:
    """A tool that only says it is destructive lists that hint alone, and no title."""
    erase = await _listed(client, "erase")
    assert (erase.title, erase.annotations) == (None, types.ToolAnnotations(destructive_hint=True))


async def test_a_model_return_type_is_the_output_schema(client: Client) -> None:
    """A tool returning a Pydantic model lists the model's schema, titles removed."""
    weather = await _listed(client, "weather")
    assert weather.output_schema == {
        "type": "object",
        "description": "A reading.",
        "properties": {"city": {"type": "string"}, "celsius": {"type": "number"}},
        "required": ["city", "celsius"],
    }


async def test_a_scalar_return_type_is_listed_under_result(client: Client) -> None:
    """A tool returning an int lists an object schema with the int under "result"."""
    add = await _listed(client, "add")
    assert add.output_schema == {
        "type": "object",
        "properties": {"result": {"type": "integer"}},
        "required": ["result"],
    }


async def test_a_tool_returning_none_lists_no_output_schema(client: Client) -> None:
    """``-> None`` promises nothing structured: no outputSchema."""
    assert (await _listed(client, "erase")).output_schema is None


async def test_a_call_answers_the_text_a_model_reads_and_structured_content(
    client: Client,
) -> None:
    """A call's result holds the model's text and the value under "result"."""
    result = await client.call_tool("add", {"a": 2, "b": 3})
    assert (result.is_error, _text(result), result.structured_content) == (
        False,
        "5",
        {"result": 5},
    )


async def test_a_returned_model_is_structured_as_its_fields(client: Client) -> None:
    """A Pydantic model comes back as its fields, and as their JSON in the text."""
    result = await client.call_tool("weather", {"city": "Tokyo"})
    assert result.structured_content == {"city": "Tokyo", "celsius": 18.5}
    assert _text(result) == '{"city":"Tokyo","celsius":18.5}'


async def test_null_for_an_optional_argument_means_its_default(client: Client) -> None:
    """As for a model's call, null for an optional parameter that takes no null is its default."""
    result = await client.call_tool("greet", {"name": "Ada", "greeting": None})
    assert (result.is_error, _text(result)) == (False, "Hello, Ada!")


async def test_invalid_arguments_answer_the_error_result_a_model_gets(client: Client) -> None:
    """A missing argument is an isError result holding the executor's message for the model."""
    result = await client.call_tool("add", {"a": 1})
    (model_reads,) = await tools.execute([ToolCall("c1", "add", {"a": 1})])
    assert result.is_error
    assert _text(result) == model_reads.content
    assert _text(result).startswith("Invalid arguments for add:\n- b: missing")


async def test_a_tool_that_raises_answers_an_error_naming_the_exception(client: Client) -> None:
    """A tool's exception is an isError result, as the model would read it."""
    result = await client.call_tool("explode", {"reason": "no fuel"})
    assert (result.is_error, _text(result)) == (True, "explode raised ValueError: no fuel")


async def test_a_tool_past_its_time_limit_answers_a_timeout_error(client: Client) -> None:
    """A tool's own timeout ends the call with an isError result saying so."""
    result = await client.call_tool("stall", {})
    assert (result.is_error, _text(result)) == (
        True,
        "stall did not finish within its 0.05 s time limit.",
    )


async def test_an_unknown_tool_is_a_protocol_error_naming_the_closest(client: Client) -> None:
    """An unknown name is INVALID_PARAMS (as the specification says), with switchboard's hint."""
    with pytest.raises(MCPError) as caught:
        await client.call_tool("ad", {})
    assert caught.value.code == types.INVALID_PARAMS
    assert caught.value.message.startswith("There is no tool named 'ad'. Did you mean 'add'?")


async def test_progress_reports_reach_the_client_in_order(client: Client) -> None:
    """Each RunContext.report_progress arrives, in order, before the result."""
    reports: list[tuple[float, float | None, str | None]] = []

    async def record(progress: float, total: float | None, message: str | None) -> None:
        reports.append((progress, total, message))

    result = await client.call_tool("count", {"n": 3}, progress_callback=record)
    assert reports == [(1, 3, "step 1"), (2, 3, "step 2"), (3, 3, "step 3")]
    assert result.structured_content == {"result": 3}


async def test_progress_from_a_sync_tool_thread_reaches_the_client(client: Client) -> None:
    """A sync tool reports from its worker thread; every report arrives, in order."""
    reports: list[float] = []

    async def record(progress: float, total: float | None, message: str | None) -> None:
        reports.append(progress)

    await client.call_tool("count_in_thread", {"n": 50}, progress_callback=record)
    assert reports == list(range(1, 51))


async def test_cancelling_a_call_cancels_the_running_tool(client: Client) -> None:
    """A call the client gives up on is cancelled in the tool, which sees the cancellation."""
    started = anyio.Event()

    async def on_progress(*_: Any) -> None:
        started.set()

    before = len(CANCELLED)
    async with anyio.create_task_group() as group:
        group.start_soon(partial(client.call_tool, "wait", {}, progress_callback=on_progress))
        with anyio.fail_after(5):
            await started.wait()
        group.cancel_scope.cancel()
    with anyio.fail_after(5):
        while len(CANCELLED) == before:  # the cancellation crosses the transport
            await anyio.lowlevel.checkpoint()


async def test_a_return_value_its_annotation_refuses_is_an_error_result() -> None:
    """What breaks the declared output schema is not sent as structured content."""
    toolbox = Toolbox()

    @toolbox.register
    def liar() -> int:
        return "many"  # type: ignore[return-value]

    async with Client(toolbox.mcp_server()) as connected:
        result = await connected.call_tool("liar", {})
    assert result.is_error
    assert _text(result).startswith("liar ran, but what it returned does not match")


async def test_the_listing_follows_tools_added_later() -> None:
    """A tool registered after the server was made is listed and callable."""
    toolbox = Toolbox()
    async with Client(toolbox.mcp_server()) as connected:
        assert (await connected.list_tools()).tools == []

        @toolbox.register
        def late(x: int) -> int:
            return x

        assert [tool.name for tool in (await connected.list_tools()).tools] == ["late"]
        assert (await connected.call_tool("late", {"x": 7})).structured_content == {"result": 7}


async def test_deps_reach_a_tool_through_its_run_context() -> None:
    """mcp_server(deps=...) is what tools find in RunContext.deps."""
    toolbox = Toolbox()

    @toolbox.register
    def whoami(ctx: RunContext[str]) -> str:
        return ctx.deps

    async with Client(toolbox.mcp_server(deps="ada")) as connected:
        assert _text(await connected.call_tool("whoami", {})) == "ada"


async def test_the_executor_given_runs_the_calls() -> None:
    """The server's executor applies its hooks: a before-hook's denial is an error result."""

    def closed(call: ToolCall, tool: object) -> Denial:
        return Denial("closed for maintenance")

    server = tools.mcp_server(executor=Executor(before=[closed]))
    async with Client(server) as connected:
        result = await connected.call_tool("add", {"a": 1, "b": 2})
    assert (result.is_error, _text(result)) == (
        True,
        "The call was denied: closed for maintenance",
    )
