"""`RunStore`: where runs are checkpointed, one row per run, per step and per tool call.

A store holds JSON: the run's state as the text `RunState.to_json` wrote, and the step's
request and response and each call's result as JSON objects (the forms of `codec`). It
knows nothing of the loop, so any database can implement it: `SQLiteStore` is the default,
`PostgresStore` shares runs between machines, and `open_run_store` opens the one a location
names.

The loop records, for each step: the step's request (`RunStore.begin_step`) and its
response (`RunStore.finish_step`), each call before its code runs (`RunStore.call_started`)
and its result (`RunStore.call_finished`), and the state after the step
(`RunStore.save_state`). It hands them over in batches (`RunStore.write`), each one
transaction, so that a step costs two commits rather than seven: the request, the response
and the calls' starts before the calls run; the results and the state before the model is
asked again (see `switchboard.runs.recorder`). Each write is durable when it returns, so
what a run reports was recorded first.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol, runtime_checkable

from switchboard.runs.state import RunStatus
from switchboard.runs.writes import StoreWrite

__all__ = ["CallStatus", "RunStore", "RunSummary", "StoredCall", "StoredRun", "StoredStep"]

CallStatus = Literal["started", "finished"]
"""A call's row: its code started (and may or may not have taken effect), or its result is in."""


@dataclass(frozen=True, slots=True)
class StoredCall:
    """One tool call as the store holds it.

    Attributes:
        step: The step whose response made the call.
        call_id: The call's id.
        tool: The tool's name.
        arguments: The arguments it was started with (JSON text or an object).
        status: ``"started"``: its code began and no result was stored (after a crash, it
            may have taken effect); ``"finished"``: its result is stored.
        result: The result's JSON form, once finished.
        attempts: How many times it was started (more than 1: re-run after a crash).
        started_at: When it was last started (seconds since the epoch).
        finished_at: When its result was stored.
    """

    step: int
    call_id: str
    tool: str
    arguments: str | dict[str, Any]
    status: CallStatus
    result: dict[str, Any] | None
    attempts: int
    started_at: float
    finished_at: float | None


@dataclass(frozen=True, slots=True)
class StoredStep:
    """One step of a run: the request sent to the model, its response, and the calls made.

    Attributes:
        index: The step's index in its run.
        request: The request's JSON form, exactly as recorded.
        response: The response's JSON form; ``None`` if the model never answered (a crash,
            or the step is going on).
        calls: The calls of the step, in the order they started.
        started_at: When the step began (seconds since the epoch).
        finished_at: When its response was stored.
    """

    index: int
    request: dict[str, Any]
    response: dict[str, Any] | None
    calls: tuple[StoredCall, ...]
    started_at: float
    finished_at: float | None


@dataclass(frozen=True, slots=True)
class RunSummary:
    """A run as `RunStore.list_runs` lists it, without its state and steps.

    Attributes:
        run_id: The run's id.
        status: Where the run was at its last saved state.
        meta: What the application recorded with it at `RunStore.create_run`.
        created_at: When it was created (seconds since the epoch).
        updated_at: When its state was last saved.
    """

    run_id: str
    status: RunStatus
    meta: dict[str, Any]
    created_at: float
    updated_at: float


@dataclass(frozen=True, slots=True)
class StoredRun:
    """Everything a store holds of one run.

    Attributes:
        run_id: The run's id.
        status: Where the run was at its last saved state.
        meta: What the application recorded with it at `RunStore.create_run`.
        state: The last saved state, as `RunState.to_json` wrote it; ``None`` before the
            first save.
        steps: Its steps, in order, each with its calls.
        created_at: When it was created (seconds since the epoch).
        updated_at: When its state was last saved.
    """

    run_id: str
    status: RunStatus
    meta: dict[str, Any]
    state: str | None
    steps: tuple[StoredStep, ...]
    created_at: float
    updated_at: float

    def call(self, step: int, call_id: str) -> StoredCall | None:
        """The call ``call_id`` of step ``step``, if it was ever started."""
        for stored in self.steps:
            if stored.index == step:
                return next((c for c in stored.calls if c.call_id == call_id), None)
        return None


@runtime_checkable
class RunStore(Protocol):
    """Where runs are checkpointed. Every method is durable once it returns.

    Writes in the wrong order, or that would change what was recorded, raise
    `RunStateError`: a step or a call of a run that does not exist, a step begun again after
    its response was stored, a finished call started again, a step or call finished again
    with a different response or result. Finishing again with the same one does nothing, so
    a write retried after an error is safe.
    """

    async def create_run(self, run_id: str, meta: Mapping[str, Any]) -> None:
        """Record a new run, with status ``"running"`` and no state yet.

        Raises:
            RunStateError: A run with this id exists.
        """
        ...

    async def save_state(self, run_id: str, state_json: str, status: RunStatus) -> None:
        """Replace the run's state (`RunState.to_json` text) and status."""
        ...

    async def begin_step(self, run_id: str, index: int, request: Mapping[str, Any]) -> None:
        """Record a step's request before the model is asked.

        A step begun but never finished (the process died waiting for the model) may be
        begun again: its request is replaced.
        """
        ...

    async def finish_step(self, run_id: str, index: int, response: Mapping[str, Any]) -> None:
        """Record the response of a begun step."""
        ...

    async def call_started(
        self,
        run_id: str,
        step: int,
        call_id: str,
        tool: str,
        arguments: str | Mapping[str, Any],
    ) -> None:
        """Record that a call's code is about to run (again, for a call never finished)."""
        ...

    async def call_finished(
        self, run_id: str, step: int, call_id: str, result: Mapping[str, Any]
    ) -> None:
        """Record a started call's result, before the result is used."""
        ...

    async def write(self, run_id: str, writes: Sequence[StoreWrite]) -> None:
        """Make ``writes`` of one run, in order, in one transaction: all of them or none.

        Each write follows the rules of its method (`BeginStep` those of `begin_step`, ...),
        and one that breaks them raises `RunStateError` with nothing of the batch written.
        """
        ...

    async def load(self, run_id: str) -> StoredRun:
        """Everything stored of one run.

        Raises:
            RunNotFoundError: No run has this id (a `RunStateError`).
        """
        ...

    async def list_runs(
        self, status: RunStatus | None = None, limit: int = 100
    ) -> list[RunSummary]:
        """The runs, newest first: all, or those of one status; at most ``limit``."""
        ...

    async def close(self) -> None:
        """Release the store's connection; it cannot be used afterwards."""
        ...
