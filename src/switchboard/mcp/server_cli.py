"""``switchboard mcp serve``: the tools of a Python file, served to MCP clients.

Imported with the command line, so it imports neither the MCP SDK nor the tools until the
command runs.
"""

from __future__ import annotations

import contextlib
import enum
import os
import signal
import sys
from pathlib import Path
from types import FrameType
from typing import Annotated

import typer
from rich.console import Console

from switchboard.errors import SwitchboardError
from switchboard.terminal import INTERRUPTED, Command, Group, fail
from switchboard.tools_file import load_toolbox

mcp_app = typer.Typer(
    cls=Group,
    help="The Model Context Protocol: serve tools to MCP clients.",
    no_args_is_help=True,
)


class Transport(enum.StrEnum):
    """How `serve` talks to clients."""

    STDIO = "stdio"
    HTTP = "http"


@mcp_app.command(cls=Command)
def serve(
    file: Annotated[Path, typer.Argument(help="A Python file that defines tools.")],
    transport: Annotated[
        Transport,
        typer.Option(help="stdio: for a client that starts this command; http: streamable HTTP."),
    ] = Transport.STDIO,
    host: Annotated[str, typer.Option(help="With --transport http: the address to listen on.")] = (
        "127.0.0.1"
    ),
    port: Annotated[int, typer.Option(help="With --transport http: the port to listen on.")] = 8000,
    name: Annotated[
        str | None, typer.Option(help="The server's name, as clients show it (default: FILE's).")
    ] = None,
) -> None:
    """Serve the tools of FILE to MCP clients, run as a model's calls are run.

    Each call is repaired, validated and run as `switchboard call` runs it; a failure is
    answered as an error result holding the message a model would read. With --transport
    http the endpoint is http://HOST:PORT/mcp. Status lines go to stderr: stdout is the
    protocol's.
    """
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    try:
        # A print at the file's top level must not reach stdout, where the protocol runs.
        with contextlib.redirect_stdout(sys.stderr):
            toolbox = load_toolbox(file)
        import anyio

        from switchboard.mcp.server_transports import HTTP_PATH, serve_http, serve_stdio
    except (SwitchboardError, ImportError) as e:
        fail(str(e))
    server = toolbox.mcp_server(name=name or file.stem)
    where = "on stdio" if transport is Transport.STDIO else f"at http://{host}:{port}{HTTP_PATH}"
    count = f"{len(toolbox)} tool{'' if len(toolbox) == 1 else 's'}"
    console.print(f"Serving {count} from {file} over MCP {where}")
    if transport is Transport.STDIO:
        signal.signal(signal.SIGINT, _end_at_once)
        anyio.run(serve_stdio, server)
    else:
        anyio.run(lambda: serve_http(server, host=host, port=port))


def _end_at_once(signum: int, frame: FrameType | None) -> None:
    """End a stdio server on Ctrl-C at once, as the default SIGTERM does.

    The SDK reads stdin in a worker thread that nothing interrupts (anyio's, shielded and
    joined at exit): after the usual KeyboardInterrupt the process would wait for a line
    that a terminal may never send.
    """
    del signum, frame
    sys.stderr.write("interrupted\n")
    sys.stderr.flush()
    os._exit(INTERRUPTED)
