"""The *_sync entry points: one event loop per thread, kept between calls, as asyncio.run."""

from __future__ import annotations

import asyncio
import contextvars
import threading
from collections.abc import Callable
from typing import Any

import pytest

from switchboard import Agent, ConfigurationError, ScriptedModel, Toolbox, ToolCall, ToolResult
from switchboard.providers.base import ModelRequest
from tests.forking import in_forked_child

# Generous bound for work that must finish: if it is hit, the test fails instead of hanging.
GUARD = 30.0

request_id: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="none")


def loop_recorder() -> tuple[Toolbox, list[asyncio.AbstractEventLoop]]:
    """A toolbox whose async tool ``where`` records the event loop it runs on."""
    loops: list[asyncio.AbstractEventLoop] = []

    async def where() -> str:
        """Record the running loop."""
        loops.append(asyncio.get_running_loop())
        return request_id.get()

    return Toolbox([where]), loops


def in_thread(work: Callable[[], Any]) -> Any:
    """Run ``work`` in a new thread to its end; return what it returned."""
    box: list[Any] = []
    thread = threading.Thread(target=lambda: box.append(work()), daemon=True)
    thread.start()
    thread.join(GUARD)
    assert not thread.is_alive(), "the work did not finish"
    return box[0]


def test_execute_sync_reuses_one_event_loop_per_thread() -> None:
    """Batch after batch from one thread runs on the same event loop, not a new one each."""
    tools, loops = loop_recorder()
    for i in range(3):
        tools.execute_sync([ToolCall(str(i), "where", "{}")])
    assert len(loops) == 3
    assert loops[1] is loops[0]
    assert loops[2] is loops[0]


def test_run_sync_reuses_one_event_loop_per_thread() -> None:
    """Agent.run_sync, run after run from one thread, keeps its event loop too."""
    tools, loops = loop_recorder()

    def reply(request: ModelRequest) -> str | ToolCall:
        if isinstance(request.messages[-1], ToolResult):
            return "done"
        return ToolCall(f"c{len(loops)}", "where", "{}")

    agent = Agent(ScriptedModel(reply), tools=tools)
    for _ in range(2):
        assert agent.run_sync("Where?").output == "done"
    assert len(loops) == 2
    assert loops[1] is loops[0]


def test_threads_do_not_share_an_event_loop() -> None:
    """Each thread gets its own loop: a tool blocking one caller's loop blocks no other."""
    tools, loops = loop_recorder()
    tools.execute_sync([ToolCall("main", "where", "{}")])
    in_thread(lambda: tools.execute_sync([ToolCall("other", "where", "{}")]))
    assert loops[0] is not loops[1]


def test_each_call_runs_in_the_callers_current_context() -> None:
    """A context variable set before each call is what the tools of that call see."""
    tools, _ = loop_recorder()
    seen: list[str] = []
    for value in ("first", "second"):
        request_id.set(value)
        (result,) = tools.execute_sync([ToolCall(value, "where", "{}")])
        seen.append(result.content)
    request_id.set("none")
    assert seen == ["first", "second"]


def test_a_task_a_tool_leaves_behind_is_cancelled_when_the_call_returns() -> None:
    """As with asyncio.run, a task still pending when the batch is done is cancelled."""
    started: list[asyncio.Task[None]] = []

    async def background() -> None:
        await asyncio.sleep(GUARD)

    async def spawn() -> str:
        """Start a task and return without it."""
        started.append(asyncio.get_running_loop().create_task(background()))
        return "spawned"

    Toolbox([spawn]).execute_sync([ToolCall("c1", "spawn", "{}")])
    assert started[0].cancelled()


def test_the_event_loop_of_a_thread_that_ended_is_closed() -> None:
    """A thread's kept loop is closed when the thread ends: no loop or socket is leaked."""
    tools, loops = loop_recorder()
    in_thread(lambda: tools.execute_sync([ToolCall("c1", "where", "{}")]))
    assert loops[0].is_closed()


def test_a_call_that_raised_leaves_the_next_call_working() -> None:
    """An error out of one run_sync does not spoil the thread's loop for the next call."""
    agent = Agent(ScriptedModel(["first"]))
    assert agent.run_sync("One").output == "first"
    with pytest.raises(ConfigurationError, match="ran out of replies"):
        agent.run_sync("Two")
    assert Agent(ScriptedModel(["third"])).run_sync("Three").output == "third"


def test_a_forked_child_runs_on_an_event_loop_of_its_own() -> None:
    """After a fork, the child does not use its copy of the parent's loop (shared sockets)."""
    tools, loops = loop_recorder()
    tools.execute_sync([ToolCall("parent", "where", "{}")])

    def child() -> bool:
        tools.execute_sync([ToolCall("child", "where", "{}")])
        return loops[-1] is not loops[0]

    assert in_forked_child(child) == 0


def test_the_parent_keeps_running_calls_after_a_fork() -> None:
    """A child that used (and dropped) its copy of the loop leaves the parent's loop working.

    The loop's selector (epoll) is shared with the child: a child closing its copy would
    unregister the parent's wake-up socket, and results from worker threads would never
    wake the parent's loop (the batch timeout ends the wait instead).
    """

    def add(a: int, b: int) -> int:
        """Add."""
        return a + b

    tools = Toolbox([add])
    calls = [ToolCall("c1", "add", '{"a": 1, "b": 2}')]
    assert tools.execute_sync(calls, timeout=GUARD)[0].content == "3"

    def child() -> bool:
        return tools.execute_sync(calls, timeout=GUARD)[0].content == "3"

    assert in_forked_child(child) == 0
    (result,) = tools.execute_sync(calls, timeout=GUARD)
    assert (result.error_kind, result.content) == (None, "3")
