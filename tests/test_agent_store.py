"""Runs checkpointed to a run store, step by step, and resumed from it after a crash."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any, cast

import pytest

from switchboard import (
    Agent,
    AllowedTools,
    Approve,
    Message,
    ModelSettings,
    RunResult,
    RunStateError,
    RunStore,
    ScriptedModel,
    SQLiteStore,
    SystemMessage,
    Toolbox,
    ToolCall,
    ToolResult,
    UserMessage,
    replay,
)
from switchboard.runs.codec import message_to_json, response_to_json
from switchboard.runs.state import schema_hash
from tests.crashing import CrashingStore
from tests.pausing import DELETE, LOOKUP, make_tools, scripted

pytestmark = pytest.mark.anyio

CHARGE = ToolCall("c1", "charge", '{"cents": 500}')
FETCH = ToolCall("f1", "fetch", '{"url": "a"}')
LOG = ToolCall("l1", "note", '{"text": "hi"}')


def store_tools(log: list[str]) -> Toolbox:
    """Charge (not idempotent), fetch (idempotent), note (not idempotent)."""
    tools = Toolbox()

    @tools.register
    def charge(cents: int) -> str:
        """Charge the card."""
        log.append(f"charge {cents}")
        return f"charged {cents}"

    @tools.register(idempotent=True)
    def fetch(url: str) -> str:
        """Fetch a page."""
        log.append(f"fetch {url}")
        return f"page {url}"

    @tools.register
    def note(text: str) -> str:
        """Write a note."""
        log.append(f"note {text}")
        return f"noted {text}"

    return tools


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with SQLiteStore(tmp_path / "runs.sqlite3") as opened:
        yield opened


def agent_on(
    store: RunStore | None, log: list[str], turns: list[list[ToolCall]], **options: Any
) -> Agent:
    return Agent(scripted(turns), tools=store_tools(log), store=store, **options)


def without_durations(messages: Sequence[Message]) -> list[dict[str, Any]]:
    return [message_to_json(m) | {"duration": 0} for m in messages]


def by_id(result: RunResult) -> dict[str, ToolResult]:
    return {m.call_id: m for m in result.messages if isinstance(m, ToolResult)}


def requests(agent: Agent) -> int:
    return len(cast(ScriptedModel, agent.provider).requests)


async def test_each_steps_request_holds_the_messages_added_since_the_last_one(
    store: SQLiteStore,
) -> None:
    """Step 0's request holds the system message and prompt; step 1's the reply and results."""
    agent = agent_on(store, [], [[CHARGE]], system="Be careful.")
    result = await agent.run("Charge.")
    steps = (await store.load(result.state.run_id)).steps
    assert [step.request["messages"] for step in steps] == [
        [message_to_json(SystemMessage("Be careful.")), message_to_json(UserMessage("Charge."))],
        [message_to_json(m) for m in result.messages[2:4]],
    ]


async def test_a_steps_request_records_the_tools_choice_and_settings_sent(
    store: SQLiteStore,
) -> None:
    """The request names each tool with its schema hash, the tool_choice and the settings."""
    agent = agent_on(
        store, [], [], tool_choice="required", settings=ModelSettings(max_tokens=64, seed=3)
    )
    result = await agent.run("Hi")
    request = (await store.load(result.state.run_id)).steps[0].request
    assert request["tools"] == [[t.name, schema_hash(t.parameters)] for t in agent.toolbox]
    assert request["tool_choice"] == "required"
    assert request["settings"] == {
        "max_tokens": 64,
        "temperature": None,
        "seed": 3,
        "parallel_tool_calls": None,
        "strict": False,
    }


async def test_a_choice_of_allowed_tools_is_recorded_as_the_state_keeps_it(
    store: SQLiteStore,
) -> None:
    """AllowedTools is written as JSON in the step's request, and the run is replayed."""
    log: list[str] = []
    choice = AllowedTools(["fetch"], required=True)
    agent = agent_on(store, log, [[FETCH]], tool_choice=choice)
    result = await agent.run("Hi")
    request = (await store.load(result.state.run_id)).steps[0].request
    assert request["tool_choice"] == {"allowed": ["fetch"], "required": True}
    report = await replay(store, result.state.run_id, agent_on(None, log, [], tool_choice=choice))
    assert report.divergence is None


