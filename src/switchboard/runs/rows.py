"""The read models of the SQL stores' rows, and the checks every store makes before a write.

Both stores (`SQLiteStore`, `PostgresStore`) hold a run's steps and calls as rows of the same
columns, with JSON as text; these functions turn those rows into `StoredStep` and
`StoredCall`. Both keep the same tables at the same `STORE_SCHEMA_VERSION`, and raise the
same errors (`no_run`, `run_exists`, ...), naming the store by its file or its server.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Final, cast, get_args

from switchboard.errors import ConfigurationError, RunNotFoundError, RunStateError
from switchboard.runs.codec import dumps, loads
from switchboard.runs.state import RunStatus
from switchboard.runs.store import CallStatus, StoredCall, StoredStep

__all__ = [
    "STORE_SCHEMA_VERSION",
    "arguments_text",
    "call_done",
    "check_limit",
    "check_response_kept",
    "check_result_kept",
    "check_schema_version",
    "check_settled",
    "check_status",
    "no_run",
    "no_step",
    "run_exists",
    "settled_again",
    "step_answered",
    "steps_from_rows",
]

STORE_SCHEMA_VERSION: Final = 1
"""The version of the tables this switchboard writes; a store of a newer one is refused."""

_STATUSES: Final = frozenset(get_args(RunStatus))


def check_status(status: str) -> None:
    """Refuse a status that is not a `RunStatus`.

    Raises:
        ConfigurationError: It is none of them.
    """
    if status not in _STATUSES:
        message = f"Run status {status!r} is none of {sorted(_STATUSES)}."
        raise ConfigurationError(message)


def settled_again(run_id: str, step: int, call_id: str) -> RunStateError:
    """The error for a call settled (`CallSettled`) that has a row of another outcome."""
    return RunStateError(
        f"Call {call_id!r} of step {step} of run {run_id!r} was already started, or "
        "finished with another result: a call is settled only once, and never after it "
        "started. Use its stored result."
    )


def arguments_text(run_id: str, call_id: str, arguments: str | Mapping[str, Any]) -> str:
    """A call's arguments as a row holds them: the model's text, or an object as JSON."""
    written = arguments if isinstance(arguments, str) else dict(arguments)
    return dumps(written, f"The arguments of call {call_id!r} of run {run_id!r}")


def check_schema_version(version: object, where: str, holder: str) -> None:
    """Refuse the tables of a store whose ``schema_version`` table holds another version.

    Args:
        version: The version the store ``where`` holds.
        where: How messages name the store.
        holder: What holds the tables, for the fix: ``"file"``, ``"schema"``.

    Raises:
        RunStateError: It is not `STORE_SCHEMA_VERSION`.
    """
    if version == STORE_SCHEMA_VERSION:
        return
    if isinstance(version, int) and version > STORE_SCHEMA_VERSION:
        message = (
            f"The run store {where} was written by a newer switchboard (store schema "
            f"version {version}; this one reads version {STORE_SCHEMA_VERSION}). Upgrade "
            f"switchboard, or use another {holder}."
        )
    else:
        message = (
            f"The run store {where} has an unknown schema version {version!r}: its "
            f"schema_version table was not made by switchboard. Use another {holder}."
        )
    raise RunStateError(message)


def no_run(run_id: str, where: str) -> RunNotFoundError:
    """The error for a write to, or a load of, a run the store ``where`` has no row of."""
    return RunNotFoundError(f"No run {run_id!r} in {where}: create_run it first.")


def run_exists(run_id: str, where: str) -> RunStateError:
    """The error for `create_run` of a run id the store ``where`` already holds."""
    return RunStateError(f"A run with id {run_id!r} is already in {where}: use a new id.")


def no_step(run_id: str, index: int, where: str) -> RunStateError:
    """The error for a write to a step the store ``where`` has no row of."""
    return RunStateError(f"Run {run_id!r} has no step {index} in {where}: begin_step it first.")


def step_answered(run_id: str, index: int) -> RunStateError:
    """The error for `begin_step` of a step whose response is stored."""
    return RunStateError(
        f"Step {index} of run {run_id!r} already has its response: a finished step "
        "is never asked again. Begin the next step."
    )


def check_response_kept(
    run_id: str, index: int, where: str, row: Sequence[Any] | None, response: Mapping[str, Any]
) -> None:
    """After a `finish_step` that changed no row: the stored ``(response,)`` must be this one.

    Raises:
        RunStateError: The step has no row, or holds another response.
    """
    if row is None:
        raise no_step(run_id, index, where)
    if loads(row[0], "The stored response") != response:
        message = (
            f"Step {index} of run {run_id!r} is already finished with another response: "
            "a recorded response is never replaced."
        )
        raise RunStateError(message)


def call_done(run_id: str, step: int, call_id: str) -> RunStateError:
    """The error for `call_started` of a call whose result is stored."""
    return RunStateError(
        f"Call {call_id!r} of step {step} of run {run_id!r} already finished: its "
        "result is stored, and it must not run again. Use the stored result."
    )


def check_result_kept(
    run_id: str, step: int, call_id: str, row: Sequence[Any] | None, result: Mapping[str, Any]
) -> None:
    """After a `call_finished` that changed no row: the stored ``(result,)`` must be this one.

    Raises:
        RunStateError: The call never started, or finished with another result.
    """
    if row is None:
        message = (
            f"Call {call_id!r} of step {step} of run {run_id!r} was never started: "
            "call_started it before its code runs."
        )
        raise RunStateError(message)
    if loads(row[0], "The stored result") != result:
        message = (
            f"Call {call_id!r} of step {step} of run {run_id!r} is already finished with "
            "another result: a recorded result is never replaced."
        )
        raise RunStateError(message)


def check_settled(
    run_id: str, step: int, call_id: str, row: Sequence[Any] | None, result: Mapping[str, Any]
) -> None:
    """After a `CallSettled` that inserted no row: the stored ``(result,)`` must be this one.

    Raises:
        RunStateError: The call started, or was settled with another result.
    """
    stored = None if row is None or row[0] is None else loads(row[0], "The stored result")
    if stored != result:
        raise settled_again(run_id, step, call_id)


def check_limit(limit: int) -> None:
    """Refuse a negative `RunStore.list_runs` limit (which SQL would read as no limit).

    Raises:
        ConfigurationError: It is negative.
    """
    if limit < 0:
        message = f"list_runs(limit={limit}): the limit is a number of runs, 0 or more."
        raise ConfigurationError(message)


def steps_from_rows(
    steps: Sequence[Sequence[Any]], calls: Sequence[Sequence[Any]]
) -> tuple[StoredStep, ...]:
    """The read models of a run's step and call rows.

    Args:
        steps: ``(step, request, response, started_at, finished_at)`` rows in step order.
        calls: ``(step, call_id, tool, arguments, status, result, attempts, started_at,
            finished_at)`` rows in the order the calls started.
    """
    by_step: dict[int, list[StoredCall]] = {}
    for step, call_id, tool, arguments, status, result, attempts, started, finished in calls:
        by_step.setdefault(step, []).append(
            StoredCall(
                step=step,
                call_id=call_id,
                tool=tool,
                arguments=loads(arguments, "A stored call's arguments"),
                status=cast("CallStatus", status),
                result=None if result is None else loads(result, "A stored call's result"),
                attempts=attempts,
                started_at=started,
                finished_at=finished,
            )
        )
    return tuple(
        StoredStep(
            index=index,
            request=loads(request, "A stored step's request"),
            response=None if response is None else loads(response, "A stored response"),
            calls=tuple(by_step.get(index, ())),
            started_at=started_at,
            finished_at=finished_at,
        )
        for index, request, response, started_at, finished_at in steps
    )
