"""Events on the span that is current, told by the code below the loop (retries, approvals).

The provider's retries, a tool's own retries and an approval callback's verdict happen where
the loop cannot see them; those places call the functions here, which add an event to the
span current at that moment: the ``chat`` span around a model request, the ``execute_tool``
span around a call. Until an agent with instrumentation starts a run (`enable`), they return
at once and import nothing, so switchboard without tracing never loads OpenTelemetry.
"""

from __future__ import annotations

from switchboard.telemetry import conventions as c

_enabled = False


def enable() -> None:
    """Let the functions here record events (an instrumented run is starting)."""
    global _enabled
    _enabled = True


def error_type(error: BaseException) -> str:
    """``error.type`` for an exception: its class's full name (builtins: the bare name)."""
    kind = type(error)
    module = kind.__module__
    return kind.__qualname__ if module == "builtins" else f"{module}.{kind.__qualname__}"


def request_retried(error: BaseException, attempt: int, delay: float) -> None:
    """A model request's try ``attempt`` failed with ``error``; the next comes in ``delay`` s."""
    if _enabled:
        _add_event(
            c.EVENT_REQUEST_RETRY,
            {"attempt": attempt, "delay_s": delay, c.ERROR_TYPE: error_type(error)},
        )


def tool_retried(error: BaseException, attempt: int, delay: float) -> None:
    """A tool's try ``attempt`` raised ``error``, retried by its policy in ``delay`` s."""
    if _enabled:
        _add_event(
            c.EVENT_TOOL_RETRY,
            {"attempt": attempt, "delay_s": delay, c.ERROR_TYPE: error_type(error)},
        )


def approval_decided(approved: bool) -> None:
    """The ``approve=`` callback decided the current call."""
    if _enabled:
        _add_event(c.EVENT_APPROVAL, {"approved": approved, "by": "callback"})


def _add_event(name: str, attributes: dict[str, str | int | float | bool]) -> None:
    from opentelemetry import trace

    trace.get_current_span().add_event(name, attributes)
