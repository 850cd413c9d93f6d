"""What the viewer's page shows of a stored run, as JSON: its summary, and its timeline.

The store holds what the loop recorded (`StoredRun`: each step's request and response in
the forms of `switchboard.runs.codec`, each call's row with its times and result). This
module reads them into what the page draws, and marks what a person debugging the run
looks for: repaired arguments, errors, calls the model retried, calls re-run after a
crash, calls cut off by the token limit, and calls waiting for a decision.

It reads leniently: a field missing or of an unexpected type is shown as absent, never an
error, so that a run written by another switchboard version still shows what it can.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping
from typing import Any, Final, cast

from switchboard.errors import RunStateError
from switchboard.runs.codec import response_from_json
from switchboard.runs.state import RunState
from switchboard.runs.store import StoredCall, StoredRun, StoredStep
from switchboard.viewer.axis import TimeAxis

__all__ = ["run_detail", "run_fingerprint", "run_pending", "run_summary"]

Json = dict[str, Any]
"""A JSON object as the page receives it."""

_PROMPT_CHARS: Final = 200
"""Characters of a run's first prompt shown in the list of runs."""

_UNFINISHED_STOPS: Final = {
    "length": ("token limit", "The reply was cut off at the token limit."),
    "content_filter": ("content filter", "The provider's content filter withheld the reply."),
    "error": ("provider error", "The provider reported an error while writing the reply."),
}


def run_summary(run: StoredRun) -> Json:
    """The run as the list of runs shows it (and as its filters match it)."""
    state = _state_json(run)
    return _summary(run, state, _results(run, state), _pending(run, state))


def _summary(
    run: StoredRun, state: Json | None, results: Mapping[str, Json], pending: Mapping[str, Json]
) -> Json:
    responses = [_object(step.response) for step in run.steps if step.response is not None]
    usage = [_object(response.get("usage")) for response in responses]
    calls = [call for step in run.steps for call in _turn_calls(step)]
    return {
        "run_id": run.run_id,
        "status": run.status,
        "created_at": run.created_at,
        "updated_at": run.updated_at,
        "model": _model(run, responses),
        "tools": sorted(_offered(run) | {_text(call.get("name")) for call in calls} - {""}),
        "prompt": _prompt(run, state)[:_PROMPT_CHARS],
        "steps": len(run.steps),
        "calls": len(calls),
        "errors": sum(1 for result in results.values() if result.get("is_error") is True),
        "pending": len(pending),
        "input_tokens": sum(_integer(u.get("input_tokens")) for u in usage),
        "output_tokens": sum(_integer(u.get("output_tokens")) for u in usage),
    }


def run_detail(run: StoredRun, now: float) -> Json:
    """The run as its page shows it: the summary, each step and call placed on one axis.

    Args:
        run: The run as the store holds it.
        now: The time (seconds since the epoch) up to which a step or call still going on
            is drawn.
    """
    live = run.status == "running"
    state = _state_json(run)
    axis = TimeAxis(_intervals(run, now, live=live))
    results = _results(run, state)
    pending = _pending(run, state)
    retried = _Retries()
    steps = [_step(step, axis, results, pending, retried, now, live=live) for step in run.steps]
    return {
        **_summary(run, state, results, pending),
        "meta": run.meta,
        "now": now,
        "axis": {
            "seconds": axis.last - axis.first,
            "breaks": [
                {"start": cut.start, "end": cut.end, "skipped": cut.skipped} for cut in axis.breaks
            ],
        },
        "timeline": steps,
        "pending_calls": [
            {**call, "arguments": _arguments(call.get("arguments"))} for call in pending.values()
        ],
        "answer": _answer(run),
        "state_error": _state_error(run),
    }


def run_pending(run: StoredRun) -> dict[str, Json]:
    """The calls a paused run waits on, by call id (none for a run not paused)."""
    return _pending(run, _state_json(run))


