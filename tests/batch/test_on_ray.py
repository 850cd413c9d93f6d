"""Batches and remote tools on a real local Ray cluster (2 CPUs), started once for the module."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from typer.testing import CliRunner

from switchboard import (
    Agent,
    RayOptions,
    ScriptedModel,
    ToolCall,
    ToolResultEvent,
    batch,
    open_run_store,
)
from switchboard.batch.cluster import connect, disconnect
from switchboard.cli import app
from switchboard.runs.store import StoredRun
from tests.batch.batch_files import MODEL, TOOLS, prompts, read_output, recorded, write_lines
from tests.batch.remote_tools import tools as remote_tools

pytestmark = pytest.mark.anyio

WAIT = 60.0
"""The longest a test waits for something the cluster does (a file, a process's end)."""


@pytest.fixture(scope="module", autouse=True)
def cluster() -> Iterator[None]:
    """A local Ray cluster for the module's tests, stopped after them."""
    assert connect("local")
    yield
    disconnect()


async def held_pid(hold: Path) -> int:
    """The id of the process that claimed ``hold`` (see `scripted_tools.record`)."""
    deadline = time.monotonic() + WAIT
    while not hold.exists() or not hold.read_text().endswith("\n"):
        assert time.monotonic() < deadline, f"nothing claimed {hold}"
        await asyncio.sleep(0.02)
    return int(hold.read_text())


async def gone(pid: int) -> bool:
    """Whether process ``pid`` ends (or is a zombie) within `WAIT` seconds."""
    deadline = time.monotonic() + WAIT
    while time.monotonic() < deadline:
        try:
            status = Path(f"/proc/{pid}/status").read_text()
        except FileNotFoundError:
            return True
        if "State:\tZ" in status:
            return True
        await asyncio.sleep(0.02)
    return False


def counts(ids: list[Any]) -> dict[Any, int]:
    return {i: ids.count(i) for i in set(ids)}


async def test_200_conversations_on_ray_give_200_outputs(tmp_path: Path) -> None:
    """200 scripted conversations as Ray tasks: 200 output lines, each prompt's tool run once."""
    source = write_lines(tmp_path / "in.jsonl", prompts(tmp_path, 200))
    out = tmp_path / "out.jsonl"
    summary = await batch(source, tools=TOOLS, model=MODEL, output=out, ray=True)
    results = read_output(out)
    assert sorted(r["id"] for r in results) == sorted(f"p{n}" for n in range(200))
    assert all(r["output"] == f"recorded {r['id'][1:]}" for r in results)
    assert (summary.ran, summary.answered, summary.failed) == (200, 200, 0)
    assert sorted(recorded(tmp_path)) == list(range(200))


async def killed_in_the_middle(tmp_path: Path, **options: Any) -> list[dict[str, Any]]:
    """Run 40 lines, killing the worker of line 20 while its tool runs; the output lines."""
    lines = prompts(tmp_path, 40)
    hold = tmp_path / "hold"
    lines[20]["prompt"] = json.dumps({"n": 20, "log": str(tmp_path / "log"), "hold": str(hold)})
    source = write_lines(tmp_path / "in.jsonl", lines)
    out = tmp_path / "out.jsonl"

    async def kill() -> int:
        pid = await held_pid(hold)
        os.kill(pid, signal.SIGKILL)
        return pid

    summary, pid = await asyncio.gather(
        batch(source, tools=TOOLS, model=MODEL, output=out, ray=True, **options), kill()
    )
    assert pid != os.getpid()
    assert (summary.ran, summary.failed) == (40, 0)
    return read_output(out)


async def test_a_task_worker_killed_mid_batch_loses_and_duplicates_nothing(
    tmp_path: Path,
) -> None:
    """A task's worker killed in its tool: the line runs again; each line once, each effect once."""
    results = await killed_in_the_middle(tmp_path)
    assert counts([r["id"] for r in results]) == {f"p{n}": 1 for n in range(40)}
    assert counts(recorded(tmp_path)) == {n: 1 for n in range(40)}
    assert next(r for r in results if r["id"] == "p20")["output"] == "recorded 20"


async def test_a_replica_killed_mid_batch_loses_and_duplicates_nothing(tmp_path: Path) -> None:
    """A replica killed in a tool restarts and runs the line again; each line once, effects once.

    One conversation in flight per replica: a replica's death reruns only the held line.
    """
    results = await killed_in_the_middle(tmp_path, replicas=2, concurrency=2)
    assert counts([r["id"] for r in results]) == {f"p{n}": 1 for n in range(40)}
    assert counts(recorded(tmp_path)) == {n: 1 for n in range(40)}


async def stored_runs(location: str) -> dict[str, StoredRun]:
    """Every run of the store at ``location``, by id."""
    async with open_run_store(location) as store:
        summaries = await store.list_runs(limit=1000)
        return {s.run_id: await store.load(s.run_id) for s in summaries}


@pytest.mark.parametrize("replicas", [None, 2], ids=["tasks", "replicas"])
async def test_runs_of_a_batch_on_ray_land_in_the_shared_postgres_store(
    tmp_path: Path, postgres_url: str, replicas: int | None
) -> None:
    """Each line run by a Ray worker is a finished run in PostgreSQL, named by its output line."""
    source = write_lines(tmp_path / "in.jsonl", prompts(tmp_path, 20))
    out = tmp_path / "out.jsonl"
    options = RayOptions(replicas=replicas)
    await batch(source, tools=TOOLS, model=MODEL, output=out, ray=options, store=postgres_url)
    results = read_output(out)
    runs = await stored_runs(postgres_url)
    assert sorted(runs) == sorted(r["run_id"] for r in results)
    assert {run.status for run in runs.values()} == {"finished"}
    assert {run.meta["batch"]["id"] for run in runs.values()} == {f"p{n}" for n in range(20)}


async def connections(url: str) -> tuple[int, int]:
    """Sessions open on the database of ``url`` (but the asking one), and those abandoned.

    A session is abandoned when its client went away without closing it (a process killed).
    """
    async with await psycopg.AsyncConnection.connect(url, autocommit=True) as db:
        cursor = await db.execute(
            "SELECT (SELECT count(*) FROM pg_stat_activity WHERE datname = current_database()"
            " AND pid <> pg_backend_pid()), sessions_abandoned FROM pg_stat_database"
            " WHERE datname = current_database()"
        )
        row = await cursor.fetchone()
    assert row is not None
    return row[0], row[1]


@pytest.mark.parametrize("replicas", [None, 2], ids=["tasks", "replicas"])
async def test_a_batch_on_ray_closes_each_workers_store_when_done(
    tmp_path: Path, postgres_url: str, replicas: int | None
) -> None:
    """After a batch on Ray, no worker holds a connection to the store, nor dropped one unclosed."""
    source = write_lines(tmp_path / "in.jsonl", prompts(tmp_path, 10))
    out = tmp_path / "out.jsonl"
    options = RayOptions(replicas=replicas)
    await batch(source, tools=TOOLS, model=MODEL, output=out, ray=options, store=postgres_url)
    deadline = time.monotonic() + WAIT
    while (left := await connections(postgres_url))[0] and time.monotonic() < deadline:
        await asyncio.sleep(0.02)  # a closed session's server process ends just after
    assert left == (0, 0)


async def test_a_line_whose_worker_was_killed_goes_on_with_the_run_it_stored(
    tmp_path: Path, postgres_url: str
) -> None:
    """Ray's retry of a killed line resumes its stored run: one run per line, no call run twice.

    The call that was running when its worker died is not run again (the tool is not
    idempotent): the model is told it may have taken effect.
    """
    results = await killed_in_the_middle(tmp_path, store=postgres_url)
    runs = await stored_runs(postgres_url)
    assert sorted(runs) == sorted(r["run_id"] for r in results)
    assert len(runs) == 40
    assert counts(recorded(tmp_path)) == {n: 1 for n in range(40) if n != 20}
    killed = next(r for r in results if r["id"] == "p20")
    assert killed["output"].startswith("recorded The run stopped while this call was running")
    (call,) = runs[killed["run_id"]].steps[0].calls
    assert (call.status, call.result is not None) == ("finished", True)


async def test_lines_left_when_every_replica_died_get_an_error_line_each(tmp_path: Path) -> None:
    """One replica, no restarts, killed at line 5 of 10: every line still has exactly one result."""
    lines = prompts(tmp_path, 10)
    hold = tmp_path / "hold"
    lines[5]["prompt"] = json.dumps({"n": 5, "log": str(tmp_path / "log"), "hold": str(hold)})
    source = write_lines(tmp_path / "in.jsonl", lines)
    out = tmp_path / "out.jsonl"
    options = RayOptions(replicas=1, max_retries=0)

    async def kill() -> None:
        os.kill(await held_pid(hold), signal.SIGKILL)

    summary, _ = await asyncio.gather(
        batch(source, tools=TOOLS, model=MODEL, output=out, ray=options, concurrency=1), kill()
    )
    errors = {r["id"]: r["error"] for r in read_output(out)}
    assert sorted(errors) == sorted(f"p{n}" for n in range(10))
    assert [errors[f"p{n}"] for n in range(5)] == [None] * 5
    assert errors["p5"].startswith("Lost on Ray: the worker running it failed")
    assert all("every replica died" in errors[f"p{n}"] for n in range(6, 10))
    assert (summary.answered, summary.failed) == (5, 5)
    assert sorted(recorded(tmp_path)) == list(range(5))


async def test_a_remote_tool_runs_in_a_ray_worker() -> None:
    """A remote tool's call runs in another process and its value comes back as the result."""
    (result,) = await remote_tools.execute([ToolCall("c1", "where", "{}")])
    assert not result.is_error
    assert int(result.content) != os.getpid()


async def test_a_remote_tool_exception_is_the_tools_error_result() -> None:
    """An exception raised on a worker comes back as itself, as the model would read it here."""
    (result,) = await remote_tools.execute([ToolCall("c1", "divide", '{"a": 1, "b": 0}')])
    assert (result.is_error, result.error_kind) == (True, "raised")
    assert result.content == "divide raised ZeroDivisionError: division by zero"


async def test_a_remote_tool_call_is_validated_and_hooked_here() -> None:
    """Invalid arguments never reach Ray; an after-hook sees a remote tool's result."""
    seen: list[str] = []
    calls = [
        ToolCall("c1", "divide", '{"a": 1, "b": "x"}'),
        ToolCall("c2", "divide", '{"a": 6, "b": 3}'),
    ]
    invalid, divided = await remote_tools.execute(
        calls, after=[lambda call, result: seen.append(result.content)]
    )
    assert invalid.error_kind == "invalid"
    assert divided.content == "2.0"
    assert seen == [invalid.content, "2.0"]


async def test_a_remote_tool_result_is_a_run_event() -> None:
    """In a streamed run, a remote tool's result arrives as a ToolResultEvent."""
    model = ScriptedModel([ToolCall("c1", "divide", '{"a": 9, "b": 3}'), "3."])
    agent = Agent(model, tools=remote_tools)
    events = [e async for e in agent.run_stream("9 / 3?")]
    results = [e.result.content for e in events if isinstance(e, ToolResultEvent)]
    assert results == ["3.0"]


async def test_a_remote_tool_timeout_cancels_its_task(tmp_path: Path) -> None:
    """The tool's timeout gives a timeout result and kills the worker running the task."""
    await remote_tools.execute([ToolCall("w1", "where", "{}"), ToolCall("w2", "where", "{}")])
    pid_file = tmp_path / "pid"
    arguments = json.dumps({"pid_file": str(pid_file)})
    (result,) = await remote_tools.execute([ToolCall("c1", "stall", arguments)])
    assert result.error_kind == "timeout"
    assert result.content == "stall did not finish within its 3 s time limit."
    assert await gone(int(pid_file.read_text()))


async def test_a_remote_tool_whose_worker_dies_is_an_error_after_retries(tmp_path: Path) -> None:
    """A worker killed on every try: Ray runs it 1 + max_retries times, then an error result."""
    log = tmp_path / "tries"
    (result,) = await remote_tools.execute([ToolCall("c1", "die", json.dumps({"log": str(log)}))])
    assert (result.is_error, result.error_kind) == (True, "raised")
    assert result.content.startswith("die raised WorkerLost: the Ray worker running die failed")
    pids = log.read_text().split()
    assert len(pids) == 2
    assert len(set(pids)) == 2


def test_the_batch_command_runs_on_the_connected_cluster_with_a_bare_ray(tmp_path: Path) -> None:
    """`switchboard batch ... --ray -o OUT` (no address) runs on Ray and prints its summary."""
    source = write_lines(tmp_path / "in.jsonl", prompts(tmp_path, 5))
    out = tmp_path / "out.jsonl"
    args = ["batch", str(source), "-t", str(TOOLS), "-m", MODEL, "--ray", "-o", str(out)]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    assert "Batch" in result.stdout
    assert sorted(r["id"] for r in read_output(out)) == [f"p{n}" for n in range(5)]


def test_eval_tasks_on_ray_scores_every_task_in_file_order(tmp_path: Path) -> None:
    """`eval tasks --ray` runs each task on the cluster and writes the results in file order."""
    log = str(tmp_path / "log")
    tasks = [
        {
            "id": f"t{n}",
            "prompt": json.dumps({"n": n, "log": log}),
            "calls": [{"name": "record", "arguments": {"n": n}}],
            "facts": [f"recorded {n}"],
        }
        for n in range(6)
    ]
    task_file = write_lines(tmp_path / "tasks.jsonl", tasks)
    out = tmp_path / "results.jsonl"
    args = ["eval", "tasks", str(task_file), "-t", str(TOOLS), "-m", MODEL, "--output", str(out)]
    result = CliRunner().invoke(app, [*args, "--ray", "--replicas", "2"])
    assert result.exit_code == 0, result.output
    scored = read_output(out)
    assert [r["id"] for r in scored] == [f"t{n}" for n in range(6)]
    assert all(r["success"] for r in scored)
    assert sorted(recorded(tmp_path)) == list(range(6))


def test_eval_bfcl_on_ray_scores_the_entries_in_order(tmp_path: Path) -> None:
    """`eval bfcl --ray` asks and scores each entry on the cluster, results in BFCL's order."""
    out = tmp_path / "bfcl.jsonl"
    args = ["eval", "bfcl", "-m", MODEL, "--limit", "4", "--output", str(out), "--ray"]
    result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    scored = read_output(out)
    assert [r["id"] for r in scored] == [f"simple_python_{n}" for n in range(4)]
    assert [r["calls"] for r in scored] == [[]] * 4  # the scripted model answers in text
    assert not any(r["correct"] for r in scored)


async def test_a_typed_batch_on_ray_writes_each_answer_parsed(tmp_path: Path) -> None:
    """The output type travels to Ray's workers as text: each answer comes back parsed, as JSON."""
    lines = [{"id": n, "prompt": "Paris?"} for n in range(3)]
    source = write_lines(tmp_path / "in.jsonl", lines)
    out = tmp_path / "out.jsonl"
    summary = await batch(source, model=MODEL, output=out, ray=True, output_type=f"{TOOLS}:City")
    assert summary.answered == 3
    parsed = [r["parsed"] for r in read_output(out)]
    assert parsed == [{"name": "Paris", "population": 2100000}] * 3
