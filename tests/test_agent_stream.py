from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any

import httpx2
import pytest

from switchboard import Agent, ModelResponse, ScriptedModel, ToolCall, ToolResult
from switchboard.messages import AssistantTurn, Usage
from switchboard.outcome import RunResult
from switchboard.providers.base import ModelRequest
from switchboard.providers.openai_chat import OpenAIChatProvider
from switchboard.retry import RetryPolicy
from switchboard.streaming import (
    RunEnd,
    RunEvent,
    StreamEvent,
    TextDelta,
    ToolCallCut,
    ToolCallDelta,
    ToolCallReady,
    ToolResultEvent,
    TurnEnd,
    replay_response,
)
from switchboard.tools.tool import tool

from .providers.conftest import FIXTURES, Replay

pytestmark = pytest.mark.anyio

PARALLEL = (
    FIXTURES / "openai-chat/f82268f2fefd5cfbc7eeb59c297688be2f6ca0849a6e4f17851b517310841d9b.bin"
)
ANSWER = (
    FIXTURES
    / "openai-chat/text-only/173417d553406f034f643e5db3f8d591fb691ebac56f5ae39a22cc7d455c5353.bin"
)


@tool
async def get_weather(city: str) -> str:
    """Get the weather in a city.

    Args:
        city: The city.
    """
    return f"Sunny in {city}"


async def collect(agent: Agent, prompt: str = "Go", **options: Any) -> list[RunEvent]:
    return [event async for event in agent.run_stream(prompt, **options)]


def timeless(result: RunResult) -> RunResult:
    """``result`` with every duration zeroed and no run id: all two runs may differ in."""

    def zero(message: Any) -> Any:
        return (
            dataclasses.replace(message, duration=0.0)
            if isinstance(message, ToolResult)
            else message
        )

    steps = tuple(
        dataclasses.replace(step, results=tuple(zero(r) for r in step.results))
        for step in result.steps
    )
    messages = tuple(zero(m) for m in result.messages)
    state = dataclasses.replace(result.state, run_id="-", messages=messages)
    return dataclasses.replace(result, messages=messages, steps=steps, state=state)


SCRIPT: list[Any] = [
    AssistantTurn(
        "Let me check both.",
        (
            ToolCall("c1", "get_weather", '{"city": "Paris"}'),
            ToolCall("c2", "get_weather", {"city": "Rome"}),
        ),
    ),
    ToolCall("c3", "get_weather", '{"city": "Oslo"}'),
    "Sunny in all three.",
]


async def test_run_stream_ends_with_the_result_run_returns() -> None:
    """The RunEnd of run_stream carries what run returns for the same replies."""
    streamed = await collect(Agent(ScriptedModel(SCRIPT), tools=[get_weather]))
    returned = await Agent(ScriptedModel(SCRIPT), tools=[get_weather]).run("Go")
    end = streamed[-1]
    assert isinstance(end, RunEnd)
    assert timeless(end.result) == timeless(returned)


async def test_events_of_a_turn_come_in_stream_order() -> None:
    """A turn streams a call's start, fragments, ready, then its end; then its result."""
    model = ScriptedModel(
        [ToolCall("c1", "get_weather", '{"city": "Oslo"}'), "Done."], fragment_chars=8
    )
    kinds = [event.kind for event in await collect(Agent(model, tools=[get_weather]))]
    result = kinds.index("tool_result")
    assert kinds.index("tool_call_ready") < result < kinds.index("text_delta")
    assert [k for k in kinds if k != "tool_result"] == [
        "tool_call_start",
        "tool_call_delta",
        "tool_call_delta",
        "tool_call_ready",
        "turn_end",
        "text_delta",
        "turn_end",
        "run_end",
    ]


async def test_every_result_is_yielded_once_in_the_runs_results() -> None:
    """Each call's ToolResultEvent is yielded once, with the result the run keeps."""
    events = await collect(Agent(ScriptedModel(SCRIPT), tools=[get_weather]))
    yielded = [e.result for e in events if isinstance(e, ToolResultEvent)]
    end = events[-1]
    assert isinstance(end, RunEnd)
    kept = [r for step in end.result.steps for r in step.results]
    assert (
        sorted(r.call_id for r in yielded) == sorted(r.call_id for r in kept) == ["c1", "c2", "c3"]
    )
    assert {r.call_id: r.content for r in yielded} == {r.call_id: r.content for r in kept}


