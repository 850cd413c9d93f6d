"""Where a running call's progress goes: the sink of the streamed run the call belongs to.

A call reports progress through `report_progress` (a tool through
`RunContext.report_progress`; an MCP server's tools forward the server's progress
notifications). `Agent.run_stream` sets a sink around the calls it runs, which turns each
report into a `ToolProgress` event; anywhere else (`Agent.run`, `Toolbox.execute`) no sink
is set and reports cost a context-variable read.

A context variable rather than a parameter: the executor runs calls in tasks of their
own, which copy the context they were made in, so the sink reaches every call of the
batch without passing through the executor's per-call path.
"""

from __future__ import annotations

import contextlib
from collections.abc import Callable, Generator
from contextvars import ContextVar

from switchboard.streaming.events import ToolProgress

ProgressSink = Callable[[ToolProgress], None]
"""Receives each progress report of the calls run where it is set."""

_SINK: ContextVar[ProgressSink | None] = ContextVar("switchboard_progress_sink", default=None)


def progress_reporter(call_id: str, name: str) -> Callable[[float, float | None, str | None], None]:
    """A reporter of the call's progress bound to the sink in effect now, for use elsewhere.

    For progress that arrives on another task than the call's (an MCP server's
    notifications come on the session's): the sink is read here, in the call's task.
    Without a sink, the reporter does nothing.
    """
    sink = _SINK.get()

    def report(progress: float, total: float | None = None, message: str | None = None) -> None:
        if sink is not None:
            sink(ToolProgress(call_id, name, progress, total, message))

    return report


def progress_wanted() -> bool:
    """Whether a sink is in effect: whether reports of progress go anywhere."""
    return _SINK.get() is not None


def report_progress(
    call_id: str, name: str, progress: float, total: float | None = None, message: str | None = None
) -> None:
    """Send a call's progress to the sink in effect, if any (else it goes nowhere)."""
    sink = _SINK.get()
    if sink is not None:
        sink(ToolProgress(call_id, name, progress, total, message))


@contextlib.contextmanager
def progress_sink(sink: ProgressSink) -> Generator[None]:
    """Send the progress of the calls started inside the block to ``sink``."""
    token = _SINK.set(sink)
    try:
        yield
    finally:
        _SINK.reset(token)
