"""What is PostgreSQL's own in PostgresStore: its schema, connection, chunks and failures.

The behaviour every store keeps runs against PostgreSQL in test_store.py and
test_store_crash.py; these tests use the same throwaway server (conftest.py).
"""

import asyncio
import socket
import sys
import uuid
from collections.abc import AsyncIterator

import psycopg
import pytest

from switchboard.errors import ConfigurationError, RunStateError
from switchboard.runs.postgres import PostgresStore
from switchboard.runs.postgres_tables import CHUNK
from tests.runs.postgres_server import PostgresServer

pytestmark = pytest.mark.anyio


@pytest.fixture
def dsn(postgres_server: PostgresServer) -> str:
    return postgres_server.dsn()


@pytest.fixture
def schema() -> str:
    return f"test_{uuid.uuid4().hex[:12]}"


@pytest.fixture
async def store(dsn: str, schema: str) -> AsyncIterator[PostgresStore]:
    async with PostgresStore(dsn, schema=schema) as store:
        yield store


@pytest.fixture
def own_database(postgres_server: PostgresServer, postgres_database: str) -> str:
    """The module's own database, for the tests of the default schema (``switchboard``)."""
    return postgres_server.dsn(postgres_database)


def _sql(dsn: str, query: str, *parameters: object) -> list[tuple[object, ...]]:
    """The rows of one statement, run on a connection of the test's own."""
    with psycopg.connect(dsn, autocommit=True) as db:
        cursor = db.execute(query.encode(), parameters)
        return cursor.fetchall() if cursor.description else []


async def test_tables_are_made_in_the_switchboard_schema_by_default(own_database: str) -> None:
    """With no schema given, the tables are made in a schema named switchboard, not public."""
    async with PostgresStore(own_database) as store:
        await store.list_runs()
    rows = _sql(
        own_database,
        "SELECT schemaname, tablename FROM pg_tables "
        "WHERE schemaname IN ('public', 'switchboard') ORDER BY tablename",
    )
    assert rows == [
        ("switchboard", name) for name in ("calls", "runs", "schema_version", "states", "steps")
    ]


async def test_stores_on_two_schemas_keep_their_runs_apart(dsn: str, schema: str) -> None:
    """A run created in one schema is not in another schema of the same database."""
    async with PostgresStore(dsn, schema=schema) as first:
        await first.create_run("r1", {})
        async with PostgresStore(dsn, schema=f"{schema}_other") as second:
            assert await second.list_runs() == []
            with pytest.raises(RunStateError, match="No run 'r1'"):
                await second.load("r1")


async def test_schema_of_a_newer_version_is_refused_naming_both_versions(
    dsn: str, schema: str, store: PostgresStore
) -> None:
    """A schema written by a newer store version raises on first use, naming both versions."""
    await store.create_run("r1", {})
    _sql(dsn, f"UPDATE {schema}.schema_version SET version = 2")
    async with PostgresStore(dsn, schema=schema) as newer:
        with pytest.raises(
            RunStateError,
            match=r"newer switchboard \(store schema version 2; this one reads version 1\)",
        ):
            await newer.load("r1")


async def test_schema_version_table_of_another_program_is_refused(dsn: str, schema: str) -> None:
    """A schema whose schema_version table switchboard did not make is not taken over."""
    _sql(dsn, f"CREATE SCHEMA {schema}")
    _sql(dsn, f"CREATE TABLE {schema}.schema_version (version text)")
    _sql(dsn, f"INSERT INTO {schema}.schema_version VALUES ('x')")
    async with PostgresStore(dsn, schema=schema) as store:
        with pytest.raises(RunStateError, match="unknown schema version 'x'"):
            await store.list_runs()


async def test_two_stores_making_a_new_schema_at_once_both_work(dsn: str, schema: str) -> None:
    """Two stores first used at the same moment on a new schema make its tables once."""
    async with PostgresStore(dsn, schema=schema) as a, PostgresStore(dsn, schema=schema) as b:
        await asyncio.gather(a.create_run("a", {}), b.create_run("b", {}))
        assert sorted(run.run_id for run in await a.list_runs()) == ["a", "b"]
    assert _sql(dsn, f"SELECT version FROM {schema}.schema_version") == [(1,)]


