"""What importing switchboard, and registering plain tools, loads: seen from a new interpreter."""

import ast
import os
import subprocess
import sys
from pathlib import Path

import pytest

import switchboard

SOURCE = str(Path(switchboard.__file__).resolve().parents[1])

# Loaded by the features that need them: routing (numpy, bm25s), schema tools (jsonschema,
# referencing), repairs (json_repair), the local model (llama_cpp), the provider SDKs, and
# building a tool's argument model (pydantic), serving or using MCP (mcp), the run viewer
# (starlette, uvicorn, sse_starlette), the PostgreSQL run store (psycopg), running a batch or
# a tool on Ray (ray), tracing runs (opentelemetry), the command line (typer).
HEAVY = (
    "numpy",
    "bm25s",
    "jsonschema",
    "referencing",
    "json_repair",
    "llama_cpp",
    "openai",
    "anthropic",
    "google.genai",
    "pydantic",
    "mcp",
    "starlette",
    "uvicorn",
    "sse_starlette",
    "psycopg",
    "ray",
    "opentelemetry",
    "typer",
)

PLAIN_TOOLS = """
from typing import Annotated, Literal, Optional
from switchboard import Toolbox
tools = Toolbox()

@tools.register
def search(query: str, limit: int = 10, tags: list[str] | None = None) -> str:
    '''Search the catalogue.

    Args:
        query: What to look for.
        limit: How many results.
    '''
    return query

@tools.register
def convert(value: float, unit: Literal["km", "mi"], note: Optional[str] = None) -> float:
    '''Convert a length.'''
    return value
"""

# Imported on first use of their public names, or by the paths that need them (a resume, a
# run store, a router): a plain function-calling program never loads them.
ON_USE = (
    "switchboard.batch",
    "switchboard.evals",
    "switchboard.mcp",
    "switchboard.viewer",
    "switchboard.routing",
    "switchboard.providers.scripted",
    "switchboard.resume_plan",
    "switchboard.run_resume",
    "switchboard.runs.recorder",
    "switchboard.runs.store",
    "switchboard.runs.writes",
    "switchboard.runs.location",
    "switchboard.runs.sqlite",
    "switchboard.runs.postgres",
    "switchboard.runs.replay",
    "switchboard.runs.recording",
    "switchboard.runs.compare",
    "switchboard.telemetry.tracing",
    "sqlite3",
    "uuid",
    "tempfile",
)

REMOTE_TOOL = """
from switchboard import Ray

@tools.register(remote=Ray(num_gpus=1))
def render(scene: str) -> str:
    '''Render a scene.'''
    return scene
"""


def _printed(script: str) -> str:
    """What ``script`` prints, run in a new interpreter."""
    env = {**os.environ, "PYTHONPATH": SOURCE}
    done = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, env=env
    )
    return done.stdout


def _modules_after(code: str) -> set[str]:
    """The modules loaded after running ``code`` in a new interpreter."""
    return set(_printed(f"{code}\nimport sys\nprint('\\n'.join(sys.modules))").split())


def _exported_from() -> dict[str, str]:
    """Each name ``switchboard/__init__.py`` imports (eagerly or for type checkers): its module."""
    tree = ast.parse(Path(switchboard.__file__).read_text(encoding="utf-8"))
    return {
        alias.name: node.module
        for node in ast.walk(tree)
        if isinstance(node, ast.ImportFrom)
        and node.module
        and node.module.startswith("switchboard")
        for alias in node.names
    }


@pytest.fixture(scope="module")
def after_import() -> set[str]:
    """The modules loaded by ``import switchboard``."""
    return _modules_after("import switchboard")


@pytest.fixture(scope="module")
def after_registering() -> set[str]:
    """The modules loaded by registering two tools whose parameters are plain JSON types."""
    return _modules_after(PLAIN_TOOLS)


@pytest.mark.parametrize("module", HEAVY)
def test_import_switchboard_does_not_load(after_import: set[str], module: str) -> None:
    """`import switchboard` leaves each optional or on-use dependency unloaded."""
    assert module not in after_import


