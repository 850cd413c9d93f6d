"""Fixtures of the run store tests: each behaviour runs against every store kind."""

from collections.abc import AsyncIterator, Callable
from pathlib import Path

import pytest

from switchboard.runs.store import RunStore
from tests.runs import stores

Opener = Callable[[], RunStore]


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
