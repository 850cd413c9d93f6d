"""Shared by the routing tests: the example tools, and one loaded embedding model."""

from pathlib import Path

import pytest

from switchboard import Toolbox
from switchboard.routing import MiniLM
from switchboard.tools_file import load_toolbox

EXAMPLES = Path(__file__).parent.parent.parent / "examples"


@pytest.fixture(scope="session")
def minilm() -> MiniLM:
    """The packaged all-MiniLM-L6-v2, loaded once for every test that embeds."""
    return MiniLM()


@pytest.fixture
def examples() -> Toolbox:
    """Every tool of examples/weather.py, units.py and calculator.py, in that order."""
    toolbox = Toolbox()
    for name in ("weather.py", "units.py", "calculator.py"):
        for tool in load_toolbox(EXAMPLES / name):
            toolbox.add(tool)
    return toolbox
