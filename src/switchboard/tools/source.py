"""`ToolSource`: tools that live elsewhere and change there, followed by a `Toolbox`.

A toolbox that includes a source (`Toolbox.include`, or a source in the tools given to
`Toolbox` or `Agent`) takes its tools now and is given them again each time they change:
another toolbox's registrations, an MCP server's tool list as the server changes it.
"""

from __future__ import annotations

import logging
from collections.abc import Collection, Iterable
from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from switchboard.tools.tool import Tool

logger = logging.getLogger("switchboard")


class ToolWatcher(Protocol):
    """What follows a `ToolSource`: a `Toolbox` that includes it, or an MCP server serving it."""

    def update_from(self, source: ToolSource, tools: Iterable[Tool]) -> tuple[str, ...]:
        """Take ``tools`` as the source's tools now; return the names refused."""
        ...


@runtime_checkable
class ToolSource(Protocol):
    """Tools a `Toolbox` follows as they change (an `MCPServer`, another `Toolbox`)."""

    def list_tools(self) -> list[Tool]:
        """The source's tools now."""
        ...

    def watch(self, toolbox: ToolWatcher) -> None:
        """From now on, call ``toolbox.update_from(self, tools)`` whenever the tools change."""
        ...

    def unwatch(self, toolbox: ToolWatcher) -> None:
        """Stop updating ``toolbox``."""
        ...


def tell_watchers(
    source: ToolSource, watchers: Iterable[ToolWatcher], tools: Collection[Tool]
) -> None:
    """Give each of ``watchers`` the tools of ``source`` now; log the names one refused."""
    for watcher in list(watchers):
        taken = watcher.update_from(source, tools)
        if taken:
            logger.warning(
                "%r already has tools named %s: those of %r are left out of it.",
                watcher,
                list(taken),
                source,
            )
