import json
from typing import Any

import pytest

from switchboard import Agent
from switchboard.errors import ProviderUnavailableError
from switchboard.messages import UserMessage
from switchboard.providers.base import ModelRequest
from switchboard.providers.gemini import SYNTHETIC_ID_PREFIX, GeminiProvider
from switchboard.retry import RetryPolicy
from switchboard.streaming import (
    StreamEvent,
    ToolCallDelta,
    ToolCallReady,
    ToolResultEvent,
    TurnRestart,
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

FIXTURES = stream_fixtures("gemini")
STREAMED = "gemini/vercel-google-stream-tool-call-arguments.chunks.txt"
MODEL = "gemini-2.5-flash"
SSE = "text/event-stream"


@tool
def weather(location: str) -> str:
    """Get the weather at a place.

    Args:
        location: A city name.
    """
    return "sunny"


REQUEST = ModelRequest([UserMessage("Weather in Paris?")], [weather])


def provider(replay: Replay, *, attempts: int = 1) -> GeminiProvider:
    return GeminiProvider(
        MODEL,
        api_key="test-key",
        http_client=replay.client(),  # pyright: ignore[reportArgumentType]
        retry=RetryPolicy(attempts=attempts, base=0.001),
    )


async def collect(replay: Replay, **options: Any) -> list[StreamEvent]:
    return [event async for event in provider(replay).stream(REQUEST, **options)]


def chunk(parts: list[dict[str, Any]], finish: str | None = None) -> str:
    candidate: dict[str, Any] = {"content": {"role": "model", "parts": parts}}
    if finish is not None:
        candidate["finishReason"] = finish
    return json.dumps({"candidates": [candidate], "responseId": "r1", "modelVersion": MODEL})


@pytest.mark.parametrize("name", FIXTURES)
async def test_recorded_stream_accumulates_to_the_expected_calls(replay: Replay, name: str) -> None:
    """Every recorded stream gives exactly the calls EXPECTED.json lists: names, args, order."""
    replay.queue_bytes(recorded_bytes(name), "text/event-stream")
    events = await collect(replay)
    assert [(n, args) for _, n, args in ready_calls(events)] == [
        (c["name"], c["args"]) for c in expected_calls(name)
    ]
    assert [(c.name, c.arguments) for c in turn_end(events).response.turn.tool_calls] == [
        (c["name"], c["args"]) for c in expected_calls(name)
    ]


@pytest.mark.parametrize("name", FIXTURES)
async def test_calls_without_ids_get_distinct_made_up_ids(replay: Replay, name: str) -> None:
    """Calls Gemini sent without an id get distinct made-up ids, the same in the reply."""
    replay.queue_bytes(recorded_bytes(name), "text/event-stream")
    events = await collect(replay)
    ids = [call_id for call_id, _, _ in ready_calls(events)]
    assert all(i.startswith(SYNTHETIC_ID_PREFIX) for i in ids)
    assert len(set(ids)) == len(ids)
    assert [c.id for c in turn_end(events).response.turn.tool_calls] == ids


@pytest.mark.parametrize("name", FIXTURES)
async def test_stream_split_at_awkward_points_gives_the_same_events(
    replay: Replay, name: str
) -> None:
    """Delivered 9 bytes at a time, a recorded stream yields the same events."""
    content = recorded_bytes(name)
    replay.queue_bytes(content, "text/event-stream")
    whole = await collect(replay)
    queue_pieces(replay, content, 9)
    assert await collect(replay) == whole


@pytest.mark.parametrize("name", FIXTURES)
async def test_streamed_text_is_the_replys_text(replay: Replay, name: str) -> None:
    """The reply's text is its text deltas joined (thoughts left out)."""
    replay.queue_bytes(recorded_bytes(name), "text/event-stream")
    events = await collect(replay)
    text = streamed_text(events)
    assert turn_end(events).response.turn.text == text


async def test_streamed_call_keeps_its_thought_signature_in_one_part(replay: Replay) -> None:
    """A call streamed in pieces is one functionCall part, with its start's signature."""
    replay.queue_bytes(recorded_bytes(STREAMED), "text/event-stream")
    parts = turn_end(await collect(replay)).response.turn.provider_state["gemini"]
    calls = [p for p in parts if "functionCall" in p]
    assert [c["functionCall"] for c in calls] == [
        {"name": "getWeather", "args": {"location": "Boston"}},
        {"name": "getWeather", "args": {"location": "San Francisco"}},
    ]
    assert "thoughtSignature" in calls[0]


async def test_streamed_partial_args_grow_value_by_value(replay: Replay) -> None:
    """With partial_args on, each delta carries the values so far."""
    replay.queue_bytes(recorded_bytes(STREAMED), "text/event-stream")
    events = await collect(replay, partial_args=True)
    deltas = [(e.fragment, e.partial_args) for e in events if isinstance(e, ToolCallDelta)]
    assert deltas[:2] == [('"Boston"', {"location": "Boston"}), ('""', {"location": "Boston"})]


async def test_stream_request_goes_to_stream_generate_content(replay: Replay) -> None:
    """The request is sent to streamGenerateContent as server-sent events."""
    replay.queue_bytes(recorded_bytes(STREAMED), "text/event-stream")
    await collect(replay)
    [sent] = replay.requests
    assert sent.url.path == f"/v1/models/{MODEL}:streamGenerateContent"
    assert sent.url.params["alt"] == "sse"
    assert replay.bodies[0]["tools"][0]["functionDeclarations"][0]["name"] == "weather"


async def test_nested_json_paths_build_nested_arguments(replay: Replay) -> None:
    """Partial values at nested paths and list indices build the nested arguments."""
    start = {"functionCall": {"name": "weather", "willContinue": True}}
    values = [
        {"jsonPath": "$.where.city", "stringValue": "Par", "willContinue": True},
        {"jsonPath": "$.where.city", "stringValue": "is"},
        {"jsonPath": "$.days[1]", "numberValue": 3},
        {"jsonPath": "$.metric", "boolValue": True},
    ]
    lines = [
        chunk([start]),
        chunk([{"functionCall": {"partialArgs": values, "willContinue": True}}]),
        chunk([{"functionCall": {}}], "STOP"),
    ]
    replay.queue_bytes(sse_lines(lines, named=False), "text/event-stream")
    [(_, _, arguments)] = ready_calls(await collect(replay))
    assert arguments == {"where": {"city": "Paris"}, "days": [None, 3], "metric": True}


async def test_streamed_call_open_at_max_tokens_is_cut(replay: Replay) -> None:
    """A streamed call open when Gemini stops at max tokens is cut, kept with its values."""
    start = {"functionCall": {"name": "weather", "willContinue": True}}
    value = {"jsonPath": "$.location", "stringValue": "Bos", "willContinue": True}
    lines = [
        chunk([start]),
        chunk([{"functionCall": {"partialArgs": [value], "willContinue": True}}], "MAX_TOKENS"),
    ]
    replay.queue_bytes(sse_lines(lines, named=False), "text/event-stream")
    events = await collect(replay)
    assert ready_calls(events) == []
    [cut] = cut_calls(events)
    assert (cut.call.arguments, cut.reason) == ({"location": "Bos"}, "length")
    end = turn_end(events)
    assert end.stop_reason == "length"
    assert [(c.id, c.arguments) for c in end.response.turn.tool_calls] == [
        (cut.call.id, {"location": "Bos"})
    ]


async def test_stream_without_a_finish_reason_is_asked_for_again(replay: Replay) -> None:
    """A stream that stops before Gemini gives a finish reason is broken: it is sent again."""
    replay.queue_bytes(sse_lines([chunk([{"text": "Hel"}])], named=False), "text/event-stream")
    whole = [chunk([{"text": "Hel"}]), chunk([{"text": "lo"}], "STOP")]
    replay.queue_bytes(sse_lines(whole, named=False), "text/event-stream")
    events = [e async for e in provider(replay, attempts=2).stream(REQUEST)]
    [restart] = [e for e in events if isinstance(e, TurnRestart)]
    assert streamed_text(events[: events.index(restart)]) == "Hel"
    end = turn_end(events)
    assert (end.stop_reason, end.response.turn.text) == ("answer", "Hello")


async def test_stream_without_a_finish_reason_on_every_try_raises(replay: Replay) -> None:
    """Without a finish reason on every try, the typed network error is raised."""
    for _ in range(2):
        replay.queue_bytes(sse_lines([chunk([{"text": "Hel"}])], named=False), SSE)
    with pytest.raises(ProviderUnavailableError, match="before the provider finished the reply"):
        [e async for e in provider(replay, attempts=2).stream(REQUEST)]
    assert len(replay.requests) == 2


# Vertex AI streamed function-call arguments, written from the documented format
# (tests/fixtures/written/README.md).

ARRAY = "written/vertex-streamed-array-arguments.chunks.txt"
WITHOUT_END = "written/vertex-streamed-call-without-end.chunks.txt"
ENDED_BY_VALUES = "written/vertex-streamed-call-ended-by-its-last-values.chunks.txt"
ITEMS = {"items": [{"name": "Apples", "count": 3}, {"name": "Pears", "count": 2}]}
START = {"functionCall": {"name": "weather", "willContinue": True}}


def values(path: str, value: str) -> dict[str, Any]:
    """A part with one string value at ``path``, the call continuing."""
    arg = {"jsonPath": path, "stringValue": value}
    return {"functionCall": {"partialArgs": [arg], "willContinue": True}}


async def test_nameless_parts_between_array_elements_do_not_end_the_call(
    replay: Replay,
) -> None:
    """Parts with no name and no values (``willContinue``) leave the call open to its end."""
    replay.queue_bytes(recorded_bytes(ARRAY), "text/event-stream")
    events = await collect(replay)
    assert [(name, args) for _, name, args in ready_calls(events)] == [("add_items", ITEMS)]
    assert [(c.name, c.arguments) for c in turn_end(events).response.turn.tool_calls] == [
        ("add_items", ITEMS)
    ]


async def test_streamed_call_is_ready_only_after_its_last_value(replay: Replay) -> None:
    """No value of the call arrives after its `ToolCallReady`."""
    replay.queue_bytes(recorded_bytes(ARRAY), "text/event-stream")
    events = await collect(replay)
    ready = [i for i, e in enumerate(events) if isinstance(e, ToolCallReady)]
    last_delta = max(i for i, e in enumerate(events) if isinstance(e, ToolCallDelta))
    assert len(ready) == 1
    assert ready[0] > last_delta


async def test_streamed_call_without_its_end_is_cut_not_ready(replay: Replay) -> None:
    """A call whose last part said ``willContinue`` when the stream stopped is cut, never ready."""
    replay.queue_bytes(recorded_bytes(WITHOUT_END), "text/event-stream")
    events = await collect(replay)
    assert ready_calls(events) == []
    [cut] = cut_calls(events)
    assert (cut.call.name, cut.call.arguments, cut.reason) == (
        "add_items",
        {"items": [{"name": "Apples", "count": 3}]},
        "error",
    )


async def test_streamed_call_ended_by_its_last_values_is_ready(replay: Replay) -> None:
    """A values part without ``willContinue`` is the call's last part: the call is ready."""
    replay.queue_bytes(recorded_bytes(ENDED_BY_VALUES), "text/event-stream")
    events = await collect(replay)
    assert [(name, args) for _, name, args in ready_calls(events)] == [("add_items", ITEMS)]
    assert cut_calls(events) == []


async def test_new_call_before_the_open_ones_end_cuts_the_open_one(replay: Replay) -> None:
    """A call that starts before the open one ended leaves that one cut, never ready."""
    lines = [
        chunk([START]),
        chunk([values("$.location", "Par")]),
        chunk([{"functionCall": {"name": "weather", "args": {"location": "Rome"}}}], "STOP"),
    ]
    replay.queue_bytes(sse_lines(lines, named=False), "text/event-stream")
    events = await collect(replay)
    assert [(name, args) for _, name, args in ready_calls(events)] == [
        ("weather", {"location": "Rome"})
    ]
    assert [(c.call.arguments, c.reason) for c in cut_calls(events)] == [
        ({"location": "Par"}, "error")
    ]


@pytest.mark.parametrize("name", [ARRAY, WITHOUT_END, ENDED_BY_VALUES])
async def test_written_stream_split_at_awkward_points_gives_the_same_events(
    replay: Replay, name: str
) -> None:
    """Delivered 9 bytes at a time, a written stream yields the same events."""
    content = recorded_bytes(name)
    replay.queue_bytes(content, "text/event-stream")
    whole = await collect(replay)
    queue_pieces(replay, content, 9)
    assert await collect(replay) == whole


def recording_agent(replay: Replay, ran: list[dict[str, Any]]) -> Agent:
    """An agent over ``replay`` whose one tool, add_items, records each run's arguments."""

    @tool
    def add_items(items: list[dict[str, Any]]) -> str:
        """Add items to the list.

        Args:
            items: The items.
        """
        ran.append({"items": items})
        return "added"

    return Agent(provider(replay), tools=[add_items])


async def test_half_written_call_never_runs_in_a_streamed_run(replay: Replay) -> None:
    """In ``run_stream``, a call that never reached its end part is not run, early or late."""
    replay.queue_bytes(recorded_bytes(WITHOUT_END), "text/event-stream")
    replay.queue_bytes(sse_lines([chunk([{"text": "Done."}], "STOP")], named=False), SSE)
    ran: list[dict[str, Any]] = []
    events = [e async for e in recording_agent(replay, ran).run_stream("Add apples")]
    assert ran == []
    [result] = [e.result for e in events if isinstance(e, ToolResultEvent)]
    assert result.is_error


async def test_call_with_separators_runs_once_with_all_its_values(replay: Replay) -> None:
    """In ``run_stream``, the streamed call runs once, with every array element."""
    replay.queue_bytes(recorded_bytes(ARRAY), "text/event-stream")
    replay.queue_bytes(sse_lines([chunk([{"text": "Done."}], "STOP")], named=False), SSE)
    ran: list[dict[str, Any]] = []
    [e async for e in recording_agent(replay, ran).run_stream("Add apples and pears")]
    assert ran == [ITEMS]
