"""A traced run's spans sent over OTLP/HTTP to a receiver on loopback, decoded as protobuf."""

import threading
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor

from switchboard import Agent, InstrumentationSettings, ScriptedModel, ToolCall

pytestmark = pytest.mark.anyio


class Receiver(ThreadingHTTPServer):
    """An OTLP/HTTP trace receiver (https://opentelemetry.io/docs/specs/otlp/#otlphttp)."""

    def __init__(self) -> None:
        super().__init__(("127.0.0.1", 0), _Handler)
        self.received: list[ExportTraceServiceRequest] = []
        self.paths: list[str] = []


class _Handler(BaseHTTPRequestHandler):
    server: Receiver

    def do_POST(self) -> None:  # http.server's name
        body = self.rfile.read(int(self.headers["Content-Length"]))
        request = ExportTraceServiceRequest()
        request.ParseFromString(body)
        self.server.paths.append(self.path)
        self.server.received.append(request)
        reply = ExportTraceServiceResponse().SerializeToString()
        self.send_response(200)
        self.send_header("Content-Type", "application/x-protobuf")
        self.send_header("Content-Length", str(len(reply)))
        self.end_headers()
        self.wfile.write(reply)

    def log_message(self, format: str, *args: object) -> None:  # the base's name
        del format, args  # quiet


@pytest.fixture
def receiver() -> Iterator[Receiver]:
    server = Receiver()
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield server
    server.shutdown()
    server.server_close()
    thread.join()


async def test_spans_arrive_at_an_otlp_http_receiver(receiver: Receiver) -> None:
    """The run's spans reach the receiver as OTLP protobuf, names and attributes intact."""
    host, port = receiver.server_address[:2]
    exporter = OTLPSpanExporter(endpoint=f"http://{host!s}:{port}/v1/traces")
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))

    def add(a: int, b: int) -> int:
        """Add two numbers."""
        return a + b

    model = ScriptedModel([ToolCall("c1", "add", '{"a": 2, "b": 3}'), "5."])
    agent = Agent(model, tools=[add], instrument=InstrumentationSettings(tracer_provider=provider))
    await agent.run("2 + 3?")
    provider.shutdown()
    spans = [
        span
        for request in receiver.received
        for resource in request.resource_spans
        for scope in resource.scope_spans
        for span in scope.spans
    ]
    assert sorted(span.name for span in spans) == [
        "chat scripted",
        "chat scripted",
        "execute_tool add",
        "invoke_agent",
    ]
    assert set(receiver.paths) == {"/v1/traces"}
    tool = next(span for span in spans if span.name == "execute_tool add")
    attributes = {kv.key: kv.value.string_value for kv in tool.attributes}
    assert attributes["gen_ai.tool.call.id"] == "c1"
    scopes = {
        scope.scope.name
        for request in receiver.received
        for resource in request.resource_spans
        for scope in resource.scope_spans
    }
    assert scopes == {"switchboard"}
