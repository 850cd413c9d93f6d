"""`ToolSource`: tools that live elsewhere and change there, followed by a `Toolbox`.

A toolbox that includes a source (`Toolbox.include`, or a source in the tools given to
`Toolbox` or `Agent`) takes its tools now and is given them again each time they change:
another toolbox's registrations, an MCP server's tool list as the server changes it.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol, runtime_checkable

if TYPE_CHECKING:
    from switchboard.tools.registry import ToolRegistry
    from switchboard.tools.tool import Tool


@runtime_checkable
class ToolSource(Protocol):
    """Tools a `Toolbox` follows as they change (an `MCPServer`, another `Toolbox`)."""

    def list_tools(self) -> list[Tool]:
        """The source's tools now."""
        ...

    def watch(self, toolbox: ToolRegistry) -> None:
        """From now on, call ``toolbox.update_from(self, tools)`` whenever the tools change."""
        ...

    def unwatch(self, toolbox: ToolRegistry) -> None:
        """Stop updating ``toolbox``."""
        ...
