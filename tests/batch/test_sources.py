"""What travels to Ray workers, checked without Ray: files, function names, model specs, options."""

from __future__ import annotations

from pathlib import Path

import pytest
import ray

from switchboard import (
    ConfigurationError,
    Ray,
    RunContext,
    ScriptedModel,
    Tool,
    Toolbox,
    ToolCall,
)
from switchboard.batch.models import ModelSpec
from switchboard.batch.remote import FunctionRef, function_ref
from switchboard.batch.sources import SourceFile, import_module_from
from switchboard.tools_file import load_toolbox

pytestmark = pytest.mark.anyio

TOOLS = Path(__file__).with_name("scripted_tools.py")


def test_a_file_read_here_is_used_where_it_is(tmp_path: Path) -> None:
    """A worker that has the file, unchanged, at its path imports that file."""
    path = tmp_path / "mine.py"
    path.write_text("X = 1\n")
    assert SourceFile.read(path).local_path() == path


def test_a_file_missing_on_a_worker_is_written_from_its_text(tmp_path: Path) -> None:
    """A node without the file (or with another version) gets a copy of the text, same name."""
    path = tmp_path / "mine.py"
    path.write_text("X = 1\n")
    source = SourceFile.read(path)
    path.write_text("X = 2\n")
    copy = source.local_path()
    assert copy != path
    assert copy.name == "mine.py"
    assert copy.read_text() == "X = 1\n"


def test_an_unreadable_file_is_a_configuration_error(tmp_path: Path) -> None:
    """Reading a missing file names it and what it was for."""
    with pytest.raises(ConfigurationError, match=r"The tools file .*nope\.py cannot be read"):
        SourceFile.read(tmp_path / "nope.py", "tools file")


def test_a_tools_file_function_is_named_by_module_and_sent_with_its_text(tmp_path: Path) -> None:
    """A tool of a file loaded by path is named by its module, and its file goes with it."""
    path = tmp_path / "remote_file.py"
    path.write_text("def triple(x: int) -> int:\n    '''Triple x.'''\n    return 3 * x\n")
    toolbox = load_toolbox(path)
    ref = function_ref(toolbox.get("triple").handler)  # pyright: ignore[reportArgumentType]
    assert ref is not None
    assert (ref.module, ref.qualname) == ("switchboard_tools_remote_file", "triple")
    assert ref.source is not None
    assert ref.source.text == path.read_text()


def test_a_function_without_an_importable_home_is_not_named() -> None:
    """A function defined inside another has no name a worker could import: it is pickled."""

    def local(x: int) -> int:
        return x

    assert function_ref(local) is None


def test_a_function_ref_resolves_from_its_text_where_its_module_is_unknown(
    tmp_path: Path,
) -> None:
    """On a worker that never loaded the module, the file's text is imported under its name."""
    path = tmp_path / "gone.py"
    path.write_text("def half(x: int) -> float:\n    return x / 2\n")
    source = SourceFile.read(path)
    path.unlink()
    ref = FunctionRef("switchboard_tools_gone_for_test", "half", source)
    assert ref.resolve()(3) == 1.5


def test_a_module_importable_by_name_is_imported_so() -> None:
    """A module on the worker's path is imported by its name, with no file needed."""
    module = import_module_from("json", None)
    assert module.dumps([1]) == "[1]"


def test_a_model_string_and_factories_parse() -> None:
    """Model strings stay as they are; a file factory is read and named by its absolute path."""
    assert ModelSpec.parse("openai:gpt-4.1-mini").name == "openai:gpt-4.1-mini"
    assert ModelSpec.parse("local").is_local
    spec = ModelSpec.parse(f"{TOOLS}:model")
    assert spec.factory_file is not None
    assert spec.name == f"{TOOLS.resolve()}:model"
    assert isinstance(spec.create(), ScriptedModel)


def test_a_factory_that_returns_no_provider_is_refused(tmp_path: Path) -> None:
    """A factory whose result is no provider is named, with what it gave."""
    path = tmp_path / "factory.py"
    path.write_text("def model():\n    return 42\n")
    with pytest.raises(ConfigurationError, match="gave int, not a Provider"):
        ModelSpec.parse(f"{path}:model").create()


def test_no_grammar_is_refused_for_an_api_model() -> None:
    """Only a local model has a grammar to turn off."""
    with pytest.raises(ConfigurationError, match="local models only"):
        ModelSpec.parse("anthropic:claude-sonnet-4-5", grammar=False)


def test_a_remote_tool_cannot_take_the_run_context() -> None:
    """A remote tool's RunContext would hold deps that stay here: refused when it is made."""

    def look(query: str, ctx: RunContext) -> str:
        """Look something up."""
        return query

    with pytest.raises(ConfigurationError, match="a remote tool cannot take a RunContext"):
        Tool.from_function(look, remote=Ray())


def test_a_schema_only_tool_cannot_be_remote() -> None:
    """Without a handler there is nothing to run remotely."""
    schema = {"type": "object", "properties": {}}
    with pytest.raises(ConfigurationError, match="remote= needs a handler"):
        Tool.from_schema("nothing", "Nothing.", schema, remote=Ray())


def test_ray_options_are_checked() -> None:
    """Negative resources or retries are refused when the options are made."""
    with pytest.raises(ConfigurationError, match="max_retries must be 0 or more"):
        Ray(max_retries=-1)


async def test_a_remote_tools_invalid_call_is_answered_without_ray() -> None:
    """Validation happens here: an invalid call to a remote tool never reaches Ray."""
    tools = Toolbox()

    @tools.register(remote=Ray())
    def double(x: int) -> int:
        """Double x."""
        return 2 * x

    (result,) = await tools.execute([ToolCall("c1", "double", '{"x": "many"}')])
    assert result.error_kind == "invalid"
    assert not ray.is_initialized()


def test_a_module_factory_is_imported_by_name() -> None:
    """'module:NAME' imports the module from the path and calls NAME."""
    assert isinstance(ModelSpec.parse("tests.batch.scripted_tools:model").create(), ScriptedModel)


def test_a_module_factory_whose_module_is_missing_is_an_unknown_model() -> None:
    """A factory whose module cannot be imported is refused naming every form a model takes."""
    with pytest.raises(ConfigurationError, match=r"Unknown model 'nope:x'.*No module 'nope'"):
        ModelSpec.parse("nope:x")
