"""Run a batch's calls on a bounded number of concurrent workers ("lanes")."""

from __future__ import annotations

import asyncio
import itertools
from collections.abc import Callable, Coroutine, Iterator, Sequence
from typing import Any

Lane = Callable[[Iterator[int]], Coroutine[Any, Any, None]]
"""Runs the items at the positions it takes from the iterator, one after another."""


async def run_in_lanes(lane: Lane, indices: Sequence[int], lanes: int) -> None:
    """Run ``lane`` on at most ``lanes`` workers that share the positions ``indices``.

    Each lane takes the next position as soon as its previous item is done, so at most
    ``lanes`` items run at once. The first lane runs in the caller's task; the others
    start only once an item has had to wait, so a batch whose calls never wait (most tool
    calls) starts one task, not ``lanes``. A task per call parked on a semaphore would
    cap concurrency too, but costs every call a task and two semaphore operations, and a
    coroutine per call costs more than the trivial call itself (see
    benchmarks/dispatch.py): a lane is one coroutine for all the items it runs.
    """
    pending = iter(indices)
    lanes = min(lanes, len(indices))
    if lanes <= 1:
        await lane(pending)
        return

    async with asyncio.TaskGroup() as group:

        async def other_lanes() -> None:
            # This task first runs when the caller's lane waits, or once it has finished.
            first = next(pending, None)
            if first is None:
                return
            for _ in range(lanes - 2):
                group.create_task(lane(pending))
            await lane(itertools.chain((first,), pending))

        group.create_task(other_lanes())
        await lane(pending)
