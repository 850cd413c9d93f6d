"""The tools the MCP server tests serve, in process and as `switchboard mcp serve` serves a file."""

from __future__ import annotations

import anyio
from pydantic import BaseModel

from switchboard import RunContext, Toolbox

tools = Toolbox()

CANCELLED: list[str] = []
"""The ids of the calls of `wait` that were cancelled, in order."""


class Weather(BaseModel):
    """A reading."""

    city: str
    celsius: float


@tools.register(title="Add two numbers", read_only=True, idempotent=True, open_world=False)
def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: The first.
        b: The second.
    """
    return a + b


@tools.register
def weather(city: str) -> Weather:
    """Get the current weather for a city."""
    return Weather(city=city, celsius=18.5)


@tools.register
def greet(name: str, greeting: str = "Hello") -> str:
    """Greet someone."""
    return f"{greeting}, {name}!"


@tools.register(destructive=True)
def erase(name: str) -> None:
    """Erase a record."""
    del name


@tools.register
def explode(reason: str) -> str:
    """Fail, saying why."""
    raise ValueError(reason)


@tools.register(timeout=0.05)
async def stall() -> str:
    """Never finish: its time limit ends it."""
    await anyio.Event().wait()
    return "unreachable"


@tools.register
async def count(n: int, ctx: RunContext) -> int:
    """Count to n, reporting each step, and return at once (reports still queued)."""
    for step in range(1, n + 1):
        ctx.report_progress(step, n, f"step {step}")
    return n


@tools.register
def count_in_thread(n: int, ctx: RunContext) -> int:
    """Count to n in a worker thread, reporting each step."""
    for step in range(1, n + 1):
        ctx.report_progress(step, n)
    return n


@tools.register
async def wait(ctx: RunContext) -> str:
    """Report that it started, then wait until cancelled (and record the cancellation)."""
    ctx.report_progress(0, message="started")
    try:
        await anyio.Event().wait()
    except anyio.get_cancelled_exc_class():
        CANCELLED.append(ctx.call_id)
        raise
    return "unreachable"


@tools.register
def cancelled() -> list[str]:
    """The ids of the calls of `wait` that were cancelled."""
    return CANCELLED
