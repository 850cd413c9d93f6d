"""Runs that pause on calls for a human or the application, and resume with decisions."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from switchboard import (
    Agent,
    AllowedTools,
    Approve,
    AssistantTurn,
    ConfigurationError,
    Deny,
    PendingCall,
    ProviderUnavailableError,
    RunEnd,
    RunResult,
    RunState,
    RunStateError,
    ScriptedModel,
    Supply,
    ToolCall,
    ToolResult,
    ToolResultEvent,
    UserMessage,
)
from switchboard.runs.codec import message_to_json
from tests.pausing import ASK, DEFER, DELETE, LOOKUP, SEND, make_agent, make_tools, scripted

pytestmark = pytest.mark.anyio

ROOT = Path(__file__).parents[1]
WORKER = Path(__file__).with_name("pause_worker.py")


def results(result: RunResult) -> dict[str, ToolResult]:
    return {m.call_id: m for m in result.messages if isinstance(m, ToolResult)}


async def test_a_call_needing_approval_with_no_approver_pauses_the_run() -> None:
    """A requires_approval call with no approve= hook pauses: pending, not run, not denied."""
    log: list[str] = []
    result = await make_agent(log.append, [[DELETE]]).run("Delete x.")
    assert result.stop_reason == "paused"
    assert result.pending == (PendingCall("b", "delete", '{"key": "x"}', "", "approval"),)
    assert log == []
    assert result.state.status == "paused"
    assert result.state.pending == result.pending


async def test_the_paused_turns_other_calls_run_once_and_not_again_on_resume() -> None:
    """The calls of the paused turn that needed no approval ran once, before and after resume."""
    log: list[str] = []
    agent = make_agent(log.append, [[LOOKUP, DELETE]])
    paused = await agent.run("Look x up and delete it.")
    assert log == ["lookup x"]
    assert results(paused)["a"].content == "value of x"
    done = await agent.resume(paused.state, {"b": Approve()})
    assert log == ["lookup x", "delete x"]
    assert done.stop_reason == "answer"


async def test_an_approved_call_runs_and_the_loop_goes_on_to_the_answer() -> None:
    """Approve() runs the call with the model's arguments; its result goes to the model."""
    agent = make_agent(lambda line: None, [[LOOKUP, DELETE]])
    paused = await agent.run("Look x up and delete it.")
    done = await agent.resume(paused.state, {"b": Approve()})
    assert (done.stop_reason, done.output) == ("answer", "Done.")
    assert [m for m in done.messages if isinstance(m, ToolResult)] == [
        results(paused)["a"],
        results(done)["b"],
    ]
    assert results(done)["b"].content == "deleted x"


async def test_resumed_conversation_keeps_the_results_in_the_models_call_order() -> None:
    """The approved call's result takes its place among the turn's results, in call order."""
    agent = make_agent(lambda line: None, [[DELETE, LOOKUP]])
    paused = await agent.run("Delete x, look it up.")
    done = await agent.resume(paused.state, {"b": Approve()})
    ids = [m.call_id for m in done.messages if isinstance(m, ToolResult)]
    assert ids == ["b", "a"]


async def test_approve_with_edited_arguments_runs_the_call_with_them() -> None:
    """Approve(arguments=...) runs the call with the human's arguments instead of the model's."""
    log: list[str] = []
    agent = make_agent(log.append, [[DELETE]])
    paused = await agent.run("Delete x.")
    done = await agent.resume(paused.state, {"b": Approve({"key": "y"})})
    assert log == ["delete y"]
    assert results(done)["b"].content == "deleted y"


async def test_invalid_edited_arguments_become_the_usual_error_result() -> None:
    """Edited arguments are validated like the model's: invalid ones are an error result."""
    log: list[str] = []
    agent = make_agent(log.append, [[DELETE]])
    paused = await agent.run("Delete x.")
    done = await agent.resume(paused.state, {"b": Approve({"key": 5, "extra": 1})})
    result = results(done)["b"]
    assert (result.is_error, result.error_kind) == (True, "invalid")
    assert result.content.startswith("Invalid arguments for delete:")
    assert log == []


