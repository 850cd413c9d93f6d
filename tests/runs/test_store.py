"""The behaviour every RunStore keeps, run against each store kind (see stores.py)."""

import asyncio
from collections.abc import Callable
from typing import Any

import pytest

from switchboard.errors import ConfigurationError, RunNotFoundError, RunStateError
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
from switchboard.runs.store import RunStore

pytestmark = pytest.mark.anyio

Opener = Callable[[], RunStore]

REQUEST = {
    "messages": [message_to_json(UserMessage("Weather in Paris?"))],
    "tools": [["get_weather", "5f118feb63f080e5bd34bc71f32b2e9efba28cc852774cb88f549245301bb7b7"]],
    "tool_choice": "auto",
}
RESPONSE = response_to_json(
    ModelResponse(
        AssistantTurn("", (ToolCall("c1", "get_weather", '{"city": "Paris"}'),)),
        Usage(120, 14, 1),
        "tool_calls",
        "scripted",
    )
)
RESULT = message_to_json(ToolResult("c1", "get_weather", "21 C, sunny", duration=0.01, value=21))


async def _run_with_step(store: RunStore, run_id: str = "r1") -> None:
    """A run whose step 0 is begun and finished."""
    await store.create_run(run_id, {"model": "scripted"})
    await store.begin_step(run_id, 0, REQUEST)
    await store.finish_step(run_id, 0, RESPONSE)


async def test_created_run_loads_running_with_its_meta_and_nothing_else(store: RunStore) -> None:
    """A new run is running, keeps its meta exactly, and has no state and no steps."""
    meta = {"model": "anthropic:claude", "tags": ["a", "ü"], "n": 1.5}
    await store.create_run("r1", meta)
    run = await store.load("r1")
    assert (run.run_id, run.status, run.meta, run.state, run.steps) == (
        "r1",
        "running",
        meta,
        None,
        (),
    )


async def test_creating_a_run_twice_is_refused(store: RunStore) -> None:
    """A second run with the same id raises, and the first is kept."""
    await store.create_run("r1", {"first": True})
    with pytest.raises(RunStateError, match="'r1' is already in"):
        await store.create_run("r1", {"first": False})
    assert (await store.load("r1")).meta == {"first": True}


async def test_loading_an_unknown_run_is_refused(store: RunStore) -> None:
    """Loading a run id the store never saw raises, naming the id."""
    with pytest.raises(RunStateError, match="No run 'nope'"):
        await store.load("nope")


async def test_an_unknown_run_is_told_apart_from_other_store_failures(store: RunStore) -> None:
    """Loading a run id the store never saw raises RunNotFoundError, a RunStateError."""
    with pytest.raises(RunNotFoundError, match="No run 'nope'"):
        await store.load("nope")


async def test_saved_state_and_status_load_exactly(store: RunStore) -> None:
    """The last saved state text and its status are what load returns."""
    await store.create_run("r1", {})
    first = RunState(run_id="r1", messages=(UserMessage("one"),)).to_json()
    second = RunState(run_id="r1", messages=(UserMessage("one"), UserMessage("two"))).to_json()
    await store.save_state("r1", first, "running")
    await store.save_state("r1", second, "paused")
    run = await store.load("r1")
    assert (run.state, run.status) == (second, "paused")
    assert RunState.from_json(run.state).messages[-1] == UserMessage("two")


def _texts() -> list[str]:
    """Long states saved one after another: grown, shrunk, changed at the start and inside."""
    base = "".join(f"message {n:06} " for n in range(8_000))  # 120,000 characters
    return [
        base,
        base + "appended",
        base[:50_000],
        "X" + base[1:],
        base[:70_000] + "inside" + base[70_006:],
        base * 2,
        "{}",
        base,
    ]


async def test_long_states_saved_in_turn_each_load_exactly(store: RunStore) -> None:
    """Each of a series of long states, however it differs from the last, loads exactly."""
    await store.create_run("r1", {})
    for text in _texts():
        await store.save_state("r1", text, "running")
        assert (await store.load("r1")).state == text


