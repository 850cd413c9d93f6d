"""The ``--store`` option of every command that reads or writes runs: a file or a URL.

One definition (`store_option`; `StoreOption` for the commands that read runs) for
``run``, ``runs list|show|resume``, ``replay``, ``view`` and ``batch``: the location is
passed as written (a typer ``Path`` would turn ``postgresql://h/db`` into
``postgresql:/h/db``) and read as `open_run_store` reads it, a file path for a SQLite store
or a ``postgresql://`` URL for a PostgreSQL one.
"""

from __future__ import annotations

import os
import shlex
from pathlib import Path
from typing import Annotated, Any, Final

import typer

from switchboard.errors import ConfigurationError
from switchboard.runs.location import check_location, is_postgres_url, redact_url
from switchboard.runs.sqlite import DEFAULT_PATH
from switchboard.terminal import fail

__all__ = [
    "STORE_HELP",
    "StoreOption",
    "resume_command",
    "shown",
    "store_location",
    "store_option",
]

STORE_HELP: Final = (
    "The run store: a SQLite file, or a postgresql:// URL shared by several machines "
    f"(default: SWITCHBOARD_STORE, else ./{DEFAULT_PATH})."
)


def store_option(help: str = STORE_HELP) -> Any:
    """The ``--store`` option, with its text: a location as written, a file path or a URL."""
    return typer.Option("--store", metavar="PATH|URL", help=help, show_default=False)


StoreOption = Annotated[str | None, store_option()]
"""The ``--store`` option of the commands that read runs (``store: StoreOption = None``)."""


def store_location(store: str | None, *, existing: bool) -> str:
    """The store the command uses: ``--store``, else ``SWITCHBOARD_STORE``, else the default.

    Args:
        store: ``--store`` as given.
        existing: The command only reads runs: a SQLite file must already be there (a
            command that records runs makes it).

    Raises:
        typer.Exit: A URL of a scheme that names no store, or no such file (the message
            says what to pass).
    """
    location = store or os.environ.get("SWITCHBOARD_STORE") or DEFAULT_PATH
    try:
        check_location(location)
    except ConfigurationError as e:
        fail(str(e))
    if existing and not is_postgres_url(location) and not Path(location).is_file():
        fail(
            f"No run store at {location}: pass --store PATH (the file `switchboard run "
            "--store` wrote) or --store postgresql://..., or set SWITCHBOARD_STORE."
        )
    return location


def shown(location: str) -> str:
    """The location as printed: a URL's password hidden."""
    return redact_url(location) if is_postgres_url(location) else location


def resume_command(run_id: str, store: str | None) -> str:
    """The command that resumes ``run_id`` from ``store`` (a URL's password hidden)."""
    command = f"switchboard runs resume {run_id}"
    return command if store is None else f"{command} --store {shlex.quote(shown(store))}"
