"""The Responses API's tool features on the wire.

Tool search with deferred tools and namespaces, ``allowed_tools``, hosted tools passed
through, programmatic tool calling. Requests are checked against the SDK's own request
types (`wire.assert_sdk_accepts`); responses are the recorded ones
(tests/fixtures/openai-responses/), served through the SDK's HTTP layer.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from openai.types.responses.response_create_params import (
    ResponseCreateParamsNonStreaming,
    ResponseCreateParamsStreaming,
)

from switchboard.errors import ConfigurationError
from switchboard.messages import Message, ToolResult, UserMessage
from switchboard.providers.base import AllowedTools, ModelRequest
from switchboard.providers.openai_responses import OpenAIResponsesProvider
from switchboard.retry import RetryPolicy
from switchboard.streaming import StreamEvent, ToolCallCut
from switchboard.tools.tool import Tool

from .conftest import Replay, fixture_path
from .streams import ready_calls, recorded_bytes, turn_end
from .wire import assert_sdk_accepts

pytestmark = pytest.mark.anyio

PROGRAMMATIC = "openai-responses/vercel-programmatic-tool-calling.1"
TOOL_SEARCH = "openai-responses/vercel-openai-tool-search.1"


def recorded(name: str) -> dict[str, Any]:
    body: dict[str, Any] = json.loads(fixture_path(f"{name}.json").read_text())
    return body


def recorded_tools(name: str) -> list[Tool]:
    """The recorded request's function tools, as switchboard tools with their recorded options."""
    tools: list[Tool] = []
    for spec in recorded(name)["tools"]:
        if spec["type"] != "function":
            continue
        callers = ["program" if c == "programmatic" else c for c in spec.get("allowed_callers", [])]
        tools.append(
            Tool.from_schema(
                spec["name"],
                spec["description"],
                spec["parameters"],
                defer_loading=spec.get("defer_loading", False),
                allowed_callers=callers,
            )
        )
    return tools


def provider(replay: Replay, **options: Any) -> OpenAIResponsesProvider:
    return OpenAIResponsesProvider(
        "gpt-5.4",
        api_key="sk-test",
        http_client=replay.client(),
        retry=RetryPolicy(attempts=1),
        **options,
    )


# Programmatic tool calling


async def test_programmatic_call_in_progress_is_a_call_to_run(replay: Replay) -> None:
    """A program's call waits (in_progress) for its output: it is a call to run, not a cut one."""
    replay.queue_json(recorded(PROGRAMMATIC))
    response = await provider(replay).complete(ModelRequest([UserMessage("Stock?")]))
    [call] = response.turn.tool_calls
    assert (call.id, call.name, call.arguments) == (
        "call_rj6LW6NEyodD5YVKeoexoLNz",
        "getInventory",
        '{"sku":"sku_123"}',
    )
    assert response.unfinished_calls() == frozenset()
    assert response.stop_reason == "tool_calls"


async def stream_events(replay: Replay, name: str) -> list[StreamEvent]:
    replay.queue_bytes(recorded_bytes(f"{name}.chunks.txt", named=True), "text/event-stream")
    request = ModelRequest([UserMessage("Stock?")], recorded_tools(name))
    events = [event async for event in provider(replay).stream(request)]
    assert_sdk_accepts(replay.bodies[-1], ResponseCreateParamsStreaming)
    return events


async def test_streamed_programmatic_call_is_ready_and_never_cut(replay: Replay) -> None:
    """The streamed program's call completes; the reply holds it as a call to run."""
    events = await stream_events(replay, PROGRAMMATIC)
    assert [name for _, name, _ in ready_calls(events)] == ["getInventory"]
    assert not [e for e in events if isinstance(e, ToolCallCut)]
    assert turn_end(events).response.unfinished_calls() == frozenset()


async def sent(replay: Replay, request: ModelRequest, **options: Any) -> dict[str, Any]:
    """The body the SDK sent for ``request``, checked against the SDK's request types."""
    replay.queue_json(recorded(TOOL_SEARCH))
    await provider(replay, **options).complete(request)
    body: dict[str, Any] = replay.bodies[-1]
    assert_sdk_accepts(body, ResponseCreateParamsNonStreaming)
    return body


