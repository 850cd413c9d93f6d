import json
import subprocess
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from switchboard.cli import app

EXAMPLES = Path(__file__).parent.parent / "examples"
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
