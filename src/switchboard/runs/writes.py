"""The writes of a `RunStore.write` batch: each one of the store's write methods, as data.

`CallSettled` has no method of its own: it is made only in a batch.

A run's recorder writes a step in two transactions rather than seven: the step's request,
its reply and the start of its calls in one (`BeginStep`, `FinishStep`, `CallStarted`), its
calls' results and the state after it in the other (`CallFinished`, `SaveState`). Each
write keeps the rules of the method it stands for (`RunStore.begin_step`, ...); a batch is
applied in order, all or nothing.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, ClassVar

from switchboard.runs.state import RunStatus

__all__ = [
    "BeginStep",
    "CallFinished",
    "CallSettled",
    "CallStarted",
    "CreateRun",
    "FinishStep",
    "SaveState",
    "StoreWrite",
]


@dataclass(frozen=True, slots=True)
class CreateRun:
    """`RunStore.create_run`: record a new run, with status ``"running"``."""

    operation: ClassVar[str] = "create_run"
    meta: Mapping[str, Any]

    def args(self) -> tuple[Any, ...]:
        """The method's arguments after the run's id."""
        return (self.meta,)


@dataclass(frozen=True, slots=True)
class SaveState:
    """`RunStore.save_state`: replace the run's state and status."""

    operation: ClassVar[str] = "save_state"
    state_json: str
    status: RunStatus

    def args(self) -> tuple[Any, ...]:
        """The method's arguments after the run's id."""
        return (self.state_json, self.status)


@dataclass(frozen=True, slots=True)
class BeginStep:
    """`RunStore.begin_step`: record a step's request."""

    operation: ClassVar[str] = "begin_step"
    index: int
    request: Mapping[str, Any]

    def args(self) -> tuple[Any, ...]:
        """The method's arguments after the run's id."""
        return (self.index, self.request)


@dataclass(frozen=True, slots=True)
class FinishStep:
    """`RunStore.finish_step`: record a begun step's response."""

    operation: ClassVar[str] = "finish_step"
    index: int
    response: Mapping[str, Any]

    def args(self) -> tuple[Any, ...]:
        """The method's arguments after the run's id."""
        return (self.index, self.response)


@dataclass(frozen=True, slots=True)
class CallStarted:
    """`RunStore.call_started`: record that a call's code is about to run."""

    operation: ClassVar[str] = "call_started"
    step: int
    call_id: str
    tool: str
    arguments: str | Mapping[str, Any]

    def args(self) -> tuple[Any, ...]:
        """The method's arguments after the run's id."""
        return (self.step, self.call_id, self.tool, self.arguments)


@dataclass(frozen=True, slots=True)
class CallFinished:
    """`RunStore.call_finished`: record a started call's result."""

    operation: ClassVar[str] = "call_finished"
    step: int
    call_id: str
    result: Mapping[str, Any]

    def args(self) -> tuple[Any, ...]:
        """The method's arguments after the run's id."""
        return (self.step, self.call_id, self.result)


@dataclass(frozen=True, slots=True)
class CallSettled:
    """A call answered without its code running: denied, or its result supplied.

    A paused run's call a human refused (`Deny`), or whose result the application gave
    (`Supply`). Its row is finished with its result and no attempt (``attempts == 0``), so that a
    replay answers it as the run was answered rather than running the tool. Settling a
    call again with the same result does nothing; a call that has a row with another
    result, or that started, is refused.
    """

    operation: ClassVar[str] = "call_settled"
    step: int
    call_id: str
    tool: str
    arguments: str | Mapping[str, Any]
    result: Mapping[str, Any]

    def args(self) -> tuple[Any, ...]:
        """The backend operation's arguments after the run's id."""
        return (self.step, self.call_id, self.tool, self.arguments, self.result)


StoreWrite = (
    CreateRun | SaveState | BeginStep | FinishStep | CallStarted | CallFinished | CallSettled
)
"""One write of a `RunStore.write` batch."""
