"""Batches into a run store (in this process): each line a run, named by its output line.

Every test runs against a SQLite file and a database of its own on the tests' PostgreSQL
server; the batches on Ray write to PostgreSQL in `test_on_ray.py`.
"""

from __future__ import annotations

import dataclasses
import re
import signal
import subprocess
import sys
import time
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest
from typer.testing import CliRunner

import switchboard
from switchboard import (
    AssistantTurn,
    ConfigurationError,
    RayOptions,
    RunStateError,
    SQLiteStore,
    ToolCall,
    ToolResult,
    UserMessage,
    batch,
    open_run_store,
)
from switchboard.batch.conversation import BatchSettings, ConversationJob
from switchboard.batch.lines import Line, read_lines
from switchboard.batch.models import ModelSpec
from switchboard.batch.output_type import OutputTypeSpec
from switchboard.batch.sources import SourceFile
from switchboard.cli import app
from switchboard.cli_agent import RunOptions
from switchboard.runs.approval import PendingCall
from switchboard.runs.state import RunState
from switchboard.runs.store import RunStore, StoredRun
from tests.batch.batch_files import MODEL, TOOLS, prompts, read_output, recorded, write_lines
from tests.batch.scripted_tools import model as scripted_model

pytestmark = pytest.mark.anyio

SRC = str(Path(switchboard.__file__).resolve().parents[1])
CLI = [sys.executable, "-c", "from _switchboard_cli import main; main()"]