def run_fingerprint(run: StoredRun) -> tuple[Any, ...]:
    """What changes whenever the store records anything of the run."""
    return (
        run.status,
        run.updated_at,
        tuple(
            (
                step.index,
                step.started_at,
                step.finished_at,
                tuple((c.call_id, c.status, c.attempts, c.started_at) for c in step.calls),
            )
            for step in run.steps
        ),
    )


def _step(
    step: StoredStep,
    axis: TimeAxis,
    results: Mapping[str, Json],
    pending: Mapping[str, Json],
    retried: _Retries,
    now: float,
    *,
    live: bool,
) -> Json:
    request = _object(step.request)
    response = _object(step.response) if step.response is not None else None
    usage = _object(response.get("usage")) if response is not None else {}
    stop = _text(response.get("stop_reason")) if response is not None else ""
    marks: list[Json] = []
    if stop in _UNFINISHED_STOPS:
        marks.append(_mark("cut" if stop == "length" else "error", *_UNFINISHED_STOPS[stop]))
    if response is None and live:
        marks.append(_mark("running", "waiting", "Waiting for the model's reply."))
    elif response is None:
        marks.append(_mark("interrupted", "no reply", "The run stopped before the model replied."))
    rows = {call.call_id: call for call in step.calls}
    unfinished = _unfinished(step.response)
    turn_calls = _turn_calls(step)
    calls = [
        _call(call, rows.get(_text(call.get("id"))), axis, results, pending, unfinished, now, live)
        for call in turn_calls
    ]
    written = {_text(call.get("id")) for call in turn_calls}
    calls += [
        _call(_call_json(row), row, axis, results, pending, unfinished, now, live)
        for row in step.calls
        if row.call_id not in written
    ]
    retried.mark(calls)
    turn = _object(response.get("turn")) if response is not None else {}
    return {
        "index": step.index,
        "started_at": step.started_at,
        "finished_at": step.finished_at,
        "latency": None if step.finished_at is None else step.finished_at - step.started_at,
        "bar": _bar(axis, step.started_at, _step_end(step, now, live=live)),
        "model": _text(response.get("model")) if response is not None else "",
        "stop_reason": stop,
        "input_tokens": _integer(usage.get("input_tokens")),
        "output_tokens": _integer(usage.get("output_tokens")),
        "text": _text(turn.get("text")),
        "messages": _list(request.get("messages")),
        "tools_offered": [_text(pair[0]) for pair in _pairs(request.get("tools"))],
        "tool_choice": request.get("tool_choice"),
        "settings": request.get("settings"),
        "marks": marks,
        "calls": calls,
    }


def _call(
    written: Json,
    row: StoredCall | None,
    axis: TimeAxis,
    results: Mapping[str, Json],
    pending: Mapping[str, Json],
    unfinished: frozenset[str],
    now: float,
    live: bool,
) -> Json:
    """A call of a step's reply: its row's times if its code ran, its result, its marks."""
    call_id = _text(written.get("id"))
    result = _object(row.result) if row is not None and row.result is not None else None
    result = result or results.get(call_id)
    marks: list[Json] = []
    bar: Json | None = None
    if row is not None:
        bar = _bar(axis, row.started_at, _call_end(row, now, live=live))
        if row.attempts > 1:
            told = f"Started {row.attempts} times: re-run after its run was interrupted."
            marks.append(_mark("rerun", f"re-run x{row.attempts}", told))
    status = _call_status(call_id, row, result, pending, unfinished, live)
    if status == "pending":
        reason = _text(pending[call_id].get("reason"))
        kind = _text(pending[call_id].get("kind"))
        waits = "waits for a result" if kind == "external" else "waits for approval"
        marks.append(_mark("pending", waits, reason or waits))
    elif status == "cut":
        told = "The model's reply ended inside this call, so it never ran."
        marks.append(_mark("cut", "cut off", told))
    elif status == "interrupted":
        told = "Its code started, and no result was stored: it may have taken effect."
        marks.append(_mark("interrupted", "interrupted", told))
    if result is not None:
        marks += _result_marks(result)
    return {
        "call_id": call_id,
        "tool": _text(written.get("name")) or (row.tool if row is not None else ""),
        "arguments": _arguments(written.get("arguments")),
        "status": status,
        "started_at": row.started_at if row is not None else None,
        "finished_at": row.finished_at if row is not None else None,
        "attempts": row.attempts if row is not None else 0,
        "bar": bar,
        "result": result,
        "marks": marks,
    }


