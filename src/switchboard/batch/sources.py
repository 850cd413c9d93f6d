"""Python files as sent to Ray workers: a path, and the text for a node that lacks it.

A batch's tools file and a model factory's file are imported on each worker from their
path, not pickled. Each travels as a `SourceFile`: the path on the machine that started the
batch and the file's text (a few kilobytes). A worker whose filesystem holds the same text
at that path (this machine, a shared disk) imports that file; any other imports a copy of
the text written under the temporary folder, with the same file name, so the module has the
same name everywhere.
"""

from __future__ import annotations

import hashlib
import importlib
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

from switchboard.errors import ConfigurationError
from switchboard.tools_file import exec_python_file

__all__ = ["FILE_MODULES", "SourceFile", "import_module_from"]

FILE_MODULES = ("switchboard_tools_", "switchboard_model_")
"""The prefixes of the module names switchboard gives the files it imports by path."""


@dataclass(frozen=True, slots=True)
class SourceFile:
    """A Python file: its absolute path where the batch started, its text and the text's hash.

    Attributes:
        path: The file's absolute path on the machine that read it.
        text: What the file held when it was read.
        digest: The SHA-256 of the text, hex.
    """

    path: str
    text: str
    digest: str

    @classmethod
    def read(cls, path: str | Path, what: str = "file") -> SourceFile:
        """Read a Python file.

        Args:
            path: The file.
            what: What the file is for, for the error message (``"--tools file"``).

        Raises:
            ConfigurationError: No readable file is there.
        """
        resolved = Path(path).expanduser().resolve()
        try:
            text = resolved.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as e:
            msg = f"The {what} {path} cannot be read ({e}). Pass the path of a Python file."
            raise ConfigurationError(msg) from e
        return cls(str(resolved), text, hashlib.sha256(text.encode()).hexdigest())

    def local_path(self) -> Path:
        """A path on this machine that holds exactly this text: the original, else a copy."""
        original = Path(self.path)
        try:
            if original.read_text(encoding="utf-8") == self.text:
                return original
        except (OSError, UnicodeDecodeError):
            pass
        folder = Path(tempfile.gettempdir()) / "switchboard-sources" / self.digest
        copy = folder / original.name
        if not copy.is_file():
            folder.mkdir(parents=True, exist_ok=True)
            # Written aside and renamed: another worker of this node may read it meanwhile.
            partial = folder / f".{original.name}.{id(self)}"
            partial.write_text(self.text, encoding="utf-8")
            partial.replace(copy)
        return copy


def import_module_from(name: str, source: SourceFile | None) -> ModuleType:
    """The module ``name``: already loaded, importable, or else loaded from ``source``.

    The names switchboard gives the files it loads (``switchboard_tools_*``,
    ``switchboard_model_*``) are never imported by name: they only come from their file.

    Raises:
        ConfigurationError: It is none of these, or loading it failed.
    """
    loaded = sys.modules.get(name)
    if loaded is not None:
        return loaded
    if not name.startswith(FILE_MODULES):
        try:
            return importlib.import_module(name)
        except ImportError as e:
            if source is None:
                msg = f"Module {name!r} cannot be imported here ({e}). Install it on the workers."
                raise ConfigurationError(msg) from e
    if source is None:
        msg = f"Module {name!r} was loaded from a file, and no file came with it."
        raise ConfigurationError(msg)
    return exec_python_file(name, source.local_path(), shown=source.path)
