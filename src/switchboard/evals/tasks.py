"""Task success: does a run end with the right calls and an answer that states the facts?

Each `Task` (see `task_file` for the file format) runs as ``switchboard run`` would run
it, on a fresh set of tools (the tools file imported anew, so a stateful tool starts from
its module's state, then the task's ``setup`` calls), and is scored so:

- **A needed call is matched** by a call the run made (in any turn) whose result was not
  an error of kind ``unknown_tool``, ``unparsable`` or ``invalid`` (the call was taken
  as written), with the same tool name, where each argument the task lists equals the
  made call's value after normalisation: strings compared case-insensitively and with
  whitespace ignored (``"17*23"`` is ``"17 * 23"``); numbers equal within 1e-6 relative
  (``3 == 3.0``; a number written as a string, ``"3"``, counts as the number, as the
  tool's validation reads it so); booleans and ``null`` only equal themselves; lists
  element by element and objects key by key (the same keys), with the same rules.
  Arguments the task does not list are not compared. Each made call matches at most one
  needed call, order does not matter (the matching is a maximum one), and extra calls
  are allowed and counted.
- ``calls_right``: every needed call is matched.
- ``answered``: the run stopped with ``"answer"`` and a non-empty output.
- ``facts_ok``: every ``facts`` regex is found in the output (`re.search`) and no
  ``absent`` one is.
- ``success``: answered, calls right and facts ok.

A run that raises a `SwitchboardError` (a provider failure, its ``run_timeout``) is
recorded as an error, its calls (``error.result``) still scored; a `ConfigurationError`
(the program's setup is wrong, e.g. the model) and any other exception propagate.

Example:
    >>> summarize_tasks([]).overall.tasks
    0
"""

from __future__ import annotations

import json
import math
import re
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, cast

from switchboard.agent import Agent
from switchboard.errors import ConfigurationError, SwitchboardError
from switchboard.evals.task_file import NeededCall, Task, check_tasks, load_tasks
from switchboard.execution.arguments import UnparsableArguments, parse_arguments
from switchboard.execution.toolbox import Toolbox
from switchboard.messages import AssistantTurn, Message, ToolCall, ToolResult
from switchboard.outcome import RunResult
from switchboard.tools_file import load_toolbox

__all__ = [
    "NeededCall",
    "Task",
    "TaskReport",
    "TaskResult",
    "TaskSummary",
    "load_tasks",
    "run_task",
    "run_tasks",
    "score_task",
    "summarize_tasks",
]

_NOT_TAKEN = frozenset({"unknown_tool", "unparsable", "invalid"})
"""Error kinds of calls that did not run as written: they match no needed call."""


@dataclass(frozen=True, slots=True)
class TaskResult:
    """The outcome of one task.

    Attributes:
        id: The task's id.
        split: Its split.
        tags: Its tags.
        success: Answered, calls right and facts ok.
        calls_right: Every needed call was made.
        answered: The run ended with an answer that is not empty.
        facts_ok: Every fact is in the answer and no absent pattern is.
        stop_reason: Why the run stopped; ``None`` when it raised before any result.
        output: The answer ("" without one).
        calls: Every call the run made, ``{"name": ..., "arguments": ...}`` (the arguments
            as read, or the text the model wrote when it is no JSON object).
        extra_calls: Calls made that matched no needed call.
        missing_calls: The needed calls that no made call matched.
        facts_missed: The facts not found in the answer.
        absent_matched: The absent patterns found in the answer.
        error: The message of the error the run raised, if it did.
        seconds: The run's wall time (setup excluded).
        input_tokens: Tokens sent over the run.
        output_tokens: Tokens written over the run.
        requests: Model requests made.
    """

    id: str
    split: str
    tags: tuple[str, ...]
    success: bool
    calls_right: bool
    answered: bool
    facts_ok: bool
    stop_reason: str | None
    output: str
    calls: tuple[dict[str, Any], ...]
    extra_calls: int
    missing_calls: tuple[dict[str, Any], ...]
    facts_missed: tuple[str, ...]
    absent_matched: tuple[str, ...]
    error: str | None
    seconds: float
    input_tokens: int
    output_tokens: int
    requests: int

    def to_json(self) -> str:
        """The result as one line of JSON."""
        return json.dumps(asdict(self), ensure_ascii=False, default=str)


@dataclass(frozen=True, slots=True)
class TaskSummary:
    """Figures over a group of task results.

    Attributes:
        tasks: Tasks run.
        success_rate: Share that succeeded.
        calls_right_rate: Share whose needed calls were all made.
        answered_rate: Share that ended with an answer.
        errors: Runs that raised.
        mean_seconds: Mean wall time of a run.
    """

    tasks: int
    success_rate: float
    calls_right_rate: float
    answered_rate: float
    errors: int
    mean_seconds: float


