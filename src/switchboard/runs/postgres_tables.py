"""`RunTables`: the run store's tables in a PostgreSQL schema, and the operations on them.

Imported only by `PostgresStore`, once it is used: this module loads psycopg. Every write
is one statement on an autocommit connection, so one transaction and one round trip; a
state's save too (one statement of data-modifying ``WITH`` parts). A batch of writes
(`RunTables.write`) is one transaction of their statements: one commit, and so one flush
to the server's disk, for the batch. ``load`` reads in one
``REPEATABLE READ`` transaction, so it sees the run, its state, steps and calls as of one
instant.

A state is kept in chunks (`switchboard.runs.chunks`). A save names the run's save count
of the last save this store made: if another connection saved since, the count differs,
the statement changes nothing, and the state is written whole instead (a second
statement). The count is checked on the run's row after its lock is taken, so two
machines saving the same run at once each write a whole, consistent state.

Times are the server's (``now()``), not the machines': a store shared by several machines
orders its runs by one clock.
"""

from __future__ import annotations

import zlib
from collections.abc import Mapping
from typing import Any, Final, cast

import psycopg
from psycopg import AsyncConnection, errors, sql
from psycopg.conninfo import conninfo_to_dict, make_conninfo
from psycopg.rows import TupleRow

from switchboard.errors import ConfigurationError, RunStateError
from switchboard.runs.chunks import LastSaves, split
from switchboard.runs.codec import dumps, loads
from switchboard.runs.location import is_postgres_url, redact_url
from switchboard.runs.rows import (
    STORE_SCHEMA_VERSION,
    arguments_text,
    call_done,
    check_response_kept,
    check_result_kept,
    check_schema_version,
    check_settled,
    no_run,
    no_step,
    run_exists,
    step_answered,
    steps_from_rows,
)
from switchboard.runs.state import RunStatus
from switchboard.runs.store import RunSummary, StoredRun
from switchboard.runs.writes import StoreWrite

__all__ = ["CHUNK", "STORE_SCHEMA_VERSION", "Connection", "RunTables", "describe"]

CHUNK: Final = 1_900
"""Characters of a state per row of the ``states`` table.

Smaller than SQLite's: a row of over about 2 KB is compressed and moved to PostgreSQL's
TOAST table (https://www.postgresql.org/docs/current/storage-toast.html), and a save
rewrites the state's last chunk: with 16 KB chunks a save took 1.8 ms on average over the
1,000 steps of ``benchmarks/run_store.py``'s run, with these 0.69 ms. A chunk of 1,900 ASCII
characters stays in its row.
"""

Connection = AsyncConnection[TupleRow]

_LOCK_CLASS: Final = 0x5357_4252
"""The first key of the advisory lock taken while a schema's tables are made ("SWBR")."""

_SCHEMA: Final = (
    "CREATE TABLE schema_version (version integer NOT NULL)",
    """CREATE TABLE runs (
        run_id text PRIMARY KEY,
        seq bigint GENERATED ALWAYS AS IDENTITY,
        status text NOT NULL CHECK (status IN ('running', 'paused', 'finished', 'failed')),
        meta text NOT NULL,
        state_chunks integer,
        saves integer NOT NULL,
        created_at timestamptz NOT NULL,
        updated_at timestamptz NOT NULL
    )""",
    "CREATE INDEX runs_by_age ON runs (created_at, seq)",
    "CREATE INDEX runs_by_status ON runs (status, created_at, seq)",
    """CREATE TABLE states (
        run_id text NOT NULL REFERENCES runs (run_id),
        chunk integer NOT NULL,
        text text NOT NULL,
        PRIMARY KEY (run_id, chunk)
    )""",
    """CREATE TABLE steps (
        run_id text NOT NULL REFERENCES runs (run_id),
        step integer NOT NULL,
        request text NOT NULL,
        response text,
        started_at timestamptz NOT NULL,
        finished_at timestamptz,
        PRIMARY KEY (run_id, step)
    )""",
    """CREATE TABLE calls (
        seq bigint GENERATED ALWAYS AS IDENTITY,
        run_id text NOT NULL,
        step integer NOT NULL,
        call_id text NOT NULL,
        tool text NOT NULL,
        arguments text NOT NULL,
        status text NOT NULL CHECK (status IN ('started', 'finished')),
        result text,
        attempts integer NOT NULL,
        started_at timestamptz NOT NULL,
        finished_at timestamptz,
        UNIQUE (run_id, step, call_id),
        FOREIGN KEY (run_id, step) REFERENCES steps (run_id, step),
        CHECK ((status = 'finished') = (result IS NOT NULL))
    )""",
)

