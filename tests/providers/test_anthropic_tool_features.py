"""Anthropic's tool features on the wire.

Strict tools, tool search, input examples, eager streaming, programmatic calls, server tools
and their blocks, MCP connector blocks.

Requests are checked against the SDK's own request types (`wire.assert_sdk_accepts`);
responses are recorded ones (tests/fixtures/anthropic/) or written from the documented
formats (tests/fixtures/written/), served through the SDK's HTTP layer.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import pytest
from anthropic._models import construct_type
from anthropic.types import Message as SDKMessage
from anthropic.types.beta.message_create_params import (
    MessageCreateParamsNonStreaming as BetaCreateParams,
)
from anthropic.types.message_create_params import (
    MessageCreateParamsNonStreaming,
    MessageCreateParamsStreaming,
)

from switchboard.errors import ConfigurationError
from switchboard.messages import AssistantTurn, Message, ToolCall, ToolResult, UserMessage
from switchboard.providers.anthropic import AnthropicProvider, parse_response, render_request
from switchboard.providers.base import AllowedTools, ModelRequest
from switchboard.retry import RetryPolicy
from switchboard.streaming import StreamEvent, ToolCallDelta, ToolCallStart
from switchboard.tools.tool import Tool, tool

from .conftest import Replay, fixture_path
from .streams import ready_calls, recorded_bytes, sse_lines, turn_end
from .wire import assert_sdk_accepts, sdk_problems

pytestmark = pytest.mark.anyio

MODEL = "claude-sonnet-4-5"
SERVER_TOOLS = "anthropic/server-tools"
PROGRAMMATIC = "anthropic/tool_runner_recordings/092be1de-d3f8-4c22-a4ea-a7ad54689836.json"
WEB_SEARCH = "anthropic/tool_runner_recordings/32da0815-2270-4d29-87be-3b5b63ab42e2.json"


@tool
def get_weather(location: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> str:
    """Get the current weather at a place.

    Args:
        location: The city and state, e.g. San Francisco, CA
        unit: The temperature unit.
    """
    return "sunny"


@tool
def get_time(zone: str) -> str:
    """Get the time in a time zone.

    Args:
        zone: An IANA zone name.
    """
    return "12:00"


def provider(replay: Replay, **options: Any) -> AnthropicProvider:
    return AnthropicProvider(
        MODEL,
        api_key="sk-ant-test",
        http_client=replay.client(),
        retry=RetryPolicy(attempts=1),
        **options,
    )


def recorded(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(fixture_path(f"{SERVER_TOOLS}/{name}").read_text())
    return body


def pairs(path: str) -> list[dict[str, Any]]:
    found: list[dict[str, Any]] = json.loads(fixture_path(path).read_text())
    return found


def answer() -> dict[str, Any]:
    """A plain end_turn reply, for tests that look only at the request."""
    return {
        "id": "msg_answer",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": [{"type": "text", "text": "Done."}],
        "stop_reason": "end_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 2},
    }


async def sent(replay: Replay, request: ModelRequest, **options: Any) -> dict[str, Any]:
    """The body the SDK sent for ``request``, checked against the SDK's request types."""
    replay.queue_json(answer())
    await provider(replay, **options).complete(request)
    body: dict[str, Any] = replay.bodies[-1]
    types = BetaCreateParams if "mcp_servers" in body else MessageCreateParamsNonStreaming
    assert_sdk_accepts(body, types)
    return body


def turn_of(body: dict[str, Any]) -> AssistantTurn:
    """The turn of a reply ``body``, built as the SDK builds a response it receives."""
    message = construct_type(type_=SDKMessage, value=body)
    assert isinstance(message, SDKMessage)
    return parse_response(message).turn


