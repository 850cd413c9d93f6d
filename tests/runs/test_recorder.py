"""How a run's recorder batches its writes: few commits a step, each write durable in time."""

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from switchboard import (
    Agent,
    Approve,
    Decision,
    Deny,
    ScriptedModel,
    SQLiteStore,
    Supply,
    Toolbox,
    ToolCall,
)
from switchboard.messages import AssistantTurn, ModelResponse, Usage
from switchboard.runs import recorder
from switchboard.runs.recording import recording_of_run
from switchboard.runs.writes import CallFinished, StoreWrite
from tests.crashing import CrashingStore
from tests.pausing import DELETE, LOOKUP, make_tools, scripted

pytestmark = pytest.mark.anyio

QUICK = ToolCall("q1", "quick", '{"n": 1}')
SLOW = ToolCall("s1", "slow", '{"n": 2}')


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with SQLiteStore(tmp_path / "runs.sqlite3") as opened:
        yield opened


class Watched(CrashingStore):
    """Sets ``quick_written`` once a batch holding the quick call's result is written."""

    def __init__(self, store: SQLiteStore) -> None:
        super().__init__(store)
        self.quick_written = asyncio.Event()

    async def write(self, run_id: str, writes: Any) -> None:
        await super().write(run_id, writes)
        batch: list[StoreWrite] = list(writes)
        if any(isinstance(w, CallFinished) and w.call_id == QUICK.id for w in batch):
            self.quick_written.set()


def tools(watched: Watched | None = None) -> Toolbox:
    """``quick`` returns at once; ``slow`` returns once the quick call's result is written."""
    box = Toolbox()

    @box.register
    async def quick(n: int) -> int:
        """Return n."""
        return n

    @box.register
    async def slow(n: int) -> int:
        """Return n, once the quick call's result is in the store."""
        if watched is not None:
            await asyncio.wait_for(watched.quick_written.wait(), timeout=10)
        return n

    return box


async def test_a_step_of_calls_is_two_writes_and_an_answer_one(
    store: SQLiteStore, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Request, reply and starts in one batch; results and state in one; an answer's step in one."""
    monkeypatch.setattr(recorder, "RESULT_WAIT", 60.0)  # results wait for the state, however slow
    watched = CrashingStore(store)
    model = ScriptedModel([[QUICK, ToolCall("q2", "quick", '{"n": 3}')], "Done."])
    result = await Agent(model, tools=tools(), store=watched).run("Go.")
    assert result.output == "Done."
    assert watched.batches == [
        ["create_run", "save_state"],
        ["begin_step", "finish_step", "call_started", "call_started"],
        ["call_finished", "call_finished", "save_state"],
        ["begin_step", "finish_step", "save_state"],
    ]


async def test_a_result_is_written_while_a_slow_call_of_its_batch_still_runs(
    store: SQLiteStore,
) -> None:
    """The quick call's result does not wait for the slow call: it is written within RESULT_WAIT."""
    watched = Watched(store)
    model = ScriptedModel([[QUICK, SLOW], "Done."])
    result = await Agent(model, tools=tools(watched), store=watched).run("Go.")
    assert result.output == "Done."
    stored = await store.load(result.state.run_id)
    assert [(c.call_id, c.status) for c in stored.steps[0].calls] == [
        ("q1", "finished"),
        ("s1", "finished"),
    ]
    assert ["call_finished"] in watched.batches


async def test_a_run_whose_reply_was_never_stored_leaves_no_row_of_its_step(
    store: SQLiteStore,
) -> None:
    """Stopped while the model answers: the step's request waits for its reply, none is written."""
    watched = CrashingStore(store)

    class Stopped(ScriptedModel):
        async def complete(self, request: Any) -> Any:
            raise asyncio.CancelledError

    with pytest.raises(asyncio.CancelledError):
        await Agent(Stopped(["Done."]), tools=tools(), store=watched).run("Go.", run_id="r")
    stored = await store.load("r")
    assert (stored.steps, watched.batches) == ((), [["create_run", "save_state"]])


@pytest.mark.parametrize(
    ("decision", "attempts"),
    [(Approve(), 1), (Deny("No."), 0), (Supply("done elsewhere"), 0)],
)
async def test_a_paused_call_is_stored_as_run_only_if_its_decision_ran_it(
    store: SQLiteStore, decision: Decision, attempts: int
) -> None:
    """Approved: a started row, one attempt. Denied or supplied: a settled row, no attempt."""
    agent = Agent(scripted([[LOOKUP, DELETE]]), tools=make_tools(lambda line: None), store=store)
    paused = await agent.run("Delete x.")
    done = await agent.resume(paused.state.run_id, {"b": decision})
    calls = (await store.load(done.state.run_id)).steps[0].calls
    assert [(c.call_id, c.status, c.attempts) for c in calls] == [
        ("a", "finished", 1),
        ("b", "finished", attempts),
    ]


async def test_a_replys_response_id_is_stored_and_read_back(store: SQLiteStore) -> None:
    """The provider's id of each reply reaches the store, and the recording reads it back."""
    reply = ModelResponse(AssistantTurn("Done."), Usage(requests=1), "answer", response_id="r-7")
    result = await Agent(ScriptedModel([reply]), store=store).run("Go.", run_id="r")
    assert result.output == "Done."
    stored = await store.load("r")
    [step] = recording_of_run(stored).steps
    assert step.response is not None
    assert step.response.response_id == "r-7"
