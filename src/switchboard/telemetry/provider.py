"""`TracedProvider`: a run's provider, each request in a ``chat {model}`` span (kind CLIENT).

The span is the current one while the provider works (for one request, or for each step of
its stream), so the provider's retries add their events to it and an instrumented HTTP client
puts its spans under it. It is the parent of the calls its reply asks for.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from typing import TYPE_CHECKING

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from switchboard.messages import ModelResponse
from switchboard.providers.base import ModelRequest, Provider
from switchboard.streaming import StreamEvent, TurnEnd
from switchboard.telemetry import conventions as c
from switchboard.telemetry import notes
from switchboard.telemetry.content import messages_json, output_json
from switchboard.telemetry.tracing import next_in

if TYPE_CHECKING:
    from switchboard.telemetry.run_trace import RunTrace


class TracedProvider:
    """``provider``, its requests traced as the ``chat`` spans of ``run``.

    Args:
        provider: The run's provider.
        run: The run's trace.
    """

    def __init__(self, provider: Provider, run: RunTrace) -> None:
        self.provider = provider
        self.run = run

    @property
    def name(self) -> str:
        """The provider's name."""
        return self.provider.name

    @property
    def model(self) -> str:
        """The model asked for."""
        return self.provider.model

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """The provider's reply, in a ``chat`` span."""
        chat = _Chat(self.run, request, stream=False)
        token = otel_context.attach(chat.context)
        try:
            response = await self.provider.complete(request)
        except BaseException as error:
            chat.failed(error)
            raise
        finally:
            otel_context.detach(token)
        chat.ended(response)
        return response

    async def stream(
        self, request: ModelRequest, *, partial_args: bool = False
    ) -> AsyncIterator[StreamEvent]:
        """The provider's streamed reply, in a ``chat`` span that ends with the stream."""
        chat = _Chat(self.run, request, stream=True)
        events = aiter(self.provider.stream(request, partial_args=partial_args))
        response: ModelResponse | None = None
        try:
            while True:
                try:
                    event = await next_in(chat.context, events)
                except StopAsyncIteration:
                    break
                if isinstance(event, TurnEnd):
                    response = event.response
                yield event
        except GeneratorExit:
            chat.abandoned()
            raise
        except BaseException as error:
            chat.failed(error)
            raise
        finally:
            close = getattr(events, "aclose", None)
            if close is not None:
                await close()
        if response is None:
            chat.abandoned()
        else:
            chat.ended(response)


class _Chat:
    """One ``chat`` span and its measurements."""

    __slots__ = ("context", "run", "span", "started")

    def __init__(self, run: RunTrace, request: ModelRequest, *, stream: bool) -> None:
        self.run = run
        attributes: dict[str, AttributeValue] = {
            c.OPERATION_NAME: c.CHAT,
            c.PROVIDER_NAME: run.provider_name,
            c.REQUEST_MODEL: run.model,
            c.REQUEST_STREAM: stream,
        }
        settings = request.settings
        if settings.max_tokens is not None:
            attributes[c.REQUEST_MAX_TOKENS] = settings.max_tokens
        if settings.temperature is not None:
            attributes[c.REQUEST_TEMPERATURE] = settings.temperature
        if settings.seed is not None:
            attributes[c.REQUEST_SEED] = settings.seed
        if run.include_content:
            attributes[c.INPUT_MESSAGES] = messages_json(request.messages)
        self.span: Span = run.tracing.tracer.start_span(
            f"{c.CHAT} {run.model}",
            context=run.context,
            kind=SpanKind.CLIENT,
            attributes=attributes,
        )
        self.context: Context = trace.set_span_in_context(self.span, run.context)
        run.turn = self.context
        self.started = time.perf_counter()

    def ended(self, response: ModelResponse) -> None:
        span = self.span
        usage = response.usage
        # No tokens at all: the provider counts none (a scripted model), not a free reply.
        counted = usage.input_tokens or usage.output_tokens
        span.set_attribute(c.RESPONSE_FINISH_REASONS, (c.FINISH_REASONS[response.stop_reason],))
        if counted:
            span.set_attribute(c.USAGE_INPUT_TOKENS, usage.input_tokens)
            span.set_attribute(c.USAGE_OUTPUT_TOKENS, usage.output_tokens)
        if response.model:
            span.set_attribute(c.RESPONSE_MODEL, response.model)
        if response.response_id is not None:
            span.set_attribute(c.RESPONSE_ID, response.response_id)
        if self.run.include_content:
            span.set_attribute(c.OUTPUT_MESSAGES, output_json(response))
        unfinished = response.unfinished_calls()
        reason = response.stop_reason
        for call in response.turn.tool_calls:
            if call.id in unfinished:
                cut = {c.TOOL_NAME: call.name, c.TOOL_CALL_ID: call.id, "reason": reason}
                span.add_event(c.EVENT_CUT_OFF, cut)
        attributes = self._metric_attributes(response.model)
        tracing = self.run.tracing
        tracing.operation_duration.record(time.perf_counter() - self.started, attributes)
        if counted:
            tracing.token_usage.record(usage.input_tokens, {**attributes, c.TOKEN_TYPE: "input"})
            tracing.token_usage.record(usage.output_tokens, {**attributes, c.TOKEN_TYPE: "output"})
        span.end()

    def failed(self, error: BaseException) -> None:
        kind = notes.error_type(error)
        self.span.set_attribute(c.ERROR_TYPE, kind)
        self.span.set_status(Status(StatusCode.ERROR, str(error)))
        attributes = {**self._metric_attributes(""), c.ERROR_TYPE: kind}
        self.run.tracing.operation_duration.record(time.perf_counter() - self.started, attributes)
        self.span.end()

    def abandoned(self) -> None:
        """The stream was closed before its reply ended (the run stopped listening)."""
        self.span.end()

    def _metric_attributes(self, response_model: str) -> dict[str, AttributeValue]:
        run = self.run
        attributes: dict[str, AttributeValue] = {
            c.OPERATION_NAME: c.CHAT,
            c.PROVIDER_NAME: run.provider_name,
            c.REQUEST_MODEL: run.model,
        }
        if response_model:
            attributes[c.RESPONSE_MODEL] = response_model
        return attributes
