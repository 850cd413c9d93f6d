"""ReplyReader: the local model's reply, read as it is decoded, into stream events (no model)."""

import json
from collections.abc import Collection, Sequence
from typing import Any

import pytest

from switchboard.messages import AssistantTurn, StopReason, Usage
from switchboard.providers.base import ModelResponse
from switchboard.providers.local.prompt import parse_reply
from switchboard.providers.local.stream import ReplyReader
from switchboard.streaming import (
    StreamEvent,
    TextDelta,
    ToolCallCut,
    ToolCallDelta,
    ToolCallReady,
    ToolCallStart,
    TurnAccumulator,
    TurnEnd,
)

from .streams import streamed_text

CALL = '{"name": "get_weather", "arguments": {"city": "Paris", "unit": "celsius"}}'


def read(
    reply: str,
    *,
    size: int = 1,
    calls: bool = True,
    held: Collection[str] = (),
    stop_reason: StopReason | None = None,
) -> list[StreamEvent]:
    """The events of ``reply`` fed ``size`` characters at a time, then finished as read whole."""
    reader = ReplyReader("call-0", calls=calls, held=held)
    events: list[StreamEvent] = []
    for start in range(0, len(reply), size):
        events.extend(reader.read(reply[start : start + size]))
    text, parsed = parse_reply(reply, call_id_prefix="call-0") if calls else (reply.strip(), ())
    stop = stop_reason or ("tool_calls" if parsed else "answer")
    response = ModelResponse(AssistantTurn(text, parsed), Usage(1, 2, 1), stop, "m")
    return events + reader.finish(response)


def arguments(events: Sequence[StreamEvent], call_id: str) -> str:
    return "".join(e.fragment for e in events if isinstance(e, ToolCallDelta) and e.id == call_id)


@pytest.mark.parametrize("size", [1, 3, len(CALL)])
def test_a_call_opens_on_its_name_and_streams_its_arguments_text(size: int) -> None:
    """Start, the arguments' JSON text in fragments, then parse_reply's call and TurnEnd."""
    events = read(CALL, size=size)
    [call] = parse_reply(CALL, call_id_prefix="call-0")[1]
    assert events[0] == ToolCallStart("call-0-0", "get_weather")
    assert arguments(events, "call-0-0") == '{"city": "Paris", "unit": "celsius"}'
    assert events[-2:-1] == [ToolCallReady(call)]
    assert isinstance(events[-1], TurnEnd)
    assert streamed_text(events) == ""
    if size == 1:
        assert sum(isinstance(e, ToolCallDelta) for e in events) == len(
            arguments(events, "call-0-0")
        )


def test_the_name_opens_the_call_before_its_arguments_are_written() -> None:
    """ToolCallStart comes as soon as the name's closing quote arrives."""
    reader = ReplyReader("call-3", calls=True)
    assert reader.read('{"name": "get_wea') == []
    assert reader.read('ther"') == [ToolCallStart("call-3-0", "get_weather")]
    assert reader.read(', "arguments": {"ci') == [ToolCallDelta("call-3-0", '{"ci')]


def test_a_list_of_calls_streams_each_in_turn() -> None:
    """With parallel calls, each element opens its own call, ids numbered as parse_reply's."""
    reply = '[{"name": "f", "arguments": {"a": 1}}, {"name": "g", "arguments": {"b": [1, {}]}}]'
    events = read(reply)
    starts = [e for e in events if isinstance(e, ToolCallStart)]
    assert starts == [ToolCallStart("call-0-0", "f"), ToolCallStart("call-0-1", "g")]
    assert (arguments(events, "call-0-0"), arguments(events, "call-0-1")) == (
        '{"a": 1}',
        '{"b": [1, {}]}',
    )
    ready = [e.call for e in events if isinstance(e, ToolCallReady)]
    assert ready == list(parse_reply(reply, call_id_prefix="call-0")[1])


def test_braces_and_quotes_inside_strings_do_not_end_the_arguments() -> None:
    """The arguments end at their own closing brace, not at one inside a string."""
    reply = '{"name": "f", "arguments": {"s": "a}\\"{]"}}'
    events = read(reply)
    assert arguments(events, "call-0-0") == '{"s": "a}\\"{]"}'
    [ready] = [e.call for e in events if isinstance(e, ToolCallReady)]
    assert json.loads(str(ready.arguments)) == {"s": 'a}"{]'}


@pytest.mark.parametrize("size", [1, 4])
def test_text_streams_without_the_whitespace_the_reply_drops(size: int) -> None:
    """Text deltas join to the reply's text, stripped as parse_reply strips it."""
    reply = " \n Hello,  world. \n\n"
    events = read(reply, size=size)
    assert streamed_text(events) == "Hello,  world."
    assert not any(isinstance(e, ToolCallStart) for e in events)
    if size == 1:
        assert sum(isinstance(e, TextDelta) for e in events) > 5


def test_a_call_in_a_code_fence_is_streamed_as_a_call() -> None:
    """A fence (or <tool_call> tags) around the JSON is skipped, as parse_reply skips it."""
    for reply in (f"```json\n{CALL}\n```", f"<tool_call>{CALL}</tool_call>"):
        events = read(reply)
        assert events[0] == ToolCallStart("call-0-0", "get_weather")
        assert streamed_text(events) == ""
        assert sum(isinstance(e, ToolCallReady) for e in events) == 1


