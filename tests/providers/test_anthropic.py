import json
import logging
from typing import Any, Literal

import httpx2
import pytest
from anthropic.types import Message as SDKMessage

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
from switchboard.providers.anthropic import (
    INTERRUPTED,
    AnthropicProvider,
    parse_response,
    render_messages,
    render_request,
    repair_pairing,
)
from switchboard.providers.anthropic.provider import MAX_CONTINUATIONS
from switchboard.providers.base import ModelRequest, ModelSettings
from switchboard.providers.models import resolve_model
from switchboard.retry import RetryPolicy
from switchboard.tools.tool import tool

from .conftest import Replay, fixture_path

pytestmark = pytest.mark.anyio

MODEL = "claude-haiku-4-5"
RECORDINGS = fixture_path(
    "anthropic/tool_runner_recordings/10e53c1d-51be-4c64-b5bf-99adb3fa4719.json"
).parent


def recording(prefix: str) -> list[dict[str, Any]]:
    """The recorded (request, response) pairs of the recording whose name starts so."""
    (path,) = RECORDINGS.glob(f"{prefix}*.json")
    pairs: list[dict[str, Any]] = json.loads(path.read_text())
    return pairs


def response_body(prefix: str, index: int) -> dict[str, Any]:
    body: dict[str, Any] = recording(prefix)[index]["response"]["body"]
    return body


def provider(replay: Replay, *, attempts: int = 1, **options: Any) -> AnthropicProvider:
    return AnthropicProvider(
        MODEL,
        api_key="sk-ant-test",
        http_client=replay.client(),
        retry=RetryPolicy(attempts=attempts, base=0.0),
        **options,
    )


def without_nulls(value: Any) -> Any:
    """``value`` with the null fields of its objects left out, as the SDK dumps its blocks."""
    if isinstance(value, dict):
        return {k: without_nulls(v) for k, v in value.items() if v is not None}
    if isinstance(value, list):
        return [without_nulls(item) for item in value]
    return value


def error_body(kind: str, message: str) -> dict[str, Any]:
    """The Messages API's error shape (https://docs.anthropic.com/en/api/errors)."""
    return {"type": "error", "error": {"type": kind, "message": message}, "request_id": "req_1"}


@tool
def get_weather(location: str, units: Literal["c", "f"]) -> str:
    """Lookup the weather for a given city in either celsius or fahrenheit.

    Args:
        location: The city and state, e.g. San Francisco, CA
        units: Unit for the output, either 'c' for celsius or 'f' for fahrenheit
    """
    return "sunny"


@tool
def get_time(zone: str) -> str:
    """Get the time in a time zone.

    Args:
        zone: An IANA zone name.
    """
    return "12:00"


async def sent_body(replay: Replay, request: ModelRequest, **options: Any) -> dict[str, Any]:
    """The JSON body the SDK sent for ``request``."""
    replay.queue_json(response_body("b38bbf6c", 1))
    await provider(replay, **options).complete(request)
    body: dict[str, Any] = replay.bodies[-1]
    return body


# (recording, index) -> neutral stop reason, the calls' (id, name), input and output tokens
PARSED = {
    ("092be1de", 0): ("tool_calls", [("toolu_011MDRpaZRMRRjtFkJizD6nS", "get_weather")], 3182, 237),
    ("092be1de", 1): ("tool_calls", [("toolu_01RXQDRjwv5Un7n98xFahjo8", "get_weather")], 0, 0),
    ("10e53c1d", 0): ("tool_calls", [("toolu_01A9HHF5Ezy3oBrKmSgfASm9", "get_weather")], 656, 74),
    ("10e53c1d", 1): ("answer", [], 760, 63),
    ("32da0815", 0): ("answer", [], 11306, 163),
    ("64fe7974", 0): ("tool_calls", [("toolu_016xm9m1i3NcGW5xFMMZJTqY", "get_weather")], 656, 74),
    ("64fe7974", 1): ("answer", [], 770, 26),
    ("956fa2fe", 0): (
        "tool_calls",
        [("toolu_01KiHQYXfTgCmpgRfmqgvUL2", "submit_analysis")],
        617,
        995,
    ),
    ("956fa2fe", 1): ("answer", [], 324, 486),
    ("a8ac789b", 0): ("tool_calls", [("toolu_013DU6hV4C1M8dJ32ybQFAFi", "get_weather")], 597, 71),
    ("a8ac789b", 1): ("answer", [], 705, 25),
    ("b38bbf6c", 0): ("tool_calls", [("toolu_011bpynHqFZ9P4u5rSaXsTJQ", "get_weather")], 656, 74),
    ("b38bbf6c", 1): ("answer", [], 770, 25),
    ("e075a6c2", 0): ("tool_calls", [("toolu_01LRanfq6DmHn1yDTB4d1SAh", "get_weather")], 701, 93),
    ("e075a6c2", 1): ("tool_calls", [("toolu_01RWdcDdE8NAFDgZ8F9Xk2K7", "get_weather")], 834, 81),
    ("f59a9391", 0): ("tool_calls", [("toolu_01GHndag5wQmbzNihYmV2UBj", "get_weather")], 659, 74),
}


