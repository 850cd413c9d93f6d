"""`RunTrace`: one run's ``invoke_agent`` span, and the hooks that trace the rest of it.

The run's span opens as its loop starts and closes with its result or its error. The model
requests are traced by wrapping the run's provider (`TracedProvider`), the calls through the
executor's observer (`CallTracer`), the guards' refusals through their listener: none of
them costs the loop anything when the run is not traced.
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Mapping
from typing import TYPE_CHECKING

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.trace import SpanKind, Status, StatusCode

from switchboard.guard import GuardStop
from switchboard.messages import ToolCall, ToolResult
from switchboard.outcome import RunResult
from switchboard.runs.approval import Decision
from switchboard.streaming import RunEnd, RunEvent
from switchboard.telemetry import conventions as c
from switchboard.telemetry import notes
from switchboard.telemetry.calls import CallTracer
from switchboard.telemetry.provider import TracedProvider
from switchboard.telemetry.tracing import Tracing, next_in

if TYPE_CHECKING:
    from switchboard.run import RunLoop


class RunTrace:
    """The spans of one run (see the module's doc).

    Args:
        tracing: The agent's tracer and instruments.
        loop: The run.
    """

    def __init__(self, tracing: Tracing, loop: RunLoop) -> None:
        self.tracing = tracing
        self.loop = loop
        self.include_content = tracing.settings.include_content
        provider = loop.provider
        self.provider_name = c.PROVIDER_NAMES.get(provider.name, provider.name)
        self.model = provider.model
        self.span = trace.INVALID_SPAN
        self.context = otel_context.get_current()
        """The run span's context: the parent of its ``chat`` spans."""
        self.turn = self.context
        """The context of the latest model request: the parent of the calls it asked for."""
        self._open = False

    def start(self, decisions: Mapping[str, Decision] | None = None) -> None:
        """Open the run's span under the current one, and trace the run's parts under it."""
        notes.enable()
        loop = self.loop
        name = self.tracing.settings.agent_name
        attributes: dict[str, str] = {
            c.OPERATION_NAME: c.INVOKE_AGENT,
            c.PROVIDER_NAME: self.provider_name,
            c.REQUEST_MODEL: self.model,
            c.CONVERSATION_ID: loop.run_id,
            c.RUN_ID: loop.run_id,
        }
        if name:
            attributes[c.AGENT_NAME] = name
        self.span = span = self.tracing.tracer.start_span(
            f"{c.INVOKE_AGENT} {name}" if name else c.INVOKE_AGENT,
            kind=SpanKind.INTERNAL,
            attributes=attributes,
        )
        self._open = True
        self.context = self.turn = trace.set_span_in_context(span)
        for call_id, decision in (decisions or {}).items():
            decided = {c.TOOL_CALL_ID: call_id, "decision": type(decision).__name__.lower()}
            span.add_event(c.EVENT_APPROVAL, {**decided, "by": "resume"})
        loop.provider = TracedProvider(loop.provider, self)
        loop.calls.observer = CallTracer(self)
        loop.guard.on_refusal = self.guard_answered

    def guard_answered(self, call: ToolCall, answer: ToolResult, stop: GuardStop | None) -> None:
        """A guard answered ``call`` without running it (a repeat, a limit): an event."""
        self.span.add_event(
            c.EVENT_GUARD,
            {
                c.TOOL_NAME: call.name,
                c.TOOL_CALL_ID: call.id,
                "outcome": "refused" if answer.is_error else "answered",
                "stop": stop or "none",
            },
        )

    def end(self, result: RunResult) -> None:
        """Close the run's span with its result."""
        span = self.span
        span.set_attribute(c.RUN_STOP_REASON, result.stop_reason)
        span.set_attribute(c.RUN_STEPS, len(result.steps))
        usage = result.usage
        if usage.input_tokens or usage.output_tokens:  # none counted: see `TracedProvider`
            span.set_attribute(c.USAGE_INPUT_TOKENS, usage.input_tokens)
            span.set_attribute(c.USAGE_OUTPUT_TOKENS, usage.output_tokens)
        self.close()

    def fail(self, error: BaseException) -> None:
        """Close the run's span with the error that ended it."""
        span = self.span
        span.set_attribute(c.ERROR_TYPE, notes.error_type(error))
        span.set_status(Status(StatusCode.ERROR, str(error)))
        self.close()

    def close(self) -> None:
        """Close the run's span if it is still open (a caller that stopped listening early)."""
        if self._open:
            self._open = False
            self.span.end()


async def traced_events(
    run: RunTrace,
    events: AsyncGenerator[RunEvent, None],
    decisions: Mapping[str, Decision] | None = None,
) -> AsyncGenerator[RunEvent, None]:
    """The run's events, its span opened at the first and closed with `RunEnd` or an error.

    The run's span is current while the loop works (each step up to its next event), so
    what it does between requests and calls (a store's writes) is traced under it; never
    while the caller handles an event.
    """
    run.start(decisions)
    try:
        async with contextlib.aclosing(events):
            while True:
                try:
                    event = await next_in(run.context, events)
                except StopAsyncIteration:
                    break
                if isinstance(event, RunEnd):
                    run.end(event.result)
                yield event
    except GeneratorExit:  # the caller stopped listening: after RunEnd, or before
        raise
    except BaseException as error:
        run.fail(error)
        raise
    finally:
        run.close()
