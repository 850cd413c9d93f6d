"""replay(): a stored run run again against its recorded replies, and its first divergence."""

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from switchboard import (
    Agent,
    AssistantTurn,
    ConfigurationError,
    ModelResponse,
    ModelSettings,
    RunStateError,
    ScriptedModel,
    SQLiteStore,
    SystemMessage,
    ToolCall,
    ToolResult,
    Usage,
    UserMessage,
    replay,
    replay_sync,
)
from switchboard.runs.codec import message_to_json, response_to_json
from switchboard.runs.state import schema_hash
from switchboard.runs.store import RunStore
from switchboard.tools.tool import Tool
from tests.runs.recorded import record_run

pytestmark = pytest.mark.anyio

PROMPT = "Weather in Paris?"
ANSWER = "It is 21 C in Paris."


def weather_tool(log: list[str], temperature: int = 21) -> Callable[..., str]:
    def get_weather(city: str) -> str:
        """Get the weather for a city."""
        log.append(city)
        return f"{temperature} C in {city}"

    return get_weather


def script() -> list[Any]:
    return [ToolCall("c1", "get_weather", '{"city": "Paris"}'), ANSWER]


async def record(store: RunStore, **options: Any) -> None:
    """Record the weather run: one call, then the answer."""
    tools = options.pop("tools", [weather_tool([])])
    agent = Agent(ScriptedModel(script()), tools=tools, system="Be brief.", **options)
    await record_run(store, agent, PROMPT)


def replayer(tools: list[Any], **options: Any) -> Agent:
    """The agent to replay with; its own model would fail if it were ever asked."""
    return Agent(ScriptedModel([]), tools=tools, **{"system": "Be brief.", **options})


async def test_replay_of_an_unchanged_run_finds_no_divergence(store: RunStore) -> None:
    """The same agent replays the run to its end: no divergence, every step served."""
    await record(store)
    log: list[str] = []
    report = await replay(store, "r1", replayer([weather_tool(log)]))
    assert report.divergence is None
    assert (report.steps_recorded, report.steps_replayed, report.calls_run) == (2, 2, 1)
    assert report.result is not None
    assert report.result.output == ANSWER
    assert log == ["Paris"]
    assert "no divergence" in str(report)


async def test_changed_tool_schema_is_a_tool_schema_divergence_at_the_first_step(
    store: RunStore,
) -> None:
    """A tool whose parameters changed diverges at step 0, naming the tool."""
    await record(store)

    def get_weather(city: str, unit: str = "C") -> str:
        """Get the weather for a city."""
        return f"21 {unit} in {city}"

    report = await replay(store, "r1", replayer([get_weather]))
    assert report.divergence is not None
    assert (report.divergence.kind, report.divergence.step) == ("tool_schema", 0)
    assert "tool 'get_weather' has another parameters schema" in report.divergence.explanation
    assert report.steps_replayed == 0


async def test_added_tool_is_a_tool_schema_divergence_naming_it(store: RunStore) -> None:
    """A tool offered now but not in the recording is named as added."""
    await record(store)

    def get_time(city: str) -> str:
        """Get the time in a city."""
        return "12:00"

    report = await replay(store, "r1", replayer([weather_tool([]), get_time]))
    assert report.divergence is not None
    assert report.divergence.kind == "tool_schema"
    assert "tool 'get_time' was added" in report.divergence.explanation


async def test_changed_system_prompt_is_a_request_divergence_at_message_0(
    store: RunStore,
) -> None:
    """A new system prompt diverges at step 0, message 0, showing both prompts."""
    await record(store)
    report = await replay(store, "r1", replayer([weather_tool([])], system="Be thorough."))
    divergence = report.divergence
    assert divergence is not None
    assert (divergence.kind, divergence.step, divergence.message_index) == ("request", 0, 0)
    assert divergence.explanation == (
        'Message 0 (system message): content differs: recorded "Be brief.", now "Be thorough.".'
    )


async def test_changed_tool_result_is_a_call_divergence_when_tools_rerun(
    store: RunStore,
) -> None:
    """A tool returning something else now diverges at the call, with both results."""
    await record(store)
    report = await replay(store, "r1", replayer([weather_tool([], temperature=25)]))
    divergence = report.divergence
    assert divergence is not None
    assert (divergence.kind, divergence.step, divergence.call_id) == ("call", 0, "c1")
    assert '"25 C in Paris"' in divergence.explanation
    assert '"21 C in Paris"' in divergence.explanation


async def test_recorded_results_mode_runs_no_tool(store: RunStore) -> None:
    """With tools='recorded' no tool runs, and the calls get the recorded results."""
    await record(store)
    log: list[str] = []
    report = await replay(store, "r1", replayer([weather_tool(log)]), tools="recorded")
    assert report.divergence is None
    assert log == []
    assert report.calls_run == 0
    assert report.result is not None
    assert report.result.steps[0].results[0].content == "21 C in Paris"


async def test_recorded_results_mode_does_not_see_a_changed_result(store: RunStore) -> None:
    """A tool whose result changed is not run with tools='recorded': no divergence."""
    await record(store)
    tools = [weather_tool([], temperature=25)]
    report = await replay(store, "r1", replayer(tools), tools="recorded")
    assert report.divergence is None


async def test_run_ending_earlier_is_a_length_divergence(store: RunStore) -> None:
    """A run that stops before the recording's last step diverges on its length."""
    await record(store)
    report = await replay(store, "r1", replayer([weather_tool([])], max_iterations=1))
    divergence = report.divergence
    assert divergence is not None
    assert (divergence.kind, divergence.step) == ("length", 1)
    assert "ended after 1 step (max_iterations)" in divergence.explanation


