"""The Responses API adapter, against recorded Responses API bodies served through the SDK."""

from __future__ import annotations

import copy
import json
from typing import Any, Literal

import httpx
import openai
import pytest
from openai.types.responses import Response

from switchboard.errors import (
    ConfigurationError,
    ProviderAuthError,
    ProviderError,
    ProviderRateLimitError,
    ProviderRequestError,
    ProviderUnavailableError,
)
from switchboard.messages import (
    AssistantTurn,
    SystemMessage,
    ToolCall,
    ToolResult,
    Usage,
    UserMessage,
)
from switchboard.providers.base import ModelRequest, ModelSettings
from switchboard.providers.openai_responses import (
    OpenAIResponsesProvider,
    parse_response,
    render_request,
)
from switchboard.retry import RetryPolicy
from switchboard.tools.tool import Tool, tool

from .conftest import Replay, fixture_path

pytestmark = pytest.mark.anyio


EXPECTED: dict[str, Any] = json.loads(fixture_path("EXPECTED.json").read_text())
RECORDED_STREAMS = sorted(name for name in EXPECTED if name.startswith("openai-responses/"))
NO_RETRY = RetryPolicy(attempts=1)


@tool
def get_weather(city: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> str:
    """Get the current weather for a city.

    Args:
        city: City name.
        unit: Temperature unit.
    """
    return f"18 degrees {unit} in {city}"


@tool
def get_time(city: str) -> str:
    """Get the local time in a city."""
    return f"12:00 in {city}"


WEATHER_SCHEMA = {
    "type": "function",
    "name": "get_weather",
    "description": "Get the current weather for a city.",
    "parameters": {
        "type": "object",
        "properties": {
            "city": {"type": "string", "description": "City name."},
            "unit": {
                "type": "string",
                "enum": ["celsius", "fahrenheit"],
                "default": "celsius",
                "description": "Temperature unit.",
            },
        },
        "required": ["city"],
        "additionalProperties": False,
    },
    "strict": False,
}


def completed_responses(name: str) -> list[dict[str, Any]]:
    """The response objects of the ``response.completed`` events of a recorded stream."""
    events = [json.loads(line) for line in fixture_path(name).read_text().splitlines() if line]
    return [event["response"] for event in events if event["type"] == "response.completed"]


def recorded_body(name: str) -> dict[str, Any]:
    """A recorded non-streaming response body."""
    return json.loads(fixture_path(name).read_text())


def provider(
    replay: Replay, model: str = "gpt-4.1-mini", retry: RetryPolicy = NO_RETRY
) -> OpenAIResponsesProvider:
    return OpenAIResponsesProvider(
        model, api_key="sk-test", http_client=replay.client(), retry=retry
    )


def ask(*messages: Any, tools: tuple[Tool, ...] = (), **options: Any) -> ModelRequest:
    return ModelRequest(messages=messages or (UserMessage("Hi"),), tools=tools, **options)


@pytest.mark.parametrize("name", RECORDED_STREAMS)
async def test_recorded_responses_parse_to_the_expected_calls(replay: Replay, name: str) -> None:
    """Each recorded response's function_call items become ToolCalls: call_id, name, raw args."""
    for body in completed_responses(name):
        replay.queue_json(body)
    model = provider(replay)
    calls: list[ToolCall] = []
    for _ in completed_responses(name):
        calls.extend((await model.complete(ask(tools=(get_weather,)))).turn.tool_calls)
    assert [(c.id, c.name, c.arguments) for c in calls] == [
        (e["call_id"], e["name"], e["arguments"]) for e in EXPECTED[name]["tool_calls"]
    ]


async def test_recorded_function_call_stops_for_tool_calls_with_usage(replay: Replay) -> None:
    """A completed response with a function_call: stop reason tool_calls, usage, model, no text."""
    replay.queue_json(
        completed_responses("openai-responses/vercel-azure-tool-call.1.chunks.txt")[0]
    )
    response = await provider(replay).complete(ask(tools=(get_weather,)))
    assert (response.turn.text, response.stop_reason, response.usage, response.model) == (
        "",
        "tool_calls",
        Usage(45, 24, 1),
        "gpt-5.1",
    )


async def test_recorded_text_answer_stops_for_answer(replay: Replay) -> None:
    """A completed response with a message item: its output_text is the turn's text, no calls."""
    replay.queue_json(
        recorded_body("openai-responses/vercel-openai-reasoning-encrypted-content.1.json")
    )
    response = await provider(replay).complete(ask())
    assert (response.turn.text, response.turn.tool_calls, response.stop_reason) == (
        "12 + 7 = 19\n19 \u00d7 3 = 57\n57 \u00d7 10 = 570\n\nFinal result: 570",
        (),
        "answer",
    )
    assert response.usage == Usage(865, 163, 1)


async def test_provider_state_holds_every_output_item_as_sent(replay: Replay) -> None:
    """Reasoning, server tool and function_call items are kept exactly as the API sent them."""
    body = completed_responses("openai-responses/vercel-programmatic-tool-calling.1.chunks.txt")[0]
    replay.queue_json(body)
    response = await provider(replay).complete(ask(tools=(get_weather,)))
    assert response.turn.provider_state == {"openai-responses": body["output"]}


async def test_provider_state_items_are_resent_verbatim(replay: Replay) -> None:
    """The next request sends the turn's raw items (encrypted reasoning included), then results."""
    first, second = completed_responses(
        "openai-responses/vercel-openai-reasoning-encrypted-content.1.chunks.txt"
    )[:2]
    replay.queue_json(first)
    replay.queue_json(second)
    model = provider(replay, model="gpt-5-mini")
    question = UserMessage("What is (12 + 7) * 3 * 10?")
    turn = (await model.complete(ask(question, tools=(get_weather,)))).turn
    result = ToolResult(turn.tool_calls[0].id, "calculator", "19")
    await model.complete(ask(question, turn, result, tools=(get_weather,)))
    assert replay.bodies[1]["input"] == [
        {"role": "user", "content": "What is (12 + 7) * 3 * 10?"},
        *first["output"],
        {
            "type": "function_call_output",
            "call_id": "call_AB6AaRZ1FYZB2RwS6A5vbdqn",
            "output": "19",
        },
    ]


async def test_request_body_for_a_whole_conversation(replay: Replay) -> None:
    """System, user, a turn with text and calls, and results (one failed): the exact body."""
    replay.queue_json(
        completed_responses("openai-responses/vercel-azure-tool-call.1.chunks.txt")[0]
    )
    turn = AssistantTurn(
        text="Let me look.",
        tool_calls=(
            ToolCall("call_1", "get_weather", '{"city": "Tokyo"}'),
            ToolCall("call_2", "get_time", {"city": "Zürich"}),
        ),
    )
    await provider(replay).complete(
        ask(
            SystemMessage("You are terse."),
            SystemMessage("Use tools."),
            UserMessage("Weather in Tokyo, time in Zürich?"),
            turn,
            ToolResult("call_1", "get_weather", "18 degrees"),
            ToolResult("call_2", "get_time", "get_time raised KeyError: 'Zürich'", is_error=True),
            tools=(get_weather,),
        )
    )
    assert replay.bodies == [
        {
            "model": "gpt-4.1-mini",
            "store": False,
            "instructions": "You are terse.\n\nUse tools.",
            "input": [
                {"role": "user", "content": "Weather in Tokyo, time in Zürich?"},
                {"role": "assistant", "content": "Let me look."},
                {
                    "type": "function_call",
                    "call_id": "call_1",
                    "name": "get_weather",
                    "arguments": '{"city": "Tokyo"}',
                },
                {
                    "type": "function_call",
                    "call_id": "call_2",
                    "name": "get_time",
                    "arguments": '{"city":"Zürich"}',
                },
                {"type": "function_call_output", "call_id": "call_1", "output": "18 degrees"},
                {
                    "type": "function_call_output",
                    "call_id": "call_2",
                    "output": "Error: get_time raised KeyError: 'Zürich'",
                },
            ],
            "tools": [WEATHER_SCHEMA],
            "tool_choice": "auto",
        }
    ]


def test_turn_of_another_provider_is_rendered_from_its_text_and_calls() -> None:
    """Another provider's state is ignored: the turn goes out as its text and calls."""
    turn = AssistantTurn(
        tool_calls=(ToolCall("toolu_1", "get_time", {"city": "Oslo"}),),
        provider_state={"anthropic": [{"type": "thinking", "thinking": "..."}]},
    )
    assert render_request(ask(turn), "gpt-4.1")["input"] == [
        {
            "type": "function_call",
            "call_id": "toolu_1",
            "name": "get_time",
            "arguments": '{"city":"Oslo"}',
        }
    ]


def test_reasoning_item_without_encrypted_content_is_not_resent() -> None:
    """A stored-only reasoning item cannot be resolved with store=False, so it is dropped."""
    call = {
        "type": "function_call",
        "id": "fc_1",
        "status": "completed",
        "call_id": "c1",
        "name": "get_time",
        "arguments": "{}",
    }
    turn = AssistantTurn(
        tool_calls=(ToolCall("c1", "get_time", "{}"),),
        provider_state={
            "openai-responses": [{"type": "reasoning", "id": "rs_1", "summary": []}, call]
        },
    )
    assert render_request(ask(turn), "gpt-5")["input"] == [call]


@pytest.mark.parametrize(
    ("choice", "sent"),
    [
        ("auto", "auto"),
        ("none", "none"),
        ("required", "required"),
        ("get_time", {"type": "function", "name": "get_time"}),
    ],
)
async def test_tool_choice_is_sent_in_the_responses_form(
    replay: Replay, choice: str, sent: object
) -> None:
    """auto/none/required go as strings, a tool's name as a function choice."""
    replay.queue_json(
        completed_responses("openai-responses/vercel-azure-tool-call.1.chunks.txt")[0]
    )
    await provider(replay).complete(ask(tools=(get_weather, get_time), tool_choice=choice))
    assert replay.bodies[0]["tool_choice"] == sent


def test_tool_choice_naming_no_offered_tool_raises() -> None:
    """A tool_choice that names no offered tool is a ConfigurationError, not a request."""
    with pytest.raises(ConfigurationError, match="get_time"):
        render_request(ask(tools=(get_weather,), tool_choice="get_time"), "gpt-4.1")


def test_no_tools_sends_no_tool_fields() -> None:
    """Without tools, neither tools, tool_choice nor parallel_tool_calls is sent."""
    kwargs = render_request(ask(parallel_tool_calls=False), "gpt-4.1")
    assert kwargs == {
        "model": "gpt-4.1",
        "input": [{"role": "user", "content": "Hi"}],
        "store": False,
    }


@pytest.mark.parametrize("parallel", [True, False])
def test_parallel_tool_calls_is_sent_when_set(parallel: bool) -> None:
    """parallel_tool_calls goes out as given when tools are offered."""
    kwargs = render_request(ask(tools=(get_weather,), parallel_tool_calls=parallel), "gpt-4.1")
    assert kwargs["parallel_tool_calls"] is parallel


def test_parallel_tool_calls_default_is_left_to_the_api() -> None:
    """parallel_tool_calls=None sends nothing."""
    assert "parallel_tool_calls" not in render_request(ask(tools=(get_weather,)), "gpt-4.1")


async def test_strict_tools_are_sent_in_strict_form(replay: Replay) -> None:
    """strict=True sends each tool's strict schema with strict: true."""
    replay.queue_json(
        completed_responses("openai-responses/vercel-azure-tool-call.1.chunks.txt")[0]
    )
    await provider(replay).complete(ask(tools=(get_weather,), strict=True))
    assert replay.bodies[0]["tools"] == [
        {
            "type": "function",
            "name": "get_weather",
            "description": "Get the current weather for a city.",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string", "description": "City name."},
                    "unit": {
                        "description": 'Temperature unit. Default: "celsius".',
                        "anyOf": [
                            {"type": "string", "enum": ["celsius", "fahrenheit"]},
                            {"type": "null"},
                        ],
                    },
                },
                "required": ["city", "unit"],
                "additionalProperties": False,
            },
            "strict": True,
        }
    ]