async def test_partial_args_reach_the_run_streams_deltas() -> None:
    """With partial_args, the loop's deltas carry the arguments so far."""
    model = ScriptedModel(
        [ToolCall("c1", "get_weather", '{"city": "Oslo"}'), "Done."], fragment_chars=12
    )
    events = await collect(Agent(model, tools=[get_weather]), partial_args=True)
    assert [e.partial_args for e in events if isinstance(e, ToolCallDelta)] == [
        {"city": "Os"},
        {"city": "Oslo"},
    ]


# Early execution


class GatedBody:
    """A recorded stream served in two parts: the second only once ``gate`` is set."""

    def __init__(self, content: bytes, split_after: bytes) -> None:
        cut = content.index(b"\n\n", content.index(split_after)) + 2
        self.first, self.rest = content[:cut], content[cut:]
        self.gate = asyncio.Event()

    async def __aiter__(self) -> AsyncIterator[bytes]:
        yield self.first
        # A deadline only for a broken implementation, which would never set the gate.
        await asyncio.wait_for(self.gate.wait(), timeout=10)
        yield self.rest


async def test_complete_call_runs_while_the_model_still_streams() -> None:
    """The first of two recorded calls has its result before the second is ready."""
    replay = Replay()
    body = GatedBody(PARALLEL.read_bytes(), split_after=b'"index":1,"id":"call_DNYT')

    @tool(name="GetWeatherArgs")
    async def weather(city: str, country: str, units: str) -> str:
        """Get the weather.

        Args:
            city: The city.
            country: The country.
            units: The units.
        """
        body.gate.set()  # the rest of the stream comes only once this call has run
        return f"Sunny in {city}"

    @tool
    async def get_stock_price(ticker: str, exchange: str) -> str:
        """Get a stock price.

        Args:
            ticker: The ticker.
            exchange: The exchange.
        """
        return "100"

    replay.responses.append(
        httpx2.Response(200, content=body, headers={"content-type": "text/event-stream"})
    )
    replay.queue_bytes(ANSWER.read_bytes(), "text/event-stream")
    provider = OpenAIChatProvider(
        "gpt-4o",
        api_key="sk-test",
        http_client=replay.client(),  # pyright: ignore[reportArgumentType]
        retry=RetryPolicy(attempts=1, base=0.0),
    )
    events = await collect(Agent(provider, tools=[weather, get_stock_price]))
    order = [
        (e.kind, e.result.call_id if isinstance(e, ToolResultEvent) else e.call.id)
        for e in events
        if isinstance(e, ToolResultEvent | ToolCallReady)
    ]
    first, second = "call_JMW1whyEaYG438VE1OIflxA2", "call_DNYTawLBoN8fj3KN6qU9N1Ou"
    assert order.index(("tool_result", first)) < order.index(("tool_call_ready", second))
    assert not replay.responses


class WatchedModel:
    """Streams a scripted reply, and records whether its first call ran mid-stream.

    After the first call is ready it waits a while for that call to run, before going on.
    """

    def __init__(self, replies: list[Any]) -> None:
        self.scripted = ScriptedModel(replies)
        self.ran = asyncio.Event()
        self.ran_during_stream: list[bool] = []

    name = "watched"
    model = "watched"

    async def complete(self, request: ModelRequest) -> ModelResponse:
        return await self.scripted.complete(request)

    async def stream(
        self, request: ModelRequest, *, partial_args: bool = False
    ) -> AsyncIterator[StreamEvent]:
        watching = True
        async for event in self.scripted.stream(request, partial_args=partial_args):
            yield event
            if watching and isinstance(event, ToolCallReady):
                watching = False
                # Bounds the wait for a call that must not start; a started one sets it at once.
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self.ran.wait(), timeout=0.5)
                self.ran_during_stream.append(self.ran.is_set())


def watched_tool(model: WatchedModel, **options: Any) -> Any:
    @tool(name="get_weather", **options)
    async def weather(city: str) -> str:
        """Get the weather.

        Args:
            city: The city.
        """
        model.ran.set()
        return "Sunny"

    return weather