def _call_status(
    call_id: str,
    row: StoredCall | None,
    result: Json | None,
    pending: Mapping[str, Json],
    unfinished: frozenset[str],
    live: bool,
) -> str:
    if call_id in pending:
        return "pending"
    if row is not None and row.status == "finished":
        return "error" if result is not None and result.get("is_error") is True else "finished"
    if row is not None:
        return "running" if live else "interrupted"
    if call_id in unfinished:
        return "cut"
    if result is not None:
        # Answered without its code running: refused before it ran (bad arguments, an
        # unknown tool, a denial, the loop guard).
        return "error" if result.get("is_error") is True else "answered"
    return "waiting" if live else "no result"


def _result_marks(result: Json) -> list[Json]:
    marks: list[Json] = []
    repaired = [_text(item) for item in _list(result.get("repaired"))]
    if repaired:
        told = "The arguments were repaired before they parsed: " + ", ".join(repaired)
        marks.append(_mark("repaired", "repaired: " + ", ".join(repaired), told))
    if result.get("is_error") is True:
        kind = _text(result.get("error_kind")) or "error"
        told = _text(result.get("content"))
        marks.append(_mark("denied" if kind == "denied" else "error", kind, told))
    return marks


class _Retries:
    """Marks a call as a retry when the last call of its tool, in an earlier step, failed."""

    __slots__ = ("_failed",)

    def __init__(self) -> None:
        self._failed: dict[str, str] = {}

    def mark(self, calls: list[Json]) -> None:
        """Mark the calls of one step (calls of one step run together: none retries another)."""
        for call in calls:
            tool = call["tool"]
            failed = self._failed.pop(tool, None)
            if failed is not None:
                told = f"The model called {tool} again after its call {failed} failed."
                call["marks"].append(_mark("retry", f"retry of {failed}", told))
        for call in calls:
            result = call["result"]
            if result is not None and result.get("is_error") is True:
                self._failed[call["tool"]] = call["call_id"]


def _intervals(run: StoredRun, now: float, *, live: bool) -> Iterable[tuple[float, float]]:
    """Everything drawn: each step from its request to its response, each call's run."""
    for step in run.steps:
        yield step.started_at, _step_end(step, now, live=live)
        for call in step.calls:
            yield call.started_at, _call_end(call, now, live=live)


def _step_end(step: StoredStep, now: float, *, live: bool) -> float:
    """Where a step is drawn to: its reply, else ``now`` while the run goes on."""
    if step.finished_at is not None:
        return step.finished_at
    return now if live else step.started_at


def _call_end(call: StoredCall, now: float, *, live: bool) -> float:
    """Where a call is drawn to: its result, else ``now`` while its code runs."""
    if call.finished_at is not None:
        return call.finished_at
    return now if live and call.status == "started" else call.started_at


def _bar(axis: TimeAxis, start: float, end: float) -> Json:
    left = axis.position(start)
    return {"left": left, "width": max(axis.position(end) - left, 0.0)}


def _results(run: StoredRun, state: Json | None) -> dict[str, Json]:
    """Every tool result of the run by call id: from the requests, then the last state."""
    found: dict[str, Json] = {}
    for step in run.steps:
        for message in _list(_object(step.request).get("messages")):
            _take_result(found, message)
    for message in _list(state.get("messages") if state else None):
        _take_result(found, message)
    for step in run.steps:
        for call in step.calls:
            if call.result is not None:
                found[call.call_id] = call.result
    return found


