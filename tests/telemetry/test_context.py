"""A call's span is current while its tool runs: what the tool traces goes under it."""

from collections.abc import Sequence
from pathlib import Path

import pytest
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from switchboard import (
    Agent,
    InstrumentationSettings,
    ScriptedModel,
    SQLiteStore,
    StoreWrite,
    ToolCall,
)

from .conftest import one, parent_id, span_id

pytestmark = pytest.mark.anyio


async def test_a_span_an_async_tool_opens_is_a_child_of_its_call(
    settings: InstrumentationSettings,
    tracer_provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    """The tool's own span (an HTTP client's, say) goes under the execute_tool span."""
    tracer = tracer_provider.get_tracer("the application")

    async def fetch(url: str) -> str:
        """Fetch a page."""
        with tracer.start_as_current_span("GET"):
            return "<html>"

    model = ScriptedModel([ToolCall("c1", "fetch", '{"url": "https://example.com"}'), "Got it."])
    await Agent(model, tools=[fetch], instrument=settings).run("Fetch it.")
    spans = exporter.get_finished_spans()
    assert parent_id(one(spans, "GET")) == span_id(one(spans, "execute_tool fetch"))


async def test_an_agent_run_by_a_tool_is_traced_under_the_call(
    settings: InstrumentationSettings, exporter: InMemorySpanExporter
) -> None:
    """An agent used as a tool: its invoke_agent span is a child of the call that ran it."""
    inner = Agent(ScriptedModel(["42."]), instrument=settings)

    async def ask_expert(question: str) -> str:
        """Ask the expert agent."""
        return (await inner.run(question)).output

    outer = Agent(
        ScriptedModel([ToolCall("c1", "ask_expert", '{"question": "6 x 7?"}'), "42."]),
        tools=[ask_expert],
        instrument=settings,
    )
    await outer.run("What is 6 x 7?")
    spans = exporter.get_finished_spans()
    runs = [span for span in spans if span.name == "invoke_agent"]
    call = one(spans, "execute_tool ask_expert")
    nested = [span for span in runs if span.parent is not None]
    assert [parent_id(span) for span in nested] == [span_id(call)]
    assert len({span.context.trace_id for span in spans if span.context is not None}) == 1


async def test_the_call_span_is_not_left_current_after_the_run(
    settings: InstrumentationSettings,
) -> None:
    """Once the run ends, the caller's current span is what it was before."""

    async def noop() -> str:
        """Do nothing."""
        return "ok"

    model = ScriptedModel([ToolCall("c1", "noop", "{}"), "Done."])
    before = trace.get_current_span()
    await Agent(model, tools=[noop], instrument=settings).run("Go.")
    assert trace.get_current_span() is before


async def test_what_the_loop_does_between_requests_and_calls_is_under_the_run(
    settings: InstrumentationSettings,
    tracer_provider: TracerProvider,
    exporter: InMemorySpanExporter,
    tmp_path: Path,
) -> None:
    """The loop's own work is traced in the run: a traced store's writes go under it or its call."""
    tracer = tracer_provider.get_tracer("the store")

    class TracedStore(SQLiteStore):
        async def write(self, run_id: str, writes: Sequence[StoreWrite]) -> None:
            with tracer.start_as_current_span("store write"):
                await super().write(run_id, writes)

    async def noop() -> str:
        """Do nothing."""
        return "ok"

    model = ScriptedModel([ToolCall("c1", "noop", "{}"), "Done."])
    store = TracedStore(tmp_path / "runs.sqlite3")
    await Agent(model, tools=[noop], store=store, instrument=settings).run("Go.")
    spans = exporter.get_finished_spans()
    saves = [span for span in spans if span.name == "store write"]
    assert len(saves) >= 2
    # The write that makes the calls' start durable is made as the first call starts: under it.
    in_run = {span_id(one(spans, "invoke_agent")), span_id(one(spans, "execute_tool noop"))}
    assert {parent_id(span) for span in saves} == in_run


async def test_a_span_a_sync_tool_opens_in_its_worker_thread_is_a_child_of_its_call(
    settings: InstrumentationSettings,
    tracer_provider: TracerProvider,
    exporter: InMemorySpanExporter,
) -> None:
    """A sync tool runs in a worker thread, in its call's context: its spans nest too."""
    tracer = tracer_provider.get_tracer("the application")

    def query(sql: str) -> str:
        """Query the database."""
        with tracer.start_as_current_span("SELECT"):
            return "1 row"

    model = ScriptedModel([ToolCall("c1", "query", '{"sql": "SELECT 1"}'), "One row."])
    await Agent(model, tools=[query], instrument=settings).run("Query.")
    spans = exporter.get_finished_spans()
    assert parent_id(one(spans, "SELECT")) == span_id(one(spans, "execute_tool query"))