async def test_deny_gives_the_model_an_error_result_with_its_message() -> None:
    """Deny(message): the call does not run; the model reads the message as an error."""
    log: list[str] = []
    agent = make_agent(log.append, [[DELETE]])
    paused = await agent.run("Delete x.")
    done = await agent.resume(paused.state, {"b": Deny("The user said no: do not retry.")})
    result = results(done)["b"]
    assert (result.content, result.is_error, result.error_kind) == (
        "The user said no: do not retry.",
        True,
        "denied",
    )
    assert log == []
    assert done.stop_reason == "answer"


async def test_supply_gives_the_model_the_applications_result() -> None:
    """Supply(value): the call does not run here; its result is the application's value."""
    log: list[str] = []
    agent = make_agent(log.append, [[SEND]])
    paused = await agent.run("Tell Ada.")
    done = await agent.resume(paused.state, {"c": Supply({"sent": True, "to": "ada"})})
    result = results(done)["c"]
    assert (result.content, result.is_error, result.value) == (
        '{"sent":true,"to":"ada"}',
        False,
        {"sent": True, "to": "ada"},
    )
    assert log == []


async def test_supply_of_a_failure_is_an_error_result() -> None:
    """Supply(..., is_error=True): the model reads the application's failure as an error."""
    agent = make_agent(lambda line: None, [[SEND]])
    paused = await agent.run("Tell Ada.")
    done = await agent.resume(paused.state, {"c": Supply("Mailbox full.", is_error=True)})
    result = results(done)["c"]
    assert (result.content, result.is_error, result.error_kind) == ("Mailbox full.", True, "raised")


async def test_an_external_tool_pauses_the_run_and_never_runs_here() -> None:
    """A call of an external=True tool is handed to the application: pending, kind external."""
    log: list[str] = []
    result = await make_agent(log.append, [[SEND]]).run("Tell Ada.")
    assert result.pending == (PendingCall("c", "send", '{"to": "ada"}', "", "external"),)
    assert log == []


async def test_a_tool_raising_call_deferred_pauses_as_external_with_its_reason() -> None:
    """CallDeferred(reason) from a tool makes its call pending, kind external, with the reason."""
    result = await make_agent(lambda line: None, [[DEFER]]).run("Render.")
    assert result.pending == (
        PendingCall(
            "e", "defer", '{"job": "render"}', "render runs on the render farm", "external"
        ),
    )


async def test_a_tool_raising_approval_required_pauses_and_runs_once_approved() -> None:
    """ApprovalRequired pauses; approved, the tool runs again with RunContext.approved set."""
    log: list[str] = []
    agent = make_agent(log.append, [[ASK]])
    paused = await agent.run("Be careful with y.")
    assert paused.pending == (
        PendingCall("d", "careful", '{"key": "y"}', "careful touches y", "approval"),
    )
    done = await agent.resume(paused.state, {"d": Approve()})
    assert log == ["careful y"]
    assert results(done)["d"].content == "carefully did y"


async def test_a_call_needing_approval_with_invalid_arguments_is_answered_not_paused() -> None:
    """Invalid arguments are the model's to fix: no human is asked, the model gets the error."""
    bad = ToolCall("b", "delete", '{"key": 5}')
    result = await make_agent(lambda line: None, [[bad]]).run("Delete 5.")
    assert result.stop_reason == "answer"
    assert results(result)["b"].error_kind == "invalid"


async def test_the_approve_hook_still_decides_in_process_without_pausing() -> None:
    """With approve= set, a requires_approval call is decided at once: no pause."""
    log: list[str] = []
    agent = make_agent(log.append, [[DELETE]], approve=lambda call, tool: True)
    result = await agent.run("Delete x.")
    assert (result.stop_reason, log) == ("answer", ["delete x"])


async def test_run_stream_pauses_with_a_run_end_holding_the_paused_result() -> None:
    """run_stream yields RunEnd with the paused result; no result event for the pending call."""
    agent = make_agent(lambda line: None, [[LOOKUP, DELETE]])
    events = [event async for event in agent.run_stream("Look x up and delete it.")]
    end = events[-1]
    assert isinstance(end, RunEnd)
    assert end.result.stop_reason == "paused"
    assert [p.call_id for p in end.result.pending] == ["b"]
    shown = [e.result.call_id for e in events if isinstance(e, ToolResultEvent)]
    assert shown == ["a"]


