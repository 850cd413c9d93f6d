"""A run store that stops its run at a chosen write, as if the process had died there.

`CrashingStore` passes every operation to a real store and notes it in ``log``; at the
``nth`` call of operation ``at`` it raises `asyncio.CancelledError` (which the loop lets
through, as it must let a cancellation through), before or after the write is done. What
the real store holds then is what a process killed at that instant leaves.

A batch (`RunStore.write`) is noted as its writes, each by its operation's name, and is one
transaction: stopping at one of its writes stops before or after the whole batch.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Any

from switchboard import RunStatus, RunStore, RunSummary, StoredRun
from switchboard.runs.writes import StoreWrite


class CrashingStore:
    """A `RunStore` over ``store`` that stops the run at one write (see the module's doc).

    Args:
        store: The real store.
        at: The operation to stop at (``"call_started"``, ``"save_state"``, ...), or "".
        nth: Stop at its nth call (1 is the first).
        done: Whether the write is done before the stop (the process died just after it).
    """

    def __init__(self, store: RunStore, at: str = "", nth: int = 1, *, done: bool = True) -> None:
        self.store = store
        self.at = at
        self.nth = nth
        self.done = done
        self.log: list[tuple[str, tuple[Any, ...]]] = []
        self.batches: list[list[str]] = []
        """The operations of each batch written, in order."""

    async def _op(self, name: str, *args: Any) -> Any:
        self.log.append((name, args))
        self.refuse([name])
        stop = self._stops_at(name)
        if stop and not self.done:
            raise asyncio.CancelledError
        result = await getattr(self.store, name)(*args)
        if stop:
            raise asyncio.CancelledError
        return result

    async def create_run(self, run_id: str, meta: Mapping[str, Any]) -> None:
        await self._op("create_run", run_id, meta)

    async def save_state(self, run_id: str, state_json: str, status: RunStatus) -> None:
        await self._op("save_state", run_id, state_json, status)

    async def begin_step(self, run_id: str, index: int, request: Mapping[str, Any]) -> None:
        await self._op("begin_step", run_id, index, request)

    async def finish_step(self, run_id: str, index: int, response: Mapping[str, Any]) -> None:
        await self._op("finish_step", run_id, index, response)

    async def call_started(
        self, run_id: str, step: int, call_id: str, tool: str, arguments: Any
    ) -> None:
        await self._op("call_started", run_id, step, call_id, tool, arguments)

    async def call_finished(
        self, run_id: str, step: int, call_id: str, result: Mapping[str, Any]
    ) -> None:
        await self._op("call_finished", run_id, step, call_id, result)

    async def write(self, run_id: str, writes: Sequence[StoreWrite]) -> None:
        stops = False
        for write in writes:
            self.log.append((write.operation, (run_id, *write.args())))
            stops = stops or self._stops_at(write.operation)
        operations = [write.operation for write in writes]
        self.batches.append(operations)
        self.refuse(operations)
        if stops and not self.done:
            raise asyncio.CancelledError
        await self.store.write(run_id, writes)
        if stops:
            raise asyncio.CancelledError

    def refuse(self, operations: list[str]) -> None:
        """Raise to refuse a batch of these operations; a test's store overrides it."""

    def _stops_at(self, name: str) -> bool:
        return name == self.at and sum(1 for op, _ in self.log if op == name) == self.nth

    async def load(self, run_id: str) -> StoredRun:
        return await self.store.load(run_id)

    async def list_runs(
        self, status: RunStatus | None = None, limit: int = 100
    ) -> list[RunSummary]:
        return await self.store.list_runs(status, limit)

    async def close(self) -> None:
        await self.store.close()
