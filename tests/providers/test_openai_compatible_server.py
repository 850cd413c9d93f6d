"""OpenAIChatProvider against a real OpenAI-compatible server: llama.cpp serving SmolLM2."""

import json
from collections.abc import Iterator
from typing import Any, Literal

import httpx
import pytest
from pydantic import BaseModel

from switchboard.agent import Agent
from switchboard.execution.toolbox import Toolbox
from switchboard.messages import UserMessage
from switchboard.providers.base import ModelRequest, ModelSettings
from switchboard.providers.embedded import embedded_model_path
from switchboard.providers.openai_chat import OpenAIChatProvider

from .llama_server import llama_server

pytestmark = pytest.mark.anyio

SETTINGS = ModelSettings(max_tokens=48, temperature=0.0, seed=1)
"""Short, greedy and seeded: the server tests stay fast and repeatable."""


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with llama_server(embedded_model_path()) as base_url:
        yield base_url


def weather_tools(calls: list[dict[str, Any]]) -> Toolbox:
    tools = Toolbox()

    @tools.register
    def get_weather(city: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> str:
        """Get the current weather for a city.

        Args:
            city: City name, e.g. "Tokyo".
            unit: Temperature unit.
        """
        calls.append({"city": city, "unit": unit})
        return f"Sunny, 21 degrees {unit} in {city}."

    return tools


async def test_named_tool_choice_returns_a_valid_call_of_that_tool(server_url: str) -> None:
    """With tool_choice naming a tool, the server's model calls it with valid arguments."""
    tools = weather_tools([])
    request = ModelRequest(
        [UserMessage("What is the weather in Paris?")],
        tools=list(tools),
        tool_choice="get_weather",
        settings=SETTINGS,
    )
    async with httpx.AsyncClient() as client:
        provider = OpenAIChatProvider("smollm2", base_url=server_url, http_client=client)
        response = await provider.complete(request)
    assert response.stop_reason == "tool_calls"
    [call] = response.turn.tool_calls
    assert call.name == "get_weather"
    assert isinstance(call.arguments, str)
    arguments = tools.get("get_weather").validate(json.loads(call.arguments))
    assert isinstance(arguments["city"], str)
    assert response.usage.input_tokens > 0
    assert response.usage.requests == 1


async def test_agent_loop_runs_the_forced_call_and_sends_its_result_back(server_url: str) -> None:
    """A run forced to call get_weather runs it and sends its result in the next request."""
    calls: list[dict[str, Any]] = []
    sent: list[dict[str, Any]] = []

    async def record(request: httpx.Request) -> None:
        sent.append(json.loads(request.content))

    tools = weather_tools(calls)
    async with httpx.AsyncClient(event_hooks={"request": [record]}) as client:
        provider = OpenAIChatProvider("smollm2", base_url=server_url, http_client=client)
        # The second request stays forced too: under "auto", chatml-function-calling ignores
        # max_tokens and may chain calls, which made this test take 8 to 20 s instead of 2.
        agent = Agent(
            provider,
            tools=tools,
            max_iterations=2,
            tool_choice="get_weather",
            reset_tool_choice=False,
            settings=SETTINGS,
        )
        result = await agent.run("What is the weather in Paris?")
    [call] = result.steps[0].response.turn.tool_calls
    [outcome] = result.steps[0].results
    assert call.name == "get_weather"
    assert isinstance(call.arguments, str)
    assert calls[0] == tools.get("get_weather").validate(json.loads(call.arguments))
    assert (outcome.call_id, outcome.is_error) == (call.id, False)
    assert outcome.content == f"Sunny, 21 degrees {calls[0]['unit']} in {calls[0]['city']}."
    forced = {"type": "function", "function": {"name": "get_weather"}}
    assert sent[0]["tool_choice"] == sent[1]["tool_choice"] == forced
    assert sent[1]["messages"][1:] == [
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": call.id,
                    "type": "function",
                    "function": {"name": "get_weather", "arguments": call.arguments},
                }
            ],
        },
        {"role": "tool", "tool_call_id": call.id, "content": outcome.content},
    ]
    assert result.usage.requests == len(sent) == len(result.steps)


class Location(BaseModel):
    """A city and its temperature."""

    city: str
    temperature: float


async def test_response_format_holds_the_servers_answer_to_the_output_model(
    server_url: str,
) -> None:
    """llama-cpp-python's server holds the answer to the json_object schema: it validates."""
    settings = ModelSettings(max_tokens=64, temperature=0.0, seed=1)
    async with httpx.AsyncClient() as client:
        provider = OpenAIChatProvider(
            "smollm2",
            base_url=server_url,
            http_client=client,
            response_format_type="json_object",
        )
        agent = Agent(provider, output_type=Location, settings=settings, output_retries=0)
        result = await agent.run("It is 18 degrees in Tokyo. Give the location.")
    assert result.stop_reason == "answer"
    assert isinstance(result.parsed, Location)
    assert result.parsed.city == "Tokyo"


async def test_reply_keeps_the_id_the_server_gave(server_url: str) -> None:
    """llama.cpp's server names each completion: that ``id`` is the reply's response_id."""
    bodies: list[dict[str, Any]] = []

    async def keep(response: httpx.Response) -> None:
        bodies.append(json.loads(await response.aread()))

    request = ModelRequest([UserMessage("Say hi.")], settings=SETTINGS)
    async with httpx.AsyncClient(event_hooks={"response": [keep]}) as client:
        provider = OpenAIChatProvider("smollm2", base_url=server_url, http_client=client)
        response = await provider.complete(request)
    [body] = bodies
    assert body["id"]
    assert response.response_id == body["id"]
