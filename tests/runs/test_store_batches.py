"""Batches of writes (`RunStore.write`), against each store kind: all of a batch, or none."""

from collections.abc import Callable

import pytest

from switchboard.errors import ConfigurationError, RunStateError
from switchboard.runs.store import RunStore
from switchboard.runs.writes import (
    BeginStep,
    CallFinished,
    CallSettled,
    CallStarted,
    CreateRun,
    FinishStep,
    SaveState,
)
from tests.runs.test_store import REQUEST, RESPONSE, RESULT

pytestmark = pytest.mark.anyio

Opener = Callable[[], RunStore]

# Longer than a chunk of either store (SQLite's 16 KB, PostgreSQL's 1,900 characters).
LONG = "".join(f"{n:06}" for n in range(20_000))


async def test_a_batch_loads_as_its_writes_made_one_by_one(open_store: Opener) -> None:
    """A run written in batches loads as the same run written one write at a time."""
    batched, single = open_store(), open_store()
    steps = [
        [CreateRun({"model": "scripted"}), SaveState("{}", "running")],
        [BeginStep(0, REQUEST), FinishStep(0, RESPONSE), CallStarted(0, "c1", "get_weather", "{}")],
        [CallFinished(0, "c1", RESULT), SaveState('{"step": 1}', "finished")],
    ]
    for batch in steps:
        await batched.write("batched", batch)
        for write in batch:
            await getattr(single, write.operation)("single", *write.args())
    one, other = await batched.load("batched"), await single.load("single")
    assert (one.status, one.meta, one.state) == (other.status, other.meta, other.state)
    assert [(s.index, s.request, s.response) for s in one.steps] == [(0, REQUEST, RESPONSE)]
    assert [(c.call_id, c.status, c.result, c.attempts) for c in one.steps[0].calls] == [
        ("c1", "finished", RESULT, 1)
    ]


async def test_a_batch_with_a_refused_write_writes_none_of_it(store: RunStore) -> None:
    """A batch whose last write breaks a rule raises it, and its earlier writes are undone."""
    await store.write("r1", [CreateRun({}), SaveState("{}", "running")])
    batch = [
        BeginStep(0, REQUEST),
        FinishStep(0, RESPONSE),
        SaveState('{"step": 1}', "finished"),
        CallFinished(0, "c9", RESULT),
    ]
    with pytest.raises(RunStateError, match=r"'c9'.*never started"):
        await store.write("r1", batch)
    run = await store.load("r1")
    assert (run.state, run.status, run.steps) == ("{}", "running", ())


async def test_a_refused_batch_leaves_no_stale_state_for_the_next_save(
    open_store: Opener,
) -> None:
    """A save undone with its batch is not taken as the stored state by the next save."""
    first, second = open_store(), open_store()
    await first.write("r1", [CreateRun({}), SaveState(LONG, "running")])
    undone = "Z" * len(LONG)
    with pytest.raises(RunStateError):
        await first.write("r1", [SaveState(undone, "running"), CallFinished(0, "c9", RESULT)])
    await second.save_state("r1", "Y" * len(LONG), "running")
    await first.save_state("r1", undone + "more", "running")
    assert (await second.load("r1")).state == undone + "more"


async def test_a_batch_saving_an_unknown_status_is_refused_before_it_is_written(
    store: RunStore,
) -> None:
    """A SaveState with a status that is no RunStatus raises, and nothing is written."""
    with pytest.raises(ConfigurationError, match="'done' is none of"):
        await store.write("r1", [CreateRun({}), SaveState("{}", "done")])  # type: ignore[arg-type]
    assert await store.list_runs() == []


async def test_an_empty_batch_writes_nothing(store: RunStore) -> None:
    """A batch of no writes does nothing, even for a run that does not exist."""
    await store.write("r1", [])
    assert await store.list_runs() == []


async def _step_zero(store: RunStore) -> None:
    await store.write("r1", [CreateRun({}), BeginStep(0, REQUEST), FinishStep(0, RESPONSE)])


async def test_a_settled_call_loads_finished_with_its_result_and_no_attempt(
    store: RunStore,
) -> None:
    """A call a decision answered has a finished row with its result, and attempts 0."""
    await _step_zero(store)
    await store.write("r1", [CallSettled(0, "c1", "get_weather", {"city": "Paris"}, RESULT)])
    (call,) = (await store.load("r1")).steps[0].calls
    assert (call.call_id, call.tool, call.arguments, call.status, call.result, call.attempts) == (
        "c1",
        "get_weather",
        {"city": "Paris"},
        "finished",
        RESULT,
        0,
    )


async def test_settling_a_call_again_with_its_result_changes_nothing(store: RunStore) -> None:
    """A settle retried with the same result is accepted, and the row is unchanged."""
    await _step_zero(store)
    settle = CallSettled(0, "c1", "get_weather", "{}", RESULT)
    await store.write("r1", [settle])
    before = await store.load("r1")
    await store.write("r1", [settle])
    assert (await store.load("r1")).steps == before.steps


async def test_settling_a_call_with_another_result_is_refused(store: RunStore) -> None:
    """A call settled, then settled with another result, raises and keeps the first."""
    await _step_zero(store)
    await store.write("r1", [CallSettled(0, "c1", "get_weather", "{}", RESULT)])
    with pytest.raises(RunStateError, match="settled only once"):
        await store.write("r1", [CallSettled(0, "c1", "get_weather", "{}", {"other": 1})])
    assert (await store.load("r1")).steps[0].calls[0].result == RESULT


async def test_settling_a_started_call_is_refused(store: RunStore) -> None:
    """A call whose code started cannot be settled: it may have taken effect."""
    await _step_zero(store)
    await store.write("r1", [CallStarted(0, "c1", "get_weather", "{}")])
    with pytest.raises(RunStateError, match="already started"):
        await store.write("r1", [CallSettled(0, "c1", "get_weather", "{}", RESULT)])


async def test_settling_a_call_of_a_step_never_begun_is_refused(store: RunStore) -> None:
    """CallSettled for a step with no row raises, naming the step."""
    await store.write("r1", [CreateRun({})])
    with pytest.raises(RunStateError, match="no step 3"):
        await store.write("r1", [CallSettled(3, "c1", "get_weather", "{}", RESULT)])
