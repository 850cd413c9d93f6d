import json
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from switchboard import Agent
from switchboard.messages import ToolCall, UserMessage
from switchboard.providers.base import ModelRequest
from switchboard.providers.openai_chat import OpenAIChatProvider
from switchboard.retry import RetryPolicy
from switchboard.streaming import (
    RunEnd,
    StreamEvent,
    ToolCallDelta,
    ToolCallReady,
    ToolCallStart,
)
from switchboard.tools.tool import tool

from .conftest import Replay
from .streams import (
    cut_calls,
    expected_calls,
    queue_pieces,
    ready_calls,
    recorded_bytes,
    sse_lines,
    stream_fixtures,
    streamed_text,
    turn_end,
)

pytestmark = pytest.mark.anyio

FIXTURES = stream_fixtures("openai-chat")


@tool
def get_weather(city: str) -> str:
    """Get the weather in a city.

    Args:
        city: The city.
    """
    return "sunny"


def provider(replay: Replay) -> OpenAIChatProvider:
    return OpenAIChatProvider(
        "gpt-4o",
        api_key="sk-test",
        http_client=replay.client(),  # pyright: ignore[reportArgumentType]
        retry=RetryPolicy(attempts=1, base=0.0),
    )


REQUEST = ModelRequest([UserMessage("Weather in Paris?")], [get_weather])


async def collect(replay: Replay, **options: Any) -> list[StreamEvent]:
    return [event async for event in provider(replay).stream(REQUEST, **options)]


def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
    """One Chat Completions chunk with one choice."""
    return json.dumps(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "m",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
    )


def call_delta(index: int, call_id: str | None, name: str | None, arguments: str) -> dict[str, Any]:
    function: dict[str, Any] = {"arguments": arguments}
    if name is not None:
        function["name"] = name
    call: dict[str, Any] = {"index": index, "function": function}
    if call_id is not None:
        call["id"] = call_id
    return {"tool_calls": [call]}


@pytest.mark.parametrize("name", FIXTURES)
async def test_recorded_stream_accumulates_to_the_expected_calls(replay: Replay, name: str) -> None:
    """Every recorded stream gives exactly the calls EXPECTED.json lists, in order."""
    replay.queue_bytes(recorded_bytes(name), "text/event-stream")
    events = await collect(replay)
    expected = [(c["id"], c["name"], c["arguments"]) for c in expected_calls(name)]
    assert ready_calls(events) == expected
    assert [(c.id, c.name, c.arguments) for c in turn_end(events).response.turn.tool_calls] == (
        expected
    )


@pytest.mark.parametrize("name", FIXTURES)
async def test_stream_split_at_awkward_points_gives_the_same_events(
    replay: Replay, name: str
) -> None:
    """Delivered 7 bytes at a time, a recorded stream yields the same events."""
    content = recorded_bytes(name)
    replay.queue_bytes(content, "text/event-stream")
    whole = await collect(replay)
    queue_pieces(replay, content, 7)
    assert await collect(replay) == whole


@pytest.mark.parametrize("name", FIXTURES)
async def test_streamed_reply_equals_the_text_of_its_deltas(replay: Replay, name: str) -> None:
    """The reply's text is its text deltas joined."""
    replay.queue_bytes(recorded_bytes(name), "text/event-stream")
    events = await collect(replay)
    text = streamed_text(events)
    assert turn_end(events).response.turn.text == text


async def test_stream_request_asks_for_a_stream_with_usage(replay: Replay) -> None:
    """The body sent is the rendered request plus ``stream`` and ``include_usage``."""
    replay.queue_bytes(recorded_bytes(FIXTURES[0]), "text/event-stream")
    await collect(replay)
    body = replay.bodies[0]
    assert body["stream"] is True
    assert body["stream_options"] == {"include_usage": True}
    assert body["model"] == "gpt-4o"
    assert body["tools"][0]["function"]["name"] == "get_weather"


async def test_recorded_parallel_calls_close_when_the_next_index_starts(replay: Replay) -> None:
    """The first of two calls is ready before the second starts."""
    name = "openai-chat/f82268f2fefd5cfbc7eeb59c297688be2f6ca0849a6e4f17851b517310841d9b.bin"
    replay.queue_bytes(recorded_bytes(name), "text/event-stream")
    events = await collect(replay)
    kinds = [(e.kind, e.id if isinstance(e, ToolCallStart) else "") for e in events]
    first_ready = next(i for i, e in enumerate(events) if isinstance(e, ToolCallReady))
    second_start = [i for i, (kind, _) in enumerate(kinds) if kind == "tool_call_start"][1]
    assert first_ready < second_start


