import base64
import json
from typing import Any, Literal

import httpx
import pytest
from google.genai import types

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
    StopReason,
    SystemMessage,
    ToolCall,
    ToolResult,
    Usage,
    UserMessage,
)
from switchboard.providers.base import AllowedTools, ModelRequest, ModelSettings, ToolChoice
from switchboard.providers.gemini import (
    SYNTHETIC_ID_PREFIX,
    GeminiProvider,
    parse_response,
    render_request,
)
from switchboard.retry import RetryPolicy
from switchboard.tools.tool import tool

from .conftest import Replay, fixture_path

pytestmark = pytest.mark.anyio

RECORDED = {
    name: json.loads(fixture_path(f"gemini/{name}.json").read_text())
    for name in ("vercel-google-tool-call", "vercel-google-tool-call-gemini3")
}
MODEL = "gemini-2.5-flash"


@tool
def weather(location: str) -> str:
    """Get the weather at a place.

    Args:
        location: A city name.
    """
    return f"sunny in {location}"


@tool
def get_time(zone: str) -> str:
    """Get the time in a time zone.

    Args:
        zone: An IANA zone name.
    """
    return "12:00"


WEATHER_DECLARATION = {
    "name": "weather",
    "description": "Get the weather at a place.",
    "parameters": {
        "type": "OBJECT",
        "properties": {"location": {"type": "STRING", "description": "A city name."}},
        "required": ["location"],
    },
}
TIME_DECLARATION = {
    "name": "get_time",
    "description": "Get the time in a time zone.",
    "parameters": {
        "type": "OBJECT",
        "properties": {"zone": {"type": "STRING", "description": "An IANA zone name."}},
        "required": ["zone"],
    },
}


def provider(replay: Replay, *, attempts: int = 1) -> GeminiProvider:
    return GeminiProvider(
        MODEL,
        api_key="test-key",
        http_client=replay.client(),
        retry=RetryPolicy(attempts=attempts, base=0.0),
    )


def reply(
    parts: list[dict[str, Any]],
    finish_reason: str = "STOP",
    response_id: str = "resp-1",
) -> dict[str, Any]:
    """A generateContent response body in the shape of the recorded ones."""
    return {
        "candidates": [
            {"content": {"parts": parts, "role": "model"}, "finishReason": finish_reason}
        ],
        "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 2},
        "modelVersion": MODEL,
        "responseId": response_id,
    }


def parsed(body: dict[str, Any]) -> Any:
    return parse_response(types.GenerateContentResponse.model_validate(body))


async def send(replay: Replay, request: ModelRequest) -> dict[str, Any]:
    replay.queue_json(reply([{"text": "ok"}]))
    await provider(replay).complete(request)
    return replay.bodies[-1]


# Parsing the recorded responses


@pytest.mark.parametrize("name", RECORDED)
async def test_recorded_function_call_parses_into_one_call(replay: Replay, name: str) -> None:
    """A recorded function-call response becomes one call with its name and argument dict."""
    replay.queue_json(RECORDED[name])
    response = await provider(replay).complete(ModelRequest([UserMessage("Weather in SF?")]))
    (call,) = response.turn.tool_calls
    assert (call.name, call.arguments) == ("weather", {"location": "San Francisco"})
    assert call.id.startswith(SYNTHETIC_ID_PREFIX)
    assert response.turn.text == ""
    assert response.stop_reason == "tool_calls"
    assert response.model == "gemini-3-pro-preview"


@pytest.mark.parametrize("name", RECORDED)
async def test_recorded_usage_counts_thoughts_as_output(replay: Replay, name: str) -> None:
    """Input is promptTokenCount; output is candidatesTokenCount plus thoughtsTokenCount."""
    replay.queue_json(RECORDED[name])
    response = await provider(replay).complete(ModelRequest([UserMessage("Weather in SF?")]))
    usage = RECORDED[name]["usageMetadata"]
    output = usage["candidatesTokenCount"] + usage["thoughtsTokenCount"]
    assert response.usage == Usage(usage["promptTokenCount"], output, 1)