async def test_state_saved_through_another_store_in_between_loads_exactly(
    open_store: Opener,
) -> None:
    """A save by another store on the same location is not overwritten by a stale delta."""
    first, second = open_store(), open_store()
    base, *_ = _texts()
    await first.create_run("r1", {})
    await first.save_state("r1", base, "running")
    await second.save_state("r1", "Y" * len(base), "running")
    await first.save_state("r1", base + "more", "running")
    assert (await second.load("r1")).state == base + "more"


async def test_saving_the_state_of_an_unknown_run_is_refused(store: RunStore) -> None:
    """save_state for a run never created raises."""
    with pytest.raises(RunStateError, match="No run 'r9'"):
        await store.save_state("r9", "{}", "running")


async def test_runs_are_listed_newest_first(store: RunStore) -> None:
    """list_runs returns every run, the most recently created first."""
    for run_id in ("a", "b", "c"):
        await store.create_run(run_id, {"id": run_id})
    listed = await store.list_runs()
    assert [run.run_id for run in listed] == ["c", "b", "a"]
    assert [run.meta for run in listed] == [{"id": "c"}, {"id": "b"}, {"id": "a"}]


async def test_runs_are_listed_by_status(store: RunStore) -> None:
    """list_runs with a status returns only the runs whose last state had it."""
    for run_id in ("a", "b", "c"):
        await store.create_run(run_id, {})
    await store.save_state("b", "{}", "paused")
    assert [run.run_id for run in await store.list_runs(status="paused")] == ["b"]
    assert [run.run_id for run in await store.list_runs(status="running")] == ["c", "a"]


async def test_run_list_stops_at_its_limit(store: RunStore) -> None:
    """list_runs returns at most ``limit`` runs, the newest."""
    for run_id in ("a", "b", "c"):
        await store.create_run(run_id, {})
    assert [run.run_id for run in await store.list_runs(limit=2)] == ["c", "b"]


async def test_negative_run_list_limit_is_refused(store: RunStore) -> None:
    """A negative limit raises ConfigurationError instead of meaning no limit."""
    with pytest.raises(ConfigurationError, match="limit=-1"):
        await store.list_runs(limit=-1)


async def test_store_has_every_method_of_the_protocol(store: RunStore) -> None:
    """The store is a RunStore: it has each of the protocol's methods."""
    assert isinstance(store, RunStore)


async def test_step_request_and_response_load_exactly(store: RunStore) -> None:
    """A finished step holds its request and response exactly as given."""
    await _run_with_step(store)
    (step,) = (await store.load("r1")).steps
    assert (step.index, step.request, step.response) == (0, REQUEST, RESPONSE)
    assert step.finished_at is not None


async def test_begun_step_has_no_response_until_finished(store: RunStore) -> None:
    """A step begun and not finished (the model never answered) loads with no response."""
    await store.create_run("r1", {})
    await store.begin_step("r1", 0, REQUEST)
    (step,) = (await store.load("r1")).steps
    assert (step.response, step.finished_at) == (None, None)


async def test_steps_load_in_index_order(store: RunStore) -> None:
    """Steps load ordered by their index, whatever order they were written in."""
    await store.create_run("r1", {})
    for index in (2, 0, 1):
        await store.begin_step("r1", index, {"index": index})
    assert [step.request for step in (await store.load("r1")).steps] == [
        {"index": 0},
        {"index": 1},
        {"index": 2},
    ]


async def test_beginning_a_step_of_an_unknown_run_is_refused(store: RunStore) -> None:
    """begin_step for a run never created raises."""
    with pytest.raises(RunStateError, match="No run 'r1'"):
        await store.begin_step("r1", 0, REQUEST)


async def test_unfinished_step_begun_again_takes_the_new_request(store: RunStore) -> None:
    """After a crash while the model was asked, the step is begun again with the new request."""
    await store.create_run("r1", {})
    await store.begin_step("r1", 0, {"try": 1})
    await store.begin_step("r1", 0, {"try": 2})
    (step,) = (await store.load("r1")).steps
    assert step.request == {"try": 2}


async def test_finished_step_begun_again_is_refused(store: RunStore) -> None:
    """A step with a stored response is never begun again, and keeps its request."""
    await _run_with_step(store)
    with pytest.raises(RunStateError, match="already has its response"):
        await store.begin_step("r1", 0, {"other": True})
    assert (await store.load("r1")).steps[0].request == REQUEST


