"""What a run needs to go on from its `RunState`: after a pause, with decisions; after a crash.

`plan_resume` reads a state (and what a run store holds of the run) and says what the
resumed loop (`switchboard.run_resume`) must do before it asks the model again:

* A paused run: each pending call gets a result, from its decision (`Deny`, `Supply`), by
  running it (`Approve`), or from the store when a resumed run already settled it before it
  died.
* A run that died mid-step (status ``running`` or ``failed``, a store): if the next step's
  reply was stored, the model is not asked again; the reply's calls whose results were
  stored take them, a call that started with no result stored runs again only if its tool
  is ``idempotent``, else it gets `interrupted_result`; the other calls run.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, NoReturn

from switchboard.errors import ConfigurationError, RunStateError
from switchboard.execution.results import to_content
from switchboard.messages import AssistantTurn, Message, ModelResponse, ToolCall, ToolResult
from switchboard.runs.approval import Approve, Decision, Deny, PendingCall, Supply
from switchboard.runs.codec import message_from_json, response_from_json
from switchboard.runs.state import RunState
from switchboard.runs.store import StoredRun
from switchboard.tools.registry import ToolRegistry

__all__ = [
    "ResumePlan",
    "denied_result",
    "interrupted_result",
    "paused_turn",
    "plan_resume",
    "supplied_result",
]


def interrupted_result(call: ToolCall) -> ToolResult:
    """The result of a call that started, whose result was lost when its run's process died."""
    message = (
        "The run stopped while this call was running, and its result was lost: it may have "
        "taken effect. Check whether it did before calling it again."
    )
    return ToolResult(call.id, call.name, message, is_error=True, error_kind="interrupted")


def denied_result(call: PendingCall, deny: Deny) -> ToolResult:
    """The result of a pending call a human refused."""
    return ToolResult(call.call_id, call.tool, deny.message, is_error=True, error_kind="denied")


def supplied_result(call: PendingCall, supply: Supply, max_chars: int) -> ToolResult:
    """The result the application gave for a pending call, written as a tool's return value."""
    content = to_content(supply.result, max_chars)
    kind = "raised" if supply.is_error else None
    value = None if supply.is_error else supply.result
    return ToolResult(call.call_id, call.tool, content, supply.is_error, kind, value=value)


@dataclass
class ResumePlan:
    """What a resumed run does before it asks the model again (see the module's doc).

    Attributes:
        state: The state it goes on from.
        create: The store has no such run yet: record it first.
        reply: A run that died mid-step: the next step's reply, stored, not to ask again.
        stored: Call id -> its stored result (of ``reply``'s step, or of the paused turn).
        lost: The ids of calls that started with no result stored.
        decided: A paused run: call id -> the result its decision gave (`Deny`, `Supply`).
        approved: A paused run: the calls to run, with the arguments approved.
        interrupted: A paused run: the calls lost that may not run again.
    """

    state: RunState
    create: bool = False
    reply: ModelResponse | None = None
    stored: dict[str, ToolResult] = field(default_factory=lambda: {})
    lost: frozenset[str] = frozenset()
    decided: dict[str, ToolResult] = field(default_factory=lambda: {})
    approved: list[ToolCall] = field(default_factory=lambda: [])
    interrupted: list[ToolCall] = field(default_factory=lambda: [])


def plan_resume(
    state: RunState,
    stored: StoredRun | None,
    decisions: Mapping[str, Decision],
    tools: ToolRegistry,
    max_chars: int,
) -> ResumePlan:
    """What resuming ``state`` takes; ``stored``: the run as its store holds it, if any.

    Raises:
        RunStateError: The run has finished, or the store holds another state of it.
        ConfigurationError: The decisions do not answer the pending calls one for one, or
            approve a call the application must run.
    """
    if state.status == "finished":
        message = (
            f"Run {state.run_id!r} has finished: there is nothing to resume. To go on with "
            "its conversation, start a new run with messages=state.messages."
        )
        raise RunStateError(message)
    if stored is not None and stored.state is not None and stored.state != state.to_json():
        message = (
            f"The run store holds another state of run {state.run_id!r} than the one given "
            "(a later one, if the run went on): resume it by its id."
        )
        raise RunStateError(message)
    plan = ResumePlan(state, create=stored is None)
    if state.pending:
        _plan_decisions(plan, stored, decisions, tools, max_chars)
        return plan
    if decisions:
        message = (
            f"Run {state.run_id!r} is not paused: no call waits for the decisions given "
            f"(for {sorted(decisions)}). Resume it without decisions."
        )
        raise ConfigurationError(message)
    if stored is not None:
        step = next((s for s in stored.steps if s.index == state.iteration), None)
        if step is not None and step.response is not None:
            plan.reply = response_from_json(step.response, f"step {step.index}'s response")
            plan.stored, plan.lost = _stored_calls(stored, step.index)
    return plan


