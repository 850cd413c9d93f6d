import json
from typing import Any

import pytest

from switchboard.messages import UserMessage
from switchboard.providers.base import ModelRequest
from switchboard.providers.openai_responses import OpenAIResponsesProvider
from switchboard.retry import RetryPolicy
from switchboard.streaming import StreamEvent
from switchboard.tools.tool import tool

from .conftest import Replay
from .streams import (
    cut_calls,
    expected_calls,
    ready_calls,
    recorded_streams,
    sse_lines,
    stream_fixtures,
    streamed_text,
    turn_end,
)

pytestmark = pytest.mark.anyio

FIXTURES = stream_fixtures("openai-responses")


@tool
def weather(location: str) -> str:
    """Get the weather at a place.

    Args:
        location: A city name.
    """
    return "sunny"


REQUEST = ModelRequest([UserMessage("Weather in Paris?")], [weather])


def provider(replay: Replay) -> OpenAIResponsesProvider:
    return OpenAIResponsesProvider(
        "gpt-4.1-mini",
        api_key="sk-test",
        http_client=replay.client(),  # pyright: ignore[reportArgumentType]
        retry=RetryPolicy(attempts=1, base=0.0),
    )


async def collect(replay: Replay, lines: list[str], **options: Any) -> list[StreamEvent]:
    replay.queue_bytes(sse_lines(lines, named=True), "text/event-stream")
    return [event async for event in provider(replay).stream(REQUEST, **options)]


def event(kind: str, **fields: Any) -> str:
    return json.dumps({"type": kind, "sequence_number": 0, **fields})


def call_item(item_id: str, call_id: str, arguments: str = "") -> dict[str, Any]:
    return {
        "id": item_id,
        "type": "function_call",
        "status": "in_progress",
        "arguments": arguments,
        "call_id": call_id,
        "name": "weather",
    }


@pytest.mark.parametrize("name", FIXTURES)
async def test_recorded_stream_accumulates_to_the_expected_calls(replay: Replay, name: str) -> None:
    """Every recorded stream gives exactly the calls EXPECTED.json lists, in order."""
    calls: list[tuple[str, str, Any]] = []
    for lines in recorded_streams(name):
        calls.extend(ready_calls(await collect(replay, lines)))
    assert calls == [(c["call_id"], c["name"], c["arguments"]) for c in expected_calls(name)]


@pytest.mark.parametrize("name", FIXTURES)
async def test_streamed_reply_equals_the_parsed_final_response(replay: Replay, name: str) -> None:
    """The reply a stream ends with is what `complete` returns for its final response."""
    for lines in recorded_streams(name):
        final = next(
            json.loads(line)["response"]
            for line in lines
            if json.loads(line)["type"] == "response.completed"
        )
        events = await collect(replay, lines)
        replay.queue_json(final)
        assert turn_end(events).response == await provider(replay).complete(REQUEST)


@pytest.mark.parametrize("name", FIXTURES)
async def test_streamed_text_is_the_replys_text(replay: Replay, name: str) -> None:
    """The reply's text is its text deltas joined."""
    for lines in recorded_streams(name):
        events = await collect(replay, lines)
        text = streamed_text(events)
        assert turn_end(events).response.turn.text == text


async def test_stream_request_body_asks_for_a_stream(replay: Replay) -> None:
    """The body sent is the rendered request with ``stream: true``."""
    await collect(replay, recorded_streams(FIXTURES[0])[0])
    body = replay.bodies[0]
    assert body["stream"] is True
    assert body["store"] is False
    assert [t["name"] for t in body["tools"]] == ["weather"]


async def test_call_open_when_the_stream_breaks_is_cut(replay: Replay) -> None:
    """Broken without its final response after a call is complete: error, the open call cut.

    The complete call may already run, so the reply is not asked for again.
    """
    lines = [
        event("response.output_item.added", output_index=0, item=call_item("fc_0", "call_0")),
        event(
            "response.function_call_arguments.done",
            item_id="fc_0",
            output_index=0,
            arguments='{"location": "Rome"}',
        ),
        event("response.output_item.added", output_index=1, item=call_item("fc_1", "call_1")),
        event(
            "response.function_call_arguments.delta",
            item_id="fc_1",
            output_index=1,
            delta='{"location": "Par',
        ),
    ]
    events = await collect(replay, lines)
    assert ready_calls(events) == [("call_0", "weather", '{"location": "Rome"}')]
    [cut] = cut_calls(events)
    assert (cut.call.id, cut.raw_arguments, cut.reason) == ("call_1", '{"location": "Par', "error")
    end = turn_end(events)
    assert end.stop_reason == "error"
    assert [c.arguments for c in end.response.turn.tool_calls] == ['{"location": "Rome"}', "{}"]


async def test_done_arguments_win_over_the_fragments(replay: Replay) -> None:
    """A call whose ``.done`` carries its whole arguments is ready with those."""
    lines = [
        event("response.output_item.added", output_index=0, item=call_item("fc_1", "call_1")),
        event(
            "response.function_call_arguments.done",
            item_id="fc_1",
            output_index=0,
            arguments='{"location": "Rome"}',
        ),
    ]
    events = await collect(replay, lines)
    assert ready_calls(events) == [("call_1", "weather", '{"location": "Rome"}')]
