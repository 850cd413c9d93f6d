"""A calculator: arithmetic the model should not do in its head."""

import ast
import math
import operator
from collections.abc import Callable
from typing import Annotated

from pydantic import Field

from switchboard import Toolbox

tools = Toolbox()

_OPERATORS: dict[type[ast.AST], Callable[..., float]] = {
    ast.Add: operator.add,
    ast.Sub: operator.sub,
    ast.Mult: operator.mul,
    ast.Div: operator.truediv,
    ast.Pow: operator.pow,
    ast.Mod: operator.mod,
    ast.USub: operator.neg,
    ast.UAdd: operator.pos,
}


def _evaluate(node: ast.AST) -> float:
    if isinstance(node, ast.Expression):
        return _evaluate(node.body)
    if isinstance(node, ast.Constant) and isinstance(node.value, int | float):
        return node.value
    if isinstance(node, ast.BinOp) and type(node.op) in _OPERATORS:
        return _OPERATORS[type(node.op)](_evaluate(node.left), _evaluate(node.right))
    if isinstance(node, ast.UnaryOp) and type(node.op) in _OPERATORS:
        return _OPERATORS[type(node.op)](_evaluate(node.operand))
    msg = f"Unsupported expression element: {ast.dump(node)}. Use numbers and + - * / ** %."
    raise ValueError(msg)


@tools.register
def calculate(expression: str) -> float:
    """Evaluate an arithmetic expression exactly.

    Args:
        expression: Numbers with + - * / ** % and parentheses, e.g. "(2 + 3) * 4".
    """
    return _evaluate(ast.parse(expression, mode="eval"))


@tools.register
def square_root(x: Annotated[float, Field(ge=0)]) -> float:
    """Square root of a non-negative number.

    Args:
        x: The number.
    """
    return math.sqrt(x)