async def test_program_callable_tools_render_as_the_recorded_request(replay: Replay) -> None:
    """allowed_callers ["program"] is "programmatic", and programmatic_tool_calling is added."""
    body = await sent(replay, ModelRequest([UserMessage("Stock?")], recorded_tools(PROGRAMMATIC)))
    recorded_tools_sent = recorded(PROGRAMMATIC)["tools"]
    assert sorted((t["type"], t.get("name"), t.get("allowed_callers")) for t in body["tools"]) == (
        sorted((t["type"], t.get("name"), t.get("allowed_callers")) for t in recorded_tools_sent)
    )


async def test_programmatic_turn_is_resent_with_its_program_and_answered(replay: Replay) -> None:
    """The program item and its call go back as sent, the call answered by its output."""
    replay.queue_json(recorded(PROGRAMMATIC))
    turn = (await provider(replay).complete(ModelRequest([UserMessage("Stock?")]))).turn
    [call] = turn.tool_calls
    conversation: list[Message] = [
        UserMessage("Stock?"),
        turn,
        ToolResult(call.id, call.name, '{"sku":"sku_123","availableUnits":4}'),
    ]
    body = await sent(replay, ModelRequest(conversation, recorded_tools(PROGRAMMATIC)))
    output = recorded(PROGRAMMATIC)["output"]
    assert body["input"][1:] == [
        *output,
        {
            "type": "function_call_output",
            "call_id": call.id,
            "output": '{"sku":"sku_123","availableUnits":4}',
        },
    ]


# Tool search: deferred tools and namespaces


async def test_deferred_tools_render_as_the_recorded_tool_search_request(replay: Replay) -> None:
    """Deferred strict tools and the tool_search tool, as the recorded request sent them."""
    request = ModelRequest([UserMessage("Weather?")], recorded_tools(TOOL_SEARCH), strict=True)
    body = await sent(replay, request)
    recorded_request_tools = [
        {k: v for k, v in tool.items() if v is not None} for tool in recorded(TOOL_SEARCH)["tools"]
    ]
    assert body["tools"] == recorded_request_tools


async def test_tool_search_reply_has_one_call_and_keeps_the_search_items(
    replay: Replay,
) -> None:
    """The server's tool_search_call and its output are no calls; they are resent as sent."""
    replay.queue_json(recorded(TOOL_SEARCH))
    turn = (await provider(replay).complete(ModelRequest([UserMessage("Weather?")]))).turn
    [call] = turn.tool_calls
    assert call.name == "get_weather"
    conversation: list[Message] = [
        UserMessage("Weather?"),
        turn,
        ToolResult(call.id, call.name, "62F"),
    ]
    body = await sent(replay, ModelRequest(conversation, recorded_tools(TOOL_SEARCH)))
    assert [item.get("type") for item in body["input"][1:]] == [
        "tool_search_call",
        "tool_search_output",
        "function_call",
        "function_call_output",
    ]
    assert body["input"][1:4] == recorded(TOOL_SEARCH)["output"]


def _crm_tools() -> list[Tool]:
    schema = {"type": "object", "properties": {"id": {"type": "string"}}, "required": ["id"]}
    return [
        Tool.from_schema(
            "get_customer", "Get a customer.", schema, tags=["crm"], defer_loading=True
        ),
        Tool.from_schema("get_order", "Get an order.", schema, tags=["crm"], defer_loading=True),
        Tool.from_schema("get_weather", "Get the weather.", schema),
    ]


async def test_namespaced_tools_go_inside_their_namespace(replay: Replay) -> None:
    """Tools tagged with a namespace are sent inside it; tool_search comes last."""
    request = ModelRequest([UserMessage("Customer C-1?")], _crm_tools())
    body = await sent(replay, request, namespaces={"crm": "Customer records and orders."})
    customer, order, weather = (tool.schema("openai-responses") for tool in _crm_tools())
    assert body["tools"] == [
        {
            "type": "namespace",
            "name": "crm",
            "description": "Customer records and orders.",
            "tools": [{**customer, "defer_loading": True}, {**order, "defer_loading": True}],
        },
        weather,
        {"type": "tool_search"},
    ]


