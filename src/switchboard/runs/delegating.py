"""`DelegatingStore`: the `RunStore` methods of a backend that runs each operation its own way.

Every store checks the arguments the same way and hands each operation, by name, to its
backend: `SQLiteStore` on its thread, `PostgresStore` on its connection. A backend only says
how an operation runs (`DelegatingStore._run`) and how the store closes. Its ``write``
operation makes a batch (a tuple of `StoreWrite`) in one transaction, each write by the
backend's operation its ``operation`` names.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Mapping, Sequence
from typing import Any, Self, cast

from switchboard.runs.rows import check_limit, check_status
from switchboard.runs.state import RunStatus
from switchboard.runs.store import RunSummary, StoredRun
from switchboard.runs.writes import SaveState, StoreWrite

__all__ = ["DelegatingStore"]


class DelegatingStore(ABC):
    """The `RunStore` protocol, each operation checked and then run by `_run`."""

    async def __aenter__(self) -> Self:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def create_run(self, run_id: str, meta: Mapping[str, Any]) -> None:
        """Record a new run (see `RunStore.create_run`)."""
        await self._run("create_run", run_id, meta)

    async def save_state(self, run_id: str, state_json: str, status: RunStatus) -> None:
        """Replace the run's state and status (see `RunStore.save_state`)."""
        check_status(status)
        await self._run("save_state", run_id, state_json, status)

    async def begin_step(self, run_id: str, index: int, request: Mapping[str, Any]) -> None:
        """Record a step's request (see `RunStore.begin_step`)."""
        await self._run("begin_step", run_id, index, request)

    async def finish_step(self, run_id: str, index: int, response: Mapping[str, Any]) -> None:
        """Record a step's response (see `RunStore.finish_step`)."""
        await self._run("finish_step", run_id, index, response)

    async def call_started(
        self,
        run_id: str,
        step: int,
        call_id: str,
        tool: str,
        arguments: str | Mapping[str, Any],
    ) -> None:
        """Record that a call starts (see `RunStore.call_started`)."""
        await self._run("call_started", run_id, step, call_id, tool, arguments)

    async def call_finished(
        self, run_id: str, step: int, call_id: str, result: Mapping[str, Any]
    ) -> None:
        """Record a call's result (see `RunStore.call_finished`)."""
        await self._run("call_finished", run_id, step, call_id, result)

    async def write(self, run_id: str, writes: Sequence[StoreWrite]) -> None:
        """Make a batch of writes in one transaction (see `RunStore.write`)."""
        batch = tuple(writes)
        for write in batch:
            if isinstance(write, SaveState):
                check_status(write.status)
        if batch:
            await self._run("write", run_id, batch)

    async def load(self, run_id: str) -> StoredRun:
        """Everything stored of one run (see `RunStore.load`)."""
        return cast(StoredRun, await self._run("load", run_id))

    async def list_runs(
        self, status: RunStatus | None = None, limit: int = 100
    ) -> list[RunSummary]:
        """The runs, newest first (see `RunStore.list_runs`)."""
        if status is not None:
            check_status(status)
        check_limit(limit)
        return cast("list[RunSummary]", await self._run("list_runs", status, limit))

    @abstractmethod
    async def close(self) -> None:
        """Release the store's connection; closing twice does nothing."""

    @abstractmethod
    async def _run(self, operation: str, *args: Any) -> Any:
        """Run the backend's ``operation`` with ``args``; raise `RunStateError` on failure."""