@dataclass(frozen=True, slots=True)
class TaskReport:
    """The figures of a run of tasks: overall, per split and per tag.

    Attributes:
        overall: Over every result.
        splits: Per split present, ``"train"`` before ``"test"``.
        tags: Per tag, in the order first seen.
    """

    overall: TaskSummary
    splits: Mapping[str, TaskSummary] = field(default_factory=dict[str, TaskSummary])
    tags: Mapping[str, TaskSummary] = field(default_factory=dict[str, TaskSummary])


async def run_tasks(
    tasks: Sequence[Task],
    tools_file: str | Path,
    make_agent: Callable[[Toolbox], Agent],
    *,
    on_item: Callable[[TaskResult], None] | None = None,
) -> list[TaskResult]:
    """Run each task, one after another, on fresh tools, and score it.

    Every task is checked against the tools file first, so a bad task runs nothing.

    Args:
        tasks: The tasks (`load_tasks`).
        tools_file: The Python file that defines the tools; imported anew for each task.
        make_agent: Builds the agent for one task from its fresh tools.
        on_item: Called with each result as it is scored (progress).

    Raises:
        ConfigurationError: The tools file cannot be loaded, a task names a tool or an
            argument it lacks, a setup call fails, or a run meets a setting that is wrong.
    """
    check_tasks(tasks, load_toolbox(tools_file), tools_file)
    results: list[TaskResult] = []
    for task in tasks:
        toolbox = load_toolbox(tools_file)
        result = await run_task(task, toolbox, make_agent(toolbox))
        results.append(result)
        if on_item is not None:
            on_item(result)
    return results


async def run_task(task: Task, toolbox: Toolbox, agent: Agent) -> TaskResult:
    """Set up one task on its fresh ``toolbox``, run it through ``agent``, and score it.

    Raises:
        ConfigurationError: A setup call fails, or the run meets a setting that is wrong.
    """
    await _set_up(task, toolbox)
    run: RunResult | None = None
    error: str | None = None
    started = time.perf_counter()
    try:
        run = await agent.run(task.prompt)
    except ConfigurationError:
        raise
    except SwitchboardError as e:
        error = str(e)
        run = cast("RunResult | None", e.result)
    return score_task(task, run, error, time.perf_counter() - started)


def score_task(
    task: Task, result: RunResult | None, error: str | None, seconds: float
) -> TaskResult:
    """Score one run of a task (see the module's doc for the rules).

    Args:
        task: The task.
        result: What the run produced; for a run that raised, its ``error.result`` (``None``
            when it had none).
        error: The message of the error the run raised, if any.
        seconds: The run's wall time.
    """
    made = _calls_made(result.messages) if result is not None else []
    matched = _match(task.calls, [call for call, taken in made if taken])
    missing = tuple(
        call.model_dump() for call, match in zip(task.calls, matched, strict=True) if match is None
    )
    output = result.output if result is not None else ""
    stop_reason = result.stop_reason if result is not None else None
    answered = stop_reason == "answer" and bool(output.strip())
    facts_missed = tuple(fact for fact in task.facts if not re.search(fact, output))
    absent_matched = tuple(pattern for pattern in task.absent if re.search(pattern, output))
    facts_ok = not facts_missed and not absent_matched
    usage = result.usage if result is not None else None
    return TaskResult(
        id=task.id,
        split=task.split,
        tags=task.tags,
        success=answered and not missing and facts_ok,
        calls_right=not missing,
        answered=answered,
        facts_ok=facts_ok,
        stop_reason=stop_reason,
        output=output,
        calls=tuple({"name": call.name, "arguments": call.arguments} for call, _ in made),
        extra_calls=len(made) - sum(match is not None for match in matched),
        missing_calls=missing,
        facts_missed=facts_missed,
        absent_matched=absent_matched,
        error=error,
        seconds=seconds,
        input_tokens=usage.input_tokens if usage else 0,
        output_tokens=usage.output_tokens if usage else 0,
        requests=usage.requests if usage else 0,
    )


def summarize_tasks(results: Sequence[TaskResult]) -> TaskReport:
    """The figures of a run of tasks: overall, per split and per tag."""
    splits = {
        split: _summary([r for r in results if r.split == split])
        for split in ("train", "test")
        if any(r.split == split for r in results)
    }
    tags = dict.fromkeys(tag for r in results for tag in r.tags)
    return TaskReport(
        overall=_summary(results),
        splits=splits,
        tags={tag: _summary([r for r in results if tag in r.tags]) for tag in tags},
    )


