"""Run a `Job` over many items: concurrently in this process, or on a Ray cluster.

A job is the work done for one item (a batch's conversation, an eval's task): a small,
picklable object that names what it needs (a tools file, a model spec) and builds it once
per process. The engine hands out the items and gives each result to ``deliver`` as it
comes, exactly once per item: in this process, ``concurrency`` items at a time; on Ray,
see `switchboard.batch.on_ray`.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine, Sequence
from dataclasses import dataclass
from typing import Any, Protocol, TypeVar

from switchboard.errors import ConfigurationError

__all__ = ["Job", "RayOptions", "lanes", "run_items", "run_locally"]

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")
ItemT_contra = TypeVar("ItemT_contra", contravariant=True)
ResultT_co = TypeVar("ResultT_co", covariant=True)


class Job(Protocol[ItemT_contra, ResultT_co]):
    """The work done for each item of a batch; picklable, to be sent to Ray workers."""

    @property
    def heavy(self) -> bool:
        """Whether each process running it loads something large (a local model).

        On Ray a heavy job runs on replicas (actors), each loading it once; a light one
        as a task per item.
        """
        ...

    async def run(self, item: ItemT_contra) -> ResultT_co:
        """The result of one item. It must not raise: a failure is a result too."""
        ...

    async def close(self) -> None:
        """Release what this process holds for the job on this event loop (a store's connection).

        Called on Ray once the job is done in a worker: after each task's item, and by
        each replica once the items are all run. The job may run again after it, in the
        same process, and then opens what it needs anew.
        """
        ...

    def lost(self, item: ItemT_contra, reason: str) -> ResultT_co:
        """The result of an item whose run was lost (its Ray worker died, past its retries)."""
        ...

    def with_threads(self, threads: int) -> Job[ItemT_contra, ResultT_co]:
        """This job for a replica of ``threads`` CPUs: a local model's threads, unless set."""
        ...


@dataclass(frozen=True, slots=True)
class RayOptions:
    """Where and how a batch runs on Ray.

    Attributes:
        address: ``"local"`` (a new local cluster, stopped after the batch), ``"auto"``
            (the cluster of ``RAY_ADDRESS`` or the one running on this machine), or an
            address (``"head-node:6379"``, ``"ray://head-node:10001"``). Ignored when this
            process is already connected to Ray.
        replicas: Run on this many actors, each building the job's model once; ``None``:
            one replica for a heavy job (a local model), a task per item otherwise.
        cpus_per_replica: CPUs each replica reserves (and a local model's threads);
            ``None``: the cluster's CPUs shared out, at most one node's.
        cpus_per_task: CPUs each task reserves (light jobs); below 1 runs more
            conversations at once per core (API models spend their time waiting).
        max_retries: How many times Ray runs an item again whose worker died, and restarts
            a replica that died.
    """

    address: str = "local"
    replicas: int | None = None
    cpus_per_replica: float | None = None
    cpus_per_task: float = 1.0
    max_retries: int = 3

    def __post_init__(self) -> None:
        problems: list[str] = []
        if self.replicas is not None and self.replicas < 1:
            problems.append(f"replicas must be at least 1 (got {self.replicas})")
        if self.cpus_per_replica is not None and self.cpus_per_replica <= 0:
            problems.append(f"cpus_per_replica must be above 0 (got {self.cpus_per_replica})")
        if self.cpus_per_task <= 0:
            problems.append(f"cpus_per_task must be above 0 (got {self.cpus_per_task})")
        if self.max_retries < 0:
            problems.append(f"max_retries must be 0 or more (got {self.max_retries})")
        if problems:
            msg = f"Ray settings: {'; '.join(problems)}."
            raise ConfigurationError(msg)


async def run_locally(
    job: Job[ItemT, ResultT],
    items: Sequence[ItemT],
    deliver: Callable[[int, ResultT], None],
    concurrency: int,
) -> None:
    """Run the items in this process, ``concurrency`` at a time; ``deliver(i, result)`` each."""
    pending = enumerate(items)

    async def lane() -> None:
        for index, item in pending:
            deliver(index, await job.run(item))

    await lanes(lane, concurrency, len(items))


async def run_items(
    job: Job[ItemT, ResultT],
    items: Sequence[ItemT],
    deliver: Callable[[int, ResultT], None],
    *,
    concurrency: int | None,
    ray: RayOptions | None = None,
) -> None:
    """Run every item once, here or on Ray; ``deliver(i, result)`` as each finishes.

    Args:
        job: The work for each item.
        items: The items.
        deliver: Gets each item's position and result, on the event loop.
        concurrency: Items in flight at once (``None``: 8 here; on Ray, see `run_on_ray`).
        ray: Run on Ray with these options: this process connects to the cluster for the
            items and leaves it after, unless it was connected already (see `connect`).
    """
    if ray is None:
        await run_locally(job, items, deliver, concurrency or 8)
        return
    from switchboard.batch.cluster import connect, disconnect
    from switchboard.batch.on_ray import run_on_ray

    # On the event loop's thread, which nothing else uses yet: Ray sets its signal handlers
    # from the main thread only.
    connected = connect(ray.address)
    try:
        await run_on_ray(job, items, deliver, ray, concurrency)
    finally:
        if connected:
            disconnect()


async def lanes(lane: Callable[[], Coroutine[Any, Any, None]], count: int, items: int) -> None:
    """Run ``count`` copies of ``lane`` (no more than there are items), until all return.

    The lanes share one iterator over the items, so each item is taken exactly once.
    """
    async with asyncio.TaskGroup() as group:
        for _ in range(max(1, min(count, items))):
            group.create_task(lane())
