"""A traced run over a real provider: recorded Anthropic payloads served through its SDK."""

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Any, Literal

import httpx2
import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from switchboard import Agent, InstrumentationSettings, RetryPolicy
from switchboard.providers.anthropic import AnthropicProvider

from .conftest import events, named, one, points

pytestmark = pytest.mark.anyio

FIXTURES = Path(__file__).parents[1] / "fixtures" / "anthropic"
RECORDING = FIXTURES / "tool_runner_recordings" / "10e53c1d-51be-4c64-b5bf-99adb3fa4719.json"
OVERLOADED = {"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}


def get_weather(location: str, units: Literal["c", "f"]) -> str:
    """Lookup the weather for a given city in either celsius or fahrenheit."""
    return f"72°{units.upper()} and sunny in {location}"


@pytest.fixture
async def served() -> list[dict[str, Any]]:
    """The recording's two replies, the first after an overloaded server's 529."""
    pairs = json.loads(RECORDING.read_text())
    return [pair["response"]["body"] for pair in pairs]


@pytest.fixture
async def spans(
    settings: InstrumentationSettings,
    exporter: InMemorySpanExporter,
    served: list[dict[str, Any]],
) -> Sequence[ReadableSpan]:
    """The spans of a run over the recording, its first request answered 529 once."""
    responses = [
        httpx2.Response(529, json=OVERLOADED),
        *(httpx2.Response(200, json=body) for body in served),
    ]
    client = httpx2.AsyncClient(transport=httpx2.MockTransport(lambda request: responses.pop(0)))
    provider = AnthropicProvider(
        "claude-haiku-4-5",
        api_key="sk-ant-test",
        http_client=client,
        retry=RetryPolicy(attempts=2, base=0.0),
    )
    result = await Agent(provider, tools=[get_weather], instrument=settings).run("Weather in SF?")
    assert result.stop_reason == "answer"
    assert responses == []
    return exporter.get_finished_spans()


async def test_a_provider_retry_is_an_event_on_the_request_that_retried(
    spans: Sequence[ReadableSpan],
) -> None:
    """A 529, then the reply: the request's one chat span has a retry event; the next none."""
    first, second = named(spans, "chat claude-haiku-4-5")
    (retry,) = events(first, "switchboard.request.retry")
    assert retry["attempt"] == 1
    assert retry["error.type"] == "switchboard.errors.ProviderUnavailableError"
    assert events(second, "switchboard.request.retry") == []
    assert first.status.status_code is StatusCode.UNSET


async def test_a_chat_span_carries_the_recorded_replys_model_reason_and_tokens(
    spans: Sequence[ReadableSpan], served: list[dict[str, Any]]
) -> None:
    """The attributes of a CLIENT chat span are the provider's reply's, as the API sent them."""
    first = named(spans, "chat claude-haiku-4-5")[0]
    assert first.kind is SpanKind.CLIENT
    attributes = dict(first.attributes or {})
    assert attributes["gen_ai.provider.name"] == "anthropic"
    assert attributes["gen_ai.request.model"] == "claude-haiku-4-5"
    assert attributes["gen_ai.response.model"] == served[0]["model"]
    assert attributes["gen_ai.response.finish_reasons"] == ("tool_calls",)
    assert attributes["gen_ai.usage.input_tokens"] == served[0]["usage"]["input_tokens"]
    assert attributes["gen_ai.usage.output_tokens"] == served[0]["usage"]["output_tokens"]
    assert one(spans, "execute_tool get_weather").parent == first.context


async def test_the_run_span_sums_the_runs_tokens(
    spans: Sequence[ReadableSpan], served: list[dict[str, Any]]
) -> None:
    """invoke_agent carries the run's input and output tokens, all requests together."""
    attributes = dict(one(spans, "invoke_agent").attributes or {})
    assert attributes["gen_ai.usage.input_tokens"] == sum(
        body["usage"]["input_tokens"] for body in served
    )
    assert attributes["gen_ai.usage.output_tokens"] == sum(
        body["usage"]["output_tokens"] for body in served
    )


async def test_token_usage_metric_sums_the_recorded_replies_tokens(
    spans: Sequence[ReadableSpan], reader: InMemoryMetricReader, served: list[dict[str, Any]]
) -> None:
    """gen_ai.client.token.usage holds the input tokens the API reported, per request."""
    del spans  # the run
    inputs = [
        p
        for p in points(reader, "gen_ai.client.token.usage")
        if p.attributes["gen_ai.token.type"] == "input"
    ]
    assert sum(p.count for p in inputs) == 2
    assert sum(p.sum for p in inputs) == sum(body["usage"]["input_tokens"] for body in served)


async def test_each_chat_span_carries_the_id_of_its_recorded_reply(
    spans: Sequence[ReadableSpan], served: list[dict[str, Any]]
) -> None:
    """gen_ai.response.id of each request's span is the id of the message the API sent."""
    chats = named(spans, "chat claude-haiku-4-5")
    ids = [(chat.attributes or {})["gen_ai.response.id"] for chat in chats]
    assert ids == [body["id"] for body in served]


async def test_a_streamed_chat_span_carries_the_id_its_stream_gave(
    settings: InstrumentationSettings, exporter: InMemorySpanExporter
) -> None:
    """run_stream over a recorded stream: the chat span's gen_ai.response.id is message_start's."""
    recorded = (FIXTURES / "text-only" / "basic_response.txt").read_bytes()
    starts = [
        json.loads(line.removeprefix("data: "))
        for line in recorded.decode().splitlines()
        if line.startswith("data: ") and '"message_start"' in line
    ]
    served = httpx2.Response(200, content=recorded, headers={"content-type": "text/event-stream"})
    client = httpx2.AsyncClient(transport=httpx2.MockTransport(lambda request: served))
    provider = AnthropicProvider("claude-haiku-4-5", api_key="sk-ant-test", http_client=client)
    async for _ in Agent(provider, instrument=settings).run_stream("Hi"):
        pass
    chat = one(exporter.get_finished_spans(), "chat claude-haiku-4-5")
    assert (chat.attributes or {})["gen_ai.request.stream"] is True
    assert (chat.attributes or {})["gen_ai.response.id"] == starts[0]["message"]["id"]