async def test_finishing_a_step_never_begun_is_refused(store: RunStore) -> None:
    """finish_step for a step that was not begun raises, saying to begin it."""
    await store.create_run("r1", {})
    with pytest.raises(RunStateError, match=r"no step 3.*begin_step"):
        await store.finish_step("r1", 3, RESPONSE)


async def test_finishing_a_step_again_with_its_response_changes_nothing(store: RunStore) -> None:
    """A retried finish_step with the same response is accepted and changes nothing."""
    await _run_with_step(store)
    before = (await store.load("r1")).steps
    await store.finish_step("r1", 0, RESPONSE)
    assert (await store.load("r1")).steps == before


async def test_finishing_a_step_with_another_response_is_refused(store: RunStore) -> None:
    """A recorded response is never replaced: another one raises and the first stays."""
    await _run_with_step(store)
    with pytest.raises(RunStateError, match="already finished with another response"):
        await store.finish_step("r1", 0, {**RESPONSE, "model": "other"})
    assert (await store.load("r1")).steps[0].response == RESPONSE


@pytest.mark.parametrize(
    "arguments", ['{"city": "Paris"}', {"city": "Paris"}], ids=["text", "object"]
)
async def test_started_call_loads_started_with_its_arguments(
    store: RunStore, arguments: str | dict[str, Any]
) -> None:
    """A started call is 'started', once, with no result, its arguments as given."""
    await _run_with_step(store)
    await store.call_started("r1", 0, "c1", "get_weather", arguments)
    call = (await store.load("r1")).call(0, "c1")
    assert call is not None
    assert (call.tool, call.arguments, call.status, call.result, call.attempts) == (
        "get_weather",
        arguments,
        "started",
        None,
        1,
    )


async def test_finished_call_loads_finished_with_its_result(store: RunStore) -> None:
    """A finished call is 'finished' with its result exactly as given."""
    await _run_with_step(store)
    await store.call_started("r1", 0, "c1", "get_weather", '{"city": "Paris"}')
    await store.call_finished("r1", 0, "c1", RESULT)
    call = (await store.load("r1")).call(0, "c1")
    assert call is not None
    assert (call.status, call.result, call.attempts) == ("finished", RESULT, 1)
    assert call.finished_at is not None


async def test_unfinished_call_started_again_counts_an_attempt(store: RunStore) -> None:
    """An idempotent call re-run after a crash is started again: its attempts say 2."""
    await _run_with_step(store)
    await store.call_started("r1", 0, "c1", "get_weather", "{}")
    await store.call_started("r1", 0, "c1", "get_weather", "{}")
    call = (await store.load("r1")).call(0, "c1")
    assert call is not None
    assert (call.status, call.attempts) == ("started", 2)


async def test_finished_call_started_again_is_refused(store: RunStore) -> None:
    """A call whose result is stored is never started again: it raises and stays finished."""
    await _run_with_step(store)
    await store.call_started("r1", 0, "c1", "get_weather", "{}")
    await store.call_finished("r1", 0, "c1", RESULT)
    with pytest.raises(RunStateError, match=r"already finished.*must not run again"):
        await store.call_started("r1", 0, "c1", "get_weather", "{}")
    call = (await store.load("r1")).call(0, "c1")
    assert call is not None
    assert (call.status, call.result, call.attempts) == ("finished", RESULT, 1)


async def test_finishing_a_call_never_started_is_refused(store: RunStore) -> None:
    """call_finished for a call that was not started raises, saying to start it first."""
    await _run_with_step(store)
    with pytest.raises(RunStateError, match="never started"):
        await store.call_finished("r1", 0, "c1", RESULT)


async def test_finishing_a_call_again_with_its_result_changes_nothing(store: RunStore) -> None:
    """A retried call_finished with the same result is accepted and changes nothing."""
    await _run_with_step(store)
    await store.call_started("r1", 0, "c1", "get_weather", "{}")
    await store.call_finished("r1", 0, "c1", RESULT)
    before = (await store.load("r1")).steps
    await store.call_finished("r1", 0, "c1", RESULT)
    assert (await store.load("r1")).steps == before


