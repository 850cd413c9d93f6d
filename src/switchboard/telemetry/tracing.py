"""`Tracing`: the tracer and the metric instruments of one agent's instrumentation settings."""

from __future__ import annotations

from collections.abc import AsyncIterator
from importlib import metadata
from typing import TypeVar

from opentelemetry import context as otel_context
from opentelemetry import metrics, trace
from opentelemetry.context import Context

# The global meter provider before one is set: the API has no public name for it.
from opentelemetry.metrics._internal import (
    _ProxyMeterProvider,  # pyright: ignore[reportPrivateUsage]
)

from switchboard.telemetry import conventions as c
from switchboard.telemetry.settings import INSTRUMENTATION_NAME, InstrumentationSettings

T = TypeVar("T")


class Tracing:
    """What an instrumented agent's runs emit with: one tracer, three histograms.

    Made once per agent: with the global providers (the default), the tracer and meter are
    OpenTelemetry's proxies, which send to the providers the application sets later.

    Args:
        settings: The agent's instrumentation settings.
    """

    def __init__(self, settings: InstrumentationSettings) -> None:
        self.settings = settings
        version = _version()
        self.tracer = trace.get_tracer(
            INSTRUMENTATION_NAME, version, tracer_provider=settings.tracer_provider
        )
        meter = metrics.get_meter(
            INSTRUMENTATION_NAME, version, meter_provider=settings.meter_provider
        )
        self.token_usage = meter.create_histogram(
            c.TOKEN_USAGE,
            unit="{token}",
            description="Number of input and output tokens used.",
            explicit_bucket_boundaries_advisory=c.TOKEN_BUCKETS,
        )
        self.operation_duration = meter.create_histogram(
            c.OPERATION_DURATION,
            unit="s",
            description="GenAI operation duration.",
            explicit_bucket_boundaries_advisory=c.DURATION_BUCKETS,
        )
        self.tool_duration = meter.create_histogram(
            c.TOOL_DURATION,
            unit="s",
            description="Duration of a tool call, from its arguments' parsing to its result.",
            explicit_bucket_boundaries_advisory=c.DURATION_BUCKETS,
        )

    def recording(self) -> bool:
        """Whether a run's spans or metrics would go anywhere: a provider was set up.

        Until the application sets a tracer or meter provider (or passes one), the API's
        defaults drop everything; a run is then not traced at all, and costs what an
        untraced run costs.
        """
        settings = self.settings
        tracer_provider = settings.tracer_provider or trace.get_tracer_provider()
        if not isinstance(tracer_provider, trace.ProxyTracerProvider | trace.NoOpTracerProvider):
            return True
        meter_provider = settings.meter_provider or metrics.get_meter_provider()
        return not isinstance(meter_provider, _ProxyMeterProvider | metrics.NoOpMeterProvider)


async def next_in(context: Context, steps: AsyncIterator[T]) -> T:
    """The next item of ``steps``, with ``context`` current only while they make it.

    So what the producer does (a provider's retries, a loop's writes) is traced under the
    span of ``context``, and nothing the consumer does between the items is.

    Raises:
        StopAsyncIteration: ``steps`` ended.
    """
    token = otel_context.attach(context)
    try:
        return await anext(steps)
    finally:
        otel_context.detach(token)


def _version() -> str:
    try:
        return metadata.version("switchboard")
    except metadata.PackageNotFoundError:  # run from a source tree
        return "0"
