"""Events on a traced run's spans: the guards, cut-off calls, approvals, and failures."""

from collections.abc import Sequence

import pytest
from opentelemetry.sdk.trace import ReadableSpan
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import StatusCode

from switchboard import (
    Agent,
    Approve,
    AssistantTurn,
    InstrumentationSettings,
    ModelResponse,
    ProviderError,
    ProviderUnavailableError,
    ScriptedModel,
    Toolbox,
    ToolCall,
    Usage,
)
from switchboard.providers.base import ModelRequest

from .conftest import events, named, one, parent_id, span_id

pytestmark = pytest.mark.anyio


def weather(city: str) -> str:
    """Get the weather in a city."""
    return f"Sunny in {city}"


def paris(call_id: str) -> ToolCall:
    return ToolCall(call_id, "weather", '{"city": "Paris"}')


async def test_a_repeated_call_answered_by_the_guard_is_an_event_on_the_run(
    settings: InstrumentationSettings, exporter: InMemorySpanExporter
) -> None:
    """A call the run already has the answer to is not run: the run span says so."""
    model = ScriptedModel([paris("c1"), paris("c2"), "Sunny."])
    await Agent(model, tools=[weather], instrument=settings).run("Weather?")
    spans = exporter.get_finished_spans()
    guarded = events(one(spans, "invoke_agent"), "switchboard.guard")
    assert guarded == [
        {
            "gen_ai.tool.name": "weather",
            "gen_ai.tool.call.id": "c2",
            "outcome": "answered",
            "stop": "none",
        }
    ]
    assert len(named(spans, "execute_tool weather")) == 1


async def test_a_call_past_max_tool_calls_is_a_refusal_event_that_stops_the_run(
    settings: InstrumentationSettings, exporter: InMemorySpanExporter
) -> None:
    """The guard's refusal names the stop it caused."""
    model = ScriptedModel([[paris("c1"), ToolCall("c2", "weather", '{"city": "Oslo"}')]])
    agent = Agent(model, tools=[weather], max_tool_calls=1, instrument=settings)
    result = await agent.run("Weather?")
    assert result.stop_reason == "max_tool_calls"
    guarded = events(one(exporter.get_finished_spans(), "invoke_agent"), "switchboard.guard")
    assert [(e["gen_ai.tool.call.id"], e["outcome"], e["stop"]) for e in guarded] == [
        ("c2", "refused", "max_tool_calls")
    ]


async def test_a_call_cut_off_by_the_token_limit_is_an_event_on_its_request(
    settings: InstrumentationSettings, exporter: InMemorySpanExporter
) -> None:
    """The call a ``length`` reply ended inside never runs; its request's span says so."""
    cut = ModelResponse(AssistantTurn(tool_calls=(paris("c1"),)), Usage(requests=1), "length")
    model = ScriptedModel([cut, "Sorry."])
    await Agent(model, tools=[weather], instrument=settings).run("Weather?")
    spans = exporter.get_finished_spans()
    first = named(spans, "chat scripted")[0]
    assert events(first, "switchboard.call.cut_off") == [
        {"gen_ai.tool.name": "weather", "gen_ai.tool.call.id": "c1", "reason": "length"}
    ]
    assert (first.attributes or {})["gen_ai.response.finish_reasons"] == ("length",)
    assert named(spans, "execute_tool weather") == []


def approval_tools() -> Toolbox:
    tools = Toolbox()

    @tools.register(requires_approval=True)
    def delete(path: str) -> str:
        """Delete a file."""
        return f"deleted {path}"

    return tools


DELETE = ToolCall("d1", "delete", '{"path": "a.txt"}')


async def test_a_call_waiting_for_approval_is_an_event_on_its_span(
    settings: InstrumentationSettings, exporter: InMemorySpanExporter
) -> None:
    """A run that pauses on a call: the call's span says it waits, and for what."""
    agent = Agent(ScriptedModel([DELETE]), tools=approval_tools(), instrument=settings)
    result = await agent.run("Delete a.txt")
    assert result.stop_reason == "paused"
    spans = exporter.get_finished_spans()
    call = one(spans, "execute_tool delete")
    assert events(call, "switchboard.call.paused") == [{"kind": "approval", "reason": ""}]
    assert call.status.status_code is StatusCode.UNSET
    run = one(spans, "invoke_agent")
    assert (run.attributes or {})["switchboard.run.stop_reason"] == "paused"


