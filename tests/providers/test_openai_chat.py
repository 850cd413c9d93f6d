import json
from typing import Any, Literal

import httpx
import pytest
from openai.types.chat import ChatCompletion
from openai.types.chat.completion_create_params import CompletionCreateParamsNonStreaming

from switchboard import Agent
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
    Message,
    SystemMessage,
    ToolCall,
    ToolResult,
    Usage,
    UserMessage,
)
from switchboard.providers.base import AllowedTools, ModelRequest, ModelSettings
from switchboard.providers.openai_chat import (
    NO_KEY,
    OpenAIChatProvider,
    parse_response,
    render_request,
)
from switchboard.retry import RetryPolicy
from switchboard.tools.tool import tool

from .conftest import Replay, fixture_path
from .wire import assert_sdk_accepts

pytestmark = pytest.mark.anyio

RECORDED = [
    json.loads(line)
    for line in fixture_path("openai-chat/nonstreaming-recorded.jsonl").read_text().splitlines()
]
BY_TEST = {record["test"]: record["response"] for record in RECORDED}


@tool
def get_weather(city: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> str:
    """Get the current weather for a city.

    Args:
        city: City name, e.g. "Tokyo".
        unit: Temperature unit.
    """
    return f"20 degrees {unit} in {city}"


@tool
def get_time(zone: str) -> str:
    """Get the time in a time zone.

    Args:
        zone: An IANA zone name.
    """
    return "12:00"


CONVERSATION: list[Message] = [
    SystemMessage("You are terse."),
    UserMessage("Weather and time in Paris?"),
    AssistantTurn(
        tool_calls=(
            ToolCall("call_1", "get_weather", '{"city": "Paris"}'),
            ToolCall("call_2", "get_time", {"zone": "Europe/Paris", "note": "é"}),
        ),
        provider_state={"anthropic": [{"type": "thinking"}]},
    ),
    ToolResult("call_1", "get_weather", "20 degrees celsius in Paris"),
    ToolResult("call_2", "get_time", "get_time raised ValueError: bad zone", is_error=True),
]


def provider(
    replay: Replay, *, base_url: str | None = None, attempts: int = 1
) -> OpenAIChatProvider:
    return OpenAIChatProvider(
        "gpt-4o",
        api_key="sk-test",
        base_url=base_url,
        http_client=replay.client(),
        retry=RetryPolicy(attempts=attempts, base=0.0),
    )


def completion(message: dict[str, Any], finish_reason: str = "stop") -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "local",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
    }


async def send(replay: Replay, request: ModelRequest, **options: Any) -> dict[str, Any]:
    replay.queue_json(BY_TEST["test_parse_nothing"])
    await provider(replay, **options).complete(request)
    return replay.bodies[-1]


@pytest.mark.parametrize("record", RECORDED, ids=[record["test"] for record in RECORDED])
async def test_every_recorded_completion_parses(replay: Replay, record: dict[str, Any]) -> None:
    """Each recorded completion, served over HTTP, parses: text, calls, usage, stop reason."""
    response = record["response"]
    replay.queue_json(response)
    parsed = await provider(replay).complete(ModelRequest([UserMessage("hi")]))
    message = response["choices"][0]["message"]
    assert parsed.turn.text == (message["content"] or message["refusal"] or "")
    assert len(parsed.turn.tool_calls) == len(message.get("tool_calls") or ())
    assert bool(parsed.turn.tool_calls) == record["has_tool_calls"]
    usage = response["usage"]
    assert parsed.usage == Usage(usage["prompt_tokens"], usage["completion_tokens"], 1)
    assert parsed.model == "gpt-4o-2024-08-06"
    finish = response["choices"][0]["finish_reason"]
    assert parsed.stop_reason == (
        "content_filter" if message["refusal"] else {"stop": "answer"}.get(finish, finish)
    )


