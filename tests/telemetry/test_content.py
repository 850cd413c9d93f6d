"""Message contents, arguments and results on the spans, when the user asks for them."""

import json
from dataclasses import replace

import pytest
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from switchboard import Agent, InstrumentationSettings, ScriptedModel, ToolCall

from .conftest import named, one

pytestmark = pytest.mark.anyio


def weather(city: str) -> str:
    """Get the weather in a city."""
    if city == "Atlantis":
        msg = "no such city"
        raise LookupError(msg)
    return f"Sunny in {city}"


CALLS = [
    ToolCall("c1", "weather", '{"city": "Paris"}'),
    ToolCall("c2", "weather", '{"city": "Atlantis"}'),
]


@pytest.fixture
async def exported(
    settings: InstrumentationSettings, exporter: InMemorySpanExporter
) -> InMemorySpanExporter:
    model = ScriptedModel([CALLS, "Sunny in Paris."])
    agent = Agent(
        model,
        tools=[weather],
        system="Be brief.",
        instrument=replace(settings, include_content=True),
    )
    await agent.run("Weather in Paris and Atlantis?")
    return exporter


async def test_a_requests_messages_are_recorded_in_the_conventions_form(
    exported: InMemorySpanExporter,
) -> None:
    """gen_ai.input.messages: role and parts, calls and their responses included."""
    second = named(exported.get_finished_spans(), "chat scripted")[1]
    messages = json.loads(str((second.attributes or {})["gen_ai.input.messages"]))
    assert messages[:3] == [
        {"role": "system", "parts": [{"type": "text", "content": "Be brief."}]},
        {"role": "user", "parts": [{"type": "text", "content": "Weather in Paris and Atlantis?"}]},
        {
            "role": "assistant",
            "parts": [
                {
                    "type": "tool_call",
                    "id": "c1",
                    "name": "weather",
                    "arguments": {"city": "Paris"},
                },
                {
                    "type": "tool_call",
                    "id": "c2",
                    "name": "weather",
                    "arguments": {"city": "Atlantis"},
                },
            ],
        },
    ]
    assert messages[3] == {
        "role": "tool",
        "parts": [{"type": "tool_call_response", "id": "c1", "response": "Sunny in Paris"}],
    }


async def test_a_reply_is_recorded_with_its_finish_reason(exported: InMemorySpanExporter) -> None:
    """gen_ai.output.messages: the reply's parts and its finish reason."""
    second = named(exported.get_finished_spans(), "chat scripted")[1]
    output = json.loads(str((second.attributes or {})["gen_ai.output.messages"]))
    assert output == [
        {
            "role": "assistant",
            "parts": [{"type": "text", "content": "Sunny in Paris."}],
            "finish_reason": "stop",
        }
    ]


async def test_a_calls_arguments_and_result_are_on_its_span(exported: InMemorySpanExporter) -> None:
    """gen_ai.tool.call.arguments as the model wrote them, and the result the model read."""
    spans = exported.get_finished_spans()
    call = next(s for s in spans if (s.attributes or {}).get("gen_ai.tool.call.id") == "c1")
    attributes = dict(call.attributes or {})
    assert attributes["gen_ai.tool.call.arguments"] == '{"city": "Paris"}'
    assert attributes["gen_ai.tool.call.result"] == "Sunny in Paris"


async def test_a_failed_calls_message_is_its_status_description(
    exported: InMemorySpanExporter,
) -> None:
    """With contents on, the error status carries what the model was told."""
    spans = exported.get_finished_spans()
    failed = next(s for s in spans if (s.attributes or {}).get("gen_ai.tool.call.id") == "c2")
    assert failed.status.description == "weather raised LookupError: no such city"
    assert one(spans, "invoke_agent").status.description is None
