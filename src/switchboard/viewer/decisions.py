"""The page's answers to a paused run's pending calls, and the hook that resumes the run.

The page posts one decision per pending call, as JSON::

    {"decisions": {"call_1": {"decision": "approve"},
                   "call_2": {"decision": "deny", "message": "Not that file."},
                   "call_3": {"decision": "supply", "result": "42", "is_error": false}}}

`decisions_from_json` reads them into `Approve`, `Deny` and `Supply`, checked against the
calls the run waits on; the viewer then hands them to its `ResumeHook`, which resumes the
run (`agent_resume` makes one of an agent: ``agent.resume(run_id, decisions)``).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Collection, Mapping
from typing import Any, Protocol, cast

from switchboard.runs.approval import Approve, Decision, Deny, Supply

__all__ = ["DecisionsError", "Resumable", "ResumeHook", "agent_resume", "decisions_from_json"]

ResumeHook = Callable[[str, Mapping[str, Decision]], Awaitable[object]]
"""Resumes a paused run: called with its run id and a decision for each pending call."""


class Resumable(Protocol):
    """What resumes a stored run by its id: an `Agent` whose store is the viewer's."""

    def resume(self, run: str, decisions: Mapping[str, Decision], /) -> Awaitable[object]:
        """Continue the run ``run`` with ``decisions``."""
        ...


class DecisionsError(ValueError):
    """The posted decisions are malformed, or do not answer the run's pending calls."""


def agent_resume(agent: Resumable) -> ResumeHook:
    """The hook that resumes a run with ``agent.resume(run_id, decisions)``."""

    async def resume(run_id: str, decisions: Mapping[str, Decision]) -> None:
        await agent.resume(run_id, decisions)

    return resume


def decisions_from_json(data: Any, pending: Collection[str]) -> dict[str, Decision]:
    """The decisions of the posted JSON, one for each pending call.

    Args:
        data: The posted JSON value.
        pending: The ids of the calls the run waits on.

    Raises:
        DecisionsError: The JSON is not of the form above, a pending call has no decision,
            or a decision names a call the run does not wait on.
    """
    decisions = cast("dict[str, Any]", data).get("decisions") if isinstance(data, dict) else None
    if not isinstance(decisions, dict):
        message = 'Post {"decisions": {call_id: {"decision": "approve" | "deny" | "supply"}}}.'
        raise DecisionsError(message)
    decisions = cast("dict[str, Any]", decisions)
    missing = sorted(set(pending) - set(decisions))
    unknown = sorted(set(decisions) - set(pending))
    if unknown:
        message = f"The run does not wait on calls {unknown}: it waits on {sorted(pending)}."
        raise DecisionsError(message)
    if missing:
        message = f"Decide every pending call: {missing} have no decision."
        raise DecisionsError(message)
    return {call_id: _decision(call_id, answer) for call_id, answer in decisions.items()}


def _decision(call_id: str, answer: Any) -> Decision:
    fields = cast("dict[str, Any]", answer) if isinstance(answer, dict) else {}
    kind = fields.get("decision")
    if kind == "approve":
        arguments = fields.get("arguments")
        if arguments is not None and not isinstance(arguments, str | dict):
            message = f"Call {call_id!r}: approved arguments must be JSON text or an object."
            raise DecisionsError(message)
        return Approve(cast("str | dict[str, Any] | None", arguments))
    if kind == "deny":
        text = fields.get("message")
        if not isinstance(text, str) or not text.strip():
            message = f"Call {call_id!r}: a denial needs a message for the model."
            raise DecisionsError(message)
        return Deny(text)
    if kind == "supply":
        if "result" not in fields or not isinstance(fields.get("is_error", False), bool):
            message = (
                f"Call {call_id!r}: a supplied result needs 'result' (and a boolean is_error)."
            )
            raise DecisionsError(message)
        return Supply(fields["result"], is_error=fields.get("is_error", False))
    message = f"Call {call_id!r}: 'decision' must be 'approve', 'deny' or 'supply', not {kind!r}."
    raise DecisionsError(message)
