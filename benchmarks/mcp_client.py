"""Per-call cost of switchboard's MCP client against the official SDK's clients and FastMCP's.

Workload: one MCP server, built on the official SDK's ``MCPServer`` (FastMCP's successor) and
run by this script itself (``--serve`` over stdio, ``--serve-http PORT`` over streamable
HTTP on 127.0.0.1), with one tool ``add(a: int, b: int) -> int``. Every subject calls it
``CALLS`` times in a row, each call with its own arguments (``a=i, b=i+1``), and its figure is
microseconds per call: the whole round trip, through each client's own call path, to the
value the program reads (checked on the warm-up calls to be ``a + b``). With a trivial tool,
nearly all of it is the client, the transport and the server; the subjects differ only in
the client.

Subjects, over each transport (each holds its own connection; over stdio its own server
process, over HTTP all talk to one):

* ``sdk_session``: the SDK's ``ClientSession`` on its ``stdio_client`` or
  ``streamable_http_client``, after ``initialize()`` (the 2025-11-25 handshake), calling
  ``session.call_tool``: the lowest-level documented client.
* ``sdk_client``: the SDK's ``Client`` (``cache=None``), which negotiates the 2026-07-28
  revision with this server, calling ``client.call_tool``.
* ``fastmcp``: FastMCP's ``Client`` (its own stdio and HTTP transports), ``call_tool``.
* ``switchboard``: an `MCPServer` at its transport's default revision (no ``protocol``
  given: the 2025-11-25 handshake over stdio, 2026-07-28 over HTTP) in a `Toolbox`,
  ``await toolbox.execute([call])`` per call, the call a `ToolCall` with the arguments as
  JSON text, as a model writes them: its figure includes parsing and validating them
  against the tool's input schema, and the `ToolResult` the model reads.
* ``switchboard_auto`` (stdio) or ``switchboard_legacy`` (HTTP): the same at the other
  revision (``protocol="auto"``: 2026-07-28; ``protocol="legacy"``: 2025-11-25), so that
  each revision has a switchboard figure to set beside the SDK client that speaks it.

Each call's inputs are built before the clock starts. A sample is ``CALLS`` calls; all
subjects take turns, sample by sample, for ``--rounds`` rounds, each round starting with the
next subject (so a busy spell of the machine does not fall on one subject) and on new
connections: two server processes that are alike still differ by up to 10% in the same
run (the cores they land on, what else runs there), so no subject keeps one process
throughout. A figure is the best (least) sample: noise only adds time. Beside the wall time,
``client_cpu_us_per_call`` is this process's CPU time per call (the client's own work): the
steadiest measure of what a client adds; ``server_cpu_us_per_call`` is the server process's
(all its threads, from Linux's ``/proc/PID/task/*/schedstat``), which shows what each
protocol revision costs the server: the same server answers every subject.
``switchboard_own_client_cpu_us_per_call`` (stdio, each revision) is what switchboard adds
to the SDK ``Client`` it is built on, measured call by call on one connection (`own_cpu`):
the figure least moved by a busy machine. The same-protocol ratios
(``switchboard_over_sdk_session_at_2025_11_25``, ``switchboard_over_sdk_client_at_2026_07_28``:
switchboard's subject that negotiated that revision) are reported beside the target's.
The target: switchboard within 10% of the fastest peer, or faster, over each transport
(``met``, judged on ``switchboard``, its default path). Output: one JSON line on stdout.

Run: ``.venv/bin/python benchmarks/mcp_client.py [--rounds 8] [--calls 100]``.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import json
import os
import socket
import subprocess
import sys
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

Call = Callable[[int], Awaitable[int]]
"""Runs call number ``i`` (``add(i, i + 1)``) and returns the value the program reads."""


def serve(port: int | None) -> None:
    """Run the benchmark's server: over stdio, or over streamable HTTP on ``port``."""
    from mcp.server.mcpserver import MCPServer

    server = MCPServer("bench", log_level="WARNING")

    @server.tool()
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    if port is None:
        server.run("stdio")
    else:
        server.run("streamable-http", host="127.0.0.1", port=port)


SERVE = [sys.executable, os.path.abspath(__file__), "--serve"]


@contextlib.asynccontextmanager
async def sdk_session(url: str | None) -> AsyncIterator[tuple[Call, str]]:
    from mcp import ClientSession, StdioServerParameters
    from mcp.client.stdio import stdio_client
    from mcp.client.streamable_http import streamable_http_client

    with open(os.devnull, "w") as quiet:
        transport = (
            stdio_client(StdioServerParameters(command=SERVE[0], args=SERVE[1:]), errlog=quiet)
            if url is None
            else streamable_http_client(url)
        )
        async with transport as (read, write), ClientSession(read, write) as session:
            await session.initialize()

            async def call(i: int) -> int:
                result = await session.call_tool("add", {"a": i, "b": i + 1})
                return result.structured_content["result"]

            yield call, str(session.protocol_version)


