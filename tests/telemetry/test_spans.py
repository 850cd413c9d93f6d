"""The span tree of a traced run: parallel calls, a retried tool, repaired arguments, an error."""

import asyncio
from collections.abc import Sequence

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind, StatusCode

from switchboard import (
    Agent,
    InstrumentationSettings,
    RetryPolicy,
    ScriptedModel,
    Toolbox,
    ToolCall,
)

from .conftest import events, named, one, parent_id, span_id

pytestmark = pytest.mark.anyio

TURN = [
    ToolCall("c1", "weather", '{"city": "Paris",}'),  # the trailing comma is repaired
    ToolCall("c2", "weather", '{"city": "Tokyo"}'),
    ToolCall("c3", "flaky", "{}"),
    ToolCall("c4", "broken", "{}"),
]


def toolbox() -> Toolbox:
    """Weather (its two calls wait for each other), flaky (fails once), broken (raises)."""
    both_running = asyncio.Barrier(2)
    tries: list[int] = []
    tools = Toolbox()

    @tools.register
    async def weather(city: str) -> str:
        """Get the weather in a city."""
        async with asyncio.timeout(5):  # passes only while both calls run at once
            await both_running.wait()
        return f"Sunny in {city}"

    async def flaky() -> str:
        """Answer after a connection error."""
        tries.append(1)
        if len(tries) == 1:
            msg = "reset"
            raise ConnectionError(msg)
        return "ok"

    @tools.register
    async def broken() -> str:
        """Always fail."""
        msg = "no such thing"
        raise ValueError(msg)

    tools.register(flaky, retry=RetryPolicy(attempts=2, base=0, retry_on=(ConnectionError,)))
    return tools


@pytest.fixture
async def spans(
    settings: InstrumentationSettings, exporter: InMemorySpanExporter
) -> Sequence[ReadableSpan]:
    agent = Agent(ScriptedModel([TURN, "Done."]), tools=toolbox(), instrument=settings)
    result = await agent.run("Weather?")
    assert result.output == "Done."
    return exporter.get_finished_spans()


def calls(spans: Sequence[ReadableSpan]) -> dict[str, ReadableSpan]:
    """The execute_tool spans by call id."""
    return {
        str((span.attributes or {})["gen_ai.tool.call.id"]): span
        for span in spans
        if span.name.startswith("execute_tool ")
    }


async def test_run_is_one_invoke_agent_span_at_the_root(spans: Sequence[ReadableSpan]) -> None:
    """The run is the trace's root: an INTERNAL invoke_agent span with its model and stop."""
    run = one(spans, "invoke_agent")
    assert run.parent is None
    assert run.kind is SpanKind.INTERNAL
    attributes = dict(run.attributes or {})
    assert attributes["gen_ai.operation.name"] == "invoke_agent"
    assert attributes["gen_ai.provider.name"] == "scripted"
    assert attributes["gen_ai.request.model"] == "scripted"
    assert attributes["switchboard.run.stop_reason"] == "answer"
    assert attributes["switchboard.run.steps"] == 2


async def test_each_model_request_is_a_client_chat_span_under_the_run(
    spans: Sequence[ReadableSpan],
) -> None:
    """Two requests, two CLIENT chat spans, children of the run, with their finish reasons."""
    run = one(spans, "invoke_agent")
    chats = named(spans, "chat scripted")
    assert [chat.kind for chat in chats] == [SpanKind.CLIENT, SpanKind.CLIENT]
    assert [parent_id(chat) for chat in chats] == [span_id(run), span_id(run)]
    reasons = [(chat.attributes or {})["gen_ai.response.finish_reasons"] for chat in chats]
    assert reasons == [("tool_calls",), ("stop",)]
    assert (chats[0].attributes or {})["gen_ai.operation.name"] == "chat"


async def test_a_reply_without_an_id_leaves_the_response_id_out(
    spans: Sequence[ReadableSpan],
) -> None:
    """The scripted model's replies have no id: no gen_ai.response.id, rather than a blank one."""
    chats = named(spans, "chat scripted")
    assert [(chat.attributes or {}).get("gen_ai.response.id") for chat in chats] == [None, None]


async def test_a_turns_calls_are_sibling_tool_spans_under_its_request(
    spans: Sequence[ReadableSpan],
) -> None:
    """Each call is an INTERNAL execute_tool span whose parent is the request that asked."""
    first_chat = named(spans, "chat scripted")[0]
    by_id = calls(spans)
    assert sorted(by_id) == ["c1", "c2", "c3", "c4"]
    assert {parent_id(span) for span in by_id.values()} == {span_id(first_chat)}
    assert {span.kind for span in by_id.values()} == {SpanKind.INTERNAL}


async def test_parallel_calls_spans_overlap_in_time(spans: Sequence[ReadableSpan]) -> None:
    """The two weather calls ran at once: each span starts before the other ends."""
    paris, tokyo = calls(spans)["c1"], calls(spans)["c2"]
    assert paris.start_time is not None
    assert paris.end_time is not None
    assert tokyo.start_time is not None
    assert tokyo.end_time is not None
    assert paris.start_time < tokyo.end_time
    assert tokyo.start_time < paris.end_time


async def test_tool_span_names_the_tool_and_the_call(spans: Sequence[ReadableSpan]) -> None:
    """A call's span carries the tool's name, description and type, and the call's id."""
    span = calls(spans)["c2"]
    assert span.name == "execute_tool weather"
    assert dict(span.attributes or {}) == {
        "gen_ai.operation.name": "execute_tool",
        "gen_ai.tool.name": "weather",
        "gen_ai.tool.call.id": "c2",
        "gen_ai.tool.description": "Get the weather in a city.",
        "gen_ai.tool.type": "function",
    }
    assert span.status.status_code is StatusCode.UNSET


async def test_repaired_arguments_are_an_event_on_the_call(spans: Sequence[ReadableSpan]) -> None:
    """The call whose JSON was repaired says which repair; the clean one has no such event."""
    repaired = events(calls(spans)["c1"], "switchboard.arguments.repaired")
    assert len(repaired) == 1
    assert repaired[0]["repairs"]
    assert events(calls(spans)["c2"], "switchboard.arguments.repaired") == []


async def test_a_tools_retry_is_an_event_on_its_call(spans: Sequence[ReadableSpan]) -> None:
    """The flaky tool's retry after its ConnectionError is an event on its span."""
    retries = events(calls(spans)["c3"], "switchboard.tool.retry")
    assert retries == [{"attempt": 1, "delay_s": 0.0, "error.type": "ConnectionError"}]
    assert calls(spans)["c3"].status.status_code is StatusCode.UNSET


async def test_a_failed_call_has_its_error_type_and_an_error_status(
    spans: Sequence[ReadableSpan],
) -> None:
    """The call whose tool raised is marked: error.type ``raised``, status ERROR."""
    span = calls(spans)["c4"]
    assert (span.attributes or {})["error.type"] == "raised"
    assert span.status.status_code is StatusCode.ERROR


async def test_contents_are_left_out_unless_asked_for(spans: Sequence[ReadableSpan]) -> None:
    """By default no span holds messages, arguments, results, or an error's message."""
    private = {
        "gen_ai.input.messages",
        "gen_ai.output.messages",
        "gen_ai.tool.call.arguments",
        "gen_ai.tool.call.result",
    }
    for span in spans:
        assert private.isdisjoint(span.attributes or {}), span.name
    assert calls(spans)["c4"].status.description is None
