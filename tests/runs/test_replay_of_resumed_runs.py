"""Replay of runs that paused for a decision and were resumed: the replay follows the resume."""

from __future__ import annotations

from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import pytest

from switchboard import (
    Agent,
    Approve,
    Decision,
    Deny,
    Message,
    RunResult,
    SQLiteStore,
    Supply,
    Toolbox,
    ToolCall,
    replay,
)
from switchboard.runs.codec import message_to_json
from switchboard.runs.replay import ToolsMode
from tests.pausing import scripted

pytestmark = pytest.mark.anyio

LOOKUP = ToolCall("a", "lookup", '{"key": "x"}')
DELETE = ToolCall("b", "delete", '{"key": "x"}')
COUNT = ToolCall("c", "count", '{"key": "x"}')
TURNS = [[LOOKUP, DELETE], [COUNT]]
"""Step 0 pauses on delete (it needs approval); step 1, after the resume, counts."""

DECISIONS: dict[str, Decision] = {
    "approve": Approve(),
    "edited": Approve(arguments={"key": "z"}),
    "deny": Deny("Not that one."),
    "supply": Supply("deleted by the operator"),
}


def make_tools(log: list[str], counted: str = "3 keys") -> Toolbox:
    """Lookup and count (plain), delete (requires approval); each logs its runs."""
    tools = Toolbox()

    @tools.register
    def lookup(key: str) -> str:
        """Look a key up."""
        log.append(f"lookup {key}")
        return f"value of {key}"

    @tools.register(requires_approval=True)
    def delete(key: str) -> str:
        """Delete a key."""
        log.append(f"delete {key}")
        return f"deleted {key}"

    @tools.register
    def count(key: str) -> str:
        """Count the keys like key."""
        log.append(f"count {key}")
        return counted

    return tools


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with SQLiteStore(tmp_path / "runs.sqlite3") as opened:
        yield opened


async def paused_and_resumed(store: SQLiteStore, decision: Decision) -> RunResult:
    """The run recorded in ``store``: paused on delete, resumed with ``decision``, finished."""
    agent = Agent(scripted(TURNS), tools=make_tools([]), store=store)
    paused = await agent.run("Clean up x.")
    assert paused.stop_reason == "paused"
    done = await agent.resume(paused.state.run_id, {"b": decision})
    assert done.stop_reason == "answer"
    return done


def timeless(messages: Sequence[Message]) -> list[dict[str, Any]]:
    return [message_to_json(m) | {"duration": 0} for m in messages]


@pytest.mark.parametrize("tools", ["rerun", "recorded"])
@pytest.mark.parametrize("decided", sorted(DECISIONS))
async def test_a_resumed_run_replays_to_its_end_with_no_divergence(
    store: SQLiteStore, decided: str, tools: ToolsMode
) -> None:
    """Paused for approval, resumed with a decision: the replay takes it and ends the same."""
    done = await paused_and_resumed(store, DECISIONS[decided])
    report = await replay(
        store, done.state.run_id, Agent(scripted([]), tools=make_tools([])), tools=tools
    )
    assert report.divergence is None, str(report)
    assert report.steps_replayed == report.steps_recorded == 3
    assert report.result is not None
    assert timeless(report.result.messages) == timeless(done.messages)


@pytest.mark.parametrize(
    ("decided", "ran"),
    [
        ("approve", ["lookup x", "delete x", "count x"]),
        ("edited", ["lookup x", "delete z", "count x"]),
        ("deny", ["lookup x", "count x"]),
        ("supply", ["lookup x", "count x"]),
    ],
)
async def test_a_replay_runs_again_only_the_calls_a_decision_let_run(
    store: SQLiteStore, decided: str, ran: list[str]
) -> None:
    """Approved calls run again (with their edited arguments); denied or supplied ones do not."""
    done = await paused_and_resumed(store, DECISIONS[decided])
    log: list[str] = []
    report = await replay(store, done.state.run_id, Agent(scripted([]), tools=make_tools(log)))
    assert (report.divergence, log) == (None, ran)


async def test_a_changed_agent_diverges_after_the_resume_at_the_step_that_changed(
    store: SQLiteStore,
) -> None:
    """A tool that now answers otherwise after the resume: the divergence is at step 1's call."""
    done = await paused_and_resumed(store, Approve())
    changed = Agent(scripted([]), tools=make_tools([], counted="4 keys"))
    report = await replay(store, done.state.run_id, changed)
    assert report.divergence is not None
    divergence = report.divergence
    assert (divergence.kind, divergence.step, divergence.call_id) == ("call", 1, "c")


@pytest.mark.parametrize("tools", ["rerun", "recorded"])
async def test_a_run_still_paused_replays_to_its_pause_with_no_divergence(
    store: SQLiteStore, tools: ToolsMode
) -> None:
    """A run recorded up to its pause replays to the same pause."""
    paused = await Agent(scripted(TURNS), tools=make_tools([]), store=store).run("Clean up x.")
    replayer = Agent(scripted([]), tools=make_tools([]))
    report = await replay(store, paused.state.run_id, replayer, tools=tools)
    assert report.divergence is None, str(report)
    assert report.result is not None
    assert report.result.stop_reason == "paused"
    assert [call.call_id for call in report.result.pending] == ["b"]
