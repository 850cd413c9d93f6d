"""The read models of the SQL stores' rows, and the checks every store makes before a write.

Both stores (`SQLiteStore`, `PostgresStore`) hold a run's steps and calls as rows of the same
columns, with JSON as text; these functions turn those rows into `StoredStep` and
`StoredCall`.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, Final, cast, get_args

from switchboard.errors import ConfigurationError, RunStateError
from switchboard.runs.codec import loads
from switchboard.runs.state import RunStatus
from switchboard.runs.store import CallStatus, StoredCall, StoredStep

__all__ = ["check_limit", "check_status", "settled_again", "steps_from_rows"]

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
