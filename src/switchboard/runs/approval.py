"""Calls a run cannot finish by itself: pending calls, the decisions that answer them.

A run pauses on a call that needs a human (a ``requires_approval`` tool with no ``approve=``
hook, or a tool that raises `ApprovalRequired`) or that the application runs elsewhere (an
``external=True`` tool, or a tool that raises `CallDeferred`). The paused run reports each
such call as a `PendingCall`; ``agent.resume(state, decisions)`` continues it with one
decision per call id: `Approve`, `Deny` or `Supply`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from switchboard.errors import SwitchboardError

__all__ = [
    "ApprovalRequired",
    "Approve",
    "CallDeferred",
    "Decision",
    "Deny",
    "PendingCall",
    "PendingKind",
    "Supply",
]

PendingKind = Literal["approval", "external"]
"""Why a call waits: a human must approve it, or the application runs it elsewhere."""


class ApprovalRequired(SwitchboardError):
    """Raised by a tool to pause its run until a human decides on the call.

    The call becomes a `PendingCall` of kind ``"approval"``; if it is approved, the tool
    runs again (with the arguments the human approved).

    Args:
        reason: What the human should know to decide, shown with the pending call.
    """

    def __init__(self, reason: str = "") -> None:
        self.reason = reason
        super().__init__(reason or "This call needs a human's approval.")


class CallDeferred(SwitchboardError):
    """Raised by a tool to hand its call to the application, which supplies the result.

    The call becomes a `PendingCall` of kind ``"external"``; the run resumes with the
    application's result (`Supply`).

    Args:
        reason: Why the call was handed over, shown with the pending call.
    """

    def __init__(self, reason: str = "") -> None:
        self.reason = reason
        super().__init__(reason or "This call is run by the application.")


@dataclass(frozen=True, slots=True)
class PendingCall:
    """A call a paused run waits on.

    Attributes:
        call_id: The call's id: the key of its decision in ``agent.resume``.
        tool: The tool's name.
        arguments: The arguments as the model wrote them (JSON text or a mapping).
        reason: Why it waits (the tool's `ApprovalRequired` or `CallDeferred` reason), or "".
        kind: ``"approval"``: a human must decide; ``"external"``: the application runs it.
    """

    call_id: str
    tool: str
    arguments: str | Mapping[str, Any]
    reason: str = ""
    kind: PendingKind = "approval"


@dataclass(frozen=True, slots=True)
class Approve:
    """Run the call.

    Attributes:
        arguments: The arguments to run it with, validated like the model's; ``None`` runs
            it with the arguments the model wrote.
    """

    arguments: str | Mapping[str, Any] | None = None


@dataclass(frozen=True, slots=True)
class Deny:
    """Do not run the call: the model gets an error result with ``message``.

    Attributes:
        message: What the model is told, e.g. "The user declined: do not retry."
    """

    message: str


@dataclass(frozen=True, slots=True)
class Supply:
    """Do not run the call here: the application gives its result.

    Attributes:
        result: The result: text the model reads as it is, or any value, written for the
            model as a tool's return value is.
        is_error: Whether the result is a failure, for the model to correct itself.
    """

    result: Any
    is_error: bool = False


Decision = Approve | Deny | Supply
"""The answer to one pending call."""
