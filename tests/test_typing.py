"""The public generics as pyright reads them: tests/typing/ checked with assert_type."""

import json
import subprocess
import sys
from pathlib import Path

TYPING = Path(__file__).with_name("typing")


def test_a_typed_agents_results_are_typed_by_its_output_type() -> None:
    """Agent(output_type=City) gives RunResult[City], its parsed City | None; pyright agrees."""
    checked = subprocess.run(
        [sys.executable, "-m", "pyright", "--outputjson", str(TYPING / "typed_output.py")],
        capture_output=True,
        text=True,
        check=False,
        cwd=TYPING.parents[1],
    )
    report = json.loads(checked.stdout)
    messages = [d["message"] for d in report["generalDiagnostics"]]
    assert messages == []
    assert report["summary"]["filesAnalyzed"] == 1
