import json
import re
import signal
import subprocess
import sys
import tomllib
from pathlib import Path

import pytest
from typer.testing import CliRunner

from switchboard.cli import app
from tests.batch.batch_files import MODEL, write_lines
from tests.batch.batch_files import TOOLS as BATCH_TOOLS

EXAMPLES = Path(__file__).parent.parent / "examples"
PYPROJECT = Path(__file__).parent.parent / "pyproject.toml"
runner = CliRunner()


def test_schema_prints_the_example_tools_for_anthropic() -> None:
    """`schema --format anthropic` prints each tool's Anthropic definition as JSON."""
    result = runner.invoke(app, ["schema", str(EXAMPLES / "weather.py"), "--format", "anthropic"])
    assert result.exit_code == 0, result.output
    schemas = json.loads(result.stdout)
    assert [s["name"] for s in schemas] == ["get_weather", "get_forecast"]
    assert schemas[0]["input_schema"]["properties"]["unit"]["enum"] == ["celsius", "fahrenheit"]


def test_schema_strict_marks_every_property_required() -> None:
    """`--strict` prints OpenAI strict-mode schemas."""
    result = runner.invoke(app, ["schema", str(EXAMPLES / "weather.py"), "--strict"])
    assert result.exit_code == 0, result.output
    first = json.loads(result.stdout)[0]["function"]
    assert first["strict"] is True
    assert first["parameters"]["required"] == ["city", "unit"]


def _fails_with(args: list[str], expected: str) -> None:
    result = runner.invoke(app, args)
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, lines
    assert lines[0].startswith("error: ")
    assert expected in lines[0]


def test_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    """A missing file exits 1 with one line saying what to pass."""
    _fails_with(["schema", str(tmp_path / "nope.py")], "No such file")


def test_import_error_is_a_one_line_error_with_the_line(tmp_path: Path) -> None:
    """A file that raises on import exits 1 naming the exception and line."""
    path = tmp_path / "broken.py"
    path.write_text("import json\n\nraise RuntimeError('boom')\n")
    _fails_with(["schema", str(path)], "(line 3): RuntimeError: boom")


def test_syntax_error_is_a_one_line_error(tmp_path: Path) -> None:
    """A file with a syntax error exits 1 naming the line."""
    path = tmp_path / "bad.py"
    path.write_text("def f(:\n")
    _fails_with(["schema", str(path)], "(line 1): SyntaxError")


def test_function_that_cannot_be_a_tool_is_a_one_line_error(tmp_path: Path) -> None:
    """A function with *args exits 1 naming the tool and parameter."""
    path = tmp_path / "tools.py"
    path.write_text("def total(*numbers: float) -> float:\n    return sum(numbers)\n")
    _fails_with(["schema", str(path)], "Tool 'total': parameter '*numbers'")


def test_unknown_format_is_a_one_line_error() -> None:
    """An unknown --format exits 1 listing the formats."""
    _fails_with(["schema", str(EXAMPLES / "weather.py"), "--format", "cohere"], "openai-responses")


def test_strict_without_strict_form_fails_unless_fallback(tmp_path: Path) -> None:
    """--strict on a dict parameter fails; --fallback prints it non-strict."""
    path = tmp_path / "tools.py"
    path.write_text("def count(tags: dict[str, int]) -> int:\n    return len(tags)\n")
    _fails_with(["schema", str(path), "--strict"], "/properties/tags")
    result = runner.invoke(app, ["schema", str(path), "--strict", "--fallback"])
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout)[0]["function"]["name"] == "count"


@pytest.mark.parametrize("fmt", ["openai", "openai-responses", "anthropic", "gemini", "mcp"])
def test_installed_console_script_prints_each_format(fmt: str) -> None:
    """The `switchboard` console script runs as installed and prints valid JSON."""
    script = Path(sys.executable).parent / "switchboard"
    done = subprocess.run(
        [str(script), "schema", str(EXAMPLES / "weather.py"), "--format", fmt],
        capture_output=True,
        text=True,
        check=False,
    )
    assert done.returncode == 0, done.stderr
    assert len(json.loads(done.stdout)) == 2


def test_call_runs_a_tool_and_prints_what_the_model_reads() -> None:
    """`call` executes the tool through the executor and prints the result content."""
    result = runner.invoke(
        app, ["call", str(EXAMPLES / "weather.py"), "get_weather", '{"city": "Tokyo"}']
    )
    assert result.exit_code == 0, result.output
    assert json.loads(result.stdout) == {
        "city": "Tokyo",
        "temperature": 18.0,
        "unit": "celsius",
        "sky": "clear",
    }