async def test_recorded_usage_comes_from_the_usage_chunk(replay: Replay) -> None:
    """Usage sent in the stream's last chunk is the reply's usage."""
    name = "openai-chat/f82268f2fefd5cfbc7eeb59c297688be2f6ca0849a6e4f17851b517310841d9b.bin"
    replay.queue_bytes(recorded_bytes(name), "text/event-stream")
    end = turn_end(await collect(replay))
    assert end.stop_reason == "tool_calls"
    assert end.usage.requests == 1


async def test_reused_index_with_a_new_id_is_a_new_call(replay: Replay) -> None:
    """Ollama's form: every call at index 0, each with its own id, gives separate calls."""
    lines = [
        chunk(call_delta(0, "a", "get_weather", '{"city": "Paris"}')),
        chunk(call_delta(0, "b", "get_weather", '{"city":')),
        chunk(call_delta(0, None, None, ' "Rome"}')),
        chunk({}, "tool_calls"),
    ]
    replay.queue_bytes(sse_lines(lines, named=False), "text/event-stream")
    events = await collect(replay)
    assert ready_calls(events) == [
        ("a", "get_weather", '{"city": "Paris"}'),
        ("b", "get_weather", '{"city": "Rome"}'),
    ]


async def test_repeated_empty_name_does_not_start_a_call(replay: Replay) -> None:
    """A server that repeats ``name: ""`` on later deltas still gives one call."""
    lines = [
        chunk(call_delta(0, "a", "get_weather", "")),
        chunk(call_delta(0, None, "", '{"city"')),
        chunk(call_delta(0, None, "", ': "Oslo"}')),
        chunk({}, "tool_calls"),
    ]
    replay.queue_bytes(sse_lines(lines, named=False), "text/event-stream")
    assert ready_calls(await collect(replay)) == [("a", "get_weather", '{"city": "Oslo"}')]


async def test_call_without_id_gets_a_stable_made_up_id(replay: Replay) -> None:
    """A server that sends no id gets the same made-up id on every read."""
    lines = [chunk(call_delta(0, None, "get_weather", '{"city": "Oslo"}')), chunk({}, "stop")]
    content = sse_lines(lines, named=False)
    replay.queue_bytes(content, "text/event-stream")
    replay.queue_bytes(content, "text/event-stream")
    [(first, _, _)] = ready_calls(await collect(replay))
    [(second, _, _)] = ready_calls(await collect(replay))
    assert first == second
    assert first.startswith("call_")


async def test_partial_args_grow_as_fragments_arrive(replay: Replay) -> None:
    """With partial_args on, deltas carry the arguments parsed so far."""
    lines = [
        chunk(call_delta(0, "a", "get_weather", '{"city": "Os')),
        chunk(call_delta(0, None, None, 'lo", "days": 3')),
        chunk(call_delta(0, None, None, "}")),
        chunk({}, "tool_calls"),
    ]
    replay.queue_bytes(sse_lines(lines, named=False), "text/event-stream")
    events = await collect(replay, partial_args=True)
    partials = [e.partial_args for e in events if isinstance(e, ToolCallDelta)]
    assert partials == [{"city": "Os"}, {"city": "Oslo", "days": 3}, {"city": "Oslo", "days": 3}]


async def test_partial_args_are_off_by_default(replay: Replay) -> None:
    """Without partial_args, deltas carry only the fragment."""
    lines = [chunk(call_delta(0, "a", "get_weather", '{"city": "Oslo"}')), chunk({}, "stop")]
    replay.queue_bytes(sse_lines(lines, named=False), "text/event-stream")
    events = await collect(replay)
    assert [e.partial_args for e in events if isinstance(e, ToolCallDelta)] == [None]


async def test_call_open_at_the_length_limit_is_cut_not_ready(replay: Replay) -> None:
    """A call still open when the stream stops at max tokens is cut, with its partial args."""
    lines = [
        chunk(call_delta(0, "a", "get_weather", '{"city": "Oslo"}')),
        chunk(call_delta(1, "b", "get_weather", '{"city": "Ber')),
        chunk({}, "length"),
    ]
    replay.queue_bytes(sse_lines(lines, named=False), "text/event-stream")
    events = await collect(replay)
    assert ready_calls(events) == [("a", "get_weather", '{"city": "Oslo"}')]
    [cut] = cut_calls(events)
    assert (cut.call, cut.raw_arguments, cut.reason) == (
        ToolCall("b", "get_weather", {}),
        '{"city": "Ber',
        "length",
    )
    assert turn_end(events).stop_reason == "length"


