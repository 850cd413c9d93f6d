"""`RunRecorder`: one run's checkpoints, written to a `RunStore` as the loop goes.

The loop tells it, for each step: `RunRecorder.begin_step` before the model is asked,
`RunRecorder.finish_step` with the reply, `RunRecorder.started` just before each call's code
runs and `RunRecorder.finished` with its result (the executor tells it: see
``CallRecorder``), and `RunRecorder.save` with the run's state after the step. A resumed
run tells it of each paused call a decision answered without running it
(`RunRecorder.settled`: denied, or its result supplied).

It writes each to the store only when it must be durable, in batches (`RunStore.write`, one
transaction each), so that a step of calls costs two commits and a step without calls one:

* A call's start is durable before its code runs (a call that may have taken effect is
  never forgotten): `started` writes it, with the step's request and reply and whatever
  else is waiting. The calls of a batch that start together are written together: the
  write waits two turns of the event loop for them (see `RunRecorder._durable`).
* The state is durable before the run goes on or reports it (`save`), and with it the
  results of the step's calls (before the model reads them) and, for a step without calls,
  its request and reply. A result waits for that write at most `RESULT_WAIT` seconds;
  after that (a call of the batch runs long, or a human is asked about another) it is
  written by itself, so that a call's result is never lost to a crash for long.
* A step's request and reply wait for one of those writes. A process killed while the model
  answers leaves no row of the step; the resumed run asks the model again, as it would
  for a step whose request was stored and its reply not.

Writes are made one batch at a time, in the order they were asked for.

A step's request is stored in the form `switchboard.runs.request` describes (what
``switchboard replay`` compares), its response as `codec.response_to_json` of the reply,
and a call's result as `codec.message_to_json` of it.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from typing import Any, Final

from switchboard.messages import ModelResponse, ToolCall, ToolResult
from switchboard.providers.base import ModelRequest
from switchboard.runs.codec import message_to_json, response_to_json
from switchboard.runs.request import request_json
from switchboard.runs.state import RunState, StateEncoder
from switchboard.runs.store import RunStore
from switchboard.runs.writes import (
    BeginStep,
    CallFinished,
    CallSettled,
    CallStarted,
    CreateRun,
    FinishStep,
    SaveState,
    StoreWrite,
)

__all__ = ["RESULT_WAIT", "RunRecorder"]

RESULT_WAIT: Final = 0.01
"""Seconds a call's result waits to be written with its step's state (see the module's doc).

Long enough for the other calls of a batch of quick tools to end and the state to be saved
(one commit for the batch), short enough that a crash rarely finds a result unwritten."""


class RunRecorder:
    """Writes the checkpoints of one run to a store (see the module's doc).

    A write that fails is kept in `failure`, for the loop to raise (`check`) once the calls
    running beside it have ended: a call whose start could not be recorded does not run.

    Args:
        store: Where the run is recorded.
        run_id: The run's id in it.
        recorded: How many of the run's messages the requests of its earlier steps hold.
    """

    __slots__ = (
        "_encoder",
        "_next",
        "_raised",
        "_timer",
        "_writes",
        "_writing",
        "failure",
        "recorded",
        "run_id",
        "step",
        "store",
    )

    def __init__(self, store: RunStore, run_id: str, *, recorded: int = 0) -> None:
        self.store = store
        self.run_id = run_id
        self.step = 0
        """The step whose calls are being recorded."""
        self.failure: Exception | None = None
        self.recorded = recorded
        """How many of the run's messages the requests of its steps so far hold."""
        self._encoder = StateEncoder()
        self._writes: list[StoreWrite] = []  # asked for, not yet handed to the store
        # The batch the next write will make, of the writes asked for by then.
        self._next: asyncio.Future[None] | None = None
        self._writing: asyncio.Task[None] | None = None  # the batch being written
        self._timer: asyncio.TimerHandle | None = None  # writes the results waiting
        self._raised = False  # `failure` was raised to the loop

    async def create(self, meta: Mapping[str, Any], state: RunState) -> None:
        """Record a new run, and its state before its first step (one write)."""
        self._writes.append(CreateRun(dict(meta)))
        await self.save(state)

    async def begin_step(self, index: int, request: ModelRequest) -> None:
        """Record step ``index``'s request, before the model is asked (written later)."""
        self._writes.append(BeginStep(index, request_json(request, self.recorded)))
        self.recorded = len(request.messages)
        self.step = index

    async def finish_step(self, response: ModelResponse) -> None:
        """Record the reply of the step begun last (written before its calls start)."""
        self._writes.append(FinishStep(self.step, response_to_json(response)))

    async def started(self, call: ToolCall, tool: object) -> None:
        """Record that ``call`` starts, durably; raises (and keeps the error) if that fails."""
        self._writes.append(CallStarted(self.step, call.id, call.name, call.arguments))
        try:
            await self._durable()
        except Exception as error:
            self._fail(error)
            raise

    async def finished(self, call: ToolCall, result: ToolResult) -> None:
        """Record ``call``'s result: written with the state, or within `RESULT_WAIT`.

        A failure is kept for `check`, not raised (the executor's batch needs its result).
        """
        try:
            written = message_to_json(result)
        except Exception as error:
            self._fail(error)
            return
        self._writes.append(CallFinished(self.step, call.id, written))
        if self._timer is None:
            loop = asyncio.get_running_loop()
            self._timer = loop.call_later(RESULT_WAIT, self._results_waited)

    def settled(self, call: ToolCall, result: ToolResult) -> None:
        """Record the result a decision gave a call that did not run (written with the state)."""
        self._writes.append(
            CallSettled(self.step, call.id, call.name, call.arguments, message_to_json(result))
        )

    async def save(self, state: RunState) -> None:
        """Record the run's state, durably, with every write asked for before it.

        Raises:
            Exception: The store's error, if this write failed, or an earlier one whose
                failure was not raised yet (results written by themselves).
        """
        self._writes.append(SaveState(self._encoder.to_json(state), state.status))
        await self._durable()
        if not self._raised:
            self.check()

    def check(self) -> None:
        """Raise the first write that failed, if one did."""
        if self.failure is not None:
            self._raised = True
            raise self.failure

    def _fail(self, error: Exception) -> None:
        if self.failure is None:
            self.failure = error

    def _results_waited(self) -> None:
        """Write the results that waited `RESULT_WAIT` for their step's end."""
        self._timer = None
        if self._writes:
            self._durable()

    def _durable(self) -> asyncio.Future[None]:
        """The batch holding every write asked for so far, to wait for.

        It starts two turns of the event loop later, or when the batch being written ends,
        so that the calls of a batch that start together join one write: the executor's
        first lane waits here for its call's start, its other lanes begin at the loop's
        next turn (``execution.lanes``), and reach their calls' start at the turn after.
        """
        batch = self._next
        if batch is None:
            loop = asyncio.get_running_loop()
            batch = self._next = loop.create_future()
            if self._writing is None:
                loop.call_soon(loop.call_soon, self._write_next)
        return batch

    def _write_next(self) -> None:
        """Start writing the next batch: what was asked for until now."""
        batch, self._next = self._next, None
        if batch is None:
            return
        if self._timer is not None:  # the results waiting go now
            self._timer.cancel()
            self._timer = None
        writes, self._writes = tuple(self._writes), []
        self._writing = asyncio.ensure_future(self._write(writes, batch))

    async def _write(self, writes: tuple[StoreWrite, ...], batch: asyncio.Future[None]) -> None:
        try:
            await self.store.write(self.run_id, writes)
        except asyncio.CancelledError:
            # Not the run's task (the write is a task of its own): the store or the event
            # loop stopped. Nothing more is written, as if the process had died here.
            batch.cancel()
            self._stop()
        except Exception as error:
            self._fail(error)
            batch.set_exception(error)
            batch.exception()  # kept in `failure`: not "never retrieved" if no one waits
        else:
            batch.set_result(None)
        finally:
            self._writing = None
            if self._next is not None:
                self._write_next()

    def _stop(self) -> None:
        """Drop what waits to be written, and end the batches waited for."""
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None
        self._writes.clear()
        batch, self._next = self._next, None
        if batch is not None:
            batch.cancel()
