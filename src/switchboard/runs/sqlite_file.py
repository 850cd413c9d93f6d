"""`RunFile`: the run store's tables in one SQLite file, and the operations on them.

Used from one thread only (`SQLiteStore`'s): sqlite3 objects stay on the thread that made
them. Every write is one transaction, and so is a batch of them (`RunFile.write`); ``load``
reads in one transaction too.

A run's state is kept in chunks of `CHUNK` characters (the ``states`` table), and a save
writes only the chunks that changed (`switchboard.runs.chunks`).
"""

from __future__ import annotations

import sqlite3
import time
from collections.abc import Generator, Mapping
from contextlib import contextmanager
from pathlib import Path
from typing import Any, Final, Literal, cast

from switchboard.errors import RunStateError
from switchboard.runs.chunks import CHUNK, LastSaves, split
from switchboard.runs.codec import dumps, loads
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

__all__ = ["CHUNK", "STORE_SCHEMA_VERSION", "RunFile"]

_SCHEMA: Final = (
    "CREATE TABLE schema_version (version INTEGER NOT NULL)",
    """CREATE TABLE runs (
        run_id TEXT PRIMARY KEY,
        status TEXT NOT NULL CHECK (status IN ('running', 'paused', 'finished', 'failed')),
        meta TEXT NOT NULL,
        state_chunks INTEGER,
        saves INTEGER NOT NULL,
        created_at REAL NOT NULL,
        updated_at REAL NOT NULL
    )""",
    "CREATE INDEX runs_by_age ON runs (created_at)",
    "CREATE INDEX runs_by_status ON runs (status, created_at)",
    """CREATE TABLE states (
        run_id TEXT NOT NULL REFERENCES runs (run_id),
        chunk INTEGER NOT NULL,
        text TEXT NOT NULL,
        PRIMARY KEY (run_id, chunk)
    )""",
    """CREATE TABLE steps (
        run_id TEXT NOT NULL REFERENCES runs (run_id),
        step INTEGER NOT NULL,
        request TEXT NOT NULL,
        response TEXT,
        started_at REAL NOT NULL,
        finished_at REAL,
        PRIMARY KEY (run_id, step)
    )""",
    """CREATE TABLE calls (
        run_id TEXT NOT NULL,
        step INTEGER NOT NULL,
        call_id TEXT NOT NULL,
        tool TEXT NOT NULL,
        arguments TEXT NOT NULL,
        status TEXT NOT NULL CHECK (status IN ('started', 'finished')),
        result TEXT,
        attempts INTEGER NOT NULL,
        started_at REAL NOT NULL,
        finished_at REAL,
        UNIQUE (run_id, step, call_id),
        FOREIGN KEY (run_id, step) REFERENCES steps (run_id, step),
        CHECK ((status = 'finished') = (result IS NOT NULL))
    )""",
)


