"""The run stores the behaviour suite runs against: a name each, and how to open one.

A store is opened on a location (for SQLite, a file path), the same location each time the
suite reopens it. A backend added later (PostgreSQL) adds its name to KINDS and its cases
to `new_location` and `open_store`; every behaviour test then runs against it too.
"""

import sqlite3
from pathlib import Path

from switchboard.runs.sqlite import SQLiteStore
from switchboard.runs.store import RunStore

KINDS = ("sqlite",)


def new_location(kind: str, folder: Path) -> str:
    """A fresh, empty place for a store of ``kind``, inside ``folder``."""
    if kind == "sqlite":
        return str(folder / "runs.sqlite3")
    raise ValueError(kind)


def open_store(kind: str, location: str) -> RunStore:
    """A store of ``kind`` on ``location`` (in a child process too)."""
    if kind == "sqlite":
        return SQLiteStore(location)
    raise ValueError(kind)


def integrity_problems(kind: str, location: str) -> list[str]:
    """What the backend's own consistency check finds wrong with the store ([] if nothing)."""
    if kind == "sqlite":
        with sqlite3.connect(location) as db:
            found = [row[0] for row in db.execute("PRAGMA integrity_check")]
            found += [str(row) for row in db.execute("PRAGMA foreign_key_check")]
        db.close()
        return [] if found == ["ok"] else found
    raise ValueError(kind)
