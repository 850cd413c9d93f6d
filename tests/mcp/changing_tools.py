"""Tools that change the toolbox serving them: the MCP list-change tests serve this file."""

from __future__ import annotations

from switchboard import Toolbox

tools = Toolbox()


@tools.register
def enable(name: str) -> str:
    """Serve one more tool, called ``name``, which echoes its text."""

    def echo(text: str) -> str:
        """Echo the text."""
        return text

    tools.register(echo, name=name)
    return name


@tools.register
def disable(name: str) -> str:
    """Stop serving the tool called ``name``."""
    tools.unregister(name)
    return name
