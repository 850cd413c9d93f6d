"""The worker threads of sync tools: bounded, reused, and gone when their executor is."""

from __future__ import annotations

import asyncio
import contextvars
import gc
import threading

import pytest

from switchboard import Executor, Toolbox, ToolCall
from switchboard.execution.threads import ToolThreads
from tests.forking import in_forked_child

# Generous bound for work that must finish: if it is hit, the test fails instead of hanging.
GUARD = 30.0


def tool_threads() -> set[threading.Thread]:
    return {t for t in threading.enumerate() if t.name == "switchboard-tool"}


def meet_at(barrier: threading.Barrier) -> Toolbox:
    """A toolbox whose sync tool ``meet`` returns once ``barrier``'s parties all call it."""

    def meet() -> int:
        """Waits for the others."""
        return barrier.wait()

    return Toolbox([meet])


def test_a_closed_pool_lets_its_idle_threads_go_at_once() -> None:
    """close() ends the idle threads now, not after their idle time (here an hour)."""
    pool = ToolThreads(2, idle_seconds=3600)
    barrier = threading.Barrier(2, timeout=GUARD)
    before = tool_threads()

    async def two() -> None:
        await asyncio.gather(*(pool.run(barrier.wait, (), {}) for _ in range(2)))

    asyncio.run(two())
    workers = tool_threads() - before
    assert len(workers) == 2
    pool.close()
    for worker in workers:
        worker.join(GUARD)
    assert not any(worker.is_alive() for worker in workers)
    assert pool.alive == 0


def test_an_executor_no_longer_used_closes_its_pool() -> None:
    """Executors made per call (execute with options) do not leave their threads idling."""
    executor = Executor(max_concurrency=2)
    pool = executor.threads
    assert not pool.closed
    del executor
    gc.collect()
    assert pool.closed


def test_a_closed_pool_still_runs_what_it_is_given() -> None:
    """A call handed to a closed pool runs; its thread then goes at once."""
    pool = ToolThreads(1)
    pool.close()
    assert asyncio.run(pool.run(lambda: "ran", (), {})) == "ran"


@pytest.mark.anyio
async def test_batches_reuse_the_executors_threads() -> None:
    """Batch after batch of sync calls runs on the same threads: none is started per batch."""
    tools = meet_at(threading.Barrier(4, timeout=GUARD))
    executor = Executor(max_concurrency=4)
    calls = [ToolCall(str(i), "meet", "{}") for i in range(4)]
    before = tool_threads()
    await executor.execute(tools, calls)
    first = tool_threads() - before
    for _ in range(3):
        results = await executor.execute(tools, calls)
        assert not any(r.is_error for r in results), [r.content for r in results]
    assert tool_threads() - before == first
    assert len(first) == 4


def test_a_forked_child_runs_sync_tools_on_threads_of_its_own() -> None:
    """After a fork, the child's copy of a pool (its threads stayed behind) still runs calls."""
    tools = meet_at(threading.Barrier(1, timeout=GUARD))
    calls = [ToolCall("c1", "meet", "{}")]
    assert [r.content for r in tools.execute_sync(calls)] == ["0"]  # the pool has a thread

    def child() -> bool:
        return [r.content for r in tools.execute_sync(calls)] == ["0"]

    assert in_forked_child(child) == 0


_SEEN: contextvars.ContextVar[str] = contextvars.ContextVar("seen", default="the thread's own")


async def _seen_in_a_worker(carry_context: bool) -> str:
    threads = ToolThreads(1)
    threads.carry_context = carry_context
    token = _SEEN.set("the caller's")
    try:
        return await threads.run(_SEEN.get, (), {})
    finally:
        _SEEN.reset(token)
        threads.close()


def test_a_call_runs_in_the_callers_context_when_the_pool_carries_it() -> None:
    """carry_context: the call sees the context variables its caller had set."""
    assert asyncio.run(_seen_in_a_worker(True)) == "the caller's"


def test_a_call_runs_in_the_threads_own_context_by_default() -> None:
    """By default a call sees none of its caller's context variables."""
    assert asyncio.run(_seen_in_a_worker(False)) == "the thread's own"
