"""`switchboard runs list|show` and `switchboard replay`, on a store written as a run writes it."""

import asyncio
from pathlib import Path

import pytest
import typer
from typer.testing import CliRunner

from switchboard import (
    Approve,
    AssistantTurn,
    ModelResponse,
    ScriptedModel,
    ToolCall,
    Usage,
    UserMessage,
)
from switchboard.cli import _agent, app
from switchboard.cli_runs_view import list_runs, show_run
from switchboard.runs.codec import message_to_json, response_to_json
from switchboard.runs.sqlite import SQLiteStore
from switchboard.tools_file import load_toolbox
from tests.pausing import scripted
from tests.runs.recorded import record_run

runner = CliRunner()

TOOLS = '''
from pathlib import Path

LOG = Path(__file__).with_name("calls.log")


def get_weather(city: str) -> str:
    """Get the weather for a city."""
    with LOG.open("a") as log:
        log.write(city + "\\n")
    return f"21 C in {city}"
'''

# The sub-app as switchboard.cli_runs registers it.
runs_app = typer.Typer()
runs_app.command("list")(list_runs)
runs_app.command("show")(show_run)


@pytest.fixture
def tools_file(tmp_path: Path) -> Path:
    path = tmp_path / "tools.py"
    path.write_text(TOOLS)
    return path


@pytest.fixture
def store_file(tmp_path: Path, tools_file: Path) -> Path:
    """A store holding run r1, made by `switchboard run`'s agent: two calls, one invalid."""
    path = tmp_path / "runs.sqlite3"
    calls = [
        ToolCall("c1", "get_weather", '{"city": "Paris"}'),
        ToolCall("c2", "get_weather", '{"town": "Lyon"}'),
    ]
    model = ScriptedModel([calls, "It is 21 C in Paris."])
    agent = _agent(model, load_toolbox(tools_file))

    async def write() -> None:
        async with SQLiteStore(path) as store:
            await record_run(store, agent, "Weather in Paris?")

    asyncio.run(write())
    (tmp_path / "calls.log").unlink()
    return path


def test_runs_list_shows_each_run_with_status_model_steps_and_tools(store_file: Path) -> None:
    """`runs list` prints a table row per run: id, status, model, steps, tools."""
    result = runner.invoke(runs_app, ["list", "--store", str(store_file)])
    assert result.exit_code == 0, result.output
    row = next(line for line in result.stdout.splitlines() if " r1 " in line)
    assert row.split("│")[1:4] == [" r1 ", " finished ", " scripted "]
    assert row.split("│")[4].strip() == "2"
    assert "get_weather" in row


def test_runs_list_filters_by_status(store_file: Path) -> None:
    """`runs list --status paused` leaves out the finished run."""
    result = runner.invoke(runs_app, ["list", "--store", str(store_file), "--status", "paused"])
    assert result.exit_code == 0, result.output
    assert " r1 " not in result.stdout


def test_runs_list_with_an_unknown_status_is_a_one_line_error(store_file: Path) -> None:
    """An unknown --status exits 1 naming the statuses there are."""
    result = runner.invoke(runs_app, ["list", "--store", str(store_file), "--status", "done"])
    assert result.exit_code == 1
    assert "Unknown status 'done': use one of running, paused, finished, failed." in (result.stderr)


def test_runs_without_a_store_file_is_an_error_saying_what_to_pass(tmp_path: Path) -> None:
    """A store path with no file exits 1, asks for --store, and creates no file."""
    missing = tmp_path / "none.sqlite3"
    result = runner.invoke(runs_app, ["list", "--store", str(missing)])
    assert result.exit_code == 1
    assert "No run store at" in result.stderr
    assert "--store PATH" in result.stderr
    assert not missing.exists()


def test_runs_show_prints_messages_calls_and_results(store_file: Path) -> None:
    """`runs show` prints the prompt, each call with its arguments and result, the answer."""
    result = runner.invoke(runs_app, ["show", "r1", "--store", str(store_file)])
    assert result.exit_code == 0, result.output
    lines = [line.strip() for line in result.stdout.splitlines()]
    assert "user: Weather in Paris?" in lines
    assert '-> get_weather({"city": "Paris"}) c1' in lines
    assert "<- 21 C in Paris" in lines
    assert "assistant: It is 21 C in Paris." in lines
    assert lines.index("<- 21 C in Paris") < lines.index("assistant: It is 21 C in Paris.")


