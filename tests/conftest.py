"""Shared by every test: async tests run on asyncio, through anyio's pytest plugin.

The PostgreSQL fixtures (`tests.postgres`) are offered to every folder: the run store's
tests, and the commands and batches given a postgresql:// store.
"""

import pytest

from tests.postgres import postgres_database, postgres_server, postgres_url

__all__ = ["postgres_database", "postgres_server", "postgres_url"]


@pytest.fixture
def anyio_backend() -> str:
    return "asyncio"
