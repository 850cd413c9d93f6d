"""A running call's progress: reported through RunContext, yielded by Agent.run_stream."""

from __future__ import annotations

import asyncio

import pytest

from switchboard import Agent, RunContext, ScriptedModel, Toolbox, ToolCall, ToolProgress

pytestmark = pytest.mark.anyio


async def count(ctx: RunContext[None], n: int) -> str:
    """Count to n, reporting each step."""
    for step in range(1, n + 1):
        ctx.report_progress(step, n, f"at {step}")
        await asyncio.sleep(0)
    return "counted"


@pytest.mark.parametrize("early_execution", [True, False])
async def test_progress_reports_are_stream_events_before_the_result(early_execution: bool) -> None:
    """Each report becomes a ToolProgress event, in order, before the call's result."""
    model = ScriptedModel([ToolCall("c1", "count", '{"n": 3}'), "Done."])
    agent = Agent(model, tools=[count], early_execution=early_execution)
    kinds = [
        event
        async for event in agent.run_stream("Count.")
        if event.kind in ("tool_progress", "tool_result")
    ]
    assert kinds[:3] == [ToolProgress("c1", "count", float(s), 3.0, f"at {s}") for s in (1, 2, 3)]
    assert kinds[3].kind == "tool_result"


async def test_progress_of_calls_run_together_keeps_each_calls_id() -> None:
    """Two calls of one turn report under their own ids."""
    calls = [ToolCall("a", "count", '{"n": 2}'), ToolCall("b", "count", '{"n": 2}')]
    agent = Agent(ScriptedModel([calls, "Done."]), tools=[count])
    progress = [
        event async for event in agent.run_stream("Count twice.") if isinstance(event, ToolProgress)
    ]
    assert sorted((p.call_id, p.progress) for p in progress) == [
        ("a", 1),
        ("a", 2),
        ("b", 1),
        ("b", 2),
    ]


async def test_reports_outside_a_stream_go_nowhere() -> None:
    """Agent.run and Toolbox.execute run a reporting tool as usual."""
    [result] = await Toolbox([count]).execute([ToolCall("c1", "count", '{"n": 2}')])
    assert result.content == "counted"
