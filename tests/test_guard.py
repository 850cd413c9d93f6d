"""The run's call guards: which calls count as the same call, and which results answer one."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard import ToolCall, ToolResult
from switchboard.guard import CallGuard, OnRepeat
from switchboard.messages import ErrorKind


def guard() -> CallGuard:
    """A guard that answers repeats with their earlier result (the default)."""
    return CallGuard(max_tool_calls=None, repeat_limit=3, on_repeat="answer")


def ran(guard: CallGuard, arguments: str | Any, call_id: str = "first") -> None:
    """Admit a call of ``echo`` and record that it ran and returned "ok"."""
    call = ToolCall(call_id, "echo", arguments)
    refusal, _ = guard.admit(call)
    assert refusal is None
    guard.remember([call], [ToolResult(call_id, "echo", "ok")])


def is_repeat(guard: CallGuard, arguments: str | Any) -> bool:
    """Whether the guard answers a new call of ``echo`` with these arguments from memory."""
    refusal, _ = guard.admit(ToolCall("next", "echo", arguments))
    return refusal is not None


@pytest.mark.parametrize(
    ("first", "again"),
    [
        ('{"a": 1, "b": "x"}', '{"b":"x","a":1}'),
        ('{"a": {"y": 2, "x": [1, {"q": 1}]}}', '{"a": {"x": [1, {"q": 1}], "y": 2}}'),
        ('{"a": 1}', {"a": 1}),
        ("not json {", "not json {"),
    ],
)
def test_arguments_equal_as_json_are_the_same_call(first: str | Any, again: str | Any) -> None:
    """Key order, spacing, nesting, text or dict: the same values are the same call."""
    g = guard()
    ran(g, first)
    assert is_repeat(g, again)


@pytest.mark.parametrize(
    ("first", "other"),
    [
        ('{"a": 1}', '{"a": true}'),
        ('{"a": true}', '{"a": 1}'),
        ('{"a": 1}', '{"a": 1.0}'),
        ('{"a": 0}', '{"a": false}'),
        ('{"a": [1]}', '{"a": [true]}'),
        ('{"a": 1}', '{"a": 2}'),
        ('{"a": [1, 2]}', '{"a": [2, 1]}'),
    ],
)
def test_values_of_another_type_or_order_are_another_call(first: str, other: str) -> None:
    """1, 1.0 and true differ, as do lists in another order: not answered from memory."""
    g = guard()
    ran(g, first)
    assert not is_repeat(g, other)


def test_a_value_of_another_type_keeps_its_own_answer() -> None:
    """After 1 and true both ran, each is answered from memory as itself."""
    g = guard()
    ran(g, '{"a": 1}', "one")
    ran(g, '{"a": true}', "true")
    assert is_repeat(g, '{"a":true}')
    assert is_repeat(g, '{"a":1}')
    assert not is_repeat(g, '{"a": 1.0}')


REPLY = [
    ToolCall("1", "echo", '{"a": 1, "b": 2}'),
    ToolCall("2", "echo", '{"b":2,"a":1}'),
    ToolCall("3", "echo", '{"b": 2, "a": 1}'),
    ToolCall("4", "echo", "not json {"),
    ToolCall("5", "echo", '{"a": [1, {"y": 2, "x": 1}]}'),
    ToolCall("6", "echo", '{"a": [1, {"x": 1, "y": 2}]}'),
    ToolCall("7", "echo", '{"a": 1.0, "b": 2}'),
    ToolCall("8", "echo", '{"a": true, "b": 2}'),
    ToolCall("9", "echo", {"b": 2, "a": 1}),
    ToolCall("10", "echo", '"not json {"'),
    ToolCall("11", "other", '{"a": 1, "b": 2}'),
]


def test_a_whole_reply_is_admitted_as_its_calls_one_by_one() -> None:
    """admit_all refuses the calls admit would, with the same results and reason to stop."""
    one_by_one = guard()
    expected = [one_by_one.admit(call) for call in REPLY]
    refused, stop = guard().admit_all(REPLY)
    assert [(refused or {}).get(i) for i in range(len(REPLY))] == [r for r, _ in expected]
    assert stop == next((s for _, s in reversed(expected) if s is not None), None)
    assert refused is not None
    assert sorted(refused) == [2, 8]


def test_a_reply_with_no_call_to_refuse_gives_no_refusals() -> None:
    """Calls the run has not seen: None for the refusals, and no reason to stop."""
    assert guard().admit_all(REPLY[:2]) == (None, None)


def test_a_call_equal_as_json_to_an_answered_one_is_answered_in_a_whole_reply() -> None:
    """Key order and spacing do not matter to admit_all either."""
    g = guard()
    ran(g, '{"a": 1, "b": 2}')
    refused, _ = g.admit_all([ToolCall("next", "echo", '{"b":2,"a":1}')])
    assert refused is not None
    assert "Result: ok" in refused[0].content


def test_a_whole_reply_counts_towards_max_tool_calls() -> None:
    """The calls past max_tool_calls are refused, and the run told to stop."""
    g = CallGuard(max_tool_calls=2, repeat_limit=3, on_repeat="answer")
    refused, stop = g.admit_all(REPLY[3:6])
    assert refused is not None
    assert list(refused) == [2]
    assert stop == "max_tool_calls"
    assert g.calls_made == 2


@pytest.mark.parametrize("admit_all", [False, True])
def test_a_json_string_is_another_call_than_text_that_is_not_json(admit_all: bool) -> None:
    """'"x"' (JSON text for the string x) and 'x' (not JSON) are not the same call."""
    g = guard()
    ran(g, "x")
    call = ToolCall("next", "echo", '"x"')
    refusal = g.admit_all([call])[0] if admit_all else g.admit(call)[0]
    assert refusal is None


def test_remember_refuses_results_that_do_not_match_the_calls_one_to_one() -> None:
    """A result list of another length than the calls is an error, not a silent zip."""
    g = guard()
    call = ToolCall("first", "echo", '{"a": 1}')
    g.admit(call)
    with pytest.raises(ValueError, match="1 calls and 0 results"):
        g.remember([call], [])


def test_a_repeat_limit_of_one_refuses_a_whole_replys_first_calls_too() -> None:
    """With repeat_limit 1, admit_all refuses every call, as admit does."""
    g = CallGuard(max_tool_calls=None, repeat_limit=1, on_repeat="answer")
    refused, _ = g.admit_all(REPLY[:1])
    assert refused is not None
    assert list(refused) == [0]


def test_results_changed_after_remember_change_no_answer() -> None:
    """What remember was given is kept: the caller's list may change afterwards."""
    g = guard()
    call = ToolCall("first", "echo", '{"a": 1}')
    g.admit(call)
    results = [ToolResult("first", "echo", "ok")]
    g.remember([call], results)
    results[0] = ToolResult("first", "echo", "changed")
    refusal, _ = g.admit(ToolCall("next", "echo", '{"a":1}'))
    assert refusal is not None
    assert refusal.content.endswith("Result: ok")


