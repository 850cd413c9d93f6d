import json
from typing import Any

import anthropic
import pytest

from switchboard import Agent
from switchboard.messages import ToolCall, UserMessage
from switchboard.providers.anthropic import AnthropicProvider
from switchboard.providers.anthropic.stream import AnthropicStreamReader
from switchboard.providers.base import ModelRequest
from switchboard.retry import RetryPolicy
from switchboard.streaming import (
    RunEnd,
    StreamEvent,
    ToolCallDelta,
    ToolCallStart,
    ToolResultEvent,
    TurnRestart,
)
from switchboard.tools.tool import Tool, tool

from .conftest import Replay
from .streams import (
    EXPECTED,
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

FIXTURES = stream_fixtures("anthropic")
COMPLETE = [name for name in FIXTURES if "incomplete" not in name]
INCOMPLETE = "anthropic/incomplete_partial_json_response.txt"


@tool
def get_weather(location: str) -> str:
    """Get the weather at a place.

    Args:
        location: A city name.
    """
    return "sunny"


REQUEST = ModelRequest([UserMessage("Weather in Paris?")], [get_weather])


def provider(replay: Replay, *, attempts: int = 1) -> AnthropicProvider:
    return AnthropicProvider(
        "claude-haiku-4-5",
        api_key="sk-ant-test",
        http_client=replay.client(),
        retry=RetryPolicy(attempts=attempts, base=0.001),
    )


async def collect(replay: Replay, **options: Any) -> list[StreamEvent]:
    return [event async for event in provider(replay).stream(REQUEST, **options)]


async def read_directly(replay: Replay) -> list[StreamEvent]:
    """What the reader alone makes of the queued stream, decoded by the SDK: no retrying.

    A broken stream is asked for again by the provider (`stream_with_retries`), so how the
    reader ends a broken turn is seen here.
    """
    client = anthropic.AsyncAnthropic(
        api_key="sk-ant-test", http_client=replay.client(), max_retries=0
    )
    stream = await client.messages.create(
        model="claude-haiku-4-5",
        max_tokens=64,
        messages=[{"role": "user", "content": "Weather in Paris?"}],
        stream=True,
    )
    reader = AnthropicStreamReader()
    events: list[StreamEvent] = []
    async with stream:
        async for item in stream:
            events += reader.read(item)
    return events + reader.finish()


def raw_arguments(events: list[StreamEvent]) -> dict[str, str]:
    """Each call's argument fragments joined, by call id."""
    joined: dict[str, str] = {}
    for event in events:
        if isinstance(event, ToolCallDelta):
            joined[event.id] = joined.get(event.id, "") + event.fragment
    return joined


def message_events(*blocks: list[dict[str, Any]], stop_reason: str | None) -> list[str]:
    """A Messages stream: start, the given block events, then the message delta and stop."""
    start = {
        "type": "message_start",
        "message": {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-haiku-4-5",
            "content": [],
            "stop_reason": None,
            "usage": {"input_tokens": 10, "output_tokens": 1},
        },
    }
    lines = [json.dumps(start)] + [json.dumps(e) for events in blocks for e in events]
    if stop_reason is not None:
        delta = {"stop_reason": stop_reason, "stop_sequence": None}
        lines.append(
            json.dumps({"type": "message_delta", "delta": delta, "usage": {"output_tokens": 5}})
        )
        lines.append(json.dumps({"type": "message_stop"}))
    return lines


def tool_block(
    index: int, call_id: str, *fragments: str, stop: bool = True
) -> list[dict[str, Any]]:
    block = {"type": "tool_use", "id": call_id, "name": "get_weather", "input": {}}
    events: list[dict[str, Any]] = [
        {"type": "content_block_start", "index": index, "content_block": block}
    ]
    events += [
        {
            "type": "content_block_delta",
            "index": index,
            "delta": {"type": "input_json_delta", "partial_json": fragment},
        }
        for fragment in fragments
    ]
    if stop:
        events.append({"type": "content_block_stop", "index": index})
    return events


@pytest.mark.parametrize("name", COMPLETE)
async def test_recorded_stream_accumulates_to_the_expected_calls(replay: Replay, name: str) -> None:
    """Every recorded stream gives exactly the calls EXPECTED.json lists: ids, names, input."""
    replay.queue_bytes(recorded_bytes(name, named=True), "text/event-stream")
    events = await collect(replay)
    expected = expected_calls(name)
    assert ready_calls(events) == [(c["id"], c["name"], c["input"]) for c in expected]
    assert [(c.id, c.name, c.arguments) for c in turn_end(events).response.turn.tool_calls] == [
        (c["id"], c["name"], c["input"]) for c in expected
    ]


@pytest.mark.parametrize("name", COMPLETE)
async def test_recorded_argument_fragments_join_to_the_raw_arguments(
    replay: Replay, name: str
) -> None:
    """The fragments of each call join to the raw argument string EXPECTED.json lists."""
    replay.queue_bytes(recorded_bytes(name, named=True), "text/event-stream")
    joined = raw_arguments(await collect(replay))
    assert [joined.get(c["id"], "") for c in expected_calls(name)] == [
        c["arguments"] for c in expected_calls(name)
    ]


@pytest.mark.parametrize("name", FIXTURES)
async def test_stream_split_at_awkward_points_gives_the_same_events(
    replay: Replay, name: str
) -> None:
    """Delivered 5 bytes at a time, a recorded stream yields the same events."""
    content = recorded_bytes(name, named=True)
    replay.queue_bytes(content, "text/event-stream")
    whole = await collect(replay)
    queue_pieces(replay, content, 5)
    assert await collect(replay) == whole


@pytest.mark.parametrize("name", FIXTURES)
async def test_streamed_text_is_the_replys_text(replay: Replay, name: str) -> None:
    """The reply's text is its text deltas joined."""
    replay.queue_bytes(recorded_bytes(name, named=True), "text/event-stream")
    events = await collect(replay)
    text = streamed_text(events)
    assert turn_end(events).response.turn.text == text


async def test_truncated_call_is_cut_with_the_expected_partial_input(replay: Replay) -> None:
    """The stream cut at max_tokens gives no ready call: it is cut, with the partial input."""
    replay.queue_bytes(recorded_bytes(INCOMPLETE, named=True), "text/event-stream")
    events = await collect(replay)
    [expected] = expected_calls(INCOMPLETE)
    assert ready_calls(events) == []
    [cut] = cut_calls(events)
    partial = EXPECTED[INCOMPLETE]["expected_partial_input_after_truncation"]
    assert (cut.call, cut.raw_arguments, cut.reason) == (
        ToolCall(expected["id"], expected["name"], partial),
        expected["arguments"],
        "length",
    )


async def test_truncated_call_keeps_its_partial_input_in_the_reply(replay: Replay) -> None:
    """The reply of a truncated stream holds the cut call with its partial input, and length."""
    replay.queue_bytes(recorded_bytes(INCOMPLETE, named=True), "text/event-stream")
    end = turn_end(await collect(replay))
    partial = EXPECTED[INCOMPLETE]["expected_partial_input_after_truncation"]
    assert end.stop_reason == "length"
    assert [c.arguments for c in end.response.turn.tool_calls] == [partial]
    [block] = [b for b in end.response.turn.provider_state["anthropic"] if b["type"] == "tool_use"]
    assert block["input"] == partial


async def test_recorded_partial_args_follow_the_fragments(replay: Replay) -> None:
    """With partial_args on, the last delta of the recorded call holds its whole input."""
    replay.queue_bytes(
        recorded_bytes("anthropic/tool_use_response.txt", named=True), "text/event-stream"
    )
    events = await collect(replay, partial_args=True)
    deltas = [e for e in events if isinstance(e, ToolCallDelta)]
    assert deltas[-1].partial_args == {"location": "Paris"}


async def test_stream_request_body_asks_for_a_stream(replay: Replay) -> None:
    """The body sent is the rendered request with ``stream: true``."""
    replay.queue_bytes(
        recorded_bytes("anthropic/tool_use_response.txt", named=True), "text/event-stream"
    )
    await collect(replay)
    body = replay.bodies[0]
    assert body["stream"] is True
    assert body["model"] == "claude-haiku-4-5"
    assert [t["name"] for t in body["tools"]] == ["get_weather"]


async def test_usage_sums_the_start_and_the_final_delta(replay: Replay) -> None:
    """Input tokens come from message_start, output tokens from the last message_delta."""
    lines = message_events(tool_block(0, "toolu_1", '{"location": "Oslo"}'), stop_reason="tool_use")
    replay.queue_bytes(sse_lines(lines, named=True), "text/event-stream")
    end = turn_end(await collect(replay))
    assert (end.usage.input_tokens, end.usage.output_tokens, end.stop_reason) == (
        10,
        5,
        "tool_calls",
    )


async def test_call_closed_with_invalid_json_is_cut_not_ready(replay: Replay) -> None:
    """A call whose whole input is not a JSON object is cut, never ready."""
    lines = message_events(tool_block(0, "toolu_1", '{"location": '), stop_reason="tool_use")
    replay.queue_bytes(sse_lines(lines, named=True), "text/event-stream")
    events = await collect(replay)
    assert ready_calls(events) == []
    assert [(c.call.id, c.reason) for c in cut_calls(events)] == [("toolu_1", "error")]


async def test_stream_that_breaks_off_cuts_the_open_call(replay: Replay) -> None:
    """A stream ending before message_delta is an error turn, its open call cut."""
    lines = message_events(
        tool_block(0, "toolu_1", '{"location": "Oslo"}'),
        tool_block(1, "toolu_2", '{"location": "Ro', stop=False),
        stop_reason=None,
    )
    replay.queue_bytes(sse_lines(lines, named=True), "text/event-stream")
    events = await collect(replay)
    assert ready_calls(events) == [("toolu_1", "get_weather", {"location": "Oslo"})]
    assert [(c.call, c.reason) for c in cut_calls(events)] == [
        (ToolCall("toolu_2", "get_weather", {}), "error")
    ]
    assert turn_end(events).stop_reason == "error"


async def test_delta_for_an_unknown_block_is_skipped(replay: Replay) -> None:
    """A delta naming no started block is logged and skipped."""
    stray = {
        "type": "content_block_delta",
        "index": 7,
        "delta": {"type": "input_json_delta", "partial_json": "{"},
    }
    lines = message_events(
        [stray], tool_block(0, "toolu_1", '{"location": "Oslo"}'), stop_reason="tool_use"
    )
    replay.queue_bytes(sse_lines(lines, named=True), "text/event-stream")
    assert ready_calls(await collect(replay)) == [("toolu_1", "get_weather", {"location": "Oslo"})]


# A second message_start (tests/fixtures/written/README.md). The rule: a message is open
# from its message_start to its message_stop; another message_start while one is open
# breaks the stream, unless it repeats the open message's own start (same id) before any
# of its content.

DUPLICATE_START = "anthropic/vercel-duplicate-message-start.chunks.txt"
START_INSIDE_A_CALL = "written/anthropic-message-start-inside-a-call.chunks.txt"
START_AFTER_CLOSED_BLOCKS = "written/anthropic-message-start-after-closed-blocks.chunks.txt"
SEQUENTIAL = "written/anthropic-sequential-messages.chunks.txt"


def starts(events: list[StreamEvent]) -> list[str]:
    """The ids of the calls that started, in order."""
    return [e.id for e in events if isinstance(e, ToolCallStart)]


async def test_repeated_start_of_the_open_message_before_content_is_ignored(
    replay: Replay,
) -> None:
    """Vercel's recording repeats the same message_start before any content: a normal reply."""
    replay.queue_bytes(recorded_bytes(DUPLICATE_START, named=True), "text/event-stream")
    end = turn_end(await collect(replay))
    assert (end.stop_reason, end.response.turn.text) == ("answer", "Hello, World!")
    assert (end.usage.input_tokens, end.usage.output_tokens) == (17, 227)


async def test_message_start_inside_an_open_call_ends_the_turn_as_an_error(
    replay: Replay,
) -> None:
    """Another message starting inside a call: the call is cut, the turn is an error."""
    replay.queue_bytes(recorded_bytes(START_INSIDE_A_CALL, named=True), "text/event-stream")
    events = await read_directly(replay)
    assert ready_calls(events) == []
    assert [(c.call.id, c.call.arguments, c.reason) for c in cut_calls(events)] == [
        ("toolu_01first", {}, "error")
    ]
    end = turn_end(events)
    assert end.stop_reason == "error"
    assert [c.id for c in end.response.turn.tool_calls] == ["toolu_01first"]


async def test_nothing_of_the_message_that_broke_in_is_read(replay: Replay) -> None:
    """The second message's call never starts, and its text and stop reason are not the reply's."""
    replay.queue_bytes(recorded_bytes(START_INSIDE_A_CALL, named=True), "text/event-stream")
    events = await read_directly(replay)
    assert starts(events) == ["toolu_01first"]
    assert turn_end(events).response.turn.text == "Checking both cities."


async def test_message_start_after_closed_blocks_still_breaks_the_turn(replay: Replay) -> None:
    """With every block closed but no message_stop, another message start is an error."""
    replay.queue_bytes(recorded_bytes(START_AFTER_CLOSED_BLOCKS, named=True), "text/event-stream")
    events = await collect(replay)
    assert starts(events) == ["toolu_01first"]
    assert turn_end(events).stop_reason == "error"


async def test_repeated_start_of_the_open_message_after_content_breaks_the_turn(
    replay: Replay,
) -> None:
    """The open message's own start repeated after its content began is an error too."""
    lines = message_events(tool_block(0, "toolu_1", '{"location": ', stop=False), stop_reason=None)
    lines += message_events(
        tool_block(1, "toolu_2", '{"location": "Oslo"}'), stop_reason="tool_use"
    )
    replay.queue_bytes(sse_lines(lines, named=True), "text/event-stream")
    events = await read_directly(replay)
    assert (starts(events), ready_calls(events)) == (["toolu_1"], [])
    assert turn_end(events).stop_reason == "error"


async def test_another_message_starting_before_content_breaks_the_turn(replay: Replay) -> None:
    """A start with another message's id, even before any content, is an error."""
    lines = message_events(tool_block(0, "toolu_1", '{"location": "Oslo"}'), stop_reason="tool_use")
    other = json.loads(lines[0])
    other["message"]["id"] = "msg_2"
    replay.queue_bytes(sse_lines([json.dumps(other), *lines], named=True), "text/event-stream")
    events = await read_directly(replay)
    assert (starts(events), turn_end(events).stop_reason) == ([], "error")


async def test_messages_one_after_another_are_one_reply(replay: Replay) -> None:
    """A message starting after the last one stopped continues the reply: both calls, in order."""
    replay.queue_bytes(recorded_bytes(SEQUENTIAL, named=True), "text/event-stream")
    events = await collect(replay)
    expected = [
        ("toolu_01first", "get_weather", {"location": "Paris"}),
        ("toolu_01second", "get_weather", {"location": "Rome"}),
    ]
    assert ready_calls(events) == expected
    end = turn_end(events)
    assert [(c.id, c.name, c.arguments) for c in end.response.turn.tool_calls] == expected
    blocks = end.response.turn.provider_state["anthropic"]
    assert [b["id"] for b in blocks] == ["toolu_01first", "toolu_01second"]


@pytest.mark.parametrize("name", [START_INSIDE_A_CALL, START_AFTER_CLOSED_BLOCKS, SEQUENTIAL])
async def test_written_stream_split_at_awkward_points_gives_the_same_events(
    replay: Replay, name: str
) -> None:
    """Delivered 5 bytes at a time, a written stream yields the same events."""
    content = recorded_bytes(name, named=True)
    replay.queue_bytes(content, "text/event-stream")
    whole = await read_directly(replay)
    queue_pieces(replay, content, 5)
    assert await read_directly(replay) == whole


async def test_a_stream_another_message_breaks_into_is_asked_for_again(replay: Replay) -> None:
    """Broken before any call is complete, the reply is asked for again; the new one is kept."""
    replay.queue_bytes(recorded_bytes(START_INSIDE_A_CALL, named=True), "text/event-stream")
    replay.queue_bytes(recorded_bytes(SEQUENTIAL, named=True), "text/event-stream")
    events = [e async for e in provider(replay, attempts=2).stream(REQUEST)]
    [restart] = [e for e in events if isinstance(e, TurnRestart)]
    after = events[events.index(restart) + 1 :]
    assert restart.attempt == 2
    assert ready_calls(after) == [
        ("toolu_01first", "get_weather", {"location": "Paris"}),
        ("toolu_01second", "get_weather", {"location": "Rome"}),
    ]
    assert turn_end(events).stop_reason == "tool_calls"


def recorded_weather(ran: list[str]) -> Tool:
    """The recorded streams' get_weather tool, noting each location it runs for."""

    @tool(name="get_weather")
    def weather(location: str) -> str:
        """Get the weather at a place.

        Args:
            location: A city name.
        """
        ran.append(location)
        return "sunny"

    return weather


async def test_no_call_of_a_broken_stream_runs(replay: Replay) -> None:
    """In ``run_stream``, neither the cut call nor the other message's call runs."""
    replay.queue_bytes(recorded_bytes(START_INSIDE_A_CALL, named=True), "text/event-stream")
    replay.queue_bytes(
        recorded_bytes("anthropic/text-only/basic_response.txt", named=True), "text/event-stream"
    )
    ran: list[str] = []
    agent = Agent(provider(replay, attempts=2), tools=[recorded_weather(ran)])
    events = [e async for e in agent.run_stream("Go")]
    assert ran == []
    # A broken stream is the provider's fault: the model is told nothing of it.
    assert [e.result.call_id for e in events if isinstance(e, ToolResultEvent)] == []
    end = events[-1]
    assert isinstance(end, RunEnd)
    assert end.result.output == "Hello there!"


async def test_only_the_complete_call_of_a_broken_stream_runs(replay: Replay) -> None:
    """Broken after a call was complete: that call runs, the open one and the intruder's do not."""
    lines = message_events(
        tool_block(0, "toolu_1", '{"location": "Oslo"}'),
        tool_block(1, "toolu_2", '{"location": "Ro', stop=False),
        stop_reason=None,
    )
    intruder = message_events(
        tool_block(0, "toolu_3", '{"location": "Rome"}'), stop_reason="tool_use"
    )
    other = json.loads(intruder[0])
    other["message"]["id"] = "msg_2"
    intruder[0] = json.dumps(other)
    replay.queue_bytes(sse_lines(lines + intruder, named=True), "text/event-stream")
    replay.queue_bytes(
        recorded_bytes("anthropic/text-only/basic_response.txt", named=True), "text/event-stream"
    )
    ran: list[str] = []
    agent = Agent(provider(replay, attempts=2), tools=[recorded_weather(ran)])
    events = [e async for e in agent.run_stream("Go")]
    assert ran == ["Oslo"]
    results = [e.result for e in events if isinstance(e, ToolResultEvent)]
    assert [(r.call_id, r.is_error) for r in results] == [("toolu_1", False), ("toolu_2", True)]
    assert results[1].content.startswith("Not run: the reply broke off")
    assert not any(isinstance(e, TurnRestart) for e in events)