def _summary(results: Sequence[TaskResult]) -> TaskSummary:
    count = len(results)

    def share(values: Sequence[bool]) -> float:
        return sum(values) / count if count else 0.0

    return TaskSummary(
        tasks=count,
        success_rate=share([r.success for r in results]),
        calls_right_rate=share([r.calls_right for r in results]),
        answered_rate=share([r.answered for r in results]),
        errors=sum(r.error is not None for r in results),
        mean_seconds=sum(r.seconds for r in results) / count if count else 0.0,
    )


async def _set_up(task: Task, toolbox: Toolbox) -> None:
    calls = [ToolCall(f"setup-{i}", call.name, call.arguments) for i, call in enumerate(task.setup)]
    for call, result in zip(calls, await toolbox.execute(calls), strict=True):
        if result.is_error:
            msg = (
                f"Task {task.id!r}: the setup call {call.name}({json.dumps(call.arguments)}) "
                f"failed: {result.content} Fix the task's setup."
            )
            raise ConfigurationError(msg)


@dataclass(frozen=True, slots=True)
class _MadeCall:
    name: str
    arguments: dict[str, Any] | str


def _calls_made(messages: Sequence[Message]) -> list[tuple[_MadeCall, bool]]:
    """Each call of the run, and whether it was taken as written (see `_NOT_TAKEN`).

    A call without a result (a run cut short) was not taken.
    """
    made: list[tuple[_MadeCall, bool]] = []
    turn: tuple[ToolCall, ...] = ()
    kinds: dict[str, str | None] = {}
    for message in [*messages, None]:
        if isinstance(message, ToolResult):
            kinds[message.call_id] = message.error_kind
            continue
        for call in turn:
            taken = call.id in kinds and kinds[call.id] not in _NOT_TAKEN
            made.append((_MadeCall(call.name, _arguments(call)), taken))
        turn = message.tool_calls if isinstance(message, AssistantTurn) else ()
        kinds = {}
    return made


def _arguments(call: ToolCall) -> dict[str, Any] | str:
    """The arguments as the executor reads them (repairs included), else as written."""
    try:
        return parse_arguments(call.arguments).value
    except UnparsableArguments:
        return call.arguments if isinstance(call.arguments, str) else dict(call.arguments)


def _match(needed: Sequence[NeededCall], made: Sequence[_MadeCall]) -> list[int | None]:
    """For each needed call, the index of the made call matched to it, in a maximum matching.

    Greedy matching can fail ({"city": "Tokyo"} and {} both wanting the one Tokyo call):
    Kuhn's augmenting paths, written out since a dozen calls need no graph library.
    """
    owner: dict[int, int] = {}

    def place(i: int, seen: set[int]) -> bool:
        for j, call in enumerate(made):
            if j in seen or not _fits(needed[i], call):
                continue
            seen.add(j)
            if j not in owner or place(owner[j], seen):
                owner[j] = i
                return True
        return False

    for i in range(len(needed)):
        place(i, set())
    by_needed = {i: j for j, i in owner.items()}
    return [by_needed.get(i) for i in range(len(needed))]


def _fits(needed: NeededCall, made: _MadeCall) -> bool:
    if needed.name != made.name or not isinstance(made.arguments, dict):
        return False
    given = made.arguments
    return all(key in given and _same(value, given[key]) for key, value in needed.arguments.items())


def _same(needed: Any, made: Any) -> bool:
    if isinstance(needed, bool) or isinstance(made, bool):
        return needed is made
    if isinstance(needed, int | float):
        number = _number(made)
        return number is not None and math.isclose(needed, number, rel_tol=1e-6)
    if isinstance(needed, str):
        return isinstance(made, str) and _squeezed(needed) == _squeezed(made)
    if isinstance(needed, list):
        items = cast("list[Any]", needed)
        return (
            isinstance(made, list)
            and len(items) == len(cast("list[Any]", made))
            and all(_same(a, b) for a, b in zip(items, cast("list[Any]", made), strict=True))
        )
    if isinstance(needed, dict):
        wanted = cast("dict[str, Any]", needed)
        if not isinstance(made, dict):
            return False
        given = cast("dict[str, Any]", made)
        return wanted.keys() == given.keys() and all(_same(v, given[k]) for k, v in wanted.items())
    return needed is None and made is None


def _squeezed(text: str) -> str:
    """A string as compared: case and whitespace aside (``"17*23"`` is ``"17 * 23"``)."""
    return "".join(text.split()).casefold()


def _number(value: Any) -> float | None:
    if isinstance(value, int | float):
        return float(value)
    if isinstance(value, str):
        try:
            number = float(value.strip())
        except ValueError:
            return None
        return number if math.isfinite(number) else None
    return None
