import sys
from pathlib import Path

import pytest

from switchboard import ConfigurationError, ToolDefinitionError
from switchboard.tools_file import load_toolbox


def _write(tmp_path: Path, source: str) -> Path:
    path = tmp_path / "tools.py"
    path.write_text(source)
    return path


def test_toolbox_in_file_is_used(tmp_path: Path) -> None:
    """A file's Toolbox gives exactly its tools, not its other functions."""
    path = _write(
        tmp_path,
        "from switchboard import Toolbox\n"
        "tools = Toolbox()\n"
        "@tools.register\n"
        "def a(x: int) -> int:\n    return x\n"
        "def helper() -> None: ...\n",
    )
    assert load_toolbox(path).names == ["a"]


def test_module_level_tools_are_collected(tmp_path: Path) -> None:
    """Tool objects at top level are collected when there is no Toolbox."""
    path = _write(
        tmp_path,
        "from switchboard import tool\n"
        "@tool\n"
        "def a(x: int) -> int:\n    return x\n"
        "@tool(name='bee')\n"
        "def b(x: int) -> int:\n    return x\n",
    )
    assert load_toolbox(path).names == ["a", "bee"]


def test_plain_functions_become_tools(tmp_path: Path) -> None:
    """With no Toolbox or Tool, public functions defined in the file are the tools."""
    path = _write(
        tmp_path,
        "from os.path import join\n"
        "def a(x: int) -> int:\n    return x\n"
        "def _private() -> None: ...\n",
    )
    assert load_toolbox(path).names == ["a"]


def test_tool_in_a_toolbox_and_at_top_level_counts_once(tmp_path: Path) -> None:
    """The same Tool reachable twice is registered once."""
    path = _write(
        tmp_path,
        "from switchboard import Toolbox, tool\n"
        "@tool\n"
        "def a(x: int) -> int:\n    return x\n"
        "tools = Toolbox([a])\n",
    )
    assert load_toolbox(path).names == ["a"]


def test_two_different_tools_with_one_name_are_an_error(tmp_path: Path) -> None:
    """Two toolboxes defining the same name are a duplicate, not a silent override."""
    path = _write(
        tmp_path,
        "from switchboard import Toolbox\n"
        "def a(x: int) -> int:\n    return x\n"
        "one = Toolbox([a])\n"
        "two = Toolbox([a])\n",
    )
    with pytest.raises(ToolDefinitionError, match="already registered"):
        load_toolbox(path)


def test_file_without_tools_is_a_configuration_error(tmp_path: Path) -> None:
    """A file defining nothing usable says what to add."""
    path = _write(tmp_path, "X = 1\n")
    with pytest.raises(ConfigurationError, match="defines no tools"):
        load_toolbox(path)


def test_a_tool_registered_later_in_the_files_toolbox_is_followed(tmp_path: Path) -> None:
    """A file's Toolbox that gains a tool after loading (a server running) gives it too."""
    path = _write(
        tmp_path,
        "from switchboard import Toolbox\n"
        "tools = Toolbox()\n"
        "@tools.register\n"
        "def a(x: int) -> int:\n    return x\n",
    )
    loaded = load_toolbox(path)
    module = sys.modules["switchboard_tools_tools"]

    def b(x: int) -> int:
        return x

    module.tools.register(b)
    assert loaded.names == ["a", "b"]


def test_a_toolbox_included_by_another_in_the_file_counts_once(tmp_path: Path) -> None:
    """A file whose toolbox includes its other toolbox gives each tool once."""
    path = _write(
        tmp_path,
        "from switchboard import Toolbox\n"
        "inner = Toolbox()\n"
        "@inner.register\n"
        "def a(x: int) -> int:\n    return x\n"
        "outer = Toolbox([inner])\n",
    )
    assert load_toolbox(path).names == ["a"]


def test_one_tool_in_two_toolboxes_of_the_file_counts_once(tmp_path: Path) -> None:
    """Two toolboxes sharing a Tool (a read-only set and a full one) give it once."""
    path = _write(
        tmp_path,
        "from switchboard import Toolbox, tool\n"
        "@tool\n"
        "def search(q: str) -> str:\n    return q\n"
        "@tool\n"
        "def write(text: str) -> str:\n    return text\n"
        "reading = Toolbox([search])\n"
        "everything = Toolbox([search, write])\n",
    )
    assert load_toolbox(path).names == ["search", "write"]
