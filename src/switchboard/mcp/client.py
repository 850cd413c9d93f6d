"""`MCPServer`: the tools of any MCP server, over stdio or streamable HTTP, as switchboard tools.

Its tools go through everything a switchboard tool goes through, because they are
switchboard tools (see `switchboard.mcp.tools`): each dialect's schema, argument repair and
validation, timeouts (a call cancelled by one sends the protocol's
``notifications/cancelled``), concurrency limits, retries, approval and routing. It is a
`ToolSource`: a `Toolbox` or an `Agent` that includes it has its tools while it is
connected, and follows its tool list as the server changes it.

A server that goes away mid-run is not the model's fault nor the run's end: each call to
it gets an error result, and the next call starts the server again (``reconnect``). Only
connecting as the program asks (``async with``, `reconnect`) raises, with
`MCPConnectionError`. The official SDK is imported when a server is made.
"""

from __future__ import annotations

import asyncio
import importlib.util
import logging
import weakref
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any, Self, TextIO, Unpack

from switchboard.errors import ConfigurationError, MCPConnectionError, ToolError
from switchboard.mcp.tools import Options, Selection, build_tools
from switchboard.tools.context import RunContext
from switchboard.tools.source import tell_watchers
from switchboard.tools.tool import Tool, ToolOptions

if TYPE_CHECKING:
    from mcp.client._transport import Transport

    from switchboard.mcp.connection import Connection
    from switchboard.tools.source import ToolWatcher

logger = logging.getLogger("switchboard")

_PROTOCOLS = ("auto", "legacy", "2026-07-28")

_DEFAULT_PROTOCOLS = {"stdio": "legacy", "http": "auto"}
"""What each transport negotiates when no ``protocol`` is given.

Over stdio the handshake: the 2026-07-28 revision is for HTTP servers without sessions
(behind load balancers), while a stdio server is one process for one client; and SDK 2.3
servers serve each of its requests as a connection of their own, 10 to 15% more per call
over stdio than the handshake. Over HTTP 2026-07-28 where the server has it: there it is
the faster revision (the handshake keeps a session, its GET stream and session headers).
"""


