"""Per-call cost of switchboard's MCP server against peers serving the same tool.

Workload: one client (the official SDK's ``ClientSession``, the initialize handshake) calls
``add(a, b) -> int`` over and over on each server (a subprocess of this script, but for
``memory``):

- ``switchboard``: ``Toolbox.mcp_server()``, served as ``switchboard mcp serve`` serves it
  (the calls run through switchboard's executor: validation, structured content);
- ``fastmcp``: FastMCP's ``FastMCP`` (the ``fastmcp`` package);
- ``mcpserver``: the official SDK's ``MCPServer`` (its FastMCP, renamed in mcp 2);
- ``floor``: the SDK's low-level ``Server`` with a hand-written handler that reads the two
  numbers and answers their sum as text: no validation, no output schema, nothing else.
  The cheapest plain path through the same SDK: what any server pays.

Over stdio and over streamable HTTP (loopback), and in this process over the SDK's in-memory
transport (``memory``: no other process and no pipe or socket, so the least noisy view of
what each server costs per call). All servers are started and connected first;
then the rounds go round the subjects in turn, so that a busy moment of the machine falls on
all of them alike. A round is ``--calls`` sequential calls; each subject's figure is the
best round's time per call (``us_per_call``), the median beside it. ``vs_fastest_peer`` is
switchboard's best over the best of fastmcp and mcpserver (1.10 = 10% slower);
``over_floor_us`` is what each server adds to the floor's call.

Prints one JSON line; progress on stderr.

Usage: python benchmarks/mcp_server.py [--rounds 40] [--calls 100] [--transports stdio,http,memory]
"""

from __future__ import annotations

import argparse
import json
import os
import socket
import statistics
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from contextlib import AsyncExitStack, asynccontextmanager
from pathlib import Path
from typing import Any

import anyio

ROOT = Path(__file__).resolve().parents[1]
SUBJECTS = ("switchboard", "fastmcp", "mcpserver", "floor")
PEERS = ("fastmcp", "mcpserver")


def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: The first.
        b: The second.
    """
    return a + b


def _server(subject: str) -> Any:
    """The subject's server object, with `add` registered."""
    if subject == "switchboard":
        from switchboard import Toolbox

        return Toolbox([add]).mcp_server(name="bench")
    if subject == "fastmcp":
        from fastmcp import FastMCP

        fast = FastMCP("bench")
        fast.tool(add)
        return fast
    if subject == "mcpserver":
        from mcp.server.mcpserver import MCPServer

        sdk = MCPServer("bench", log_level="WARNING")
        sdk.tool()(add)
        return sdk
    return _floor()


def _floor() -> Any:
    import mcp.types as types
    from mcp.server.lowlevel import Server

    listed = types.ListToolsResult(
        tools=[
            types.Tool(
                name="add",
                input_schema={
                    "type": "object",
                    "properties": {"a": {"type": "integer"}, "b": {"type": "integer"}},
                    "required": ["a", "b"],
                },
            )
        ]
    )

    async def list_tools(ctx: Any, params: Any) -> types.ListToolsResult:
        return listed

    async def call_tool(ctx: Any, params: types.CallToolRequestParams) -> types.CallToolResult:
        arguments = params.arguments or {}
        text = str(arguments["a"] + arguments["b"])
        return types.CallToolResult(content=[types.TextContent(text=text)])

    return Server("bench", on_list_tools=list_tools, on_call_tool=call_tool)


def _serve(subject: str, transport: str, port: int) -> None:
    """Run one subject's server over stdio or HTTP (the subprocess side), as it runs itself."""
    server = _server(subject)
    if subject == "fastmcp":
        options = {"host": "127.0.0.1", "port": port} if transport == "http" else {}
        server.run(transport, show_banner=False, log_level="WARNING", **options)
    elif subject == "mcpserver":
        if transport == "stdio":
            server.run("stdio")
        else:
            server.run("streamable-http", host="127.0.0.1", port=port)
    else:  # switchboard, as `switchboard mcp serve` runs it, and the floor alike
        from switchboard.mcp.server_transports import serve_http, serve_stdio

        if transport == "stdio":
            anyio.run(serve_stdio, server)
        else:
            anyio.run(lambda: serve_http(server, host="127.0.0.1", port=port))


@asynccontextmanager
async def _in_memory(subject: str) -> AsyncIterator[Any]:
    """Streams to the subject's server run in this process (the SDK's in-memory transport)."""
    from mcp.client._memory import InMemoryTransport  # the SDK's own, used by mcp.Client

    server = _server(subject)
    if subject == "fastmcp":
        # As FastMCP's own runners do: its lifespan around its low-level server.
        async with server._lifespan_manager(), InMemoryTransport(server._mcp_server) as streams:
            yield streams
    else:
        async with InMemoryTransport(server) as streams:
            yield streams


