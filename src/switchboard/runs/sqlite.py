"""`SQLiteStore`: the default run store, one SQLite file, on the standard library's ``sqlite3``.

Every operation runs on one thread of the store's own, which holds the store's one
connection, so the event loop never waits on the disk and the operations of many tasks are
written one at a time, in the order they were asked for. Each operation is one transaction
(the tables and the operations on them: `switchboard.runs.sqlite_file`).

Durability: the file is in WAL mode with ``synchronous=NORMAL``. A commit then writes its
pages to the write-ahead log with a ``write()`` to the operating system but no ``fsync``:
once the call returns, the commit is in the kernel's page cache, which outlives the process,
so a process killed at any instant (``kill -9``, the crash this store is built for) loses
no committed transaction, and the next opener replays the log. A power loss or an operating
system crash can lose the last transactions before the next checkpoint's ``fsync`` (the
file stays consistent; they roll back): pass ``durable=True`` for ``synchronous=FULL``, an
``fsync`` of the log at every commit. SQLite's own words: "Transactions are durable across
application crashes regardless of the synchronous setting or journal mode", and "A
transaction committed in WAL mode with synchronous=NORMAL might roll back following a power
loss or system crash" (https://www.sqlite.org/pragma.html#pragma_synchronous).
"""

from __future__ import annotations

import asyncio
import os
import sqlite3
from collections.abc import Callable, Mapping
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final, TypeVar

from switchboard.errors import ConfigurationError, RunStateError
from switchboard.runs.location import is_postgres_url, redact_url
from switchboard.runs.rows import check_limit, check_status
from switchboard.runs.sqlite_file import RunFile
from switchboard.runs.state import RunStatus
from switchboard.runs.store import RunSummary, StoredRun

__all__ = ["DEFAULT_PATH", "SQLiteStore"]

DEFAULT_PATH: Final = "switchboard-runs.sqlite3"
"""The store's file when neither a path nor ``SWITCHBOARD_STORE`` is given (working directory)."""

_T = TypeVar("_T")


class SQLiteStore:
    """A run store in one SQLite file (see `RunStore`).

    Args:
        path: The file; created with its tables on first use. Default: the environment's
            ``SWITCHBOARD_STORE``, else `DEFAULT_PATH` in the working directory. A
            ``postgresql://`` URL is refused: `open_run_store` opens a `PostgresStore` for it.
        durable: ``fsync`` at every commit (``synchronous=FULL``), so that commits also
            survive a power loss; by default they survive the process being killed.
        timeout: Seconds to wait for another process's write to the file to end.

    Example:
        >>> import asyncio, tempfile, os
        >>> async def main(path):
        ...     async with SQLiteStore(path) as store:
        ...         await store.create_run("r1", {"model": "local"})
        ...         return (await store.load("r1")).status
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     asyncio.run(main(os.path.join(folder, "runs.sqlite3")))
        'running'
    """

    def __init__(
        self,
        path: str | os.PathLike[str] | None = None,
        *,
        durable: bool = False,
        timeout: float = 5.0,
    ) -> None:
        given = "was given"
        if path is None:
            given = "read from SWITCHBOARD_STORE"
            path = os.environ.get("SWITCHBOARD_STORE") or DEFAULT_PATH
        if is_postgres_url(os.fspath(path)):
            message = (
                f"SQLiteStore {given} the PostgreSQL URL {redact_url(os.fspath(path))!r}, "
                "but it keeps runs in a file. Use open_run_store(), which picks the store "
                "from the location, or PostgresStore."
            )
            raise ConfigurationError(message)
        self.path = Path(path).absolute()
        self.durable = durable
        self._database = RunFile(self.path, durable=durable, timeout=timeout)
        # One thread: it owns the connection (sqlite3 objects stay on the thread that made
        # them) and so it also puts the operations of all tasks in one order.
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="switchboard-store")
        self._closed = False

    async def __aenter__(self) -> SQLiteStore:
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.close()

    async def create_run(self, run_id: str, meta: Mapping[str, Any]) -> None:
        """Record a new run (see `RunStore.create_run`)."""
        await self._call(self._database.create_run, run_id, meta)

    async def save_state(self, run_id: str, state_json: str, status: RunStatus) -> None:
        """Replace the run's state and status (see `RunStore.save_state`)."""
        check_status(status)
        await self._call(self._database.save_state, run_id, state_json, status)

    async def begin_step(self, run_id: str, index: int, request: Mapping[str, Any]) -> None:
        """Record a step's request (see `RunStore.begin_step`)."""
        await self._call(self._database.begin_step, run_id, index, request)

    async def finish_step(self, run_id: str, index: int, response: Mapping[str, Any]) -> None:
        """Record a step's response (see `RunStore.finish_step`)."""
        await self._call(self._database.finish_step, run_id, index, response)

    async def call_started(
        self,
        run_id: str,
        step: int,
        call_id: str,
        tool: str,
        arguments: str | Mapping[str, Any],
    ) -> None:
        """Record that a call starts (see `RunStore.call_started`)."""
        await self._call(self._database.call_started, run_id, step, call_id, tool, arguments)

    async def call_finished(
        self, run_id: str, step: int, call_id: str, result: Mapping[str, Any]
    ) -> None:
        """Record a call's result (see `RunStore.call_finished`)."""
        await self._call(self._database.call_finished, run_id, step, call_id, result)

    async def load(self, run_id: str) -> StoredRun:
        """Everything stored of one run (see `RunStore.load`)."""
        return await self._call(self._database.load, run_id)

    async def list_runs(
        self, status: RunStatus | None = None, limit: int = 100
    ) -> list[RunSummary]:
        """The runs, newest first (see `RunStore.list_runs`)."""
        if status is not None:
            check_status(status)
        check_limit(limit)
        return await self._call(self._database.list_runs, status, limit)

    async def close(self) -> None:
        """Close the connection and end the store's thread; closing twice does nothing."""
        if self._closed:
            return
        self._closed = True
        loop = asyncio.get_running_loop()
        try:
            await loop.run_in_executor(self._thread, self._database.close)
        finally:
            self._thread.shutdown(wait=False)

    async def _call(self, operation: Callable[..., _T], *args: Any) -> _T:
        if self._closed:
            message = f"The run store {self.path} is closed: open a new SQLiteStore."
            raise RunStateError(message)
        loop = asyncio.get_running_loop()
        try:
            return await loop.run_in_executor(self._thread, operation, *args)
        except sqlite3.Error as error:  # the disk, a lock held too long, a damaged file
            raise self._database.failed(error) from error
