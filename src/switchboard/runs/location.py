"""Where runs are stored, as one setting: a file path (SQLite) or a ``postgresql://`` URL.

`open_run_store` reads the location given, else ``SWITCHBOARD_STORE``, else the default
file, and opens the store it names, so one setting points every process (the command line,
the viewer, a batch on many machines) at the same runs.
"""

from __future__ import annotations

import os
import re
from typing import TYPE_CHECKING, Final
from urllib.parse import urlsplit, urlunsplit

from switchboard.errors import ConfigurationError

if TYPE_CHECKING:
    from switchboard.runs.postgres import PostgresStore
    from switchboard.runs.sqlite import SQLiteStore

__all__ = [
    "POSTGRES_SCHEMES",
    "check_location",
    "is_postgres_url",
    "open_run_store",
    "redact_url",
]

POSTGRES_SCHEMES: Final = ("postgresql://", "postgres://")
"""The URL schemes libpq reads (https://www.postgresql.org/docs/current/libpq-connect.html)."""


# A URL's scheme (RFC 3986), two letters or more: "C://" is a Windows drive, not a scheme.
_SCHEME = re.compile(r"([A-Za-z][A-Za-z0-9+.-]+)://")


def is_postgres_url(location: str) -> bool:
    """Whether ``location`` is a PostgreSQL connection URL rather than a file path."""
    return location.lower().startswith(POSTGRES_SCHEMES)


def redact_url(url: str) -> str:
    """``url`` with its password, if any, replaced by ``***`` (for messages and logs)."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    user = f"{parts.username}:***" if parts.username else ":***"
    host = parts.netloc.rpartition("@")[2]
    return urlunsplit(parts._replace(netloc=f"{user}@{host}"))


def check_location(location: str | os.PathLike[str]) -> None:
    """Refuse a URL whose scheme names no store, rather than make a file of that name.

    Raises:
        ConfigurationError: ``location`` is a URL (``scheme://...``) but not a PostgreSQL one.
    """
    text = os.fspath(location)
    scheme = _SCHEME.match(text)
    if scheme is None or is_postgres_url(text):
        return
    message = (
        f"The run store {redact_url(text)!r} has the URL scheme {scheme[1]!r}, which names no "
        "store: give a file path (a SQLite store, e.g. runs.sqlite3) or a postgresql:// URL "
        "(a PostgreSQL store)."
    )
    raise ConfigurationError(message)


def open_run_store(
    location: str | os.PathLike[str] | None = None,
) -> SQLiteStore | PostgresStore:
    """The run store at ``location``: PostgreSQL for a ``postgresql://`` URL, else SQLite.

    Args:
        location: A ``postgresql://`` (or ``postgres://``) URL: a `PostgresStore` on that
            database, shared by every machine that names it; anything else is the path of a
            `SQLiteStore` file. Default: the environment's ``SWITCHBOARD_STORE``, else
            ``switchboard-runs.sqlite3`` in the working directory.

    Raises:
        ConfigurationError: A PostgreSQL URL, and psycopg is not installed, or the URL is
            malformed; or a URL of another scheme.

    Example:
        >>> import asyncio, tempfile, os
        >>> async def main(path):
        ...     async with open_run_store(path) as store:
        ...         return type(store).__name__
        >>> with tempfile.TemporaryDirectory() as folder:
        ...     asyncio.run(main(os.path.join(folder, "runs.sqlite3")))
        'SQLiteStore'
    """
    if location is None:
        location = os.environ.get("SWITCHBOARD_STORE") or None
    if location is not None:
        check_location(location)
    if location is not None and is_postgres_url(os.fspath(location)):
        # Imported here: the PostgreSQL store loads psycopg, an optional extra.
        from switchboard.runs.postgres import PostgresStore

        return PostgresStore(os.fspath(location))
    from switchboard.runs.sqlite import SQLiteStore

    return SQLiteStore(location)