def test_tool_tagged_with_two_namespaces_raises_naming_them() -> None:
    """A tool belongs to one namespace: two is a configuration error naming both."""
    from switchboard.providers.openai_responses import render_request

    tagged = Tool.from_schema("x", "X.", {"type": "object"}, tags=["crm", "erp"])
    request = ModelRequest([UserMessage("hi")], [tagged])
    with pytest.raises(ConfigurationError, match=r"\['crm', 'erp'\]"):
        render_request(request, "gpt-5.4", namespaces={"crm": "CRM.", "erp": "ERP."})


def test_namespace_without_a_description_is_refused() -> None:
    """The model reads a namespace's description to load it: an empty one is refused."""
    with pytest.raises(ConfigurationError, match="needs a description"):
        OpenAIResponsesProvider("gpt-5.4", api_key="k", namespaces={"crm": " "})


# tool_choice with allowed_tools; hosted tools


@pytest.mark.parametrize(("required", "mode"), [(False, "auto"), (True, "required")])
async def test_allowed_tools_choice_is_sent_as_allowed_tools(
    replay: Replay, required: bool, mode: str
) -> None:
    """AllowedTools offers every tool and allows only some: the allowed_tools tool_choice."""
    tools = _crm_tools()
    choice = AllowedTools(["get_weather"], required=required)
    body = await sent(replay, ModelRequest([UserMessage("hi")], tools, choice))
    assert [t.get("name") for t in body["tools"]] == [
        "get_customer",
        "get_order",
        "get_weather",
        None,
    ]
    assert body["tool_choice"] == {
        "type": "allowed_tools",
        "mode": mode,
        "tools": [{"type": "function", "name": "get_weather"}],
    }


async def test_hosted_tools_are_passed_through_as_given(replay: Replay) -> None:
    """A hosted tool goes into tools beside the function tools, as given."""
    hosted = [{"type": "web_search", "search_context_size": "low"}]
    request = ModelRequest([UserMessage("News?")], _crm_tools()[2:])
    body = await sent(replay, request, server_tools=hosted)
    assert body["tools"][1:] == hosted


def test_function_tool_given_as_a_hosted_tool_is_refused() -> None:
    """A function tool belongs in the toolbox, where its calls are validated and run."""
    with pytest.raises(ConfigurationError, match="register it in the toolbox"):
        OpenAIResponsesProvider(
            "gpt-5.4", api_key="k", server_tools=[{"type": "function", "name": "f"}]
        )


def test_hosted_tool_of_no_known_shape_is_refused() -> None:
    """A hosted tool the SDK's tool types do not describe is a configuration error."""
    with pytest.raises(ConfigurationError, match=r"server_tools\[0\] is not a valid"):
        OpenAIResponsesProvider("gpt-5.4", api_key="k", server_tools=[{"type": "web_serch"}])


async def test_hosted_tool_items_are_kept_never_calls_and_resent(replay: Replay) -> None:
    """A web_search_call item is no call; it goes back with the next request as it came."""
    body = json.loads(fixture_path("written/openai-responses-web-search.json").read_text())
    replay.queue_json(body)
    response = await provider(replay).complete(ModelRequest([UserMessage("News?")]))
    assert response.turn.tool_calls == ()
    assert response.stop_reason == "answer"
    conversation: list[Message] = [UserMessage("News?"), response.turn, UserMessage("More?")]
    sent_body = await sent(replay, ModelRequest(conversation))
    assert sent_body["input"][1:3] == body["output"]


@pytest.mark.parametrize("name", [TOOL_SEARCH, PROGRAMMATIC])
async def test_turn_with_server_items_continues_on_anthropic_without_them(
    replay: Replay, name: str
) -> None:
    """On another provider a turn is its text and calls: search and program items stay behind."""
    from switchboard.providers.anthropic import render_messages

    replay.queue_json(recorded(name))
    turn = (await provider(replay).complete(ModelRequest([UserMessage("hi")]))).turn
    results = [ToolResult(call.id, call.name, "ok") for call in turn.tool_calls]
    rendered = render_messages([UserMessage("hi"), turn, *results])
    assert [block["type"] for block in rendered[1]["content"]] == ["tool_use"]