def test_call_reports_repairs_on_stderr() -> None:
    """Repaired arguments still run, and the repairs are named."""
    args = ["call", str(EXAMPLES / "calculator.py"), "calculate", "{'expression': '2*21'}"]
    result = runner.invoke(app, args)
    assert result.exit_code == 0, result.output
    assert result.stdout.strip() == "42"
    assert "repaired: single_quotes" in result.stderr


def test_call_failure_is_a_one_line_error() -> None:
    """A failing call exits 1 with its error kind and the message the model would read."""
    _fails_with(
        ["call", str(EXAMPLES / "weather.py"), "get_weather", '{"city": "Atlantis"}'],
        "raised: get_weather raised ValueError: No weather station for 'Atlantis'.",
    )
    _fails_with(
        ["call", str(EXAMPLES / "weather.py"), "get_wether", "{}"],
        "unknown_tool: There is no tool named 'get_wether'. Did you mean 'get_weather'?",
    )


def test_call_with_cut_off_arguments_runs_nothing() -> None:
    """A string cut in the middle is never closed into a call: unparsable, exit 1."""
    _fails_with(
        ["call", str(EXAMPLES / "weather.py"), "get_weather", '{"city": "Tok'],
        "unparsable: Arguments were cut off after 13 characters, inside a string",
    )


def test_call_returns_on_time_and_exits_with_a_blocked_sync_tool(tmp_path: Path) -> None:
    """The process ends at --timeout though the tool's thread never returns."""
    path = tmp_path / "tools.py"
    path.write_text(
        "import threading\n\n"
        "def wait_forever() -> str:\n"
        '    """Never returns."""\n'
        "    threading.Event().wait()\n"
        '    return "never"\n'
    )
    script = Path(sys.executable).parent / "switchboard"
    done = subprocess.run(
        [str(script), "call", str(path), "wait_forever", "--timeout", "0.2"],
        capture_output=True,
        text=True,
        check=False,
        timeout=60,  # a hang fails the test instead of stalling the suite
    )
    assert done.returncode == 1
    assert done.stderr.strip() == (
        "error: timeout: wait_forever did not finish within the batch's time limit."
    )


def test_run_shows_each_call_its_result_and_the_answer_offline() -> None:
    """`run` on the embedded model prints the call, its result and an answer, and exits 0."""
    result = runner.invoke(
        app,
        [
            "run",
            "What's the weather in Tokyo and Paris?",
            "--tools",
            str(EXAMPLES / "weather.py"),
            "--max-tokens",
            "64",
            "--seed",
            "1",
            "--threads",
            "1",
        ],
    )
    assert result.exit_code == 0, result.output
    lines = result.stdout.splitlines()
    assert lines[0].startswith("-> get_weather({")
    assert lines[1].startswith("   <- {")
    assert '"temperature"' in lines[1]
    assert any(line.startswith("answer: ") and len(line) > len("answer: ") for line in lines)


def test_the_readmes_first_command_answers_with_both_cities_weather() -> None:
    """The README's first command, as written: both cities' readings in the answer, exit 0."""
    result = runner.invoke(
        app,
        ["run", "What's the weather in Tokyo and Paris?", "--tools", str(EXAMPLES / "weather.py")],
    )
    assert result.exit_code == 0, result.output
    answer = result.stdout.partition("\nanswer: ")[2]
    assert re.search(r"Tokyo\b.*\b18(\.0)?\b", answer)
    assert re.search(r"Paris\b.*\b12\.5\b", answer)


def test_run_with_an_unknown_model_is_a_one_line_error() -> None:
    """An unknown model string exits 1 naming the forms it accepts."""
    _fails_with(["run", "Hi", "--model", "nope:x"], "'local:<path>'")


def test_eval_bfcl_prints_the_table_and_writes_json_lines(tmp_path: Path) -> None:
    """`eval bfcl --limit 2` scores two entries, prints the figures, writes two JSON lines."""
    output = tmp_path / "results.jsonl"
    result = runner.invoke(
        app,
        [
            "eval",
            "bfcl",
            "--limit",
            "2",
            "--threads",
            "1",
            "--max-tokens",
            "64",
            "--output",
            str(output),
        ],
    )
    assert result.exit_code == 0, result.output
    assert "accuracy" in result.stdout
    assert "schema-valid calls" in result.stdout
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert [row["id"] for row in rows] == ["simple_python_0", "simple_python_1"]
    assert all(row["valid_calls"] == len(row["calls"]) == 1 for row in rows)