def test_a_repeat_after_turns_of_two_tools_gets_the_last_tools_answers_only() -> None:
    """Turns remembered one after another: the answers are those of the tool that ran last."""
    g = guard()
    ran(g, '{"a": 1}', "one")
    other = ToolCall("two", "other", '{"a": 1}')
    g.admit_all([other])
    g.remember([other], [ToolResult("two", "other", "ok")])
    assert not is_repeat(g, '{"a": 1}')
    refused, _ = g.admit_all([ToolCall("three", "other", '{"a":1}')])
    assert refused is not None


SPELLINGS = [
    '{"a": 1, "b": 2}',
    '{"b":2,"a":1}',
    '{"a": true, "b": 2}',
    '{"a": 1.0, "b": 2}',
    '{"a": [1, {"y": 2, "x": 1}]}',
    '{"a":[1,{"x":1,"y":2}]}',
    "not json {",
    '"not json {"',
    "{}",
]
turns_of_calls = st.lists(
    st.lists(
        st.tuples(
            st.sampled_from(["echo", "other"]),
            st.sampled_from([*SPELLINGS, {"a": 1, "b": 2}]),
            st.sampled_from([None, "timeout", "raised"]),
        ),
        min_size=1,
        max_size=4,
    ),
    max_size=6,
)


@given(
    turns=turns_of_calls,
    limit=st.sampled_from([None, 3, 8]),
    on_repeat=st.sampled_from(["answer", "error", "stop", "run"]),
)
def test_admit_all_decides_every_turn_as_admit_does(
    turns: list[list[tuple[str, Any, ErrorKind | None]]], limit: int | None, on_repeat: OnRepeat
) -> None:
    """Over turns of calls and their results, admit_all and admit refuse the same calls."""
    whole = CallGuard(max_tool_calls=limit, repeat_limit=3, on_repeat=on_repeat)
    each = CallGuard(max_tool_calls=limit, repeat_limit=3, on_repeat=on_repeat)
    for t, turn in enumerate(turns):
        calls = [ToolCall(f"{t}.{i}", name, args) for i, (name, args, _) in enumerate(turn)]
        refused, stop = whole.admit_all(calls)
        decided = [each.admit(call) for call in calls]
        assert [(refused or {}).get(i) for i in range(len(calls))] == [r for r, _ in decided]
        assert stop == next((s for _, s in reversed(decided) if s is not None), None)
        results = [
            (refused or {}).get(i)
            or ToolResult(call.id, call.name, f"ran {t}", error_kind=kind, is_error=bool(kind))
            for i, (call, (_, _, kind)) in enumerate(zip(calls, turn, strict=True))
        ]
        whole.remember(calls, results)
        each.remember(calls, results)
        assert whole.answer_next == each.answer_next