async def test_the_requests_deltas_add_up_to_each_request_the_model_got(
    store: SQLiteStore,
) -> None:
    """Concatenating the stored messages of steps 0..i gives the conversation of request i."""
    model = scripted([[CHARGE], [FETCH, LOG]])
    agent = Agent(model, tools=store_tools([]), store=store)
    result = await agent.run("Go.")
    steps = (await store.load(result.state.run_id)).steps
    sent = [[message_to_json(m) for m in request.messages] for request in model.requests]
    whole: list[object] = []
    for step, expected in zip(steps, sent, strict=True):
        whole += step.request["messages"]
        assert whole == expected


async def test_each_reply_is_recorded_exactly(store: SQLiteStore) -> None:
    """A step's stored response is the codec's JSON of the reply the model gave."""
    agent = agent_on(store, [], [[CHARGE]])
    result = await agent.run("Charge.")
    steps = (await store.load(result.state.run_id)).steps
    assert [step.response for step in steps] == [
        response_to_json(step.response) for step in result.steps
    ]


async def test_each_call_is_recorded_finished_with_its_result(store: SQLiteStore) -> None:
    """Every call of a step is stored finished, with the result the model got."""
    agent = agent_on(store, [], [[CHARGE, FETCH]])
    result = await agent.run("Go.")
    calls = (await store.load(result.state.run_id)).steps[0].calls
    assert [(c.call_id, c.tool, c.status, c.attempts) for c in calls] == [
        ("c1", "charge", "finished", 1),
        ("f1", "fetch", "finished", 1),
    ]
    assert [c.result for c in calls] == [message_to_json(r) for r in result.steps[0].results]


async def test_the_stored_state_is_the_results_state(store: SQLiteStore) -> None:
    """After the run, the store holds its final state, the very text of result.state."""
    result = await agent_on(store, [], [[CHARGE]]).run("Charge.")
    stored = await store.load(result.state.run_id)
    assert (stored.status, stored.state) == ("finished", result.state.to_json())


async def test_the_run_id_given_keys_the_run_in_the_store(store: SQLiteStore) -> None:
    """run(run_id=...) is the run's id: in its state and in the store, with its meta."""
    agent = agent_on(store, [], [])
    result = await agent.run("Hi", run_id="mine", meta={"user": "ada"})
    stored = await store.load("mine")
    assert result.state.run_id == "mine"
    assert stored.meta == {"model": "scripted:scripted", "user": "ada"}


async def test_a_paused_run_in_a_store_resumes_by_its_id(store: SQLiteStore) -> None:
    """A paused run is stored paused; a new agent resumes it by id, running only the rest."""
    log: list[str] = []
    first = Agent(scripted([[LOOKUP, DELETE]]), tools=make_tools(log.append), store=store)
    paused = await first.run("Look x up and delete it.")
    assert (await store.load(paused.state.run_id)).status == "paused"
    second = Agent(scripted([[LOOKUP, DELETE]]), tools=make_tools(log.append), store=store)
    done = await second.resume(paused.state.run_id, {"b": Approve()})
    assert (done.stop_reason, log) == ("answer", ["lookup x", "delete x"])
    assert (await store.load(paused.state.run_id)).status == "finished"


async def crash(agent: Agent, prompt: str) -> str:
    """Run ``agent`` until its store stops it; the run's id."""
    with pytest.raises(asyncio.CancelledError):
        await agent.run(prompt, run_id="r")
    return "r"


async def resumed(
    tmp_path: Path, log: list[str], turns: list[list[ToolCall]]
) -> tuple[Agent, RunResult]:
    """A new agent on a new connection to the store, resuming run "r"."""
    agent = agent_on(SQLiteStore(tmp_path / "runs.sqlite3"), log, turns)
    try:
        return agent, await agent.resume("r")
    finally:
        assert agent.store is not None
        await agent.store.close()


