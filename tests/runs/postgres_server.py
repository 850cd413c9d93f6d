"""A throwaway PostgreSQL server in a temporary folder, for the tests and the benchmark.

`PostgresServer.start()` makes a new cluster with the server's own ``initdb`` in a new
temporary folder, starts ``postgres`` on a free loopback port with its unix socket in that
folder, and returns once ``pg_isready`` answers; `PostgresServer.stop()` ends the server and
removes the folder. PostgreSQL refuses to run as root, so under root (CI) the cluster
belongs to the ``postgres`` account that Debian's package creates (else ``nobody``) and
its programs run as that account (`subprocess.Popen`'s ``user=``); a developer's own
account runs them as itself.
"""

from __future__ import annotations

import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
from pathlib import Path
from typing import Any

USER = "switchboard"
"""The cluster's superuser, who connects without a password (``trust`` on this cluster)."""

PROGRAMS = ("initdb", "postgres", "pg_isready")

MISSING = (
    "PostgreSQL's server programs ({missing}) are not on PATH, nor in "
    "/usr/lib/postgresql/<version>/bin (Debian's layout): the PostgreSQL store's tests "
    "start a throwaway server with them. Install them: apt-get install postgresql."
)


def find_programs() -> Path:
    """The folder holding initdb, postgres and pg_isready.

    Raises:
        FileNotFoundError: They are not installed, with what to install.
    """
    candidates: list[Path] = []
    found = shutil.which("initdb")
    if found:
        candidates.append(Path(found).parent)
    debian = Path("/usr/lib/postgresql")
    if debian.is_dir():
        versions = [p for p in debian.iterdir() if p.name.isdigit()]
        candidates += [p / "bin" for p in sorted(versions, key=lambda p: -int(p.name))]
    for folder in candidates:
        if all((folder / name).is_file() for name in PROGRAMS):
            return folder
    raise FileNotFoundError(MISSING.format(missing=", ".join(PROGRAMS)))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _account() -> dict[str, Any]:
    """How to run the server's programs: as root, as an unprivileged account."""
    if os.geteuid() != 0:
        return {}
    for name in ("postgres", "nobody"):
        try:
            entry = pwd.getpwnam(name)
        except KeyError:
            continue
        return {"user": entry.pw_uid, "group": entry.pw_gid, "extra_groups": []}
    message = "Running as root, and neither a 'postgres' nor a 'nobody' account exists."
    raise RuntimeError(message)


class PostgresServer:
    """One throwaway cluster; `start` it, connect with `dsn`, `stop` it.

    Args:
        settings: Server settings (``-c name=value``); the defaults suit tests.
    """

    def __init__(self, settings: dict[str, str] | None = None) -> None:
        self.settings = settings or {}
        self.folder: Path | None = None
        self.port = 0
        self._process: subprocess.Popen[bytes] | None = None
        self._account = _account()

    def dsn(self, database: str = "postgres", *, tcp: bool = False) -> str:
        """A connection string to ``database``: through the unix socket, or loopback TCP."""
        assert self.folder is not None, "start the server first"
        host = "127.0.0.1" if tcp else str(self.folder)
        return f"host={host} port={self.port} user={USER} dbname={database}"

    def start(self) -> PostgresServer:
        """Make the cluster and start the server; return once it accepts connections."""
        programs = find_programs()
        self.folder = folder = Path(tempfile.mkdtemp(prefix="switchboard-pg-"))
        if self._account:
            os.chown(folder, self._account["user"], self._account["group"])
        self._run(
            programs / "initdb",
            "--pgdata",
            str(folder / "data"),
            "--username",
            USER,
            "--auth",
            "trust",
            "--encoding",
            "UTF8",
            "--locale",
            "C",
            "--no-sync",
        )
        for _ in range(3):  # another process may take the free port before the server does
            self.port = _free_port()
            if self._launch(programs):
                return self
        message = f"PostgreSQL did not start:\n{self.log()}"
        raise RuntimeError(message)

    def stop(self) -> None:
        """Stop the server (a fast shutdown: open connections are ended) and remove it."""
        if self._process is not None:
            self._process.send_signal(signal.SIGINT)
            try:
                self._process.wait(timeout=60)
            except subprocess.TimeoutExpired:
                self._process.kill()
                self._process.wait()
            self._process = None
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
            self.folder = None

    def log(self) -> str:
        """The server's log so far."""
        path = None if self.folder is None else self.folder / "server.log"
        return path.read_text(errors="replace") if path is not None and path.exists() else ""

    def _launch(self, programs: Path) -> bool:
        """Start ``postgres`` on `port`; whether it came up (False: it exited at start)."""
        folder = self.folder
        assert folder is not None
        options = {"listen_addresses": "127.0.0.1", **self.settings}
        settings = [arg for name, value in options.items() for arg in ("-c", f"{name}={value}")]
        with (folder / "server.log").open("ab") as log:
            self._process = subprocess.Popen(
                [
                    programs / "postgres",
                    "-D",
                    folder / "data",
                    "-p",
                    str(self.port),
                    "-k",
                    folder,
                    *settings,
                ],
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                **self._account,
            )
        ready = [
            programs / "pg_isready",
            "-q",
            "-h",
            folder,
            "-p",
            str(self.port),
            "-U",
            USER,
            "-d",
            "postgres",
        ]
        # Each pg_isready is a connection attempt: the loop is paced by them, not by sleeps.
        while subprocess.run(ready, check=False).returncode != 0:
            if self._process.poll() is not None:
                self._process = None
                return False
        return True

    def _run(self, *command: object) -> None:
        done = subprocess.run(
            [str(part) for part in command], capture_output=True, check=False, **self._account
        )
        if done.returncode != 0:
            output = (done.stdout + done.stderr).decode(errors="replace")
            message = f"{command[0]} failed ({done.returncode}):\n{output}"
            raise RuntimeError(message)