class RunFile:
    """The run store's operations on one SQLite file; the connection opens on first use.

    Args:
        path: The file.
        durable: ``synchronous=FULL`` rather than ``NORMAL`` (see `SQLiteStore`).
        timeout: Seconds to wait for another connection's write lock.
    """

    def __init__(self, path: Path, *, durable: bool, timeout: float) -> None:
        self.path = path
        self.durable = durable
        self.timeout = timeout
        self._connection: sqlite3.Connection | None = None
        self._last_saves = LastSaves()

    def close(self) -> None:
        """Close the connection, if it was opened."""
        if self._connection is not None:
            self._connection.close()
            self._connection = None

    def create_run(self, run_id: str, meta: Mapping[str, Any]) -> None:
        """See `RunStore.create_run`."""
        text = dumps(meta, f"The meta of run {run_id!r}")
        now = time.time()
        try:
            self._execute(
                "INSERT INTO runs VALUES (?, 'running', ?, NULL, 0, ?, ?)", (run_id, text, now, now)
            )
        except sqlite3.IntegrityError:
            raise run_exists(run_id, str(self.path)) from None

    def save_state(self, run_id: str, state_json: str, status: RunStatus) -> None:
        """See `RunStore.save_state`: writes only the chunks that differ from the last save."""
        db = self._open()
        with _transaction(db, "BEGIN IMMEDIATE"):
            row = db.execute("SELECT saves FROM runs WHERE run_id = ?", (run_id,)).fetchone()
            if row is None:
                raise no_run(run_id, str(self.path))
            saves: int = row[0]
            # The last save's chunks are valid while the count in the file is the same (no
            # other connection saved since).
            cached = self._last_saves.take(run_id)
            valid = cached is not None and cached[0] == saves
            last = cached[1] if cached is not None and valid else []
            kept, chunks = split(state_json, last)
            db.executemany(
                "INSERT INTO states VALUES (?, ?, ?) "
                "ON CONFLICT (run_id, chunk) DO UPDATE SET text = excluded.text",
                [(run_id, index, chunks[index]) for index in range(kept, len(chunks))],
            )
            if not valid or len(last) > len(chunks):
                db.execute(
                    "DELETE FROM states WHERE run_id = ? AND chunk >= ?", (run_id, len(chunks))
                )
            db.execute(
                "UPDATE runs SET state_chunks = ?, saves = ?, status = ?, updated_at = ? "
                "WHERE run_id = ?",
                (len(chunks), saves + 1, status, time.time(), run_id),
            )
        self._last_saves.keep(run_id, saves + 1, chunks)

    def begin_step(self, run_id: str, index: int, request: Mapping[str, Any]) -> None:
        """See `RunStore.begin_step`."""
        text = dumps(request, f"The request of step {index} of run {run_id!r}")
        try:
            changed = self._execute(
                "INSERT INTO steps VALUES (?, ?, ?, NULL, ?, NULL) "
                "ON CONFLICT (run_id, step) DO UPDATE "
                "SET request = excluded.request, started_at = excluded.started_at "
                "WHERE response IS NULL",
                (run_id, index, text, time.time()),
            )
        except sqlite3.IntegrityError:
            raise no_run(run_id, str(self.path)) from None
        if not changed:
            raise step_answered(run_id, index)

    def finish_step(self, run_id: str, index: int, response: Mapping[str, Any]) -> None:
        """See `RunStore.finish_step`."""
        text = dumps(response, f"The response of step {index} of run {run_id!r}")
        changed = self._execute(
            "UPDATE steps SET response = ?, finished_at = ? "
            "WHERE run_id = ? AND step = ? AND response IS NULL",
            (text, time.time(), run_id, index),
        )
        if changed:
            return
        row = self._one("SELECT response FROM steps WHERE run_id = ? AND step = ?", (run_id, index))
        check_response_kept(run_id, index, str(self.path), row, response)

    def call_started(
        self, run_id: str, step: int, call_id: str, tool: str, arguments: str | Mapping[str, Any]
    ) -> None:
        """See `RunStore.call_started`."""
        text = arguments_text(run_id, call_id, arguments)
        try:
            changed = self._execute(
                "INSERT INTO calls VALUES (?, ?, ?, ?, ?, 'started', NULL, 1, ?, NULL) "
                "ON CONFLICT (run_id, step, call_id) DO UPDATE "
                "SET tool = excluded.tool, arguments = excluded.arguments, "
                "attempts = attempts + 1, started_at = excluded.started_at "
                "WHERE status = 'started'",
                (run_id, step, call_id, tool, text, time.time()),
            )
        except sqlite3.IntegrityError:
            raise no_step(run_id, step, str(self.path)) from None
        if not changed:
            raise call_done(run_id, step, call_id)

    def call_finished(
        self, run_id: str, step: int, call_id: str, result: Mapping[str, Any]
    ) -> None:
        """See `RunStore.call_finished`."""
        text = dumps(result, f"The result of call {call_id!r} of run {run_id!r}")
        changed = self._execute(
            "UPDATE calls SET status = 'finished', result = ?, finished_at = ? "
            "WHERE run_id = ? AND step = ? AND call_id = ? AND status = 'started'",
            (text, time.time(), run_id, step, call_id),
        )
        if changed:
            return
        row = self._stored_result(run_id, step, call_id)
        check_result_kept(run_id, step, call_id, row, result)

    def write(self, run_id: str, writes: tuple[StoreWrite, ...]) -> None:
        """See `RunStore.write`: the writes' own operations, in one transaction."""
        db = self._open()
        try:
            with _transaction(db, "BEGIN IMMEDIATE"):
                for write in writes:
                    getattr(self, write.operation)(run_id, *write.args())
        except BaseException:
            # A save_state of the batch remembered chunks that were rolled back.
            self._last_saves.take(run_id)
            raise

    def call_settled(
        self,
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
        now = time.time()
        try:
            changed = self._execute(
                "INSERT INTO calls VALUES (?, ?, ?, ?, ?, 'finished', ?, 0, ?, ?) "
                "ON CONFLICT (run_id, step, call_id) DO NOTHING",
                (run_id, step, call_id, tool, text, answer, now, now),
            )
        except sqlite3.IntegrityError:
            raise no_step(run_id, step, str(self.path)) from None
        if changed:
            return
        row = self._stored_result(run_id, step, call_id)
        check_settled(run_id, step, call_id, row, result)

    def load(self, run_id: str) -> StoredRun:
        """See `RunStore.load`."""
        db = self._open()
        # One read transaction: the run, its state, steps and calls as of one instant.
        with _transaction(db, "BEGIN"):
            run = db.execute(
                "SELECT status, meta, state_chunks, created_at, updated_at FROM runs "
                "WHERE run_id = ?",
                (run_id,),
            ).fetchone()
            if run is None:
                raise no_run(run_id, str(self.path))
            chunks = db.execute(
                "SELECT text FROM states WHERE run_id = ? AND chunk < ? ORDER BY chunk",
                (run_id, run[2] or 0),
            ).fetchall()
            steps = db.execute(
                "SELECT step, request, response, started_at, finished_at FROM steps "
                "WHERE run_id = ? ORDER BY step",
                (run_id,),
            ).fetchall()
            calls = db.execute(
                "SELECT step, call_id, tool, arguments, status, result, attempts, started_at, "
                "finished_at FROM calls WHERE run_id = ? ORDER BY rowid",
                (run_id,),
            ).fetchall()
        status, meta, state_chunks, created, updated = run
        return StoredRun(
            run_id=run_id,
            status=cast("RunStatus", status),
            meta=loads(meta, "A stored run's meta"),
            state=None if state_chunks is None else "".join(text for (text,) in chunks),
            steps=steps_from_rows(steps, calls),
            created_at=created,
            updated_at=updated,
        )

    def list_runs(self, status: RunStatus | None, limit: int) -> list[RunSummary]:
        """See `RunStore.list_runs`."""
        query = "SELECT run_id, status, meta, created_at, updated_at FROM runs"
        parameters: tuple[Any, ...] = (limit,)
        if status is not None:
            query += " WHERE status = ?"
            parameters = (status, limit)
        rows = self._open().execute(
            f"{query} ORDER BY created_at DESC, rowid DESC LIMIT ?", parameters
        )
        return [
            RunSummary(run_id, cast("RunStatus", st), loads(meta, "A stored run's meta"), c, u)
            for run_id, st, meta, c, u in rows
        ]

    def failed(self, error: BaseException) -> RunStateError:
        """The error to raise for a failure of SQLite itself (the disk, a lock, the file)."""
        return RunStateError(
            f"The run store {self.path} cannot be used: {error}. Check that the path is a "
            "writable SQLite file made by switchboard."
        )

    def _execute(self, sql: str, parameters: tuple[Any, ...]) -> int:
        """Run one write in its own transaction; the rows it changed."""
        return self._open().execute(sql, parameters).rowcount

    def _one(self, sql: str, parameters: tuple[Any, ...]) -> tuple[Any, ...] | None:
        return self._open().execute(sql, parameters).fetchone()

    def _stored_result(self, run_id: str, step: int, call_id: str) -> tuple[Any, ...] | None:
        """A call's ``(result,)`` row, after a write to it changed nothing."""
        return self._one(
            "SELECT result FROM calls WHERE run_id = ? AND step = ? AND call_id = ?",
            (run_id, step, call_id),
        )

    def _open(self) -> sqlite3.Connection:
        if self._connection is not None:
            return self._connection
        try:
            self.path.parent.mkdir(parents=True, exist_ok=True)
        except OSError as error:
            raise self.failed(error) from error
        # isolation_level=None: no implicit transactions; a lone statement commits by itself.
        db = sqlite3.connect(self.path, timeout=self.timeout, isolation_level=None)
        try:
            db.execute("PRAGMA journal_mode = WAL")
            # NORMAL: a commit is a write() to the log, no fsync: it survives the process
            # being killed, not a power loss ("Transactions are durable across application
            # crashes regardless of the synchronous setting", sqlite.org/pragma.html).
            db.execute(f"PRAGMA synchronous = {'FULL' if self.durable else 'NORMAL'}")
            db.execute("PRAGMA foreign_keys = ON")
            self._check_schema(db)
        except BaseException:
            db.close()
            raise
        self._connection = db
        return db

    def _check_schema(self, db: sqlite3.Connection) -> None:
        """Create the tables in a new file; refuse a file of a newer schema."""
        with _transaction(db, "BEGIN IMMEDIATE"):
            exists = db.execute(
                "SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'schema_version'"
            ).fetchone()
            if exists is None:
                for statement in _SCHEMA:
                    db.execute(statement)
                db.execute("INSERT INTO schema_version VALUES (?)", (STORE_SCHEMA_VERSION,))
                return
            row = db.execute("SELECT max(version) FROM schema_version").fetchone()
        check_schema_version(row[0] if row else None, str(self.path), "file")


@contextmanager
def _transaction(
    db: sqlite3.Connection, begin: Literal["BEGIN", "BEGIN IMMEDIATE"]
) -> Generator[None]:
    """A transaction on an autocommit connection: committed on success, else rolled back.

    Inside a transaction already (a `RunFile.write` batch), a part of it: the batch's own
    commit or rollback ends it.
    """
    if db.in_transaction:
        yield
        return
    db.execute(begin)
    try:
        yield
    except BaseException:
        db.execute("ROLLBACK")
        raise
    db.execute("COMMIT")
