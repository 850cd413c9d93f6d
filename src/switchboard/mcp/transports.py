"""The SDK transports an `MCPServer` connects through: a new one for each connection."""

from __future__ import annotations

import contextlib
import sys
from collections.abc import AsyncGenerator, Callable, Mapping, Sequence
from pathlib import Path
from typing import TextIO

from mcp.client._transport import Transport, TransportStreams
from mcp.client.stdio import StdioServerParameters, stdio_client
from mcp.client.streamable_http import streamable_http_client
from mcp.shared._httpx_utils import create_mcp_http_client


def stdio_transport(
    command: str,
    args: Sequence[str],
    *,
    env: Mapping[str, str] | None,
    cwd: str | Path | None,
    stderr: TextIO | None,
) -> Callable[[], Transport]:
    """Runs ``command`` as a subprocess and speaks MCP over its stdin and stdout."""
    parameters = StdioServerParameters(
        command=command, args=list(args), env=dict(env) if env else None, cwd=cwd
    )
    errlog = stderr if stderr is not None else sys.stderr
    return lambda: stdio_client(parameters, errlog=errlog)


def http_transport(url: str, *, headers: Mapping[str, str] | None) -> Callable[[], Transport]:
    """Speaks streamable HTTP to ``url``, sending ``headers`` with every request."""
    sent = dict(headers) if headers else None

    @contextlib.asynccontextmanager
    async def transport() -> AsyncGenerator[TransportStreams]:
        # The SDK closes only the HTTP client it made itself: this one is closed here.
        async with (
            create_mcp_http_client(headers=sent) as http,
            streamable_http_client(url, http_client=http) as streams,
        ):
            yield streams

    return transport
