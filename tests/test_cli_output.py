"""``switchboard run --output-type``: the answer validated into a model class, kept on resume.

The runs are made by `switchboard run` itself, with a scripted model given as a factory in
the tools file (``--model FILE.py:model``) that answers with JSON only when the request asks
for an output type, so a run that lost its output type says so in its answer.
"""

import json
import re
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from switchboard.cli import app
from switchboard.cli_agent import RunOptions

runner = CliRunner()

TOOLS = textwrap.dedent(
    '''
    from pydantic import BaseModel, Field

    from switchboard import ModelRequest, ScriptedModel, Toolbox, ToolCall, UserMessage

    tools = Toolbox()


    @tools.register(requires_approval=True)
    def delete_file(name: str) -> str:
        """Delete one of the user's files.

        Args:
            name: The file's name, e.g. "notes.txt".
        """
        return f"Deleted {name}."


    class City(BaseModel):
        """A city and how many live there."""

        name: str
        population: int = Field(ge=0)


    def _reply(request: ModelRequest) -> str | ToolCall:
        last = request.messages[-1]
        if isinstance(last, UserMessage) and "Delete" in last.content:
            return ToolCall("c1", "delete_file", '{"name": "notes.txt"}')
        if request.output is None:
            return "No output type was asked for."
        return '{"name": "Paris", "population": 2100000}'


    def model() -> ScriptedModel:
        return ScriptedModel(_reply)
    '''
)
PARSED = {"name": "Paris", "population": 2100000}


@pytest.fixture
def tools_file(tmp_path: Path) -> Path:
    path = tmp_path / "typed.py"
    path.write_text(TOOLS)
    return path


def typed_run(tools_file: Path, prompt: str, output_type: str, *more: str) -> list[str]:
    """The arguments of `switchboard run PROMPT` on the file's model, typed by OUTPUT_TYPE."""
    model = f"{tools_file}:model"
    return ["run", prompt, "-t", str(tools_file), "-m", model, "--output-type", output_type, *more]


def test_run_json_prints_the_answer_parsed_into_the_output_type(tools_file: Path) -> None:
    """`run --output-type FILE.py:City --json` prints the answer validated, as JSON, in parsed."""
    result = runner.invoke(app, typed_run(tools_file, "Paris?", f"{tools_file}:City", "--json"))
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["stop_reason"], data["parsed"]) == ("answer", PARSED)


def test_run_takes_an_output_type_by_module_name(tools_file: Path) -> None:
    """`--output-type package.module:City` imports the module by its name."""
    args = typed_run(tools_file, "Paris?", "tests.output_types:City", "--json")
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)["parsed"] == PARSED


def test_run_json_without_an_output_type_prints_parsed_null(tools_file: Path) -> None:
    """Without --output-type, the answer is text and parsed is null."""
    args = ["run", "Paris?", "-t", str(tools_file), "-m", f"{tools_file}:model", "--json"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["output"], data["parsed"]) == ("No output type was asked for.", None)


def test_runs_resume_keeps_the_output_type_of_the_run(tools_file: Path, tmp_path: Path) -> None:
    """A typed run paused with --store is resumed by `runs resume` with its output type."""
    store = str(tmp_path / "runs.sqlite3")
    args = typed_run(tools_file, "Delete notes.txt.", f"{tools_file}:City", "--store", store)
    paused = runner.invoke(app, args)
    assert paused.exit_code == 3, paused.output
    found = re.fullmatch(r"run id: ([0-9a-f]{32})\n", paused.stderr)
    assert found is not None, paused.output
    done = runner.invoke(app, ["runs", "resume", found[1], "--store", store], input="y\n")
    assert done.exit_code == 0, done.output
    assert '"population": 2100000' in done.stdout


def test_an_output_type_the_file_lacks_is_a_one_line_error(tools_file: Path) -> None:
    """--output-type FILE.py:Town, which the file does not define, names what it lacks."""
    result = runner.invoke(app, typed_run(tools_file, "Paris?", f"{tools_file}:Town"))
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert line.startswith("error: --output-type")
    assert "has no 'Town'" in line


def test_an_output_type_that_is_no_model_class_is_a_one_line_error(tools_file: Path) -> None:
    """--output-type naming a function is refused: it is no Pydantic model class."""
    result = runner.invoke(app, typed_run(tools_file, "Paris?", f"{tools_file}:delete_file"))
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert "is not a Pydantic model class" in line


def test_an_output_type_without_a_class_name_is_a_one_line_error(tools_file: Path) -> None:
    """--output-type FILE.py alone says to name the class after a colon."""
    result = runner.invoke(app, typed_run(tools_file, "Paris?", str(tools_file)))
    assert result.exit_code == 1
    [line] = result.stderr.strip().splitlines()
    assert "FILE.py:Model" in line


def test_stored_options_from_before_output_types_have_none() -> None:
    """A run's stored command-line settings without output_type read as no output type."""
    stored = RunOptions(model="local").to_meta()
    del stored["output_type"]
    assert RunOptions.from_meta(stored).output_type is None


def recorded_typed_run(tools_file: Path, store: str) -> str:
    """Record a typed run with `run --store`; its id."""
    args = typed_run(tools_file, "Paris?", f"{tools_file}:City", "--store", store)
    recorded = runner.invoke(app, args)
    assert recorded.exit_code == 0, recorded.output
    found = re.fullmatch(r"run id: ([0-9a-f]{32})\n", recorded.stderr)
    assert found is not None, recorded.output
    return found[1]


def test_replay_with_the_run_s_output_type_finds_no_divergence(
    tools_file: Path, tmp_path: Path
) -> None:
    """`replay --output-type` as given to `run` replays the typed run to its end."""
    store = str(tmp_path / "runs.sqlite3")
    run_id = recorded_typed_run(tools_file, store)
    args = ["replay", run_id, "--store", store, "-t", str(tools_file)]
    result = runner.invoke(app, [*args, "--output-type", f"{tools_file}:City"])
    assert result.exit_code == 0, result.output
    assert "no divergence" in result.stdout


def test_replay_without_the_run_s_output_type_diverges_at_step_0(
    tools_file: Path, tmp_path: Path
) -> None:
    """`replay` of a typed run with no --output-type reports the output type's difference."""
    store = str(tmp_path / "runs.sqlite3")
    run_id = recorded_typed_run(tools_file, store)
    result = runner.invoke(app, ["replay", run_id, "--store", store, "-t", str(tools_file)])
    assert result.exit_code == 1
    assert "diverged at step 0 (request): The output type differs" in " ".join(
        result.stdout.split()
    )
