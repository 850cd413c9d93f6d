"""A recorded run, read for replaying: each step's whole request, its reply, its results.

A store keeps each step's request with only the messages it added (see
`switchboard.runs.request`); a `Recording` puts the conversation back together, so that each
`RecordedStep.request` holds the whole conversation the step sent, and gathers the result
of each call: what the model read in the next request, else the call's stored result.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field, replace
from typing import Any, cast

from switchboard.errors import RunStateError
from switchboard.messages import Message, ModelResponse, ToolCall, ToolResult
from switchboard.runs.codec import message_from_json, response_from_json
from switchboard.runs.store import StoredRun

__all__ = ["RecordedStep", "Recording", "StepRecord", "recording_of_run", "recording_of_steps"]

StepRecord = tuple[Mapping[str, Any], Mapping[str, Any] | None, Mapping[str, ToolResult]]
"""One step as stored: its request (the messages it added), its reply's JSON form (``None``
if none was stored), and the stored results of its calls by call id."""


@dataclass(frozen=True, slots=True)
class RecordedStep:
    """One recorded model request, its reply, and its calls' results.

    Attributes:
        request: The request as stored: ``messages`` holds only what it added.
        conversation: The messages of the step's run (JSON forms), shared by its steps: this
            step sent the first ``sent`` of them.
        sent: How many messages of ``conversation`` the request sent.
        response: The model's reply; ``None`` if none was recorded (the run was interrupted
            while it waited for the model).
        results: The recorded result of each of the reply's calls that has one, by call id.
        ran: The calls whose code ran, by id, with the arguments they ran with (as a human
            approved them, for a call that waited): a stored run's call rows.
        settled: The ids of the calls a decision answered without running them (denied,
            or a result the application supplied), for a run resumed after a pause.
    """

    request: Mapping[str, Any]
    conversation: Sequence[Mapping[str, Any]]
    sent: int
    response: ModelResponse | None
    results: Mapping[str, ToolResult]
    ran: Mapping[str, ToolCall] = field(default_factory=lambda: {})
    settled: frozenset[str] = frozenset()

    def whole_request(self) -> dict[str, Any]:
        """The request with the whole conversation it sent in ``messages``."""
        return {**self.request, "messages": self.conversation[: self.sent]}


@dataclass(frozen=True, slots=True)
class Recording:
    """The steps of one or more recorded runs, in the order their requests were made.

    Attributes:
        source: What was recorded, for messages: ``"run 'ab12'"``, ``"cassette x.json"``.
        steps: The steps, of every run one after another.
        opening: The first run's opening messages (its first step's), to replay it from.
        model: The model string the run was recorded with, if known (else ``""``).
    """

    source: str
    steps: tuple[RecordedStep, ...]
    opening: tuple[Message, ...]
    model: str = ""


def recording_of_run(run: StoredRun) -> Recording:
    """The recording of a run as a store holds it.

    Raises:
        RunStateError: A request, reply or result in the store is not of the stored form
            (the message says which step and where).
    """
    steps: list[StepRecord] = []
    calls: list[tuple[dict[str, ToolCall], frozenset[str]]] = []
    source = f"run {run.run_id!r}"
    for step in run.steps:
        results: dict[str, ToolResult] = {}
        ran: dict[str, ToolCall] = {}
        settled: set[str] = set()
        for call in step.calls:
            if call.result is not None:
                where = f"{source} step {step.index} call {call.call_id!r} result"
                result = results[call.call_id] = _result(call.result, where)
                # No attempt: a decision answered it. A denial recorded before settled
                # rows existed (as started, then finished) ran no code either.
                if call.attempts == 0 or result.error_kind == "denied":
                    settled.add(call.call_id)
                    continue
            ran[call.call_id] = ToolCall(call.call_id, call.tool, call.arguments)
        steps.append((step.request, step.response, results))
        calls.append((ran, frozenset(settled)))
    model = run.meta.get("model")
    recording = recording_of_steps(source, [steps], model=model if isinstance(model, str) else "")
    replayed = tuple(
        replace(step, ran=ran, settled=settled)
        for step, (ran, settled) in zip(recording.steps, calls, strict=True)
    )
    return replace(recording, steps=replayed)


def recording_of_steps(
    source: str, runs: Sequence[Sequence[StepRecord]], *, model: str = ""
) -> Recording:
    """The recording of the steps of one or more runs (see `StepRecord`).

    Raises:
        RunStateError: A request, reply or result is not of the stored form.
    """
    recorded: list[RecordedStep] = []
    opening: tuple[Message, ...] = ()
    for run in runs:
        conversation: list[Mapping[str, Any]] = []
        first = len(recorded)
        added = [_added(step[0], f"{source} step {first + i}") for i, step in enumerate(run)]
        for i, (request, response_json, stored_results) in enumerate(run):
            forms, messages = added[i]
            if first == 0 and i == 0:
                opening = tuple(messages)
            conversation.extend(forms)
            response = None
            if response_json is not None:
                response = response_from_json(response_json, f"{source} step {first + i} response")
            following = added[i + 1][1] if i + 1 < len(run) else []
            results = _results(response, stored_results, following)
            step = RecordedStep(request, conversation, len(conversation), response, results)
            recorded.append(step)
    return Recording(source, tuple(recorded), opening, model)


def _added(request: Mapping[str, Any], where: str) -> tuple[list[Mapping[str, Any]], list[Message]]:
    """The messages a stored request added: their JSON forms, and the messages they read as.

    Raises:
        RunStateError: The request has no ``messages`` list, or one is no message's form.
    """
    messages = request.get("messages")
    if not isinstance(messages, list):
        message = f"The request of {where} has no 'messages' list: it is no stored request."
        raise RunStateError(message)
    forms = cast("list[Mapping[str, Any]]", messages)
    read = [message_from_json(m, f"{where} request.messages[{k}]") for k, m in enumerate(forms)]
    return forms, read


def _results(
    response: ModelResponse | None,
    stored: Mapping[str, ToolResult],
    following: Sequence[Message],
) -> dict[str, ToolResult]:
    """A reply's results: those the next request sent the model, else the stored ones."""
    if response is None:
        return dict(stored)
    ids = {call.id for call in response.turn.tool_calls}
    results = {call_id: result for call_id, result in stored.items() if call_id in ids}
    for message in following:
        if isinstance(message, ToolResult) and message.call_id in ids:
            results[message.call_id] = message
    return results


def _result(data: Mapping[str, Any], where: str) -> ToolResult:
    message = message_from_json(data, where)
    if not isinstance(message, ToolResult):
        text = f"{where} is not a tool result's form: its type is {data.get('type')!r}."
        raise RunStateError(text)
    return message
