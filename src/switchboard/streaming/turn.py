"""One streamed model turn inside the loop: events relayed, complete calls started early.

The loop (`Agent.run_stream`) hands a provider's stream to a `StreamedTurn`, which yields
the stream's events and, as each call becomes complete (`ToolCallReady`), admits it
through the loop's guards and, when the loop allows, starts it at once, while the model
is still streaming. Its `ToolResultEvent` is yielded as soon as it finishes. When the
stream ends, the calls that were not started run as one batch, calls the stream ended
inside (`ToolCallCut`) get an error result instead of running, and `results` holds one
result per call of the reply, in order: what `Agent.run` would have made of the same reply.
What a running call reports (`RunContext.report_progress`, from the event loop or a worker
thread) is yielded as a `ToolProgressEvent` as it comes.

A reply stopped by a content filter runs none of the calls that had not started when the
stream ended: each gets a result saying so. A call started early has already run by then,
and keeps its result (``early_execution=False`` holds every call until the reply ends).
"""

from __future__ import annotations

import asyncio
import contextlib
import threading
from collections.abc import AsyncIterator, Awaitable, Callable, Container, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal, cast

from switchboard.messages import AssistantTurn, StopReason, ToolCall, ToolResult
from switchboard.streaming.events import (
    StreamEvent,
    TextDelta,
    ToolCallCut,
    ToolCallReady,
    ToolProgressEvent,
    ToolResultEvent,
    TurnEnd,
    TurnRestart,
)

if TYPE_CHECKING:
    from switchboard.messages import ModelResponse
    from switchboard.tools.context import ProgressListener, ToolProgress

Admit = Callable[[ToolCall], ToolResult | None]
"""The loop's guards for one call: a refusal result, or ``None`` to let it run."""

Execute = Callable[[Sequence[ToolCall], "ProgressListener"], Awaitable[list[ToolResult]]]
"""Run calls as one batch, one result per call, in order, their progress to the listener."""

Replied = Callable[["ModelResponse"], Awaitable[None]]
"""Told of the whole reply once the stream has ended, before its remaining calls run."""


def cut_result(call: ToolCall, reason: StopReason) -> ToolResult:
    """The error result for a call the reply ended inside: it was never run."""
    if reason == "length":
        message = (
            "Not run: your reply reached the output token limit before this call's arguments "
            "were complete. Make the call again, with shorter arguments."
        )
    else:
        message = (
            "Not run: the reply broke off (a failure of the provider or the connection) "
            "before this call's arguments were complete. Make the call again."
        )
    return ToolResult(call.id, call.name, message, is_error=True, error_kind="unparsable")


def withheld_result(call: ToolCall) -> ToolResult:
    """The result for a call of a reply the provider's content filter stopped: never run."""
    message = (
        "Not run: the provider's content filter stopped this reply, so none of its calls were run."
    )
    return ToolResult(call.id, call.name, message, is_error=True, error_kind="denied")


def interrupted_result(call: ToolCall) -> ToolResult:
    """The result for a call that started, and was stopped when the run failed."""
    message = (
        "The call was started, then interrupted when the run failed: it may have taken "
        "effect in part."
    )
    return ToolResult(call.id, call.name, message, is_error=True, error_kind="interrupted")


@dataclass
class _Failed:
    error: Exception


_END = object()
_SETTLED = object()


