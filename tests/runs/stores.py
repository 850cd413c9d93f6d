"""The run stores the behaviour suite runs against: a name each, and how to open one.

A store is opened on a location (for SQLite, a file path; for PostgreSQL, a schema of its
own in a database of the tests' throwaway server: the connection string and the schema's
name, as JSON), the same location each time the suite reopens it. A backend adds its name
to KINDS and its cases to `new_location`, `open_store`, `integrity_problems` and `settle`;
every behaviour test then runs against it too.
"""

import json
import sqlite3
import uuid
from pathlib import Path

from switchboard.runs.postgres import PostgresStore
from switchboard.runs.sqlite import SQLiteStore
from switchboard.runs.store import RunStore
from tests.runs.postgres_server import PostgresServer

KINDS = ("sqlite", "postgres")


def new_location(kind: str, folder: Path, server: PostgresServer | None = None) -> str:
    """A fresh, empty place for a store of ``kind``: inside ``folder``, or on ``server``."""
    if kind == "sqlite":
        return str(folder / "runs.sqlite3")
    if kind == "postgres":
        assert server is not None, "a PostgreSQL store needs the tests' server"
        # A schema per test rather than a database: CREATE DATABASE takes a checkpoint.
        return json.dumps({"dsn": server.dsn(), "schema": f"test_{uuid.uuid4().hex[:12]}"})
    raise ValueError(kind)


def open_store(kind: str, location: str) -> RunStore:
    """A store of ``kind`` on ``location`` (in a child process too)."""
    if kind == "sqlite":
        return SQLiteStore(location)
    if kind == "postgres":
        return PostgresStore(**json.loads(location))
    raise ValueError(kind)


def preload(kind: str) -> None:
    """Import what a store of ``kind`` loads on first use, so that forked writers start fast."""
    if kind == "postgres":
        import switchboard.runs.postgres_tables  # noqa: F401  (psycopg, loaded once)


def integrity_problems(kind: str, location: str) -> list[str]:
    """What the backend's own consistency check finds wrong with the store ([] if nothing)."""
    if kind == "sqlite":
        with sqlite3.connect(location) as db:
            found = [row[0] for row in db.execute("PRAGMA integrity_check")]
            found += [str(row) for row in db.execute("PRAGMA foreign_key_check")]
        db.close()
        return [] if found == ["ok"] else found
    if kind == "postgres":
        return _amcheck(location)
    raise ValueError(kind)


def settle(kind: str, location: str) -> None:
    """Wait until the sessions of writers killed on ``location`` have ended.

    A killed PostgreSQL client's server session finishes the statement it was running (so
    commits it or not) and ends when it next reads from the closed socket; until then, a
    reader could see the store before that last commit. SQLite has no such session.
    """
    if kind == "postgres":
        import psycopg

        with psycopg.connect(json.loads(location)["dsn"], autocommit=True) as db:
            db.execute(
                "SELECT pg_terminate_backend(pid, 60000) FROM pg_stat_activity "
                "WHERE datname = current_database() AND pid <> pg_backend_pid() "
                "AND application_name = 'switchboard'"
            )


def _amcheck(location: str) -> list[str]:
    """PostgreSQL's amcheck on the store's tables (heap pages) and indexes (B-tree order)."""
    import psycopg

    found: list[str] = []
    place = json.loads(location)
    with psycopg.connect(place["dsn"], autocommit=True) as db:
        db.execute("CREATE EXTENSION IF NOT EXISTS amcheck")
        relations = db.execute(
            "SELECT c.oid, c.relname, c.relkind FROM pg_class c "
            "JOIN pg_namespace n ON n.oid = c.relnamespace "
            "WHERE n.nspname = %s AND c.relkind IN ('r', 'i')",
            (place["schema"],),
        ).fetchall()
        for oid, name, relkind in relations:
            if relkind == "r":
                rows = db.execute("SELECT * FROM verify_heapam(%s)", (oid,)).fetchall()
                found += [f"{name}: {row}" for row in rows]
            else:
                try:
                    db.execute("SELECT bt_index_check(%s, true)", (oid,))
                except psycopg.Error as error:
                    found.append(f"{name}: {error}")
    return found
