import dataclasses
import json
import pickle
from typing import Any

import pydantic_core
import pytest

from switchboard.messages import ToolCall
from switchboard.streaming import (
    GROWTH,
    TextDelta,
    ToolCallCut,
    ToolCallDelta,
    ToolCallReady,
    ToolCallStart,
    TurnAccumulator,
    partial,
)


def test_text_pieces_join_into_the_turns_text() -> None:
    """Text pieces are yielded as deltas and joined once into the text."""
    turn = TurnAccumulator()
    events = turn.add_text("Hel") + turn.add_text("") + turn.add_text("lo")
    assert events == [TextDelta("Hel"), TextDelta("lo")]
    assert turn.text == "Hello"


def test_call_goes_from_start_through_fragments_to_ready() -> None:
    """A call yields its start, one delta per fragment, and its ready call."""
    turn = TurnAccumulator()
    events = [
        *turn.open_call(0, "c1", "f"),
        *turn.add_fragment(0, '{"a": '),
        *turn.add_fragment(0, "1}"),
        *turn.close_call(0),
    ]
    assert events == [
        ToolCallStart("c1", "f"),
        ToolCallDelta("c1", '{"a": '),
        ToolCallDelta("c1", "1}"),
        ToolCallReady(ToolCall("c1", "f", '{"a": 1}')),
    ]


def test_new_call_under_an_open_key_closes_the_open_one_first() -> None:
    """Opening a call under a key in use completes the call open there."""
    turn = TurnAccumulator()
    turn.open_call(0, "c1", "f")
    turn.add_fragment(0, "{}")
    events = turn.open_call(0, "c2", "f")
    assert events == [ToolCallReady(ToolCall("c1", "f", "{}")), ToolCallStart("c2", "f")]


def test_fragment_for_no_open_call_is_skipped() -> None:
    """A fragment under a key with no open call yields nothing."""
    assert TurnAccumulator().add_fragment(3, "{") == []


def test_call_without_arguments_is_ready_with_an_empty_object() -> None:
    """A call closed with no fragments carries ``{}``."""
    turn = TurnAccumulator()
    turn.open_call(0, "c1", "f")
    assert turn.close_call(0) == [ToolCallReady(ToolCall("c1", "f", "{}"))]


def test_final_text_given_on_close_wins_over_the_fragments() -> None:
    """The provider's whole arguments, sent on closing, replace what the fragments made."""
    turn = TurnAccumulator()
    turn.open_call("item", "c1", "f")
    turn.add_fragment("item", '{"a": 1')
    assert turn.close_call("item", '{"a": 12}') == [ToolCallReady(ToolCall("c1", "f", '{"a": 12}'))]


def test_end_at_the_length_limit_cuts_the_open_calls() -> None:
    """A turn ending with length cuts its open call, with the arguments that parsed."""
    turn = TurnAccumulator()
    turn.open_call(0, "c1", "f")
    turn.add_fragment(0, '{"a": 1, "b": "x')
    assert turn.end("length") == [
        ToolCallCut(ToolCall("c1", "f", {"a": 1}), '{"a": 1, "b": "x', "length")
    ]
    assert turn.calls[0].cut


def test_end_of_a_finished_turn_closes_the_open_calls_in_order() -> None:
    """A turn ending normally completes its open calls, in the order they began."""
    turn = TurnAccumulator()
    turn.open_call(1, "c1", "f")
    turn.open_call(0, "c2", "f")
    assert [e.call.id for e in turn.end("tool_calls") if isinstance(e, ToolCallReady)] == [
        "c1",
        "c2",
    ]


def test_parsed_arguments_are_ready_as_a_mapping() -> None:
    """For providers that send parsed input, a ready call carries a mapping."""
    turn = TurnAccumulator(parsed_arguments=True)
    turn.open_call(0, "c1", "f")
    turn.add_fragment(0, '{"a": [1, 2]}')
    assert turn.close_call(0) == [ToolCallReady(ToolCall("c1", "f", {"a": [1, 2]}))]


