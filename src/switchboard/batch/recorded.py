"""A batch's conversations recorded in a run store, each one run under the id its line was given.

The batch gives each line it runs a new run id before the line is handed out (`Line.run_id`),
so the same line run again, by Ray after its worker died, carries the same id: it finds
the run the lost attempt stored and goes on with it (`Agent.resume`: no stored reply is asked
for again, no stored call runs again, and a call that was running when the worker died is
told to the model as interrupted, unless its tool is ``idempotent``) rather than start a
second run. Each line is one run in the store, and its output line names it.

On a Ray worker the store is opened from its location (a file path or a ``postgresql://``
URL) once per process and event loop, and closed when the worker's part of the batch is
done (`close_store_of_loop`, called by `ConversationJob.close`): a replica keeps it open
for all its lines, a task worker closes it after each line. Nothing tells a task worker
when the batch ends, and Ray keeps idle workers alive (one per CPU) for later work: a
store kept open there would hold a database connection for as long as the cluster runs.
"""

from __future__ import annotations

import asyncio
import weakref
from collections.abc import Mapping
from typing import Any

from switchboard.agent import Agent
from switchboard.batch.lines import Line
from switchboard.errors import RunNotFoundError, RunStateError
from switchboard.messages import AssistantTurn
from switchboard.outcome import RunResult
from switchboard.output_schema import OutputProblem, OutputSchema
from switchboard.runs.location import open_run_store
from switchboard.runs.state import RunState, new_run_id
from switchboard.runs.store import RunStore, StoredRun

__all__ = ["close_store_of_loop", "run_recorded", "store_of_loop"]

# A store's connection belongs to the event loop that opened it (a PostgreSQL connection
# and its lock do): one store per loop, dropped with it.
_STORES: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, dict[str, RunStore]] = (
    weakref.WeakKeyDictionary()
)


def store_of_loop(location: str) -> RunStore:
    """The store at ``location`` for the running event loop, opened on first use."""
    stores = _STORES.setdefault(asyncio.get_running_loop(), {})
    store = stores.get(location)
    if store is None:
        store = stores[location] = open_run_store(location)
    return store


async def close_store_of_loop(location: str) -> RunStore | None:
    """Close the store at ``location`` that `store_of_loop` opened on this loop; it, or ``None``."""
    store = _STORES.get(asyncio.get_running_loop(), {}).pop(location, None)
    if store is not None:
        await store.close()
    return store


async def run_recorded(
    agent: Agent, store: RunStore, line: Line, meta: Mapping[str, Any]
) -> RunResult:
    """Run ``line`` as the run ``line.run_id`` of ``store``, or go on with it if stored.

    Raises:
        RunStateError: The store failed; or the run had ended on a worker that died before
            reporting it, without an answer.
        ProviderError, RunTimeoutError, RunError: As `Agent.run` raises them.
    """
    run_id = line.run_id or new_run_id()  # `batch` gives every line its id beforehand
    try:
        stored = await store.load(run_id)
    except RunNotFoundError:
        return await agent.run(line.prompt, messages=line.messages, run_id=run_id, meta=meta)
    if stored.state is None:  # the lost attempt stopped before its first step: nothing ran
        run_id = new_run_id()
        return await agent.run(line.prompt, messages=line.messages, run_id=run_id, meta=meta)
    if stored.status in ("running", "failed"):
        return await agent.resume(run_id)
    return _ended(stored, RunState.from_json(stored.state), agent.output)


def _ended(stored: StoredRun, state: RunState, output: OutputSchema[Any] | None) -> RunResult:
    """The result of a run that had ended (answered, or paused) on a worker since lost.

    A typed run's answer is validated again into its output type: it is stored as text.
    """
    last = state.messages[-1] if state.messages else None
    if stored.status == "paused":
        return RunResult("", state.messages, state.usage, (), "paused", state, state.pending)
    if isinstance(last, AssistantTurn) and not last.tool_calls:
        parsed = None if output is None else _parsed(stored, output, last.text)
        return RunResult(last.text, state.messages, state.usage, (), "answer", state, parsed=parsed)
    message = (
        f"Run {stored.run_id!r} ended without an answer on a Ray worker that died before "
        f"reporting why: see `switchboard runs show {stored.run_id}`."
    )
    raise RunStateError(message)


def _parsed(stored: StoredRun, output: OutputSchema[Any], text: str) -> Any:
    try:
        return output.parse(text)
    except OutputProblem as e:  # the loop ends a typed run on a valid answer only
        message = (
            f"Run {stored.run_id!r} ended with an answer that is no valid {output.name}: {e} "
            f"See `switchboard runs show {stored.run_id}`."
        )
        raise RunStateError(message) from e