@pytest.mark.parametrize("name", RECORDED)
async def test_recorded_thought_signature_is_kept_in_provider_state(
    replay: Replay, name: str
) -> None:
    """The turn keeps the raw parts, thought signature included, exactly as the API sent them."""
    replay.queue_json(RECORDED[name])
    response = await provider(replay).complete(ModelRequest([UserMessage("Weather in SF?")]))
    raw_parts = RECORDED[name]["candidates"][0]["content"]["parts"]
    assert response.turn.provider_state == {"gemini": raw_parts}


@pytest.mark.parametrize("name", RECORDED)
async def test_thought_signature_is_resent_with_its_call(replay: Replay, name: str) -> None:
    """The next request sends the model turn's parts back with the same signature bytes."""
    replay.queue_json(RECORDED[name])
    replay.queue_json(reply([{"text": "Sunny."}]))
    gemini = provider(replay)
    first = await gemini.complete(ModelRequest([UserMessage("Weather in SF?")], tools=[weather]))
    (call,) = first.turn.tool_calls
    result = ToolResult(call.id, call.name, "sunny in San Francisco")
    await gemini.complete(
        ModelRequest([UserMessage("Weather in SF?"), first.turn, result], tools=[weather])
    )
    recorded = RECORDED[name]["candidates"][0]["content"]["parts"][0]
    model_turn = replay.bodies[1]["contents"][1]
    (sent,) = model_turn["parts"]
    assert model_turn["role"] == "model"
    assert sent["functionCall"] == recorded["functionCall"]
    # The SDK writes bytes in URL-safe base64; proto JSON accepts either alphabet.
    signature = base64.urlsafe_b64decode(sent["thoughtSignature"])
    assert signature == base64.b64decode(recorded["thoughtSignature"])
    assert replay.bodies[1]["contents"][2] == {
        "role": "user",
        "parts": [
            {
                "functionResponse": {
                    "name": "weather",
                    "response": {"result": "sunny in San Francisco"},
                }
            }
        ],
    }


async def test_url_path_names_the_model_and_key_goes_in_header(replay: Replay) -> None:
    """The request goes to models/<model>:generateContent with the key in x-goog-api-key."""
    await send(replay, ModelRequest([UserMessage("hi")]))
    (request,) = replay.requests
    assert request.url.path.endswith(f"/models/{MODEL}:generateContent")
    assert request.headers["x-goog-api-key"] == "test-key"
    assert "key" not in request.url.params


# Synthesized call ids


def test_identical_calls_in_one_turn_get_different_ids() -> None:
    """Two calls to one function with the same arguments in one turn get distinct ids."""
    call = {"functionCall": {"name": "weather", "args": {"location": "Paris"}}}
    first, second = parsed(reply([call, call])).turn.tool_calls
    assert first.id != second.id
    assert (first.name, first.arguments) == (second.name, second.arguments)


def test_ids_are_stable_when_a_turn_is_parsed_twice() -> None:
    """The same response parsed twice gives the same ids."""
    body = reply(
        [
            {"functionCall": {"name": "weather", "args": {"location": "Paris"}}},
            {"functionCall": {"name": "get_time", "args": {"zone": "Europe/Paris"}}},
        ]
    )
    assert parsed(body).turn.tool_calls == parsed(body).turn.tool_calls


def test_same_call_in_two_responses_gets_different_ids() -> None:
    """One call repeated in a later response (another responseId) gets another id."""
    call = {"functionCall": {"name": "weather", "args": {"location": "Paris"}}}
    (first,) = parsed(reply([call], response_id="a")).turn.tool_calls
    (second,) = parsed(reply([call], response_id="b")).turn.tool_calls
    assert first.id != second.id


def test_provider_call_id_is_kept() -> None:
    """A call that comes with an id keeps it."""
    call = {"functionCall": {"id": "fc-7", "name": "weather", "args": {"location": "Oslo"}}}
    (parsed_call,) = parsed(reply([call])).turn.tool_calls
    assert parsed_call == ToolCall("fc-7", "weather", {"location": "Oslo"})