def test_the_parse_table_holds_every_recorded_non_streaming_response() -> None:
    """Every recorded JSON 200 response is in PARSED, so none goes unparsed."""
    recorded = {
        (path.name[:8], index)
        for path in RECORDINGS.glob("*.json")
        for index, pair in enumerate(json.loads(path.read_text()))
        if pair["response"]["status_code"] == 200 and isinstance(pair["response"]["body"], dict)
    }
    assert recorded == set(PARSED)


@pytest.mark.parametrize(("prefix", "index"), sorted(PARSED))
async def test_every_recorded_response_parses_to_its_neutral_turn(
    replay: Replay, prefix: str, index: int
) -> None:
    """A recorded response served over HTTP parses to its text, calls, blocks, usage and reason."""
    body = response_body(prefix, index)
    stop, calls, input_tokens, output_tokens = PARSED[prefix, index]
    replay.queue_json(body)
    parsed = await provider(replay).complete(ModelRequest([UserMessage("hi")]))
    blocks = body["content"]
    assert parsed.stop_reason == stop
    assert [(call.id, call.name) for call in parsed.turn.tool_calls] == calls
    assert [call.arguments for call in parsed.turn.tool_calls] == [
        block["input"] for block in blocks if block["type"] == "tool_use"
    ]
    assert parsed.turn.text == "".join(b["text"] for b in blocks if b["type"] == "text")
    container = {"anthropic-container": body["container"]["id"]} if body.get("container") else {}
    assert parsed.turn.provider_state == {"anthropic": without_nulls(blocks), **container}
    assert parsed.usage == Usage(input_tokens, output_tokens, 1)
    assert parsed.model == body["model"]


def test_text_split_at_citations_is_joined_into_one_answer() -> None:
    """The web search answer's three text blocks (split at citations) make one text."""
    parsed = parse_response(SDKMessage.model_validate(response_body("32da0815", 0)))
    assert parsed.turn.text == (
        "Today in San Francisco, there are showers with breezy and cool conditions, with a high "
        "of 52°F. Tonight will be cloudy, becoming windier and chilly, with a shower or two this "
        "evening followed by heavy rain late, and watch for flooding on streets and poor drainage "
        "areas with a low of 45°F."
    )
    assert parsed.turn.tool_calls == ()


def test_cache_reads_and_writes_count_as_input_tokens() -> None:
    """cache_read and cache_creation input tokens are added to input_tokens."""
    body = response_body("b38bbf6c", 1)
    body["usage"] |= {"cache_read_input_tokens": 100, "cache_creation_input_tokens": 20}
    assert parse_response(SDKMessage.model_validate(body)).usage == Usage(770 + 120, 25, 1)


@pytest.mark.parametrize(
    ("api_reason", "neutral"),
    [
        ("end_turn", "answer"),
        ("stop_sequence", "answer"),
        ("max_tokens", "length"),
        ("model_context_window_exceeded", "length"),
    ],
)
def test_stop_reasons_map_to_neutral_ones(api_reason: str, neutral: str) -> None:
    """Each Anthropic stop_reason maps to its neutral StopReason."""
    body = response_body("b38bbf6c", 1) | {"stop_reason": api_reason}
    assert parse_response(SDKMessage.model_validate(body)).stop_reason == neutral


