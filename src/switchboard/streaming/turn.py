"""One streamed model turn inside the loop: events relayed, complete calls started early.

The loop (`Agent.run_stream`) hands a provider's stream to a `StreamedTurn`, which yields
the stream's events and, as each call becomes complete (`ToolCallReady`), admits it
through the loop's guards and, when the loop allows, starts it at once, while the model
is still streaming. Its `ToolResultEvent` is yielded as soon as it finishes. When the
stream ends, the calls that were not started run as one batch, calls the stream ended
inside (`ToolCallCut`) get an error result instead of running, and `results` holds one
result per call of the reply, in order: what `Agent.run` would have made of the same reply.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, cast

from switchboard.messages import StopReason, ToolCall, ToolResult
from switchboard.streaming.events import (
    StreamEvent,
    ToolCallCut,
    ToolCallReady,
    ToolResultEvent,
    TurnEnd,
)

if TYPE_CHECKING:
    from switchboard.providers.base import ModelResponse

Admit = Callable[[ToolCall], ToolResult | None]
"""The loop's guards for one call: a refusal result, or ``None`` to let it run."""

Execute = Callable[[Sequence[ToolCall]], Awaitable[list[ToolResult]]]
"""Run calls as one batch, one result per call, in order."""


def cut_result(call: ToolCall, reason: StopReason) -> ToolResult:
    """The error result for a call the stream ended inside: it was never run."""
    why = (
        "your reply reached the output token limit"
        if reason == "length"
        else "your reply broke off"
    )
    message = f"Not run: {why} before this call's arguments were complete. Make the call again" + (
        ", with shorter arguments." if reason == "length" else "."
    )
    return ToolResult(call.id, call.name, message, is_error=True, error_kind="unparsable")


@dataclass
class _Failed:
    error: Exception


_END = object()


class StreamedTurn:
    """Relays one streamed turn and runs its calls, the complete ones as early as allowed.

    Args:
        admit: The loop's guards, applied to each call in order as it becomes complete.
        execute: Runs a batch of calls.
        early: Whether a complete call may start before the stream ends (never for
            ``sequential`` or ``requires_approval`` tools: the loop decides).
    """

    def __init__(self, *, admit: Admit, execute: Execute, early: Callable[[ToolCall], bool]):
        self._admit = admit
        self._execute = execute
        self._early = early
        self.response: ModelResponse | None = None
        self.results: list[ToolResult] = []
        self.cut: list[ToolCall] = []
        self._cut_reasons: dict[str, StopReason] = {}
        self._decided: dict[str, ToolResult | asyncio.Task[ToolResult] | None] = {}
        self._yielded: set[str] = set()
        self._queue: asyncio.Queue[object] = asyncio.Queue()

    async def run(
        self, stream: AsyncIterator[StreamEvent]
    ) -> AsyncIterator[StreamEvent | ToolResultEvent]:
        """Yield the stream's events and the calls' results; fill `response` and `results`.

        Raises:
            ProviderError: The provider failed before the stream began.
        """
        pump = asyncio.create_task(self._pump(stream))
        try:
            async for item in self._relay():
                yield item
            for event in await self._finish():
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

    async def _relay(self) -> AsyncIterator[StreamEvent | ToolResultEvent]:
        while True:
            item = await self._queue.get()
            if item is _END:
                return
            if isinstance(item, _Failed):
                raise item.error
            if isinstance(item, ToolResultEvent):
                self._yielded.add(item.result.call_id)
                yield item
                continue
            event = cast(StreamEvent, item)
            yield event
            for result in self._see(event):
                yield result

    def _see(self, event: StreamEvent) -> list[ToolResultEvent]:
        if isinstance(event, TurnEnd):
            self.response = event.response
        elif isinstance(event, ToolCallCut):
            self._cut_reasons[event.call.id] = event.reason
        elif isinstance(event, ToolCallReady):
            return self._ready(event.call)
        return []

    def _ready(self, call: ToolCall) -> list[ToolResultEvent]:
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
        [result] = await self._execute([call])
        self._queue.put_nowait(ToolResultEvent(result))
        return result

    async def _finish(self) -> list[ToolResultEvent]:
        if self.response is None:
            msg = "The provider's stream ended without its TurnEnd event."
            raise RuntimeError(msg)
        calls = self.response.turn.tool_calls
        for call in calls:
            if call.id in self._cut_reasons:
                self.cut.append(call)
            elif call.id not in self._decided:  # no ToolCallReady for it: admit it now
                self._decided[call.id] = self._admit(call)
        batch = [
            call for call in calls if call.id in self._decided and self._decided[call.id] is None
        ]
        ran = (
            dict(zip([c.id for c in batch], await self._execute(batch), strict=True))
            if batch
            else {}
        )
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
        return [ToolResultEvent(r) for r in results if r.call_id not in self._yielded]

    async def _cancel(self, pump: asyncio.Task[None]) -> None:
        tasks = [pump, *(t for t in self._decided.values() if isinstance(t, asyncio.Task))]
        running = [t for t in tasks if not t.done()]
        for task in running:
            task.cancel()
        for task in running:
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await task