class StreamedTurn:
    """Relays one streamed turn and runs its calls, the complete ones as early as allowed.

    Args:
        admit: The loop's guards, applied to each call in order as it becomes complete.
        execute: Runs a batch of calls.
        early: Whether a complete call may start before the stream ends (never for
            ``sequential`` or ``requires_approval`` tools: the loop decides).
        pending: The ids of the calls that wait (for a human, or the application), as
            ``execute`` fills it: their places in `results` hold stand-ins, never yielded.
        replied: Awaited with the whole reply when the stream ends, before the calls that
            did not start early run.
    """

    def __init__(
        self,
        *,
        admit: Admit,
        execute: Execute,
        early: Callable[[ToolCall], bool],
        pending: Container[str] = (),
        replied: Replied | None = None,
    ):
        self._admit = admit
        self._execute = execute
        self._early = early
        self._pending = pending
        self._replied = replied
        self.response: ModelResponse | None = None
        self.results: list[ToolResult] = []
        self.cut: list[ToolCall] = []
        self.unadmitted: list[str] = []
        """The ids of the reply's calls never shown to ``admit`` (cut off, or withheld)."""
        self.stop: Literal["content_filter"] | None = None  # the run must end
        self._text: list[str] = []
        self._ready: list[ToolCall] = []
        self._cut_reasons: dict[str, StopReason] = {}
        self._decided: dict[str, ToolResult | asyncio.Task[ToolResult] | None] = {}
        self._yielded: set[str] = set()
        self._queue: asyncio.Queue[object] = asyncio.Queue()
        self._settling: asyncio.Task[dict[str, ToolResult]] | None = None
        self._loop = asyncio.get_running_loop()
        self._thread = threading.get_ident()

    async def run(
        self, stream: AsyncIterator[StreamEvent]
    ) -> AsyncIterator[StreamEvent | ToolProgressEvent | ToolResultEvent]:
        """Yield the stream's events and the calls' progress and results; fill `results`.

        `response` is filled in too.

        Raises:
            ProviderError: The provider failed before the stream began.
        """
        pump = asyncio.create_task(self._pump(stream))
        try:
            async for item in self._relay(_END):
                yield item
            async for event in self._finish():
                yield event
        finally:
            await self._cancel(pump)

    async def _pump(self, stream: AsyncIterator[StreamEvent]) -> None:
        try:
            async for event in stream:
                self._queue.put_nowait(event)
        except Exception as e:  # handed to the consumer, which raises it
            self._queue.put_nowait(_Failed(e))
        else:
            self._queue.put_nowait(_END)

    async def _relay(
        self, end: object
    ) -> AsyncIterator[StreamEvent | ToolProgressEvent | ToolResultEvent]:
        """Yield what the queue holds until ``end``: the stream's (`_END`) or the batch's."""
        while True:
            item = await self._queue.get()
            if item is end:
                return
            if isinstance(item, _Failed):
                raise item.error
            if isinstance(item, ToolResultEvent):
                self._yielded.add(item.result.call_id)
                yield item
                continue
            if isinstance(item, ToolProgressEvent):
                yield item
                continue
            event = cast(StreamEvent, item)
            yield event
            for result in self._see(event):
                yield result

    def _see(self, event: StreamEvent) -> list[ToolResultEvent]:
        if isinstance(event, TextDelta):
            self._text.append(event.text)
        elif isinstance(event, TurnEnd):
            self.response = event.response
        elif isinstance(event, ToolCallCut):
            self._cut_reasons[event.call.id] = event.reason
        elif isinstance(event, ToolCallReady):
            self._ready.append(event.call)
            return self._on_ready(event.call)
        elif isinstance(event, TurnRestart):
            self._text.clear()  # no call was ready: nothing else to forget
        return []

    def salvage(self) -> tuple[AssistantTurn, list[ToolResult]] | None:
        """After a failure mid-stream: the calls that had started, and their results.

        A call that finished keeps its result; one still running was stopped, and says so.
        ``None`` when no call had started.
        """
        started = [
            (call, decided)
            for call in self._ready
            if isinstance(decided := self._decided.get(call.id), asyncio.Task)
        ]
        if not started:
            return None
        results = [
            task.result()
            if task.done() and not task.cancelled() and task.exception() is None
            else interrupted_result(call)
            for call, task in started
        ]
        turn = AssistantTurn("".join(self._text), tuple(call for call, _ in started))
        return turn, results

    def _on_progress(self, progress: ToolProgress) -> None:
        """Queue a call's report; a sync tool reports from its worker thread."""
        event = ToolProgressEvent(progress)
        if threading.get_ident() == self._thread:
            self._queue.put_nowait(event)
        else:
            self._loop.call_soon_threadsafe(self._queue.put_nowait, event)

    def _on_ready(self, call: ToolCall) -> list[ToolResultEvent]:
        refusal = self._admit(call)
        if refusal is not None:
            self._decided[call.id] = refusal
            self._yielded.add(call.id)
            return [ToolResultEvent(refusal)]
        if self._early(call):
            self._decided[call.id] = asyncio.create_task(self._run_early(call))
        else:
            self._decided[call.id] = None  # runs with the batch at the end
        return []

    async def _run_early(self, call: ToolCall) -> ToolResult:
        [result] = await self._execute([call], self._on_progress)
        if call.id not in self._pending:
            self._queue.put_nowait(ToolResultEvent(result))
        return result

    async def _finish(self) -> AsyncIterator[ToolProgressEvent | ToolResultEvent]:
        """Run the calls left for the end of the stream; yield what they report as they run.

        Progress and early results arrive while the batch runs, so they are relayed until
        it has settled; then every result not yielded yet, in the calls' order.
        """
        if self.response is None:
            msg = "The provider's stream ended without its TurnEnd event."
            raise RuntimeError(msg)
        if self._replied is not None:
            await self._replied(self.response)
        calls = self.response.turn.tool_calls
        self._decide_the_rest(calls, withheld=self.response.stop_reason == "content_filter")
        batch = [
            call for call in calls if call.id in self._decided and self._decided[call.id] is None
        ]
        running = [
            t for t in self._decided.values() if isinstance(t, asyncio.Task) and not t.done()
        ]
        ran: dict[str, ToolResult] = {}
        if batch or running:
            settling = self._settling = asyncio.create_task(self._settle(batch, running))
            async for event in self._relay(_SETTLED):
                yield cast("ToolProgressEvent | ToolResultEvent", event)
            ran = settling.result()
        results: list[ToolResult] = []
        for call in calls:
            decided = self._decided.get(call.id)
            if call.id in self._cut_reasons:
                results.append(cut_result(call, self._cut_reasons[call.id]))
            elif isinstance(decided, asyncio.Task):
                results.append(await decided)
            elif decided is None:
                results.append(ran[call.id])
            else:
                results.append(decided)
        self.results = results
        held = self._pending
        for result in results:
            if result.call_id not in self._yielded and result.call_id not in held:
                yield ToolResultEvent(result)

    def _decide_the_rest(self, calls: Sequence[ToolCall], *, withheld: bool) -> None:
        """Decide each call the stream did not: cut, withheld (a content filter), or admitted."""
        if withheld:
            self.stop = "content_filter"
        for call in calls:
            if call.id in self._cut_reasons:
                self.cut.append(call)
                self.unadmitted.append(call.id)
            elif withheld and not isinstance(self._decided.get(call.id), asyncio.Task):
                if call.id not in self._decided:
                    self.unadmitted.append(call.id)
                self._decided[call.id] = withheld_result(call)
            elif call.id not in self._decided:  # no ToolCallReady for it: admit it now
                self._decided[call.id] = self._admit(call)

    async def _settle(
        self, batch: Sequence[ToolCall], running: Sequence[asyncio.Task[ToolResult]]
    ) -> dict[str, ToolResult]:
        """Run ``batch``, wait for the early calls still ``running``, then say so in the queue."""
        try:
            ran: list[ToolResult] = []
            if batch:
                ran = await self._execute(batch, self._on_progress)
            if running:
                await asyncio.wait(running)
            return dict(zip([call.id for call in batch], ran, strict=True))
        finally:
            self._queue.put_nowait(_SETTLED)

    async def _cancel(self, pump: asyncio.Task[None]) -> None:
        tasks: list[asyncio.Task[Any]] = [
            pump,
            *(t for t in self._decided.values() if isinstance(t, asyncio.Task)),
        ]
        if self._settling is not None:
            tasks.append(self._settling)
        running = [t for t in tasks if not t.done()]
        for task in running:
            task.cancel()
        for task in running:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