async def test_stream_that_breaks_off_ends_with_error_and_cuts_the_open_call(
    replay: Replay,
) -> None:
    """Broken (a broken event, no finish reason) after a call is complete: an error turn.

    The complete call may already run, so the reply is not asked for again: the turn ends
    with what arrived, the open call cut.
    """
    lines = [
        chunk(call_delta(0, "a", "get_weather", '{"city": "Oslo"}')),
        chunk(call_delta(1, "b", "get_weather", '{"city": "Os')),
    ]
    content = sse_lines(lines, named=False)
    replay.queue_bytes(content + b"data: {not json\n\n", "text/event-stream")
    events = await collect(replay)
    assert ready_calls(events) == [("a", "get_weather", '{"city": "Oslo"}')]
    assert [c.call.id for c in cut_calls(events)] == ["b"]
    assert turn_end(events).stop_reason == "error"


async def test_malformed_chunk_is_skipped(replay: Replay) -> None:
    """A chunk whose shape the reader cannot use is logged and skipped, not fatal."""
    lines = [
        json.dumps({"id": "x", "object": "chat.completion.chunk", "choices": [{"index": 0}]}),
        chunk(call_delta(0, "a", "get_weather", '{"city": "Oslo"}')),
        chunk({}, "tool_calls"),
    ]
    replay.queue_bytes(sse_lines(lines, named=False), "text/event-stream")
    assert ready_calls(await collect(replay)) == [("a", "get_weather", '{"city": "Oslo"}')]


async def test_connection_reset_mid_call_cuts_the_open_call(replay: Replay) -> None:
    """A connection that drops inside a call, after another is complete: error, the call cut."""
    lines = [
        chunk(call_delta(0, "a", "get_weather", '{"city": "Oslo"}')),
        chunk(call_delta(1, "b", "get_weather", '{"city": "Os')),
    ]
    first = sse_lines(lines, named=False)

    async def body() -> AsyncIterator[bytes]:
        yield first
        reset = "connection reset by peer"
        raise httpx2.ReadError(reset)

    replay.responses.append(
        httpx2.Response(200, content=body(), headers={"content-type": "text/event-stream"})
    )
    events = await collect(replay)
    assert ready_calls(events) == [("a", "get_weather", '{"city": "Oslo"}')]
    assert [(c.call.id, c.raw_arguments) for c in cut_calls(events)] == [("b", '{"city": "Os')]
    assert turn_end(events).stop_reason == "error"


# Streams of OpenAI-compatible servers, written from their documented formats
# (tests/fixtures/written/README.md).

MISTRAL = "written/mistral-call-without-index.chunks.txt"
MISTRAL_PARALLEL = "written/mistral-parallel-calls-without-index.chunks.txt"
DEEPSEEK = "written/deepseek-thinking-tool-call.chunks.txt"
ANSWER = (
    "openai-chat/text-only/173417d553406f034f643e5db3f8d591fb691ebac56f5ae39a22cc7d455c5353.bin"
)
DEEPSEEK_REASONING = (
    "The user asks for the weather in Hangzhou. I should call get_weather with city Hangzhou."
)


def unindexed_call(
    call_id: str | None, name: str | None, arguments: Any, **fields: Any
) -> dict[str, Any]:
    """A delta with one call and no ``index`` (unless given in ``fields``), as Mistral sends."""
    function: dict[str, Any] = {"arguments": arguments}
    if name is not None:
        function["name"] = name
    call: dict[str, Any] = {"function": function, **fields}
    if call_id is not None:
        call["id"] = call_id
    return {"tool_calls": [call]}


async def test_whole_call_without_index_is_ready(replay: Replay) -> None:
    """Mistral's form, a whole call in one chunk with no ``index``, is one ready call."""
    replay.queue_bytes(recorded_bytes(MISTRAL), "text/event-stream")
    events = await collect(replay)
    assert ready_calls(events) == [("D681PevKs", "get_weather", '{"city": "Paris"}')]
    end = turn_end(events)
    assert (end.stop_reason, end.usage.input_tokens) == ("tool_calls", 86)


async def test_calls_without_index_in_one_chunk_are_separate_calls(replay: Replay) -> None:
    """Two whole calls in one chunk, neither with an ``index``, are two calls, in order."""
    replay.queue_bytes(recorded_bytes(MISTRAL_PARALLEL), "text/event-stream")
    events = await collect(replay)
    expected = [
        ("D681PevKs", "get_weather", '{"city": "Paris"}'),
        ("x9Qm2TzLa", "get_weather", '{"city": "Rome"}'),
    ]
    assert ready_calls(events) == expected
    calls = turn_end(events).response.turn.tool_calls
    assert [(c.id, c.name, c.arguments) for c in calls] == expected


