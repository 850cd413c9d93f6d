"""The scripted batch of benchmarks/batch.py: its tool and its model factory (``FILE:model``).

Each prompt is a number; the model calls ``add(a=n, b=1)``, then answers with the result.
Imported by path on every Ray worker, as a user's tools file and model factory are.
"""

from __future__ import annotations

from switchboard import ModelRequest, ScriptedModel, Toolbox, ToolCall, ToolResult, UserMessage

tools = Toolbox()


@tools.register
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def model() -> ScriptedModel:
    """A model that calls add once per conversation, then answers."""
    return ScriptedModel(_reply, max_recorded=1)


def _reply(request: ModelRequest) -> str | ToolCall:
    last = request.messages[-1]
    if isinstance(last, ToolResult):
        return f"It is {last.content}."
    assert isinstance(last, UserMessage)
    return ToolCall("c1", "add", f'{{"a": {int(last.content)}, "b": 1}}')