def test_eval_bfcl_no_grammar_needs_a_local_model() -> None:
    """--no-grammar with a remote model exits 1: only a local model has a grammar."""
    _fails_with(
        ["eval", "bfcl", "--model", "openai:gpt-4.1-mini", "--no-grammar"], "local models only"
    )


def test_run_with_a_file_that_is_not_a_model_is_a_one_line_error() -> None:
    """'local:README.md' exits 1 with one line naming the file and what to pass instead."""
    readme = Path(__file__).parent.parent / "README.md"
    _fails_with(["run", "Hi", "--model", f"local:{readme}"], "is not a GGUF model file")


def _table_row(stdout: str) -> dict[str, str]:
    """The header and first row of the one rich table in ``stdout``, cell by cell."""
    rows = [
        [cell.strip() for cell in line.strip("┃│ ").split("┃" if "┃" in line else "│")]
        for line in stdout.splitlines()
        if line.startswith(("┃", "│"))
    ]
    return dict(zip(rows[0], rows[1], strict=True))


WEATHER_TASKS = (
    '{"id": "tokyo", "prompt": "What is the weather in Tokyo?", "tags": ["one-city"], '
    '"calls": [{"name": "get_weather", "arguments": {"city": "Tokyo"}}], "facts": ["18"]}\n'
    '{"id": "paris", "split": "test", "prompt": "Is it raining in Paris?", '
    '"tags": ["one-city", "yes-no"], '
    '"calls": [{"name": "get_weather", "arguments": {"city": "Paris"}}], "facts": ["rain"]}\n'
)


def _tables(stdout: str) -> list[list[list[str]]]:
    """Each rich table in ``stdout``: its header, then its rows, cell by cell."""
    tables: list[list[list[str]]] = []
    for line in stdout.splitlines():
        if line.startswith("┃"):
            tables.append([[cell.strip() for cell in line.strip("┃ ").split("┃")]])
        elif line.startswith("│"):
            tables[-1].append([cell.strip() for cell in line.strip("│ ").split("│")])
    return tables


