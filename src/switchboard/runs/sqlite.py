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
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path
from typing import Any, Final

from switchboard.errors import ConfigurationError, RunStateError
from switchboard.runs.delegating import DelegatingStore
from switchboard.runs.location import check_location, is_postgres_url, redact_url
from switchboard.runs.sqlite_file import RunFile

__all__ = ["DEFAULT_PATH", "SQLiteStore"]

DEFAULT_PATH: Final = "switchboard-runs.sqlite3"
"""The store's file when neither a path nor ``SWITCHBOARD_STORE`` is given (working directory)."""


class SQLiteStore(DelegatingStore):
    """A run store in one SQLite file (see `RunStore`).

    Args:
        path: The file; created with its tables on first use. Default: the environment's
            ``SWITCHBOARD_STORE``, else `DEFAULT_PATH` in the working directory. A
            ``postgresql://`` URL is refused (`open_run_store` opens a `PostgresStore` for it), and
            so is a URL of any other scheme.
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
        check_location(path)
        self.path = Path(path).absolute()
        self.durable = durable
        self._database = RunFile(self.path, durable=durable, timeout=timeout)
        # One thread: it owns the connection (sqlite3 objects stay on the thread that made
        # them) and so it also puts the operations of all tasks in one order.
        self._thread = ThreadPoolExecutor(1, thread_name_prefix="switchboard-store")
        self._closed = False

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

    async def _run(self, operation: str, *args: Any) -> Any:
        if self._closed:
            message = f"The run store {self.path} is closed: open a new SQLiteStore."
            raise RunStateError(message)
        loop = asyncio.get_running_loop()
        try:
            run = getattr(self._database, operation)
            return await loop.run_in_executor(self._thread, run, *args)
        except sqlite3.Error as error:  # the disk, a lock held too long, a damaged file
            raise self._database.failed(error) from error