@pytest.fixture(params=["sqlite", "postgresql"])
def location(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A new store: a SQLite file, or a database of its own on the tests' PostgreSQL server."""
    if request.param == "sqlite":
        return str(tmp_path / "runs.sqlite3")
    return request.getfixturevalue("postgres_url")


async def stored_runs(location: str) -> dict[str, StoredRun]:
    """Every run of the store at ``location``, by id."""
    async with open_run_store(location) as store:
        summaries = await store.list_runs(limit=1000)
        return {s.run_id: await store.load(s.run_id) for s in summaries}


async def test_each_line_is_a_run_in_the_store_named_by_its_output_line(
    tmp_path: Path, location: str
) -> None:
    """A batch with a store records one finished run per line, under the id its output gives."""
    source = write_lines(tmp_path / "in.jsonl", prompts(tmp_path, 5))
    out = tmp_path / "out.jsonl"
    await batch(source, tools=TOOLS, model=MODEL, output=out, store=location)
    results = read_output(out)
    runs = await stored_runs(location)
    assert sorted(runs) == sorted(r["run_id"] for r in results)
    for result in results:
        run = runs[result["run_id"]]
        assert run.status == "finished"
        assert run.meta["batch"] == {
            "input": str(source),
            "line": result["line"],
            "id": result["id"],
        }
        assert len(run.steps) == result["requests"] == 2


async def test_a_batch_without_a_store_gives_no_run_id(tmp_path: Path) -> None:
    """With no store, an output line's run_id is null: its run is nowhere to be found."""
    source = write_lines(tmp_path / "in.jsonl", prompts(tmp_path, 1))
    out = tmp_path / "out.jsonl"
    await batch(source, tools=TOOLS, model=MODEL, output=out)
    assert [r["run_id"] for r in read_output(out)] == [None]


async def test_a_line_run_again_after_its_run_finished_reports_that_run(
    tmp_path: Path, location: str, store: RunStore
) -> None:
    """The same line run twice (Ray's retry after the worker died) runs its tools once."""
    source = write_lines(tmp_path / "in.jsonl", prompts(tmp_path, 1))
    (line,) = read_lines(source)
    line = dataclasses.replace(line, run_id="r-7")
    job = job_of(store)
    first, again = await job.run(line), await job.run(line)
    assert (first.output, again.output) == ("recorded 0", "recorded 0")
    assert (first.run_id, again.run_id) == ("r-7", "r-7")
    assert recorded(tmp_path) == [0]
    assert list(await stored_runs(location)) == ["r-7"]


@pytest.fixture
async def store(location: str) -> AsyncIterator[RunStore]:
    """The store at ``location``, open for the test (a job in this process is given it)."""
    async with open_run_store(location) as opened:
        yield opened


def job_of(store: RunStore) -> ConversationJob:
    """The job a batch of the scripted tools and model runs each line with, into the store."""
    return ConversationJob(SourceFile.read(TOOLS, "tools"), ModelSpec.parse(MODEL), store=store)


async def test_a_job_given_a_line_with_no_run_id_names_the_run_it_recorded(
    tmp_path: Path, location: str, store: RunStore
) -> None:
    """A line not given a run id by a batch gets one: its result names the run stored."""
    (line,) = read_lines(write_lines(tmp_path / "in.jsonl", prompts(tmp_path, 1)))
    result = await job_of(store).run(line)
    assert list(await stored_runs(location)) == [result.run_id]


async def line_with_stored_run(tmp_path: Path, store: RunStore, state: RunState | None) -> Line:
    """The batch's one line, given run id r-8, which the store holds with ``state``."""
    (line,) = read_lines(write_lines(tmp_path / "in.jsonl", prompts(tmp_path, 1)))
    await store.create_run("r-8", {})
    if state is not None:
        await store.save_state("r-8", state.to_json(), state.status)
    return dataclasses.replace(line, run_id="r-8")


async def test_a_line_whose_stored_run_has_no_state_runs_anew_under_a_new_id(
    tmp_path: Path, location: str, store: RunStore
) -> None:
    """A run stored before its first state (nothing of it ran) is left; the line runs anew."""
    line = await line_with_stored_run(tmp_path, store, None)
    result = await job_of(store).run(line)
    assert (result.output, result.error) == ("recorded 0", None)
    assert result.run_id not in (None, "r-8")
    assert (await stored_runs(location))[str(result.run_id)].status == "finished"


async def test_a_line_whose_stored_run_paused_reports_the_pause(
    tmp_path: Path, store: RunStore
) -> None:
    """A stored run that had paused is reported paused, with its pending call; nothing runs."""
    call = ToolCall("c1", "record", '{"n": 0}')
    state = RunState(
        run_id="r-8",
        messages=(UserMessage("Go."), AssistantTurn("", (call,))),
        pending=(PendingCall("c1", "record", '{"n": 0}'),),
        status="paused",
    )
    result = await job_of(store).run(await line_with_stored_run(tmp_path, store, state))
    assert (result.stop_reason, result.error, result.run_id) == ("paused", None, "r-8")
    assert not (tmp_path / "log").exists()


async def test_a_line_whose_stored_run_ended_without_an_answer_is_an_error(
    tmp_path: Path, store: RunStore
) -> None:
    """A stored run that had ended without an answer is an error naming the run to look at."""
    call = ToolCall("c1", "record", '{"n": 0}')
    state = RunState(
        run_id="r-8",
        messages=(UserMessage("Go."), AssistantTurn("", (call,)), ToolResult("c1", "record", "0")),
        status="finished",
    )
    result = await job_of(store).run(await line_with_stored_run(tmp_path, store, state))
    assert result.error is not None
    assert result.error.endswith("see `switchboard runs show r-8`.")
    assert result.run_id == "r-8"


def test_batch_command_store_records_runs_that_runs_list_shows(
    tmp_path: Path, location: str
) -> None:
    """`batch --store` writes each line's run id; `runs list --store` lists those runs."""
    source = write_lines(tmp_path / "in.jsonl", prompts(tmp_path, 3))
    out = tmp_path / "out.jsonl"
    command = ["batch", str(source), "-t", str(TOOLS), "-m", MODEL, "-o", str(out)]
    done = CliRunner().invoke(app, [*command, "--store", location])
    assert done.exit_code == 0, done.output
    run_ids = sorted(r["run_id"] for r in read_output(out))
    listed = CliRunner().invoke(app, ["runs", "list", "--store", location], env={"COLUMNS": "200"})
    assert listed.exit_code == 0, listed.output
    assert sorted(re.findall(r"[0-9a-f]{32}", listed.stdout)) == run_ids


async def test_a_store_object_in_process_records_the_runs_and_stays_open(tmp_path: Path) -> None:
    """A RunStore given in this process records each line's run and is left to its owner."""
    source = write_lines(tmp_path / "in.jsonl", prompts(tmp_path, 3))
    out = tmp_path / "out.jsonl"
    async with SQLiteStore(tmp_path / "runs.sqlite3") as store:
        await batch(source, tools=TOOLS, model=MODEL, output=out, store=store)
        listed = {run.run_id for run in await store.list_runs()}
    assert listed == {r["run_id"] for r in read_output(out)}
    assert len(listed) == 3


async def test_a_store_object_is_refused_on_ray(tmp_path: Path) -> None:
    """On Ray the store must be a location each worker opens; nothing runs, no cluster starts."""
    source = write_lines(tmp_path / "in.jsonl", prompts(tmp_path, 1))
    async with SQLiteStore(tmp_path / "runs.sqlite3") as store:
        with pytest.raises(ConfigurationError, match="pass the run store as a location"):
            await batch(
                source,
                tools=TOOLS,
                model=MODEL,
                output=tmp_path / "out.jsonl",
                ray=RayOptions(),
                store=store,
            )
    assert not (tmp_path / "out.jsonl").exists()


async def test_a_store_url_of_an_unknown_scheme_runs_nothing(tmp_path: Path) -> None:
    """A store location that names no kind of store is refused before any line runs."""
    source = write_lines(tmp_path / "in.jsonl", prompts(tmp_path, 1))
    with pytest.raises(ConfigurationError, match="URL scheme 'mysql'"):
        await batch(
            source, tools=TOOLS, model=MODEL, output=tmp_path / "out.jsonl", store="mysql://db/x"
        )
    assert not (tmp_path / "log").exists()


async def test_a_store_that_cannot_be_opened_runs_nothing(tmp_path: Path) -> None:
    """A PostgreSQL store that does not answer fails the batch before any line runs."""
    source = write_lines(tmp_path / "in.jsonl", prompts(tmp_path, 1))
    with pytest.raises(RunStateError, match=r"127\.0\.0\.1"):
        await batch(
            source,
            tools=TOOLS,
            model=MODEL,
            output=tmp_path / "out.jsonl",
            store="postgresql://nobody@127.0.0.1:1/none?connect_timeout=2",
        )
    assert not (tmp_path / "log").exists()


def test_a_batch_line_that_paused_is_resumed_by_runs_resume_to_its_answer(
    tmp_path: Path, location: str
) -> None:
    """`batch --store` records its options with each run: `runs resume` approves and answers."""
    source = write_lines(tmp_path / "in.jsonl", prompts(tmp_path, 1, approval=True))
    out = tmp_path / "out.jsonl"
    command = ["batch", str(source), "-t", str(TOOLS), "-m", MODEL, "-o", str(out)]
    done = CliRunner().invoke(app, [*command, "--store", location])
    assert done.exit_code == 0, done.output
    [paused] = read_output(out)
    assert paused["stop_reason"] == "paused"
    assert not (tmp_path / "log").exists()
    resume = ["runs", "resume", paused["run_id"], "--store", location]
    resumed = CliRunner().invoke(app, resume, input="y\n")
    assert resumed.exit_code == 0, resumed.output
    assert "answer: recorded 0" in resumed.stdout
    assert recorded(tmp_path) == [0]


async def test_a_batch_lines_run_records_the_options_it_is_resumed_with(
    tmp_path: Path, location: str
) -> None:
    """A run's meta["cli"] holds the batch's model, tools file, settings (the line's win)."""
    line = {"prompt": "Hi.", "system": "Be brief.", "max_tool_calls": 3, "request_timeout": 9.5}
    source = write_lines(tmp_path / "in.jsonl", [line])
    settings = BatchSettings(max_iterations=4, max_tokens=32, seed=7, system="Be long.")
    out = tmp_path / "out.jsonl"
    await batch(source, tools=TOOLS, model=MODEL, output=out, store=location, settings=settings)
    [run] = (await stored_runs(location)).values()
    assert RunOptions.from_meta(run.meta["cli"]) == RunOptions(
        model=MODEL,
        tools=(str(TOOLS.resolve()),),
        system="Be brief.",
        tool_choice="auto",
        max_iterations=4,
        max_tokens=32,
        seed=7,
        max_tool_calls=3,
        request_timeout=9.5,
        answer_at_limit=False,
    )


async def test_a_batch_of_a_model_object_records_no_options_to_resume_with(
    tmp_path: Path,
) -> None:
    """A Provider object has no name another process builds it by: the run is resumed in code."""
    source = write_lines(tmp_path / "in.jsonl", prompts(tmp_path, 1))
    out = tmp_path / "out.jsonl"
    location = str(tmp_path / "runs.sqlite3")
    await batch(source, tools=TOOLS, model=scripted_model(), output=out, store=location)
    [run] = (await stored_runs(location)).values()
    assert "cli" not in run.meta
    assert run.meta["batch"]["line"] == 1


def test_a_batch_line_that_paused_is_resumed_by_the_viewers_approve_to_its_answer(
    tmp_path: Path, location: str
) -> None:
    """`view --store` (no --tools) approves a paused batch line's call: the run answers."""
    source = write_lines(tmp_path / "in.jsonl", prompts(tmp_path, 1, approval=True))
    out = tmp_path / "out.jsonl"
    command = ["batch", str(source), "-t", str(TOOLS), "-m", MODEL, "-o", str(out)]
    done = CliRunner().invoke(app, [*command, "--store", location])
    assert done.exit_code == 0, done.output
    [paused] = read_output(out)
    view = [*CLI, "view", "--store", location, "--port", "0"]
    process = subprocess.Popen(view, stderr=subprocess.PIPE, text=True, env={"PYTHONPATH": SRC})
    try:
        assert process.stderr is not None
        url = process.stderr.readline().split(" at ")[1].strip()  # once the port listens
        run_url = f"{url}api/runs/{paused['run_id']}"
        body = {"decisions": {"call-0": {"decision": "approve"}}}
        approved = httpx.post(f"{run_url}/resume", json=body, timeout=30)
        assert approved.status_code == 202, approved.text
        deadline = time.monotonic() + 60
        while (run := httpx.get(run_url, timeout=30).json())["status"] != "finished":
            assert time.monotonic() < deadline, run
            time.sleep(0.05)  # the resume runs in the viewer's process
    finally:
        process.send_signal(signal.SIGINT)
        process.communicate(timeout=30)
    assert recorded(tmp_path) == [0]


async def test_a_batch_lines_run_records_its_output_type_to_be_resumed_with(
    tmp_path: Path, location: str
) -> None:
    """A typed batch's runs keep the output type in meta["cli"]: `runs resume` loads it too."""
    source = write_lines(tmp_path / "in.jsonl", [{"prompt": "Paris?"}])
    out = tmp_path / "out.jsonl"
    city = f"{TOOLS}:City"
    await batch(source, tools=TOOLS, model=MODEL, output=out, store=location, output_type=city)
    [run] = (await stored_runs(location)).values()
    options = RunOptions.from_meta(run.meta["cli"])
    assert options.output_type == f"{TOOLS.resolve()}:City"
    output = options.agent().output
    assert output is not None
    assert output.name == "City"


async def test_a_typed_line_run_again_after_its_run_finished_reports_its_answer_parsed(
    tmp_path: Path, store: RunStore
) -> None:
    """A typed line's finished run found again (Ray's retry) is reported parsed, not null."""
    (line,) = read_lines(write_lines(tmp_path / "in.jsonl", [{"prompt": "Paris?"}]))
    line = dataclasses.replace(line, run_id="r-9")
    city = OutputTypeSpec.parse(f"{TOOLS}:City")
    job = dataclasses.replace(job_of(store), output_type=city)
    first, again = await job.run(line), await job.run(line)
    paris = {"name": "Paris", "population": 2100000}
    assert (first.parsed, again.parsed) == (paris, paris)
    assert first.requests == 2


async def test_a_typed_line_whose_stored_answer_is_invalid_is_an_error(
    tmp_path: Path, store: RunStore
) -> None:
    """A finished run found again whose answer is no valid output is an error naming the run."""
    state = RunState(
        run_id="r-8",
        messages=(UserMessage("Paris?"), AssistantTurn('{"name": "Paris"}')),
        status="finished",
    )
    line = await line_with_stored_run(tmp_path, store, state)
    job = dataclasses.replace(job_of(store), output_type=OutputTypeSpec.parse(f"{TOOLS}:City"))
    result = await job.run(line)
    assert result.error is not None
    assert "no valid City" in result.error
    assert result.error.endswith("See `switchboard runs show r-8`.")
