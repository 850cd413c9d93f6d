"""One session with an MCP server, on the official SDK's `Client`, held by a task of its own.

The SDK's transports and session live in anyio task groups, which must be left by the task
that entered them; the calls come from the tasks of a run, and a reconnect from whichever
call finds the server gone. So a `Connection` enters the SDK's client in a task it owns,
keeps it open until closed, and re-lists the tools there when the server says they changed
(``notifications/tools/list_changed``; on a 2026-07-28 session through a
``subscriptions/listen`` stream, which the SDK's message handler sees the same way).

A session that ends (the server's process exits, the HTTP server goes away) ends every
call waiting on it with an error at once; the SDK's transports see to that, and
`Connection.call` turns it into `ConnectionLost`.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Awaitable, Callable
from typing import Any, cast

try:
    import anyio
    from mcp import Client
    from mcp.client._transport import Transport
    from mcp.client.subscriptions import Subscription
    from mcp.shared.dispatcher import ProgressFnT
    from mcp.shared.exceptions import MCPError
except ImportError as e:  # pragma: no cover - exercised only without the extra
    msg = 'Install the extra: pip install "switchboard[mcp]"'
    raise ImportError(msg) from e

from mcp_types import CONNECTION_CLOSED, ToolListChangedNotification
from mcp_types import Tool as MCPTool
from mcp_types.version import MODERN_PROTOCOL_VERSIONS
from pydantic import ValidationError

from switchboard.errors import ToolError
from switchboard.mcp.results import read_result

logger = logging.getLogger("switchboard")

_MAX_PAGES = 1000
"""Pages of a tool listing followed at most: a server whose cursors never end cannot hang."""

_RELISTEN_DELAY = 1.0
"""Seconds between tries to open a ``subscriptions/listen`` stream again after one ended."""

_CLOSE_WAIT = 10.0
"""Seconds a closing session gets to end on its own. The SDK's stdio transport waits up to
six for a server's process (2 s after closing its input, 2 after SIGTERM, 2 after SIGKILL)."""


class ConnectionLost(Exception):
    """The session ended: the server's process exited, or the connection dropped."""


class SessionExpired(ConnectionLost):
    """The server no longer knows the session (it restarted): the request was not run."""