@pytest.mark.parametrize(
    ("test", "calls"),
    [
        (
            "test_parse_pydantic_tool",
            [
                ToolCall(
                    "call_Y6qJ7ofLgOrBnMD5WbVAeiRV",
                    "GetWeatherArgs",
                    '{"city":"Edinburgh","country":"UK","units":"c"}',
                )
            ],
        ),
        (
            "test_parse_multiple_pydantic_tools",
            [
                ToolCall(
                    "call_fdNz3vOBKYgOIpMdWotB9MjY",
                    "GetWeatherArgs",
                    '{"city": "Edinburgh", "country": "GB", "units": "c"}',
                ),
                ToolCall(
                    "call_h1DWI1POMJLb0KwIyQHWXD4p",
                    "get_stock_price",
                    '{"ticker": "AAPL", "exchange": "NASDAQ"}',
                ),
            ],
        ),
        (
            "test_parse_strict_tools",
            [
                ToolCall(
                    "call_CUdUoJpsWWVdxXntucvnol1M",
                    "get_weather",
                    '{"city":"San Francisco","state":"CA"}',
                )
            ],
        ),
        (
            "test_pydantic_tool_model_all_types",
            [
                ToolCall(
                    "call_NKpApJybW1MzOjZO2FzwYw0d",
                    "Query",
                    BY_TEST["test_pydantic_tool_model_all_types"]["choices"][0]["message"][
                        "tool_calls"
                    ][0]["function"]["arguments"],
                )
            ],
        ),
    ],
)
async def test_recorded_tool_calls_parse_exactly(
    replay: Replay, test: str, calls: list[ToolCall]
) -> None:
    """The recorded tool-call completions give their calls verbatim, in order, as tool_calls."""
    replay.queue_json(BY_TEST[test])
    parsed = await provider(replay).complete(ModelRequest([UserMessage("hi")]))
    assert list(parsed.turn.tool_calls) == calls
    assert parsed.turn.text == ""
    assert parsed.stop_reason == "tool_calls"


def test_text_completion_is_an_answer() -> None:
    """A plain text reply with finish_reason stop parses as an answer without calls."""
    parsed = parse_response(ChatCompletion.model_validate(BY_TEST["test_parse_nothing"]))
    assert parsed.stop_reason == "answer"
    assert parsed.turn.text.startswith("I'm unable to provide real-time weather updates.")
    assert parsed.turn.tool_calls == ()


def test_length_finish_is_length() -> None:
    """finish_reason length (max tokens reached) parses as stop_reason length, text kept."""
    parsed = parse_response(ChatCompletion.model_validate(BY_TEST["test_parse_max_tokens_reached"]))
    assert (parsed.stop_reason, parsed.turn.text) == ("length", '{"')


def test_refusal_is_content_filter_with_its_text() -> None:
    """A refusal becomes the turn's text with stop_reason content_filter."""
    parsed = parse_response(
        ChatCompletion.model_validate(BY_TEST["test_parse_pydantic_model_refusal"])
    )
    assert parsed.stop_reason == "content_filter"
    assert parsed.turn.text == "I'm very sorry, but I can't assist with that."


def test_first_of_several_choices_is_parsed() -> None:
    """With n > 1 choices, the first one is the turn."""
    parsed = parse_response(
        ChatCompletion.model_validate(BY_TEST["test_parse_pydantic_model_multiple_choices"])
    )
    assert parsed.turn.text == '{"city":"San Francisco","temperature":64,"units":"f"}'


def test_content_filter_finish_is_content_filter() -> None:
    """finish_reason content_filter parses as stop_reason content_filter."""
    raw = completion({"role": "assistant", "content": ""}, "content_filter")
    assert parse_response(ChatCompletion.model_validate(raw)).stop_reason == "content_filter"


async def test_calls_with_finish_reason_stop_are_tool_calls(replay: Replay) -> None:
    """A server that sends calls with finish_reason stop still yields stop_reason tool_calls."""
    call = {"id": "c1", "type": "function", "function": {"name": "get_time", "arguments": "{}"}}
    replay.queue_json(completion({"role": "assistant", "content": None, "tool_calls": [call]}))
    parsed = await provider(replay).complete(ModelRequest([UserMessage("hi")]))
    assert parsed.stop_reason == "tool_calls"
    assert parsed.turn.tool_calls == (ToolCall("c1", "get_time", "{}"),)