async def test_save_writes_only_the_chunks_that_changed(
    dsn: str, schema: str, store: PostgresStore
) -> None:
    """A state saved again with text appended rewrites its last chunk and no earlier one."""
    base = "x" * (3 * CHUNK + 100)
    await store.create_run("r1", {})
    await store.save_state("r1", base, "running")
    query = f"SELECT chunk, xmin::text FROM {schema}.states WHERE run_id = 'r1' ORDER BY chunk"
    before = dict(_sql(dsn, query))
    await store.save_state("r1", base + "more", "running")
    after = dict(_sql(dsn, query))
    assert [after[n] == before[n] for n in range(4)] == [True, True, True, False]
    assert (await store.load("r1")).state == base + "more"


async def test_lost_connection_fails_the_write_then_the_store_connects_again(
    dsn: str, store: PostgresStore
) -> None:
    """A server session ended under the store fails the next write; the one after works."""
    await store.create_run("r1", {})
    connection = store._connection  # the store's one connection
    assert connection is not None
    _sql(dsn, "SELECT pg_terminate_backend(%s, 10000)", connection.info.backend_pid)
    with pytest.raises(RunStateError, match=r"cannot be used: .*terminat"):
        await store.create_run("r2", {})
    await store.create_run("r3", {})
    assert [run.run_id for run in await store.list_runs()] == ["r3", "r1"]


async def test_unreachable_server_is_named_without_the_password() -> None:
    """A server that does not answer raises RunStateError naming it, never its password."""
    with socket.socket() as probe:  # a port nothing listens on
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
        store = PostgresStore(f"postgresql://runs:s3cret@127.0.0.1:{port}/runs")
        with pytest.raises(RunStateError, match=rf"Cannot connect .*port={port}") as raised:
            await store.list_runs()
    assert "s3cret" not in str(raised.value)
    await store.close()


def test_malformed_connection_string_is_refused_when_the_store_is_made() -> None:
    """A connection string libpq cannot read raises ConfigurationError, saying what to give."""
    with pytest.raises(
        ConfigurationError, match=r'cannot be read: missing "=" after "db\.internal"'
    ):
        PostgresStore("db.internal")


def test_store_without_psycopg_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Without psycopg, making a PostgresStore raises ConfigurationError naming the extra."""
    monkeypatch.setitem(sys.modules, "psycopg", None)  # an import of it now fails
    monkeypatch.delitem(sys.modules, "switchboard.runs.postgres_tables", raising=False)
    with pytest.raises(ConfigurationError, match=r'pip install "switchboard\[postgres\]"'):
        PostgresStore("host=localhost")


async def test_event_loop_runs_while_a_write_waits_on_another_session(
    dsn: str, schema: str, store: PostgresStore
) -> None:
    """A save waiting for a row another session locked leaves the event loop turning."""
    await store.create_run("r1", {})
    with psycopg.connect(dsn) as other:  # a transaction: the row stays locked until commit
        other.execute(f"SELECT 1 FROM {schema}.runs WHERE run_id = 'r1' FOR UPDATE")
        save = asyncio.ensure_future(store.save_state("r1", "{}", "paused"))
        turns = 0
        while turns < 200:
            await asyncio.sleep(0)
            turns += 1
        assert not save.done()
        other.commit()
        await save
    assert (await store.load("r1")).status == "paused"


async def test_cancelled_write_leaves_the_store_usable(
    dsn: str, schema: str, store: PostgresStore
) -> None:
    """A write cancelled while it waits gives way to a new connection for the next one."""
    await store.create_run("r1", {})
    with psycopg.connect(dsn) as other:
        other.execute(f"SELECT 1 FROM {schema}.runs WHERE run_id = 'r1' FOR UPDATE")
        save = asyncio.ensure_future(store.save_state("r1", "{}", "paused"))
        for _ in range(50):
            await asyncio.sleep(0)
        save.cancel()
        with pytest.raises(asyncio.CancelledError):
            await save
        other.rollback()
    await store.save_state("r1", "{}", "finished")
    assert (await store.load("r1")).status == "finished"


async def test_unknown_status_is_refused_before_writing(store: PostgresStore) -> None:
    """save_state with a status that is not a RunStatus raises ConfigurationError."""
    await store.create_run("r1", {})
    with pytest.raises(ConfigurationError, match="'done' is none of"):
        await store.save_state("r1", "{}", "done")  # type: ignore[arg-type]
    assert (await store.load("r1")).status == "running"


async def test_value_postgresql_cannot_hold_is_refused_naming_it(store: PostgresStore) -> None:
    """A run id holding a NUL character (which PostgreSQL text cannot) raises RunStateError."""
    with pytest.raises(RunStateError, match=r"cannot be used: .*NUL.*Nothing was written"):
        await store.create_run("r\x001", {})
    assert await store.list_runs() == []
