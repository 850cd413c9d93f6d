"""Every command's ``--store``: a SQLite file or a postgresql:// URL, on the tests' real server.

The runs are made by `switchboard run` itself, with a scripted model given as a factory in
the tools file (``--model FILE.py:model``), so each command reads what the command line
wrote, in either store.
"""

import asyncio
import json
import re
import signal
import subprocess
import sys
import textwrap
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner, Result

import switchboard
from switchboard import open_run_store
from switchboard.cli import app
from tests.runs.postgres_server import USER, PostgresServer

runner = CliRunner()

TOOLS = textwrap.dedent(
    '''
    from pathlib import Path

    from switchboard import ModelRequest, ScriptedModel, Toolbox, ToolCall, ToolResult

    tools = Toolbox()


    @tools.register(requires_approval=True)
    def delete_file(name: str) -> str:
        """Delete one of the user's files.

        Args:
            name: The file's name, e.g. "notes.txt".
        """
        Path(__file__).with_name("deleted.txt").write_text(name)
        return f"Deleted {name}."


    @tools.register
    def get_weather(city: str) -> str:
        """Get the weather for a city.

        Args:
            city: The city.
        """
        return f"21 C in {city}"


    def _reply(request: ModelRequest) -> str | ToolCall:
        last = request.messages[-1]
        if isinstance(last, ToolResult):
            return f"Done: {last.content}"
        if "Delete" in last.content:
            return ToolCall("c1", "delete_file", '{"name": "notes.txt"}')
        return ToolCall("c1", "get_weather", '{"city": "Paris"}')


    def model() -> ScriptedModel:
        return ScriptedModel(_reply)
    '''
)
SOURCE = str(Path(switchboard.__file__).resolve().parents[1])
COMMAND = [sys.executable, "-c", "from _switchboard_cli import main; main()"]
UNKNOWN = "mysql://runs@db.internal/switchboard"


@pytest.fixture
def tools_file(tmp_path: Path) -> Path:
    path = tmp_path / "files.py"
    path.write_text(TOOLS)
    return path


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new store: a SQLite file, or a database of its own on the tests' PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "runs.sqlite3")
    return request.getfixturevalue("postgres_url")


def run(tools_file: Path, prompt: str, location: str) -> tuple[Result, str]:
    """`switchboard run PROMPT --store LOCATION`; its result and the run's id."""
    result = runner.invoke(
        app,
        ["run", prompt, "-t", str(tools_file), "-m", f"{tools_file}:model", "--store", location],
    )
    found = re.fullmatch(r"run id: ([0-9a-f]{32})\n", result.stderr)
    assert found is not None, result.output
    assert asyncio.run(stored_status(location, found[1])) in ("paused", "finished")
    return result, found[1]


async def stored_status(location: str, run_id: str) -> str:
    """The status of ``run_id`` in the store at ``location``, read with the library's own API."""
    async with open_run_store(location) as store:
        return (await store.load(run_id)).status


def test_run_records_in_the_store_and_runs_resume_from_it_finishes(
    tools_file: Path, location: str
) -> None:
    """`run --store` pauses on an approval; `runs resume --store` of the same store runs it."""
    paused, run_id = run(tools_file, "Delete notes.txt.", location)
    assert paused.exit_code == 3, paused.output
    assert f"resume with: switchboard runs resume {run_id} --store {location}" in paused.stdout
    done = runner.invoke(app, ["runs", "resume", run_id, "--store", location], input="y\n")
    assert done.exit_code == 0, done.output
    assert tools_file.with_name("deleted.txt").read_text() == "notes.txt"
    assert "answer: Done: Deleted notes.txt." in done.stdout


