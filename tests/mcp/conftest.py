"""Shared by the MCP tests: real servers run as subprocesses, over stdio and over HTTP.

Starting a server costs about a second (an interpreter and the SDK), so each module shares
its servers; a test that stops a server starts its own.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import TextIO

import pytest

import switchboard
from switchboard import MCPServer, Toolbox, ToolCall

FIXTURE_SERVER = str(Path(__file__).with_name("fixture_server.py"))
"""The SDK-built server with what mcp-server-time lacks (see its docstring)."""

SOURCE_ENV = {"PYTHONPATH": str(Path(switchboard.__file__).resolve().parents[1])}
"""A served command runs this checkout's switchboard (the SDK passes a stdio server no
PYTHONPATH)."""

TIME_SERVER = ["-m", "mcp_server_time", "--local-timezone", "UTC"]
"""mcp-server-time, from PyPI, with its timezone fixed so that it runs alike everywhere."""


@pytest.fixture(scope="module")
def anyio_backend() -> str:
    """Module-wide, so that a module's async fixtures share its event loop with its tests."""
    return "asyncio"


@pytest.fixture(scope="module")
def server_log(tmp_path_factory: pytest.TempPathFactory) -> Iterator[TextIO]:
    """Where the servers' stderr goes (their logs), rather than into the test output."""
    with (tmp_path_factory.mktemp("mcp") / "stderr.log").open("w") as log:
        yield log


def fixture_stdio(log: TextIO, *extra: str, **options: object) -> MCPServer:
    """The fixture server as a subprocess over stdio; ``extra`` are its own arguments."""
    return MCPServer.stdio(sys.executable, [FIXTURE_SERVER, *extra], stderr=log, **options)  # pyright: ignore[reportArgumentType]


def time_stdio(log: TextIO, **options: object) -> MCPServer:
    """mcp-server-time as a subprocess over stdio."""
    return MCPServer.stdio(sys.executable, TIME_SERVER, stderr=log, **options)  # pyright: ignore[reportArgumentType]


def free_port() -> int:
    """A loopback port nothing listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def serve_args(tools_file: str | Path) -> list[str]:
    """The interpreter's arguments that run `switchboard mcp serve tools_file` over stdio."""
    return ["-c", "from _switchboard_cli import main; main()", "mcp", "serve", str(tools_file)]


@contextmanager
def http_fixture_server(port: int, log: TextIO) -> Iterator[subprocess.Popen[bytes]]:
    """The fixture server serving streamable HTTP on ``port``, up once the port answers."""
    with _http_server([FIXTURE_SERVER, "--http", str(port)], port, log) as process:
        yield process


@contextmanager
def served_over_http(tools_file: str | Path, log: TextIO) -> Iterator[str]:
    """`switchboard mcp serve tools_file --transport http` on a free port; its endpoint's URL."""
    port = free_port()
    args = [*serve_args(tools_file), "--transport", "http", "--port", str(port)]
    with _http_server(args, port, log, env={**os.environ, **SOURCE_ENV}):
        yield f"http://127.0.0.1:{port}/mcp"


@contextmanager
def _http_server(
    args: Sequence[str], port: int, log: TextIO, env: dict[str, str] | None = None
) -> Iterator[subprocess.Popen[bytes]]:
    """``python args`` as a subprocess serving HTTP on ``port``, up once the port answers."""
    process = subprocess.Popen([sys.executable, *args], env=env, stderr=log, stdout=log)
    try:
        wait_for_port(port, process)
        yield process
    finally:
        process.kill()
        process.wait()


def wait_for_port(port: int, process: subprocess.Popen[bytes], limit: float = 30.0) -> None:
    """Poll until something accepts connections on ``port`` (the server started)."""
    deadline = time.monotonic() + limit
    while time.monotonic() < deadline:
        assert process.poll() is None, "the HTTP server exited while starting"
        try:
            socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
        except OSError:
            time.sleep(0.02)
            continue
        return
    pytest.fail(f"nothing listened on port {port} within {limit} s")


def child_pids() -> list[int]:
    """The process ids of this process's children (the stdio servers it runs), from /proc."""
    children: list[int] = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        if int(fields[1]) == os.getpid():
            children.append(int(entry.name))
    return children


async def wait_for_cancellation(toolbox: Toolbox, label: str, limit: float = 10.0) -> list[str]:
    """Ask the server for its cancelled calls until ``label`` is among them; return them.

    The server learns of a cancellation on its own time (over HTTP, when it sees the
    request's stream close), so it is asked again until it has.
    """
    import anyio

    with anyio.fail_after(limit):
        while True:
            [result] = await toolbox.execute([ToolCall("poll", "cancellations", "{}")])
            if label in result.value["result"]:
                return result.value["result"]
            await anyio.sleep(0.01)


async def wait_for_tool(toolbox: Toolbox, name: str, limit: float = 10.0) -> None:
    """Wait until ``name`` is among the toolbox's tools (a server's list changed)."""
    import anyio

    with anyio.fail_after(limit):
        while name not in toolbox:
            await anyio.sleep(0.01)
