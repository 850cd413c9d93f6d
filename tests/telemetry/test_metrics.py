"""The metrics of traced runs: token usage, request duration, tool duration."""

import pytest
from opentelemetry.sdk.metrics.export import InMemoryMetricReader
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from switchboard import (
    Agent,
    AssistantTurn,
    InstrumentationSettings,
    ModelResponse,
    ScriptedModel,
    Toolbox,
    ToolCall,
    Usage,
)

from .conftest import points

pytestmark = pytest.mark.anyio

TOKEN_BUCKETS = [
    1,
    4,
    16,
    64,
    256,
    1024,
    4096,
    16384,
    65536,
    262144,
    1048576,
    4194304,
    16777216,
    67108864,
]
DURATION_BUCKETS = [
    0.01,
    0.02,
    0.04,
    0.08,
    0.16,
    0.32,
    0.64,
    1.28,
    2.56,
    5.12,
    10.24,
    20.48,
    40.96,
    81.92,
]


def weather(city: str) -> str:
    """Get the weather in a city."""
    if not city:
        msg = "which city?"
        raise ValueError(msg)
    return f"Sunny in {city}"


@pytest.fixture
async def reader_after_run(
    settings: InstrumentationSettings, reader: InMemoryMetricReader
) -> InMemoryMetricReader:
    calls = AssistantTurn(
        tool_calls=(
            ToolCall("c1", "weather", '{"city": "Paris"}'),
            ToolCall("c2", "weather", '{"city": ""}'),
        )
    )
    model = ScriptedModel(
        [
            ModelResponse(calls, Usage(120, 30, 1), "tool_calls", "scripted-1"),
            ModelResponse(AssistantTurn("Sunny."), Usage(200, 5, 1), "answer", "scripted-1"),
        ]
    )
    await Agent(model, tools=[weather], instrument=settings).run("Weather?")
    return reader


async def test_token_usage_is_recorded_per_request_by_token_type(
    reader_after_run: InMemoryMetricReader,
) -> None:
    """gen_ai.client.token.usage: input and output tokens summed per type, with the models."""
    found = points(reader_after_run, "gen_ai.client.token.usage")
    by_type = {str(p.attributes["gen_ai.token.type"]): (p.count, p.sum) for p in found}
    assert by_type == {"input": (2, 320), "output": (2, 35)}
    assert {p.attributes["gen_ai.response.model"] for p in found} == {"scripted-1"}
    assert {p.attributes["gen_ai.operation.name"] for p in found} == {"chat"}


async def test_token_usage_uses_the_buckets_the_conventions_advise(
    reader_after_run: InMemoryMetricReader,
) -> None:
    """The token histogram's boundaries are the conventions' advice, not the SDK's default."""
    found = points(reader_after_run, "gen_ai.client.token.usage")
    assert {tuple(p.explicit_bounds) for p in found} == {tuple(TOKEN_BUCKETS)}


async def test_request_duration_is_recorded_per_request_in_seconds(
    reader_after_run: InMemoryMetricReader,
) -> None:
    """gen_ai.client.operation.duration: one sample per model request, advised buckets."""
    (point,) = points(reader_after_run, "gen_ai.client.operation.duration")
    assert point.count == 2
    assert 0 <= point.sum < 5
    assert list(point.explicit_bounds) == DURATION_BUCKETS
    assert point.attributes["gen_ai.provider.name"] == "scripted"


async def test_tool_duration_is_recorded_per_call_with_its_error_type(
    reader_after_run: InMemoryMetricReader,
) -> None:
    """switchboard.tool.duration: one sample per call, failures apart by error.type."""
    found = points(reader_after_run, "switchboard.tool.duration")
    by_error = {p.attributes.get("error.type"): p.count for p in found}
    assert by_error == {None: 1, "raised": 1}
    assert {p.attributes["gen_ai.tool.name"] for p in found} == {"weather"}


async def test_a_reply_with_no_token_count_records_no_token_usage(
    settings: InstrumentationSettings, reader: InMemoryMetricReader, exporter: InMemorySpanExporter
) -> None:
    """A provider that counts no tokens: no usage metric or attributes, not a usage of 0."""
    await Agent(ScriptedModel(["Hi."]), instrument=settings).run("Hi")
    assert points(reader, "gen_ai.client.token.usage") == []
    (chat,) = [span for span in exporter.get_finished_spans() if span.name == "chat scripted"]
    assert "gen_ai.usage.input_tokens" not in (chat.attributes or {})
    assert "gen_ai.usage.output_tokens" not in (chat.attributes or {})


async def test_a_call_waiting_for_approval_records_no_tool_duration(
    settings: InstrumentationSettings, reader: InMemoryMetricReader
) -> None:
    """A paused call has no result yet: no duration sample until it runs."""
    tools = Toolbox()

    @tools.register(requires_approval=True)
    def delete(path: str) -> str:
        """Delete a file."""
        return f"deleted {path}"

    model = ScriptedModel([ToolCall("d1", "delete", '{"path": "a.txt"}')])
    result = await Agent(model, tools=tools, instrument=settings).run("Delete a.txt")
    assert result.stop_reason == "paused"
    assert points(reader, "switchboard.tool.duration") == []
