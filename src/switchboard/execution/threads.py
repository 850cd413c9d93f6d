"""Worker threads for sync tools: bounded, fair to healthy calls, never holding up an exit.

A sync tool runs in a worker thread so that it cannot block the event loop. A thread cannot
be killed, so a call that times out leaves its thread running until the tool returns. With a
fixed pool (the event loop's default executor) such threads pile up: they silently cap
concurrency, starve healthy calls, and ``asyncio.run`` joins them on the way out, so a tool
blocked forever blocks the program forever, whatever its timeout.

`ToolThreads` is the pool the executor runs sync tools in instead. At most ``size`` calls run
at once (the executor's ``max_concurrency``). A call given up on (timed out, cancelled) stops
counting against that cap, and a new thread may take its place, up to ``limit`` threads in
all; past that, new calls wait for a thread, and a call whose time runs out while it waits
is reported as never started. Threads are daemons, so a stuck tool never keeps the process
alive, and a thread idle for ``idle_seconds`` exits.

Written by hand because `concurrent.futures.ThreadPoolExecutor` has no notion of a call
given up on (its threads stay counted), and joins its threads at interpreter exit.
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections import deque
from collections.abc import Callable
from typing import Any


class CallProgress:
    """Whether a call got as far as starting; set by the executor and the thread pool.

    Attributes:
        started: The tool's code began to run.
    """

    __slots__ = ("started",)

    def __init__(self) -> None:
        self.started = False


class _Job:
    __slots__ = ("abandoned", "args", "done", "fn", "kwargs", "loop", "progress", "state")

    def __init__(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        loop: asyncio.AbstractEventLoop,
        progress: CallProgress | None,
    ) -> None:
        self.fn = fn
        self.args = args
        self.kwargs = kwargs
        self.loop = loop
        self.done: asyncio.Future[Any] = loop.create_future()
        self.progress = progress
        self.state = "queued"  # -> "running" -> "finished", or "queued" -> "dropped"
        self.abandoned = False


class ToolThreads:
    """A pool of daemon threads for sync tools (see the module docstring).

    Args:
        size: The most calls running at once.
        limit: The most threads in all, those still running abandoned calls included
            (default: twice ``size``).
        idle_seconds: A thread with nothing to do for this long exits.
    """

    def __init__(self, size: int, *, limit: int | None = None, idle_seconds: float = 10.0) -> None:
        self.size = size
        self.limit = max(limit if limit is not None else 2 * size, size)
        self._idle_seconds = idle_seconds
        self._cond = threading.Condition(threading.Lock())
        self._queue: deque[_Job] = deque()
        self._threads = 0
        self._running = 0  # calls running that count against `size`
        self._abandoned = 0  # threads still busy with calls given up on

    @property
    def alive(self) -> int:
        """Threads in the pool: running a call, idle, or running a call given up on."""
        return self._threads

    @property
    def abandoned(self) -> int:
        """Threads still running calls that were given up on (timed out or cancelled)."""
        return self._abandoned

    async def run(
        self,
        fn: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
        progress: CallProgress | None = None,
    ) -> Any:
        """Run ``fn(*args, **kwargs)`` in a worker thread and return (or raise) what it does.

        Cancelled (a timeout), the call is dropped if it has not started, and abandoned to
        its thread if it has: the thread no longer counts against ``size``.
        """
        job = _Job(fn, args, kwargs, asyncio.get_running_loop(), progress)
        with self._cond:
            self._queue.append(job)
            self._wake()
        try:
            return await job.done
        except asyncio.CancelledError:
            self._give_up(job)
            raise

    def _wake(self) -> None:
        """Hand queued calls to idle threads, starting threads where none is idle."""
        wanted = min(len(self._queue), self.size - self._running)
        if wanted <= 0:
            return
        self._cond.notify(wanted)
        # A thread is busy from taking a call off the queue until its call returns: the
        # others are idle, or woken and about to take one of the calls still queued.
        idle = self._threads - self._running - self._abandoned
        missing = wanted - idle
        while missing > 0 and self._threads < self.limit:
            self._threads += 1
            threading.Thread(target=self._work, name="switchboard-tool", daemon=True).start()
            missing -= 1

    def _give_up(self, job: _Job) -> None:
        with self._cond:
            if job.state == "queued":
                job.state = "dropped"
                self._queue.remove(job)
            elif job.state == "running" and not job.abandoned:
                job.abandoned = True
                self._running -= 1
                self._abandoned += 1
                self._wake()

    def _work(self) -> None:
        with self._cond:
            while True:
                job = self._next_job()
                if job is None:
                    self._threads -= 1
                    return
                self._cond.release()
                try:
                    _run(job)
                finally:
                    self._cond.acquire()
                    job.state = "finished"
                    if job.abandoned:
                        self._abandoned -= 1
                    else:
                        self._running -= 1
                    self._wake()

    def _next_job(self) -> _Job | None:
        """The next call to run, waiting for one; None once idle for ``idle_seconds``."""
        while not (self._queue and self._running < self.size):
            if not self._cond.wait(self._idle_seconds) and not (
                self._queue and self._running < self.size
            ):
                return None
        job = self._queue.popleft()
        job.state = "running"
        self._running += 1
        if job.progress is not None:
            job.progress.started = True
        return job


def _run(job: _Job) -> None:
    """Run a job in this thread and hand its outcome to its event loop."""
    try:
        value = job.fn(*job.args, **job.kwargs)
    # Every outcome goes back to the caller, SystemExit and KeyboardInterrupt included,
    # where the executor decides what propagates.
    except BaseException as e:
        _deliver(job, None, e)
    else:
        _deliver(job, value, None)


def _deliver(job: _Job, value: Any, error: BaseException | None) -> None:
    def settle() -> None:
        if job.done.done():  # the caller gave up: nobody reads it
            return
        if error is not None:
            job.done.set_exception(error)
        else:
            job.done.set_result(value)

    # A closed loop: the run is over, and nobody reads the outcome.
    with contextlib.suppress(RuntimeError):
        job.loop.call_soon_threadsafe(settle)
