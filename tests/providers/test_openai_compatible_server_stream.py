"""Streaming against a real OpenAI-compatible server: llama-cpp-python serving SmolLM2.

Its ``chatml-function-calling`` format streams a call only when ``tool_choice`` names the
tool (one call per reply); it cannot stream ``"auto"`` (nor take ``"required"``), so no
reply of this server streams parallel calls.
"""

import json
import logging
from collections.abc import Iterator
from typing import Any

import httpx
import pytest

from switchboard.agent import Agent
from switchboard.errors import ProviderUnavailableError
from switchboard.execution.toolbox import Toolbox
from switchboard.messages import UserMessage
from switchboard.providers.base import ModelRequest, ModelSettings
from switchboard.providers.embedded import embedded_model_path
from switchboard.providers.openai_chat import OpenAIChatProvider
from switchboard.retry import RetryPolicy
from switchboard.streaming import RunEnd, ToolCallDelta, ToolCallReady, ToolResultEvent

from .llama_server import llama_server
from .streams import ready_calls, turn_end

pytestmark = pytest.mark.anyio

SETTINGS = ModelSettings(max_tokens=48, temperature=0.0, seed=1)
QUESTION = "What is the weather in Paris?"


@pytest.fixture(scope="module")
def server_url() -> Iterator[str]:
    with llama_server(embedded_model_path()) as base_url:
        yield base_url


def weather_tools(calls: list[str]) -> Toolbox:
    tools = Toolbox()

    @tools.register
    def get_weather(city: str) -> str:
        """Get the current weather for a city.

        Args:
            city: City name, e.g. "Tokyo".
        """
        calls.append(city)
        return f"Sunny in {city}."

    return tools


def request(tools: Toolbox, choice: str) -> ModelRequest:
    return ModelRequest([UserMessage(QUESTION)], list(tools), choice, settings=SETTINGS)


async def test_streamed_call_is_the_one_the_server_returns_whole(server_url: str) -> None:
    """Streamed, the forced call has the name and arguments the same request gets whole."""
    tools = weather_tools([])
    async with httpx.AsyncClient(timeout=120) as client:
        provider = OpenAIChatProvider("smollm2", base_url=server_url, http_client=client)
        events = [e async for e in provider.stream(request(tools, "get_weather"))]
        whole = await provider.complete(request(tools, "get_weather"))
    [(_, name, arguments)] = ready_calls(events)
    [expected] = whole.turn.tool_calls
    assert (name, arguments) == (expected.name, expected.arguments)
    assert isinstance(arguments, str)
    assert tools.get("get_weather").validate(json.loads(arguments))["city"]
    fragments = [e.fragment for e in events if isinstance(e, ToolCallDelta)]
    assert len(fragments) > 1
    assert "".join(fragments) == arguments
    assert turn_end(events).stop_reason == "tool_calls"


async def test_stream_the_server_cannot_give_raises_unavailable_after_the_tries(
    server_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    """A stream llama-cpp-python cannot give is asked for again, then raises unavailable.

    It cannot stream tool_choice "auto" (its body is empty): every try breaks.
    """
    sent: list[httpx.Request] = []

    async def record(sending: httpx.Request) -> None:
        sent.append(sending)

    retry = RetryPolicy(attempts=2, base=0.001)
    async with httpx.AsyncClient(timeout=120, event_hooks={"request": [record]}) as client:
        provider = OpenAIChatProvider(
            "smollm2", base_url=server_url, http_client=client, retry=retry
        )
        with (
            caplog.at_level(logging.WARNING, logger="switchboard"),
            pytest.raises(ProviderUnavailableError),
        ):
            [e async for e in provider.stream(request(weather_tools([]), "auto"))]
    assert len(sent) == 2
    # The second try may instead find the connection the server dropped after the first.
    retrying = [r.getMessage() for r in caplog.records if "retrying" in r.getMessage()]
    assert retrying == [
        "openai: the stream ended before the provider finished the reply; "
        "retrying in 0.00 s (try 2 of 2)"
    ]


async def test_run_stream_runs_the_streamed_call_and_sends_its_result(server_url: str) -> None:
    """A streamed run calls the tool once the call is complete and sends its result back."""
    calls: list[str] = []
    sent: list[dict[str, Any]] = []

    async def record(sending: httpx.Request) -> None:
        sent.append(json.loads(sending.content))

    tools = weather_tools(calls)
    async with httpx.AsyncClient(timeout=120, event_hooks={"request": [record]}) as client:
        provider = OpenAIChatProvider("smollm2", base_url=server_url, http_client=client)
        agent = Agent(
            provider,
            tools=tools,
            max_iterations=2,
            tool_choice="get_weather",
            reset_tool_choice=False,
            settings=SETTINGS,
        )
        events = [e async for e in agent.run_stream(QUESTION)]
    ready = [e.call for e in events if isinstance(e, ToolCallReady)]
    results = [e.result for e in events if isinstance(e, ToolResultEvent)]
    end = events[-1]
    assert isinstance(end, RunEnd)
    assert ready[0].name == "get_weather"
    assert (results[0].call_id, results[0].is_error) == (ready[0].id, False)
    assert results[0].content == f"Sunny in {calls[0]}."
    assert sent[1]["messages"][-1] == {
        "role": "tool",
        "tool_call_id": ready[0].id,
        "content": results[0].content,
    }
    assert sent[0]["stream"] is True
    assert end.result.steps[0].results[0] == results[0]


async def test_streamed_reply_keeps_the_id_of_the_servers_chunks(server_url: str) -> None:
    """llama.cpp's server names each streamed completion: its chunks' ``id`` is the reply's."""
    sent: list[bytes] = []

    async def keep(response: httpx.Response) -> None:
        sent.append(await response.aread())

    tools = weather_tools([])
    async with httpx.AsyncClient(event_hooks={"response": [keep]}) as client:
        provider = OpenAIChatProvider("smollm2", base_url=server_url, http_client=client)
        events = [event async for event in provider.stream(request(tools, "get_weather"))]
    [content] = sent
    chunks = [
        json.loads(line.removeprefix("data:"))
        for line in content.decode().splitlines()
        if line.startswith("data:") and line.removeprefix("data:").strip() != "[DONE]"
    ]
    [chunk_id] = {chunk["id"] for chunk in chunks}
    assert chunk_id
    assert turn_end(events).response.response_id == chunk_id
