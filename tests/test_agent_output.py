"""Typed final answers (``Agent(output_type=...)``): validated, an invalid one sent back."""

from __future__ import annotations

from pathlib import Path

import pytest
from pydantic import BaseModel, Field

from switchboard import (
    Agent,
    Approve,
    AssistantTurn,
    ConfigurationError,
    RunEnd,
    RunState,
    ScriptedModel,
    SQLiteStore,
    Tool,
    ToolCall,
    UserMessage,
)
from switchboard.errors import OutputValidationError
from switchboard.run_output import ASK_AGAIN

pytestmark = pytest.mark.anyio

VALID = '{"name": "Paris", "population": 2100000}'


class City(BaseModel):
    """A city and how many live there."""

    name: str
    population: int = Field(ge=0)


def lookup(name: str) -> str:
    """Look a city up."""
    return f"{name}: 2.1 million people"


async def test_an_invalid_answer_is_sent_back_with_its_problems_and_the_next_parsed() -> None:
    """The first answer lacks a field: the model is told which, and its second is parsed."""
    model = ScriptedModel(['{"name": "Paris"}', VALID])
    result = await Agent(model, output_type=City).run("Paris?")
    assert result.parsed == City(name="Paris", population=2100000)
    assert (result.stop_reason, result.output) == ("answer", VALID)
    [_, first, feedback, second] = result.messages
    assert first == AssistantTurn('{"name": "Paris"}')
    assert isinstance(feedback, UserMessage)
    assert "population" in feedback.content
    assert "City" in feedback.content
    assert feedback.content.endswith(ASK_AGAIN)
    assert second == AssistantTurn(VALID)
    assert model.requests[1].messages[-1] == feedback


async def test_an_answer_that_is_no_json_is_sent_back() -> None:
    """Prose where JSON is due is an invalid answer too, and the model is asked again."""
    model = ScriptedModel(["Paris has 2.1 million people.", VALID])
    result = await Agent(model, output_type=City).run("Paris?")
    assert result.parsed == City(name="Paris", population=2100000)
    feedback = result.messages[2]
    assert isinstance(feedback, UserMessage)
    assert "not a JSON object" in feedback.content


async def test_a_fenced_answer_is_read_without_a_retry() -> None:
    """JSON in a Markdown fence (as models write without a response format) is read as is."""
    model = ScriptedModel([f"```json\n{VALID}\n```"])
    result = await Agent(model, output_type=City).run("Paris?")
    assert result.parsed == City(name="Paris", population=2100000)
    assert len(model.requests) == 1


async def test_answers_invalid_past_output_retries_raise_with_the_run_so_far() -> None:
    """Past output_retries the run raises OutputValidationError; error.result holds the run."""
    model = ScriptedModel(['{"name": "Paris", "population": -1}'] * 3)
    agent = Agent(model, output_type=City, output_retries=1)
    with pytest.raises(OutputValidationError) as caught:
        await agent.run("Paris?")
    error = caught.value
    assert "population" in error.problem
    assert "output_retries=1" in str(error)
    assert len(model.requests) == 2
    assert error.result is not None
    assert error.result.stop_reason == "error"
    assert error.result.state.status == "failed"
    assert error.result.messages[-1] == AssistantTurn('{"name": "Paris", "population": -1}')


async def test_each_request_carries_the_output_schema() -> None:
    """Every request of a typed run, those with tool calls too, asks for the output."""
    model = ScriptedModel([ToolCall("c1", "lookup", '{"name": "Paris"}'), VALID])
    result = await Agent(model, tools=[lookup], output_type=City).run("Paris?")
    assert result.parsed == City(name="Paris", population=2100000)
    outputs = [request.output for request in model.requests]
    assert [o.model if o is not None else None for o in outputs] == [City, City]


async def test_a_run_without_output_type_asks_for_none_and_parses_nothing() -> None:
    """Without an output type, requests carry no output and the answer stays text."""
    model = ScriptedModel([VALID])
    result = await Agent(model).run("Paris?")
    assert (result.output, result.parsed) == (VALID, None)
    assert model.requests[0].output is None