# One statement: the run's row (locked, its save count checked and counted on), the chunks
# that changed, and the chunks past the new end dropped; nothing if the count differs.
_SAVE: Final = """
WITH run AS (
    UPDATE runs
    SET state_chunks = %(count)s, saves = saves + 1, status = %(status)s, updated_at = now()
    WHERE run_id = %(run_id)s AND (%(saves)s::integer IS NULL OR saves = %(saves)s::integer)
    RETURNING run_id, saves
), written AS (
    INSERT INTO states (run_id, chunk, text)
    SELECT run.run_id, new.chunk, new.text
    FROM run, unnest(%(chunks)s::integer[], %(texts)s::text[]) AS new (chunk, text)
    ON CONFLICT (run_id, chunk) DO UPDATE SET text = excluded.text
), dropped AS (
    DELETE FROM states WHERE run_id IN (SELECT run_id FROM run) AND chunk >= %(count)s
)
SELECT saves FROM run
"""

_LOAD_RUN: Final = """
SELECT status, meta, state_chunks IS NOT NULL,
    extract(epoch FROM created_at)::float8, extract(epoch FROM updated_at)::float8,
    (SELECT string_agg(s.text, '' ORDER BY s.chunk) FROM states s
     WHERE s.run_id = r.run_id AND s.chunk < r.state_chunks)
FROM runs r WHERE run_id = %s
"""

_LOAD_STEPS: Final = """
SELECT step, request, response,
    extract(epoch FROM started_at)::float8, extract(epoch FROM finished_at)::float8
FROM steps WHERE run_id = %s ORDER BY step
"""

_LOAD_CALLS: Final = """
SELECT step, call_id, tool, arguments, status, result, attempts,
    extract(epoch FROM started_at)::float8, extract(epoch FROM finished_at)::float8
FROM calls WHERE run_id = %s ORDER BY seq
"""

_LOADS: Final = (_LOAD_RUN, _LOAD_STEPS, _LOAD_CALLS)

_LIST: Final = """
SELECT run_id, status, meta,
    extract(epoch FROM created_at)::float8, extract(epoch FROM updated_at)::float8
FROM runs {where} ORDER BY created_at DESC, seq DESC LIMIT %s
"""
# Two statements rather than one with "status IS NULL OR": each then has its index.
_LIST_ALL: Final = _LIST.format(where="")
_LIST_STATUS: Final = _LIST.format(where="WHERE status = %s")


def describe(dsn: str, schema: str) -> str:
    """How messages name the store: its connection settings without the password.

    Raises:
        ConfigurationError: ``dsn`` is no connection string libpq reads.
    """
    try:
        settings = conninfo_to_dict(dsn)
    except psycopg.ProgrammingError as error:
        shown = f" {redact_url(dsn)!r}" if is_postgres_url(dsn) else ""
        message = (
            f"The PostgreSQL connection string{shown} cannot be read: {_first_line(error)}. Give "
            "a URL (postgresql://user@host:5432/dbname) or key=value settings (host=... "
            "dbname=...)."
        )
        raise ConfigurationError(message) from error
    settings.pop("password", None)
    return f"PostgreSQL {make_conninfo('', **settings) or '(libpq defaults)'}, schema {schema!r}"


