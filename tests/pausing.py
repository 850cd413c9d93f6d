"""The agent of the pause tests: tools that log each run, and a model that follows the run.

Shared with `tests/pause_worker.py`, which resumes a paused run in another process. The
model's reply depends only on how many replies the conversation already holds, so a model
in a new process answers a resumed run as the first one would have.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any

from switchboard import (
    Agent,
    ApprovalRequired,
    AssistantTurn,
    CallDeferred,
    ModelRequest,
    RunContext,
    ScriptedModel,
    Toolbox,
    ToolCall,
)

Log = Callable[[str], None]
"""Told ``"<tool> <argument>"`` each time a tool's code runs."""

LOOKUP = ToolCall("a", "lookup", '{"key": "x"}')
DELETE = ToolCall("b", "delete", '{"key": "x"}')
SEND = ToolCall("c", "send", '{"to": "ada"}')
ASK = ToolCall("d", "careful", '{"key": "y"}')
DEFER = ToolCall("e", "defer", '{"job": "render"}')


def make_tools(log: Log) -> Toolbox:
    """Lookup (plain), delete (requires approval), send (external), careful, defer."""
    tools = Toolbox()

    @tools.register
    def lookup(key: str) -> str:
        """Look a key up."""
        log(f"lookup {key}")
        return f"value of {key}"

    @tools.register(requires_approval=True)
    def delete(key: str) -> str:
        """Delete a key."""
        log(f"delete {key}")
        return f"deleted {key}"

    @tools.register(external=True)
    def send(to: str) -> str:
        """Send a message (run by the application)."""
        log(f"send {to}")
        return "sent here"

    @tools.register
    def careful(ctx: RunContext[None], key: str) -> str:
        """Asks for approval itself, unless approved."""
        if not ctx.approved:
            reason = f"careful touches {key}"
            raise ApprovalRequired(reason)
        log(f"careful {key}")
        return f"carefully did {key}"

    @tools.register
    def defer(job: str) -> str:
        """Hands its call to the application."""
        log(f"defer {job}")
        reason = f"{job} runs on the render farm"
        raise CallDeferred(reason)

    return tools


def scripted(turns: Sequence[Sequence[ToolCall]], answer: str = "Done.") -> ScriptedModel:
    """Reply ``turns[n]`` to a conversation holding n replies, then ``answer``."""

    def reply(request: ModelRequest) -> Any:
        done = sum(isinstance(m, AssistantTurn) for m in request.messages)
        return list(turns[done]) if done < len(turns) else answer

    return ScriptedModel(reply)


def make_agent(log: Log, turns: Sequence[Sequence[ToolCall]], **options: Any) -> Agent:
    """An agent over `make_tools`, its model replying ``turns`` then an answer."""
    return Agent(scripted(turns), tools=make_tools(log), **options)