@contextlib.asynccontextmanager
async def sdk_client(url: str | None) -> AsyncIterator[tuple[Call, str]]:
    from mcp import Client, StdioServerParameters
    from mcp.client.stdio import stdio_client

    with open(os.devnull, "w") as quiet:
        server: Any = (
            stdio_client(StdioServerParameters(command=SERVE[0], args=SERVE[1:]), errlog=quiet)
            if url is None
            else url
        )
        async with Client(server, cache=None) as client:

            async def call(i: int) -> int:
                result = await client.call_tool("add", {"a": i, "b": i + 1})
                return result.structured_content["result"]

            yield call, client.protocol_version


@contextlib.asynccontextmanager
async def fastmcp_client(url: str | None) -> AsyncIterator[tuple[Call, str]]:
    from fastmcp import Client
    from fastmcp.client.transports import StdioTransport

    target: Any = StdioTransport(command=SERVE[0], args=SERVE[1:]) if url is None else url
    async with Client(target) as client:

        async def call(i: int) -> int:
            result = await client.call_tool("add", {"a": i, "b": i + 1})
            return result.structured_content["result"]  # type: ignore[index]

        yield call, str(client.session.protocol_version)


def switchboard_subject(protocol: str | None) -> Callable[[str | None], Any]:
    """The subject for switchboard's client at ``protocol`` (``None``: the transport's default)."""

    @contextlib.asynccontextmanager
    async def subject(url: str | None) -> AsyncIterator[tuple[Call, str]]:
        from switchboard import MCPServer, Toolbox, ToolCall

        chosen = {} if protocol is None else {"protocol": protocol}
        with open(os.devnull, "w") as quiet:
            server = (
                MCPServer.stdio(SERVE[0], SERVE[1:], stderr=quiet, **chosen)
                if url is None
                else MCPServer.http(url, **chosen)
            )
            async with server:
                toolbox = Toolbox([server])

                async def call(i: int) -> int:
                    [result] = await toolbox.execute(
                        [ToolCall(f"c{i}", "add", f'{{"a": {i}, "b": {i + 1}}}')]
                    )
                    return result.value["result"]

                yield call, str(server.protocol_version)

    return subject


PEERS = ("sdk_session", "sdk_client", "fastmcp")


def subjects(url: str | None) -> dict[str, Callable[[str | None], Any]]:
    """The peers, switchboard at the transport's default and at the other revision."""
    other = "auto" if url is None else "legacy"  # the revision the default is not
    return {
        "sdk_session": sdk_session,
        "sdk_client": sdk_client,
        "fastmcp": fastmcp_client,
        "switchboard": switchboard_subject(None),
        f"switchboard_{other}": switchboard_subject(other),
    }


def children() -> set[int]:
    """The process ids of this process's children (the stdio servers), from /proc."""
    found: set[int] = set()
    for entry in os.listdir("/proc"):
        if entry.isdigit():
            try:
                with open(f"/proc/{entry}/stat") as stat:
                    fields = stat.read().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[1]) == os.getpid():
                found.add(int(entry))
    return found


def server_cpu_ns(pid: int | None) -> int:
    """The CPU time of the server process so far, all its threads, in ns (Linux schedstat).

    The tool runs in the server's worker threads, which stay between calls (the SDK's
    thread pool keeps them), so no time is lost with a thread that ended.
    """
    if pid is None:
        return 0
    total = 0
    for task in os.listdir(f"/proc/{pid}/task"):
        with contextlib.suppress(OSError), open(f"/proc/{pid}/task/{task}/schedstat") as stat:
            total += int(stat.read().split()[0])
    return total


async def sample(call: Call, calls: int, offset: int, server: int | None) -> tuple[float, ...]:
    """Microseconds per call over ``calls`` calls in a row: wall, client CPU, server CPU."""
    gc.collect()
    start, cpu, served = time.perf_counter_ns(), time.process_time_ns(), server_cpu_ns(server)
    for i in range(offset, offset + calls):
        await call(i)
    wall, used = time.perf_counter_ns() - start, time.process_time_ns() - cpu
    server_used = server_cpu_ns(server) - served
    return wall / calls / 1000, used / calls / 1000, server_used / calls / 1000


