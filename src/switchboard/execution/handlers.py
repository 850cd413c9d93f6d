"""Call a tool's handler: on the event loop, in a worker thread or remotely, retrying when asked."""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import Awaitable
from typing import Any

from switchboard.execution.threads import CallProgress, ToolThreads
from switchboard.runs.approval import ApprovalRequired, CallDeferred
from switchboard.telemetry import notes
from switchboard.tools.context import ProgressListener, RunContext
from switchboard.tools.tool import Tool

logger = logging.getLogger("switchboard")

# Exact types a handler commonly returns, none of them awaitable: no need to ask inspect.
_PLAIN_VALUES: frozenset[type] = frozenset({str, int, float, bool, type(None), dict, list, tuple})


def handler_arguments(
    tool: Tool,
    kwargs: dict[str, Any],
    deps: Any,
    call_id: str,
    on_progress: ProgressListener | None = None,
    *,
    approved: bool = False,
) -> tuple[Any, ...]:
    """Complete validated ``kwargs`` for the handler; return its positional arguments.

    Adds the `RunContext` where the handler takes one (its progress reports going to
    ``on_progress``; ``approved``: a human approved the call), and moves positional-only
    parameters out of ``kwargs`` into the returned tuple.
    """
    if tool.context_parameter is not None:
        kwargs[tool.context_parameter] = RunContext(
            deps, tool.name, call_id, on_progress, approved=approved
        )
    return tuple(kwargs.pop(name) for name in tool.positional_only) if tool.positional_only else ()


def call_handler(
    tool: Tool,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    threads: ToolThreads,
    progress: CallProgress | None = None,
) -> Awaitable[Any]:
    """Call the handler as the tool's options say; await the result for its return value.

    Async handlers run on the event loop, sync ones in one of ``threads`` unless ``inline``;
    a ``remote`` tool's go to its `Remote` (e.g. a Ray task), awaited here; a schema-only
    tool (no handler) answers with its validated arguments. With a
    ``retry`` policy, the exceptions it names are retried with backoff. ``progress``, when
    given, records whether the handler started (a sync one may wait for a thread).
    """
    # The common handlers get no coroutine of ours around them (see benchmarks/dispatch.py).
    if tool.retry:
        return _call_with_retries(tool, args, kwargs, threads, progress)
    if tool.is_async and tool.handler is not None and tool.remote is None:
        if progress is not None:
            progress.started = True
        return tool.handler(*args, **kwargs)
    return _call(tool, args, kwargs, threads, progress)


async def _call_with_retries(
    tool: Tool,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    threads: ToolThreads,
    progress: CallProgress | None,
) -> Any:
    attempt = 1
    while True:
        try:
            return await _call(tool, args, kwargs, threads, progress)
        except Exception as e:
            if (
                tool.retry is None
                or isinstance(e, ApprovalRequired | CallDeferred)  # a pause, not a failure
                or not tool.retry.should_retry(e, attempt)
            ):
                raise
            delay = tool.retry.delay(attempt)
            logger.info("Retrying %s in %.2f s after %r (try %d)", tool.name, delay, e, attempt)
            notes.tool_retried(e, attempt, delay)
            await asyncio.sleep(delay)
            attempt += 1


async def _call(
    tool: Tool,
    args: tuple[Any, ...],
    kwargs: dict[str, Any],
    threads: ToolThreads,
    progress: CallProgress | None,
) -> Any:
    handler = tool.handler
    remote = tool.remote
    if progress is not None and (handler is None or tool.is_async or tool.inline or remote):
        progress.started = True
    if handler is None:  # a schema-only tool answers with its validated arguments
        return next(iter(kwargs.values())) if len(kwargs) == 1 and not args else kwargs
    if remote is not None:
        return await remote.call(tool.name, handler, args, kwargs)
    if tool.is_async:
        return await handler(*args, **kwargs)
    if tool.inline:
        value = handler(*args, **kwargs)
    else:
        value = await threads.run(handler, args, kwargs, progress)
    if value.__class__ in _PLAIN_VALUES:
        return value
    return await value if inspect.isawaitable(value) else value
