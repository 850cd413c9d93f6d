"""switchboard.testing.cassette: a model's turns recorded to a file once, replayed afterwards."""

import asyncio
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from switchboard import (
    Agent,
    ConfigurationError,
    DivergenceError,
    RunStateError,
    ScriptedModel,
    ToolCall,
)
from switchboard.streaming import RunEnd
from switchboard.testing import cassette

ANSWER = "It is 21 C in Paris."


def weather_tool(log: list[str], temperature: int = 21) -> Callable[..., str]:
    def get_weather(city: str) -> str:
        """Get the weather for a city."""
        log.append(city)
        return f"{temperature} C in {city}"

    return get_weather


def real_model() -> ScriptedModel:
    """The model a cassette records: one call, then the answer."""
    return ScriptedModel([ToolCall("c1", "get_weather", '{"city": "Paris"}'), ANSWER])


def agent(model: ScriptedModel, tools: list[Any] | None = None, **options: Any) -> Agent:
    return Agent(model, tools=tools or [weather_tool([])], **{"system": "Be brief.", **options})


def recorded(path: Path) -> None:
    """Record the weather run into the cassette at ``path``."""
    with cassette(path, agent(real_model())) as recording:
        assert recording.run_sync("Weather in Paris?").output == ANSWER


def test_first_use_records_the_turns_of_the_real_model(tmp_path: Path) -> None:
    """With no file, the real model answers and its two turns are written to the file."""
    path = tmp_path / "cassettes" / "weather.json"
    model = real_model()
    with cassette(path, agent(model)) as recording:
        result = recording.run_sync("Weather in Paris?")
    assert result.output == ANSWER
    assert len(model.requests) == 2
    data = json.loads(path.read_text())
    assert data["version"] == 1
    steps = data["runs"][0]["steps"]
    assert [step["response"]["turn"]["text"] for step in steps] == ["", ANSWER]
    assert [m["type"] for m in steps[1]["request"]["messages"]] == ["assistant", "tool_result"]


def test_replay_answers_from_the_file_without_asking_the_model(tmp_path: Path) -> None:
    """Once recorded, the run gets the same answer and the model is never asked."""
    path = tmp_path / "weather.json"
    recorded(path)
    model = ScriptedModel([])
    log: list[str] = []
    with cassette(path, agent(model, [weather_tool(log)])) as replaying:
        result = replaying.run_sync("Weather in Paris?")
    assert result.output == ANSWER
    assert model.requests == []
    assert log == ["Paris"]


def test_replay_of_a_streamed_run_gives_the_same_answer(tmp_path: Path) -> None:
    """A run streamed while recording and replaying ends with the recorded answer."""
    path = tmp_path / "weather.json"

    async def streamed(run_agent: Agent) -> str:
        async for event in run_agent.run_stream("Weather in Paris?"):
            if isinstance(event, RunEnd):
                return event.result.output
        message = "the run ended without RunEnd"
        raise AssertionError(message)

    with cassette(path, agent(real_model())) as recording:
        assert asyncio.run(streamed(recording)) == ANSWER
    with cassette(path, agent(ScriptedModel([]))) as replaying:
        assert asyncio.run(streamed(replaying)) == ANSWER


def test_replay_with_another_system_prompt_raises_naming_message_0(tmp_path: Path) -> None:
    """A request unlike the recorded one fails the test, naming the message and both texts."""
    path = tmp_path / "weather.json"
    recorded(path)
    with (
        pytest.raises(DivergenceError) as raised,
        cassette(path, agent(ScriptedModel([]), system="Be thorough.")) as replaying,
    ):
        replaying.run_sync("Weather in Paris?")
    divergence = raised.value.divergence
    assert (divergence.kind, divergence.step, divergence.message_index) == ("request", 0, 0)
    assert "Be thorough." in str(raised.value)
    assert "record='all'" in str(raised.value)


def test_replay_with_a_changed_tool_result_raises_a_call_divergence(tmp_path: Path) -> None:
    """A tool that returns something else now fails at its call."""
    path = tmp_path / "weather.json"
    recorded(path)
    tools = [weather_tool([], temperature=25)]
    with (
        pytest.raises(DivergenceError) as raised,
        cassette(path, agent(ScriptedModel([]), tools)) as replaying,
    ):
        replaying.run_sync("Weather in Paris?")
    assert raised.value.divergence.kind == "call"
    assert raised.value.divergence.call_id == "c1"


