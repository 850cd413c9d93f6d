"""`OutputTypeSpec`: a batch's output type, named so that any process loads it, a Ray worker too.

``batch(output_type="FILE.py:Model")`` (or ``"package.module:Model"``, as ``--output-type``
takes it, `switchboard.output_type_file`) makes each line's answer a validated Pydantic
object. The class is not pickled: the spec travels as text, and a file's text with it, as
the tools file does (`SourceFile`), so each process loads the class itself, once.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Any

from switchboard.batch.sources import SourceFile
from switchboard.output_type_file import load_output_type

__all__ = ["OutputTypeSpec"]

_LOADED: dict[OutputTypeSpec, type[Any]] = {}
_LOADING = threading.Lock()


@dataclass(frozen=True, slots=True)
class OutputTypeSpec:
    """An output type any process can load (see the module's doc).

    Attributes:
        name: ``"FILE.py:Model"`` (the file's absolute path) or ``"package.module:Model"``.
        file: For ``"FILE.py:Model"``: the file, which travels with the spec.
    """

    name: str
    file: SourceFile | None = None

    @classmethod
    def parse(cls, spec: str) -> OutputTypeSpec:
        """The spec of ``spec``, its class loaded here once, so a wrong one fails at once.

        Raises:
            ConfigurationError: ``spec`` names no Pydantic model class that loads here.
        """
        where, colon, attribute = spec.rpartition(":")
        parsed = cls(spec)
        if colon and where.endswith(".py"):
            file = SourceFile.read(where, "--output-type file")
            parsed = cls(f"{file.path}:{attribute}", file)
        parsed.load()
        return parsed

    def load(self) -> type[Any]:
        """The Pydantic model class, loaded on first use in this process and kept.

        Raises:
            ConfigurationError: As `load_output_type`.
        """
        with _LOADING:
            loaded = _LOADED.get(self)
            if loaded is None:
                loaded = _LOADED[self] = load_output_type(self._local())
            return loaded

    def _local(self) -> str:
        """The spec as this machine loads it: a file's path is its local copy's."""
        if self.file is None:
            return self.name
        attribute = self.name.rpartition(":")[2]
        return f"{self.file.local_path()}:{attribute}"