def test_call_without_args_has_empty_arguments() -> None:
    """A function call with no args parses to an empty argument dict."""
    (call,) = parsed(reply([{"functionCall": {"name": "get_time"}}])).turn.tool_calls
    assert call.arguments == {}


async def test_provider_call_id_is_sent_back_on_call_and_response(replay: Replay) -> None:
    """A call id Gemini gave goes back on the functionCall and on its functionResponse."""
    call = {"functionCall": {"id": "fc-7", "name": "weather", "args": {"location": "Oslo"}}}
    turn = parsed(reply([call])).turn
    body = await send(
        replay,
        ModelRequest([UserMessage("Oslo?"), turn, ToolResult("fc-7", "weather", "rain")]),
    )
    assert body["contents"][1:] == [
        {"role": "model", "parts": [call]},
        {
            "role": "user",
            "parts": [
                {
                    "functionResponse": {
                        "id": "fc-7",
                        "name": "weather",
                        "response": {"result": "rain"},
                    }
                }
            ],
        },
    ]


async def test_synthesized_id_is_not_sent_back(replay: Replay) -> None:
    """An id the adapter made up goes neither on the call nor on its response."""
    turn = parsed(reply([{"functionCall": {"name": "weather", "args": {"location": "Rome"}}}])).turn
    (call,) = turn.tool_calls
    body = await send(
        replay, ModelRequest([UserMessage("Rome?"), turn, ToolResult(call.id, "weather", "hot")])
    )
    assert body["contents"][1:] == [
        {
            "role": "model",
            "parts": [{"functionCall": {"name": "weather", "args": {"location": "Rome"}}}],
        },
        {
            "role": "user",
            "parts": [{"functionResponse": {"name": "weather", "response": {"result": "hot"}}}],
        },
    ]


# Parsing text, stop reasons and blocked prompts


def test_text_parts_are_joined_and_thoughts_skipped() -> None:
    """The turn's text joins the text parts and leaves out thought summaries."""
    body = reply([{"text": "planning...", "thought": True}, {"text": "It is "}, {"text": "sunny."}])
    response = parsed(body)
    assert response.turn.text == "It is sunny."
    assert response.turn.provider_state == {}
    assert response.stop_reason == "answer"


@pytest.mark.parametrize(
    ("finish_reason", "stop_reason"),
    [
        ("STOP", "answer"),
        ("MAX_TOKENS", "length"),
        ("SAFETY", "content_filter"),
        ("RECITATION", "content_filter"),
        ("BLOCKLIST", "content_filter"),
        ("PROHIBITED_CONTENT", "content_filter"),
        ("SPII", "content_filter"),
        ("MALFORMED_FUNCTION_CALL", "error"),
        ("OTHER", "error"),
    ],
)
def test_finish_reason_maps_to_stop_reason(finish_reason: str, stop_reason: StopReason) -> None:
    """Each finish reason maps to the neutral stop reason."""
    assert parsed(reply([{"text": "x"}], finish_reason)).stop_reason == stop_reason


def test_blocked_prompt_is_content_filter() -> None:
    """A response with no candidate and a prompt block reason stops with content_filter."""
    body = {
        "promptFeedback": {"blockReason": "SAFETY"},
        "usageMetadata": {"promptTokenCount": 7},
    }
    response = parsed(body)
    assert response.stop_reason == "content_filter"
    assert response.turn == AssistantTurn()
    assert response.usage == Usage(7, 0, 1)


# Rendering requests

CONVERSATION: list[Message] = [
    SystemMessage("You are terse."),
    UserMessage("Weather and time in Paris?"),
    AssistantTurn(
        text="Checking.",
        tool_calls=(
            ToolCall("fc-1", "weather", '{"location": "Paris"}'),
            ToolCall(f"{SYNTHETIC_ID_PREFIX}abc", "get_time", {"zone": "Europe/Paris"}),
        ),
        provider_state={"anthropic": [{"type": "thinking"}]},
    ),
    ToolResult("fc-1", "weather", "sunny in Paris"),
    ToolResult(f"{SYNTHETIC_ID_PREFIX}abc", "get_time", "bad zone", is_error=True),
]