def test_refusal_is_content_filter_and_its_calls_are_not_offered_to_run() -> None:
    """A refused reply maps to content_filter; its tool_use is neither a call nor a kept block."""
    body = response_body("b38bbf6c", 0) | {"stop_reason": "refusal"}
    parsed = parse_response(SDKMessage.model_validate(body))
    assert parsed.stop_reason == "content_filter"
    assert parsed.turn.tool_calls == ()
    assert parsed.turn.provider_state == {"anthropic": []}


def paused_body() -> dict[str, Any]:
    """A pause_turn reply, shaped as in the SDK's own test_pause_turn_resumes_runner."""
    return {
        "id": "msg_paused",
        "type": "message",
        "role": "assistant",
        "model": MODEL,
        "content": [
            {"type": "text", "text": "Searching. "},
            {
                "type": "server_tool_use",
                "id": "srvtoolu_paused",
                "name": "web_search",
                "input": {"query": "weather in SF"},
            },
        ],
        "stop_reason": "pause_turn",
        "stop_sequence": None,
        "usage": {"input_tokens": 10, "output_tokens": 5},
    }


async def test_paused_turn_is_sent_back_and_continued_into_one_reply(replay: Replay) -> None:
    """After pause_turn the paused blocks go back as the last message; both parts make one turn."""
    replay.queue_json(paused_body())
    replay.queue_json(response_body("b38bbf6c", 1))
    parsed = await provider(replay).complete(ModelRequest([UserMessage("Weather in SF?")]))
    first, second = replay.bodies
    assert second["messages"] == [
        *first["messages"],
        {"role": "assistant", "content": paused_body()["content"]},
    ]
    final_text = response_body("b38bbf6c", 1)["content"][0]["text"]
    assert parsed.turn.text == "Searching. " + final_text
    assert parsed.turn.provider_state["anthropic"] == [
        *paused_body()["content"],
        *response_body("b38bbf6c", 1)["content"],
    ]
    assert (parsed.stop_reason, parsed.usage) == ("answer", Usage(780, 30, 2))


async def test_turn_still_paused_after_the_continuations_stops_with_length(replay: Replay) -> None:
    """A turn paused MAX_CONTINUATIONS + 1 times comes back unfinished, as length."""
    for _ in range(MAX_CONTINUATIONS + 1):
        replay.queue_json(paused_body())
    parsed = await provider(replay).complete(ModelRequest([UserMessage("Weather in SF?")]))
    assert parsed.stop_reason == "length"
    assert parsed.usage.requests == MAX_CONTINUATIONS + 1


async def test_request_body_is_exactly_the_rendered_conversation(replay: Replay) -> None:
    """The SDK sends the model, max_tokens, system, messages and tool schemas as rendered."""
    request = ModelRequest(
        [SystemMessage("You are terse."), UserMessage("Weather in Paris?")], [get_weather]
    )
    assert await sent_body(replay, request) == {
        "model": MODEL,
        "max_tokens": 4096,
        "system": "You are terse.",
        "messages": [{"role": "user", "content": "Weather in Paris?"}],
        "tools": [get_weather.schema("anthropic")],
    }


async def test_max_tokens_of_the_request_wins_over_the_providers_default(replay: Replay) -> None:
    """settings.max_tokens is sent when set; the constructor's max_tokens otherwise."""
    plain = ModelRequest([UserMessage("hi")])
    assert (await sent_body(replay, plain, max_tokens=1024))["max_tokens"] == 1024
    limited = ModelRequest([UserMessage("hi")], settings=ModelSettings(max_tokens=64))
    assert (await sent_body(replay, limited, max_tokens=1024))["max_tokens"] == 64


async def test_temperature_is_sent_and_seed_is_not(replay: Replay) -> None:
    """The temperature reaches the JSON body; seed, which Anthropic lacks, is left out."""
    request = ModelRequest([UserMessage("hi")], settings=ModelSettings(temperature=0.2, seed=7))
    body = await sent_body(replay, request)
    assert body["temperature"] == 0.2
    assert "seed" not in body


