"""What the MCP client loads, and when: seen from a new interpreter."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import switchboard

SOURCE = str(Path(switchboard.__file__).resolve().parents[1])


def modules_after(code: str) -> set[str]:
    """The modules loaded after running ``code`` in a new interpreter."""
    script = f"{code}\nimport sys\nprint('\\n'.join(sys.modules))"
    env = {**os.environ, "PYTHONPATH": SOURCE}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
    )
    return set(done.stdout.split())


def test_naming_mcp_server_loads_neither_the_sdk_nor_its_types() -> None:
    """`from switchboard import MCPServer` loads no mcp and no mcp_types (their own package)."""
    loaded = modules_after("from switchboard import MCPServer")
    assert "switchboard.mcp.client" in loaded
    assert not {"mcp", "mcp_types"} & loaded


def test_making_a_stdio_server_loads_the_sdk() -> None:
    """The sibling: making an MCPServer is using it, and loads the SDK's stdio client."""
    loaded = modules_after("from switchboard import MCPServer\nMCPServer.stdio('true')")
    assert "mcp.client.stdio" in loaded
    assert "switchboard.mcp.transports" in loaded
