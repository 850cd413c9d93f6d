"""Run an MCP server over stdio or streamable HTTP, with the SDK's transports."""

from __future__ import annotations

import contextlib
import sys
from typing import Any

try:
    import uvicorn
    from mcp.server.lowlevel import Server
    from mcp.server.stdio import stdio_server
except ImportError as e:  # pragma: no cover - exercised only without the extra
    msg = 'Install the extra: pip install "switchboard[mcp]"'
    raise ImportError(msg) from e

HTTP_PATH = "/mcp"
"""Where the streamable HTTP endpoint is served."""


async def serve_stdio(server: Server[Any]) -> None:
    """Serve one client on this process's stdin and stdout, until stdin closes.

    While it serves, what the tools print goes to stderr, not into the protocol.
    """
    async with stdio_server() as (read_stream, write_stream):
        # The SDK points file descriptor 1 at stderr while it serves, but `print` writes to
        # sys.stdout's buffer, which is flushed later, maybe after the descriptor is given
        # back to the protocol: sys.stdout itself must be stderr meanwhile.
        with contextlib.redirect_stdout(sys.stderr):
            await server.run(read_stream, write_stream, server.create_initialization_options())


async def serve_http(server: Server[Any], *, host: str, port: int) -> None:
    """Serve streamable HTTP at ``http://host:port/mcp`` until interrupted.

    On a loopback host the SDK refuses requests whose ``Host`` or ``Origin`` header names
    another (DNS rebinding protection).
    """
    app = server.streamable_http_app(streamable_http_path=HTTP_PATH, host=host)
    config = uvicorn.Config(app, host=host, port=port, log_level="warning", lifespan="on")
    await uvicorn.Server(config).serve()
