"""`switchboard.batch` in one process: every line checked, run once, written once, resumable."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

from switchboard import (
    BatchResult,
    BatchSettings,
    ConfigurationError,
    ScriptedModel,
    Toolbox,
    batch,
    batch_sync,
)
from switchboard.cli import app
from tests.batch.batch_files import MODEL, TOOLS, prompts, read_output, recorded, write_lines

pytestmark = pytest.mark.anyio


async def test_every_line_gets_exactly_one_output_line(tmp_path: Path) -> None:
    """50 lines run 8 at a time give 50 output lines, one per id, each answered."""
    source = write_lines(tmp_path / "in.jsonl", prompts(tmp_path, 50))
    out = tmp_path / "out.jsonl"
    summary = await batch(source, tools=TOOLS, model=MODEL, output=out, concurrency=8)
    results = read_output(out)
    assert sorted(r["id"] for r in results) == sorted(f"p{n}" for n in range(50))
    assert {r["output"] for r in results} == {f"recorded {n}" for n in range(50)}
    assert (summary.ran, summary.answered, summary.failed) == (50, 50, 0)
    assert sorted(recorded(tmp_path)) == list(range(50))


async def test_output_line_holds_the_conversation_and_metadata(tmp_path: Path) -> None:
    """An output line carries the line's number, stop reason, usage, messages and metadata."""
    lines = prompts(tmp_path, 1)
    lines[0]["metadata"] = {"row": 7}
    out = tmp_path / "out.jsonl"
    await batch(write_lines(tmp_path / "in.jsonl", lines), tools=TOOLS, model=MODEL, output=out)
    (result,) = read_output(out)
    assert result["line"] == 1
    assert result["stop_reason"] == "answer"
    assert (result["requests"], result["tool_calls"], result["error"]) == (2, 1, None)
    assert [m["type"] for m in result["messages"]] == [
        "user",
        "assistant",
        "tool_result",
        "assistant",
    ]
    assert result["metadata"] == {"row": 7}