async def measure(url: str | None, calls: int, rounds: int, pid: int | None) -> dict[str, Any]:
    """Every subject's best figure over one transport (``url`` None: stdio).

    ``pid`` is the HTTP server's process; over stdio each subject's own server is found.
    """
    best: dict[str, float] = {}
    best_cpu: dict[str, float] = {}
    best_server: dict[str, float] = {}
    protocols: dict[str, str] = {}
    chosen = subjects(url)
    names = list(chosen)
    for round_ in range(rounds):
        # Each round starts with the next subject, so that none always runs first.
        order = names[round_ % len(names) :] + names[: round_ % len(names)]
        async with contextlib.AsyncExitStack() as stack:
            opened: dict[str, tuple[Call, int | None]] = {}
            for name in order:  # new connections (over stdio, new server processes) each round
                before = children()
                call, protocols[name] = await stack.enter_async_context(chosen[name](url))
                started = children() - before
                server = started.pop() if url is None and len(started) == 1 else pid
                for i in range(20):  # warm-up, checked
                    assert await call(i) == 2 * i + 1, name
                opened[name] = call, server
            for name in order:
                call, server = opened[name]
                figure, cpu, served = await sample(call, calls, 1000 * round_, server)
                best[name] = min(best.get(name, figure), figure)
                best_cpu[name] = min(best_cpu.get(name, cpu), cpu)
                best_server[name] = min(best_server.get(name, served), served)
        print(f"round {round_ + 1}/{rounds} done", file=sys.stderr)
    fastest = min(best[peer] for peer in PEERS)
    at = {protocols[name]: name for name in names if name.startswith("switchboard")}
    return {
        "us_per_call": {name: round(figure, 1) for name, figure in best.items()},
        "client_cpu_us_per_call": {name: round(cpu, 1) for name, cpu in best_cpu.items()},
        "server_cpu_us_per_call": {name: round(cpu, 1) for name, cpu in best_server.items()},
        "protocol": protocols,
        "switchboard_over_fastest_peer": round(best["switchboard"] / fastest, 3),
        "switchboard_over_sdk_session_at_2025_11_25": round(
            best[at["2025-11-25"]] / best["sdk_session"], 3
        ),
        "switchboard_over_sdk_client_at_2026_07_28": round(
            best[at["2026-07-28"]] / best["sdk_client"], 3
        ),
        "met": best["switchboard"] <= 1.10 * fastest,
    }


async def own_cpu(protocol: str, calls: int) -> float:
    """The client CPU per call that switchboard adds to the SDK ``Client`` it is built on.

    One `MCPServer` connection over stdio; calls through ``Toolbox.execute`` and calls
    straight to the SDK ``Client`` under it take turns, call by call, so that both meet the
    same server process and the same moments of a busy machine: the difference of their
    median CPU times.
    """
    import statistics

    from switchboard import MCPServer, Toolbox, ToolCall

    with open(os.devnull, "w") as quiet:
        server = MCPServer.stdio(SERVE[0], SERVE[1:], stderr=quiet, protocol=protocol)
        async with server:
            toolbox = Toolbox([server])
            # The SDK's Client under it (private: what is measured is what wraps it).
            client = server._connection.client  # pyright: ignore[reportPrivateUsage, reportOptionalMemberAccess]

            async def sdk(i: int) -> int:
                result = await client.call_tool("add", {"a": i, "b": i + 1})
                return result.structured_content["result"]

            async def ours(i: int) -> int:
                [result] = await toolbox.execute(
                    [ToolCall(f"c{i}", "add", f'{{"a": {i}, "b": {i + 1}}}')]
                )
                return result.value["result"]

            spent: dict[Call, list[int]] = {sdk: [], ours: []}
            for i in range(calls):
                for call in (sdk, ours) if i % 2 else (ours, sdk):
                    start = time.process_time_ns()
                    assert await call(i) == 2 * i + 1
                    spent[call].append(time.process_time_ns() - start)
    return (statistics.median(spent[ours]) - statistics.median(spent[sdk])) / 1000


@contextlib.contextmanager
def http_server() -> Any:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    process = subprocess.Popen(
        [*SERVE[:2], "--serve-http", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        deadline = time.monotonic() + 30
        while time.monotonic() < deadline:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=0.2).close()
                break
            except OSError:
                time.sleep(0.02)
        yield f"http://127.0.0.1:{port}/mcp", process.pid
    finally:
        process.kill()
        process.wait()


async def main(calls: int, rounds: int) -> dict[str, Any]:
    stdio = await measure(None, calls, rounds, None)
    stdio["switchboard_own_client_cpu_us_per_call"] = {
        "2026-07-28": round(await own_cpu("auto", 20 * calls), 1),
        "2025-11-25": round(await own_cpu("legacy", 20 * calls), 1),
    }
    with http_server() as (url, pid):
        http = await measure(url, calls, rounds, pid)
    return {
        "benchmark": "mcp_client",
        "calls_per_sample": calls,
        "rounds": rounds,
        "stdio": stdio,
        "http": http,
        "load_average": os.getloadavg()[0],
    }


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description="Per-call cost of MCP clients.")
    parser.add_argument("--serve", action="store_true", help="run the server over stdio")
    parser.add_argument("--serve-http", type=int, metavar="PORT", help="run it over HTTP")
    parser.add_argument("--calls", type=int, default=100, help="calls per sample")
    parser.add_argument("--rounds", type=int, default=8, help="samples per subject")
    options = parser.parse_args()
    if options.serve or options.serve_http:
        serve(options.serve_http)
    else:
        print(json.dumps(asyncio.run(main(options.calls, options.rounds))))
