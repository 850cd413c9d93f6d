"""``eval tasks`` and ``eval bfcl`` on Ray: each task or entry an item of a batch's machinery.

A task runs on a worker as `run_tasks` runs it here (its tools file imported anew, its
setup calls, the agent of ``switchboard run``) and comes back scored; a BFCL entry is asked
and scored on a worker as `run_bfcl` does. The results are in the order of the tasks or
entries, whatever order they finish in. What differs from a run here: a setup call that
fails, or a model that cannot be built on a worker, is that task's error rather than the
end of the eval, and an item whose worker is lost past Ray's retries is scored wrong with
the reason.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

from switchboard.batch.conversation import load_tools
from switchboard.batch.engine import Job, RayOptions, run_items
from switchboard.batch.models import ModelSpec
from switchboard.batch.sources import SourceFile
from switchboard.command_agent import command_agent
from switchboard.errors import SwitchboardError
from switchboard.evals.bfcl import load_bfcl, load_possible_answers
from switchboard.evals.harness import ItemResult, expects_no_call, run_entry
from switchboard.evals.task_file import Task, check_tasks
from switchboard.evals.tasks import TaskResult, run_task, score_task
from switchboard.providers.base import ModelSettings
from switchboard.tools_file import load_toolbox

__all__ = ["BfclJob", "TaskJob", "run_bfcl_on_ray", "run_tasks_on_ray"]

ItemT = TypeVar("ItemT")
ResultT = TypeVar("ResultT")

_ENTRIES: dict[str, tuple[list[dict[str, Any]], dict[str, list[Any]]]] = {}
"""A worker's BFCL categories: entries and possible answers, each read once."""


@dataclass(frozen=True, slots=True)
class TaskJob:
    """Runs one task of a task file, as ``switchboard eval tasks`` runs it."""

    tools: SourceFile
    model: ModelSpec
    max_iterations: int
    max_tokens: int

    @property
    def heavy(self) -> bool:
        """Whether the model is a local one, loaded once per replica."""
        return self.model.is_local

    async def run(self, item: Task) -> TaskResult:
        """The task's scored result; a setup or model failure is its error."""
        try:
            toolbox = load_tools(self.tools, fresh=True)
            agent = command_agent(
                self.model.build(),
                toolbox,
                max_iterations=self.max_iterations,
                max_tokens=self.max_tokens,
            )
            return await run_task(item, toolbox, agent)
        except SwitchboardError as e:
            return self.lost(item, str(e))

    async def close(self) -> None:
        """Nothing to release: a worker keeps only its tools and its model."""

    def lost(self, item: Task, reason: str) -> TaskResult:
        """The task scored as not done, with the reason."""
        return score_task(item, None, reason, 0.0)

    def with_threads(self, threads: int) -> TaskJob:
        """This job for a replica of ``threads`` CPUs: a local model's threads, unless set."""
        return dataclasses.replace(self, model=self.model.with_threads(threads))


@dataclass(frozen=True, slots=True)
class BfclJob:
    """Asks one BFCL entry (by its position in the category) and scores the reply."""

    category: str
    model: ModelSpec
    settings: ModelSettings | None

    @property
    def heavy(self) -> bool:
        """Whether the model is a local one, loaded once per replica."""
        return self.model.is_local

    async def run(self, item: int) -> ItemResult:
        """The entry's scored result; a provider's failure scores it wrong, with the reason."""
        entries, answers = _category(self.category)
        entry = entries[item]
        try:
            return await run_entry(self.model.build(), self.category, entry, answers, self.settings)
        except SwitchboardError as e:
            return _scored_wrong(entry, str(e))

    async def close(self) -> None:
        """Nothing to release: a worker keeps only its categories and its model."""

    def lost(self, item: int, reason: str) -> ItemResult:
        """The entry scored wrong, with the reason."""
        entries, _ = _category(self.category)
        return _scored_wrong(entries[item], reason)

    def with_threads(self, threads: int) -> BfclJob:
        """This job for a replica of ``threads`` CPUs: a local model's threads, unless set."""
        return dataclasses.replace(self, model=self.model.with_threads(threads))


async def run_tasks_on_ray(
    tasks: Sequence[Task],
    tools_file: str | Path,
    model: ModelSpec,
    ray: RayOptions,
    *,
    max_iterations: int,
    max_tokens: int,
    on_item: Callable[[TaskResult], None] | None = None,
) -> list[TaskResult]:
    """`run_tasks` on Ray: every task checked here first, then run on the cluster.

    Raises:
        ConfigurationError: The tools file cannot be loaded, a task names a tool or an
            argument it lacks, or no Ray cluster answers.
    """
    check_tasks(tasks, load_toolbox(tools_file), tools_file)
    source = SourceFile.read(tools_file, "tools file")
    job = TaskJob(source, model, max_iterations, max_tokens)
    return await _run(job, list(tasks), ray, on_item)


async def run_bfcl_on_ray(
    category: str,
    model: ModelSpec,
    ray: RayOptions,
    *,
    limit: int | None = None,
    settings: ModelSettings | None = None,
    on_item: Callable[[ItemResult], None] | None = None,
) -> list[ItemResult]:
    """`run_bfcl` on Ray: the entries asked and scored on the cluster, results in order.

    Raises:
        ConfigurationError: ``bfcl-eval`` is not installed or has no such category (here:
            each worker needs it too), or no Ray cluster answers.
    """
    count = len(_category(category)[0][:limit])
    return await _run(BfclJob(category, model, settings), list(range(count)), ray, on_item)


async def _run(
    job: Job[ItemT, ResultT],
    items: list[ItemT],
    ray: RayOptions,
    on_item: Callable[[ResultT], None] | None,
) -> list[ResultT]:
    results: dict[int, ResultT] = {}

    def deliver(index: int, result: ResultT) -> None:
        results[index] = result
        if on_item is not None:
            on_item(result)

    await run_items(job, items, deliver, concurrency=None, ray=ray)
    return [results[index] for index in range(len(items))]


def _category(category: str) -> tuple[list[dict[str, Any]], dict[str, list[Any]]]:
    found = _ENTRIES.get(category)
    if found is None:
        answers = {} if expects_no_call(category) else load_possible_answers(category)
        found = _ENTRIES[category] = (load_bfcl(category), answers)
    return found


def _scored_wrong(entry: Mapping[str, Any], reason: str) -> ItemResult:
    """An entry that got no reply to score: wrong, with the reason."""
    return ItemResult(str(entry["id"]), False, (), 0, (reason,), 0.0, 0, 0)
