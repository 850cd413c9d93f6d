"""`switchboard view` as a real subprocess: it serves a store's runs on a loopback port."""

import asyncio
import json
import signal
import subprocess
import sys
import urllib.request
from pathlib import Path

from typer.testing import CliRunner

import switchboard
from switchboard.cli import app
from switchboard.runs.sqlite import SQLiteStore
from tests.viewer import stored_runs

SOURCE = str(Path(switchboard.__file__).resolve().parents[1])
COMMAND = [sys.executable, "-c", "from _switchboard_cli import main; main()"]


def _store_with_a_run(path: Path) -> None:
    async def write() -> None:
        async with SQLiteStore(path) as store:
            await stored_runs.write_paused(store)

    asyncio.run(write())


def test_view_serves_the_runs_of_the_store_until_interrupted(tmp_path: Path) -> None:
    """`view --store F --port 0` says its URL, serves F's runs there; Ctrl-C ends it (130)."""
    path = tmp_path / "runs.sqlite3"
    _store_with_a_run(path)
    process = subprocess.Popen(
        [*COMMAND, "view", "--store", str(path), "--port", "0"],
        stderr=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": SOURCE},
    )
    try:
        assert process.stderr is not None
        line = process.stderr.readline()  # written once the port listens
        assert line.startswith(f"Serving the runs of {path} at http://127.0.0.1:"), line
        url = line.split(" at ")[1].strip()
        with urllib.request.urlopen(f"{url}api/runs", timeout=30) as response:
            runs = json.load(response)["runs"]
        assert [run["run_id"] for run in runs] == ["paused"]
    finally:
        process.send_signal(signal.SIGINT)
        _, rest = process.communicate(timeout=30)
    assert (process.returncode, rest) == (130, "interrupted\n")


def test_view_of_a_missing_store_is_a_one_line_error(tmp_path: Path) -> None:
    """A store file that does not exist exits 1 with one line saying to pass --store."""
    result = CliRunner().invoke(app, ["view", "--store", str(tmp_path / "nope.sqlite3")])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert lines[0].startswith("error: No run store at ")
    assert "--store PATH" in lines[0]


def test_view_of_a_file_that_is_no_store_is_a_one_line_error(tmp_path: Path) -> None:
    """A file that is not a run store exits 1 with the store's own message."""
    path = tmp_path / "notes.sqlite3"
    path.write_text("these are notes\n")
    result = CliRunner().invoke(app, ["view", "--store", str(path), "--port", "0"])
    assert result.exit_code == 1
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1
    assert "cannot be used" in lines[0]