def _take_result(found: dict[str, Json], message: Any) -> None:
    data = _object(message)
    if data.get("type") == "tool_result" and isinstance(data.get("call_id"), str):
        found[data["call_id"]] = data


def _state_json(run: StoredRun) -> Json | None:
    if run.state is None:
        return None
    try:
        data = json.loads(run.state)
    except ValueError:
        return None
    return cast("Json", data) if isinstance(data, dict) else None


def _state_error(run: StoredRun) -> str | None:
    """Why the run's state cannot be read by this switchboard (a newer version), if so."""
    if run.state is None:
        return None
    try:
        RunState.from_json(run.state)
    except RunStateError as error:
        return str(error)
    return None


def _pending(run: StoredRun, state: Json | None) -> dict[str, Json]:
    """The calls a paused run waits on, by call id."""
    if run.status != "paused":
        return {}
    calls = [_object(item) for item in _list(state.get("pending") if state else None)]
    return {call["call_id"]: call for call in calls if isinstance(call.get("call_id"), str)}


def _turn_calls(step: StoredStep) -> list[Json]:
    if step.response is None:
        return []
    return [_object(call) for call in _list(_object(step.response.get("turn")).get("tool_calls"))]


def _unfinished(response: dict[str, Any] | None) -> frozenset[str]:
    """The calls the reply ended inside of (which never run), as the loop judges them."""
    if response is None:
        return frozenset()
    try:
        return response_from_json(response).unfinished_calls()
    except RunStateError:
        return frozenset(_text(item) for item in _list(response.get("cut_calls")))


def _call_json(row: StoredCall) -> Json:
    return {"id": row.call_id, "name": row.tool, "arguments": row.arguments}


def _arguments(arguments: Any) -> Json:
    """A call's arguments as written: parsed JSON when the text is JSON, else the text."""
    if isinstance(arguments, str):
        try:
            return {"json": json.loads(arguments), "text": arguments}
        except ValueError:
            return {"json": None, "text": arguments}
    return {"json": arguments, "text": None}


def _model(run: StoredRun, responses: list[Json]) -> str:
    model = run.meta.get("model")
    if isinstance(model, str) and model:
        return model
    return next((_text(r.get("model")) for r in responses if _text(r.get("model"))), "")


def _offered(run: StoredRun) -> set[str]:
    return {
        _text(pair[0]) for step in run.steps for pair in _pairs(_object(step.request).get("tools"))
    }


def _prompt(run: StoredRun, state: Json | None) -> str:
    """The first thing the user said in the run."""
    messages = _list(_object(run.steps[0].request).get("messages")) if run.steps else []
    messages = messages or _list(state.get("messages") if state else None)
    for message in messages:
        data = _object(message)
        if data.get("type") == "user":
            return _text(data.get("content"))
    return ""


def _answer(run: StoredRun) -> str | None:
    """The model's answer, for a finished run."""
    if run.status != "finished" or not run.steps:
        return None
    response = run.steps[-1].response
    if response is None:
        return None
    return _text(_object(response.get("turn")).get("text"))


def _mark(kind: str, label: str, text: str) -> Json:
    """A mark on a step or call: its kind, a short label, and what it means in full."""
    return {"kind": kind, "label": label, "text": text}


def _pairs(value: Any) -> list[list[Any]]:
    return [cast("list[Any]", pair) for pair in _list(value) if isinstance(pair, list) and pair]


def _object(value: Any) -> Json:
    return cast("Json", value) if isinstance(value, dict) else {}


def _list(value: Any) -> list[Any]:
    return cast("list[Any]", value) if isinstance(value, list) else []


def _text(value: Any) -> str:
    return value if isinstance(value, str) else ""


def _integer(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0
