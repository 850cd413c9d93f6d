"""The run's call guards: which calls count as the same call, and which results answer one."""

from __future__ import annotations

from typing import Any

import pytest

from switchboard import ToolCall, ToolResult
from switchboard.guard import CallGuard


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