def test_settings_become_max_output_tokens_and_temperature() -> None:
    """max_tokens and temperature are sent; seed is not (the Responses API has none)."""
    settings = ModelSettings(max_tokens=256, temperature=0.2, seed=7)
    kwargs = render_request(ask(settings=settings), "gpt-4.1")
    assert (kwargs["max_output_tokens"], kwargs["temperature"], "seed" in kwargs) == (
        256,
        0.2,
        False,
    )


@pytest.mark.parametrize(
    ("model", "included"),
    [
        ("gpt-5-mini", True),
        ("o4-mini", True),
        ("gpt-5.1-codex-max", True),
        ("gpt-5-chat-latest", False),
        ("gpt-4.1-mini", False),
        ("gpt-4o", False),
    ],
)
def test_encrypted_reasoning_is_asked_of_reasoning_models_only(model: str, included: bool) -> None:
    """include=["reasoning.encrypted_content"] goes to reasoning models, which others refuse."""
    kwargs = render_request(ask(), model)
    assert kwargs.get("include") == (["reasoning.encrypted_content"] if included else None)


def test_encrypted_reasoning_can_be_forced_for_any_model_name() -> None:
    """encrypted_reasoning=True asks for it whatever the model (or deployment) is called."""
    kwargs = render_request(ask(), "my-azure-deployment", encrypted_reasoning=True)
    assert kwargs["include"] == ["reasoning.encrypted_content"]


