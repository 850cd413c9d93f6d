"""`PostgresStore`: the run store in a PostgreSQL database, shared by every machine using it.

Runs started on one machine are listed, viewed and resumed on another: point each at the
same database (``SWITCHBOARD_STORE=postgresql://...``, read by `open_run_store`). It keeps
the same rows, with the same rules, as `SQLiteStore` (the tables and the operations on
them: `switchboard.runs.postgres_tables`), in a schema of its own (``switchboard`` by
default), created on first use.

One connection per store, opened on first use, and one operation on it at a time (an
`asyncio.Lock`): the operations of the many tasks of a process are written one at a time, in
the order they were asked for, as `SQLiteStore` writes them on its thread. A pool would let
several runs of one process write at once; psycopg's pool is another package
(``psycopg_pool``), and each write is one short statement, so one connection keeps up with
the loop (see ``benchmarks/run_store.py``). A process running many runs at once may open one
store per group of runs. A connection lost (the server restarted) fails the operation in
flight with `RunStateError`; the next operation connects again.

Durability: a write returns once PostgreSQL has committed it. With the server's default
``synchronous_commit = on`` the commit is flushed to its disk first, so it survives the
process being killed, the server being killed and a power loss. With
``synchronous_commit = off`` (a setting of the server, the database, the user, or the
connection string's ``options=-c synchronous_commit=off``) a commit survives the process
being killed but the last ones can be lost if the server crashes
(https://www.postgresql.org/docs/current/wal-async-commit.html).

psycopg (3, async) is an optional dependency: ``pip install "switchboard[postgres]"``. It is
imported when a `PostgresStore` is made, never by ``import switchboard``.
"""

from __future__ import annotations

import asyncio
from typing import TYPE_CHECKING, Any, Final

from switchboard.errors import ConfigurationError, RunStateError
from switchboard.runs.delegating import DelegatingStore

if TYPE_CHECKING:
    from switchboard.runs.postgres_tables import Connection, RunTables

__all__ = ["DEFAULT_SCHEMA", "PostgresStore"]

DEFAULT_SCHEMA: Final = "switchboard"
"""The PostgreSQL schema holding the store's tables when none is given."""


class PostgresStore(DelegatingStore):
    """A run store in a PostgreSQL database (see `RunStore`), on psycopg 3's async connection.

    Args:
        dsn: The database: a URL (``postgresql://user:password@host:5432/dbname``) or libpq's
            ``key=value`` settings; libpq's environment variables (``PGHOST``, ``PGPASSWORD``,
            ...) and password file fill in what it leaves out.
        schema: The PostgreSQL schema holding the store's tables, so they keep clear of the
            database's other tables; it and its tables are created on first use (which
            needs the right to create them), and a schema of a newer store version is
            refused.

    Raises:
        ConfigurationError: psycopg is not installed, or ``dsn`` cannot be read.

    Example:
        ``async with PostgresStore("postgresql://runs@db.internal/switchboard") as store:
        print(await store.list_runs(status="paused"))``
    """

    def __init__(self, dsn: str, *, schema: str = DEFAULT_SCHEMA) -> None:
        try:
            from switchboard.runs.postgres_tables import RunTables, describe
        except ImportError as error:
            message = (
                f"PostgresStore needs psycopg, which is not installed ({error}). Install the "
                'extra: pip install "switchboard[postgres]"'
            )
            raise ConfigurationError(message) from error
        if not schema:
            message = "PostgresStore(schema=''): name the PostgreSQL schema for the tables."
            raise ConfigurationError(message)
        self.dsn = dsn
        self.schema = schema
        self.where = describe(dsn, schema)
        """How messages name the store: its connection settings without the password."""
        self._tables: RunTables = RunTables(self.where, schema)
        self._connection: Connection | None = None
        self._lock = asyncio.Lock()
        self._closed = False

    async def close(self) -> None:
        """Close the connection; closing twice does nothing."""
        if self._closed:
            return
        self._closed = True
        async with self._lock:  # after the operation in flight, if any
            await self._drop()

    async def _run(self, operation: str, *args: Any) -> Any:
        if self._closed:
            message = f"The run store {self.where} is closed: open a new PostgresStore."
            raise RunStateError(message)
        async with self._lock:
            db = self._connection
            if db is None or db.closed:
                db = self._connection = await self._tables.connect(self.dsn)
            # A task cancelled inside an operation: psycopg cancels the statement on the
            # server and reads its end, so the connection stays usable (whether the server
            # had committed it is unknown, as after a crash).
            try:
                return await getattr(self._tables, operation)(db, *args)
            except Exception as error:
                failure = self._tables.failed(error)
                if failure is None:
                    raise
                raise failure from error

    async def _drop(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()
