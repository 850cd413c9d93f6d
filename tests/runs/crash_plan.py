"""The writes of the crash test, one fixed sequence, and what a store holds after any prefix.

Operation ``n`` of the sequence is the same in every process, so a writer killed anywhere can
be checked against `expected` and continued by the next writer from `done_ops`.

Each run: ``create_run``, then per step ``begin_step``, ``finish_step``, two
``call_started``, two ``call_finished`` and ``save_state`` of a state that grows by a turn
and two results a step (40 KB from the start, so a save can be killed between the rows of
one state); the last step's state is ``finished``.
"""

from typing import Any

from switchboard.messages import (
    AssistantTurn,
    ModelResponse,
    ToolCall,
    ToolResult,
    Usage,
    UserMessage,
)
from switchboard.runs.codec import message_to_json, response_to_json
from switchboard.runs.state import RunState
from switchboard.runs.store import RunStore, StoredRun

RUNS = 30
STEPS = 6
CALLS = ("a", "b")
PER_STEP = 3 + 2 * len(CALLS)
PER_RUN = 1 + STEPS * PER_STEP
TOTAL = RUNS * PER_RUN
# Makes each state span several rows of a store that writes states in chunks (both do).
PADDING = "." * 40_000

Snapshot = dict[str, Any]
"""A run as the checks compare it: everything stored but the times."""


def run_id(run: int) -> str:
    return f"run-{run:03}"


def request(run: int, step: int) -> dict[str, Any]:
    return {
        "messages": [message_to_json(UserMessage(f"run {run} step {step}"))],
        "tool_choice": "auto",
    }


def response(run: int, step: int) -> dict[str, Any]:
    calls = tuple(ToolCall(f"{c}{step}", "count", {"run": run, "step": step}) for c in CALLS)
    return response_to_json(ModelResponse(AssistantTurn("", calls), Usage(10, 2, 1), "tool_calls"))


def result(run: int, step: int, call: str) -> dict[str, Any]:
    return message_to_json(ToolResult(f"{call}{step}", "count", f"{run}/{step}/{call}", value=step))


def state(run: int, step: int) -> str:
    """The state saved after ``step`` of ``run``: the conversation up to it."""
    messages: list[Any] = [UserMessage(f"run {run} {PADDING}")]
    for done in range(step + 1):
        calls = tuple(ToolCall(f"{c}{done}", "count", {"run": run, "step": done}) for c in CALLS)
        messages.append(AssistantTurn("", calls))
        messages.extend(
            ToolResult(f"{c}{done}", "count", f"{run}/{done}/{c}", value=done) for c in CALLS
        )
    status = "finished" if step == STEPS - 1 else "running"
    return RunState(
        run_id=run_id(run), messages=tuple(messages), iteration=step + 1, status=status
    ).to_json()


def operation(n: int) -> tuple[str, int, int, str]:
    """Operation ``n``: its kind, run, step and call."""
    run, within = divmod(n, PER_RUN)
    if within == 0:
        return "create", run, -1, ""
    step, k = divmod(within - 1, PER_STEP)
    if k == 0:
        return "begin", run, step, ""
    if k == 1:
        return "finish", run, step, ""
    if k < 2 + len(CALLS):
        return "start", run, step, CALLS[k - 2]
    if k < 2 + 2 * len(CALLS):
        return "end", run, step, CALLS[k - 2 - len(CALLS)]
    return "save", run, step, ""


async def apply(store: RunStore, n: int) -> None:
    """Perform operation ``n`` on ``store``."""
    kind, run, step, call = operation(n)
    rid = run_id(run)
    if kind == "create":
        await store.create_run(rid, {"run": run})
    elif kind == "begin":
        await store.begin_step(rid, step, request(run, step))
    elif kind == "finish":
        await store.finish_step(rid, step, response(run, step))
    elif kind == "start":
        await store.call_started(rid, step, f"{call}{step}", "count", {"run": run, "step": step})
    elif kind == "end":
        await store.call_finished(rid, step, f"{call}{step}", result(run, step, call))
    else:
        await store.save_state(
            rid, state(run, step), "finished" if step == STEPS - 1 else "running"
        )


def snapshot(run: StoredRun) -> Snapshot:
    return {
        "status": run.status,
        "meta": run.meta,
        "state": run.state,
        "steps": [
            {
                "index": step.index,
                "request": step.request,
                "response": step.response,
                "calls": [
                    (c.call_id, c.tool, c.arguments, c.status, c.result, c.attempts)
                    for c in step.calls
                ],
            }
            for step in run.steps
        ],
    }


def expected(done: int) -> dict[str, Snapshot]:
    """What a store holds after the first ``done`` operations, by run id."""
    runs: dict[str, Snapshot] = {}
    for n in range(done):
        kind, run, step, call = operation(n)
        rid = run_id(run)
        if kind == "create":
            runs[rid] = {"status": "running", "meta": {"run": run}, "state": None, "steps": []}
            continue
        steps = runs[rid]["steps"]
        if kind == "begin":
            steps.append(
                {"index": step, "request": request(run, step), "response": None, "calls": []}
            )
        elif kind == "finish":
            steps[step]["response"] = response(run, step)
        elif kind == "start":
            arguments = {"run": run, "step": step}
            steps[step]["calls"].append((f"{call}{step}", "count", arguments, "started", None, 1))
        elif kind == "end":
            calls = steps[step]["calls"]
            i = CALLS.index(call)
            calls[i] = (*calls[i][:3], "finished", result(run, step, call), 1)
        else:
            runs[rid]["state"] = state(run, step)
            runs[rid]["status"] = "finished" if step == STEPS - 1 else "running"
    return runs


async def stored(store: RunStore) -> dict[str, Snapshot]:
    """Every run in ``store``, as snapshots by run id."""
    summaries = await store.list_runs(limit=RUNS + 1)
    return {s.run_id: snapshot(await store.load(s.run_id)) for s in summaries}


def done_ops(runs: dict[str, Snapshot]) -> int:
    """How many operations of the sequence a store holding ``runs`` has done."""
    for n in range(TOTAL):
        if not _visible(runs, n):
            return n
    return TOTAL


def _visible(runs: dict[str, Snapshot], n: int) -> bool:
    kind, run, step, call = operation(n)
    snap = runs.get(run_id(run))
    if snap is None:
        return False
    if kind == "create":
        return True
    if kind == "save":  # a later step's save replaces this one's
        saved = snap["state"]
        return saved is not None and RunState.from_json(saved).iteration > step
    steps = snap["steps"]
    if step >= len(steps):
        return False
    if kind == "begin":
        return True
    if kind == "finish":
        return steps[step]["response"] is not None
    calls = {c[0]: c for c in steps[step]["calls"]}
    found = calls.get(f"{call}{step}")
    if kind == "start":
        return found is not None
    return found is not None and found[3] == "finished"