def with_status(status: str, reason: str | None = None) -> Response:
    """The recorded text answer with another status, built as the SDK builds replies."""
    body = copy.deepcopy(
        recorded_body("openai-responses/vercel-openai-reasoning-encrypted-content.1.json")
    )
    body["status"] = status
    body["incomplete_details"] = {"reason": reason} if reason else None
    return Response.model_construct(**body)


@pytest.mark.parametrize(
    ("status", "reason", "stop"),
    [
        ("incomplete", "max_output_tokens", "length"),
        ("incomplete", "content_filter", "content_filter"),
        ("failed", None, "error"),
    ],
)
def test_stop_reason_follows_status(status: str, reason: str | None, stop: str) -> None:
    """Incomplete for tokens is length, for the filter content_filter; failed is error."""
    assert parse_response(with_status(status, reason)).stop_reason == stop


def test_refusal_part_stops_for_content_filter() -> None:
    """A refusal part's text is the turn's text and the stop reason is content_filter."""
    body = copy.deepcopy(
        recorded_body("openai-responses/vercel-openai-reasoning-encrypted-content.1.json")
    )
    body["output"][1]["content"] = [{"type": "refusal", "refusal": "I can't help with that."}]
    response = parse_response(Response.model_construct(**body))
    assert (response.turn.text, response.stop_reason) == (
        "I can't help with that.",
        "content_filter",
    )