class MCPServer:
    """An MCP server whose tools join a `Toolbox` or an `Agent`; an async context manager.

    Make one with `MCPServer.stdio` (a command run as a subprocess) or `MCPServer.http`
    (streamable HTTP), connect with ``async with``, and give it to an `Agent` or a
    `Toolbox` (before or after connecting: its tools are there while it is connected).

    Example:
        ```python
        time = MCPServer.stdio("uvx", ["mcp-server-time"], prefix="time_", timeout=10)
        async with time:
            agent = Agent("local", tools=[my_tools, time])
            result = await agent.run("What time is it in Tokyo?")
        ```

    Attributes:
        name: The server's name in messages and tool tags: the one given, else the one
            the server gives when it connects, else its command or URL.
    """

    def __init__(
        self,
        transport: Callable[[], Transport],
        *,
        target: str,
        name: str | None = None,
        prefix: str = "",
        include: Iterable[str] | None = None,
        exclude: Iterable[str] = (),
        tool_options: Mapping[str, ToolOptions] | None = None,
        protocol: str = "auto",
        connect_timeout: float | None = 30.0,
        reconnect: bool = True,
        **options: Unpack[ToolOptions],
    ) -> None:
        """A server reached through ``transport``; use `stdio` or `http` rather than this.

        ``transport`` makes a new SDK transport for each connection; ``target`` (the command
        or URL) names the server in messages. The other arguments are those of `stdio`
        (``protocol``: one of its values; ``"auto"`` unless given).
        """
        if importlib.util.find_spec("mcp") is None:  # pragma: no cover - only without the extra
            msg = 'MCPServer needs the MCP SDK. Install the extra: pip install "switchboard[mcp]"'
            raise ImportError(msg)
        if protocol not in _PROTOCOLS:
            msg = f"protocol must be one of {', '.join(map(repr, _PROTOCOLS))} (got {protocol!r})."
            raise ConfigurationError(msg)
        if connect_timeout is not None and connect_timeout <= 0:
            msg = f"connect_timeout must be positive seconds or None (got {connect_timeout})."
            raise ConfigurationError(msg)
        self._options = Options(options, dict(tool_options or {}))
        self._options.check()  # bad options are refused here, not at connect
        self._transport = transport
        self._target = target
        self._given_name = name
        self.name = name or target
        self._selection = Selection.of(prefix, include, exclude)
        self._protocol = protocol
        self._connect_timeout = connect_timeout
        self._reconnect = reconnect
        self._connection: Connection | None = None
        self._entered = False
        self._reconnecting = asyncio.Lock()
        self._tools: list[Tool] = []
        self._left_out: tuple[str, ...] = ()
        self._watchers: weakref.WeakSet[ToolWatcher] = weakref.WeakSet()

    @classmethod
    def stdio(
        cls,
        command: str,
        args: Sequence[str] = (),
        *,
        env: Mapping[str, str] | None = None,
        cwd: str | Path | None = None,
        stderr: TextIO | None = None,
        name: str | None = None,
        prefix: str = "",
        include: Iterable[str] | None = None,
        exclude: Iterable[str] = (),
        tool_options: Mapping[str, ToolOptions] | None = None,
        protocol: str | None = None,
        connect_timeout: float | None = 30.0,
        reconnect: bool = True,
        **options: Unpack[ToolOptions],
    ) -> MCPServer:
        """A server run as a subprocess, spoken to over its stdin and stdout.

        Args:
            command: The program, e.g. ``"uvx"`` or ``sys.executable``.
            args: Its arguments, e.g. ``["mcp-server-time"]``.
            env: Variables for it, over the SDK's safe defaults (``PATH``, ``HOME``...).
            cwd: Its working directory.
            stderr: Where its stderr goes (a file with a descriptor); default ours.
            name: The server's name in messages and tags; default the one it gives.
            prefix: Put in front of each tool's name, e.g. ``"time_"``, to keep the names
                of several servers apart.
            include: Take only the tools whose names (as the server gives them) match one
                of these names or shell-style patterns (``"get_*"``); default all.
            exclude: Leave out the tools whose names match one of these.
            tool_options: Options for some tools, by name or pattern, over ``options``:
                ``{"delete_*": {"requires_approval": True}, "search": {"timeout": 60}}``.
            protocol: ``"legacy"`` (the initialize handshake, at 2025-11-25 or the older
                revision the server offers), ``"auto"`` (the newest both sides speak:
                2026-07-28 where the server has it, else the handshake) or
                ``"2026-07-28"``. ``None`` (default): the transport's own, ``"legacy"``
                over stdio, where the stateless revision gains nothing and costs SDK-built
                servers more per call; ``"auto"`` over HTTP.
            connect_timeout: Seconds for starting and the handshake.
            reconnect: When the server has gone (its process exited), start it again on
                the next call; without it, calls get error results until `reconnect`.
            **options: How the executor runs each of its tools: see `ToolOptions`
                (``timeout``, ``retry``, ``max_concurrency``, ``requires_approval``...).
        """
        from switchboard.mcp.transports import stdio_transport

        return cls(
            stdio_transport(command, args, env=env, cwd=cwd, stderr=stderr),
            target=" ".join([command, *args]),
            name=name,
            prefix=prefix,
            include=include,
            exclude=exclude,
            tool_options=tool_options,
            protocol=_DEFAULT_PROTOCOLS["stdio"] if protocol is None else protocol,
            connect_timeout=connect_timeout,
            reconnect=reconnect,
            **options,
        )

    @classmethod
    def http(
        cls,
        url: str,
        *,
        headers: Mapping[str, str] | None = None,
        name: str | None = None,
        prefix: str = "",
        include: Iterable[str] | None = None,
        exclude: Iterable[str] = (),
        tool_options: Mapping[str, ToolOptions] | None = None,
        protocol: str | None = None,
        connect_timeout: float | None = 30.0,
        reconnect: bool = True,
        **options: Unpack[ToolOptions],
    ) -> MCPServer:
        """A server reached over streamable HTTP at ``url``, its MCP endpoint.

        ``headers`` are sent with every request (an ``Authorization`` header, say); the
        other arguments are those of `stdio` (``reconnect``: after the connection dropped;
        ``protocol`` by default ``"auto"``: 2026-07-28, the faster revision over HTTP,
        where the server has it).
        """
        from switchboard.mcp.transports import http_transport

        return cls(
            http_transport(url, headers=headers),
            target=url,
            name=name,
            prefix=prefix,
            include=include,
            exclude=exclude,
            tool_options=tool_options,
            protocol=_DEFAULT_PROTOCOLS["http"] if protocol is None else protocol,
            connect_timeout=connect_timeout,
            reconnect=reconnect,
            **options,
        )

    @property
    def tools(self) -> list[Tool]:
        """Its tools as switchboard tools (none until it is connected)."""
        return list(self._tools)

    @property
    def left_out(self) -> tuple[str, ...]:
        """Why each listed tool that is not among `tools` was left out (filters aside)."""
        return self._left_out

    @property
    def connected(self) -> bool:
        """Whether a session with the server is open and not known to be lost."""
        return self._connection is not None and self._connection.alive

    @property
    def protocol_version(self) -> str | None:
        """The MCP protocol version negotiated (``None`` before connecting)."""
        return None if self._connection is None else self._connection.protocol_version

    async def connect(self) -> None:
        """Start (or reach) the server, complete the handshake and list its tools.

        Raises:
            MCPConnectionError: The server could not be started or reached, did not
                complete the handshake in time, or could not list its tools.
            ConfigurationError: It is connected already.
        """
        if self._entered:
            msg = f"The MCP server {self.name!r} is connected already: close it first."
            raise ConfigurationError(msg)
        await self._open()
        self._entered = True

    async def close(self) -> None:
        """End the session (stopping a stdio server's process); its tools leave toolboxes."""
        self._entered = False
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()
        self._set_tools([], ())

    async def reconnect(self) -> None:
        """End the session if there is one, and connect again.

        Raises:
            MCPConnectionError: As `connect`.
        """
        async with self._reconnecting:
            await self._reopen()
        self._entered = True

    async def refresh(self) -> None:
        """List the server's tools again now (a changed list is followed on its own too).

        Raises:
            MCPConnectionError: The server is not connected, or could not list its tools.
        """
        from switchboard.mcp.connection import ConnectionLost

        if self._connection is None or not self._connection.alive:
            msg = f"The MCP server {self.name!r} is not connected: connect it before refresh()."
            raise MCPConnectionError(msg, server=self.name)
        try:
            await self._list(self._connection)
        except ConnectionLost as e:
            msg = f"The MCP server {self.name!r} went away while listing its tools: {e}."
            raise MCPConnectionError(msg, server=self.name) from e

    async def __aenter__(self) -> Self:
        await self.connect()
        return self

    async def __aexit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        await self.close()

    def list_tools(self) -> list[Tool]:
        """Its tools now (`ToolSource`)."""
        return list(self._tools)

    def watch(self, toolbox: ToolWatcher) -> None:
        """Keep ``toolbox`` given its tools as they change (`ToolSource`)."""
        self._watchers.add(toolbox)

    def unwatch(self, toolbox: ToolWatcher) -> None:
        """Stop updating ``toolbox`` (`ToolSource`)."""
        self._watchers.discard(toolbox)

    def __repr__(self) -> str:
        return f"MCPServer({self.name!r})"

    async def _open(self) -> None:
        from switchboard.mcp.connection import Connection, ConnectionLost

        connection = Connection(
            self._target, self._transport, self._protocol, self._listed_on_change
        )
        try:
            await connection.open(self._connect_timeout)
            if self._given_name is None:
                self.name = connection.server_name or self._target
            await self._list(connection)
        except ConnectionLost as e:
            await connection.close()
            raise MCPConnectionError(self._failed_to_connect(str(e)), server=self.name) from e
        except BaseException:  # a refused listing, a cancellation: the session is not kept
            await connection.close()
            raise
        self._connection = connection

    async def _reopen(self) -> None:
        connection, self._connection = self._connection, None
        if connection is not None:
            await connection.close()
        await self._open()

    async def _list(self, connection: Connection) -> None:
        """List the tools and give them to the toolboxes that follow this server.

        Raises:
            MCPConnectionError: The server refused the listing.
            ConnectionLost: The session ended.
        """
        from mcp.shared.exceptions import MCPError

        try:
            listing = await connection.list_tools()
        except MCPError as e:
            msg = f"The MCP server {self.name!r} did not list its tools: {e.message}."
            raise MCPConnectionError(msg, server=self.name) from e
        tools, left_out = build_tools(
            listing,
            server=self.name,
            selection=self._selection,
            options=self._options,
            caller=self._call_tool,
        )
        for reason in left_out:
            logger.warning("MCP server %r: tool %s; it is left out.", self.name, reason)
        self._set_tools(tools, tuple(left_out))

    async def _listed_on_change(self, connection: Connection) -> None:
        """Re-list after the server said its tools changed (in the connection's task)."""
        from switchboard.mcp.connection import ConnectionLost

        try:
            await self._list(connection)
        except (MCPConnectionError, ConnectionLost) as e:
            logger.warning("MCP server %r: its changed tools could not be listed: %s", self.name, e)

    def _set_tools(self, tools: list[Tool], left_out: tuple[str, ...]) -> None:
        self._tools = tools
        self._left_out = left_out
        tell_watchers(self, self._watchers, tools)

    async def _call_tool(self, mcp_name: str, context_key: str, /, **arguments: Any) -> Any:
        """A call of the server's tool ``mcp_name``: the handler of its switchboard tool."""
        from switchboard.mcp.connection import ConnectionLost, SessionExpired

        context: RunContext[Any] = arguments.pop(context_key)
        connection = await self._live()
        progress = None
        if context.on_progress is not None:  # else no progress token is sent, and none comes

            async def forward(progress: float, total: float | None, message: str | None) -> None:
                context.report_progress(progress, total, message)

            progress = forward
        try:
            try:
                return await connection.call(mcp_name, arguments, progress)
            except SessionExpired:
                # Refused before it ran: in a new session (reconnect) it is sent once more.
                connection = await self._live()
                return await connection.call(mcp_name, arguments, progress)
        except ConnectionLost as e:
            message = (
                f"The MCP server {self.name!r} went away during the call ({e}), so no result "
                "came back; the call may or may not have taken effect."
            )
            raise ToolError(message) from e

    async def _live(self) -> Connection:
        """The open session, after starting the server again if it had gone (``reconnect``).

        Raises:
            ToolError: There is no session, and none could be opened.
        """
        connection = self._connection
        if connection is not None and connection.loop is not asyncio.get_running_loop():
            message = (
                f"The MCP server {self.name!r} was connected in another event loop, and its "
                "session can only be used there: run the agent in that loop (await agent.run), "
                "not through run_sync or execute_sync."
            )
            raise ToolError(message)
        if connection is not None and connection.alive:
            return connection
        if not self._entered:
            message = f"The MCP server {self.name!r} is not connected, so its tools cannot run."
            raise ToolError(message)
        why = connection.lost if connection is not None else "its connection failed"
        if not self._reconnect:
            message = f"The MCP server {self.name!r} is not available: {why}."
            raise ToolError(message)
        async with self._reconnecting:
            if self._connection is not None and self._connection.alive:
                return self._connection  # another call reconnected meanwhile
            try:
                await self._reopen()
            except MCPConnectionError as e:
                message = f"The MCP server {self.name!r} is not available ({why}); {e}"
                raise ToolError(message) from e
        assert self._connection is not None  # _reopen set it or raised
        return self._connection

    def _failed_to_connect(self, why: str) -> str:
        hint = (
            "Check that the server is running and that the URL, path included, is its MCP endpoint."
            if self._target.startswith(("http://", "https://"))
            else "Check that the command runs and speaks MCP on stdin and stdout (its stderr "
            "says why it stopped)."
        )
        return f"Could not connect to the MCP server {self.name!r} ({self._target}): {why}. {hint}"
