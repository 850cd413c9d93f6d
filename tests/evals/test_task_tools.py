"""The tool files the task sets run with: examples/calculator_units.py and examples/todo.py."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from switchboard import Toolbox, ToolCall, ToolResult
from switchboard.tools_file import load_toolbox

EXAMPLES = Path(__file__).parent.parent.parent / "examples"


@pytest.fixture
def calculator() -> Toolbox:
    return load_toolbox(EXAMPLES / "calculator_units.py")


@pytest.fixture
def todo() -> Toolbox:
    return load_toolbox(EXAMPLES / "todo.py")


def _call(toolbox: Toolbox, name: str, **arguments: Any) -> ToolResult:
    [result] = toolbox.execute_sync([ToolCall("c1", name, json.dumps(arguments))])
    return result


@pytest.mark.parametrize(
    "expression", ["__import__('os')", "x + 1", "(1).real", "abs(-1)", "[1, 2]", "True + 1"]
)
def test_calculate_refuses_anything_but_numbers_and_arithmetic(
    calculator: Toolbox, expression: str
) -> None:
    """Calls, names, attributes, lists and booleans are errors that say what is allowed."""
    result = _call(calculator, "calculate", expression=expression)
    assert result.is_error
    assert "is not allowed: use only numbers, + - * / ** % and parentheses" in result.content


def test_calculate_follows_precedence_and_returns_whole_numbers_as_ints(
    calculator: Toolbox,
) -> None:
    """-2 + 3 * 4 ** 2 % 5 + 144 / 12 is -2 + 3 + 12; a whole result has no decimal point."""
    result = _call(calculator, "calculate", expression="-2 + 3 * 4 ** 2 % 5 + 144 / 12")
    assert result.value == {"expression": "-2 + 3 * 4 ** 2 % 5 + 144 / 12", "result": 13}
    assert '"result":13}' in result.content


def test_calculate_rounds_to_three_decimals(calculator: Toolbox) -> None:
    """10 / 3 reads 3.333: a short number a small model restates."""
    assert _call(calculator, "calculate", expression="10 / 3").value["result"] == 3.333


def test_calculate_explains_that_caret_is_not_a_power(calculator: Toolbox) -> None:
    """2^10 is refused with the spelling that works."""
    result = _call(calculator, "calculate", expression="2^10")
    assert result.is_error
    assert "write powers with **, e.g. 2 ** 10" in result.content


def test_calculate_refuses_a_power_too_large_to_compute(calculator: Toolbox) -> None:
    """9 ** 9 ** 9 is refused at once instead of running for minutes."""
    result = _call(calculator, "calculate", expression="9 ** 9 ** 9")
    assert result.is_error
    assert "has more than 1000 digits" in result.content


def test_calculate_division_by_zero_says_so(calculator: Toolbox) -> None:
    """5 / 0 is an error naming the division by zero, for the answer to repeat."""
    result = _call(calculator, "calculate", expression="5 / 0")
    assert result.is_error
    assert "Division by zero in '5 / 0'" in result.content


def test_calculate_refuses_text_that_does_not_parse(calculator: Toolbox) -> None:
    """A cut expression is an error with an example of a good one."""
    result = _call(calculator, "calculate", expression="(1 +")
    assert result.is_error
    assert "is not an arithmetic expression. Example: (2 + 3) * 4." in result.content


@pytest.mark.parametrize(
    ("value", "from_unit", "to_unit", "expected"),
    [
        (5, "km", "mi", 3.107),
        (10, "lb", "kg", 4.536),
        (100, "fahrenheit", "celsius", 37.778),
        (0, "celsius", "kelvin", 273.15),
        (212, "fahrenheit", "celsius", 100),
    ],
)
def test_convert_units_converts_within_a_kind(
    calculator: Toolbox, value: float, from_unit: str, to_unit: str, expected: float
) -> None:
    """Lengths, masses and temperatures convert, rounded to three decimals."""
    result = _call(calculator, "convert_units", value=value, from_unit=from_unit, to_unit=to_unit)
    assert result.value == {"value": value, "from": from_unit, "to": to_unit, "result": expected}


def test_convert_units_between_kinds_names_both_kinds(calculator: Toolbox) -> None:
    """Converting kg to km is an error that says which kind each unit is."""
    result = _call(calculator, "convert_units", value=5, from_unit="kg", to_unit="km")
    assert result.is_error
    assert "Cannot convert kg (a mass) to km (a length)" in result.content


def test_convert_units_refuses_a_unit_outside_its_list(calculator: Toolbox) -> None:
    """A unit the tool does not know is an argument error, before the tool runs."""
    result = _call(calculator, "convert_units", value=1, from_unit="parsec", to_unit="km")
    assert result.is_error
    assert result.error_kind == "invalid"


def test_a_todo_added_is_listed_by_a_later_call(todo: Toolbox) -> None:
    """State carries from one call to the next: added items are listed, open, in order."""
    _call(todo, "add_todo", title="Buy milk")
    _call(todo, "add_todo", title="Call mom")
    assert _call(todo, "list_todos").value == {"open": ["Buy milk", "Call mom"], "done": []}


def test_completing_a_todo_ignores_case_and_moves_it_to_done(todo: Toolbox) -> None:
    """'buy MILK' completes 'Buy milk', which the list then shows as done."""
    _call(todo, "add_todo", title="Buy milk")
    _call(todo, "add_todo", title="Call mom")
    assert _call(todo, "complete_todo", title="buy MILK").value == {"completed": "Buy milk"}
    assert _call(todo, "list_todos").value == {"open": ["Call mom"], "done": ["Buy milk"]}


def test_completing_an_unknown_todo_says_it_is_not_on_the_list(todo: Toolbox) -> None:
    """An unknown title is an error naming it, and nothing is marked done."""
    _call(todo, "add_todo", title="Buy milk")
    result = _call(todo, "complete_todo", title="Water the plants")
    assert result.is_error
    assert "'Water the plants' is not on the todo list." in result.content
    assert _call(todo, "list_todos").value == {"open": ["Buy milk"], "done": []}


def test_a_removed_todo_is_no_longer_listed(todo: Toolbox) -> None:
    """remove_todo takes the item off the list entirely."""
    _call(todo, "add_todo", title="Buy milk")
    _call(todo, "add_todo", title="Pay rent")
    assert _call(todo, "remove_todo", title="pay rent").value == {"removed": "Pay rent"}
    assert _call(todo, "list_todos").value == {"open": ["Buy milk"], "done": []}


def test_adding_a_todo_twice_says_it_is_already_there(todo: Toolbox) -> None:
    """A title already on the list (in any case) is an error, and it is listed once."""
    _call(todo, "add_todo", title="Buy milk")
    result = _call(todo, "add_todo", title="buy milk")
    assert result.is_error
    assert "'buy milk' is already on the todo list." in result.content
    assert _call(todo, "list_todos").value == {"open": ["Buy milk"], "done": []}


def test_an_empty_todo_list_says_it_is_empty(todo: Toolbox) -> None:
    """With nothing added the listing carries a note a model can restate."""
    assert _call(todo, "list_todos").value["note"] == "The todo list is empty."


def test_loading_the_todo_file_again_starts_an_empty_list(todo: Toolbox) -> None:
    """Each load re-imports the file: one task's todos never leak into the next."""
    _call(todo, "add_todo", title="Buy milk")
    fresh = load_toolbox(EXAMPLES / "todo.py")
    assert _call(fresh, "list_todos").value["open"] == []