async def test_calls_without_index_in_separate_chunks_are_separate_calls(replay: Replay) -> None:
    """Whole calls without ``index`` one chunk each are separate calls, each ready at once."""
    lines = [
        chunk(unindexed_call("a", "get_weather", "{}")),
        chunk(unindexed_call("b", "get_weather", "{}")),
        chunk({}, "tool_calls"),
    ]
    replay.queue_bytes(sse_lines(lines, named=False), "text/event-stream")
    events = await collect(replay)
    assert ready_calls(events) == [("a", "get_weather", "{}"), ("b", "get_weather", "{}")]
    first_ready = next(i for i, e in enumerate(events) if isinstance(e, ToolCallReady))
    second_start = [i for i, e in enumerate(events) if isinstance(e, ToolCallStart)][1]
    assert first_ready < second_start


async def test_fragment_without_index_or_id_continues_the_open_call(replay: Replay) -> None:
    """A later delta with no ``index``, ``id`` or name is the next fragment of the open call."""
    lines = [
        chunk(unindexed_call("a", "get_weather", '{"ci')),
        chunk(unindexed_call(None, None, 'ty": "Oslo"}')),
        chunk({}, "tool_calls"),
    ]
    replay.queue_bytes(sse_lines(lines, named=False), "text/event-stream")
    assert ready_calls(await collect(replay)) == [("a", "get_weather", '{"city": "Oslo"}')]


async def test_arguments_sent_as_an_object_are_json_text(replay: Replay) -> None:
    """Arguments sent as a JSON object (Mistral's ``FunctionCall`` allows it) become JSON text."""
    lines = [chunk(unindexed_call("a", "get_weather", {"city": "Oslo"}, index=0), "tool_calls")]
    replay.queue_bytes(sse_lines(lines, named=False), "text/event-stream")
    assert ready_calls(await collect(replay)) == [("a", "get_weather", '{"city":"Oslo"}')]


@pytest.mark.parametrize("name", [MISTRAL, MISTRAL_PARALLEL, DEEPSEEK])
async def test_written_stream_split_at_awkward_points_gives_the_same_events(
    replay: Replay, name: str
) -> None:
    """Delivered 7 bytes at a time, a written stream yields the same events."""
    content = recorded_bytes(name)
    replay.queue_bytes(content, "text/event-stream")
    whole = await collect(replay)
    queue_pieces(replay, content, 7)
    assert await collect(replay) == whole


async def test_streamed_reasoning_content_is_kept_for_the_provider(replay: Replay) -> None:
    """DeepSeek's streamed ``reasoning_content`` is kept in the turn's provider state."""
    replay.queue_bytes(recorded_bytes(DEEPSEEK), "text/event-stream")
    turn = turn_end(await collect(replay)).response.turn
    assert turn.provider_state == {"openai": {"reasoning_content": DEEPSEEK_REASONING}}


async def test_streamed_reasoning_content_is_not_text(replay: Replay) -> None:
    """The reasoning is neither streamed as text nor part of the reply's text."""
    replay.queue_bytes(recorded_bytes(DEEPSEEK), "text/event-stream")
    events = await collect(replay)
    assert (streamed_text(events), turn_end(events).response.turn.text) == ("", "")
    assert ready_calls(events) == [
        ("call_00_kX2b7aQ3mN9pR4sT", "get_weather", '{"city": "Hangzhou"}')
    ]


async def test_reply_without_reasoning_content_has_no_provider_state(replay: Replay) -> None:
    """A server that sends no ``reasoning_content`` leaves the provider state empty."""
    replay.queue_bytes(recorded_bytes(MISTRAL), "text/event-stream")
    assert turn_end(await collect(replay)).response.turn.provider_state == {}


async def test_run_stream_sends_the_streamed_reasoning_back(replay: Replay) -> None:
    """In a streamed run, the request after a DeepSeek tool-call turn carries its reasoning."""
    replay.queue_bytes(recorded_bytes(DEEPSEEK), "text/event-stream")
    replay.queue_bytes(recorded_bytes(ANSWER), "text/event-stream")
    events = [e async for e in Agent(provider(replay), tools=[get_weather]).run_stream("Go")]
    assert isinstance(events[-1], RunEnd)
    [assistant] = [m for m in replay.bodies[1]["messages"] if m["role"] == "assistant"]
    assert assistant["reasoning_content"] == DEEPSEEK_REASONING


async def test_run_stream_runs_the_calls_sent_without_index(replay: Replay) -> None:
    """In a streamed run, Mistral's two calls without ``index`` each run once."""
    replay.queue_bytes(recorded_bytes(MISTRAL_PARALLEL), "text/event-stream")
    replay.queue_bytes(recorded_bytes(ANSWER), "text/event-stream")
    ran: list[str] = []

    @tool(name="get_weather")
    def recorded_weather(city: str) -> str:
        """Get the weather in a city.

        Args:
            city: The city.
        """
        ran.append(city)
        return "sunny"

    [e async for e in Agent(provider(replay), tools=[recorded_weather]).run_stream("Go")]
    assert sorted(ran) == ["Paris", "Rome"]
