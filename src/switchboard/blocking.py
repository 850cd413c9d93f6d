"""Run a coroutine from code with no event loop: the ``*_sync`` entry points.

`asyncio.run` makes a new event loop for every call and closes it after, which costs more
than a batch of tool calls. `run_blocking` keeps one loop per thread for the thread's next
call instead (an `asyncio.Runner`), and otherwise behaves as `asyncio.run`: each call runs
in a copy of the caller's context, Ctrl-C cancels it, and tasks it leaves behind are
cancelled (its loop is then replaced, as after an error that was not the call's own). Each
thread has its own loop, so a tool that blocks one caller's loop blocks no other caller. A
thread's loop is closed when the thread ends, and the main thread's at exit.
"""

from __future__ import annotations

import asyncio
import contextvars
import os
import threading
import weakref
from collections.abc import Coroutine
from typing import Any, TypeVar

T = TypeVar("T")

_local = threading.local()


def run_blocking(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` to its end on this thread's event loop, and return what it returns.

    Must not be called from a running event loop (the callers check, with their own advice).
    """
    runner: asyncio.Runner | None = getattr(_local, "runner", None)
    if runner is None:
        runner = _local.runner = _new_runner()
    try:
        result = runner.run(main, context=contextvars.copy_context())
    except Exception:
        if asyncio.all_tasks(runner.get_loop()):
            _replace(runner)
        raise
    except BaseException:  # Ctrl-C or an exit: start the next call on a fresh loop
        _replace(runner)
        raise
    if asyncio.all_tasks(runner.get_loop()):
        _replace(runner)
    return result


def _new_runner() -> asyncio.Runner:
    loop = asyncio.new_event_loop()
    # With a loop factory, the runner leaves the thread's current event loop alone.
    runner = asyncio.Runner(loop_factory=lambda: loop)
    # Closed once the runner is dropped: when its thread ends (its thread-local storage is
    # cleared) or is replaced, and at exit. Only the loop: nothing else may still run then.
    weakref.finalize(runner, _close, loop)
    return runner


def _replace(runner: asyncio.Runner) -> None:
    """Close ``runner`` as `asyncio.run` would (cancelling what is left), and drop it."""
    _local.runner = None
    runner.close()


def _forget_runner() -> None:
    """In a forked child: the loop's selector and wake-up socket are shared with the parent."""
    _local.runner = None


os.register_at_fork(after_in_child=_forget_runner)


def _close(loop: asyncio.AbstractEventLoop) -> None:
    if not loop.is_running() and not loop.is_closed():
        loop.close()