def _command(subject: str, transport: str, port: int) -> list[str]:
    return [
        sys.executable,
        __file__,
        "--serve",
        subject,
        "--transport",
        transport,
        f"--port={port}",
    ]


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _wait_for_port(port: int, process: subprocess.Popen[bytes]) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            msg = f"a server exited with status {process.returncode} before listening"
            raise RuntimeError(msg)
        try:
            socket.create_connection(("127.0.0.1", port), timeout=1).close()
        except OSError:
            time.sleep(0.02)  # not spinning: the server starting needs the CPU
            continue
        return
    msg = f"no server listened on port {port} within 60 s"
    raise RuntimeError(msg)


@asynccontextmanager
async def _connected(subject: str, transport: str) -> AsyncIterator[Any]:
    """A ClientSession to the subject's server, started for it."""
    from mcp import ClientSession, StdioServerParameters, stdio_client
    from mcp.client.streamable_http import streamable_http_client

    env = {**os.environ, "PYTHONPATH": str(ROOT / "src")}
    async with AsyncExitStack() as stack:
        if transport == "memory":
            streams = _in_memory(subject)
        elif transport == "stdio":
            command = _command(subject, "stdio", 0)
            parameters = StdioServerParameters(command=command[0], args=command[1:], env=env)
            streams = stdio_client(parameters, errlog=sys.stderr)
        else:
            port = _free_port()
            process = subprocess.Popen(_command(subject, "http", port), env=env)
            stack.callback(process.wait, 30)
            stack.callback(process.terminate)
            _wait_for_port(port, process)
            streams = streamable_http_client(f"http://127.0.0.1:{port}/mcp")
        read, write = await stack.enter_async_context(streams)
        session = await stack.enter_async_context(ClientSession(read, write))
        await session.initialize()
        await session.list_tools()
        yield session


async def _round(session: Any, calls: int) -> float:
    """Seconds per call over ``calls`` sequential calls, each checked."""
    start = time.perf_counter()
    for i in range(calls):
        result = await session.call_tool("add", {"a": i, "b": 1})
        if result.is_error or result.content[0].text != str(i + 1):
            msg = f"wrong answer: {result}"
            raise RuntimeError(msg)
    return (time.perf_counter() - start) / calls


async def _measure(transports: list[str], rounds: int, calls: int) -> dict[str, Any]:
    subjects = [(transport, subject) for transport in transports for subject in SUBJECTS]
    times: dict[tuple[str, str], list[float]] = {key: [] for key in subjects}
    async with AsyncExitStack() as stack:
        sessions = {
            key: await stack.enter_async_context(_connected(*reversed(key))) for key in subjects
        }
        for session in sessions.values():  # warm up: first calls build caches and JIT paths
            await _round(session, calls)
        for n in range(rounds):
            for key in subjects:
                times[key].append(await _round(sessions[key], calls))
            print(f"round {n + 1}/{rounds}", file=sys.stderr)
    figures: dict[str, Any] = {}
    for transport in transports:
        best = {s: min(times[transport, s]) * 1e6 for s in SUBJECTS}
        median = {s: statistics.median(times[transport, s]) * 1e6 for s in SUBJECTS}
        figures[transport] = {
            "us_per_call": {s: round(best[s], 1) for s in SUBJECTS},
            "us_per_call_median": {s: round(median[s], 1) for s in SUBJECTS},
            "over_floor_us": {s: round(best[s] - best["floor"], 1) for s in SUBJECTS[:-1]},
            "vs_fastest_peer": round(best["switchboard"] / min(best[p] for p in PEERS), 3),
        }
    return figures


def main() -> None:
    """Serve (as a subprocess), or measure every subject and print the JSON line."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--calls", type=int, default=100)
    parser.add_argument("--transports", default="stdio,http,memory")
    parser.add_argument("--serve", choices=SUBJECTS, help=argparse.SUPPRESS)
    parser.add_argument("--transport", default="stdio", help=argparse.SUPPRESS)
    parser.add_argument("--port", type=int, default=0, help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.serve:
        _serve(args.serve, args.transport, args.port)
        return
    transports = args.transports.split(",")
    figures = anyio.run(_measure, transports, args.rounds, args.calls)
    print(
        json.dumps(
            {
                "benchmark": "mcp_server",
                "client": "mcp.ClientSession (initialize handshake)",
                "tool": "add(a: int, b: int) -> int",
                "rounds": args.rounds,
                "calls_per_round": args.calls,
                **figures,
                "load_average": os.getloadavg()[0],
            }
        )
    )


if __name__ == "__main__":
    main()
