"""A typed answer from the local model: a call of the output's tool, held by the grammar."""

from __future__ import annotations

from typing import Literal

import pytest
from pydantic import BaseModel

from switchboard.agent import Agent
from switchboard.errors import ConfigurationError
from switchboard.messages import ToolCall
from switchboard.output_schema import OutputSchema
from switchboard.providers.base import AllowedTools, ModelRequest, ModelSettings
from switchboard.providers.local import LocalProvider
from switchboard.providers.local.output import answer_of, with_output_tool
from switchboard.streaming.events import RunEnd, TextDelta, ToolCallStart
from switchboard.tools.tool import Tool

pytestmark = pytest.mark.anyio

SETTINGS = ModelSettings(max_tokens=64, temperature=0.0, seed=1)
PROMPT = "It is 65 degrees Fahrenheit in San Francisco. Give the location."


class Location(BaseModel):
    """A city and its temperature."""

    city: str
    temperature: float
    units: Literal["c", "f"]


def get_weather(city: str) -> str:
    """Get the weather in a city."""
    return f"Sunny in {city}"


OUTPUT = OutputSchema.of(Location)
WEATHER = Tool.from_function(get_weather)


def typed(choice: str | AllowedTools, tools: tuple[Tool, ...] = (WEATHER,)) -> ModelRequest:
    return ModelRequest((), tools, choice, output=OUTPUT)


def test_auto_offers_the_output_tool_and_requires_a_call() -> None:
    """Under "auto" the reply must call a tool: a real one, or the output's (the answer)."""
    request = with_output_tool(typed("auto"))
    assert [t.name for t in request.tools] == ["get_weather", "Location"]
    assert request.tool_choice == "required"


def test_none_makes_the_output_tool_the_only_call() -> None:
    """Under "none" the reply can only be the answer: the output's tool, named."""
    request = with_output_tool(typed("none"))
    assert ([t.name for t in request.tools], request.tool_choice) == (["Location"], "Location")


def test_allowed_tools_that_let_it_answer_allow_the_output_tool() -> None:
    """AllowedTools not requiring a call allow the output's tool too, and require a call."""
    request = with_output_tool(typed(AllowedTools(["get_weather"])))
    assert request.tool_choice == AllowedTools(["get_weather", "Location"], required=True)


@pytest.mark.parametrize(
    "choice", ["required", "get_weather", AllowedTools(["get_weather"], required=True)]
)
def test_a_choice_that_requires_a_real_call_is_left_alone(choice: str | AllowedTools) -> None:
    """A choice that forces a real call cannot be answered: no output tool is offered."""
    request = typed(choice)
    assert with_output_tool(request) is request


def test_a_tool_named_as_the_output_is_refused() -> None:
    """A real tool with the output's name would make an answer and a call one: refused."""
    clash = Tool.from_function(get_weather, name="Location")
    with pytest.raises(ConfigurationError, match="Rename the tool or the output model"):
        with_output_tool(typed("auto", (clash,)))


def test_a_call_of_the_output_tool_alone_is_the_answer() -> None:
    """The output tool's arguments become the answer's text, and no call is left."""
    call = ToolCall("c-0", "Location", '{"city": "SF", "temperature": 65, "units": "f"}')
    assert answer_of([call], typed("auto")) == (call.arguments, ())


def test_real_calls_beside_the_output_call_run_and_the_answer_waits() -> None:
    """With real calls in the reply, the output's call is dropped: no answer yet."""
    answer = ToolCall("c-1", "Location", '{"city": "SF", "temperature": 65, "units": "f"}')
    weather = ToolCall("c-0", "get_weather", '{"city": "SF"}')
    assert answer_of([weather, answer], typed("auto")) == ("", (weather,))


@pytest.fixture(scope="module")
def provider() -> LocalProvider:
    # One thread: on a shared two-core machine llama.cpp's spinning threads slow each other.
    return LocalProvider(n_threads=1)


async def test_the_embedded_model_answers_a_valid_object(provider: LocalProvider) -> None:
    """SmolLM2, held by the grammar, answers with a Location that validates."""
    result = await Agent(provider, output_type=Location, settings=SETTINGS).run(PROMPT)
    assert result.stop_reason == "answer"
    assert isinstance(result.parsed, Location)
    assert result.parsed.city == "San Francisco"
    assert result.parsed.temperature == 65


async def test_the_embedded_models_streamed_answer_is_text_not_a_call(
    provider: LocalProvider,
) -> None:
    """run_stream: the answer comes as text (its JSON), never as a call of the output tool."""
    agent = Agent(provider, output_type=Location, settings=SETTINGS)
    events = [event async for event in agent.run_stream(PROMPT)]
    assert not any(isinstance(e, ToolCallStart) for e in events)
    text = "".join(e.text for e in events if isinstance(e, TextDelta))
    end = events[-1]
    assert isinstance(end, RunEnd)
    assert isinstance(end.result.parsed, Location)
    assert text == end.result.output