async def test_resuming_with_decisions_records_each_on_the_resumed_runs_span(
    settings: InstrumentationSettings, exporter: InMemorySpanExporter
) -> None:
    """The decisions a run resumes with are approval events on its new invoke_agent span."""
    agent = Agent(ScriptedModel([DELETE, "Deleted."]), tools=approval_tools(), instrument=settings)
    paused = await agent.run("Delete a.txt")
    exporter.clear()
    result = await agent.resume(paused.state, {"d1": Approve()})
    assert result.output == "Deleted."
    run = one(exporter.get_finished_spans(), "invoke_agent")
    decided = events(run, "switchboard.approval")
    assert decided == [{"gen_ai.tool.call.id": "d1", "decision": "approve", "by": "resume"}]


async def test_an_approval_callbacks_verdict_is_an_event_on_the_call(
    settings: InstrumentationSettings, exporter: InMemorySpanExporter
) -> None:
    """With approve=, the verdict is recorded on the call's span; a refusal marks it denied."""
    agent = Agent(
        ScriptedModel([DELETE, "Not deleted."]),
        tools=approval_tools(),
        approve=lambda call, tool: False,
        instrument=settings,
    )
    await agent.run("Delete a.txt")
    call = one(exporter.get_finished_spans(), "execute_tool delete")
    assert events(call, "switchboard.approval") == [{"approved": False, "by": "callback"}]
    assert (call.attributes or {})["error.type"] == "denied"


def failing(request: ModelRequest) -> str:
    msg = "scripted"
    raise ProviderUnavailableError(msg, "the server is down")


async def test_a_failed_request_marks_its_chat_span_and_the_runs(
    settings: InstrumentationSettings, exporter: InMemorySpanExporter
) -> None:
    """A provider error: error.type and status ERROR on the request's span and the run's."""
    agent = Agent(ScriptedModel(failing), instrument=settings)
    with pytest.raises(ProviderError):
        await agent.run("Hi")
    spans = exporter.get_finished_spans()
    chat, run = one(spans, "chat scripted"), one(spans, "invoke_agent")
    expected = "switchboard.errors.ProviderUnavailableError"
    for span in (chat, run):
        assert (span.attributes or {})["error.type"] == expected
        assert span.status.status_code is StatusCode.ERROR
    assert parent_id(chat) == span_id(run)


async def test_a_streamed_run_has_the_same_tree_its_calls_under_their_request(
    settings: InstrumentationSettings, exporter: InMemorySpanExporter
) -> None:
    """run_stream: chat spans marked streamed, each call under the request that made it."""
    model = ScriptedModel([[paris("c1"), ToolCall("c2", "weather", '{"city": "Oslo"}')], "Sunny."])
    agent = Agent(model, tools=[weather], instrument=settings)
    async for _ in agent.run_stream("Weather?"):
        pass
    spans: Sequence[ReadableSpan] = exporter.get_finished_spans()
    run = one(spans, "invoke_agent")
    chats = named(spans, "chat scripted")
    assert [parent_id(chat) for chat in chats] == [span_id(run)] * 2
    assert {(chat.attributes or {})["gen_ai.request.stream"] for chat in chats} == {True}
    tools = named(spans, "execute_tool weather")
    assert [parent_id(span) for span in tools] == [span_id(chats[0])] * 2
    assert (run.attributes or {})["switchboard.run.stop_reason"] == "answer"


async def test_a_resumed_run_does_not_report_its_historys_guard_answers_again(
    settings: InstrumentationSettings, exporter: InMemorySpanExporter
) -> None:
    """The guard relearns a resumed run's history: its answered repeats are not new events."""
    tools = approval_tools()
    tools.register(weather)
    model = ScriptedModel([paris("c1"), paris("c2"), DELETE, "Deleted."])
    agent = Agent(model, tools=tools, instrument=settings)
    paused = await agent.run("Weather, then delete a.txt")
    assert len(events(one(exporter.get_finished_spans(), "invoke_agent"), "switchboard.guard")) == 1
    exporter.clear()
    result = await agent.resume(paused.state, {"d1": Approve()})
    assert result.output == "Deleted."
    assert events(one(exporter.get_finished_spans(), "invoke_agent"), "switchboard.guard") == []


async def test_a_streamed_reply_cut_off_inside_a_call_is_an_event_on_its_request(
    settings: InstrumentationSettings, exporter: InMemorySpanExporter
) -> None:
    """run_stream: the call a ``length`` reply streamed only part of is a cut_off event."""
    cut = ModelResponse(AssistantTurn(tool_calls=(paris("c1"),)), Usage(requests=1), "length")
    agent = Agent(ScriptedModel([cut, "Sorry."]), tools=[weather], instrument=settings)
    async for _ in agent.run_stream("Weather?"):
        pass
    first = named(exporter.get_finished_spans(), "chat scripted")[0]
    assert events(first, "switchboard.call.cut_off") == [
        {"gen_ai.tool.name": "weather", "gen_ai.tool.call.id": "c1", "reason": "length"}
    ]
