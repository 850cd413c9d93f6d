"""`CallTracer`: each call of a run in an ``execute_tool {tool}`` span (kind INTERNAL).

The executor tells it as each call begins and ends (`CallObserver`). A call's span is a
child of the model request that asked for it, so the calls of one turn are siblings, and
parallel ones overlap. It is the current span while the call runs: an async tool's own spans
(an HTTP client's, an agent it runs) go under it, and its retries add their events to it.
"""

from __future__ import annotations

import time
from contextvars import Token
from typing import TYPE_CHECKING

from opentelemetry import context as otel_context
from opentelemetry import trace
from opentelemetry.context import Context
from opentelemetry.trace import Span, SpanKind, Status, StatusCode
from opentelemetry.util.types import AttributeValue

from switchboard.messages import ToolCall, ToolResult
from switchboard.runs.approval import PendingCall
from switchboard.telemetry import conventions as c
from switchboard.telemetry.content import arguments_json

if TYPE_CHECKING:
    from switchboard.telemetry.run_trace import RunTrace


class CallTracer:
    """The `CallObserver` of a traced run (see the module's doc).

    Args:
        run: The run's trace.
    """

    __slots__ = ("run",)

    def __init__(self, run: RunTrace) -> None:
        self.run = run

    def call_began(self, call: ToolCall) -> _Began:
        """Open ``call``'s span under the latest model request, and make it current."""
        run = self.run
        attributes: dict[str, AttributeValue] = {
            c.OPERATION_NAME: c.EXECUTE_TOOL,
            c.TOOL_NAME: call.name,
            c.TOOL_CALL_ID: call.id,
            c.TOOL_TYPE: "function",
        }
        tool = run.loop.agent.toolbox.find(call.name)
        if tool is not None and tool.description:
            attributes[c.TOOL_DESCRIPTION] = tool.description
        if run.include_content:
            attributes[c.TOOL_CALL_ARGUMENTS] = arguments_json(call)
        span = run.tracing.tracer.start_span(
            f"{c.EXECUTE_TOOL} {call.name}",
            context=run.turn,
            kind=SpanKind.INTERNAL,
            attributes=attributes,
        )
        token = otel_context.attach(trace.set_span_in_context(span, run.turn))
        return _Began(span, token, time.perf_counter())

    def call_ended(
        self,
        call: ToolCall,
        result: ToolResult | None,
        began: object,
        waiting: PendingCall | None,
    ) -> None:
        """Close ``call``'s span with its result; ``None``: cancelled."""
        assert isinstance(began, _Began)  # what call_began returned
        span = began.span
        otel_context.detach(began.token)
        duration = time.perf_counter() - began.started
        if waiting is not None:  # no result yet, and no time a result took
            span.add_event(c.EVENT_PAUSED, {"kind": waiting.kind, "reason": waiting.reason})
            span.end()
            return
        kind: str | None
        if result is None:
            kind = "cancelled"
            span.set_status(Status(StatusCode.ERROR, "The call was cancelled."))
        else:
            if result.repaired:
                span.add_event(c.EVENT_REPAIRED, {"repairs": result.repaired})
            kind = (result.error_kind or "error") if result.is_error else None
            content = self.run.include_content
            if kind is not None:
                # What the model was told may hold what the call was given: only on opt-in.
                span.set_status(Status(StatusCode.ERROR, result.content if content else None))
            if content:
                span.set_attribute(c.TOOL_CALL_RESULT, result.content)
        attributes: dict[str, AttributeValue] = {c.TOOL_NAME: call.name}
        if kind is not None:
            span.set_attribute(c.ERROR_TYPE, kind)
            attributes[c.ERROR_TYPE] = kind
        self.run.tracing.tool_duration.record(duration, attributes)
        span.end()


class _Began:
    """A call's span, the token that made it current, and when it began."""

    __slots__ = ("span", "started", "token")

    def __init__(self, span: Span, token: Token[Context], started: float) -> None:
        self.span = span
        self.token = token
        self.started = started
