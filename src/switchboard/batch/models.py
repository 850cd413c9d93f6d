"""`ModelSpec`: a model named so that any process can build it, a Ray worker included.

A spec is a model string (``"local"``, ``"local:/path/model.gguf"``, ``"openai:gpt-4.1"``,
...) or a factory: ``"FILE.py:NAME"`` or ``"package.module:NAME"``, where ``NAME`` is a
`Provider`, or a function of no arguments that returns one (a `ScriptedModel`, a provider
with settings of its own). Each process builds a spec's model once and keeps it: a local
model is loaded once per process (once per Ray replica).
"""

from __future__ import annotations

import dataclasses
import importlib.util
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any, cast

from switchboard.batch.sources import SourceFile, import_module_from
from switchboard.errors import ConfigurationError
from switchboard.providers.base import Provider
from switchboard.providers.models import LOCAL, names_a_provider, resolve_model

__all__ = ["ModelSpec"]

_BUILT: dict[ModelSpec, Provider] = {}
_BUILDING = threading.Lock()


@dataclass(frozen=True, slots=True)
class ModelSpec:
    """A model any process can build (see the module's doc).

    Attributes:
        name: The model string, or the factory ``"FILE.py:NAME"`` / ``"module:NAME"``.
        threads: CPU threads for a local model (``None``: every core).
        grammar: Constrain a local model's calls with the schema grammar.
        factory_file: For ``"FILE.py:NAME"``: the file, which travels with the spec.
    """

    name: str
    threads: int | None = None
    grammar: bool = True
    factory_file: SourceFile | None = None

    @classmethod
    def parse(cls, name: str, *, threads: int | None = None, grammar: bool = True) -> ModelSpec:
        """The spec for ``name``, its factory file read (the model is not built).

        Raises:
            ConfigurationError: ``name`` is neither a model string nor a factory, or a
                factory file cannot be read.
        """
        if names_a_provider(name):
            if not grammar and not cls(name).is_local:
                msg = f"--no-grammar applies to local models only, not {name!r}."
                raise ConfigurationError(msg)
            return cls(name, threads, grammar)
        where, colon, attribute = name.rpartition(":")
        if not colon or not where or not attribute.isidentifier():
            raise ConfigurationError(_unknown(name))
        if where.endswith(".py"):
            file = SourceFile.read(where, "model factory file")
            return cls(f"{file.path}:{attribute}", threads, grammar, file)
        if not _importable(where):  # most likely a provider's name mistyped
            msg = f"{_unknown(name)} No module {where!r} can be imported here either."
            raise ConfigurationError(msg)
        return cls(name, threads, grammar)

    @property
    def is_local(self) -> bool:
        """Whether the model runs in the process that builds it (llama.cpp): a heavy load."""
        return self.name == LOCAL or self.name.startswith(f"{LOCAL}:")

    def with_threads(self, threads: int) -> ModelSpec:
        """This spec with ``threads``, unless it sets its own."""
        return self if self.threads is not None else dataclasses.replace(self, threads=threads)

    def build(self) -> Provider:
        """This process's instance of the model, built on first use and kept.

        Raises:
            ConfigurationError: The model cannot be built here (a missing file or key, a
                factory that fails or returns no provider).
        """
        with _BUILDING:
            built = _BUILT.get(self)
            if built is None:
                built = _BUILT[self] = self.create()
            return built

    def create(self) -> Provider:
        """A new instance of the model (`build` keeps one per process).

        Raises:
            ConfigurationError: As `build`.
        """
        if self.is_local:
            from switchboard.providers.local import LocalProvider  # llama.cpp: on use

            path = self.name.partition(":")[2] or None
            return LocalProvider(path, n_threads=self.threads, grammar=self.grammar)
        if names_a_provider(self.name):
            return resolve_model(self.name)
        return _from_factory(self)


def _unknown(name: str) -> str:
    return (
        f"Unknown model {name!r}: write a model string ('local', 'local:<path>', "
        "'openai:<model>', 'openai-responses:<model>', 'anthropic:<model>', "
        "'gemini:<model>') or a factory, 'FILE.py:NAME' or 'module:NAME', whose NAME is a "
        "Provider or a function returning one."
    )


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):  # a parent package missing, or a name that is no module
        return False


def _from_factory(spec: ModelSpec) -> Provider:
    where, _, attribute = spec.name.rpartition(":")
    file = spec.factory_file
    module_name = f"switchboard_model_{Path(where).stem}" if file is not None else where
    module = import_module_from(module_name, file)
    found: Any = getattr(module, attribute, None)
    if found is None:
        msg = f"Model factory {spec.name!r}: {where} has no {attribute!r}."
        raise ConfigurationError(msg)
    if not _is_provider(found) and callable(found):
        try:
            found = found()
        except Exception as e:
            msg = f"Model factory {spec.name!r} raised {type(e).__name__}: {e}"
            raise ConfigurationError(msg) from e
    if not _is_provider(found):
        msg = (
            f"Model factory {spec.name!r} gave {type(found).__name__}, not a Provider (an "
            "object with name, model, complete and stream). Return a provider from it."
        )
        raise ConfigurationError(msg)
    return cast(Provider, found)


def _is_provider(value: object) -> bool:
    methods = ("name", "model", "complete", "stream")
    return not isinstance(value, type) and all(hasattr(value, name) for name in methods)
