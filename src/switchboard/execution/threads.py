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
alive; a thread idle for ``idle_seconds`` exits, and every idle thread exits at once when
the pool is closed (the executor that owns it is gone).

Handing a call to a thread and its result back costs a thread switch each way, which is most
of a trivial call's cost, so the pool keeps switches few:

- One thread is woken at a time. A thread that takes a call wakes the next one only if more
  calls are waiting, before it runs its own: calls that block (I/O) still run ``size`` at
  once, while quick calls are run one after another by the first thread, which takes the
  next call as soon as it finishes one, without waiting to be woken.
- Results go back to the event loop in bursts: the first finished call of a burst wakes
  the loop, the calls that finish before it has run ride along.

Written by hand because `concurrent.futures.ThreadPoolExecutor` has no notion of a call
given up on (its threads stay counted), joins its threads at interpreter exit, and wakes
the event loop once per call.
"""

from __future__ import annotations

import asyncio
import contextvars
import functools
import os
import threading
import weakref
from collections import deque
from collections.abc import Callable
from typing import Any, Literal


class CallProgress:
    """Whether a call got as far as starting; set by the executor and the thread pool.

    Attributes:
        started: The tool's code began to run.
    """

    __slots__ = ("started",)

    def __init__(self) -> None:
        self.started = False


class _Job:
    __slots__ = (
        "abandoned",
        "args",
        "done",
        "error",
        "fn",
        "kwargs",
        "loop",
        "progress",
        "state",
        "value",
    )

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
        self.state: Literal["queued", "running", "finished", "dropped"] = "queued"
        self.abandoned = False
        self.value: Any = None
        self.error: BaseException | None = None


class _Worker:
    """A thread's parking spot: its lock is held while it waits to be woken."""

    __slots__ = ("park",)

    def __init__(self) -> None:
        self.park = threading.Lock()
        self.park.acquire()


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
        self._lock = threading.Lock()
        self._queue: deque[_Job] = deque()
        self._threads = 0
        self._running = 0  # calls running that count against `size`
        self._abandoned = 0  # threads still busy with calls given up on
        self._idle: list[_Worker] = []  # parked threads, the last parked woken first
        self._waking = 0  # threads woken (or started) that have not yet looked for a call
        self._closed = False
        # Finished calls by event loop, waiting for it to take them (see _deliver).
        self._outbox: dict[asyncio.AbstractEventLoop, list[_Job]] = {}
        self.carry_context = False
        """Run each call in a copy of its caller's context (`contextvars`): a tracer's
        current span, for one. Off, a call runs in the thread's own context."""
        _POOLS.add(self)

    @property
    def alive(self) -> int:
        """Threads in the pool: running a call, idle, or running a call given up on."""
        return self._threads

    @property
    def abandoned(self) -> int:
        """Threads still running calls that were given up on (timed out or cancelled)."""
        return self._abandoned

    @property
    def closed(self) -> bool:
        """Whether `close` was called: idle threads exit at once."""
        return self._closed

    def close(self) -> None:
        """Let every idle thread exit now, and every busy one once its call is done.

        A call handed to the pool afterwards still runs, on a thread that then exits.
        """
        with self._lock:
            self._closed = True
            while self._idle:
                self._waking += 1
                self._idle.pop().park.release()

    def forget_threads(self) -> None:
        """Start afresh in a forked child: the threads are the parent's, and did not come.

        The calls queued or running were the parent's too, and its lock may have been held
        by one of its threads when it forked.
        """
        self._lock = threading.Lock()
        self._queue.clear()
        self._idle.clear()
        self._outbox.clear()
        self._threads = self._running = self._abandoned = self._waking = 0

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
        if self.carry_context:
            fn = functools.partial(contextvars.copy_context().run, fn)
        job = _Job(fn, args, kwargs, asyncio.get_running_loop(), progress)
        with self._lock:
            self._queue.append(job)
            self._wake()
        try:
            return await job.done
        except asyncio.CancelledError:
            self._give_up(job)
            raise

    def _wake(self) -> None:
        """Wake a thread (or start one) for the queued calls, unless one is waking already."""
        if self._waking or not self._queue or self._running >= self.size:
            return
        if self._idle:
            self._waking += 1
            self._idle.pop().park.release()
        elif self._threads < self.limit:
            self._threads += 1
            self._waking += 1
            worker = _Worker()
            threading.Thread(
                target=self._work, args=(worker,), name="switchboard-tool", daemon=True
            ).start()

    def _give_up(self, job: _Job) -> None:
        with self._lock:
            if job.state == "queued":
                job.state = "dropped"
                self._queue.remove(job)
            elif job.state == "running" and not job.abandoned:
                job.abandoned = True
                self._running -= 1
                self._abandoned += 1
                self._wake()

    def _work(self, worker: _Worker) -> None:
        lock = self._lock
        lock.acquire()
        try:
            self._waking -= 1
            while True:
                job = self._take()
                if job is not None:
                    lock.release()
                    try:
                        _run(job)
                    finally:
                        lock.acquire()
                        self._finish(job)
                elif self._closed or not self._park(worker):
                    return
        finally:
            self._threads -= 1
            lock.release()

    def _take(self) -> _Job | None:
        """The next call to run, if one is waiting and the cap allows; wakes the next thread."""
        if not self._queue or self._running >= self.size:
            return None
        job = self._queue.popleft()
        job.state = "running"
        self._running += 1
        if job.progress is not None:
            job.progress.started = True
        self._wake()
        return job

    def _park(self, worker: _Worker) -> bool:
        """Wait, the lock released, until woken; False once idle for ``idle_seconds``."""
        self._idle.append(worker)
        self._lock.release()
        woken = worker.park.acquire(timeout=self._idle_seconds)
        self._lock.acquire()
        if not woken:
            if worker in self._idle:  # nobody came for it
                self._idle.remove(worker)
                return False
            # Woken as its wait ran out: the waker released the park; hold it again.
            worker.park.acquire()
        self._waking -= 1
        return True

    def _finish(self, job: _Job) -> None:
        # No thread to wake: this one looks for the next call itself.
        job.state = "finished"
        if job.abandoned:
            self._abandoned -= 1
        else:
            self._running -= 1
        self._deliver(job)

    def _deliver(self, job: _Job) -> None:
        """Hand a finished call to its event loop, waking the loop for the first of a burst."""
        loop = job.loop
        waiting = self._outbox.get(loop)
        if waiting is not None:  # the loop is already woken for them
            waiting.append(job)
            return
        self._outbox[loop] = [job]
        try:
            loop.call_soon_threadsafe(self._settle, loop)
        except RuntimeError:  # the loop is closed: the run is over, and nobody reads it
            del self._outbox[loop]

    def _settle(self, loop: asyncio.AbstractEventLoop) -> None:
        """On the event loop: give each finished call's outcome to the one awaiting it."""
        with self._lock:
            jobs = self._outbox.pop(loop, ())
        for job in jobs:
            if job.done.done():  # the caller gave up: nobody reads it
                continue
            if job.error is not None:
                job.done.set_exception(job.error)
            else:
                job.done.set_result(job.value)


def _forget_threads() -> None:
    for pool in list(_POOLS):
        pool.forget_threads()


_POOLS: weakref.WeakSet[ToolThreads] = weakref.WeakSet()
os.register_at_fork(after_in_child=_forget_threads)


def _run(job: _Job) -> None:
    """Run a job in this thread, keeping its outcome on it."""
    try:
        job.value = job.fn(*job.args, **job.kwargs)
    # Every outcome goes back to the caller, SystemExit and KeyboardInterrupt included,
    # where the executor decides what propagates.
    except BaseException as e:
        job.error = e