class Connection:
    """A session with one MCP server, open from `open` until `close` or until it is lost.

    Args:
        target: The server's command or URL, for the log.
        transport: Makes the SDK transport to connect through (one per connection).
        mode: The SDK's protocol negotiation: ``"auto"``, ``"legacy"`` or a version.
        on_change: Called in the connection's task when the server's tools changed.
    """

    def __init__(
        self,
        target: str,
        transport: Callable[[], Transport],
        mode: str,
        on_change: Callable[[Connection], Awaitable[None]],
    ) -> None:
        self._target = target
        self._transport = transport
        self._mode = mode
        self._on_change = on_change
        self._wake = asyncio.Event()  # the tools changed, or the session is to end
        self._changed = False
        self._stopping = False
        self._task: asyncio.Task[None] | None = None
        self.client: Client | None = None
        self.lost: str | None = None
        """Why the session ended, once it has."""
        self.loop: asyncio.AbstractEventLoop | None = None
        """The event loop the session lives in (its streams belong to it)."""

    @property
    def alive(self) -> bool:
        """Whether the session is open and not known to be lost."""
        return self.client is not None and self.lost is None

    @property
    def protocol_version(self) -> str | None:
        """The protocol version negotiated, once open."""
        return None if self.client is None else self.client.protocol_version

    @property
    def server_name(self) -> str | None:
        """The name the server gave, if it gave one."""
        info = None if self.client is None else self.client.server_info
        return None if info is None else info.name

    async def open(self, timeout: float | None) -> None:
        """Start the session's task and wait for the handshake.

        Raises:
            ConnectionLost: The server could not be started or reached, or did not complete
                the handshake within ``timeout`` seconds; the message says why.
        """
        self.loop = asyncio.get_running_loop()
        ready: asyncio.Future[None] = self.loop.create_future()
        self._task = asyncio.create_task(self._hold(ready))
        done, _ = await asyncio.wait({ready}, timeout=timeout)
        if not done:
            await self.close()
            msg = f"it did not complete the MCP handshake within {timeout:g} s"
            raise ConnectionLost(msg)
        error = ready.exception()
        if error is not None:
            await self.close()
            raise ConnectionLost(describe(error)) from error

    async def close(self) -> None:
        """End the session (stopping a stdio server's process) and its task.

        The task is asked to leave the SDK's client, so that the transports close what they
        hold (the HTTP connections, the server's process) the way they do on a normal exit;
        only a task still there after `_CLOSE_WAIT` seconds (or still in the handshake) is
        cancelled.
        """
        task = self._task
        if task is not None and not task.done():
            self._stopping = True
            self._wake.set()
            # A task still in the handshake is not waiting to be told: it is cancelled.
            wait = _CLOSE_WAIT if self.client is not None else 0
            done, _ = await asyncio.wait({task}, timeout=wait)
            if not done:
                await _stopped(task)
        self.client = None

    async def list_tools(self) -> list[MCPTool]:
        """Every tool the server lists, following the pages of its listing.

        Raises:
            ConnectionLost: The session ended.
            MCPError: The server refused the listing.
        """
        client = self._client()
        tools: list[MCPTool] = []
        cursor: str | None = None
        seen: set[str] = set()
        for _ in range(_MAX_PAGES):
            with self._watching_for_loss():
                page = await client.list_tools(cursor=cursor)
            tools.extend(page.tools)
            cursor = page.next_cursor
            if cursor is None or cursor in seen:  # a cursor seen before would loop for ever
                break
            seen.add(cursor)
        return tools

    async def call(self, name: str, arguments: dict[str, Any], progress: ProgressFnT | None) -> Any:
        """Call the server's tool ``name``: its value (see `read_result`).

        Raises:
            ToolError: The result is an error, or the server refused the call or answered
                with a result that breaks the protocol or the tool's output schema.
            ConnectionLost: The session ended before the answer came.
        """
        client = self._client()
        try:
            with self._watching_for_loss():
                result = await client.call_tool(name, arguments, progress_callback=progress)
        except MCPError as e:
            message = f"The MCP server refused the call to {name}: {e.message}"
            raise ToolError(message) from e
        # The SDK raises RuntimeError for structured content its output schema refuses.
        except (RuntimeError, ValidationError) as e:
            # Its first line says what is wrong; the rest dumps the schema, too long to read.
            why = str(e).split("\n", 1)[0]
            message = f"The MCP server's result for {name} is not valid: {why}"
            raise ToolError(message) from e
        return read_result(result)

    def _client(self) -> Client:
        if self.client is None or self.lost is not None:
            raise ConnectionLost(self.lost or "the session is closed")
        return self.client

    @contextlib.contextmanager
    def _watching_for_loss(self) -> Any:
        """Turn the errors of an ended session into `ConnectionLost`, and remember it."""
        try:
            yield
        except MCPError as e:
            if _session_expired(e):
                self.lost = self.lost or f"the server no longer knows the session ({e.message})"
                raise SessionExpired(self.lost) from e
            if e.code != CONNECTION_CLOSED:
                raise
            self.lost = self.lost or "the server closed the connection"
            raise ConnectionLost(self.lost) from e
        except (anyio.ClosedResourceError, anyio.BrokenResourceError, OSError) as e:
            self.lost = self.lost or describe(e)
            raise ConnectionLost(self.lost) from e

    async def _hold(self, ready: asyncio.Future[None]) -> None:
        """The session's task: open it, keep it, re-list on changes; record how it ended."""
        try:
            async with (
                Client(
                    self._transport(),
                    mode=self._mode,
                    cache=None,
                    message_handler=self._on_message,
                ) as client,
                contextlib.AsyncExitStack() as stack,
            ):
                subscription = await self._listen(client, stack)
                if subscription is not None:
                    following = asyncio.create_task(self._follow(client, subscription))
                    stack.push_async_callback(_stopped, following)
                self.client = client
                ready.set_result(None)
                while not self._stopping:
                    await self._wake.wait()
                    self._wake.clear()
                    if self._changed and not self._stopping:
                        self._changed = False
                        await self._on_change(self)
        except Exception as e:  # the transport's own failures come as exception groups
            if not ready.done():
                ready.set_exception(e)
            else:
                self.lost = self.lost or describe(e)
                logger.warning(
                    "The connection to the MCP server %s ended: %s", self._target, self.lost
                )
        finally:
            if self.lost is None and ready.done() and not ready.cancelled():
                self.lost = "the session is closed"

    async def _listen(
        self, client: Client, stack: contextlib.AsyncExitStack
    ) -> Subscription | None:
        """On a 2026-07-28 session, ask for tool-list changes (the handshake era sends them).

        Opened before the session is handed out, so that no change made by a first call
        can be missed.
        """
        tools = client.server_capabilities.tools
        if client.protocol_version not in MODERN_PROTOCOL_VERSIONS or not (
            tools and tools.list_changed
        ):
            return None
        try:
            return await stack.enter_async_context(client.listen(tools_list_changed=True))
        except Exception as e:
            logger.warning(
                "The MCP server %s will not report tool changes: %s", self._target, describe(e)
            )
            return None

    async def _follow(self, client: Client, subscription: Subscription) -> None:
        """Keep a ``subscriptions/listen`` stream open for as long as the session lasts.

        A stream ends when the server restarts or drops it, while a stateless session goes
        on: so a new one is opened, and the tools listed again (changes may have been
        missed meanwhile); a failed try is made again `_RELISTEN_DELAY` seconds later.
        """
        with contextlib.suppress(Exception):  # an ended stream is opened again below
            async for _ in subscription:  # the events reach _on_message, which re-lists
                pass
        while True:
            try:
                async with client.listen(tools_list_changed=True) as renewed:
                    self._changed = True
                    self._wake.set()
                    async for _ in renewed:
                        pass
            except MCPError as e:
                if e.code == CONNECTION_CLOSED:  # the session itself is over
                    return
                logger.debug("Listening to %s for tool changes: %s", self._target, e.message)
            except Exception as e:
                logger.debug("Listening to %s for tool changes: %s", self._target, describe(e))
            await asyncio.sleep(_RELISTEN_DELAY)

    async def _on_message(self, message: object) -> None:
        if isinstance(message, ToolListChangedNotification):
            self._changed = True
            self._wake.set()
        elif isinstance(message, Exception):
            logger.debug("An MCP transport reported: %s", describe(message))


async def _stopped(task: asyncio.Task[None]) -> None:
    """Cancel ``task`` and wait for it to end."""
    task.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await task


def _session_expired(error: MCPError) -> bool:
    """Whether the server refused a request for a session it does not know (HTTP 404).

    The spec has the client start a new session then (streamable HTTP, "Session
    Management"), but the SDK's transport passes on only the JSON-RPC error: the SDK's
    servers say "Session not found", its transport "Session terminated" for a bare 404,
    the TypeScript SDK's servers "Session not found" with code -32001.
    """
    message = error.message.lower()
    return "session" in message and ("not found" in message or "terminated" in message)


def describe(error: BaseException) -> str:
    """What went wrong, in a line: the first real failure inside an exception group."""
    while isinstance(error, BaseExceptionGroup):
        inner = cast(tuple[BaseException, ...], error.exceptions)  # pyright: ignore[reportUnknownMemberType]
        real = [e for e in inner if not isinstance(e, asyncio.CancelledError)]
        error = (real or list(inner))[0]
    if isinstance(error, MCPError):
        return error.message
    text = str(error)
    return f"{type(error).__name__}: {text}" if text else type(error).__name__