async def test_conversation_renders_exact_request_body(replay: Replay) -> None:
    """System, user, a model turn with two calls and both results as one user Content."""
    body = await send(replay, ModelRequest(CONVERSATION, tools=[weather, get_time]))
    assert body == {
        "systemInstruction": {"parts": [{"text": "You are terse."}]},
        "contents": [
            {"role": "user", "parts": [{"text": "Weather and time in Paris?"}]},
            {
                "role": "model",
                "parts": [
                    {"text": "Checking."},
                    {
                        "functionCall": {
                            "id": "fc-1",
                            "name": "weather",
                            "args": {"location": "Paris"},
                        }
                    },
                    {"functionCall": {"name": "get_time", "args": {"zone": "Europe/Paris"}}},
                ],
            },
            {
                "role": "user",
                "parts": [
                    {
                        "functionResponse": {
                            "id": "fc-1",
                            "name": "weather",
                            "response": {"result": "sunny in Paris"},
                        }
                    },
                    {
                        "functionResponse": {
                            "name": "get_time",
                            "response": {"error": "bad zone"},
                        }
                    },
                ],
            },
        ],
        "tools": [{"functionDeclarations": [WEATHER_DECLARATION, TIME_DECLARATION]}],
        "toolConfig": {"functionCallingConfig": {"mode": "AUTO"}},
        "generationConfig": {},
    }


@pytest.mark.parametrize(
    ("choice", "config"),
    [
        ("auto", {"mode": "AUTO"}),
        ("none", {"mode": "NONE"}),
        ("required", {"mode": "ANY"}),
        ("get_time", {"mode": "ANY", "allowedFunctionNames": ["get_time"]}),
    ],
)
async def test_tool_choice_renders_function_calling_config(
    replay: Replay, choice: Literal["auto", "none", "required"] | str, config: dict[str, Any]
) -> None:
    """Each tool_choice becomes toolConfig.functionCallingConfig."""
    request = ModelRequest([UserMessage("hi")], tools=[weather, get_time], tool_choice=choice)
    body = await send(replay, request)
    assert body["toolConfig"] == {"functionCallingConfig": config}


async def test_no_tools_sends_no_tools_or_tool_config(replay: Replay) -> None:
    """Without tools the body has neither tools nor toolConfig."""
    body = await send(replay, ModelRequest([UserMessage("hi")], tool_choice="none"))
    assert body == {
        "contents": [{"role": "user", "parts": [{"text": "hi"}]}],
        "generationConfig": {},
    }


async def test_settings_render_generation_config(replay: Replay) -> None:
    """max_tokens, temperature and seed become maxOutputTokens, temperature and seed."""
    settings = ModelSettings(max_tokens=64, temperature=0.2, seed=7)
    body = await send(replay, ModelRequest([UserMessage("hi")], settings=settings))
    assert body["generationConfig"] == {"maxOutputTokens": 64, "temperature": 0.2, "seed": 7}


async def test_strict_asks_for_validated_mode_and_changes_nothing_else(replay: Replay) -> None:
    """strict=True (auto) sends mode VALIDATED (calls held to schemas); nothing else changes."""
    plain = await send(replay, ModelRequest(CONVERSATION, tools=[weather]))
    strict = await send(replay, ModelRequest(CONVERSATION, tools=[weather], strict=True))
    assert strict == {**plain, "toolConfig": {"functionCallingConfig": {"mode": "VALIDATED"}}}
    types.ToolConfig.model_validate(strict["toolConfig"])  # the SDK's own model (extra: forbid)


@pytest.mark.parametrize(
    ("choice", "config"),
    [
        ("required", {"mode": "ANY"}),
        ("get_time", {"mode": "ANY", "allowedFunctionNames": ["get_time"]}),
        ("none", {"mode": "NONE"}),
        (AllowedTools(["get_time"]), {"mode": "VALIDATED", "allowedFunctionNames": ["get_time"]}),
        (
            AllowedTools(["get_time", "weather"], required=True),
            {"mode": "ANY", "allowedFunctionNames": ["get_time", "weather"]},
        ),
    ],
)
async def test_strict_keeps_the_modes_that_hold_calls_to_their_schemas(
    replay: Replay, choice: ToolChoice, config: dict[str, Any]
) -> None:
    """Under strict, ANY (calls required), NONE and allowed names keep their modes."""
    request = ModelRequest(CONVERSATION, tools=[weather, get_time], tool_choice=choice, strict=True)
    body = await send(replay, request)
    assert body["toolConfig"] == {"functionCallingConfig": config}
    types.ToolConfig.model_validate(body["toolConfig"])


