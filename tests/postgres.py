"""The tests' PostgreSQL server, as fixtures for every test folder (see `tests/conftest.py`).

One throwaway server for the session (`tests.runs.postgres_server`), started only by the
first test that asks for it; each test or module takes a database of its own on it.
"""

import uuid
from collections.abc import Iterator

import psycopg
import pytest

from tests.runs.postgres_server import USER, PostgresServer

# A throwaway server: no fsync (the tests kill clients, never the server or the machine).
TEST_SETTINGS = {"fsync": "off", "full_page_writes": "off", "max_connections": "40"}


def new_database(server: PostgresServer) -> str:
    """The name of a new, empty database on ``server``."""
    name = f"db_{uuid.uuid4().hex[:12]}"
    with psycopg.connect(server.dsn(), autocommit=True) as admin:
        admin.execute(f"CREATE DATABASE {name}".encode())
    return name


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
    return new_database(postgres_server)


@pytest.fixture
def postgres_url(postgres_server: PostgresServer) -> str:
    """A URL of a new, empty database of the test's own, over loopback TCP (as from afar)."""
    return f"postgresql://{USER}@127.0.0.1:{postgres_server.port}/{new_database(postgres_server)}"
