"""Spans and metrics of instrumented runs, caught by the OpenTelemetry SDK's in-memory readers."""

from collections.abc import Sequence

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.metrics.export import HistogramDataPoint, InMemoryMetricReader
from opentelemetry.sdk.trace import ReadableSpan, TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

from switchboard import InstrumentationSettings


@pytest.fixture
def exporter() -> InMemorySpanExporter:
    return InMemorySpanExporter()


@pytest.fixture
def tracer_provider(exporter: InMemorySpanExporter) -> TracerProvider:
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    return provider


@pytest.fixture
def reader() -> InMemoryMetricReader:
    return InMemoryMetricReader()


@pytest.fixture
def settings(
    tracer_provider: TracerProvider, reader: InMemoryMetricReader
) -> InstrumentationSettings:
    return InstrumentationSettings(
        tracer_provider=tracer_provider, meter_provider=MeterProvider(metric_readers=[reader])
    )


def named(spans: Sequence[ReadableSpan], name: str) -> list[ReadableSpan]:
    """The spans called ``name``, in the order they ended."""
    return [span for span in spans if span.name == name]


def one(spans: Sequence[ReadableSpan], name: str) -> ReadableSpan:
    """The one span called ``name``."""
    (span,) = named(spans, name)
    return span


def parent_id(span: ReadableSpan) -> int | None:
    return span.parent.span_id if span.parent is not None else None


def span_id(span: ReadableSpan) -> int:
    assert span.context is not None
    return span.context.span_id


def events(span: ReadableSpan, name: str) -> list[dict[str, object]]:
    """The attributes of ``span``'s events called ``name``."""
    return [dict(event.attributes or {}) for event in span.events if event.name == name]


def points(reader: InMemoryMetricReader, metric: str) -> list[HistogramDataPoint]:
    """The data points of the histogram ``metric`` read so far."""
    data = reader.get_metrics_data()
    assert data is not None
    found: list[HistogramDataPoint] = []
    for resource in data.resource_metrics:
        for scope in resource.scope_metrics:
            for item in scope.metrics:
                if item.name == metric:
                    found.extend(
                        p for p in item.data.data_points if isinstance(p, HistogramDataPoint)
                    )
    return found