async def test_a_streamed_pause_resumes_like_a_whole_one() -> None:
    """The state of a streamed pause resumes to the same answer as a run's."""
    agent = make_agent(lambda line: None, [[LOOKUP, DELETE]])
    events = [event async for event in agent.run_stream("Look x up and delete it.")]
    end = events[-1]
    assert isinstance(end, RunEnd)
    done = await agent.resume(end.result.state, {"b": Approve()})
    assert (done.stop_reason, results(done)["b"].content) == ("answer", "deleted x")


async def test_resume_from_the_states_json_text_goes_on_like_the_state_itself() -> None:
    """Resume accepts RunState.to_json() text: the same conversation as from the object."""
    agent = make_agent(lambda line: None, [[LOOKUP, DELETE]])
    paused = await agent.run("Look x up and delete it.")
    from_object = await agent.resume(paused.state, {"b": Approve()})
    from_text = await agent.resume(paused.state.to_json(), {"b": Approve()})
    assert [message_to_json(m) | {"duration": 0} for m in from_text.messages] == [
        message_to_json(m) | {"duration": 0} for m in from_object.messages
    ]


def test_a_paused_run_resumes_in_another_process_after_a_json_round_trip(
    tmp_path: Path,
) -> None:
    """A state written to JSON resumes in a new process; the calls that ran do not run again."""
    lines: list[str] = []
    turns = [[LOOKUP, DELETE]]
    paused = make_agent(lines.append, turns).run_sync("Look x up and delete it.")
    state = RunState.from_json(paused.state.to_json())
    log = tmp_path / "log.txt"
    job = {
        "state": state.to_json(),
        "turns": [[[c.id, c.name, c.arguments] for c in turn] for turn in turns],
        "approve": ["b"],
    }
    done = subprocess.run(
        [sys.executable, str(WORKER), str(log)],
        input=json.dumps(job),
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "src"), str(ROOT)])},
        timeout=120,  # a hang fails the test instead of stalling the suite
        check=False,
    )
    assert done.returncode == 0, done.stderr
    resumed = json.loads(done.stdout)
    assert (resumed["stop_reason"], resumed["output"]) == ("answer", "Done.")
    assert lines == ["lookup x"]
    assert log.read_text().splitlines() == ["delete x"]
    contents = [m["content"] for m in resumed["messages"] if m["type"] == "tool_result"]
    assert contents == ["value of x", "deleted x"]


async def test_resume_without_a_decision_for_each_pending_call_names_the_missing_ones() -> None:
    """A pending call left without a decision raises ConfigurationError naming it."""
    agent = make_agent(lambda line: None, [[DELETE, SEND]])
    paused = await agent.run("Delete x, tell Ada.")
    with pytest.raises(ConfigurationError, match=r"no decision: c \(send\)"):
        await agent.resume(paused.state, {"b": Approve()})


async def test_a_decision_for_a_call_that_does_not_wait_raises() -> None:
    """A decision for an id the run does not wait on raises, listing the ids it waits on."""
    agent = make_agent(lambda line: None, [[DELETE]])
    paused = await agent.run("Delete x.")
    with pytest.raises(ConfigurationError, match=r"does not wait on: \['zz'\]. It waits on b"):
        await agent.resume(paused.state, {"b": Approve(), "zz": Approve()})


async def test_approving_an_external_call_raises_asking_for_its_result() -> None:
    """An external call cannot be approved to run here: the error says to Supply its result."""
    agent = make_agent(lambda line: None, [[SEND]])
    paused = await agent.run("Tell Ada.")
    with pytest.raises(ConfigurationError, match=r"answer it with Supply"):
        await agent.resume(paused.state, {"c": Approve()})


async def test_decisions_for_a_run_that_is_not_paused_raise() -> None:
    """A run that waits on nothing refuses decisions."""
    agent = make_agent(lambda line: None, [])
    failed = RunState(messages=(UserMessage("Hi"),), status="failed")
    with pytest.raises(ConfigurationError, match="is not paused"):
        await agent.resume(failed, {"b": Approve()})


async def test_resuming_a_finished_run_raises() -> None:
    """A finished run has nothing to resume: RunStateError says to start a new run."""
    agent = make_agent(lambda line: None, [])
    done = await agent.run("Hi")
    with pytest.raises(RunStateError, match="has finished"):
        await agent.resume(done.state)