async def test_the_streamed_run_validates_and_retries_alike() -> None:
    """run_stream: an invalid answer is sent back; RunEnd's result carries the parsed one."""
    model = ScriptedModel(['{"population": 1}', VALID])
    events = [e async for e in Agent(model, output_type=City).run_stream("Paris?")]
    end = events[-1]
    assert isinstance(end, RunEnd)
    assert end.result.parsed == City(name="Paris", population=2100000)
    assert len(model.requests) == 2


async def test_a_paused_typed_run_resumes_from_its_json_state_to_a_parsed_answer() -> None:
    """A typed run paused on an approval goes through RunState JSON and ends parsed."""
    approved = Tool.from_function(lookup, requires_approval=True)
    model = ScriptedModel([ToolCall("c1", "lookup", '{"name": "Paris"}'), VALID])
    agent = Agent(model, tools=[approved], output_type=City)
    paused = await agent.run("Paris?")
    assert (paused.stop_reason, paused.parsed) == ("paused", None)
    state = RunState.from_json(paused.state.to_json())
    result = await agent.resume(state, {"c1": Approve()})
    assert result.parsed == City(name="Paris", population=2100000)


async def test_a_stored_typed_run_records_each_answer_and_ends_finished(tmp_path: Path) -> None:
    """With a store: both answers are stored steps; the run's state ends finished, parsed."""
    model = ScriptedModel(['{"name": "Paris"}', VALID])
    async with SQLiteStore(tmp_path / "runs.sqlite3") as store:
        agent = Agent(model, output_type=City, store=store)
        result = await agent.run("Paris?", run_id="typed")
        stored = await store.load("typed")
    assert result.parsed == City(name="Paris", population=2100000)
    assert (stored.status, len(stored.steps)) == ("finished", 2)
    assert RunState.from_json(stored.state or "").messages == result.messages


def test_an_output_type_that_is_no_pydantic_model_is_refused() -> None:
    """output_type=dict is a ConfigurationError that says what to pass."""
    with pytest.raises(ConfigurationError, match="not a Pydantic model class"):
        Agent(ScriptedModel([]), output_type=dict)


def test_negative_output_retries_are_refused() -> None:
    """output_retries=-1 is a ConfigurationError."""
    with pytest.raises(ConfigurationError, match="output_retries must be 0 or more"):
        Agent(ScriptedModel([]), output_type=City, output_retries=-1)


async def test_a_resumed_typed_run_has_only_the_retries_left_before_its_pause() -> None:
    """Invalid answers sent back before a pause count after resuming: the budget goes on."""
    approved = Tool.from_function(lookup, requires_approval=True)
    invalid = '{"name": "Paris"}'
    model = ScriptedModel([invalid, ToolCall("c1", "lookup", '{"name": "Paris"}'), invalid, VALID])
    agent = Agent(model, tools=[approved], output_type=City, output_retries=1)
    paused = await agent.run("Paris?")
    assert paused.stop_reason == "paused"
    assert paused.state.invalid_answers == 1
    state = RunState.from_json(paused.state.to_json())
    with pytest.raises(OutputValidationError, match="in 2 answers"):
        await agent.resume(state, {"c1": Approve()})
    assert len(model.requests) == 3


async def test_a_typed_run_resumed_from_its_store_has_only_the_retries_left(
    tmp_path: Path,
) -> None:
    """The store's saved state keeps the invalid answers: resumed by id, one more raises."""
    approved = Tool.from_function(lookup, requires_approval=True)
    invalid = '{"name": "Paris"}'
    model = ScriptedModel([invalid, ToolCall("c1", "lookup", '{"name": "Paris"}'), invalid, VALID])
    async with SQLiteStore(tmp_path / "runs.sqlite3") as store:
        agent = Agent(model, tools=[approved], output_type=City, output_retries=1, store=store)
        paused = await agent.run("Paris?", run_id="typed")
        assert paused.stop_reason == "paused"
        with pytest.raises(OutputValidationError, match="in 2 answers"):
            await agent.resume("typed", {"c1": Approve()})