class RunTables:
    """The run store's operations on the tables of one PostgreSQL schema.

    Args:
        where: How messages name the store (`describe`).
        schema: The PostgreSQL schema holding the tables; created on first use.
    """

    def __init__(self, where: str, schema: str) -> None:
        self.where = where
        self.schema = schema
        self._last_saves = LastSaves()

    async def connect(self, dsn: str) -> Connection:
        """A new autocommit connection on the store's schema; its tables made if missing."""
        try:
            # The name shows in pg_stat_activity, unless the connection string names another.
            db = await AsyncConnection.connect(
                dsn, autocommit=True, fallback_application_name="switchboard"
            )
        except psycopg.OperationalError as error:
            message = (
                f"Cannot connect to the run store {self.where}: {_first_line(error)}. Check "
                "that the server is running and that the connection string names it, the "
                "database, the user and the password."
            )
            raise RunStateError(message) from error
        try:
            await self._prepare(db)
        except BaseException:
            await db.close()
            raise
        return db

    async def create_run(self, db: Connection, run_id: str, meta: Mapping[str, Any]) -> None:
        """See `RunStore.create_run`."""
        text = dumps(meta, f"The meta of run {run_id!r}")
        try:
            await db.execute(
                "INSERT INTO runs (run_id, status, meta, saves, created_at, updated_at) "
                "VALUES (%s, 'running', %s, 0, now(), now())",
                (run_id, text),
            )
        except errors.UniqueViolation:
            raise run_exists(run_id, self.where) from None

    async def save_state(
        self, db: Connection, run_id: str, state_json: str, status: RunStatus
    ) -> None:
        """See `RunStore.save_state`: writes only the chunks that differ from the last save."""
        cached = self._last_saves.take(run_id)
        if cached is not None:
            saves, last = cached
            kept, chunks = split(state_json, last, CHUNK)
            if await self._save(db, run_id, status, chunks, kept, saves) is not None:
                self._last_saves.keep(run_id, saves + 1, chunks)
                return
        _, chunks = split(state_json, [], CHUNK)
        saves = await self._save(db, run_id, status, chunks, 0, None)
        if saves is None:
            raise no_run(run_id, self.where)
        self._last_saves.keep(run_id, saves, chunks)

    async def begin_step(
        self, db: Connection, run_id: str, index: int, request: Mapping[str, Any]
    ) -> None:
        """See `RunStore.begin_step`."""
        text = dumps(request, f"The request of step {index} of run {run_id!r}")
        try:
            cursor = await db.execute(
                "INSERT INTO steps (run_id, step, request, started_at) "
                "VALUES (%s, %s, %s, now()) "
                "ON CONFLICT (run_id, step) DO UPDATE "
                "SET request = excluded.request, started_at = excluded.started_at "
                "WHERE steps.response IS NULL",
                (run_id, index, text),
            )
        except errors.ForeignKeyViolation:
            raise no_run(run_id, self.where) from None
        if not cursor.rowcount:
            raise step_answered(run_id, index)

    async def finish_step(
        self, db: Connection, run_id: str, index: int, response: Mapping[str, Any]
    ) -> None:
        """See `RunStore.finish_step`."""
        text = dumps(response, f"The response of step {index} of run {run_id!r}")
        cursor = await db.execute(
            "UPDATE steps SET response = %s, finished_at = now() "
            "WHERE run_id = %s AND step = %s AND response IS NULL",
            (text, run_id, index),
        )
        if cursor.rowcount:
            return
        cursor = await db.execute(
            "SELECT response FROM steps WHERE run_id = %s AND step = %s", (run_id, index)
        )
        check_response_kept(run_id, index, self.where, await cursor.fetchone(), response)

    async def call_started(
        self,
        db: Connection,
        run_id: str,
        step: int,
        call_id: str,
        tool: str,
        arguments: str | Mapping[str, Any],
    ) -> None:
        """See `RunStore.call_started`."""
        text = arguments_text(run_id, call_id, arguments)
        try:
            cursor = await db.execute(
                "INSERT INTO calls (run_id, step, call_id, tool, arguments, status, attempts, "
                "started_at) VALUES (%s, %s, %s, %s, %s, 'started', 1, now()) "
                "ON CONFLICT (run_id, step, call_id) DO UPDATE "
                "SET tool = excluded.tool, arguments = excluded.arguments, "
                "attempts = calls.attempts + 1, started_at = excluded.started_at "
                "WHERE calls.status = 'started'",
                (run_id, step, call_id, tool, text),
            )
        except errors.ForeignKeyViolation:
            raise no_step(run_id, step, self.where) from None
        if not cursor.rowcount:
            raise call_done(run_id, step, call_id)

    async def call_finished(
        self, db: Connection, run_id: str, step: int, call_id: str, result: Mapping[str, Any]
    ) -> None:
        """See `RunStore.call_finished`."""
        text = dumps(result, f"The result of call {call_id!r} of run {run_id!r}")
        cursor = await db.execute(
            "UPDATE calls SET status = 'finished', result = %s, finished_at = now() "
            "WHERE run_id = %s AND step = %s AND call_id = %s AND status = 'started'",
            (text, run_id, step, call_id),
        )
        if cursor.rowcount:
            return
        row = await _stored_result(db, run_id, step, call_id)
        check_result_kept(run_id, step, call_id, row, result)

    async def call_settled(
        self,
        db: Connection,
        run_id: str,
        step: int,
        call_id: str,
        tool: str,
        arguments: str | Mapping[str, Any],
        result: Mapping[str, Any],
    ) -> None:
        """See `CallSettled`: the call's row, finished with ``result`` and no attempt."""
        text = arguments_text(run_id, call_id, arguments)
        answer = dumps(result, f"The result of call {call_id!r} of run {run_id!r}")
        try:
            cursor = await db.execute(
                "INSERT INTO calls (run_id, step, call_id, tool, arguments, status, result, "
                "attempts, started_at, finished_at) "
                "VALUES (%s, %s, %s, %s, %s, 'finished', %s, 0, now(), now()) "
                "ON CONFLICT (run_id, step, call_id) DO NOTHING",
                (run_id, step, call_id, tool, text, answer),
            )
        except errors.ForeignKeyViolation:
            raise no_step(run_id, step, self.where) from None
        if cursor.rowcount:
            return
        row = await _stored_result(db, run_id, step, call_id)
        check_settled(run_id, step, call_id, row, result)

    async def write(self, db: Connection, run_id: str, writes: tuple[StoreWrite, ...]) -> None:
        """See `RunStore.write`: the writes' own operations, in one transaction."""
        try:
            async with db.transaction():
                for write in writes:
                    await getattr(self, write.operation)(db, run_id, *write.args())
        except BaseException:
            # A save_state of the batch remembered chunks that were rolled back.
            self._last_saves.take(run_id)
            raise

    async def load(self, db: Connection, run_id: str) -> StoredRun:
        """See `RunStore.load`."""
        # A pipeline: the transaction and its three reads are sent at once, one round trip.
        async with db.pipeline(), db.transaction():
            await db.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY")
            reads = [await db.execute(query, (run_id,)) for query in _LOADS]
        run = await reads[0].fetchone()
        if run is None:
            raise no_run(run_id, self.where)
        steps, calls = await reads[1].fetchall(), await reads[2].fetchall()
        status, meta, has_state, created, updated, state = run
        return StoredRun(
            run_id=run_id,
            status=cast("RunStatus", status),
            meta=loads(meta, "A stored run's meta"),
            state=(state or "") if has_state else None,
            steps=steps_from_rows(steps, calls),
            created_at=created,
            updated_at=updated,
        )

    async def list_runs(
        self, db: Connection, status: RunStatus | None, limit: int
    ) -> list[RunSummary]:
        """See `RunStore.list_runs`."""
        if status is None:
            cursor = await db.execute(_LIST_ALL, (limit,))
        else:
            cursor = await db.execute(_LIST_STATUS, (status, limit))
        return [
            RunSummary(run_id, cast("RunStatus", st), loads(meta, "A stored run's meta"), c, u)
            for run_id, st, meta, c, u in await cursor.fetchall()
        ]

    def failed(self, error: BaseException) -> RunStateError | None:
        """The error to raise for a failure of PostgreSQL itself; None for any other error."""
        if not isinstance(error, psycopg.Error):
            return None
        if isinstance(error, psycopg.OperationalError | psycopg.InterfaceError):
            fix = "Check that the server is running and reachable; the next operation reconnects."
        else:  # a value PostgreSQL cannot hold, or tables changed by hand
            fix = "Nothing was written; check the values and the schema's tables."
        return RunStateError(
            f"The run store {self.where} cannot be used: {_first_line(error)}. {fix}"
        )

    async def _save(
        self,
        db: Connection,
        run_id: str,
        status: RunStatus,
        chunks: list[str],
        kept: int,
        saves: int | None,
    ) -> int | None:
        """Write the chunks from ``kept`` on, if the run's save count is ``saves`` (None: any).

        Returns the run's new save count, or None if nothing was written.
        """
        parameters = {
            "run_id": run_id,
            "status": status,
            "count": len(chunks),
            "saves": saves,
            "chunks": list(range(kept, len(chunks))),
            "texts": chunks[kept:],
        }
        row = await (await db.execute(_SAVE, parameters)).fetchone()
        return None if row is None else row[0]

    async def _prepare(self, db: Connection) -> None:
        """Use the store's schema; create it and its tables if missing; refuse a newer one."""
        await db.execute(sql.SQL("SET search_path TO {}").format(sql.Identifier(self.schema)))
        exists, version = await self._version(db)
        if not exists:
            async with db.transaction():
                # Two machines opening a new store at once: one makes the tables, the other
                # waits for it here and then finds them.
                key = zlib.crc32(self.schema.encode()) - 2**31  # PostgreSQL's int4
                await db.execute("SELECT pg_advisory_xact_lock(%s, %s)", (_LOCK_CLASS, key))
                exists, version = await self._version(db)
                if not exists:
                    await self._create(db)
                    version = STORE_SCHEMA_VERSION
        check_schema_version(version, self.where, "schema")

    async def _create(self, db: Connection) -> None:
        """Create the schema (unless it exists) and the tables in it."""
        found = await db.execute("SELECT 1 FROM pg_namespace WHERE nspname = %s", (self.schema,))
        # Checked first: CREATE SCHEMA IF NOT EXISTS still needs the right to create one.
        if await found.fetchone() is None:
            await db.execute(sql.SQL("CREATE SCHEMA {}").format(sql.Identifier(self.schema)))
        for statement in _SCHEMA:
            await db.execute(statement)
        await db.execute("INSERT INTO schema_version VALUES (%s)", (STORE_SCHEMA_VERSION,))

    async def _version(self, db: Connection) -> tuple[bool, object]:
        """Whether the schema has a schema_version table, and the version it holds."""
        table = await db.execute(
            "SELECT 1 FROM pg_tables WHERE schemaname = %s AND tablename = 'schema_version'",
            (self.schema,),
        )
        if await table.fetchone() is None:
            return False, None
        row = await (await db.execute("SELECT max(version) FROM schema_version")).fetchone()
        return True, None if row is None else row[0]


async def _stored_result(
    db: Connection, run_id: str, step: int, call_id: str
) -> tuple[Any, ...] | None:
    """A call's ``(result,)`` row, after a write to it changed nothing."""
    cursor = await db.execute(
        "SELECT result FROM calls WHERE run_id = %s AND step = %s AND call_id = %s",
        (run_id, step, call_id),
    )
    return await cursor.fetchone()


def _first_line(error: BaseException) -> str:
    """An error's message without libpq's extra lines (details, hints, the statement)."""
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