async def test_calls_without_ids_get_stable_distinct_ids(replay: Replay) -> None:
    """Calls sent without an id or type get generated ids: distinct, and the same on a reparse."""
    calls = [
        {"function": {"name": "get_time", "arguments": '{"zone": "UTC"}'}},
        {"id": None, "type": "function", "function": {"name": "get_time", "arguments": ""}},
    ]
    raw = completion({"role": "assistant", "content": None, "tool_calls": calls}, "tool_calls")
    replay.queue_json(raw)
    replay.queue_json(raw)
    first = await provider(replay).complete(ModelRequest([UserMessage("hi")]))
    second = await provider(replay).complete(ModelRequest([UserMessage("hi")]))
    ids = [call.id for call in first.turn.tool_calls]
    assert ids == [call.id for call in second.turn.tool_calls]
    assert len(set(ids)) == 2
    assert all(id.startswith("call_") for id in ids)
    assert [call.arguments for call in first.turn.tool_calls] == ['{"zone": "UTC"}', "{}"]


def test_legacy_function_call_is_a_tool_call() -> None:
    """The deprecated function_call form parses as one call with a generated id."""
    message = {
        "role": "assistant",
        "content": None,
        "function_call": {"name": "get_time", "arguments": '{"zone": "UTC"}'},
    }
    parsed = parse_response(ChatCompletion.model_validate(completion(message, "function_call")))
    assert parsed.stop_reason == "tool_calls"
    [call] = parsed.turn.tool_calls
    assert (call.name, call.arguments) == ("get_time", '{"zone": "UTC"}')
    assert call.id.startswith("call_")


def test_completion_without_choices_is_an_error() -> None:
    """A completion with no choices gives an empty turn and stop_reason error."""
    raw = {**completion({}), "choices": []}
    parsed = parse_response(ChatCompletion.model_validate(raw))
    assert (parsed.stop_reason, parsed.turn) == ("error", AssistantTurn())


async def test_conversation_renders_exact_body(replay: Replay) -> None:
    """System, user, two calls (text and mapping arguments) and results render exactly."""
    request = ModelRequest(
        CONVERSATION,
        tools=[get_weather, get_time],
        settings=ModelSettings(max_tokens=64, temperature=0.0, seed=7),
    )
    body = await send(replay, request)
    assert body == {
        "model": "gpt-4o",
        "messages": [
            {"role": "system", "content": "You are terse."},
            {"role": "user", "content": "Weather and time in Paris?"},
            {
                "role": "assistant",
                "content": "",
                "tool_calls": [
                    {
                        "id": "call_1",
                        "type": "function",
                        "function": {"name": "get_weather", "arguments": '{"city": "Paris"}'},
                    },
                    {
                        "id": "call_2",
                        "type": "function",
                        "function": {
                            "name": "get_time",
                            "arguments": '{"zone":"Europe/Paris","note":"é"}',
                        },
                    },
                ],
            },
            {"role": "tool", "tool_call_id": "call_1", "content": "20 degrees celsius in Paris"},
            {
                "role": "tool",
                "tool_call_id": "call_2",
                "content": "Error: get_time raised ValueError: bad zone",
            },
        ],
        "tools": [
            {
                "type": "function",
                "function": {
                    "name": "get_weather",
                    "description": "Get the current weather for a city.",
                    "parameters": {
                        "type": "object",
                        "properties": {
                            "city": {"type": "string", "description": 'City name, e.g. "Tokyo".'},
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
                },
            },
            {
                "type": "function",
                "function": {
                    "name": "get_time",
                    "description": "Get the time in a time zone.",
                    "parameters": {
                        "type": "object",
                        "properties": {
                            "zone": {"type": "string", "description": "An IANA zone name."}
                        },
                        "required": ["zone"],
                        "additionalProperties": False,
                    },
                },
            },
        ],
        "tool_choice": "auto",
        "max_completion_tokens": 64,
        "temperature": 0.0,
        "seed": 7,
    }


async def test_assistant_text_without_calls_renders_as_content(replay: Replay) -> None:
    """An assistant turn with text and no calls renders as a plain assistant message."""
    body = await send(replay, ModelRequest([UserMessage("hi"), AssistantTurn("hello")]))
    assert body["messages"][1] == {"role": "assistant", "content": "hello"}


async def test_assistant_text_with_calls_keeps_its_text(replay: Replay) -> None:
    """An assistant turn with text and calls sends both."""
    turn = AssistantTurn("Checking.", (ToolCall("c1", "get_time", '{"zone":"UTC"}'),))
    body = await send(replay, ModelRequest([UserMessage("hi"), turn]))
    assert body["messages"][1]["content"] == "Checking."


async def test_error_result_already_saying_error_is_not_prefixed(replay: Replay) -> None:
    """An error result whose content starts with "error" is sent as it is."""
    turn = AssistantTurn(tool_calls=(ToolCall("c1", "get_time", "{}"),))
    result = ToolResult("c1", "get_time", "ERROR: no zone", is_error=True)
    body = await send(replay, ModelRequest([UserMessage("hi"), turn, result]))
    assert body["messages"][2]["content"] == "ERROR: no zone"


@pytest.mark.parametrize(
    ("choice", "sent"),
    [
        ("auto", "auto"),
        ("none", "none"),
        ("required", "required"),
        ("get_time", {"type": "function", "function": {"name": "get_time"}}),
    ],
)
async def test_tool_choice_forms_render(replay: Replay, choice: str, sent: Any) -> None:
    """Each tool_choice form renders as Chat Completions expects it."""
    request = ModelRequest([UserMessage("hi")], tools=[get_weather, get_time], tool_choice=choice)
    assert (await send(replay, request))["tool_choice"] == sent


@pytest.mark.parametrize(("required", "mode"), [(False, "auto"), (True, "required")])
async def test_allowed_tools_render_as_the_allowed_tools_choice(
    replay: Replay, required: bool, mode: str
) -> None:
    """AllowedTools offers every tool and allows some: Chat Completions' allowed_tools choice."""
    choice = AllowedTools(["get_time"], required=required)
    request = ModelRequest([UserMessage("hi")], tools=[get_weather, get_time], tool_choice=choice)
    body = await send(replay, request)
    assert [t["function"]["name"] for t in body["tools"]] == ["get_weather", "get_time"]
    assert body["tool_choice"] == {
        "type": "allowed_tools",
        "allowed_tools": {
            "mode": mode,
            "tools": [{"type": "function", "function": {"name": "get_time"}}],
        },
    }
    assert_sdk_accepts(body, CompletionCreateParamsNonStreaming)


async def test_strict_tools_render_strict_schemas(replay: Replay) -> None:
    """strict=True sends each tool's strict form: strict flag, all required, optional nullable."""
    body = await send(replay, ModelRequest([UserMessage("hi")], tools=[get_weather], strict=True))
    assert body["tools"] == [
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Get the current weather for a city.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "city": {"type": "string", "description": 'City name, e.g. "Tokyo".'},
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
            },
        }
    ]


