"""One setting names the run store: a file path (SQLite) or a postgresql:// URL (PostgreSQL)."""

import asyncio
import re
import uuid
from pathlib import Path

import pytest

from switchboard.errors import ConfigurationError
from switchboard.runs.location import open_run_store, redact_url
from switchboard.runs.postgres import PostgresStore
from switchboard.runs.sqlite import DEFAULT_PATH, SQLiteStore
from tests.runs.postgres_server import USER, PostgresServer

pytestmark = pytest.mark.anyio

README = Path(__file__).parents[2] / "README.md"


@pytest.fixture
def url(postgres_server: PostgresServer, postgres_database: str) -> str:
    """The module's database as a URL over loopback TCP, as another machine would name it."""
    return f"postgresql://{USER}@127.0.0.1:{postgres_server.port}/{postgres_database}"


async def test_postgresql_url_opens_a_postgres_store_on_that_database(url: str) -> None:
    """A postgresql:// URL opens a PostgresStore, which another store on the URL then reads."""
    run_id = uuid.uuid4().hex
    async with open_run_store(url) as store:
        assert isinstance(store, PostgresStore)
        await store.create_run(run_id, {"machine": "a"})
    async with open_run_store(url) as other:
        assert (await other.load(run_id)).meta == {"machine": "a"}


async def test_path_opens_a_sqlite_store_in_that_file(tmp_path: Path) -> None:
    """A location that is no URL is the file of a SQLiteStore."""
    async with open_run_store(tmp_path / "runs.sqlite3") as store:
        assert isinstance(store, SQLiteStore)
        assert store.path == tmp_path / "runs.sqlite3"


async def test_environment_url_picks_the_postgres_store(monkeypatch: pytest.MonkeyPatch) -> None:
    """With no location, a postgres:// URL in SWITCHBOARD_STORE opens a PostgresStore on it."""
    monkeypatch.setenv("SWITCHBOARD_STORE", "postgres://runs@db.internal:5433/switchboard")
    async with open_run_store() as store:
        assert isinstance(store, PostgresStore)
        assert store.dsn == "postgres://runs@db.internal:5433/switchboard"


async def test_no_location_and_no_setting_is_the_default_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no location and no SWITCHBOARD_STORE, the store is the default file."""
    monkeypatch.delenv("SWITCHBOARD_STORE", raising=False)
    monkeypatch.chdir(tmp_path)
    async with open_run_store() as store:
        assert isinstance(store, SQLiteStore)
        assert store.path == tmp_path / DEFAULT_PATH


def test_sqlite_store_given_a_postgresql_url_is_refused_without_its_password() -> None:
    """SQLiteStore refuses a URL rather than make a file of that name, and hides its password."""
    with pytest.raises(ConfigurationError, match=r"was given .*runs:\*\*\*@db.*open_run_store"):
        SQLiteStore("postgresql://runs:s3cret@db/switchboard")


def test_sqlite_store_refuses_a_postgresql_url_from_the_environment(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """SQLiteStore() with SWITCHBOARD_STORE set to a URL says where the URL came from."""
    monkeypatch.setenv("SWITCHBOARD_STORE", "postgresql://db/switchboard")
    with pytest.raises(ConfigurationError, match="read from SWITCHBOARD_STORE"):
        SQLiteStore()


@pytest.mark.parametrize(
    ("url", "shown"),
    [
        ("postgresql://u:pw@h:5432/db", "postgresql://u:***@h:5432/db"),
        ("postgresql://:pw@h/db", "postgresql://:***@h/db"),
        ("postgresql://u@h/db?sslmode=require", "postgresql://u@h/db?sslmode=require"),
    ],
    ids=["user-and-password", "password-only", "no-password"],
)
def test_redacted_url_hides_only_the_password(url: str, shown: str) -> None:
    """redact_url replaces the password and keeps the rest of the URL."""
    assert redact_url(url) == shown


def test_readme_example_lists_the_paused_runs_of_the_store_the_setting_names(
    url: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    """The README's shared-store example, run as written, prints the paused runs of the URL."""
    section = README.read_text().split("## Runs shared between machines", 1)[1]
    block = re.search(r"```python\n(.*?)\n```", section, re.DOTALL)
    assert block is not None
    run_id = uuid.uuid4().hex

    async def pause_a_run() -> None:
        async with PostgresStore(url) as store:
            await store.create_run(run_id, {"machine": "b"})
            await store.save_state(run_id, "{}", "paused")

    asyncio.run(pause_a_run())
    monkeypatch.setenv("SWITCHBOARD_STORE", url)
    exec(compile(block.group(1), "README.md", "exec"), {"__name__": "readme"})
    assert capsys.readouterr().out == f"{run_id} {{'machine': 'b'}}\n"


@pytest.mark.parametrize(
    "location", ["mysql://runs@db/switchboard", "sqlite:///runs.sqlite3", "HTTPS://db/runs"]
)
def test_url_of_an_unknown_scheme_is_refused_naming_the_locations_accepted(location: str) -> None:
    """A URL that is not postgresql:// opens no store (no file of that name is made)."""
    with pytest.raises(ConfigurationError, match=r"scheme .* a file path .* postgresql://"):
        open_run_store(location)


def test_sqlite_store_given_a_url_of_another_scheme_is_refused(tmp_path: Path) -> None:
    """SQLiteStore refuses any URL rather than make a file named after it."""
    with pytest.raises(ConfigurationError, match="'mysql'"):
        SQLiteStore("mysql://runs@db/switchboard")