def test_parsed_arguments_that_are_not_an_object_are_cut() -> None:
    """For providers that send parsed input, text that is no JSON object cuts the call."""
    turn = TurnAccumulator(parsed_arguments=True)
    turn.open_call(0, "c1", "f")
    turn.add_fragment(0, '{"a": ')
    assert turn.close_call(0) == [ToolCallCut(ToolCall("c1", "f", {}), '{"a": ', "error")]


def test_partial_args_are_given_only_when_asked_for() -> None:
    """Deltas carry the arguments so far only with partial_args on."""
    plain, live = TurnAccumulator(), TurnAccumulator(partial_args=True)
    for turn in (plain, live):
        turn.open_call(0, "c1", "f")
    assert plain.add_fragment(0, '{"a": 1,') == [ToolCallDelta("c1", '{"a": 1,')]
    assert live.add_fragment(0, '{"a": 1,') == [ToolCallDelta("c1", '{"a": 1,', {"a": 1})]


def test_fragment_deltas_are_ordinary_frozen_tool_call_deltas() -> None:
    """A fragment's delta equals, prints, pickles and refuses changes as one built directly."""
    turn = TurnAccumulator(partial_args=True)
    turn.open_call(0, "c1", "f")
    (built,) = turn.add_fragment(0, '{"a": 1,')
    constructed = ToolCallDelta("c1", '{"a": 1,', {"a": 1})
    assert type(built) is ToolCallDelta
    assert (built, repr(built)) == (constructed, repr(constructed))
    assert pickle.loads(pickle.dumps(built)) == constructed
    assert dataclasses.replace(built, fragment="x") == ToolCallDelta("c1", "x", {"a": 1})
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.fragment = "changed"  # type: ignore[misc]


def test_partial_args_parse_work_is_linear_in_the_arguments_not_the_fragments(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Fed one character at a time, a call's partial arguments parse O(length) text in all."""
    parsed: list[int] = []
    from_json = pydantic_core.from_json

    def counting(text: str, **options: Any) -> Any:
        parsed.append(len(text))
        return from_json(text, **options)

    monkeypatch.setattr(partial.pydantic_core, "from_json", counting)
    text = json.dumps({"rows": [{"id": i, "name": f"row {i}"} for i in range(500)]})
    turn = TurnAccumulator(partial_args=True)
    turn.open_call(0, "c1", "f")
    deltas = [delta for character in text for delta in turn.add_fragment(0, character)]
    assert len(deltas) == len(text)
    assert sum(parsed) <= (1 + 1 / GROWTH) * len(text)
    assert len(parsed) < 60


def test_fragments_after_streamed_values_carry_those_values() -> None:
    """Once a provider streams a call's values, later text fragments carry those values."""
    turn = TurnAccumulator(partial_args=True)
    turn.open_call(0, "c1", "f")
    first = turn.add_fragment(0, '{"a": 1')
    valued = turn.add_fragment(0, ', "b": 2', parsed={"a": 1, "b": 2})
    later = turn.add_fragment(0, "}")
    assert first == [ToolCallDelta("c1", '{"a": 1', {"a": 1})]
    assert valued == [ToolCallDelta("c1", ', "b": 2', {"a": 1, "b": 2})]
    assert later == [ToolCallDelta("c1", "}", {"a": 1, "b": 2})]
    assert turn.close_call(0) == [ToolCallReady(ToolCall("c1", "f", {"a": 1, "b": 2}))]


def test_a_closed_calls_key_takes_no_more_fragments() -> None:
    """A fragment under the key of a call already closed is skipped, not added to it."""
    turn = TurnAccumulator()
    turn.open_call(0, "c1", "f")
    turn.add_fragment(0, "{}")
    turn.close_call(0)
    assert turn.add_fragment(0, "{") == []
    assert turn.calls[0].arguments.text == "{}"