@pytest.mark.parametrize("parallel", [True, False])
async def test_parallel_tool_calls_sent_when_set(replay: Replay, parallel: bool) -> None:
    """parallel_tool_calls is sent as given when tools are offered."""
    request = ModelRequest([UserMessage("hi")], tools=[get_time], parallel_tool_calls=parallel)
    assert (await send(replay, request))["parallel_tool_calls"] is parallel


async def test_parallel_tool_calls_left_out_by_default(replay: Replay) -> None:
    """parallel_tool_calls=None leaves the field out, for the provider's default."""
    body = await send(replay, ModelRequest([UserMessage("hi")], tools=[get_time]))
    assert "parallel_tool_calls" not in body


async def test_no_tools_sends_no_tool_fields(replay: Replay) -> None:
    """Without tools, no tools, tool_choice or parallel_tool_calls field is sent."""
    request = ModelRequest([UserMessage("hi")], parallel_tool_calls=False)
    assert await send(replay, request) == {
        "model": "gpt-4o",
        "messages": [{"role": "user", "content": "hi"}],
    }


async def test_base_url_server_gets_max_tokens_and_placeholder_key(
    replay: Replay, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A base_url server gets max_tokens, the URL asked for, and a placeholder key."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    replay.queue_json(BY_TEST["test_parse_nothing"])
    local = OpenAIChatProvider(
        "smollm2", base_url="http://127.0.0.1:9/v1", http_client=replay.client()
    )
    await local.complete(ModelRequest([UserMessage("hi")], settings=ModelSettings(max_tokens=8)))
    [sent] = replay.requests
    assert str(sent.url) == "http://127.0.0.1:9/v1/chat/completions"
    assert sent.headers["authorization"] == f"Bearer {NO_KEY}"
    assert replay.bodies[0]["max_tokens"] == 8
    assert "max_completion_tokens" not in replay.bodies[0]


async def test_unknown_tool_choice_raises_before_sending(replay: Replay) -> None:
    """A tool_choice naming no offered tool raises ConfigurationError and sends nothing."""
    request = ModelRequest([UserMessage("hi")], tools=[get_time], tool_choice="get_weather")
    with pytest.raises(ConfigurationError, match="get_weather"):
        await provider(replay).complete(request)
    assert replay.requests == []


def test_render_request_is_pure() -> None:
    """render_request gives the create() arguments without a client, model left to the caller."""
    request = ModelRequest([UserMessage("hi")], settings=ModelSettings(max_tokens=5))
    assert render_request(request, max_tokens_field="max_tokens") == {
        "messages": [{"role": "user", "content": "hi"}],
        "max_tokens": 5,
    }


@pytest.mark.parametrize(
    ("status", "error_type"),
    [
        (400, ProviderRequestError),
        (401, ProviderAuthError),
        (403, ProviderAuthError),
        (404, ProviderRequestError),
        (422, ProviderRequestError),
        (429, ProviderRateLimitError),
        (500, ProviderUnavailableError),
        (503, ProviderUnavailableError),
    ],
)
async def test_error_status_maps_to_provider_error(
    replay: Replay, status: int, error_type: type[ProviderError]
) -> None:
    """Each HTTP error status raises its ProviderError kind with the provider's own message."""
    error = {"message": f"the server said {status}", "type": "invalid_request_error"}
    replay.queue_json({"error": error}, status=status)
    with pytest.raises(error_type) as raised:
        await provider(replay).complete(ModelRequest([UserMessage("hi")]))
    assert type(raised.value) is error_type
    assert raised.value.message == f"the server said {status}"
    assert raised.value.status_code == status
    assert raised.value.provider == "openai"
    assert raised.value.__cause__ is not None


async def test_rate_limit_carries_retry_after_ms(replay: Replay) -> None:
    """A 429's retry-after-ms header (OpenAI's) becomes retry_after in seconds."""
    replay.queue_json({"error": {"message": "slow down"}}, 429, {"retry-after-ms": "1500"})
    with pytest.raises(ProviderRateLimitError) as raised:
        await provider(replay).complete(ModelRequest([UserMessage("hi")]))
    assert raised.value.retry_after == 1.5


async def test_rate_limit_carries_retry_after_seconds(replay: Replay) -> None:
    """A 429's Retry-After header in seconds becomes retry_after."""
    replay.queue_json({"error": {"message": "slow down"}}, 429, {"retry-after": "7"})
    with pytest.raises(ProviderRateLimitError) as raised:
        await provider(replay).complete(ModelRequest([UserMessage("hi")]))
    assert raised.value.retry_after == 7.0


async def test_rate_limit_retry_after_past_date_is_zero(replay: Replay) -> None:
    """A 429's Retry-After given as an HTTP date already past becomes retry_after 0."""
    past = {"retry-after": "Wed, 21 Oct 2015 07:28:00 GMT"}
    replay.queue_json({"error": {"message": "slow down"}}, 429, past)
    with pytest.raises(ProviderRateLimitError) as raised:
        await provider(replay).complete(ModelRequest([UserMessage("hi")]))
    assert raised.value.retry_after == 0.0


def test_missing_usage_counts_as_one_request() -> None:
    """A completion without usage (some compatible servers) gives zero tokens, one request."""
    raw = completion({"role": "assistant", "content": "hi"})
    assert parse_response(ChatCompletion.model_validate(raw)).usage == Usage(0, 0, 1)


async def test_fastapi_detail_is_the_message(replay: Replay) -> None:
    """A compatible server's FastAPI-style {"detail": ...} error body is the message."""
    replay.queue_json({"detail": "Model not found"}, status=404)
    with pytest.raises(ProviderRequestError, match="Model not found"):
        await provider(replay).complete(ModelRequest([UserMessage("hi")]))


async def test_connection_failure_is_unavailable() -> None:
    """A transport failure (no response) raises ProviderUnavailableError without a status."""

    def refuse(request: httpx.Request) -> httpx.Response:
        msg = "connection refused"
        raise httpx.ConnectError(msg, request=request)

    client = httpx.AsyncClient(transport=httpx.MockTransport(refuse))
    refused = OpenAIChatProvider(
        "gpt-4o", api_key="sk-test", http_client=client, retry=RetryPolicy(attempts=1)
    )
    with pytest.raises(ProviderUnavailableError) as raised:
        await refused.complete(ModelRequest([UserMessage("hi")]))
    assert raised.value.status_code is None


# Replies of OpenAI-compatible servers, written from their documented formats
# (tests/fixtures/written/README.md).

MISTRAL = json.loads(fixture_path("written/mistral-parallel-calls-without-index.json").read_text())
DEEPSEEK = json.loads(fixture_path("written/deepseek-thinking-tool-call.json").read_text())
DEEPSEEK_REASONING = DEEPSEEK["choices"][0]["message"]["reasoning_content"]


async def test_calls_without_index_or_type_parse(replay: Replay) -> None:
    """Mistral's whole reply, calls without ``index`` or ``type``, gives both calls in order."""
    replay.queue_json(MISTRAL)
    parsed = await provider(replay).complete(ModelRequest([UserMessage("hi")]))
    assert parsed.turn.tool_calls == (
        ToolCall("D681PevKs", "get_weather", '{"city": "Paris"}'),
        ToolCall("x9Qm2TzLa", "get_weather", '{"city": "Rome"}'),
    )
    assert parsed.stop_reason == "tool_calls"


async def test_whole_arguments_sent_as_an_object_are_json_text(replay: Replay) -> None:
    """Arguments sent as a JSON object (Mistral's ``FunctionCall`` allows it) become JSON text."""
    call = {"id": "c1", "function": {"name": "get_time", "arguments": {"zone": "UTC"}}}
    replay.queue_json(completion({"role": "assistant", "content": None, "tool_calls": [call]}))
    parsed = await provider(replay).complete(ModelRequest([UserMessage("hi")]))
    assert parsed.turn.tool_calls == (ToolCall("c1", "get_time", '{"zone":"UTC"}'),)


async def test_reasoning_content_is_kept_for_the_provider(replay: Replay) -> None:
    """DeepSeek's ``reasoning_content`` is kept in the turn's provider state, not its text."""
    replay.queue_json(DEEPSEEK)
    parsed = await provider(replay).complete(ModelRequest([UserMessage("hi")]))
    assert parsed.turn.provider_state == {"openai": {"reasoning_content": DEEPSEEK_REASONING}}
    assert parsed.turn.text == ""


def test_reasoning_content_renders_back_on_a_turn_with_calls() -> None:
    """A turn with calls and kept reasoning sends ``reasoning_content`` back on its message."""
    turn = AssistantTurn(
        tool_calls=(ToolCall("c1", "get_time", '{"zone": "UTC"}'),),
        provider_state={"openai": {"reasoning_content": "Think."}},
    )
    [message] = render_request(ModelRequest([turn]))["messages"]
    assert message["reasoning_content"] == "Think."


def test_reasoning_content_is_left_out_of_a_turn_without_calls() -> None:
    """A turn without calls sends no ``reasoning_content`` (DeepSeek ignores or refuses it)."""
    turn = AssistantTurn("Noon.", provider_state={"openai": {"reasoning_content": "Think."}})
    [message] = render_request(ModelRequest([turn]))["messages"]
    assert message == {"role": "assistant", "content": "Noon."}


def test_other_providers_state_renders_no_reasoning_content() -> None:
    """Another provider's state on a turn adds nothing to the Chat Completions message."""
    turn = AssistantTurn(
        tool_calls=(ToolCall("c1", "get_time", "{}"),),
        provider_state={"anthropic": [{"type": "thinking", "thinking": "Think."}]},
    )
    [message] = render_request(ModelRequest([turn]))["messages"]
    assert "reasoning_content" not in message


async def test_agent_sends_the_reasoning_of_a_tool_call_turn_back(replay: Replay) -> None:
    """In a run, the request after a DeepSeek tool-call turn carries its reasoning back."""
    replay.queue_json(DEEPSEEK)
    replay.queue_json(completion({"role": "assistant", "content": "Sunny."}))
    result = await Agent(provider(replay), tools=[get_weather]).run("Weather in Hangzhou?")
    assert result.output == "Sunny."
    [assistant] = [m for m in replay.bodies[1]["messages"] if m["role"] == "assistant"]
    assert assistant["reasoning_content"] == DEEPSEEK_REASONING
