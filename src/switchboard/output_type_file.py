"""The output type ``--output-type`` names on the command line: ``FILE.py:Model`` or ``mod:Model``.

A file is imported as the tools files are (`import_python_file`); a module by its name. What
is named must be a Pydantic model class, which becomes the run's ``Agent(output_type=...)``.
``run`` and ``replay`` take the option (`OutputTypeOption`); a stored run keeps it with its
settings, for ``runs resume``.
"""

from __future__ import annotations

import importlib
from pathlib import Path
from types import ModuleType
from typing import Any, Final

from switchboard.errors import ConfigurationError
from switchboard.tools_file import import_python_file

__all__ = ["FORMS", "absolute_output_type", "load_output_type"]

FORMS: Final = "FILE.py:Model or package.module:Model"
"""How an output type is written (for messages)."""


def absolute_output_type(spec: str) -> str:
    """``spec`` with its file made absolute, so a stored run finds it from any folder."""
    where, colon, name = spec.rpartition(":")
    if colon and where.endswith(".py"):
        return f"{Path(where).absolute()}:{name}"
    return spec


def load_output_type(spec: str) -> type[Any]:
    """The Pydantic model class ``spec`` names (see the module's doc).

    Raises:
        ConfigurationError: ``spec`` is neither form, its file or module cannot be
            imported, it lacks the name, or the name is no Pydantic model class.
    """
    from pydantic import BaseModel

    where, colon, name = spec.rpartition(":")
    if not colon or not where or not name.isidentifier():
        msg = f"--output-type {spec!r} names no class: write {FORMS}."
        raise ConfigurationError(msg)
    module = _module(where)
    found: object = getattr(module, name, None)
    if found is None:
        msg = f"--output-type {spec!r}: {where} has no {name!r}. Name a class it defines."
        raise ConfigurationError(msg)
    kind = type(found).__name__
    if isinstance(found, type) and issubclass(found, BaseModel):
        return found
    msg = (
        f"--output-type {spec!r} is not a Pydantic model class (it is a {kind}). Name a "
        "subclass of pydantic.BaseModel."
    )
    raise ConfigurationError(msg)


def _module(where: str) -> ModuleType:
    if where.endswith(".py"):
        return import_python_file(Path(where), "switchboard_output_", "an output type")
    try:
        return importlib.import_module(where)
    except ImportError as e:
        msg = f"--output-type: no module {where!r} can be imported here ({e}). Write {FORMS}."
        raise ConfigurationError(msg) from e
