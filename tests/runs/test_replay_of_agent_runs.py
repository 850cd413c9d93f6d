"""Replay of runs an `Agent` recorded itself (``store=``): its writer and replay agree."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel

from switchboard import Agent, ScriptedModel, SQLiteStore, Toolbox, ToolCall, replay

pytestmark = pytest.mark.anyio


def lookup(key: str) -> str:
    """Look a key up.

    Args:
        key: The key.
    """
    return f"value of {key}"


def looked_up(key: str) -> str:
    """Look a key up, in another way.

    Args:
        key: The key.
    """
    return f"the value of {key}"


def model() -> ScriptedModel:
    return ScriptedModel([[ToolCall("a", "lookup", '{"key": "x"}')], "Done."])


async def test_a_run_the_agent_recorded_replays_with_no_divergence(tmp_path: Path) -> None:
    """A run recorded by Agent(store=...) replays against its own replies, tools re-run."""
    store = SQLiteStore(tmp_path / "runs.sqlite3")
    result = await Agent(model(), tools=Toolbox([lookup]), store=store).run("Look x up.")
    report = await replay(store, result.state.run_id, Agent(model(), tools=Toolbox([lookup])))
    await store.close()
    assert report.divergence is None
    assert report.steps_replayed == report.steps_recorded == 2


async def test_a_tool_that_now_answers_otherwise_is_the_first_divergence(tmp_path: Path) -> None:
    """The same run replayed with a tool whose result changed diverges at that call."""
    store = SQLiteStore(tmp_path / "runs.sqlite3")
    result = await Agent(model(), tools=Toolbox([lookup]), store=store).run("Look x up.")
    changed = Toolbox()
    changed.register(looked_up, name="lookup")
    report = await replay(store, result.state.run_id, Agent(model(), tools=changed))
    await store.close()
    assert report.divergence is not None
    assert report.divergence.kind == "call"


class City(BaseModel):
    """A city."""

    name: str


class Town(BaseModel):
    """A town."""

    name: str
    county: str = ""


def typed_model() -> ScriptedModel:
    return ScriptedModel(['{"name": "Paris"}'])


async def test_a_typed_run_replays_with_its_output_type_with_no_divergence(
    tmp_path: Path,
) -> None:
    """A run recorded with an output type replays against the same type without divergence."""
    store = SQLiteStore(tmp_path / "runs.sqlite3")
    result = await Agent(typed_model(), output_type=City, store=store).run("Paris?")
    report = await replay(store, result.state.run_id, Agent(typed_model(), output_type=City))
    await store.close()
    assert report.divergence is None
    assert report.result is not None
    assert report.result.parsed == City(name="Paris")


async def test_another_output_type_is_a_request_divergence_naming_both(tmp_path: Path) -> None:
    """A run replayed with another output type diverges at step 0, naming both types."""
    store = SQLiteStore(tmp_path / "runs.sqlite3")
    result = await Agent(typed_model(), output_type=City, store=store).run("Paris?")
    report = await replay(store, result.state.run_id, Agent(typed_model(), output_type=Town))
    await store.close()
    assert report.divergence is not None
    assert (report.divergence.kind, report.divergence.step) == ("request", 0)
    assert "output type" in report.divergence.explanation
    assert "City" in report.divergence.explanation
    assert "Town" in report.divergence.explanation


async def test_an_output_type_dropped_since_the_recording_is_a_divergence(
    tmp_path: Path,
) -> None:
    """A typed run replayed by an agent with no output type diverges at step 0."""
    store = SQLiteStore(tmp_path / "runs.sqlite3")
    result = await Agent(typed_model(), output_type=City, store=store).run("Paris?")
    report = await replay(store, result.state.run_id, Agent(typed_model()))
    await store.close()
    assert report.divergence is not None
    assert (report.divergence.kind, report.divergence.step) == ("request", 0)
    assert "none now" in report.divergence.explanation