async def test_strict_tools_are_sent_in_anthropic_strict_form(replay: Replay) -> None:
    """strict=True sends each tool's strict Anthropic schema."""
    request = ModelRequest([UserMessage("hi")], [get_weather], strict=True)
    body = await sent_body(replay, request)
    assert body["tools"] == [get_weather.schema("anthropic", strict=True)]
    assert body["tools"][0]["strict"] is True


@pytest.mark.parametrize(
    ("choice", "parallel", "rendered"),
    [
        ("auto", None, None),
        ("auto", True, None),
        ("auto", False, {"type": "auto", "disable_parallel_tool_use": True}),
        ("required", None, {"type": "any"}),
        ("required", False, {"type": "any", "disable_parallel_tool_use": True}),
        ("get_time", None, {"type": "tool", "name": "get_time"}),
        (
            "get_time",
            False,
            {"type": "tool", "name": "get_time", "disable_parallel_tool_use": True},
        ),
        ("none", None, {"type": "none"}),
        ("none", False, {"type": "none"}),
    ],
)
async def test_tool_choice_renders_as_anthropic_expects(
    replay: Replay, choice: str, parallel: bool | None, rendered: dict[str, Any] | None
) -> None:
    """tool_choice and parallel_tool_calls become Anthropic's tool_choice (absent when default)."""
    request = ModelRequest(
        [UserMessage("hi")], [get_weather, get_time], choice, parallel_tool_calls=parallel
    )
    assert (await sent_body(replay, request)).get("tool_choice") == rendered


def test_tool_choice_naming_no_offered_tool_raises() -> None:
    """A tool_choice naming a tool that is not offered raises ConfigurationError before sending."""
    with pytest.raises(ConfigurationError, match="get_time"):
        render_request(ModelRequest([UserMessage("hi")], [get_weather], "get_time"))


CALLS = (
    ToolCall("toolu_1", "get_weather", {"location": "Paris", "units": "c"}),
    ToolCall("toolu_2", "get_time", '{"zone": "Europe/Paris"}'),
)


def test_results_of_a_turn_go_in_one_user_message_with_a_block_each() -> None:
    """Consecutive results become one user message of tool_result blocks, in order."""
    rendered = render_messages(
        [
            UserMessage("Weather and time in Paris?"),
            AssistantTurn("Checking.", CALLS),
            ToolResult("toolu_1", "get_weather", "sunny"),
            ToolResult("toolu_2", "get_time", "12:00"),
        ]
    )
    assert rendered == [
        {"role": "user", "content": "Weather and time in Paris?"},
        {
            "role": "assistant",
            "content": [
                {"type": "text", "text": "Checking."},
                {
                    "type": "tool_use",
                    "id": "toolu_1",
                    "name": "get_weather",
                    "input": {"location": "Paris", "units": "c"},
                },
                {
                    "type": "tool_use",
                    "id": "toolu_2",
                    "name": "get_time",
                    "input": {"zone": "Europe/Paris"},
                },
            ],
        },
        {
            "role": "user",
            "content": [
                {"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"},
                {"type": "tool_result", "tool_use_id": "toolu_2", "content": "12:00"},
            ],
        },
    ]


def test_user_message_after_results_joins_their_message_as_text() -> None:
    """A UserMessage right after results is a text block after the tool_result blocks."""
    rendered = render_messages(
        [
            UserMessage("Weather in Paris?"),
            AssistantTurn(tool_calls=CALLS[:1]),
            ToolResult("toolu_1", "get_weather", "sunny"),
            UserMessage("And tomorrow?"),
        ]
    )
    assert rendered[-1] == {
        "role": "user",
        "content": [
            {"type": "tool_result", "tool_use_id": "toolu_1", "content": "sunny"},
            {"type": "text", "text": "And tomorrow?"},
        ],
    }
    assert [message["role"] for message in rendered] == ["user", "assistant", "user"]


