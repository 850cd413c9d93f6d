"""`switchboard run --store/--approve` and `switchboard runs resume`."""

import asyncio
import re
import textwrap
from pathlib import Path

import pytest
from typer.testing import CliRunner

from switchboard import Agent, SQLiteStore, ToolCall
from switchboard.cli import app
from switchboard.cli_agent import RunOptions
from switchboard.errors import ConfigurationError
from tests.pausing import SEND, make_tools, scripted

runner = CliRunner()

TOOLS = textwrap.dedent(
    '''
    from pathlib import Path

    from switchboard import Toolbox

    tools = Toolbox()


    @tools.register(requires_approval=True)
    def delete_file(name: str) -> str:
        """Delete one of the user's files.

        Args:
            name: The file's name, e.g. "notes.txt".
        """
        Path(__file__).with_name("deleted.txt").write_text(name)
        return f"Deleted {name}."
    '''
)
LOCAL = ["--max-tokens", "64", "--seed", "1", "--threads", "1"]


@pytest.fixture
def tools_file(tmp_path: Path) -> Path:
    path = tmp_path / "files.py"
    path.write_text(TOOLS)
    return path


def test_run_with_a_store_pauses_on_approval_and_runs_resume_asks_and_finishes(
    tools_file: Path, tmp_path: Path
) -> None:
    """`run --store` pauses on the call (exit 3); `runs resume` asks about it and runs it."""
    store = tmp_path / "runs.sqlite3"
    ran = tools_file.with_name("deleted.txt")
    paused = runner.invoke(
        app, ["run", "Delete notes.txt.", "--tools", str(tools_file), "--store", str(store), *LOCAL]
    )
    assert paused.exit_code == 3, paused.output
    run_id = re.fullmatch(r"run id: ([0-9a-f]{32})\n", paused.stderr)
    assert run_id is not None, paused.stderr
    assert "waiting: delete_file(" in paused.stdout
    command = f"switchboard runs resume {run_id[1]} --store {store}"
    assert f"resume with: {command}" in paused.stdout
    assert not ran.exists()
    done = runner.invoke(app, command.split()[1:], input="y\n")
    assert done.exit_code == 0, done.output
    assert ran.exists()
    assert "-> delete_file(" in done.stdout
    assert "\nanswer: " in done.stdout


def test_run_approve_asks_on_the_terminal_and_a_no_denies_the_call(tools_file: Path) -> None:
    """`run --approve`: each call is asked about; "n" denies it, and the model is told."""
    done = runner.invoke(
        app,
        ["run", "Delete notes.txt.", "--tools", str(tools_file), "--approve", *LOCAL],
        input="n\n" * 6,
    )
    assert done.exit_code != 3, done.output  # asked, not paused
    assert done.stderr.startswith('Run delete_file({"name": "notes.txt"})? [y/n] (n): ')
    lines = done.stdout.splitlines()
    assert lines[:2] == [
        '-> delete_file({"name": "notes.txt"})',
        "   x  The user did not approve this call to delete_file.",
    ]
    assert not tools_file.with_name("deleted.txt").exists()


def test_runs_resume_of_an_unknown_run_is_a_one_line_error(tmp_path: Path) -> None:
    """`runs resume` of an id the store does not have exits 1 naming it."""
    result = runner.invoke(app, ["runs", "resume", "nope", "--store", str(tmp_path / "r.db")])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: No run 'nope' in ")


def test_runs_resume_error_shows_brackets_in_the_run_id_as_written(tmp_path: Path) -> None:
    """A run id that looks like console markup is printed as given, not read as a style."""
    store = str(tmp_path / "r.db")
    result = runner.invoke(app, ["runs", "resume", "[bold]nope", "--store", store])
    assert result.exit_code == 1
    assert result.stderr.startswith("error: No run '[bold]nope' in ")


def stored_run(store_path: Path, meta: dict[str, object], turns: list[list[ToolCall]]) -> str:
    """A run paused on ``turns``, recorded in the store at ``store_path``; its id."""

    async def run() -> str:
        async with SQLiteStore(store_path) as store:
            agent = Agent(scripted(turns), tools=make_tools(lambda line: None), store=store)
            return (await agent.run("Go.", meta=meta)).state.run_id

    return asyncio.run(run())


def test_runs_resume_of_a_run_not_recorded_by_the_command_says_where_to_resume_it(
    tmp_path: Path,
) -> None:
    """A run an application recorded has no command-line settings: resume it from there."""
    store = tmp_path / "runs.sqlite3"
    run_id = stored_run(store, {}, [[SEND]])
    result = runner.invoke(app, ["runs", "resume", run_id, "--store", str(store)])
    assert result.exit_code == 1
    assert "was not recorded by `switchboard run`" in result.stderr


def test_runs_resume_of_a_run_waiting_on_the_application_says_to_supply_its_result(
    tmp_path: Path,
) -> None:
    """A run that waits on an external call cannot be answered on the terminal."""
    store = tmp_path / "runs.sqlite3"
    run_id = stored_run(store, {"cli": RunOptions().to_meta()}, [[SEND]])
    result = runner.invoke(app, ["runs", "resume", run_id, "--store", str(store)])
    assert result.exit_code == 1
    assert "which the application runs: resume it from there, with Supply(result)" in " ".join(
        result.stderr.split()
    )


def test_run_options_round_trip_through_a_stored_runs_meta() -> None:
    """The settings of `run` come back whole from the meta they were recorded in."""
    options = RunOptions("openai:gpt-4.1-mini", ("/t/a.py",), "Be brief.", "auto", 3, 99, 0.5)
    assert RunOptions.from_meta(options.to_meta()) == options


def test_run_options_of_a_wrong_meta_raise_naming_the_setting() -> None:
    """A meta whose setting has the wrong type raises ConfigurationError naming it."""
    meta = RunOptions().to_meta() | {"max_tokens": "many"}
    with pytest.raises(ConfigurationError, match="setting max_tokens is wrong: 'many'"):
        RunOptions.from_meta(meta)


def test_run_options_recorded_before_the_batch_settings_keep_runs_defaults() -> None:
    """A meta without the settings batches added is read as `run` recorded it: answer at limit."""
    meta = RunOptions().to_meta()
    for name in ("max_tool_calls", "request_timeout", "answer_at_limit"):
        del meta[name]
    options = RunOptions.from_meta(meta)
    assert (options.max_tool_calls, options.request_timeout, options.answer_at_limit) == (
        None,
        None,
        True,
    )