async def test_a_run_id_without_a_store_raises() -> None:
    """resume(run_id) on an agent with no store raises ConfigurationError saying what to do."""
    agent = make_agent(lambda line: None, [])
    with pytest.raises(ConfigurationError, match="needs a store"):
        await agent.resume("0123abcd")


async def test_every_result_carries_its_state() -> None:
    """A finished run's result has its state: finished, its messages, iteration and calls."""
    result = await make_agent(lambda line: None, [[LOOKUP]]).run("Look x up.")
    state = result.state
    assert (state.status, state.messages, state.iteration, state.calls_made) == (
        "finished",
        result.messages,
        2,
        1,
    )
    assert [name for name, _ in state.tools] == ["lookup", "delete", "send", "careful", "defer"]


async def test_an_error_raised_out_of_a_run_carries_a_failed_state() -> None:
    """A provider error's result holds the run so far, and a failed state to resume from."""
    down = ProviderUnavailableError("scripted", "down")

    def reply(request: object) -> str:
        raise down

    agent = Agent(ScriptedModel(reply), tools=make_tools(lambda line: None))
    with pytest.raises(ProviderUnavailableError) as caught:
        await agent.run("Hi")
    state = caught.value.result.state
    assert (state.status, state.messages) == ("failed", (UserMessage("Hi"),))


async def test_a_failed_run_resumes_from_its_state() -> None:
    """The state of a run that failed on the provider resumes, and the run goes on."""
    replies = iter([ProviderUnavailableError("scripted", "down"), "Hello."])

    def reply(request: object) -> str:
        item = next(replies)
        if isinstance(item, Exception):
            raise item
        return item

    agent = Agent(ScriptedModel(reply))
    with pytest.raises(ProviderUnavailableError) as caught:
        await agent.run("Hi")
    done = await agent.resume(caught.value.result.state)
    assert done.messages == (UserMessage("Hi"), AssistantTurn("Hello."))


async def test_usage_of_a_resumed_run_includes_the_steps_before_the_pause() -> None:
    """A resumed run's usage sums the requests made before it paused and after."""
    agent = make_agent(lambda line: None, [[DELETE]])
    paused = await agent.run("Delete x.")
    done = await agent.resume(paused.state, {"b": Approve()})
    assert (paused.usage.requests, done.usage.requests) == (1, 2)


async def test_a_resumed_run_remembers_the_calls_made_before_the_pause() -> None:
    """The loop guard knows the calls before the pause: a repeat after it is not run again."""
    log: list[str] = []
    again = ToolCall("a2", "lookup", '{"key": "x"}')
    agent = make_agent(log.append, [[DELETE, LOOKUP], [again]])
    paused = await agent.run("Delete x, look it up.")
    await agent.resume(paused.state, {"b": Deny("No.")})
    assert log == ["lookup x"]


async def test_a_paused_runs_allowed_tools_choice_survives_its_json_round_trip() -> None:
    """tool_choice=AllowedTools(...) is kept in the paused state's JSON and comes back as is."""
    choice = AllowedTools(["lookup", "delete"], required=True)
    agent = make_agent(lambda line: None, [[DELETE]], tool_choice=choice, reset_tool_choice=False)
    paused = await agent.run("Delete x.")
    restored = RunState.from_json(paused.state.to_json())
    assert restored.tool_choice == {"allowed": ["lookup", "delete"], "required": True}
    done = await agent.resume(restored, {"b": Approve()})
    assert done.stop_reason == "answer"


async def test_an_unforced_allowed_tools_choice_is_kept_after_a_turn_with_calls() -> None:
    """reset_tool_choice widens forced choices only: AllowedTools(required=False) stays."""
    choice = AllowedTools(["lookup"])
    model = scripted([[LOOKUP]])
    await Agent(model, tools=make_tools(lambda line: None), tool_choice=choice).run("Look x up.")
    assert [request.tool_choice for request in model.requests] == [choice, choice]


async def test_a_forced_allowed_tools_choice_keeps_its_tools_but_not_the_obligation() -> None:
    """After a turn with calls, AllowedTools(required=True) becomes the same tools, unforced."""
    model = scripted([[LOOKUP]])
    forced = AllowedTools(["lookup"], required=True)
    await Agent(model, tools=make_tools(lambda line: None), tool_choice=forced).run("Look x up.")
    assert [request.tool_choice for request in model.requests] == [forced, AllowedTools(["lookup"])]