def without_nulls(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value


# Strict tools and the options of a tool


async def test_strict_tools_pass_the_sdk_request_types(replay: Replay) -> None:
    """strict=True sends strict: true on each tool, in a body the SDK's types accept."""
    body = await sent(replay, ModelRequest([UserMessage("hi")], [get_weather], strict=True))
    assert body["tools"][0]["strict"] is True
    assert body["tools"][0]["input_schema"]["additionalProperties"] is False


async def test_tool_options_are_sent_as_tool_param_fields(replay: Replay) -> None:
    """defer_loading, input_examples, eager_input_streaming and allowed_callers go on the tool."""
    offered = Tool.from_schema(
        "lookup",
        "Look a customer up.",
        {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
        defer_loading=True,
        input_examples=[{"id": "C-1"}, {"id": "C-22"}],
        eager_input_streaming=True,
        allowed_callers=["direct", "program"],
    )
    body = await sent(replay, ModelRequest([UserMessage("hi")], [offered]))
    assert body["tools"][0] == {
        **offered.schema("anthropic"),
        "defer_loading": True,
        "input_examples": [{"id": "C-1"}, {"id": "C-22"}],
        "eager_input_streaming": True,
        "allowed_callers": ["direct", "code_execution_20260120"],
    }


async def test_tool_without_options_is_sent_as_its_schema(replay: Replay) -> None:
    """A tool that sets none of the offer options is exactly its Anthropic schema."""
    body = await sent(replay, ModelRequest([UserMessage("hi")], [get_time]))
    assert body["tools"] == [get_time.schema("anthropic")]


def test_input_example_that_breaks_the_schema_is_refused() -> None:
    """An example the tool's own schema rejects is a definition error naming the example."""
    with pytest.raises(Exception, match=r"input_examples\[1\] does not match"):
        Tool.from_schema(
            "lookup",
            "Look a customer up.",
            {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]},
            input_examples=[{"id": "C-1"}, {"id": 7}],
        )


# Tool search: deferred tools and tool_reference blocks


async def test_deferred_tool_brings_the_bm25_tool_search_tool(replay: Replay) -> None:
    """A deferred tool is sent with defer_loading, and the BM25 tool search tool follows."""
    request = ModelRequest([UserMessage("hi")], [get_time, get_weather.deferred()])
    body = await sent(replay, request)
    assert body["tools"] == [
        get_time.schema("anthropic"),
        {**get_weather.schema("anthropic"), "defer_loading": True},
        {"type": "tool_search_tool_bm25_20251119", "name": "tool_search_tool_bm25"},
    ]


async def test_regex_tool_search_is_added_when_the_provider_asks_for_it(replay: Replay) -> None:
    """tool_search="regex" adds the regex variant instead."""
    request = ModelRequest([UserMessage("hi")], [get_weather.deferred()])
    body = await sent(replay, request, tool_search="regex")
    assert body["tools"][-1] == {
        "type": "tool_search_tool_regex_20251119",
        "name": "tool_search_tool_regex",
    }


async def test_tool_search_tool_given_as_a_server_tool_is_not_added_again(replay: Replay) -> None:
    """A tool search tool among the server tools is the only one sent."""
    search = {"type": "tool_search_tool_regex_20251119", "name": "tool_search_tool_regex"}
    request = ModelRequest([UserMessage("hi")], [get_weather.deferred()])
    body = await sent(replay, request, server_tools=[search])
    assert [t.get("type") for t in body["tools"]] == [None, search["type"]]


async def test_no_tool_search_tool_without_a_deferred_tool(replay: Replay) -> None:
    """Tools that are all loaded bring no tool search tool."""
    body = await sent(replay, ModelRequest([UserMessage("hi")], [get_weather, get_time]))
    assert all("type" not in t for t in body["tools"])


@pytest.mark.parametrize(
    ("name", "search", "called"),
    [
        ("vercel-anthropic-tool-search-bm25.1.json", "tool_search_tool_bm25", "get_weather"),
        ("vercel-anthropic-tool-search-regex.1.json", "tool_search_tool_regex", "get_temp_data"),
    ],
)
async def test_tool_search_reply_has_one_call_and_keeps_the_search_blocks(
    replay: Replay, name: str, search: str, called: str
) -> None:
    """The search's server_tool_use is no call; the search and its result stay in the turn."""
    body = recorded(name)
    replay.queue_json(body)
    response = await provider(replay).complete(ModelRequest([UserMessage("Weather in SF?")]))
    assert [call.name for call in response.turn.tool_calls] == [called]
    assert response.turn.provider_state["anthropic"] == without_nulls(body["content"])
    assert [b["name"] for b in body["content"] if b["type"] == "server_tool_use"] == [search]


async def test_tool_search_blocks_are_sent_back_exactly(replay: Replay) -> None:
    """The next request holds the reply's blocks as they came, tool_reference included."""
    body = recorded("vercel-anthropic-tool-search-bm25.1.json")
    turn = turn_of(body)
    weather = Tool.from_schema(
        "get_weather", "Weather.", {"type": "object", "properties": {}}, defer_loading=True
    )
    conversation: list[Message] = [
        UserMessage("Weather in SF?"),
        turn,
        ToolResult("toolu_01PFQG18bVLaXcEaCxTZtX4G", "get_weather", "62F, fog"),
    ]
    next_body = await sent(replay, ModelRequest(conversation, [weather]))
    assert next_body["messages"][1] == {
        "role": "assistant",
        "content": without_nulls(body["content"]),
    }


def test_tool_loaded_by_search_but_not_offered_raises_naming_it() -> None:
    """A history whose search loaded a tool the request does not offer is refused before sending."""
    turn = turn_of(recorded("vercel-anthropic-tool-search-bm25.1.json"))
    conversation: list[Message] = [
        UserMessage("Weather in SF?"),
        turn,
        ToolResult("toolu_01PFQG18bVLaXcEaCxTZtX4G", "get_weather", "62F, fog"),
    ]
    request = ModelRequest(conversation, [get_time])
    with pytest.raises(ConfigurationError, match=r"loaded \['get_weather'\]"):
        render_request(request)


# Programmatic tool calling


async def test_program_callers_name_the_version_programmatic_calling_needs(
    replay: Replay,
) -> None:
    """A tool only programs may call renders as the SDK's recorded programmatic request."""
    first = pairs(PROGRAMMATIC)[0]["request"]["body"]
    recorded_tool = first["tools"][0]
    offered = Tool.from_schema(
        recorded_tool["name"],
        recorded_tool["description"],
        recorded_tool["input_schema"],
        allowed_callers=["program"],
    )
    body = await sent(
        replay, ModelRequest([UserMessage(first["messages"][0]["content"])], [offered])
    )
    assert body["tools"] == first["tools"]


async def test_program_callers_name_the_code_execution_tool_given(replay: Replay) -> None:
    """With a code execution server tool given, programs calling a tool name its version."""
    execution = {"type": "code_execution_20250825", "name": "code_execution"}
    offered = Tool.from_schema(
        "roll", "Roll a die.", {"type": "object", "properties": {}}, allowed_callers=["program"]
    )
    request = ModelRequest([UserMessage("Play.")], [offered])
    body = await sent(replay, request, server_tools=[execution])
    assert body["tools"] == [
        {**offered.schema("anthropic"), "allowed_callers": ["code_execution_20250825"]},
        execution,
    ]


async def test_programmatic_call_runs_like_any_call_and_keeps_its_container(
    replay: Replay,
) -> None:
    """The recorded program's call is a call; the reply's container is kept with the turn."""
    response_body = pairs(PROGRAMMATIC)[0]["response"]["body"]
    replay.queue_json(response_body)
    response = await provider(replay).complete(ModelRequest([UserMessage("Weather?")]))
    assert [(c.id, c.name) for c in response.turn.tool_calls] == [
        ("toolu_011MDRpaZRMRRjtFkJizD6nS", "get_weather")
    ]
    assert response.turn.provider_state["anthropic-container"] == response_body["container"]["id"]


async def test_programmatic_turn_next_request_is_the_recorded_one(replay: Replay) -> None:
    """The next request after a program's call is the SDK's recorded one: blocks and container."""
    first, second = pairs(PROGRAMMATIC)[:2]
    recorded_next = second["request"]["body"]
    recorded_tool = recorded_next["tools"][0]
    offered = Tool.from_schema(
        recorded_tool["name"],
        recorded_tool["description"],
        recorded_tool["input_schema"],
        allowed_callers=["program"],
    )
    result = recorded_next["messages"][2]["content"][0]
    conversation: list[Message] = [
        UserMessage(recorded_next["messages"][0]["content"]),
        turn_of(first["response"]["body"]),
        ToolResult(result["tool_use_id"], "get_weather", result["content"]),
    ]
    body = await sent(
        replay,
        ModelRequest(conversation, [offered]),
        max_tokens=recorded_next["max_tokens"],
    )
    assert {**body, "model": recorded_next["model"]} == recorded_next


# Server tools and their blocks


async def test_server_tools_are_passed_through_as_given(replay: Replay) -> None:
    """A server tool goes into tools as given: the recorded web search request."""
    recorded_request = pairs(WEB_SEARCH)[0]["request"]["body"]
    body = await sent(
        replay,
        ModelRequest([UserMessage(recorded_request["messages"][0]["content"])]),
        server_tools=recorded_request["tools"],
        max_tokens=recorded_request["max_tokens"],
    )
    assert {**body, "model": recorded_request["model"]} == recorded_request


def test_server_tool_of_no_known_shape_is_refused_naming_it() -> None:
    """A server tool the SDK's tool types do not describe is a configuration error."""
    with pytest.raises(ConfigurationError, match=r"server_tools\[0\] is not a valid"):
        AnthropicProvider(MODEL, api_key="k", server_tools=[{"type": "web_search_20250305"}])


def test_function_tool_given_as_a_server_tool_is_refused() -> None:
    """A function tool belongs in the toolbox, where its calls are validated and run."""
    with pytest.raises(ConfigurationError, match="register it in the toolbox"):
        AnthropicProvider(
            MODEL, api_key="k", server_tools=[{"name": "f", "input_schema": {"type": "object"}}]
        )


async def test_code_execution_blocks_are_kept_and_never_calls(replay: Replay) -> None:
    """Code execution's server_tool_use and result blocks stay in the turn; none is a call."""
    body = recorded("vercel-anthropic-code-execution-20250825.1.json")
    replay.queue_json(body)
    response = await provider(replay).complete(ModelRequest([UserMessage("Fibonacci?")]))
    assert response.turn.tool_calls == ()
    assert response.turn.provider_state["anthropic"] == without_nulls(body["content"])
    assert response.stop_reason == "answer"


async def test_reply_that_ran_code_sends_its_container_next(replay: Replay) -> None:
    """The container of the reply that ran code is the next request's container."""
    body = recorded("vercel-anthropic-code-execution-20250825.1.json")
    conversation: list[Message] = [UserMessage("Fibonacci?"), turn_of(body), UserMessage("More.")]
    next_body = await sent(replay, ModelRequest(conversation))
    assert next_body["container"] == body["container"]["id"]


async def test_mcp_connector_blocks_are_kept_and_never_calls(replay: Replay) -> None:
    """mcp_tool_use and mcp_tool_result (no type in this SDK's Message) stay in the turn."""
    body = recorded("vercel-anthropic-mcp.1.json")
    replay.queue_json(body)
    response = await provider(replay).complete(ModelRequest([UserMessage("Echo hello world")]))
    assert response.turn.tool_calls == ()
    assert response.turn.provider_state["anthropic"] == without_nulls(body["content"])
    assert response.turn.text == body["content"][2]["text"]


async def test_mcp_blocks_are_sent_back_exactly_with_the_connector_beta(replay: Replay) -> None:
    """The MCP blocks go back as they came, with the beta header their types need."""
    body = recorded("vercel-anthropic-mcp.1.json")
    conversation: list[Message] = [
        UserMessage("Echo hello world"),
        turn_of(body),
        UserMessage("Again."),
    ]
    replay.queue_json(answer())
    await provider(replay).complete(ModelRequest(conversation))
    sent_body = replay.bodies[-1]
    assert sent_body["messages"][1]["content"] == without_nulls(body["content"])
    assert replay.requests[-1].headers["anthropic-beta"] == "mcp-client-2025-11-20"
    assert_sdk_accepts(sent_body, BetaCreateParams)
    assert sdk_problems(sent_body, MessageCreateParamsNonStreaming)  # beta-only blocks


async def test_mcp_servers_are_sent_with_a_toolset_each_and_the_beta(replay: Replay) -> None:
    """mcp_servers go in the body, an mcp_toolset tool each, with the connector's beta."""
    server = {"type": "url", "url": "https://mcp.example.com/sse", "name": "echo"}
    body = await sent(replay, ModelRequest([UserMessage("Echo hi")]), mcp_servers=[server])
    assert body["mcp_servers"] == [server]
    assert body["tools"] == [{"type": "mcp_toolset", "mcp_server_name": "echo"}]
    assert replay.requests[-1].headers["anthropic-beta"] == "mcp-client-2025-11-20"


def test_mcp_server_of_the_wrong_shape_is_refused() -> None:
    """An MCP server without its url is a configuration error naming it."""
    with pytest.raises(ConfigurationError, match=r"mcp_servers\[0\]"):
        AnthropicProvider(MODEL, api_key="k", mcp_servers=[{"type": "url", "name": "echo"}])


@pytest.mark.parametrize(
    "name",
    [
        "vercel-anthropic-tool-search-bm25.1.json",
        "vercel-anthropic-code-execution-20250825.1.json",
        "vercel-anthropic-mcp.1.json",
    ],
)
def test_turn_with_server_blocks_continues_on_openai_without_them(name: str) -> None:
    """On another provider a turn is its text and calls: server blocks and container stay behind."""
    from switchboard.providers.openai_responses import render_request as responses_request

    turn = turn_of(recorded(name))
    results = [ToolResult(call.id, call.name, "ok") for call in turn.tool_calls]
    conversation: list[Message] = [UserMessage("hi"), turn, *results]
    items = responses_request(ModelRequest(conversation, [get_weather]), "gpt-5")["input"][1:]
    expected: list[dict[str, Any]] = [{"role": "assistant", "content": turn.text}]
    expected += [
        {
            "type": "function_call",
            "call_id": c.id,
            "name": c.name,
            "arguments": json.dumps(c.arguments, separators=(",", ":")),
        }
        for c in turn.tool_calls
    ]
    expected += [
        {"type": "function_call_output", "call_id": r.call_id, "output": "ok"} for r in results
    ]
    assert items == expected


# Allowed tools (no Anthropic form: only the allowed tools are offered)


async def test_allowed_tools_offer_only_the_allowed_tools(replay: Replay) -> None:
    """AllowedTools sends only the tools it allows, with tool_choice auto left to the API."""
    request = ModelRequest([UserMessage("hi")], [get_weather, get_time], AllowedTools(["get_time"]))
    body = await sent(replay, request)
    assert [t["name"] for t in body["tools"]] == ["get_time"]
    assert "tool_choice" not in body


async def test_required_allowed_tools_force_a_call(replay: Replay) -> None:
    """AllowedTools(required=True) is tool_choice any over the allowed tools."""
    choice = AllowedTools(["get_time"], required=True)
    body = await sent(replay, ModelRequest([UserMessage("hi")], [get_weather, get_time], choice))
    assert body["tool_choice"] == {"type": "any"}


async def test_allowed_tools_keep_the_tools_search_loaded(replay: Replay) -> None:
    """A tool the conversation's search loaded stays defined, though not allowed."""
    turn = turn_of(recorded("vercel-anthropic-tool-search-bm25.1.json"))
    conversation: list[Message] = [
        UserMessage("Weather in SF?"),
        turn,
        ToolResult("toolu_01PFQG18bVLaXcEaCxTZtX4G", "get_weather", "62F, fog"),
    ]
    choice = AllowedTools(["get_time"])
    body = await sent(
        replay, ModelRequest(conversation, [get_weather.deferred(), get_time], choice)
    )
    assert [t.get("name") for t in body["tools"]] == [
        "get_weather",
        "get_time",
        "tool_search_tool_bm25",
    ]


def test_allowed_tools_naming_no_offered_tool_raises() -> None:
    """An allowed name the request does not offer is a configuration error naming it."""
    request = ModelRequest([UserMessage("hi")], [get_time], AllowedTools(["get_weather"]))
    with pytest.raises(ConfigurationError, match=r"\['get_weather'\]"):
        render_request(request)


def test_allowed_tools_allowing_nothing_raises() -> None:
    """An AllowedTools choice with no name allows no call: a configuration error saying so."""
    request = ModelRequest([UserMessage("hi")], [get_time], AllowedTools([]))
    with pytest.raises(ConfigurationError, match="allows no tool"):
        render_request(request)


# Streams: server blocks, tool search, fine-grained (eager) tool streaming


async def stream_events(replay: Replay, name: str, **options: Any) -> list[StreamEvent]:
    replay.queue_bytes(recorded_bytes(name, named=True), "text/event-stream")
    request = ModelRequest([UserMessage("hi")], [get_weather])
    events = [event async for event in provider(replay).stream(request, **options)]
    assert_sdk_accepts(replay.bodies[-1], MessageCreateParamsStreaming)
    return events


async def test_streamed_mcp_blocks_are_kept_and_never_calls(replay: Replay) -> None:
    """A streamed mcp_tool_use opens no call; both MCP blocks are kept, the input rebuilt."""
    events = await stream_events(replay, f"{SERVER_TOOLS}/vercel-anthropic-mcp.1.chunks.txt")
    assert not [e for e in events if isinstance(e, ToolCallStart)]
    blocks = turn_end(events).response.turn.provider_state["anthropic"]
    assert [b["type"] for b in blocks] == ["mcp_tool_use", "mcp_tool_result", "text"]
    assert blocks[0]["input"] == {"message": "hello world"}
    assert blocks[1]["content"] == [{"type": "text", "text": "Tool echo: hello world"}]


async def test_streamed_tool_search_reply_calls_the_tool_it_loaded(replay: Replay) -> None:
    """The streamed search (a server tool) is no call; the loaded tool's call is."""
    events = await stream_events(
        replay, "written/anthropic-tool-search-regex-first-message.chunks.txt"
    )
    assert ready_calls(events) == [
        ("toolu_01UmPwkecewaEpMupy2ywk8b", "get_temp_data", {"location": "San Francisco, CA"})
    ]
    blocks = turn_end(events).response.turn.provider_state["anthropic"]
    assert blocks[0]["input"] == {
        "pattern": "weather|SF|San Francisco|forecast|temperature|climate",
        "limit": 10,
    }
    assert blocks[1]["content"]["tool_references"] == [
        {"type": "tool_reference", "tool_name": "get_temp_data"}
    ]


async def test_eager_streamed_arguments_arrive_as_partial_arguments(replay: Replay) -> None:
    """Fine-grained streaming's long unbuffered chunks go through the accumulator as they come."""
    events = await stream_events(
        replay, "written/anthropic-fine-grained-tool-streaming.chunks.txt", partial_args=True
    )
    partials = [e.partial_args for e in events if isinstance(e, ToolCallDelta)]
    assert partials[0] == {"filename": "poem.txt", "lines_of_text": [""]}
    [(_, name, arguments)] = ready_calls(events)
    assert name == "make_file"
    assert partials[-1] == arguments
    assert len(arguments["lines_of_text"]) == 3


async def test_streamed_container_is_kept_with_the_turn(replay: Replay) -> None:
    """A container the final message_delta names is kept with the streamed turn."""
    lines = [
        json.dumps(
            {
                "type": "message_start",
                "message": {**answer(), "content": [], "stop_reason": None},
            }
        ),
        json.dumps(
            {
                "type": "message_delta",
                "delta": {
                    "stop_reason": "end_turn",
                    "stop_sequence": None,
                    "container": {"id": "container_1", "expires_at": "2026-01-01T00:00:00Z"},
                },
                "usage": {"output_tokens": 3},
            }
        ),
        json.dumps({"type": "message_stop"}),
    ]
    replay.queue_bytes(sse_lines(lines, named=True), "text/event-stream")
    request = ModelRequest([UserMessage("hi")])
    events = [event async for event in provider(replay).stream(request)]
    assert turn_end(events).response.turn.provider_state["anthropic-container"] == "container_1"


def test_a_call_of_another_provider_is_still_sent_as_tool_use() -> None:
    """A turn with no Anthropic blocks (another provider's) is rebuilt as tool_use blocks."""
    from switchboard.providers.anthropic import render_messages

    turn = AssistantTurn(tool_calls=(ToolCall("c1", "get_time", '{"zone": "UTC"}'),))
    rendered = render_messages([UserMessage("hi"), turn, ToolResult("c1", "get_time", "12:00")])
    assert rendered[1]["content"] == [
        {"type": "tool_use", "id": "c1", "name": "get_time", "input": {"zone": "UTC"}}
    ]


# The loop, with the provider searching (Router(native=True))


async def test_agent_with_native_router_runs_the_call_the_providers_search_found(
    replay: Replay,
) -> None:
    """The call of a tool the provider's search loaded runs; the next request keeps the search."""
    from switchboard import Agent, Toolbox
    from switchboard.routing import Router

    search_reply = recorded("vercel-anthropic-tool-search-bm25.1.json")
    replay.queue_json(search_reply)
    replay.queue_json(answer())
    agent = Agent(
        provider(replay), tools=Toolbox([get_weather, get_time]), router=Router(native=True)
    )
    result = await agent.run("Weather in SF?")
    assert [(r.name, r.content, r.is_error) for r in result.steps[0].results] == [
        ("get_weather", "sunny", False)
    ]
    second = replay.bodies[1]
    assert_sdk_accepts(second, MessageCreateParamsNonStreaming)
    assert [(t.get("name"), t.get("defer_loading")) for t in second["tools"]] == [
        ("get_weather", True),
        ("get_time", True),
        ("tool_search_tool_bm25", None),
    ]
    assert second["messages"][1]["content"] == without_nulls(search_reply["content"])
