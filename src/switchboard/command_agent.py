"""The agent `switchboard run` runs with: its defaults, which `eval tasks` measures as they are.

`switchboard batch` runs each line with the same defaults, and eval tasks on Ray build this
agent on each worker, so it lives apart from the command line's module.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final

from switchboard.agent import Agent
from switchboard.execution.executor import AfterHook, Approver
from switchboard.execution.toolbox import Toolbox
from switchboard.providers.base import ModelSettings, Provider
from switchboard.runs.store import RunStore
from switchboard.tools.tool import Tool

__all__ = ["MAX_ITERATIONS", "MAX_TOKENS", "TOOL_CHOICE", "command_agent"]

TOOL_CHOICE: Final = "required"
"""The first reply must call a tool (later replies may answer)."""
MAX_ITERATIONS: Final = 6
"""The most model requests in a run; the last one must answer."""
MAX_TOKENS: Final = 256
"""The most tokens per reply."""


def command_agent(
    provider: Provider,
    tools: Toolbox | Sequence[Tool],
    *,
    system: str | None = None,
    tool_choice: str = TOOL_CHOICE,
    max_iterations: int = MAX_ITERATIONS,
    max_tokens: int | None = MAX_TOKENS,
    temperature: float | None = None,
    seed: int | None = None,
    tool_timeout: float | None = None,
    run_timeout: float | None = None,
    max_tool_calls: int | None = None,
    request_timeout: float | None = None,
    answer_at_limit: bool = True,
    after: Sequence[AfterHook] = (),
    store: RunStore | None = None,
    approve: Approver | None = None,
    output_type: type[Any] | None = None,
) -> Agent:
    """The agent of `switchboard run`, with its defaults: `eval tasks` measures this one."""
    return Agent(
        provider,
        tools=tools,
        system=system,
        tool_choice=tool_choice if tools else "auto",
        max_iterations=max_iterations,
        max_tool_calls=max_tool_calls,
        answer_at_limit=answer_at_limit,
        settings=ModelSettings(max_tokens=max_tokens, temperature=temperature, seed=seed),
        tool_timeout=tool_timeout,
        run_timeout=run_timeout,
        request_timeout=request_timeout,
        after=list(after),
        store=store,
        approve=approve,
        output_type=output_type,
    )
