"""A running call's progress in a streamed run: reported through RunContext, yielded as events."""

from __future__ import annotations

import asyncio

import pytest

from switchboard import (
    Agent,
    RunContext,
    ScriptedModel,
    ToolCall,
    ToolProgress,
    ToolProgressEvent,
)

pytestmark = pytest.mark.anyio


async def count(ctx: RunContext[None], n: int) -> str:
    """Count to n, reporting each step."""
    for step in range(1, n + 1):
        ctx.report_progress(step, n, f"at {step}")
        await asyncio.sleep(0)
    return "counted"


def count_in_a_thread(ctx: RunContext[None], n: int) -> str:
    """Count to n in a worker thread, reporting each step."""
    for step in range(1, n + 1):
        ctx.report_progress(step, n)
    return "counted"


@pytest.mark.parametrize("early_execution", [True, False])
async def test_progress_reports_are_stream_events_before_the_result(early_execution: bool) -> None:
    """Each report becomes a ToolProgressEvent, in order, before the call's result."""
    model = ScriptedModel([ToolCall("c1", "count", '{"n": 3}'), "Done."])
    agent = Agent(model, tools=[count], early_execution=early_execution)
    events = [
        event
        async for event in agent.run_stream("Count.")
        if event.kind in ("tool_progress", "tool_result")
    ]
    assert events[:3] == [
        ToolProgressEvent(ToolProgress("c1", "count", s, 3, f"at {s}")) for s in (1, 2, 3)
    ]
    assert events[3].kind == "tool_result"


async def test_progress_from_a_sync_tools_thread_reaches_the_stream() -> None:
    """A sync tool reporting from its worker thread is heard, in order, before its result."""
    model = ScriptedModel([ToolCall("c1", "count_in_a_thread", '{"n": 2}'), "Done."])
    agent = Agent(model, tools=[count_in_a_thread])
    events = [
        event.kind if event.kind == "tool_result" else event.progress.progress  # type: ignore[union-attr]
        async for event in agent.run_stream("Count.")
        if event.kind in ("tool_progress", "tool_result")
    ]
    assert events == [1, 2, "tool_result"]


async def test_progress_of_calls_run_together_keeps_each_calls_id() -> None:
    """Two calls of one turn report under their own ids."""
    calls = [ToolCall("a", "count", '{"n": 2}'), ToolCall("b", "count", '{"n": 2}')]
    agent = Agent(ScriptedModel([calls, "Done."]), tools=[count])
    progress = [
        event.progress
        async for event in agent.run_stream("Count twice.")
        if isinstance(event, ToolProgressEvent)
    ]
    assert sorted((p.call_id, p.progress) for p in progress) == [
        ("a", 1),
        ("a", 2),
        ("b", 1),
        ("b", 2),
    ]