def test_eval_tasks_prints_rates_per_split_and_tag_and_writes_json_lines(tmp_path: Path) -> None:
    """`eval tasks` on the local model: a row per split and all, a row per tag, a line per task."""
    tasks, output = tmp_path / "tasks.jsonl", tmp_path / "results.jsonl"
    tasks.write_text(WEATHER_TASKS, encoding="utf-8")
    result = runner.invoke(
        app,
        [
            "eval",
            "tasks",
            str(tasks),
            "--tools",
            str(EXAMPLES / "weather.py"),
            "--model",
            "local",
            "--threads",
            "1",
            "--max-tokens",
            "32",
            "--max-iterations",
            "2",
            "--output",
            str(output),
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    splits, tags = _tables(result.stdout)
    header = ["tasks", "success", "calls right", "answered", "errors", "mean latency s"]
    assert splits[0] == ["split", *header]
    assert [(row[0], row[1]) for row in splits[1:]] == [("train", "1"), ("test", "1"), ("all", "2")]
    assert tags[0] == ["tag", *header]
    assert [(row[0], row[1]) for row in tags[1:]] == [("one-city", "2"), ("yes-no", "1")]
    rows = [json.loads(line) for line in output.read_text().splitlines()]
    assert [(row["id"], row["split"]) for row in rows] == [("tokyo", "train"), ("paris", "test")]
    assert all(row["requests"] >= 1 and row["error"] is None for row in rows)


def test_eval_tasks_with_a_bad_task_file_is_a_one_line_error(tmp_path: Path) -> None:
    """A task line without a prompt exits 1 naming the line and the field."""
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text('{"id": "a"}\n', encoding="utf-8")
    args = ["eval", "tasks", str(tasks), "--tools", str(EXAMPLES / "weather.py")]
    _fails_with(args, "line 1: field 'prompt' is missing")


def test_eval_tasks_needing_a_tool_the_tools_file_lacks_is_a_one_line_error(
    tmp_path: Path,
) -> None:
    """A needed call of a tool not in --tools exits 1 before the model runs."""
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(WEATHER_TASKS.replace('"get_weather"', '"get_wether"', 1), encoding="utf-8")
    args = ["eval", "tasks", str(tasks), "--tools", str(EXAMPLES / "weather.py")]
    _fails_with(args, "Task 'tokyo', field 'calls': ")


def test_eval_tasks_split_runs_only_that_split(tmp_path: Path) -> None:
    """--split test on a file of train tasks only has nothing to run, and says so."""
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(WEATHER_TASKS.splitlines()[0] + "\n", encoding="utf-8")
    args = ["eval", "tasks", str(tasks), "--tools", str(EXAMPLES / "weather.py")]
    _fails_with([*args, "--split", "test"], "has no test task")


def test_eval_tasks_output_in_a_missing_folder_fails_before_running(tmp_path: Path) -> None:
    """--output into a folder that does not exist exits 1 before any task runs."""
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(WEATHER_TASKS, encoding="utf-8")
    args = ["eval", "tasks", str(tasks), "--tools", str(EXAMPLES / "weather.py")]
    _fails_with([*args, "--output", str(tmp_path / "no" / "r.jsonl")], "Create it")


def test_eval_tasks_unknown_split_is_a_one_line_error(tmp_path: Path) -> None:
    """--split must be train, test or all."""
    args = ["eval", "tasks", str(tmp_path / "t.jsonl"), "--tools", str(EXAMPLES / "weather.py")]
    _fails_with([*args, "--split", "dev"], "Unknown split 'dev'")


def test_eval_bfcl_counts_replies_without_a_call_instead_of_a_rate_of_none() -> None:
    """When the model made no call, the table counts those replies and rates nothing."""
    result = runner.invoke(
        app,
        [
            "eval",
            "bfcl",
            "--category",
            "irrelevance",
            "--limit",
            "1",
            "--threads",
            "1",
            "--max-tokens",
            "16",
        ],
        env={"COLUMNS": "200"},
    )
    assert result.exit_code == 0, result.output
    row = _table_row(result.stdout)
    assert (row["schema-valid calls"], row["no call"]) == ("-", "1")


@pytest.mark.parametrize(
    "command", [[], ["schema"], ["call"], ["run"], ["eval"], ["eval", "bfcl"], ["eval", "tasks"]]
)
def test_help_labels_only_options_that_take_a_value(command: list[str]) -> None:
    """--help shows no '<bool>' on flags (they take no value); value options keep their type."""
    result = runner.invoke(app, [*command, "--help"], env={"COLUMNS": "200"})
    assert result.exit_code == 0, result.output
    assert "--help" in result.stdout
    assert "<bool>" not in result.stdout


def test_help_keeps_the_type_of_options_that_take_a_value() -> None:
    """--format still shows that it takes a string."""
    result = runner.invoke(app, ["schema", "--help"], env={"COLUMNS": "200"})
    assert "<str>" in next(line for line in result.stdout.splitlines() if "--format" in line)


def test_help_joins_the_lines_of_a_paragraph() -> None:
    """A docstring paragraph wrapped in the source reads as one paragraph in --help."""
    result = runner.invoke(app, ["run", "--help"], env={"COLUMNS": "200"})
    assert "each call is shown with its result as it finishes" in result.stdout


def _entry_point(*python_options: str) -> list[str]:
    """The console script as pyproject.toml declares it, as pip's wrapper runs it."""
    declared = tomllib.loads(PYPROJECT.read_text())["project"]["scripts"]["switchboard"]
    module, function = declared.split(":")
    return [sys.executable, *python_options, "-c", f"from {module} import {function}; {function}()"]


def _interrupted(process: subprocess.Popen[str]) -> tuple[int, str, str]:
    """Send Ctrl-C's signal to ``process``: its status, and what it wrote after, out and err."""
    process.send_signal(signal.SIGINT)
    stdout, stderr = process.communicate(timeout=120)
    return process.returncode, stdout or "", stderr


def test_ctrl_c_while_switchboard_is_imported_prints_interrupted_and_exits_130() -> None:
    """Ctrl-C in the first second, while the command's modules load: one line, status 130."""
    process = subprocess.Popen(
        [*_entry_point("-X", "importtime"), "schema", str(EXAMPLES / "weather.py")],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stderr is not None
    # -X importtime writes a line as each module is loaded: switchboard.errors, which imports
    # nothing of switchboard, is among the first, with most of the command's modules to come.
    for line in process.stderr:
        if line.split("|")[-1].strip() == "switchboard.errors":
            break
    code, _, stderr = _interrupted(process)
    assert "Traceback" not in stderr
    assert (code, stderr.splitlines()[-1]) == (130, "interrupted")


def test_ctrl_c_during_a_run_stops_it_prints_interrupted_and_exits_130() -> None:
    """Ctrl-C while the local model runs: no answer, one line on stderr, status 130."""
    process = subprocess.Popen(
        [
            *_entry_point(),
            "run",
            "What's the weather in Tokyo and Paris?",
            "--tools",
            str(EXAMPLES / "weather.py"),
            "--max-tokens",
            "64",
            "--seed",
            "1",
            "--threads",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    first = process.stdout.readline()  # the first call: the model has run once, runs again
    assert first.startswith("-> get_weather(")
    code, stdout, stderr = _interrupted(process)
    assert "answer:" not in stdout
    assert (code, stderr) == (130, "interrupted\n")


def test_json_to_a_closed_pipe_exits_quietly_with_status_141() -> None:
    """`switchboard schema ... | head -0`: nothing on stderr, the closed pipe's status."""
    process = subprocess.Popen(
        [*_entry_point(), "schema", str(EXAMPLES / "weather.py")],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    process.stdout.close()  # long before the command has loaded, let alone written
    _, stderr = process.communicate(timeout=120)
    assert (process.returncode, stderr) == (141, "")


def test_output_to_a_closed_pipe_ends_the_run_quietly_with_status_141() -> None:
    """`switchboard run ... | head -1`: once the reader is gone, the run stops, silently."""
    process = subprocess.Popen(
        [
            *_entry_point(),
            "run",
            "What's the weather in Tokyo and Paris?",
            "--tools",
            str(EXAMPLES / "weather.py"),
            "--max-tokens",
            "64",
            "--seed",
            "1",
            "--threads",
            "1",
        ],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    assert process.stdout.readline().startswith("-> get_weather(")
    process.stdout.close()  # as head does once it has its line
    _, stderr = process.communicate(timeout=120)
    assert (process.returncode, stderr) == (141, "")


def test_run_json_prints_the_run_result_with_its_tool_results() -> None:
    """`run --json` prints the RunResult as JSON: answered, with a ToolResult message."""
    result = runner.invoke(
        app,
        [
            "run",
            "What's the weather in Tokyo?",
            "--tools",
            str(EXAMPLES / "weather.py"),
            "--max-tokens",
            "64",
            "--seed",
            "1",
            "--threads",
            "1",
            "--json",
        ],
    )
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert (data["type"], data["stop_reason"]) == ("RunResult", "answer")
    assert "ToolResult" in [message["type"] for message in data["messages"]]


def test_run_reads_the_model_from_switchboard_model() -> None:
    """SWITCHBOARD_MODEL=nope:x makes `run` fail naming the model forms it accepts."""
    result = runner.invoke(app, ["run", "hi"], env={"SWITCHBOARD_MODEL": "nope:x"})
    assert result.exit_code == 1
    assert result.stderr.startswith("error: ")
    assert "'local:<path>'" in result.stderr


def test_run_help_lists_the_exit_codes() -> None:
    """`run --help` documents each exit status."""
    result = runner.invoke(app, ["run", "--help"])
    assert result.exit_code == 0, result.output
    assert "Exit status:" in result.stdout
    for code in ("0 ", "1 ", "2 ", "130", "141"):
        assert any(line.strip().startswith(code) for line in result.stdout.splitlines()), code


def test_eval_tasks_prints_nothing_on_stderr_off_the_terminal(tmp_path: Path) -> None:
    """Off the terminal `eval tasks` shows no progress bar: not its last state on stderr."""
    log = str(tmp_path / "log")
    task = {
        "id": "t0",
        "prompt": json.dumps({"n": 0, "log": log}),
        "calls": [{"name": "record", "arguments": {"n": 0}}],
        "facts": ["recorded 0"],
    }
    tasks = write_lines(tmp_path / "tasks.jsonl", [task])
    result = runner.invoke(app, ["eval", "tasks", str(tasks), "-t", str(BATCH_TOOLS), "-m", MODEL])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""


def test_eval_bfcl_prints_nothing_on_stderr_off_the_terminal() -> None:
    """Off the terminal `eval bfcl` shows no progress bar: not its last state on stderr."""
    result = runner.invoke(app, ["eval", "bfcl", "-m", MODEL, "--limit", "1"])
    assert result.exit_code == 0, result.output
    assert result.stderr == ""