async def test_a_call_lost_in_a_crash_is_not_run_again_and_the_model_is_told(
    store: SQLiteStore, tmp_path: Path
) -> None:
    """A call started with no result stored, not idempotent: not re-run, an interrupted result."""
    log: list[str] = []
    turns = [[CHARGE]]
    await crash(agent_on(CrashingStore(store, "call_started"), log, turns), "Charge.")
    _, result = await resumed(tmp_path, log, turns)
    charged = by_id(result)["c1"]
    assert (charged.error_kind, charged.is_error) == ("interrupted", True)
    assert "may have taken effect" in charged.content
    assert result.interrupted == ("c1",)
    assert log == []


async def test_an_idempotent_call_lost_in_a_crash_runs_again(
    store: SQLiteStore, tmp_path: Path
) -> None:
    """A call started with no result stored, of an idempotent tool, runs again on resume."""
    log: list[str] = []
    turns = [[FETCH]]
    await crash(agent_on(CrashingStore(store, "call_started"), log, turns), "Fetch.")
    _, result = await resumed(tmp_path, log, turns)
    assert (by_id(result)["f1"].content, log, result.interrupted) == ("page a", ["fetch a"], ())
    calls = (await store.load("r")).steps[0].calls
    assert [(c.call_id, c.status, c.attempts) for c in calls] == [("f1", "finished", 2)]


async def test_a_call_whose_result_was_stored_is_not_run_again(
    store: SQLiteStore, tmp_path: Path
) -> None:
    """Killed after one call of a batch finished: that call keeps its stored result."""
    log: list[str] = []
    # One at a time: charge's result is written with fetch's start (one batch), and the
    # crash comes before fetch runs, which runs on resume (idempotent).
    turns = [[CHARGE, FETCH]]
    crashing = agent_on(CrashingStore(store, "call_finished"), log, turns, max_concurrency=1)
    await crash(crashing, "Go.")
    assert log == ["charge 500"]
    _, result = await resumed(tmp_path, log, turns)
    assert log == ["charge 500", "fetch a"]
    assert [r.content for r in by_id(result).values()] == ["charged 500", "page a"]


async def test_a_stored_reply_is_not_asked_for_again(store: SQLiteStore, tmp_path: Path) -> None:
    """Killed after the reply was stored: the resumed run uses it; the model is asked once less."""
    turns = [[CHARGE]]
    await crash(agent_on(CrashingStore(store, "finish_step"), [], turns), "Charge.")
    agent, result = await resumed(tmp_path, [], turns)
    assert (result.stop_reason, requests(agent)) == ("answer", 1)


async def test_a_step_killed_before_its_reply_asks_the_model_again(
    store: SQLiteStore, tmp_path: Path
) -> None:
    """Killed before the reply was stored (with its request): the model is asked again."""
    log: list[str] = []
    turns = [[CHARGE]]
    await crash(agent_on(CrashingStore(store, "finish_step", done=False), log, turns), "Charge.")
    agent, result = await resumed(tmp_path, log, turns)
    assert (result.stop_reason, log, requests(agent)) == ("answer", ["charge 500"], 2)


async def test_a_run_resumed_after_a_crash_has_every_message_the_uninterrupted_run_has(
    store: SQLiteStore, tmp_path: Path
) -> None:
    """Killed between steps, the resumed run ends with the conversation of a run never killed."""
    turns = [[CHARGE], [FETCH, LOG]]
    whole = await agent_on(None, [], turns).run("Go.")
    await crash(agent_on(CrashingStore(store, "save_state", nth=3), [], turns), "Go.")
    _, result = await resumed(tmp_path, [], turns)
    assert without_durations(result.messages) == without_durations(whole.messages)


async def test_a_resume_that_died_after_an_approved_call_ran_does_not_run_it_again(
    store: SQLiteStore, tmp_path: Path
) -> None:
    """A resumed run killed before it saved its state: the approved call keeps its result."""
    log: list[str] = []
    turns = [[LOOKUP, DELETE]]
    paused = await Agent(scripted(turns), tools=make_tools(log.append), store=store).run("Go.")
    crashing = CrashingStore(store, "save_state")
    agent = Agent(scripted(turns), tools=make_tools(log.append), store=crashing)
    with pytest.raises(asyncio.CancelledError):
        await agent.resume(paused.state.run_id, {"b": Approve()})
    again = Agent(scripted(turns), tools=make_tools(log.append), store=store)
    done = await again.resume(paused.state.run_id)
    assert (done.stop_reason, log) == ("answer", ["lookup x", "delete x"])


