"""Arithmetic and unit conversion with small results, for the task-success evals."""

import ast
import math
import operator
from collections.abc import Callable
from typing import Literal

from switchboard import Toolbox

tools = Toolbox()

Unit = Literal[
    "km", "m", "cm", "mi", "ft", "in", "kg", "g", "lb", "oz", "celsius", "fahrenheit", "kelvin"
]

_BINARY: dict[type[ast.operator], Callable[[float, float], float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.Mod: operator.mod,
}
_UNARY: dict[type[ast.unaryop], Callable[[float], float]] = {
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}
# Bounds the work of one ** (9 ** 9 ** 9 would run for minutes).
_MAX_DIGITS = 1000

_METRES = {"km": 1000.0, "m": 1.0, "cm": 0.01, "mi": 1609.344, "ft": 0.3048, "in": 0.0254}
_GRAMS = {"kg": 1000.0, "g": 1.0, "lb": 453.59237, "oz": 28.349523125}
_TEMPERATURES = ("celsius", "fahrenheit", "kelvin")


def _tidy(number: float) -> float:
    """The number as a model restates it best: whole numbers as ints, else 3 decimals."""
    if isinstance(number, int) or number.is_integer():
        return int(number)
    rounded = round(number, 3)
    return rounded if rounded else float(f"{number:.3g}")


def _evaluate(node: ast.AST) -> float:
    # A walk over the parsed expression instead of a dependency: an example file stays
    # plain Python, and only numbers and arithmetic operators are ever evaluated.
    if (
        isinstance(node, ast.Constant)
        and isinstance(node.value, int | float)
        and not isinstance(node.value, bool)
    ):
        return node.value
    if isinstance(node, ast.UnaryOp) and type(node.op) in _UNARY:
        return _UNARY[type(node.op)](_evaluate(node.operand))
    if isinstance(node, ast.BinOp) and type(node.op) in _BINARY:
        return _apply(node, _evaluate(node.left), _evaluate(node.right))
    if isinstance(node, ast.BinOp) and isinstance(node.op, ast.BitXor):
        msg = "'^' is not a power here: write powers with **, e.g. 2 ** 10."
        raise ValueError(msg)
    msg = f"{ast.unparse(node)!r} is not allowed: use only numbers, + - * / ** % and parentheses."
    raise ValueError(msg)


def _apply(node: ast.BinOp, left: float, right: float) -> float:
    if (
        isinstance(node.op, ast.Pow)
        and abs(left) > 1
        and right * math.log10(abs(left)) > _MAX_DIGITS
    ):
        msg = f"{ast.unparse(node)} has more than {_MAX_DIGITS} digits: too large to compute."
        raise ValueError(msg)
    value = _BINARY[type(node.op)](left, right)
    if isinstance(value, complex):
        msg = f"{ast.unparse(node)} is not a real number."
        raise ValueError(msg)
    return value


@tools.register
def calculate(expression: str) -> dict[str, object]:
    """Evaluate an arithmetic expression exactly.

    Args:
        expression: Numbers with + - * / ** % and parentheses, e.g. "(2 + 3) * 4".
    """
    try:
        tree = ast.parse(expression.strip(), mode="eval")
    except SyntaxError:
        msg = f"{expression!r} is not an arithmetic expression. Example: (2 + 3) * 4."
        raise ValueError(msg) from None
    try:
        result = _evaluate(tree.body)
    except ZeroDivisionError:
        msg = f"Division by zero in {expression!r}: the result is undefined."
        raise ValueError(msg) from None
    except OverflowError:
        msg = f"The result of {expression!r} is too large to compute."
        raise ValueError(msg) from None
    if not math.isfinite(result):
        msg = f"The result of {expression!r} is too large to compute."
        raise ValueError(msg)
    return {"expression": expression, "result": _tidy(result)}


def _kind(unit: str) -> str:
    if unit in _METRES:
        return "length"
    return "mass" if unit in _GRAMS else "temperature"


def _convert_temperature(value: float, from_unit: str, to_unit: str) -> float:
    celsius = {"celsius": value, "fahrenheit": (value - 32) * 5 / 9, "kelvin": value - 273.15}
    degrees = celsius[from_unit]
    return {"celsius": degrees, "fahrenheit": degrees * 9 / 5 + 32, "kelvin": degrees + 273.15}[
        to_unit
    ]


@tools.register
def convert_units(value: float, from_unit: Unit, to_unit: Unit) -> dict[str, object]:
    """Convert a length, a mass or a temperature from one unit to another.

    Args:
        value: The amount to convert, e.g. 5.
        from_unit: The unit of `value`, e.g. "km", "lb" or "fahrenheit".
        to_unit: The unit to convert to: a length, mass or temperature, like `from_unit`.
    """
    if _kind(from_unit) != _kind(to_unit):
        msg = (
            f"Cannot convert {from_unit} (a {_kind(from_unit)}) to {to_unit} "
            f"(a {_kind(to_unit)}): both units must be of the same kind."
        )
        raise ValueError(msg)
    if from_unit in _METRES:
        result = value * _METRES[from_unit] / _METRES[to_unit]
    elif from_unit in _GRAMS:
        result = value * _GRAMS[from_unit] / _GRAMS[to_unit]
    else:
        result = _convert_temperature(value, from_unit, to_unit)
    return {"value": _tidy(value), "from": from_unit, "to": to_unit, "result": _tidy(result)}