async def test_finishing_a_call_with_another_result_is_refused(store: RunStore) -> None:
    """A recorded result is never replaced: another one raises and the first stays."""
    await _run_with_step(store)
    await store.call_started("r1", 0, "c1", "get_weather", "{}")
    await store.call_finished("r1", 0, "c1", RESULT)
    with pytest.raises(RunStateError, match="another result"):
        await store.call_finished("r1", 0, "c1", {**RESULT, "content": "other"})
    call = (await store.load("r1")).call(0, "c1")
    assert call is not None
    assert call.result == RESULT


async def test_starting_a_call_of_a_step_never_begun_is_refused(store: RunStore) -> None:
    """A call belongs to a begun step: starting one of step 5 of a run without it raises."""
    await _run_with_step(store)
    with pytest.raises(RunStateError, match="no step 5"):
        await store.call_started("r1", 5, "c1", "get_weather", "{}")


async def test_calls_load_with_their_step_in_start_order(store: RunStore) -> None:
    """Calls load under their step in the order they started; one id in two steps is two calls."""
    await _run_with_step(store)
    await store.begin_step("r1", 1, REQUEST)
    for step, call_id in ((0, "c2"), (0, "c1"), (1, "c1")):
        await store.call_started("r1", step, call_id, "get_weather", {"step": step})
    steps = (await store.load("r1")).steps
    assert [[(c.call_id, c.arguments) for c in s.calls] for s in steps] == [
        [("c2", {"step": 0}), ("c1", {"step": 0})],
        [("c1", {"step": 1})],
    ]


async def test_many_tasks_write_at_once_without_losing_a_row(store: RunStore) -> None:
    """Forty runs written by concurrent tasks, 5 steps of 3 parallel calls each, all land."""

    async def one_run(run_id: str) -> None:
        await store.create_run(run_id, {"run": run_id})
        for index in range(5):
            await store.begin_step(run_id, index, {"step": index})
            await store.finish_step(run_id, index, {"step": index, "done": True})
            calls = [f"c{index}-{n}" for n in range(3)]
            await asyncio.gather(*(store.call_started(run_id, index, c, "t", "{}") for c in calls))
            await asyncio.gather(*(store.call_finished(run_id, index, c, {"c": c}) for c in calls))
            await store.save_state(run_id, f'{{"step": {index}}}', "running")
        await store.save_state(run_id, '{"done": true}', "finished")

    run_ids = [f"run-{n:02}" for n in range(40)]
    await asyncio.gather(*(one_run(run_id) for run_id in run_ids))
    assert sorted(run.run_id for run in await store.list_runs(status="finished")) == run_ids
    for run_id in run_ids:
        run = await store.load(run_id)
        assert run.state == '{"done": true}'
        assert [step.response for step in run.steps] == [
            {"step": i, "done": True} for i in range(5)
        ]
        finished = [
            (c.call_id, c.result) for s in run.steps for c in s.calls if c.status == "finished"
        ]
        assert finished == [(f"c{i}-{n}", {"c": f"c{i}-{n}"}) for i in range(5) for n in range(3)]


async def test_reopened_store_holds_everything_written_before(open_store: Opener) -> None:
    """A store closed and opened again on the same location loads the same run."""
    first = open_store()
    await _run_with_step(first)
    await first.call_started("r1", 0, "c1", "get_weather", "{}")
    await first.call_finished("r1", 0, "c1", RESULT)
    await first.save_state("r1", RunState(run_id="r1").to_json(), "finished")
    written = await first.load("r1")
    await first.close()
    assert await open_store().load("r1") == written


async def test_closed_store_refuses_use(store: RunStore) -> None:
    """A store used after close raises RunStateError saying it is closed; closing again is fine."""
    await store.close()
    await store.close()
    with pytest.raises(RunStateError, match="closed"):
        await store.list_runs()


async def test_meta_that_is_not_json_is_refused_and_no_run_is_made(store: RunStore) -> None:
    """A meta holding a non-JSON value raises naming the run, and creates nothing."""
    with pytest.raises(RunStateError, match=r"The meta of run 'r1'.*started holds"):
        await store.create_run("r1", {"started": object()})
    assert await store.list_runs() == []