def error_body(message: str, kind: str) -> dict[str, Any]:
    return {"error": {"message": message, "type": kind, "param": None, "code": None}}


@pytest.mark.parametrize(
    ("status", "error"),
    [
        (400, ProviderRequestError),
        (401, ProviderAuthError),
        (403, ProviderAuthError),
        (404, ProviderRequestError),
        (422, ProviderRequestError),
        (500, ProviderUnavailableError),
        (503, ProviderUnavailableError),
    ],
)
async def test_http_errors_map_to_provider_errors(
    replay: Replay, status: int, error: type[ProviderError]
) -> None:
    """Each status becomes its ProviderError, with the API's message, chained to the SDK's."""
    replay.queue_json(error_body("Something is wrong.", "invalid_request_error"), status=status)
    with pytest.raises(error) as raised:
        await provider(replay).complete(ask())
    assert (raised.value.status_code, raised.value.message, raised.value.provider) == (
        status,
        "Something is wrong.",
        "openai-responses",
    )
    assert type(raised.value.__cause__).__module__.startswith("openai")


@pytest.mark.parametrize(
    ("headers", "seconds"),
    [({"retry-after": "7"}, 7.0), ({"retry-after-ms": "1500", "retry-after": "2"}, 1.5)],
)
async def test_rate_limit_carries_retry_after(
    replay: Replay, headers: dict[str, str], seconds: float
) -> None:
    """429 is a ProviderRateLimitError whose retry_after comes from the headers."""
    replay.queue_json(error_body("Rate limit reached.", "requests"), status=429, headers=headers)
    with pytest.raises(ProviderRateLimitError) as raised:
        await provider(replay).complete(ask())
    assert raised.value.retry_after == seconds


