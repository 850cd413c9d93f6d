"""Run a batch's items on Ray: a task per item, or replicas (actors) that each load the model.

What goes over the wire: the job once (``ray.put``: a tools file's path and text, a model
spec, an output type's spec, the run settings, a run store's location; a few kilobytes),
then each item (one input line, with its run id) and its result (one output line, a typed
answer as JSON). Tools, models, output types and stores are built, loaded or opened on the
workers from those names, never pickled from this process.
What a job opens there is closed when the worker's part is done (`Job.close`): after each
task, and in each replica once every item has run, before the replicas are killed.

Light jobs (API models) run as one task per item, ``cpus_per_task`` each. A heavy job (the
local model), or any job when ``replicas`` is given, runs on that many actors: each builds
the model once and takes items one after another from its share of the lanes.

An item whose worker dies is run again by Ray (``max_retries``: a task is resubmitted, an
actor restarted and its calls sent again); past that it gets the job's ``lost`` result. The
items are handed out by this process, and each result delivered once, so no item is lost
or written twice. A conversation run again starts over (tools it had called run again),
unless the batch records its runs in a store: then it goes on with the run it stored
(`switchboard.batch.recorded`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from switchboard.batch.cluster import import_ray, largest_node_cpus
from switchboard.batch.engine import Job, RayOptions, lanes
from switchboard.blocking import run_blocking

__all__ = ["RayPlan", "plan_ray", "run_on_ray"]

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")

_CLOSE_WAIT = 10.0
"""Seconds the replicas get to close what they opened once a batch is done."""
_IN_FLIGHT_PER_CPU = 2
"""Items in flight per CPU of the cluster (tasks) or per replica: one running, one queued."""


@dataclass(frozen=True, slots=True)
class RayPlan:
    """How a job runs on the connected cluster.

    Attributes:
        replicas: Actors to run it on; ``None``: a task per item.
        cpus: CPUs each replica (or task) reserves.
        threads: CPU threads for a local model in each replica (whole CPUs, at least 1).
        concurrency: Items in flight at once.
    """

    replicas: int | None
    cpus: float
    threads: int
    concurrency: int


def plan_ray(options: RayOptions, *, heavy: bool, concurrency: int | None) -> RayPlan:
    """Share the connected cluster's CPUs out for a job (see `RayOptions`)."""
    ray = import_ray()
    total = float(ray.cluster_resources().get("CPU", 1.0))
    replicas = options.replicas if options.replicas is not None else (1 if heavy else None)
    if replicas is None:
        per_task = options.cpus_per_task
        in_flight = concurrency or max(1, int(total / per_task) * _IN_FLIGHT_PER_CPU)
        return RayPlan(None, per_task, 1, in_flight)
    cpus = options.cpus_per_replica
    if cpus is None:
        # Every replica must fit on a node, and all of them at once in the cluster.
        cpus = min(largest_node_cpus(), total / replicas)
    threads = max(1, int(cpus))
    return RayPlan(replicas, cpus, threads, concurrency or replicas * _IN_FLIGHT_PER_CPU)


async def run_on_ray(
    job: Job[ItemT, ResultT],
    items: Sequence[ItemT],
    deliver: Callable[[int, ResultT], None],
    options: RayOptions,
    concurrency: int | None,
) -> None:
    """Run every item on the connected Ray cluster (see the module's doc)."""
    ray = import_ray()
    plan = plan_ray(options, heavy=job.heavy, concurrency=concurrency)
    pending = enumerate(items)
    retries = options.max_retries
    if plan.replicas is None:
        shared = ray.put(job)
        task = ray.remote(_run_item).options(
            num_cpus=plan.cpus, max_retries=retries, retry_exceptions=False
        )

        async def task_lane() -> None:
            for index, item in pending:
                result, _ = await _outcome(job, item, task.remote(shared, item), retries)
                deliver(index, result)

        await lanes(task_lane, plan.concurrency, len(items))
        return
    replica_class = ray.remote(_Replica).options(
        num_cpus=plan.cpus, max_restarts=retries, max_task_retries=retries
    )
    # The job itself, not a reference to it: a restarted actor is built again from its
    # arguments, which must outlive any object in the store.
    replica_job = job.with_threads(plan.threads)
    replicas = [replica_class.remote(replica_job) for _ in range(plan.replicas)]
    turn = iter(range(plan.concurrency))
    try:

        async def replica_lane() -> None:
            replica = replicas[next(turn) % len(replicas)]
            for index, item in pending:
                result, gone = await _outcome(job, item, replica.run.remote(item), retries)
                deliver(index, result)
                if gone:  # past its restarts: the other replicas take the rest
                    return

        await lanes(replica_lane, plan.concurrency, len(items))
        for index, item in pending:  # every replica is gone: these cannot run
            reason = f"Lost on Ray: every replica died, past its {retries} restarts."
            deliver(index, job.lost(item, reason))
        await _close_replicas(replicas)
    finally:
        for replica in replicas:
            ray.kill(replica)


async def _close_replicas(replicas: list[Any]) -> None:
    """Let each replica close what it opened (a store's connection) before it is killed.

    A replica that died, or does not answer within `_CLOSE_WAIT`, is killed all the same.
    """
    closing = asyncio.gather(
        *(replica.close.remote() for replica in replicas), return_exceptions=True
    )
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(closing, _CLOSE_WAIT)


async def _outcome(
    job: Job[ItemT, ResultT], item: ItemT, ref: Any, retries: int
) -> tuple[ResultT, bool]:
    """The result of ``ref`` (the job's ``lost`` one when Ray got none); whether its actor died."""
    ray = import_ray()
    try:
        return await ref, False
    except asyncio.CancelledError:
        ray.cancel(ref)  # the batch was stopped: its work on the cluster stops too
        raise
    except ray.exceptions.RayTaskError as e:  # the job itself raised, which it must not
        return job.lost(item, f"Failed on Ray: {_first_line(e.cause or e)}"), False
    except ray.exceptions.RayError as e:
        tries = "once" if retries == 0 else f"{retries + 1} times"
        reason = (
            f"Lost on Ray: the worker running it failed ({type(e).__name__}); Ray ran it "
            f"{tries} (max_retries={retries}). {_first_line(e)}"
        )
        return job.lost(item, reason), isinstance(e, ray.exceptions.ActorDiedError)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else ""


def _run_item(job: Job[Any, Any], item: Any) -> Any:
    """A Ray task: one item's result."""
    return run_blocking(_run_and_close(job, item))


async def _run_and_close(job: Job[Any, Any], item: Any) -> Any:
    """One item's result, what the job opened for it closed: the worker may idle long after."""
    try:
        return await job.run(item)
    finally:
        await job.close()


class _Replica:
    """A Ray actor: runs items of one job, its model built once (on the first item)."""

    def __init__(self, job: Job[Any, Any]) -> None:
        self._job = job

    async def run(self, item: Any) -> Any:
        return await self._job.run(item)

    async def close(self) -> None:
        await self._job.close()