@pytest.mark.parametrize(
    ("choice", "config"),
    [
        (AllowedTools(["get_time"]), {"mode": "VALIDATED", "allowedFunctionNames": ["get_time"]}),
        (
            AllowedTools(["get_time"], required=True),
            {"mode": "ANY", "allowedFunctionNames": ["get_time"]},
        ),
    ],
)
async def test_allowed_tools_become_allowed_function_names(
    replay: Replay, choice: AllowedTools, config: dict[str, Any]
) -> None:
    """AllowedTools offers every tool; the allowed ones go in allowedFunctionNames."""
    request = ModelRequest([UserMessage("hi")], tools=[weather, get_time], tool_choice=choice)
    body = await send(replay, request)
    assert [d["name"] for d in body["tools"][0]["functionDeclarations"]] == ["weather", "get_time"]
    assert body["toolConfig"] == {"functionCallingConfig": config}
    types.ToolConfig.model_validate(body["toolConfig"])


def test_parallel_tool_calls_false_raises_configuration_error() -> None:
    """parallel_tool_calls=False has no Gemini form: the error names provider and option."""
    request = ModelRequest([UserMessage("hi")], tools=[weather], parallel_tool_calls=False)
    with pytest.raises(ConfigurationError, match=r"gemini.*parallel_tool_calls=False"):
        render_request(request)


def test_tool_choice_naming_no_offered_tool_raises() -> None:
    """A tool_choice that names no offered tool raises ConfigurationError."""
    with pytest.raises(ConfigurationError, match="names no offered tool"):
        render_request(ModelRequest([UserMessage("hi")], tools=[weather], tool_choice="nope"))


def test_user_message_after_results_is_its_own_content() -> None:
    """Results close their user Content when the next message starts, in conversation order."""
    turn = AssistantTurn(tool_calls=(ToolCall("fc-1", "weather", {"location": "Oslo"}),))
    messages: list[Message] = [turn, ToolResult("fc-1", "weather", "rain"), UserMessage("Thanks")]
    contents = render_request(ModelRequest(messages))["contents"]
    assert [content.role for content in contents] == ["model", "user", "user"]
    assert contents[1].parts is not None
    assert contents[1].parts[0].function_response is not None
    assert contents[2].parts == [types.Part(text="Thanks")]


def test_result_takes_its_name_from_the_matched_call() -> None:
    """A functionResponse carries the name of the call its id matches."""
    turn = AssistantTurn(tool_calls=(ToolCall("fc-1", "weather", {"location": "Oslo"}),))
    arguments = render_request(ModelRequest([turn, ToolResult("fc-1", "", "rain")]))
    (part,) = arguments["contents"][1].parts or []
    assert part.function_response is not None
    assert part.function_response.name == "weather"


def test_unparsable_string_arguments_are_sent_as_text() -> None:
    """Arguments that are not a JSON object are sent as {"invalid_json": text}."""
    turn = AssistantTurn(tool_calls=(ToolCall("c1", "weather", '{"location": '),))
    arguments = render_request(ModelRequest([UserMessage("hi"), turn]))
    (part,) = arguments["contents"][1].parts or []
    assert part.function_call is not None
    assert part.function_call.args == {"invalid_json": '{"location": '}


# Errors, retries and keys


def error_body(status: int, message: str, code: str, **extra: Any) -> dict[str, Any]:
    return {"error": {"code": status, "message": message, "status": code, **extra}}