@pytest.mark.parametrize("module", ON_USE)
def test_import_switchboard_leaves_out_what_is_imported_on_use(
    after_import: set[str], module: str
) -> None:
    """`import switchboard` loads none of the parts a plain function-calling program skips."""
    assert not {name for name in after_import if name == module or name.startswith(f"{module}.")}


def test_every_public_name_is_its_defining_modules_object() -> None:
    """Each name of `__all__`, looked up first in a new interpreter, is its module's object."""
    defined_in = _exported_from()
    assert set(defined_in) == set(switchboard.__all__)
    script = (
        "import importlib, switchboard\n"
        f"for name, module in {defined_in!r}.items():\n"
        "    if getattr(switchboard, name) is not getattr(importlib.import_module(module), name):\n"
        "        print(name)\n"
    )
    assert _printed(script).split() == []


def test_from_import_finds_a_name_imported_on_use() -> None:
    """`from switchboard import SQLiteStore` imports the store's module and gives its class."""
    script = (
        "from switchboard import SQLiteStore\n"
        "from switchboard.runs.sqlite import SQLiteStore as defined\n"
        "print(SQLiteStore is defined)"
    )
    assert _printed(script).strip() == "True"


def test_batch_is_the_function_after_its_subpackage_is_imported() -> None:
    """After the subpackage `switchboard.batch` is imported, `switchboard.batch` is the function."""
    script = (
        "import importlib, switchboard, switchboard.batch.remote\n"
        "print(switchboard.batch is importlib.import_module('switchboard.batch.run').batch)"
    )
    assert _printed(script).strip() == "True"


def test_dir_lists_the_names_imported_on_use() -> None:
    """`dir(switchboard)` in a new interpreter lists every public name, looked up or not."""
    listed = _printed("import switchboard\nprint(' '.join(dir(switchboard)))").split()
    assert set(switchboard.__all__) <= set(listed)


def test_an_unknown_name_raises_the_usual_attribute_error() -> None:
    """An attribute the package does not have raises AttributeError naming it."""
    with pytest.raises(AttributeError, match=r"^module 'switchboard' has no attribute 'Nope'$"):
        switchboard.Nope  # noqa: B018  (the lookup is the test)


def test_registering_plain_function_tools_does_not_build_them(after_registering: set[str]) -> None:
    """Plain-typed function tools are built on first use: registering them loads no pydantic."""
    assert "switchboard" in after_registering
    assert "pydantic" not in after_registering


def test_the_first_schema_builds_the_tools() -> None:
    """Asking for the schemas builds the tools (and so loads pydantic)."""
    loaded = _modules_after(PLAIN_TOOLS + "\ntools.schemas('openai')")
    assert "pydantic" in loaded


def test_the_command_line_loads_no_mcp_until_a_server_runs() -> None:
    """Loading the `switchboard` command (with `mcp serve` in it) leaves the MCP SDK unloaded."""
    loaded = _modules_after("import switchboard.cli")
    assert "switchboard.mcp.server_cli" in loaded
    assert not {"mcp", "uvicorn", "starlette"} & loaded


def test_the_command_line_loads_no_web_framework_until_the_viewer_runs() -> None:
    """Loading the `switchboard` command (with `view` in it) leaves Starlette and uvicorn out."""
    loaded = _modules_after("import switchboard.cli")
    assert "switchboard.viewer.command" in loaded
    assert not {"uvicorn", "starlette", "sse_starlette", "switchboard.viewer.app"} & loaded


def test_registering_a_remote_tool_does_not_load_ray() -> None:
    """A tool registered with remote=Ray(...) loads Ray only when it is first called."""
    loaded = _modules_after(PLAIN_TOOLS + REMOTE_TOOL)
    assert "switchboard.batch.remote" in loaded
    assert "ray" not in loaded


def test_the_command_line_loads_no_evaluation_until_an_eval_runs() -> None:
    """Loading the `switchboard` command leaves the eval harnesses out of `run`'s start."""
    loaded = _modules_after("import switchboard.cli")
    evals = {"switchboard.evals.on_ray", "switchboard.evals.tasks", "switchboard.evals.harness"}
    assert "switchboard.cli" in loaded
    assert not evals & loaded
