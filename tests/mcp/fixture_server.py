"""An MCP server on the official SDK's `MCPServer` (FastMCP), for switchboard's client tests.

It has what mcp-server-time lacks: tool errors, structured output (and one result that
breaks its output schema), images, audio and an embedded resource, progress, a tool list
that changes, pagination, a slow tool that records its cancellation and how many of it ran
at once, a tool that fails once, the request's headers, and a tool that ends its own
process. Run it as ``python fixture_server.py [--http PORT] [--page-size N]``.
"""

from __future__ import annotations

import argparse
import base64
import os
from typing import Any

import anyio
from mcp.server.context import CallNext, HandlerResult, ServerMiddleware, ServerRequestContext
from mcp.server.mcpserver import Audio, Context, Image, MCPServer
from mcp.server.mcpserver.exceptions import ToolError
from mcp.types import CallToolResult, EmbeddedResource, TextContent, TextResourceContents
from pydantic import BaseModel

# A 1x1 transparent PNG.
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAQAAAC1HAwCAAAAC0lEQVR42mNkYAAAAAYAAjCB0C8AAAAASUVORK5CYII="
)
WAV = b"RIFF\x24\x00\x00\x00WAVEfmt " + bytes(28)


class Forecast(BaseModel):
    """A day's weather."""

    city: str
    high: int
    sky: str


server = MCPServer("switchboard-fixture", version="1.0")
cancelled: list[str] = []
"""The labels of the `slow` calls the client cancelled, in order."""
running = {"now": 0, "peak": 0}
"""How many `slow` calls run now, and the most that ran at once."""
tries: dict[str, int] = {}
"""How many times `flaky` was called, by key."""


@server.tool()
def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@server.tool()
def echo(text: str) -> str:
    """Return the text as it came."""
    return text


@server.tool()
def fail(reason: str) -> str:
    """Fail with the reason given."""
    message = f"Refused: {reason}"
    raise ToolError(message)


@server.tool()
def forecast(city: str) -> Forecast:
    """Tomorrow's weather for a city."""
    return Forecast(city=city, high=21, sky="clear")


@server.tool()
def broken_forecast(city: str) -> Forecast:
    """Tomorrow's weather; its result breaks the output schema (see `_break_structure`)."""
    return Forecast(city=city, high=21, sky="clear")


@server.tool(structured_output=False)
def picture() -> list[Any]:
    """A caption and a one-pixel image."""
    return ["A pixel.", Image(data=PNG, format="png")]


@server.tool(structured_output=False)
def sound() -> list[Any]:
    """A short silence."""
    return [Audio(data=WAV, format="wav")]


@server.tool()
def document() -> CallToolResult:
    """A text resource, embedded."""
    resource = TextResourceContents(uri="file:///notes.txt", mime_type="text/plain", text="Notes.")
    return CallToolResult(
        content=[
            TextContent(type="text", text="Here are the notes."),
            EmbeddedResource(type="resource", resource=resource),
        ]
    )


@server.tool()
async def slow(label: str, seconds: float, ctx: Context) -> str:
    """Report progress four times over ``seconds``, then answer; a cancelled call is recorded."""
    running["now"] += 1
    running["peak"] = max(running["peak"], running["now"])
    try:
        for step in range(1, 5):
            await ctx.report_progress(step, 4, f"step {step}")
            await anyio.sleep(seconds / 4)
    except anyio.get_cancelled_exc_class():
        cancelled.append(label)
        raise
    finally:
        running["now"] -= 1
    return f"{label} done"


@server.tool()
def peak() -> int:
    """The most `slow` calls that ran at once since the last call of this tool."""
    seen, running["peak"] = running["peak"], 0
    return seen


@server.tool()
def flaky(key: str) -> str:
    """Fail the first call for ``key``, succeed from the second on."""
    tries[key] = tries.get(key, 0) + 1
    if tries[key] == 1:
        message = f"Busy, try {key} again."
        raise ToolError(message)
    return f"{key} worked on try {tries[key]}"


@server.tool()
def header(name: str, ctx: Context) -> str:
    """The value of the HTTP request header ``name`` ("" over stdio or when absent)."""
    headers = ctx.headers or {}
    return headers.get(name.lower(), "")


@server.tool()
def cancellations() -> list[str]:
    """The labels of the slow calls that were cancelled so far."""
    return cancelled


@server.tool()
async def grow(name: str, ctx: Context) -> str:
    """Add a tool called ``name`` (it echoes its text), and tell the client the list changed."""
    server.add_tool(lambda text: text, name=name, description=f"Echo, as {name}.")
    await ctx.notify_tools_changed()  # 2026-07-28: subscriptions/listen
    if ctx.protocol_version != "2026-07-28":
        await ctx.session.send_tool_list_changed()  # the handshake era's notification
    return f"added {name}"


@server.tool()
def where() -> dict[str, str]:
    """This process's working directory and its SWITCHBOARD_MARKER variable."""
    return {"cwd": os.getcwd(), "marker": os.environ.get("SWITCHBOARD_MARKER", "")}


@server.tool()
def pid() -> int:
    """This server's process id."""
    return os.getpid()


@server.tool()
def die() -> str:
    """End this server's process at once, mid-call."""
    os._exit(3)


async def _break_structure(
    ctx: ServerRequestContext[Any, Any], call_next: CallNext
) -> HandlerResult:
    """Give `broken_forecast`'s result structured content its output schema refuses."""
    result = await call_next(ctx)
    name = ctx.params.get("name") if ctx.params else None
    if ctx.method == "tools/call" and name == "broken_forecast" and isinstance(result, dict):
        result["structuredContent"] = {"city": "Oslo", "high": "warm"}
    return result


def _pages(size: int) -> ServerMiddleware[Any]:
    """A middleware serving tools/list in pages of ``size``, the cursor being the offset."""

    async def paginate(ctx: ServerRequestContext[Any, Any], call_next: CallNext) -> HandlerResult:
        result = await call_next(ctx)
        if ctx.method != "tools/list" or not isinstance(result, dict):
            return result
        cursor = ctx.params.get("cursor") if ctx.params else None
        start = int(cursor) if cursor else 0
        tools: list[Any] = result["tools"]
        result["tools"] = tools[start : start + size]
        if start + size < len(tools):
            result["nextCursor"] = str(start + size)
        return result

    return paginate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--http", type=int, help="serve streamable HTTP on 127.0.0.1 at this port")
    parser.add_argument("--page-size", type=int, help="list tools in pages of this size")
    options = parser.parse_args()
    server.middleware.append(_break_structure)
    if options.page_size:
        server.middleware.append(_pages(options.page_size))
    if options.http:
        server.run("streamable-http", host="127.0.0.1", port=options.http)
    else:
        server.run("stdio")


if __name__ == "__main__":
    main()