def _plan_decisions(
    plan: ResumePlan,
    stored: StoredRun | None,
    decisions: Mapping[str, Decision],
    tools: ToolRegistry,
    max_chars: int,
) -> None:
    state = plan.state
    pending = {call.call_id: call for call in state.pending}
    unknown = sorted(set(decisions) - set(pending))
    if unknown:
        waiting = ", ".join(pending)
        message = (
            f"Decisions for calls run {state.run_id!r} does not wait on: {unknown}. It waits "
            f"on {waiting}."
        )
        raise ConfigurationError(message)
    if stored is not None:
        plan.stored, plan.lost = _stored_calls(stored, state.iteration - 1)
    missing: list[PendingCall] = []
    for call_id, call in pending.items():
        if call_id in plan.stored:
            continue  # settled by a resumed run that died before it saved its state
        decision = decisions.get(call_id)
        tool = tools.find(call.tool)
        if call_id in plan.lost and (tool is None or not tool.idempotent):
            plan.interrupted.append(ToolCall(call_id, call.tool, call.arguments))
        elif decision is None:
            missing.append(call)
        elif isinstance(decision, Approve):
            plan.approved.append(_approved_call(call, decision))
        elif isinstance(decision, Deny):
            plan.decided[call_id] = denied_result(call, decision)
        else:
            plan.decided[call_id] = supplied_result(call, decision, max_chars)
    if missing:
        listed = ", ".join(f"{c.call_id} ({c.tool})" for c in missing)
        message = (
            f"Run {state.run_id!r} waits on calls with no decision: {listed}. Pass a "
            "decision for each: Approve(), Deny(message) or Supply(result)."
        )
        raise ConfigurationError(message)


def _approved_call(call: PendingCall, approve: Approve) -> ToolCall:
    if call.kind == "external":
        message = (
            f"Call {call.call_id} ({call.tool}) is run by the application, not here: answer "
            "it with Supply(result), or Deny(message)."
        )
        raise ConfigurationError(message)
    arguments = call.arguments if approve.arguments is None else approve.arguments
    return ToolCall(call.call_id, call.tool, arguments)


def _stored_calls(stored: StoredRun, index: int) -> tuple[dict[str, ToolResult], frozenset[str]]:
    """The results stored for step ``index``'s calls, and the calls started with none."""
    step = next((s for s in stored.steps if s.index == index), None)
    if step is None:
        return {}, frozenset()
    results: dict[str, ToolResult] = {}
    lost: set[str] = set()
    for call in step.calls:
        if call.result is None:
            lost.add(call.call_id)
        else:
            where = f"The stored result of call {call.call_id!r}"
            result = message_from_json(call.result, where)
            if not isinstance(result, ToolResult):
                _wrong(where, "a tool result", call.result)
            results[call.call_id] = result
    return results, frozenset(lost)


def paused_turn(messages: list[Message]) -> tuple[int, AssistantTurn]:
    """The position and the turn a paused conversation ends with (before its results)."""
    for i in range(len(messages) - 1, -1, -1):
        message = messages[i]
        if isinstance(message, AssistantTurn):
            return i, message
        if not isinstance(message, ToolResult):
            break
    message = "A paused run's conversation should end with the turn it paused on."
    raise RunStateError(message)


def _wrong(where: str, expected: str, value: Any) -> NoReturn:
    shown = repr(value)
    message = f"{where} should be {expected}, but is {shown[:60]}."
    raise RunStateError(message)