async def test_a_line_without_id_is_named_by_its_line_number(tmp_path: Path) -> None:
    """Lines with no id get their line number (blank lines counted, not run)."""
    source = tmp_path / "in.jsonl"
    source.write_text('{"prompt": "a"}\n\n{"prompt": "b"}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    await batch(source, model=MODEL, output=out, concurrency=1)
    assert [(r["id"], r["output"]) for r in read_output(out)] == [(1, "echo: a"), (3, "echo: b")]


async def test_rerun_skips_the_lines_already_in_the_output(tmp_path: Path) -> None:
    """Running the same batch again runs nothing: every id is in the output already."""
    source = write_lines(tmp_path / "in.jsonl", prompts(tmp_path, 10))
    out = tmp_path / "out.jsonl"
    await batch(source, tools=TOOLS, model=MODEL, output=out)
    again = await batch(source, tools=TOOLS, model=MODEL, output=out)
    assert (again.lines, again.skipped, again.ran) == (10, 10, 0)
    assert len(read_output(out)) == 10
    assert sorted(recorded(tmp_path)) == list(range(10))


async def test_rerun_runs_only_the_lines_missing_from_the_output(tmp_path: Path) -> None:
    """Lines added to the input (or not reached) run on the rerun; the others do not."""
    lines = prompts(tmp_path, 6)
    out = tmp_path / "out.jsonl"
    await batch(write_lines(tmp_path / "in.jsonl", lines[:4]), tools=TOOLS, model=MODEL, output=out)
    summary = await batch(
        write_lines(tmp_path / "in.jsonl", lines), tools=TOOLS, model=MODEL, output=out
    )
    assert (summary.skipped, summary.ran) == (4, 2)
    assert sorted(r["id"] for r in read_output(out)) == [f"p{n}" for n in range(6)]
    assert sorted(recorded(tmp_path)) == list(range(6))


async def test_a_partial_last_line_is_cut_and_its_line_run_again(tmp_path: Path) -> None:
    """A crash's half-written last line is dropped and that line redone; whole lines are kept."""
    source = write_lines(tmp_path / "in.jsonl", prompts(tmp_path, 3))
    out = tmp_path / "out.jsonl"
    await batch(source, tools=TOOLS, model=MODEL, output=out, ordered=True)
    whole = out.read_text(encoding="utf-8").splitlines(keepends=True)
    out.write_text(whole[0] + whole[1] + whole[2][:25], encoding="utf-8")
    summary = await batch(source, tools=TOOLS, model=MODEL, output=out)
    assert (summary.skipped, summary.ran) == (2, 1)
    results = read_output(out)
    assert [r["id"] for r in results] == ["p0", "p1", "p2"]


async def test_a_broken_whole_line_in_the_output_is_refused(tmp_path: Path) -> None:
    """A whole output line that is no batch result stops the batch before it runs."""
    source = write_lines(tmp_path / "in.jsonl", prompts(tmp_path, 2))
    out = tmp_path / "out.jsonl"
    out.write_text('{"id": "p0"}\nnot json\n', encoding="utf-8")
    with pytest.raises(ConfigurationError, match=r"out\.jsonl line 2 is not an output line"):
        await batch(source, tools=TOOLS, model=MODEL, output=out)
    assert not (tmp_path / "log").exists()


def ordered_pair(tmp_path: Path) -> list[dict[str, Any]]:
    """Two lines whose first finishes only after the second has."""
    gate = str(tmp_path / "gate")
    log = str(tmp_path / "log")
    return [
        {"id": "first", "prompt": json.dumps({"n": 1, "log": log, "wait_for": gate})},
        {"id": "second", "prompt": json.dumps({"n": 2, "log": log, "release": gate})},
    ]


async def test_output_is_written_as_each_line_finishes(tmp_path: Path) -> None:
    """Unordered, a line that finishes first is written first."""
    source = write_lines(tmp_path / "in.jsonl", ordered_pair(tmp_path))
    out = tmp_path / "out.jsonl"
    await batch(source, tools=TOOLS, model=MODEL, output=out, concurrency=2)
    assert [r["id"] for r in read_output(out)] == ["second", "first"]


async def test_ordered_output_follows_the_input(tmp_path: Path) -> None:
    """With ordered=True a line waits for those before it to be written."""
    source = write_lines(tmp_path / "in.jsonl", ordered_pair(tmp_path))
    out = tmp_path / "out.jsonl"
    await batch(source, tools=TOOLS, model=MODEL, output=out, concurrency=2, ordered=True)
    assert [r["id"] for r in read_output(out)] == ["first", "second"]
    assert recorded(tmp_path) == [2, 1]


async def test_a_failed_run_is_an_error_line_and_the_others_run(tmp_path: Path) -> None:
    """A provider failure on one line is that line's error; every other line answers."""
    lines = prompts(tmp_path, 4)
    lines[2]["prompt"] = json.dumps({"n": 2, "log": str(tmp_path / "log"), "fail": True})
    out = tmp_path / "out.jsonl"
    summary = await batch(
        write_lines(tmp_path / "in.jsonl", lines), tools=TOOLS, model=MODEL, output=out
    )
    by_id = {r["id"]: r for r in read_output(out)}
    assert "The scripted provider is down." in by_id["p2"]["error"]
    assert [by_id[f"p{n}"]["error"] for n in (0, 1, 3)] == [None, None, None]
    assert (summary.answered, summary.failed) == (3, 1)


async def test_messages_continue_a_conversation(tmp_path: Path) -> None:
    """A line's messages, in chat form or as an output wrote them, come before its prompt."""
    lines: list[dict[str, Any]] = [
        {
            "id": "chat",
            "messages": [
                {"role": "system", "content": "Be brief."},
                {"role": "user", "content": "hi"},
            ],
        },
        {"id": "stored", "messages": [{"type": "user", "content": "hello"}], "prompt": "again"},
    ]
    out = tmp_path / "out.jsonl"
    await batch(write_lines(tmp_path / "in.jsonl", lines), model=MODEL, output=out)
    by_id = {r["id"]: r for r in read_output(out)}
    assert by_id["chat"]["output"] == "echo: hi"
    assert [m["type"] for m in by_id["chat"]["messages"]] == ["system", "user", "assistant"]
    assert by_id["stored"]["output"] == "echo: again"


async def test_a_line_sets_its_own_settings(tmp_path: Path) -> None:
    """A line's system message wins over the batch's."""
    lines = [{"id": "own", "prompt": "x", "system": "mine"}, {"id": "default", "prompt": "y"}]
    out = tmp_path / "out.jsonl"
    settings = BatchSettings(system="batch's")
    await batch(
        write_lines(tmp_path / "in.jsonl", lines), model=MODEL, output=out, settings=settings
    )
    systems = {r["id"]: r["messages"][0]["content"] for r in read_output(out)}
    assert systems == {"own": "mine", "default": "batch's"}


def test_every_problem_of_the_input_is_named_by_file_and_line(tmp_path: Path) -> None:
    """Bad lines are all reported, each with its file and line, and nothing runs."""
    source = tmp_path / "in.jsonl"
    source.write_text(
        "\n".join(
            [
                '{"id": "a", "prompt": "ok"}',
                "{not json",
                '{"prompt": "x", "max_iteration": 3}',
                '{"id": "d", "system": "no prompt"}',
                '{"id": "a", "prompt": "again"}',
                '{"prompt": "x", "tool_choice": "nope", "max_tokens": 0}',
                "[1, 2]",
            ]
        ),
        encoding="utf-8",
    )
    out = tmp_path / "out.jsonl"
    with pytest.raises(ConfigurationError) as caught:
        batch_sync(source, tools=TOOLS, model=MODEL, output=out)
    message = str(caught.value)
    assert f"{source} line 2: not JSON" in message
    assert f"{source} line 3: unknown field 'max_iteration'" in message
    assert f"{source} line 4: nothing to answer" in message
    assert f'{source} line 5: id "a" is also the id of line 1' in message
    assert f"{source} line 6: max_tokens: Input should be greater than or equal to 1" in message
    assert f"{source} line 6: tool_choice 'nope' is neither" in message
    assert f"{source} line 7: a line is a JSON object, not list" in message
    assert "line 1:" not in message
    assert not out.exists()


def test_a_model_that_is_neither_string_nor_factory_is_refused(tmp_path: Path) -> None:
    """A model string with an unknown provider and no factory form is a clear error."""
    source = write_lines(tmp_path / "in.jsonl", [{"prompt": "x"}])
    with pytest.raises(ConfigurationError, match="Unknown model 'nothing'"):
        batch_sync(source, model="nothing", output=tmp_path / "out.jsonl")


def test_a_factory_that_names_nothing_is_refused_before_any_run(tmp_path: Path) -> None:
    """A factory naming no attribute of its file fails before the first line runs."""
    source = write_lines(tmp_path / "in.jsonl", [{"prompt": "x"}])
    out = tmp_path / "out.jsonl"
    with pytest.raises(ConfigurationError, match="has no 'absent'"):
        batch_sync(source, model=f"{TOOLS}:absent", output=out)
    assert not out.exists()


def test_objects_are_refused_on_ray(tmp_path: Path) -> None:
    """On Ray the tools must be a file: a Toolbox object cannot reach the workers."""
    source = write_lines(tmp_path / "in.jsonl", [{"prompt": "x"}])
    with pytest.raises(ConfigurationError, match="pass the tools as a file"):
        batch_sync(source, model=MODEL, tools=Toolbox(), output=tmp_path / "o.jsonl", ray=True)


def test_objects_run_in_this_process(tmp_path: Path) -> None:
    """Here, a Toolbox and a Provider object may be given instead of their files."""
    source = write_lines(tmp_path / "in.jsonl", [{"id": 1, "prompt": "x"}])
    out = tmp_path / "out.jsonl"
    seen: list[BatchResult] = []
    model = ScriptedModel(["done"])
    summary = batch_sync(source, model=model, tools=Toolbox(), output=out, on_result=seen.append)
    assert [(r.id, r.output) for r in seen] == [(1, "done")]
    assert summary.answered == 1


def test_the_batch_command_prints_a_summary_and_exits_0(tmp_path: Path) -> None:
    """`switchboard batch` runs every line, prints the summary table, and exits 0."""
    source = write_lines(tmp_path / "in.jsonl", prompts(tmp_path, 3))
    out = tmp_path / "out.jsonl"
    args = ["batch", str(source), "-t", str(TOOLS), "-m", MODEL, "-o", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "answered" in result.stdout
    assert len(read_output(out)) == 3


def test_the_batch_command_exits_1_when_a_run_failed(tmp_path: Path) -> None:
    """A failed run is in the output, and the command says how many failed with status 1."""
    lines = prompts(tmp_path, 2)
    lines[1]["prompt"] = json.dumps({"n": 1, "log": str(tmp_path / "log"), "fail": True})
    out = tmp_path / "out.jsonl"
    args = ["batch", str(write_lines(tmp_path / "in.jsonl", lines)), "-t", str(TOOLS)]
    result = CliRunner().invoke(app, [*args, "-m", MODEL, "-o", str(out)])
    assert result.exit_code == 1
    assert "1 of 2 runs failed" in result.stderr
    assert len(read_output(out)) == 2


def test_the_batch_command_reports_a_bad_input_and_runs_nothing(tmp_path: Path) -> None:
    """A bad line exits 1 with the file and line on stderr; no output is written."""
    source = tmp_path / "in.jsonl"
    source.write_text('{"prompt": "x", "temperature": "hot"}\n', encoding="utf-8")
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["batch", str(source), "-m", MODEL, "-o", str(out)])
    assert result.exit_code == 1
    assert f"{source} line 1: temperature" in result.stderr
    assert not out.exists()


def test_the_batch_commands_error_is_one_line_on_stderr(tmp_path: Path) -> None:
    """An input that is missing exits 1 with one line, `error: ...`, as every command ends."""
    out = tmp_path / "out.jsonl"
    result = CliRunner().invoke(app, ["batch", str(tmp_path / "nope.jsonl"), "-o", str(out)])
    assert result.exit_code == 1
    assert result.stderr.splitlines() == [
        f"error: No such file: {tmp_path / 'nope.jsonl'}. Pass a JSON Lines file, one "
        "conversation per line."
    ]


CITY = f"{TOOLS}:City"
PARIS = {"name": "Paris", "population": 2100000}


async def test_an_output_type_sends_an_invalid_answer_back_and_writes_the_valid_one_parsed(
    tmp_path: Path,
) -> None:
    """With output_type, a city lacking its population is sent back; the whole one is parsed."""
    source = write_lines(tmp_path / "in.jsonl", [{"id": "c", "prompt": "Paris?"}])
    out = tmp_path / "out.jsonl"
    await batch(source, model=MODEL, output=out, output_type=CITY)
    (result,) = read_output(out)
    assert (result["parsed"], result["stop_reason"], result["requests"]) == (PARIS, "answer", 2)
    told = result["messages"][2]
    assert told["type"] == "user"
    assert "population" in told["content"]


async def test_an_output_type_given_by_module_name_is_loaded(tmp_path: Path) -> None:
    """output_type="package.module:Model" loads the class by import, as --output-type does."""
    source = write_lines(tmp_path / "in.jsonl", [{"id": "c", "prompt": "Paris?"}])
    out = tmp_path / "out.jsonl"
    await batch(source, model=MODEL, output=out, output_type="tests.batch.scripted_tools:City")
    assert [r["parsed"] for r in read_output(out)] == [PARIS]


async def test_without_an_output_type_parsed_is_null(tmp_path: Path) -> None:
    """A batch with no output type writes text answers, and parsed null."""
    source = write_lines(tmp_path / "in.jsonl", [{"id": "c", "prompt": "Paris?"}])
    out = tmp_path / "out.jsonl"
    await batch(source, model=MODEL, output=out)
    assert [(r["output"], r["parsed"]) for r in read_output(out)] == [("echo: Paris?", None)]


def test_the_batch_command_takes_an_output_type(tmp_path: Path) -> None:
    """`batch --output-type FILE.py:City` writes each answer parsed, next to its text."""
    source = write_lines(tmp_path / "in.jsonl", [{"id": "c", "prompt": "Paris?"}])
    out = tmp_path / "out.jsonl"
    args = ["batch", str(source), "-m", MODEL, "-o", str(out), "--output-type", CITY]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    (line,) = read_output(out)
    assert (json.loads(line["output"]), line["parsed"]) == (PARIS, PARIS)


@pytest.mark.parametrize(
    ("spec", "problem"),
    [
        (f"{TOOLS}:Nope", "has no 'Nope'"),
        (f"{TOOLS}:record", "is not a Pydantic model class"),
        ("City", "names no class"),
        ("no_such_module_here:City", "no module 'no_such_module_here'"),
        ("missing.py:City", "missing.py cannot be read"),
    ],
)
def test_a_bad_output_type_is_a_one_line_error_and_nothing_runs(
    tmp_path: Path, spec: str, problem: str
) -> None:
    """A wrong --output-type exits 1 with one line naming it; no line runs, no output is made."""
    source = write_lines(tmp_path / "in.jsonl", prompts(tmp_path, 2))
    out = tmp_path / "out.jsonl"
    args = ["batch", str(source), "-t", str(TOOLS), "-m", MODEL, "-o", str(out)]
    result = CliRunner().invoke(app, [*args, "--output-type", spec])
    assert result.exit_code == 1
    [error] = result.stderr.splitlines()
    assert error.startswith("error: ")
    assert "--output-type" in error
    assert problem in error
    assert not out.exists()
    assert not (tmp_path / "log").exists()
