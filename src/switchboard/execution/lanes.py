"""Run a batch's calls on a bounded number of concurrent workers ("lanes")."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Iterator, Sequence
from typing import Any

Lane = Callable[[Iterator[int]], Coroutine[Any, Any, None]]
"""Runs the items at the positions it takes from the iterator, one after another."""


async def run_in_lanes(lane: Lane, indices: Sequence[int], lanes: int) -> None:
    """Run ``lane`` on at most ``lanes`` workers that share the positions ``indices``.

    Each lane takes the next position as soon as its previous item is done, so at most
    ``lanes`` items run at once. The first lane runs in the caller's task; the others
    start only once an item has had to wait, so a batch whose calls never wait (most tool
    calls) starts no task at all, and never gives the event loop a turn. A task per call
    parked on a semaphore would cap concurrency too, but costs every call a task and two
    semaphore operations, and a coroutine per call costs more than the trivial call itself
    (see benchmarks/dispatch.py): a lane is one coroutine for all the items it runs.
    """
    pending = iter(indices)
    lanes = min(lanes, len(indices))
    if lanes <= 1:
        await lane(pending)
        return

    async with asyncio.TaskGroup() as group:

        def start_other_lanes() -> None:
            # Called back by the event loop only once the caller's lane waits: a batch
            # whose items never wait cancels it unrun, and the group has nothing to await.
            for _ in range(lanes - 1):
                group.create_task(lane(pending))

        other_lanes = asyncio.get_running_loop().call_soon(start_other_lanes)
        try:
            await lane(pending)
        finally:
            other_lanes.cancel()
