"""Fixtures of the run store tests: each behaviour runs against every store kind."""

import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from pathlib import Path

import psycopg
import pytest

from switchboard.runs.store import RunStore
from tests.runs import stores
from tests.runs.postgres_server import PostgresServer

Opener = Callable[[], RunStore]

# A throwaway server: no fsync (the tests kill clients, never the server or the machine).
TEST_SETTINGS = {"fsync": "off", "full_page_writes": "off", "max_connections": "40"}


@pytest.fixture(scope="session")
def postgres_server() -> Iterator[PostgresServer]:
    """One PostgreSQL server for the session, in a temporary folder; removed at the end."""
    server = PostgresServer(TEST_SETTINGS)
    try:
        server.start()
    except FileNotFoundError as error:
        server.stop()
        pytest.fail(str(error))
    yield server
    server.stop()


@pytest.fixture(scope="module")
def postgres_database(postgres_server: PostgresServer) -> str:
    """The name of a new database of the module's own, for tests of the default schema."""
    name = f"db_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(postgres_server.dsn(), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}".encode())
    return name


@pytest.fixture(params=stores.KINDS)
def store_kind(request: pytest.FixtureRequest) -> str:
    return request.param


@pytest.fixture
def store_location(store_kind: str, tmp_path: Path, request: pytest.FixtureRequest) -> str:
    # The server is started only for PostgreSQL stores: a run of SQLite tests never needs it.
    server = request.getfixturevalue("postgres_server") if store_kind == "postgres" else None
    return stores.new_location(store_kind, tmp_path, server)


@pytest.fixture
async def open_store(store_kind: str, store_location: str) -> AsyncIterator[Opener]:
    """Opens stores on one location; every store it opened is closed after the test."""
    opened: list[RunStore] = []

    def opener() -> RunStore:
        store = stores.open_store(store_kind, store_location)
        opened.append(store)
        return store

    yield opener
    for store in opened:
        await store.close()


@pytest.fixture
async def store(open_store: Opener) -> RunStore:
    return open_store()
