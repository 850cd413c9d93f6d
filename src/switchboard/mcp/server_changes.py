"""Telling a served toolbox's clients that its tools changed.

A toolbox may change while it is served: a tool registered or removed, a toolbox or an MCP
server it includes changing. The server declares ``tools.listChanged`` in both eras, and on
each change tells:

* each handshake-era session (2025-11-25 and older) that has listed the tools, with
  ``notifications/tools/list_changed`` on the session's own channel (stdio's stream, the
  streamable HTTP GET stream);
* each 2026-07-28 client listening with ``subscriptions/listen``, the revision's one way for
  a server to reach a client outside a request, through the SDK's `ListenHandler`.

A change may be made in any thread; the notices are sent in the event loop each client is
served in. Changes made together (before that loop next runs) are announced once.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import threading
import weakref
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

try:
    import mcp.types as types
    from mcp.server.connection import Connection
    from mcp.server.context import ServerRequestContext
    from mcp.server.subscriptions import InMemorySubscriptionBus, ListenHandler, ToolsListChanged
    from mcp_types.version import MODERN_PROTOCOL_VERSIONS
except ImportError as e:  # pragma: no cover - exercised only without the extra
    msg = 'Install the extra: pip install "switchboard[mcp]"'
    raise ImportError(msg) from e

if TYPE_CHECKING:
    from switchboard.tools.source import ToolSource
    from switchboard.tools.tool import Tool

logger = logging.getLogger("switchboard")

_Context = ServerRequestContext[Any, Any]


@dataclass(slots=True)
class _Audience:
    """The clients served in one event loop: handshake sessions, and listen streams."""

    bus: InMemorySubscriptionBus = field(default_factory=InMemorySubscriptionBus)
    listen: ListenHandler = field(init=False)
    sessions: weakref.WeakSet[Connection] = field(default_factory=lambda: weakref.WeakSet())
    pending: bool = False
    """An announcement is scheduled and has not started: a further change joins it."""

    def __post_init__(self) -> None:
        self.listen = ListenHandler(self.bus)


class ToolListChanges:
    """Follows a served toolbox and tells its clients when its tools change.

    Made by `toolbox_server`, which gives `listen` to the SDK's server as its
    ``subscriptions/listen`` handler and calls `listed` from its ``tools/list`` handler.
    """

    def __init__(self) -> None:
        self._audiences: weakref.WeakKeyDictionary[asyncio.AbstractEventLoop, _Audience] = (
            weakref.WeakKeyDictionary()
        )
        self._lock = threading.Lock()  # changes come from any thread
        self._announcing: set[asyncio.Task[None]] = set()

    def listed(self, ctx: _Context) -> None:
        """A client listed the tools: a handshake-era session is told of changes from now on.

        A 2026-07-28 request has no session to tell later: its client listens instead.
        """
        if ctx.protocol_version in MODERN_PROTOCOL_VERSIONS:
            return
        connection = _connection(ctx)
        if connection is not None:
            self._audience().sessions.add(connection)

    async def listen(
        self, ctx: _Context, params: types.SubscriptionsListenRequestParams
    ) -> types.SubscriptionsListenResult:
        """Serve a ``subscriptions/listen`` stream (2026-07-28) until the client leaves it."""
        return await self._audience().listen(ctx, params)

    def update_from(self, source: ToolSource, tools: Iterable[Tool]) -> tuple[str, ...]:
        """The served toolbox changed (`ToolWatcher`): tell its clients, each in its loop."""
        del source, tools
        with self._lock:
            audiences = list(self._audiences.items())
        for loop, audience in audiences:
            # A loop that closed meanwhile has no clients left to tell.
            with contextlib.suppress(RuntimeError):
                loop.call_soon_threadsafe(self._announce, audience)
        return ()

    def _audience(self) -> _Audience:
        loop = asyncio.get_running_loop()
        with self._lock:
            audience = self._audiences.get(loop)
            if audience is None:
                audience = self._audiences[loop] = _Audience()
            return audience

    def _announce(self, audience: _Audience) -> None:
        """Start telling ``audience`` (in its loop), unless a telling has yet to start."""
        if audience.pending:
            return
        audience.pending = True
        task = asyncio.get_running_loop().create_task(self._tell(audience))
        self._announcing.add(task)  # a task nothing refers to may be collected mid-way
        task.add_done_callback(self._announcing.discard)

    async def _tell(self, audience: _Audience) -> None:
        audience.pending = False
        await audience.bus.publish(ToolsListChanged())
        for session in list(audience.sessions):
            try:
                await session.send_tool_list_changed()
            except Exception:
                # One client that cannot be told must not keep the others from hearing.
                logger.warning("Could not tell an MCP client that the tools changed", exc_info=True)


def _connection(ctx: _Context) -> Connection | None:
    """The connection a request came on: where its session's notifications go.

    The SDK (2.3) hands its high-level handlers the connection (``Context.connection``), but
    a low-level handler only the request's `ServerSession`, which holds it privately; the
    session itself is made anew for each request, so it cannot stand for the connection.
    None (and a line in the log) should a later SDK keep it elsewhere: the listing must not
    fail for want of change notices.
    """
    found = getattr(ctx.session, "_connection", None)
    if isinstance(found, Connection):
        return found
    logger.warning("This MCP SDK hides a session's connection: clients are not told of changes")
    return None