async def test_run_going_on_later_is_a_length_divergence(store: RunStore) -> None:
    """A run that asks again after the recording's last step diverges on its length."""
    await record(store, max_iterations=1)
    report = await replay(store, "r1", replayer([weather_tool([])], max_iterations=5))
    divergence = report.divergence
    assert divergence is not None
    assert (divergence.kind, divergence.step) == ("length", 1)
    assert "recorded run made 1" in divergence.explanation


async def test_changed_tool_choice_at_a_later_step_is_a_request_divergence(
    store: RunStore,
) -> None:
    """answer_at_limit makes step 1 forbid calls: a request divergence at step 1."""
    await record(store)
    agent = replayer([weather_tool([])], max_iterations=2, answer_at_limit=True)
    report = await replay(store, "r1", agent)
    divergence = report.divergence
    assert divergence is not None
    assert (divergence.kind, divergence.step) == ("request", 1)
    assert divergence.explanation == "tool_choice differs: recorded 'auto', now 'none'."


async def test_changed_setting_is_a_request_divergence_naming_it(store: RunStore) -> None:
    """A sampling setting that changed is named, with both values."""
    await record(store)
    agent = replayer([weather_tool([])], settings=ModelSettings(temperature=0.5))
    report = await replay(store, "r1", agent)
    assert report.divergence is not None
    assert report.divergence.explanation == ("Setting temperature differs: recorded None, now 0.5.")


async def write_step(
    store: RunStore,
    index: int,
    messages: list[Any],
    tools: list[Tool],
    response: ModelResponse | None,
    results: tuple[ToolResult, ...] = (),
) -> None:
    """One stored step written by hand in the stored form."""
    request = {
        "messages": [message_to_json(m) for m in messages],
        "tools": [[tool.name, schema_hash(tool.parameters)] for tool in tools],
        "tool_choice": "auto",
        "settings": {"max_tokens": None, "temperature": None, "seed": None},
    }
    await store.begin_step("r1", index, request)
    if response is not None:
        await store.finish_step("r1", index, response_to_json(response))
    for result in results:
        await store.call_started("r1", index, result.call_id, result.name, "{}")
        await store.call_finished("r1", index, result.call_id, message_to_json(result))


async def test_recorded_call_the_tools_refuse_now_is_a_call_divergence(
    store: RunStore,
) -> None:
    """With tools='recorded', a call that ran when recorded but is invalid now diverges."""
    tool = Tool.from_function(weather_tool([]))
    call = ToolCall("c1", "get_weather", '{"town": "Paris"}')
    turn = AssistantTurn("", (call,))
    ran = ToolResult("c1", "get_weather", "21 C in Paris")
    await store.create_run("r1", {})
    opening = [SystemMessage("Be brief."), UserMessage(PROMPT)]
    await write_step(store, 0, opening, [tool], ModelResponse(turn, Usage(), "tool_calls"), (ran,))
    answer = ModelResponse(AssistantTurn(ANSWER), Usage(), "answer")
    await write_step(store, 1, [turn, ran], [tool], answer)
    report = await replay(store, "r1", replayer([tool]), tools="recorded")
    divergence = report.divergence
    assert divergence is not None
    assert (divergence.kind, divergence.step, divergence.call_id) == ("call", 0, "c1")
    assert "is no longer valid for the current tools" in divergence.explanation
    assert "city" in divergence.explanation


async def test_recording_interrupted_while_waiting_for_the_model_replays_up_to_there(
    store: RunStore,
) -> None:
    """A last step with no reply: the run is compared up to its request, no divergence."""
    tool = Tool.from_function(weather_tool([]))
    call = ToolCall("c1", "get_weather", '{"city": "Paris"}')
    turn = AssistantTurn("", (call,))
    ran = ToolResult("c1", "get_weather", "21 C in Paris")
    await store.create_run("r1", {})
    opening = [SystemMessage("Be brief."), UserMessage(PROMPT)]
    await write_step(store, 0, opening, [tool], ModelResponse(turn, Usage(), "tool_calls"), (ran,))
    await write_step(store, 1, [turn, ran], [tool], None)
    report = await replay(store, "r1", replayer([tool]))
    assert report.divergence is None
    assert report.interrupted
    assert report.steps_replayed == 1


async def test_unknown_run_raises_run_state_error(store: RunStore) -> None:
    """Replaying a run the store does not have raises RunStateError naming it."""
    with pytest.raises(RunStateError, match="'nope'"):
        await replay(store, "nope", replayer([]))


async def test_unknown_tools_mode_raises_configuration_error(store: RunStore) -> None:
    """tools= other than 'rerun' or 'recorded' is refused, naming both."""
    await record(store)
    with pytest.raises(ConfigurationError, match="'rerun'"):
        await replay(store, "r1", replayer([]), tools="live")  # type: ignore[arg-type]


def test_replay_sync_replays_from_code_without_an_event_loop(tmp_path: Path) -> None:
    """replay_sync gives the same report as replay, from sync code."""
    store = SQLiteStore(tmp_path / "runs.sqlite3")
    asyncio.run(record(store))
    report = replay_sync(store, "r1", replayer([weather_tool([])]))
    asyncio.run(store.close())
    assert report.divergence is None
    assert report.steps_replayed == 2
