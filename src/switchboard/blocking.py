"""Run a coroutine from code with no event loop: the ``*_sync`` entry points.

`asyncio.run` makes a new event loop for every call and closes it after, which costs more
than a batch of tool calls. `run_blocking` keeps one loop per thread for the thread's next
call instead (an `asyncio.Runner`), and otherwise behaves as `asyncio.run`: each call runs
in a copy of the caller's context, Ctrl-C cancels it, and tasks it leaves behind are
cancelled (its loop is then replaced, as after an error that was not the call's own). Each
thread has its own loop, so a tool that blocks one caller's loop blocks no other caller. A
thread's loop is closed when the thread ends, and the main thread's at exit.

A forked child shares its parent's selector (epoll) with it: if the child closed its copy
of a loop, it would unregister the parent's wake-up socket, and the parent's loop would no
longer wake for results from threads. So before a fork the idle loops are closed (each
thread makes a new one at its next call), as `asyncio.run` never leaves one open.
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


class _KeptLoop:
    """One thread's event loop, and the lock its calls hold while they run it."""

    __slots__ = ("__weakref__", "busy", "finalizer", "loop", "runner")

    def __init__(self) -> None:
        loop = self.loop = asyncio.new_event_loop()
        # With a loop factory, the runner leaves the thread's current event loop alone.
        self.runner = asyncio.Runner(loop_factory=lambda: loop)
        self.busy = threading.Lock()
        # Closed once dropped: when its thread ends (its thread-local storage is cleared) or
        # it is replaced, and at exit. Only the loop: nothing else may still run then.
        self.finalizer = weakref.finalize(self, _close, loop)
        _KEPT.add(self)


_local = threading.local()
_KEPT: weakref.WeakSet[_KeptLoop] = weakref.WeakSet()


def run_blocking(main: Coroutine[Any, Any, T]) -> T:
    """Run ``main`` to its end on this thread's event loop, and return what it returns.

    Must not be called from a running event loop (the callers check, with their own advice).
    """
    kept: _KeptLoop | None = getattr(_local, "kept", None)
    if kept is None or kept.loop.is_closed():
        kept = _local.kept = _KeptLoop()
    with kept.busy:
        try:
            result = kept.runner.run(main, context=contextvars.copy_context())
        except Exception:
            if asyncio.all_tasks(kept.loop):
                _replace(kept)
            raise
        except BaseException:  # Ctrl-C or an exit: start the next call on a fresh loop
            _replace(kept)
            raise
        if asyncio.all_tasks(kept.loop):
            _replace(kept)
    return result


def _replace(kept: _KeptLoop) -> None:
    """Close ``kept`` as `asyncio.run` would (cancelling what is left), and drop it."""
    _local.kept = None
    kept.runner.close()


def _close(loop: asyncio.AbstractEventLoop) -> None:
    if not loop.is_running() and not loop.is_closed():
        loop.close()


def _close_idle_loops() -> None:
    """Before a fork: close every kept loop no call is running (see the module docstring)."""
    for kept in list(_KEPT):
        if kept.busy.acquire(blocking=False):
            try:
                _close(kept.loop)
            finally:
                kept.busy.release()


def _forget_loop() -> None:
    """In a forked child: drop the loop a call was running at the fork, without closing it."""
    kept: _KeptLoop | None = getattr(_local, "kept", None)
    if kept is not None:
        kept.finalizer.detach()
    _local.kept = None


os.register_at_fork(before=_close_idle_loops, after_in_child=_forget_loop)