def test_a_code_fence_around_code_is_text() -> None:
    """A fence whose content is not a call is text, from the fence on."""
    reply = "```python\nprint(1)\n```"
    assert streamed_text(read(reply)) == reply


def test_a_call_cut_by_the_token_limit_is_cut_and_the_reply_is_text() -> None:
    """An opened call the reply does not hold is ToolCallCut; the raw text comes as text."""
    reply = '{"name": "get_weather", "arguments": {"city": "Par'
    events = read(reply, stop_reason="length")
    [cut] = [e for e in events if isinstance(e, ToolCallCut)]
    assert (cut.call.id, cut.call.name, cut.reason) == ("call-0-0", "get_weather", "length")
    assert cut.raw_arguments == '{"city": "Par'
    assert not any(isinstance(e, ToolCallReady) for e in events)
    assert streamed_text(events) == reply


def test_calls_of_held_tools_come_whole_at_the_end() -> None:
    """A held tool's call is not streamed: start, one delta, ready, all once the reply is read."""
    reader = ReplyReader("call-0", calls=True, held={"get_weather"})
    assert [e for c in CALL for e in reader.read(c)] == []
    events = read(CALL, held={"get_weather"})
    [call] = parse_reply(CALL, call_id_prefix="call-0")[1]
    assert events[:-1] == [
        ToolCallStart(call.id, call.name),
        ToolCallDelta(call.id, str(call.arguments)),
        ToolCallReady(call),
    ]


def test_a_call_in_another_shape_is_relayed_at_the_end() -> None:
    """Keys in another order, or arguments as a string: the call comes whole at the end."""
    for reply in (
        '{"arguments": {"a": 1}, "name": "f"}',
        '{"name": "f", "arguments": "{\\"a\\": 1}"}',
    ):
        events = read(reply)
        [call] = parse_reply(reply, call_id_prefix="call-0")[1]
        assert [e for e in events if isinstance(e, ToolCallReady)] == [ToolCallReady(call)]
        assert arguments(events, "call-0-0") == call.arguments


def test_without_calls_a_json_reply_is_text() -> None:
    """Under "none" (or with no tools) a reply that looks like a call is text."""
    events = read(CALL, calls=False)
    assert streamed_text(events) == CALL
    assert not any(isinstance(e, ToolCallStart) for e in events)


def held_characters(value: Any, seen: set[int] | None = None) -> int:
    """The characters of text ``value`` holds, its accumulator (which keeps the calls) aside."""
    seen = set() if seen is None else seen
    if isinstance(value, TurnAccumulator) or id(value) in seen:
        return 0
    seen.add(id(value))
    if isinstance(value, str):
        return len(value)
    if isinstance(value, list | tuple | set | frozenset):
        return sum(held_characters(item, seen) for item in value)  # pyright: ignore[reportUnknownVariableType]
    fields = getattr(value, "__dict__", {}) | {
        name: getattr(value, name)
        for name in getattr(type(value), "__slots__", ())
        if hasattr(value, name)
    }
    return sum(held_characters(field, seen) for field in fields.values())


LONG_REPLIES = {
    "call": '{"name": "f", "arguments": {"s": "' + "x" * 20_000 + '"}}',
    "calls": "["
    + ", ".join(f'{{"name": "f", "arguments": {{"i": {i}}}}}' for i in range(500))
    + "]",
    "text": "word " * 4_000,
}


@pytest.mark.parametrize("kind", sorted(LONG_REPLIES))
def test_a_long_reply_read_a_character_at_a_time_is_not_kept_whole(kind: str) -> None:
    """The reader holds the little text it has yet to read, never the reply read so far."""
    reply = LONG_REPLIES[kind]
    reader = ReplyReader("call-0", calls=True)
    most = 0
    for character in reply:
        reader.read(character)
        most = max(most, held_characters(reader))
    assert most < 100


@pytest.mark.parametrize("size", [1, 7])
def test_long_runs_of_whitespace_anywhere_read_as_the_reply_read_whole(size: int) -> None:
    """Whitespace between a call's parts, its list's elements or after a fence changes nothing."""
    space = " \n" * 40
    words = ["{", '"name"', ":", '"f"', ",", '"arguments"', ":", '{"a": 1}', "}"]
    call = space.join(words)
    listed = space.join(["", "```json", "[", call, ",", call, "]", "```"])
    for reply in (listed, call):
        events = read(reply, size=size)
        whole = read(reply, size=len(reply))
        assert arguments(events, "call-0-0") == arguments(whole, "call-0-0") == '{"a": 1}'
        assert [e for e in events if not isinstance(e, ToolCallDelta)] == [
            e for e in whole if not isinstance(e, ToolCallDelta)
        ]


def test_a_fence_then_whitespace_then_text_is_relayed_with_its_whitespace() -> None:
    """Undecided whitespace after a fence is kept: the text that follows comes with it."""
    reply = "```" + "\n" * 50 + "not a call"
    assert streamed_text(read(reply)) == reply