@pytest.mark.parametrize(
    ("status", "code", "error"),
    [
        (400, "INVALID_ARGUMENT", ProviderRequestError),
        (401, "UNAUTHENTICATED", ProviderAuthError),
        (403, "PERMISSION_DENIED", ProviderAuthError),
        (404, "NOT_FOUND", ProviderRequestError),
        (429, "RESOURCE_EXHAUSTED", ProviderRateLimitError),
        (500, "INTERNAL", ProviderUnavailableError),
        (503, "UNAVAILABLE", ProviderUnavailableError),
    ],
)
async def test_http_error_maps_to_provider_error(
    replay: Replay, status: int, code: str, error: type[ProviderError]
) -> None:
    """Each error status raises its ProviderError subclass with Gemini's message and status."""
    replay.queue_json(error_body(status, "Gemini says no.", code), status=status)
    with pytest.raises(error) as raised:
        await provider(replay).complete(ModelRequest([UserMessage("hi")]))
    assert type(raised.value) is error
    assert (raised.value.provider, raised.value.status_code) == ("gemini", status)
    assert raised.value.message == "Gemini says no."


async def test_rate_limit_reads_retry_after_header(replay: Replay) -> None:
    """A 429's Retry-After header becomes retry_after."""
    body = error_body(429, "slow down", "RESOURCE_EXHAUSTED")
    replay.queue_json(body, status=429, headers={"Retry-After": "7"})
    with pytest.raises(ProviderRateLimitError) as raised:
        await provider(replay).complete(ModelRequest([UserMessage("hi")]))
    assert raised.value.retry_after == 7.0


async def test_rate_limit_reads_retry_info_delay(replay: Replay) -> None:
    """Without a header, a 429's google.rpc.RetryInfo retryDelay becomes retry_after."""
    info = {"@type": "type.googleapis.com/google.rpc.RetryInfo", "retryDelay": "37s"}
    body = error_body(429, "quota", "RESOURCE_EXHAUSTED", details=[info])
    replay.queue_json(body, status=429)
    with pytest.raises(ProviderRateLimitError) as raised:
        await provider(replay).complete(ModelRequest([UserMessage("hi")]))
    assert raised.value.retry_after == 37.0


async def test_sdk_does_not_retry_on_its_own(replay: Replay) -> None:
    """With one try allowed, a 503 is sent once: the SDK's own retries are off."""
    replay.queue_json(error_body(503, "overloaded", "UNAVAILABLE"), status=503)
    with pytest.raises(ProviderUnavailableError):
        await provider(replay).complete(ModelRequest([UserMessage("hi")]))
    assert len(replay.requests) == 1


async def test_transient_error_is_retried_then_succeeds(replay: Replay) -> None:
    """A 503 followed by a reply is retried once and returns the reply."""
    replay.queue_json(error_body(503, "overloaded", "UNAVAILABLE"), status=503)
    replay.queue_json(reply([{"text": "ok"}]))
    response = await provider(replay, attempts=2).complete(ModelRequest([UserMessage("hi")]))
    assert response.turn.text == "ok"
    assert len(replay.requests) == 2


@pytest.mark.parametrize(
    "failure",
    [httpx.ReadTimeout("timed out"), httpx.ConnectError("connection refused")],
    ids=["timeout", "connect"],
)
async def test_transport_failure_is_unavailable(failure: httpx.TransportError) -> None:
    """A timeout or connection failure raises ProviderUnavailableError without a status."""

    def fail(request: httpx.Request) -> httpx.Response:
        raise failure

    client = httpx.AsyncClient(transport=httpx.MockTransport(fail))
    gemini = GeminiProvider(MODEL, api_key="k", http_client=client, retry=RetryPolicy(attempts=1))
    with pytest.raises(ProviderUnavailableError) as raised:
        await gemini.complete(ModelRequest([UserMessage("hi")]))
    assert raised.value.status_code is None
    assert raised.value.__cause__ is failure