def test_block_that_makes_fewer_requests_than_recorded_raises_at_its_end(
    tmp_path: Path,
) -> None:
    """Recorded turns left unused at the end of the block are a length divergence."""
    path = tmp_path / "weather.json"
    recorded(path)
    with (
        pytest.raises(DivergenceError) as raised,
        cassette(path, agent(ScriptedModel([]))),
    ):
        pass
    assert (raised.value.divergence.kind, raised.value.divergence.step) == ("length", 0)


def test_two_runs_in_one_block_are_recorded_and_replayed_in_order(tmp_path: Path) -> None:
    """Each run of the block is a run of the cassette; replayed, both get their answers."""
    path = tmp_path / "two.json"
    model = ScriptedModel(["Hello!", "Goodbye!"])
    with cassette(path, agent(model)) as recording:
        recording.run_sync("Hi")
        recording.run_sync("Bye")
    assert len(json.loads(path.read_text())["runs"]) == 2
    with cassette(path, agent(ScriptedModel([]))) as replaying:
        outputs = [replaying.run_sync("Hi").output, replaying.run_sync("Bye").output]
    assert outputs == ["Hello!", "Goodbye!"]


def test_record_all_records_again_over_an_existing_file(tmp_path: Path) -> None:
    """record='all' asks the real model even when the file exists, and rewrites it."""
    path = tmp_path / "weather.json"
    recorded(path)
    model = ScriptedModel(["Changed."])
    with cassette(path, agent(model), record="all") as recording:
        assert recording.run_sync("Weather in Paris?").output == "Changed."
    steps = json.loads(path.read_text())["runs"][0]["steps"]
    assert [step["response"]["turn"]["text"] for step in steps] == ["Changed."]


def test_record_none_without_a_file_raises_configuration_error(tmp_path: Path) -> None:
    """record='none' never records: a missing file is an error saying how to record it."""
    path = tmp_path / "missing.json"
    with (
        pytest.raises(ConfigurationError, match="record='once'"),
        cassette(path, agent(real_model()), record="none"),
    ):
        pass
    assert not path.exists()


def test_environment_variable_sets_the_record_mode(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """SWITCHBOARD_RECORD=all records over an existing file when record= is not given."""
    path = tmp_path / "weather.json"
    recorded(path)
    monkeypatch.setenv("SWITCHBOARD_RECORD", "all")
    model = ScriptedModel(["Changed."])
    with cassette(path, agent(model)) as recording:
        recording.run_sync("Weather in Paris?")
    assert len(model.requests) == 1


def test_unknown_record_mode_raises_configuration_error(tmp_path: Path) -> None:
    """A record mode other than once, none or all is refused, naming the three."""
    with (
        pytest.raises(ConfigurationError, match="'once'"),
        cassette(tmp_path / "x.json", agent(real_model()), record="sometimes"),  # type: ignore[arg-type]
    ):
        pass


def test_block_that_raises_writes_no_cassette(tmp_path: Path) -> None:
    """A recording block ended by an exception leaves no file behind."""
    path = tmp_path / "weather.json"
    message = "the test failed"
    with pytest.raises(RuntimeError), cassette(path, agent(real_model())):
        raise RuntimeError(message)
    assert not path.exists()


def test_file_of_another_version_raises_run_state_error(tmp_path: Path) -> None:
    """A cassette of a version this switchboard does not read is refused, saying so."""
    path = tmp_path / "old.json"
    path.write_text(json.dumps({"version": 99, "runs": []}))
    with (
        pytest.raises(RunStateError, match="version 99"),
        cassette(path, agent(ScriptedModel([]))),
    ):
        pass


def test_run_continued_where_the_recording_started_a_new_one_diverges(tmp_path: Path) -> None:
    """A second run recorded fresh but replayed as a continuation differs at its messages."""
    path = tmp_path / "two.json"
    with cassette(path, agent(ScriptedModel(["Hello!", "Goodbye!"]))) as recording:
        recording.run_sync("Hi")
        recording.run_sync("Bye")
    with cassette(path, agent(ScriptedModel([]))) as replaying:
        first = replaying.run_sync("Hi")
        with pytest.raises(DivergenceError) as raised:
            replaying.run_sync("Bye", messages=first.messages)
    divergence = raised.value.divergence
    assert (divergence.kind, divergence.step, divergence.message_index) == ("request", 1, 1)
    assert divergence.explanation == (
        'Message 1 (user message): content differs: recorded "Bye", now "Hi".'
    )