def test_runs_show_marks_a_failed_call_as_an_error(store_file: Path) -> None:
    """A call that failed is marked with x and its error kind."""
    result = runner.invoke(runs_app, ["show", "r1", "--store", str(store_file)])
    lines = [line.strip() for line in result.stdout.splitlines()]
    failed = lines[lines.index('-> get_weather({"town": "Lyon"}) c2') + 1]
    assert failed.startswith("x  invalid: Invalid arguments for get_weather")


def test_runs_show_marks_a_call_started_but_never_finished(tmp_path: Path) -> None:
    """A call with no stored result after a crash is said to have maybe taken effect."""
    path = tmp_path / "runs.sqlite3"
    call = ToolCall("c1", "pay", '{"invoice": "INV-1"}')
    response = ModelResponse(AssistantTurn("", (call,)), Usage(), "tool_calls")

    async def write() -> None:
        async with SQLiteStore(path) as store:
            await store.create_run("r1", {"model": "scripted"})
            request = {"messages": [message_to_json(UserMessage("Pay"))], "tools": []}
            await store.begin_step("r1", 0, request)
            await store.finish_step("r1", 0, response_to_json(response))
            await store.call_started("r1", 0, "c1", "pay", call.arguments)

    asyncio.run(write())
    result = runner.invoke(runs_app, ["show", "r1", "--store", str(path)])
    assert result.exit_code == 0, result.output
    assert "x  started, no result stored: interrupted (it may have taken effect)" in (result.stdout)


def test_runs_show_of_an_unknown_run_is_a_one_line_error(store_file: Path) -> None:
    """An id the store does not have exits 1 naming it."""
    result = runner.invoke(runs_app, ["show", "nope", "--store", str(store_file)])
    assert result.exit_code == 1
    assert "'nope'" in result.stderr


def test_replay_of_an_unchanged_run_exits_0_and_reruns_the_tools(
    store_file: Path, tools_file: Path
) -> None:
    """`switchboard replay` with the run's own tools finds no divergence; the tools ran."""
    args = ["replay", "r1", "--store", str(store_file), "--tools", str(tools_file)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "no divergence" in result.stdout
    assert tools_file.with_name("calls.log").read_text() == "Paris\n"


def test_replay_with_recorded_results_runs_no_tool(store_file: Path, tools_file: Path) -> None:
    """--recorded-results answers the calls from the store: the tool never runs."""
    args = ["replay", "r1", "--store", str(store_file), "-t", str(tools_file)]
    result = runner.invoke(app, [*args, "--recorded-results"])
    assert result.exit_code == 0, result.output
    assert "recorded results" in result.stdout
    assert not tools_file.with_name("calls.log").exists()


def test_replay_that_diverges_exits_1_and_prints_where(store_file: Path, tools_file: Path) -> None:
    """Another system prompt diverges at step 0: exit 1, and the report says what differs."""
    args = ["replay", "r1", "--store", str(store_file), "-t", str(tools_file)]
    result = runner.invoke(app, [*args, "--system", "Be thorough."])
    assert result.exit_code == 1
    assert (
        "diverged at step 0 (request): Message 0 (system message) is new: the recording has "
        "none there."
    ) in " ".join(result.stdout.split())


def test_replay_of_an_unknown_run_is_a_one_line_error(store_file: Path, tools_file: Path) -> None:
    """An id the store does not have exits 1 with the reason on stderr."""
    args = ["replay", "nope", "--store", str(store_file), "-t", str(tools_file)]
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert "'nope'" in result.stderr


APPROVAL_TOOLS = '''
from switchboard import Toolbox

tools = Toolbox()


@tools.register(requires_approval=True)
def delete_file(name: str) -> str:
    """Delete one of the user's files."""
    return f"Deleted {name}."
'''


def test_replay_of_a_run_resumed_after_a_pause_exits_0(tmp_path: Path) -> None:
    """A run paused on an approval and resumed replays through its resume: no divergence."""
    tools_file = tmp_path / "files.py"
    tools_file.write_text(APPROVAL_TOOLS)
    path = tmp_path / "runs.sqlite3"
    delete = ToolCall("d1", "delete_file", '{"name": "notes.txt"}')

    async def write() -> str:
        async with SQLiteStore(path) as store:
            model = scripted([[delete]], answer="Deleted notes.txt.")
            agent = _agent(model, load_toolbox(tools_file), store=store)
            paused = await agent.run("Delete notes.txt.")
            assert paused.stop_reason == "paused"
            done = await agent.resume(paused.state.run_id, {"d1": Approve()})
            return done.state.run_id

    run_id = asyncio.run(write())
    args = ["replay", run_id, "--store", str(path), "--tools", str(tools_file)]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "no divergence in 2 steps" in result.stdout