TWO_CALLS = [
    [
        ToolCall("c1", "get_weather", '{"city": "Oslo"}'),
        ToolCall("c2", "get_weather", '{"city": "Rome"}'),
    ],
    "Done.",
]


async def test_watched_call_of_a_plain_tool_starts_during_the_stream() -> None:
    """The control for the next tests: a plain tool's complete call runs mid-stream."""
    model = WatchedModel(TWO_CALLS)
    await collect(Agent(model, tools=[watched_tool(model)]))
    assert model.ran_during_stream == [True]


@pytest.mark.parametrize("option", ["sequential", "requires_approval"])
async def test_sequential_or_approval_tool_never_starts_early(option: str) -> None:
    """A call of a sequential or approval-gated tool waits for the end of the stream."""
    model = WatchedModel(TWO_CALLS)
    agent = Agent(
        model, tools=[watched_tool(model, **{option: True})], approve=lambda call, t: True
    )
    await collect(agent)
    assert model.ran_during_stream == [False]


async def test_early_execution_off_waits_for_the_stream() -> None:
    """With early_execution=False, no call starts before the stream ends."""
    model = WatchedModel(TWO_CALLS)
    await collect(Agent(model, tools=[watched_tool(model)], early_execution=False))
    assert model.ran_during_stream == [False]


# Cut-off calls


CUT_REPLY = ModelResponse(
    AssistantTurn(
        tool_calls=(
            ToolCall("c1", "get_weather", '{"city": "Oslo"}'),
            ToolCall("c2", "get_weather", '{"city": "Ber'),
        )
    ),
    Usage(requests=1),
    "length",
)


async def test_cut_call_is_not_run_and_the_model_is_told() -> None:
    """The call the reply was cut inside gets an error result; the complete one runs."""
    model = ScriptedModel([CUT_REPLY, "Done."])
    events = await collect(Agent(model, tools=[get_weather]))
    [cut] = [e for e in events if isinstance(e, ToolCallCut)]
    assert (cut.call.id, cut.reason) == ("c2", "length")
    results = {e.result.call_id: e.result for e in events if isinstance(e, ToolResultEvent)}
    assert results["c1"].content == "Sunny in Oslo"
    assert results["c2"].is_error
    assert "output token limit" in results["c2"].content
    sent = model.requests[1].messages
    assert [m.call_id for m in sent if isinstance(m, ToolResult)] == ["c1", "c2"]


async def test_cut_call_reaches_the_model_with_arguments_that_parse() -> None:
    """The turn sent back carries the cut call with the arguments that parsed, as JSON."""
    model = ScriptedModel([CUT_REPLY, "Done."])
    await collect(Agent(model, tools=[get_weather]))
    turn = model.requests[1].messages[-3]
    assert isinstance(turn, AssistantTurn)
    assert [json.loads(str(c.arguments)) for c in turn.tool_calls] == [{"city": "Oslo"}, {}]


async def test_cut_call_with_the_stop_policy_ends_the_run_with_length() -> None:
    """With on_cut_off='stop', the run stops after the turn, with stop reason length."""
    model = ScriptedModel([CUT_REPLY])
    events = await collect(Agent(model, tools=[get_weather], on_cut_off="stop"))
    end = events[-1]
    assert isinstance(end, RunEnd)
    assert end.result.stop_reason == "length"
    assert [r.is_error for r in end.result.steps[0].results] == [False, True]


async def test_reply_that_broke_off_without_calls_ends_the_run_with_error() -> None:
    """A streamed reply that ended with an error and no call ends the run with error."""
    broken = ModelResponse(AssistantTurn("Hel"), Usage(requests=1), "error")
    events = await collect(Agent(ScriptedModel([broken]), tools=[get_weather]))
    end = events[-1]
    assert isinstance(end, RunEnd)
    assert (end.result.stop_reason, end.result.output) == ("error", "Hel")


async def test_replayed_text_comes_in_pieces() -> None:
    """A whole reply played back as a stream gives its text in pieces, then TurnEnd."""
    response = ModelResponse(AssistantTurn("Hello there, world"), Usage(requests=1), "answer")
    events = [e async for e in replay_response(response, fragment_chars=5)]
    assert [e.text for e in events if isinstance(e, TextDelta)] == [
        "Hello",
        " ther",
        "e, wo",
        "rld",
    ]
    assert events[-1] == TurnEnd(response.usage, "answer", response)
