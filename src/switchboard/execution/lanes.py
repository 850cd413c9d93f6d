"""Run a batch's calls on a bounded number of concurrent workers ("lanes")."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
R = TypeVar("R")


async def run_in_lanes(
    run: Callable[[T], Awaitable[R]],
    items: Sequence[T],
    indices: Sequence[int],
    results: list[R | None],
    lanes: int,
) -> None:
    """Set ``results[i] = await run(items[i])`` for each index, at most ``lanes`` at once.

    Each lane takes the next index as soon as its previous call is done, so at most
    ``lanes`` calls run at once. The first lane runs in the caller's task; the others
    start only once a call has had to wait, so a batch whose calls never wait (most tool
    calls) starts one task, not ``lanes``. A task per call parked on a semaphore would
    cap concurrency too, but costs every call a task and two semaphore operations (see
    benchmarks/dispatch.py).
    """
    pending = iter(indices)

    async def lane() -> None:
        for i in pending:
            results[i] = await run(items[i])

    lanes = min(lanes, len(indices))
    if lanes <= 1:
        await lane()
        return

    async with asyncio.TaskGroup() as group:

        async def other_lanes() -> None:
            # This task first runs when the caller's lane waits, or once it has finished.
            first = next(pending, None)
            if first is None:
                return
            for _ in range(lanes - 2):
                group.create_task(lane())
            results[first] = await run(items[first])
            await lane()

        group.create_task(other_lanes())
        await lane()
