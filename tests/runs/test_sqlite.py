"""What is SQLite's own in SQLiteStore: the file's settings, its schema version, its thread."""

import asyncio
import sqlite3
import threading
from pathlib import Path

import pytest

from switchboard.errors import ConfigurationError, RunStateError
from switchboard.runs.sqlite import DEFAULT_PATH, SQLiteStore

pytestmark = pytest.mark.anyio


def _pragma(store: SQLiteStore, name: str) -> object:
    """A setting of the store's own connection, read on the store's thread."""
    connection = store._database._connection  # the setting is per connection
    assert connection is not None
    return store._thread.submit(lambda: connection.execute(f"PRAGMA {name}").fetchone()[0]).result()


async def test_store_file_is_in_wal_mode(tmp_path: Path) -> None:
    """The file is in WAL mode, as any other connection to it sees."""
    async with SQLiteStore(tmp_path / "runs.sqlite3") as store:
        await store.create_run("r1", {})
    with sqlite3.connect(tmp_path / "runs.sqlite3") as other:
        assert other.execute("PRAGMA journal_mode").fetchone()[0] == "wal"


@pytest.mark.parametrize(("durable", "level"), [(False, 1), (True, 2)], ids=["normal", "full"])
async def test_durable_sets_synchronous_full(tmp_path: Path, durable: bool, level: int) -> None:
    """By default commits are not fsynced (NORMAL, 1); durable=True fsyncs each one (FULL, 2)."""
    async with SQLiteStore(tmp_path / "runs.sqlite3", durable=durable) as store:
        await store.create_run("r1", {})
        assert _pragma(store, "synchronous") == level


async def test_file_of_a_newer_schema_is_refused_naming_both_versions(tmp_path: Path) -> None:
    """A store file written by a newer schema raises on first use, naming both versions."""
    path = tmp_path / "runs.sqlite3"
    async with SQLiteStore(path) as store:
        await store.create_run("r1", {})
    with sqlite3.connect(path) as newer:
        newer.execute("UPDATE schema_version SET version = 2")
    async with SQLiteStore(path) as store:
        with pytest.raises(
            RunStateError,
            match=r"newer switchboard \(store schema version 2; this one reads version 1\)",
        ):
            await store.load("r1")


async def test_file_that_is_not_sqlite_is_refused_naming_it(tmp_path: Path) -> None:
    """A file that is no SQLite database raises RunStateError naming the path."""
    path = tmp_path / "notes.txt"
    path.write_text("not a database, just notes " * 100)
    async with SQLiteStore(path) as store:
        with pytest.raises(
            RunStateError, match=r"notes\.txt cannot be used: file is not a database"
        ):
            await store.list_runs()


async def test_sqlite_database_of_another_program_is_refused(tmp_path: Path) -> None:
    """A SQLite file with tables of its own but no schema_version is not taken over."""
    path = tmp_path / "other.sqlite3"
    with sqlite3.connect(path) as other:
        other.execute("CREATE TABLE schema_version (version TEXT)")
        other.execute("INSERT INTO schema_version VALUES ('x')")
    async with SQLiteStore(path) as store:
        with pytest.raises(RunStateError, match="unknown schema version 'x'"):
            await store.list_runs()


async def test_default_path_is_the_environment_setting(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no path, the store is the file SWITCHBOARD_STORE names."""
    monkeypatch.setenv("SWITCHBOARD_STORE", str(tmp_path / "from-env.sqlite3"))
    async with SQLiteStore() as store:
        await store.create_run("r1", {})
    assert (tmp_path / "from-env.sqlite3").exists()


async def test_default_path_is_in_the_working_directory(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no path and no SWITCHBOARD_STORE, the store is DEFAULT_PATH in the working directory."""
    monkeypatch.delenv("SWITCHBOARD_STORE", raising=False)
    monkeypatch.chdir(tmp_path)
    async with SQLiteStore() as store:
        await store.create_run("r1", {})
        assert store.path == tmp_path / DEFAULT_PATH
    assert (tmp_path / DEFAULT_PATH).exists()


async def test_store_in_a_missing_folder_creates_the_folder(tmp_path: Path) -> None:
    """A path in folders that do not exist yet is created on first use."""
    async with SQLiteStore(tmp_path / "a" / "b" / "runs.sqlite3") as store:
        await store.create_run("r1", {})
    assert (tmp_path / "a" / "b" / "runs.sqlite3").exists()


async def test_event_loop_runs_while_the_store_waits_on_the_disk(tmp_path: Path) -> None:
    """A write waiting on another process's lock waits on the store's thread, not the loop."""
    path = tmp_path / "runs.sqlite3"
    async with SQLiteStore(path, timeout=30) as store:
        await store.list_runs()  # the file and its tables exist
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")  # holds the write lock
        write = asyncio.ensure_future(store.create_run("r1", {}))
        turns = 0
        while turns < 200:  # the loop keeps turning while the write waits on the lock
            await asyncio.sleep(0)
            turns += 1
        assert not write.done()
        other.execute("COMMIT")
        other.close()
        await write
        assert [run.run_id for run in await store.list_runs()] == ["r1"]


async def test_lock_held_past_the_timeout_raises_run_state_error(tmp_path: Path) -> None:
    """A write that cannot get the lock in time raises RunStateError naming the file."""
    path = tmp_path / "runs.sqlite3"
    async with SQLiteStore(path, timeout=0.05) as store:
        await store.list_runs()
        other = sqlite3.connect(path, isolation_level=None)
        other.execute("BEGIN IMMEDIATE")
        try:
            with pytest.raises(
                RunStateError, match=r"runs\.sqlite3 cannot be used: database is locked"
            ):
                await store.create_run("r1", {})
        finally:
            other.execute("ROLLBACK")
            other.close()


async def test_operations_run_on_the_store_thread(tmp_path: Path) -> None:
    """The connection lives on one thread of the store's own, never the event loop's."""
    async with SQLiteStore(tmp_path / "runs.sqlite3") as store:
        await store.create_run("r1", {})
        name = store._thread.submit(lambda: threading.current_thread().name).result()
    assert name.startswith("switchboard-store")
    assert name != threading.current_thread().name


async def test_unknown_status_is_refused_before_writing(tmp_path: Path) -> None:
    """save_state with a status that is not a RunStatus raises ConfigurationError."""
    async with SQLiteStore(tmp_path / "runs.sqlite3") as store:
        await store.create_run("r1", {})
        with pytest.raises(ConfigurationError, match="'done' is none of"):
            await store.save_state("r1", "{}", "done")  # type: ignore[arg-type]