async def test_rate_limit_is_retried_after_the_wait_asked(replay: Replay) -> None:
    """A 429 then a success: the request is sent again and the reply returned."""
    replay.queue_json(
        error_body("Rate limit reached.", "requests"), status=429, headers={"retry-after": "0"}
    )
    replay.queue_json(
        completed_responses("openai-responses/vercel-azure-tool-call.1.chunks.txt")[0]
    )
    response = await provider(replay, retry=RetryPolicy(attempts=2)).complete(ask())
    assert (len(replay.requests), response.stop_reason) == (2, "tool_calls")


async def test_bad_request_is_not_retried(replay: Replay) -> None:
    """A 400 is raised at once, whatever the retry policy."""
    replay.queue_json(error_body("Bad input.", "invalid_request_error"), status=400)
    with pytest.raises(ProviderRequestError):
        await provider(replay, retry=RetryPolicy(attempts=4)).complete(ask())
    assert len(replay.requests) == 1


@pytest.mark.parametrize(
    ("failure", "cause"),
    [
        (httpx.ConnectError("connection refused"), openai.APIConnectionError),
        (httpx.ReadTimeout("timed out"), openai.APITimeoutError),
    ],
)
async def test_connection_failures_are_unavailable(
    failure: Exception, cause: type[Exception]
) -> None:
    """A connection error or a timeout is a ProviderUnavailableError, with no status."""

    def fail(request: httpx.Request) -> httpx.Response:
        raise failure

    client = httpx.AsyncClient(transport=httpx.MockTransport(fail))
    model = OpenAIResponsesProvider(
        "gpt-4.1", api_key="sk-test", http_client=client, retry=NO_RETRY
    )
    with pytest.raises(ProviderUnavailableError) as raised:
        await model.complete(ask())
    assert (raised.value.status_code, type(raised.value.__cause__)) == (None, cause)


def test_missing_key_raises_naming_the_variable(
    replay: Replay, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No key and no OPENAI_API_KEY: ConfigurationError naming it, before any request."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY"):
        OpenAIResponsesProvider("gpt-4.1", http_client=replay.client())
    assert replay.requests == []


async def test_key_is_read_from_the_environment(
    replay: Replay, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Without api_key=, OPENAI_API_KEY is sent as the bearer token."""
    monkeypatch.setenv("OPENAI_API_KEY", "sk-from-env")
    replay.queue_json(
        completed_responses("openai-responses/vercel-azure-tool-call.1.chunks.txt")[0]
    )
    await OpenAIResponsesProvider("gpt-4.1", http_client=replay.client()).complete(ask())
    assert replay.requests[0].headers["authorization"] == "Bearer sk-from-env"


async def test_requests_go_to_the_responses_endpoint_of_base_url(replay: Replay) -> None:
    """base_url replaces the API's address; the request is a POST to /responses."""
    replay.queue_json(
        completed_responses("openai-responses/vercel-azure-tool-call.1.chunks.txt")[0]
    )
    model = OpenAIResponsesProvider(
        "gpt-4.1",
        api_key="sk-test",
        base_url="http://localhost:8080/v1",
        http_client=replay.client(),
    )
    await model.complete(ask())
    request = replay.requests[0]
    assert (request.method, str(request.url)) == ("POST", "http://localhost:8080/v1/responses")


def test_name_and_model() -> None:
    """The provider is named openai-responses and reports the model asked for."""
    model = OpenAIResponsesProvider("gpt-5-mini", api_key="sk-test")
    assert (model.name, model.model) == ("openai-responses", "gpt-5-mini")