def test_missing_key_raises_naming_both_variables(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without a key anywhere, construction raises ConfigurationError naming both variables."""
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="GEMINI_API_KEY") as raised:
        GeminiProvider(MODEL, http_client=Replay().client())
    assert "GOOGLE_API_KEY" in str(raised.value)


@pytest.mark.parametrize(
    ("environment", "sent"),
    [
        ({"GEMINI_API_KEY": "gemini-key"}, "gemini-key"),
        ({"GOOGLE_API_KEY": "google-key"}, "google-key"),
        ({"GEMINI_API_KEY": "gemini-key", "GOOGLE_API_KEY": "google-key"}, "google-key"),
    ],
)
async def test_key_comes_from_environment_in_sdk_order(
    replay: Replay, monkeypatch: pytest.MonkeyPatch, environment: dict[str, str], sent: str
) -> None:
    """The key is read from GOOGLE_API_KEY, then GEMINI_API_KEY, as the SDK does."""
    monkeypatch.delenv("GEMINI_API_KEY", raising=False)
    monkeypatch.delenv("GOOGLE_API_KEY", raising=False)
    for name, value in environment.items():
        monkeypatch.setenv(name, value)
    replay.queue_json(reply([{"text": "ok"}]))
    await GeminiProvider(MODEL, http_client=replay.client()).complete(
        ModelRequest([UserMessage("hi")])
    )
    assert replay.requests[0].headers["x-goog-api-key"] == sent


def test_provider_names_itself_and_its_model() -> None:
    """The provider is named "gemini" and reports the model asked for."""
    gemini = GeminiProvider(MODEL, api_key="k")
    assert (gemini.name, gemini.model) == ("gemini", MODEL)


# A whole response holding a call's streamed pieces (tests/fixtures/written/README.md).

PIECES = json.loads(fixture_path("written/vertex-partial-args-response.json").read_text())
PIECES_WITHOUT_END = json.loads(
    fixture_path("written/vertex-partial-args-response-without-end.json").read_text()
)
ITEMS = {"items": [{"name": "Apples", "count": 3}, {"name": "Pears", "count": 2}]}


def test_whole_response_of_streamed_pieces_is_one_call() -> None:
    """A response whose parts are one call's streamed pieces parses as that one call."""
    parsed = parse_response(types.GenerateContentResponse.model_validate(PIECES))
    assert [(c.name, c.arguments) for c in parsed.turn.tool_calls] == [("add_items", ITEMS)]
    assert parsed.stop_reason == "tool_calls"


async def test_whole_response_of_streamed_pieces_equals_the_stream(replay: Replay) -> None:
    """Served whole over HTTP, the pieces give the call the same pieces streamed give."""
    replay.queue_json(PIECES)
    parsed = await provider(replay).complete(ModelRequest([UserMessage("Add items")]))
    [call] = parsed.turn.tool_calls
    assert (call.name, call.arguments) == ("add_items", ITEMS)
    assert call.id.startswith(SYNTHETIC_ID_PREFIX)


def test_whole_response_with_an_unended_call_runs_nothing() -> None:
    """A response whose streamed call never ended holds no call, and is an error."""
    parsed = parse_response(types.GenerateContentResponse.model_validate(PIECES_WITHOUT_END))
    assert (parsed.turn.tool_calls, parsed.stop_reason) == ((), "error")


def test_stray_piece_after_a_whole_call_is_no_call() -> None:
    """An end piece that follows no streamed call adds no call."""
    parts = [
        {"functionCall": {"name": "weather", "args": {"location": "Oslo"}}},
        {"functionCall": {}},
    ]
    response = {"candidates": [{"content": {"role": "model", "parts": parts}}]}
    parsed = parse_response(types.GenerateContentResponse.model_validate(response))
    assert [(c.name, c.arguments) for c in parsed.turn.tool_calls] == [
        ("weather", {"location": "Oslo"})
    ]


async def test_unended_call_never_runs_in_a_run(replay: Replay) -> None:
    """In ``Agent.run``, a whole reply whose call never ended runs nothing and ends in error."""
    ran: list[object] = []

    @tool
    def add_items(items: list[dict[str, Any]]) -> str:
        """Add items to the list.

        Args:
            items: The items.
        """
        ran.append(items)
        return "added"

    replay.queue_json(PIECES_WITHOUT_END)
    result = await Agent(provider(replay), tools=[add_items]).run("Add apples and pears")
    assert (ran, result.stop_reason) == ([], "error")