def test_runs_list_shows_the_runs_of_the_store(tools_file: Path, location: str) -> None:
    """`runs list --store` has a row for the run `run --store` recorded there."""
    _, run_id = run(tools_file, "Weather in Paris?", location)
    listed = runner.invoke(app, ["runs", "list", "--store", location], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    row = next(line for line in listed.stdout.splitlines() if run_id in line)
    assert row.split("│")[2:4] == [" finished ", " scripted:scripted "]


def test_the_commands_read_a_url_in_switchboard_store(
    tools_file: Path, postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    """With no --store, `runs show` reads the PostgreSQL store SWITCHBOARD_STORE names."""
    _, run_id = run(tools_file, "Weather in Paris?", postgres_url)
    monkeypatch.setenv("SWITCHBOARD_STORE", postgres_url)
    shown = runner.invoke(app, ["runs", "show", run_id])
    assert shown.exit_code == 0, shown.output
    assert "<- 21 C in Paris" in shown.stdout


def test_runs_show_prints_the_run_from_the_store(tools_file: Path, location: str) -> None:
    """`runs show ID --store` prints the run's call and its result."""
    _, run_id = run(tools_file, "Weather in Paris?", location)
    shown = runner.invoke(app, ["runs", "show", run_id, "--store", location])
    assert shown.exit_code == 0, shown.output
    assert '-> get_weather({"city": "Paris"})' in shown.stdout
    assert "<- 21 C in Paris" in shown.stdout


def test_replay_reads_the_run_from_the_store(tools_file: Path, location: str) -> None:
    """`replay ID --store` replays the recorded run with no divergence."""
    _, run_id = run(tools_file, "Weather in Paris?", location)
    replayed = runner.invoke(app, ["replay", run_id, "-t", str(tools_file), "--store", location])
    assert replayed.exit_code == 0, replayed.output
    assert "no divergence in 2 steps, 1 calls run" in replayed.stdout


def test_view_serves_the_runs_of_the_store(tools_file: Path, location: str) -> None:
    """`view --store` serves the store's runs: the run `run --store` recorded is listed."""
    _, run_id = run(tools_file, "Weather in Paris?", location)
    process = subprocess.Popen(
        [*COMMAND, "view", "--store", location, "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": SOURCE},
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()  # written once the port listens
        assert line.startswith(f"Serving the runs of {location} at http://127.0.0.1:"), line
        url = line.split(" at ")[1].strip()
        with urllib.request.urlopen(f"{url}api/runs", timeout=30) as response:
            runs = json.load(response)["runs"]
        assert [run["run_id"] for run in runs] == [run_id]
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)


def test_a_urls_password_is_not_printed(tools_file: Path, postgres_server: PostgresServer) -> None:
    """The resume command and the runs list show a URL with its password hidden."""
    url = f"postgresql://{USER}:s3cret@127.0.0.1:{postgres_server.port}/postgres"
    paused, run_id = run(tools_file, "Delete notes.txt.", url)
    hidden = f"postgresql://{USER}:***@127.0.0.1:{postgres_server.port}/postgres"
    assert f"switchboard runs resume {run_id} --store '{hidden}'" in paused.stdout
    listed = runner.invoke(app, ["runs", "list", "--store", url])
    assert "s3cret" not in paused.output + listed.output


@pytest.mark.parametrize(
    "command",
    [
        ["run", "Hi.", "--store", UNKNOWN],
        ["runs", "list", "--store", UNKNOWN],
        ["runs", "show", "r1", "--store", UNKNOWN],
        ["runs", "resume", "r1", "--store", UNKNOWN],
        ["replay", "r1", "--store", UNKNOWN],
        ["view", "--store", UNKNOWN],
        ["batch", "in.jsonl", "-o", "out.jsonl", "--store", UNKNOWN],
    ],
    ids=lambda command: " ".join(command[: command.index("--store")][:2]),
)
def test_a_store_url_of_an_unknown_scheme_is_a_one_line_error(
    command: list[str], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A --store URL that names no kind of store exits 1 saying what a store location is."""
    monkeypatch.chdir(tmp_path)
    result = runner.invoke(app, command)
    assert result.exit_code == 1, result.output
    assert result.stderr.startswith(
        f"error: The run store '{UNKNOWN}' has the URL scheme 'mysql', which names no store: "
        "give a file path (a SQLite store, e.g. runs.sqlite3) or a postgresql:// URL"
    )
    assert list(tmp_path.iterdir()) == []