async def test_a_state_older_than_the_stored_one_is_refused(store: SQLiteStore) -> None:
    """Resuming from a state the store has moved past raises, saying to resume by id."""
    agent = Agent(scripted([[DELETE]]), tools=make_tools(lambda line: None), store=store)
    paused = await agent.run("Delete x.")
    await agent.resume(paused.state, {"b": Approve()})
    with pytest.raises(RunStateError, match="resume it by its id"):
        await agent.resume(paused.state, {"b": Approve()})


async def test_a_call_whose_start_cannot_be_recorded_does_not_run_and_the_run_raises(
    store: SQLiteStore,
) -> None:
    """A store that fails at a call's start: the call does not run; the error carries the run."""
    log: list[str] = []

    class Broken(CrashingStore):
        def refuse(self, operations: list[str]) -> None:
            if "call_started" in operations:
                message = "disk full"
                raise RunStateError(message)

    agent = agent_on(Broken(store), log, [[CHARGE]])
    with pytest.raises(RunStateError, match="disk full") as caught:
        await agent.run("Charge.")
    assert log == []
    assert caught.value.result.state.status == "failed"
    assert (await store.load(caught.value.result.state.run_id)).status == "failed"


async def test_a_streamed_reply_is_recorded_before_any_of_its_calls_starts(
    store: SQLiteStore,
) -> None:
    """With a store, run_stream starts no call early: the reply is stored first."""
    watched = CrashingStore(store)
    agent = agent_on(watched, [], [[CHARGE, FETCH]])
    async for _ in agent.run_stream("Go."):
        pass
    ops = [name for name, _ in watched.log]
    assert ops[:6] == [
        "create_run",
        "save_state",
        "begin_step",
        "finish_step",
        "call_started",
        "call_started",
    ]


async def test_a_store_changes_nothing_in_the_runs_result(store: SQLiteStore) -> None:
    """The same script with and without a store gives the same conversation."""
    turns = [[CHARGE, FETCH], [LOG]]
    plain = await agent_on(None, [], turns).run("Go.")
    stored = await agent_on(store, [], turns).run("Go.")
    assert without_durations(stored.messages) == without_durations(plain.messages)


async def test_a_run_paused_without_a_store_resumes_into_one(store: SQLiteStore) -> None:
    """A paused state resumed by an agent with a store is recorded there from then on."""
    log: list[str] = []
    turns = [[LOOKUP, DELETE]]
    paused = await Agent(scripted(turns), tools=make_tools(log.append)).run("Go.")
    agent = Agent(scripted(turns), tools=make_tools(log.append), store=store)
    done = await agent.resume(paused.state, {"b": Approve()})
    stored = await store.load(paused.state.run_id)
    assert (done.stop_reason, log) == ("answer", ["lookup x", "delete x"])
    assert (stored.status, stored.state) == ("finished", done.state.to_json())
    assert [m["type"] for m in stored.steps[0].request["messages"]] == [
        "user",
        "assistant",
        "tool_result",
        "tool_result",
    ]


async def test_a_failure_while_settling_a_pause_keeps_the_run_paused(
    store: SQLiteStore,
) -> None:
    """A run that fails while it settles its paused turn keeps waiting on the same calls."""
    log: list[str] = []

    class Broken(CrashingStore):
        def refuse(self, operations: list[str]) -> None:
            if "call_started" in operations:
                message = "disk full"
                raise RunStateError(message)

    agent = Agent(scripted([[DELETE]]), tools=make_tools(log.append), store=Broken(store))
    paused = await agent.run("Delete x.")
    with pytest.raises(RunStateError, match="disk full") as caught:
        await agent.resume(paused.state.run_id, {"b": Approve()})
    state = caught.value.result.state
    assert (state.status, state.pending, log) == ("failed", paused.state.pending, [])