def test_error_result_is_flagged_and_a_success_is_not() -> None:
    """is_error: true is sent for an error result only; a success carries no is_error."""
    rendered = render_messages(
        [
            UserMessage("Weather and time?"),
            AssistantTurn(tool_calls=CALLS),
            ToolResult("toolu_1", "get_weather", "sunny"),
            ToolResult("toolu_2", "get_time", "get_time raised ValueError: bad", is_error=True),
        ]
    )
    ok, failed = rendered[-1]["content"]
    assert "is_error" not in ok
    assert failed["is_error"] is True


def test_system_messages_go_to_the_top_level_system_joined() -> None:
    """Every SystemMessage, wherever it is, joins the top-level system; none stays in messages."""
    kwargs = render_request(
        ModelRequest([SystemMessage("Be terse."), UserMessage("hi"), SystemMessage("Use SI.")])
    )
    assert kwargs["system"] == "Be terse.\n\nUse SI."
    assert kwargs["messages"] == [{"role": "user", "content": "hi"}]


def test_unparsable_string_arguments_are_sent_as_empty_input_with_a_warning(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A call whose JSON arguments do not parse is sent with input {} and a warning."""
    turn = AssistantTurn(tool_calls=(ToolCall("toolu_9", "get_time", '{"zone": '),))
    with caplog.at_level(logging.WARNING, logger="switchboard"):
        rendered = render_messages([UserMessage("time?"), turn, ToolResult("toolu_9", "t", "x")])
    assert rendered[1]["content"][0]["input"] == {}
    assert "toolu_9" in caplog.text


def test_kept_blocks_are_resent_verbatim() -> None:
    """provider_state['anthropic'] (thinking and all) is the assistant message's content."""
    blocks = [
        {"type": "thinking", "thinking": "Look it up.", "signature": "sig=="},
        {"type": "tool_use", "id": "toolu_1", "name": "get_weather", "input": {"location": "P"}},
    ]
    turn = AssistantTurn(tool_calls=CALLS[:1], provider_state={"anthropic": blocks})
    rendered = render_messages([UserMessage("hi"), turn, ToolResult("toolu_1", "w", "sunny")])
    assert rendered[1] == {"role": "assistant", "content": blocks}


def test_kept_blocks_that_disagree_with_the_turns_calls_are_rebuilt(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Blocks whose tool_use ids differ from the turn's calls are replaced by the turn's calls."""
    stale = [{"type": "tool_use", "id": "toolu_old", "name": "get_weather", "input": {}}]
    turn = AssistantTurn(tool_calls=CALLS[:1], provider_state={"anthropic": stale})
    with caplog.at_level(logging.WARNING, logger="switchboard"):
        rendered = render_messages([UserMessage("hi"), turn, ToolResult("toolu_1", "w", "sunny")])
    assert [block["id"] for block in rendered[1]["content"]] == ["toolu_1"]
    assert "toolu_old" in caplog.text


def test_programmatic_call_turn_renders_as_the_recorded_next_request() -> None:
    """The parsed code-execution turn (server_tool_use, caller) renders as the SDK resent it."""
    pairs = recording("092be1de")
    turn = parse_response(SDKMessage.model_validate(pairs[0]["response"]["body"])).turn
    recorded = pairs[1]["request"]["body"]["messages"]
    result = recorded[2]["content"][0]
    conversation: list[Message] = [
        UserMessage(recorded[0]["content"]),
        turn,
        ToolResult(result["tool_use_id"], "get_weather", result["content"]),
    ]
    assert render_messages(conversation) == recorded


def test_empty_assistant_turn_is_left_out() -> None:
    """A turn with no text, no calls and no blocks is not sent (the API rejects empty content)."""
    rendered = render_messages([UserMessage("hi"), AssistantTurn(), UserMessage("hello?")])
    assert rendered == [
        {"role": "user", "content": "hi"},
        {"role": "user", "content": "hello?"},
    ]


def test_call_without_result_gets_an_interrupted_error_result(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A call with no result is answered with an is_error 'interrupted' result, logged by id."""
    with caplog.at_level(logging.WARNING, logger="switchboard"):
        repaired = repair_pairing(
            [
                UserMessage("Weather and time?"),
                AssistantTurn(tool_calls=CALLS),
                ToolResult("toolu_1", "get_weather", "sunny"),
                UserMessage("Well?"),
            ]
        )
    assert repaired[2:] == [
        ToolResult("toolu_1", "get_weather", "sunny"),
        ToolResult("toolu_2", "get_time", INTERRUPTED, is_error=True),
        UserMessage("Well?"),
    ]
    assert "toolu_2" in caplog.text


def test_result_without_its_call_is_dropped(caplog: pytest.LogCaptureFixture) -> None:
    """The recorded conversation the API refused (a result with no tool_use) loses that result."""
    (pair,) = [p for p in recording("f59a9391") if p["response"]["status_code"] == 400]
    prompt, orphan = pair["request"]["body"]["messages"]
    result = orphan["content"][0]
    conversation: list[Message] = [
        UserMessage(prompt["content"]),
        ToolResult(result["tool_use_id"], "get_weather", result["content"]),
    ]
    with caplog.at_level(logging.WARNING, logger="switchboard"):
        rendered = render_messages(conversation)
    assert rendered == [prompt]
    assert result["tool_use_id"] in caplog.text


def test_result_answering_no_call_of_its_turn_is_dropped(caplog: pytest.LogCaptureFixture) -> None:
    """A result whose id is not among the calls of the turn before it is dropped, logged by id."""
    with caplog.at_level(logging.WARNING, logger="switchboard"):
        repaired = repair_pairing(
            [
                UserMessage("Weather?"),
                AssistantTurn(tool_calls=CALLS[:1]),
                ToolResult("toolu_1", "get_weather", "sunny"),
                ToolResult("toolu_stray", "get_time", "12:00"),
            ]
        )
    assert repaired[2:] == [ToolResult("toolu_1", "get_weather", "sunny")]
    assert "toolu_stray" in caplog.text


def test_second_result_for_the_same_call_is_dropped() -> None:
    """Only the first result for a call is kept."""
    repaired = repair_pairing(
        [
            UserMessage("Weather?"),
            AssistantTurn(tool_calls=CALLS[:1]),
            ToolResult("toolu_1", "get_weather", "sunny"),
            ToolResult("toolu_1", "get_weather", "rainy"),
        ]
    )
    assert repaired[2:] == [ToolResult("toolu_1", "get_weather", "sunny")]


def test_results_come_out_in_the_order_of_the_calls() -> None:
    """Results given out of order are put in the order of the turn's calls."""
    repaired = repair_pairing(
        [
            UserMessage("Weather and time?"),
            AssistantTurn(tool_calls=CALLS),
            ToolResult("toolu_2", "get_time", "12:00"),
            ToolResult("toolu_1", "get_weather", "sunny"),
        ]
    )
    assert [m.call_id for m in repaired[2:] if isinstance(m, ToolResult)] == ["toolu_1", "toolu_2"]


def test_paired_conversation_is_left_unchanged(caplog: pytest.LogCaptureFixture) -> None:
    """A conversation with every call answered comes back equal, with no warning."""
    conversation: list[Message] = [
        UserMessage("Weather and time?"),
        AssistantTurn(tool_calls=CALLS),
        ToolResult("toolu_1", "get_weather", "sunny"),
        ToolResult("toolu_2", "get_time", "12:00"),
        AssistantTurn("Sunny, noon."),
    ]
    with caplog.at_level(logging.WARNING, logger="switchboard"):
        assert repair_pairing(conversation) == conversation
    assert caplog.text == ""


RECORDED_400 = next(
    p["response"] for p in recording("f59a9391") if p["response"]["status_code"] == 400
)


@pytest.mark.parametrize(
    ("status", "body", "error", "message"),
    [
        (
            400,
            RECORDED_400["body"],
            ProviderRequestError,
            RECORDED_400["body"]["error"]["message"],
        ),
        (
            401,
            error_body("authentication_error", "invalid x-api-key"),
            ProviderAuthError,
            "invalid x-api-key",
        ),
        (
            403,
            error_body("permission_error", "Your API key does not have permission."),
            ProviderAuthError,
            "Your API key does not have permission.",
        ),
        (
            404,
            error_body("not_found_error", "model: claude-nope"),
            ProviderRequestError,
            "model: claude-nope",
        ),
        (
            429,
            error_body("rate_limit_error", "Number of request tokens has exceeded your limit."),
            ProviderRateLimitError,
            "Number of request tokens has exceeded your limit.",
        ),
        (500, error_body("api_error", "Internal server error"), ProviderUnavailableError, None),
        (529, error_body("overloaded_error", "Overloaded"), ProviderUnavailableError, None),
    ],
)
async def test_api_errors_map_to_provider_errors_with_the_apis_message(
    replay: Replay,
    status: int,
    body: dict[str, Any],
    error: type[ProviderError],
    message: str | None,
) -> None:
    """Each HTTP error status raises its ProviderError subclass carrying the API's message."""
    replay.queue_json(body, status=status)
    with pytest.raises(error) as raised:
        await provider(replay).complete(ModelRequest([UserMessage("hi")]))
    assert raised.value.provider == "anthropic"
    assert raised.value.status_code == status
    assert raised.value.message == (message or body["error"]["message"])


async def test_rate_limit_carries_retry_after_from_the_header(replay: Replay) -> None:
    """A 429's retry-after header becomes retry_after in seconds."""
    replay.queue_json(
        error_body("rate_limit_error", "slow down"), status=429, headers={"retry-after": "7"}
    )
    with pytest.raises(ProviderRateLimitError) as raised:
        await provider(replay).complete(ModelRequest([UserMessage("hi")]))
    assert raised.value.retry_after == 7.0


async def test_overloaded_response_is_retried_and_then_answered(replay: Replay) -> None:
    """A 529 overloaded response is retried; the next try's reply is returned."""
    replay.queue_json(error_body("overloaded_error", "Overloaded"), status=529)
    replay.queue_json(response_body("b38bbf6c", 1))
    parsed = await provider(replay, attempts=2).complete(ModelRequest([UserMessage("hi")]))
    assert parsed.stop_reason == "answer"
    assert len(replay.requests) == 2


async def test_bad_request_is_not_retried(replay: Replay) -> None:
    """A 400 is raised at once, without a second try."""
    replay.queue_json(RECORDED_400["body"], status=400)
    with pytest.raises(ProviderRequestError):
        await provider(replay, attempts=3).complete(ModelRequest([UserMessage("hi")]))
    assert len(replay.requests) == 1


async def test_connection_failure_maps_to_provider_unavailable() -> None:
    """A connection that cannot be made raises ProviderUnavailableError without a status."""

    def refuse(request: httpx2.Request) -> httpx2.Response:
        msg = "connection refused"
        raise httpx2.ConnectError(msg, request=request)

    client = httpx2.AsyncClient(transport=httpx2.MockTransport(refuse))
    anthropic = AnthropicProvider(
        MODEL, api_key="k", http_client=client, retry=RetryPolicy(attempts=1)
    )
    with pytest.raises(ProviderUnavailableError) as raised:
        await anthropic.complete(ModelRequest([UserMessage("hi")]))
    assert raised.value.status_code is None


def test_missing_key_raises_configuration_error_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """With no key given and ANTHROPIC_API_KEY unset, building the provider raises."""
    monkeypatch.delenv("ANTHROPIC_API_KEY", raising=False)
    with pytest.raises(ConfigurationError, match="ANTHROPIC_API_KEY"):
        AnthropicProvider(MODEL)


async def test_key_from_the_environment_is_sent(
    replay: Replay, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The key in ANTHROPIC_API_KEY is the one sent (as a bearer token, since SDK 1.0)."""
    monkeypatch.setenv("ANTHROPIC_API_KEY", "sk-ant-from-env")
    replay.queue_json(response_body("b38bbf6c", 1))
    await AnthropicProvider(MODEL, http_client=replay.client()).complete(
        ModelRequest([UserMessage("hi")])
    )
    assert replay.requests[0].headers["authorization"] == "Bearer sk-ant-from-env"


def test_model_string_resolves_to_the_anthropic_provider() -> None:
    """'anthropic:<model>' builds an AnthropicProvider for that model."""
    resolved = resolve_model("anthropic:claude-sonnet-4-5", api_key="k")
    assert isinstance(resolved, AnthropicProvider)
    assert (resolved.name, resolved.model) == ("anthropic", "claude-sonnet-4-5")
