"""Load the tools defined in a Python file (what the command line's ``--tools FILE`` reads).

`import_python_file` imports such a file; ``--output-type FILE.py:Model`` uses it too.
"""

from __future__ import annotations

import importlib.util
import inspect
import sys
from pathlib import Path
from types import ModuleType

from switchboard.errors import ConfigurationError, ToolDefinitionError
from switchboard.execution.toolbox import Toolbox
from switchboard.tools.tool import Tool


def load_toolbox(path: str | Path) -> Toolbox:
    """Import a Python file and collect its tools.

    The tools are those of every `Toolbox` and every `Tool` at the file's top level; when
    it has neither, every public function defined in the file becomes a tool. The file's
    toolboxes are followed, as `Toolbox.include` does: tools they gain or lose later too.

    Raises:
        ConfigurationError: The file is missing, fails to import, or defines no tools.
        ToolDefinitionError: A function in it cannot be a tool.
    """
    module = import_python_file(Path(path))
    members = list(vars(module).values())
    toolboxes = [member for member in members if isinstance(member, Toolbox)]
    toolbox = Toolbox()
    for member in toolboxes:
        if not any(other.includes(member) for other in toolboxes):
            _follow(toolbox, member, path)
    for member in members:
        if isinstance(member, Tool):
            _add_once(toolbox, member)
    if len(toolbox):
        return toolbox
    for member in members:
        if inspect.isfunction(member) and _defined_here(member, module):
            toolbox.register(member)
    if not len(toolbox):
        msg = f"{path} defines no tools: add a function, a Tool or a Toolbox at its top level."
        raise ConfigurationError(msg)
    return toolbox


def import_python_file(
    path: Path, prefix: str = "switchboard_tools_", defines: str = "tools"
) -> ModuleType:
    """Import a Python file as the module ``prefix`` + its stem (imported again each time).

    Args:
        path: The file.
        prefix: The module name's prefix, which tells switchboard's loaded files apart.
        defines: What the file should define, for the message of a missing file.

    Raises:
        ConfigurationError: The file is missing, or fails to import (the message has the
            line).
    """
    if not path.is_file():
        msg = f"No such file: {path}. Pass the path of a Python file that defines {defines}."
        raise ConfigurationError(msg)
    return exec_python_file(f"{prefix}{path.stem}", path)


def exec_python_file(name: str, path: Path, shown: str | Path | None = None) -> ModuleType:
    """Run the Python file at ``path`` as the module ``name``, registered in `sys.modules`.

    Args:
        name: The module's name.
        path: The file to run.
        shown: The file as messages name it (default ``path``; a worker's copy names the
            file it was copied from).

    Raises:
        ConfigurationError: The file cannot be imported, or fails to (the message has the
            line).
    """
    shown = path if shown is None else shown
    spec = importlib.util.spec_from_file_location(name, path)
    if spec is None or spec.loader is None:
        msg = f"{shown} is not a Python file that can be imported. Pass a .py file."
        raise ConfigurationError(msg)
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module  # dataclasses and pydantic resolve annotations through it
    try:
        spec.loader.exec_module(module)
    except Exception as e:
        del sys.modules[name]
        line = _error_line(e, path)
        msg = f"Could not import {shown}{line}: {type(e).__name__}: {e}"
        raise ConfigurationError(msg) from e
    return module


def _error_line(error: Exception, path: Path) -> str:
    if isinstance(error, SyntaxError) and error.lineno:
        return f" (line {error.lineno})"
    if error.__traceback__ is None:
        return ""
    frames = [f for f in inspect.getinnerframes(error.__traceback__) if Path(f.filename) == path]
    return f" (line {frames[-1].lineno})" if frames else ""


def _defined_here(fn: object, module: ModuleType) -> bool:
    name: str = getattr(fn, "__name__", "_")
    return getattr(fn, "__module__", None) == module.__name__ and not name.startswith("_")


def _follow(toolbox: Toolbox, member: Toolbox, path: str | Path) -> None:
    """Give ``toolbox`` the tools of the file's ``member`` now, and as they change.

    Followed, not copied: a tool the file's toolbox gains or loses later (a served tool that
    registers another) is followed. As `Toolbox.include`, but a `Tool` that two of the
    file's toolboxes share (a read-only set and a full one) is taken once, not refused.

    Raises:
        ToolDefinitionError: Two different tools of the file have one name.
    """
    refused = toolbox.update_from(member, member.list_tools())
    clashes = [name for name in refused if toolbox.get(name) is not member.get(name)]
    if clashes:
        msg = (
            f"Tool {clashes[0]!r} is already registered by another toolbox in {path}: "
            "give one of them another name."
        )
        raise ToolDefinitionError(msg, tool=clashes[0])
    member.watch(toolbox)


def _add_once(toolbox: Toolbox, item: Tool) -> None:
    if item.name in toolbox and toolbox.get(item.name) is item:
        return
    toolbox.add(item)
