"""`switchboard mcp serve` as a command: its errors, its stderr, and a stdout kept for the protocol.

The stdio tests speak JSON-RPC to the command by hand (one JSON message a line, as the
stdio transport frames them), so that every byte of stdout is seen.
"""

import json
import signal
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from typer.testing import CliRunner

import switchboard
from switchboard.cli import app

SOURCE = str(Path(switchboard.__file__).resolve().parents[1])
COMMAND = [sys.executable, "-c", "from _switchboard_cli import main; main()"]

NOISY_TOOLS = '''
print("loading the tools")


def shout(text: str) -> str:
    """Shout the text."""
    print("shouting")
    return text.upper()
'''

runner = CliRunner()


@dataclass(frozen=True)
class Session:
    """What a stdio session with the command left: stdout's lines, stderr, the exit status."""

    stdout: list[str]
    stderr: str
    status: int


def _send(process: subprocess.Popen[str], message: dict[str, Any]) -> None:
    assert process.stdin is not None
    process.stdin.write(json.dumps(message) + "\n")
    process.stdin.flush()


@pytest.fixture(scope="module")
def session(tmp_path_factory: pytest.TempPathFactory) -> Session:
    """Initialize, call a tool that prints, then close stdin: what the command did."""
    tools = tmp_path_factory.mktemp("noisy") / "noisy.py"
    tools.write_text(NOISY_TOOLS)
    process = subprocess.Popen(
        [*COMMAND, "mcp", "serve", str(tools)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": SOURCE},
    )
    assert process.stdout is not None
    initialize = {
        "protocolVersion": "2025-03-26",  # an older revision than the newest
        "capabilities": {},
        "clientInfo": {"name": "by-hand", "version": "0"},
    }
    _send(process, {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": initialize})
    lines = [process.stdout.readline()]
    _send(process, {"jsonrpc": "2.0", "method": "notifications/initialized"})
    call = {"name": "shout", "arguments": {"text": "hi"}}
    _send(process, {"jsonrpc": "2.0", "id": 2, "method": "tools/call", "params": call})
    lines.append(process.stdout.readline())
    stdout, stderr = process.communicate(timeout=60)  # closes stdin: the session ends
    return Session(lines + stdout.splitlines(), stderr, process.returncode)


def test_stdout_holds_only_the_protocols_messages(session: Session) -> None:
    """Prints at import and during a call stay off stdout: each line there is a response."""
    responses = [json.loads(line) for line in session.stdout]
    assert [response["id"] for response in responses] == [1, 2]
    assert responses[1]["result"]["content"] == [{"type": "text", "text": "HI"}]


def test_a_handshake_client_gets_the_older_revision_it_asks_for(session: Session) -> None:
    """The initialize handshake agrees on the revision the client asked for, if known."""
    assert json.loads(session.stdout[0])["result"]["protocolVersion"] == "2025-03-26"


def test_what_the_tools_print_goes_to_stderr(session: Session) -> None:
    """The tools' own prints are not lost: they are on stderr."""
    assert "loading the tools" in session.stderr
    assert "shouting" in session.stderr


def test_stderr_says_what_is_served_and_how(session: Session) -> None:
    """A status line on stderr names the tool count, the file and the transport."""
    assert "Serving 1 tool from " in session.stderr
    assert "noisy.py over MCP on stdio" in session.stderr


def test_the_server_ends_cleanly_when_the_client_closes_stdin(session: Session) -> None:
    """Closing stdin ends a stdio server with status 0."""
    assert session.status == 0


def test_a_missing_file_is_a_one_line_error(tmp_path: Path) -> None:
    """A tools file that is not there: status 1, one line on stderr saying what to pass."""
    result = runner.invoke(app, ["mcp", "serve", str(tmp_path / "nope.py")])
    assert result.exit_code == 1
    (line,) = result.stderr.strip().splitlines()
    assert line.startswith("error: No such file")


def test_an_unknown_transport_is_a_usage_error(tmp_path: Path) -> None:
    """--transport takes stdio or http: anything else is refused, naming the choices."""
    result = runner.invoke(app, ["mcp", "serve", str(tmp_path / "t.py"), "--transport", "sse"])
    assert result.exit_code == 2
    assert "'sse' is not one of 'stdio'" in result.stderr


def test_ctrl_c_ends_a_stdio_server_waiting_for_input() -> None:
    """Ctrl-C while the server waits on an open stdin: 'interrupted', status 130, no hang."""
    served = Path(__file__).with_name("served_tools.py")
    with subprocess.Popen(
        [*COMMAND, "mcp", "serve", str(served)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env={"PYTHONPATH": SOURCE},
    ) as process:
        assert process.stdout is not None
        assert process.stderr is not None
        _send(process, {"jsonrpc": "2.0", "id": 1, "method": "ping"})
        assert json.loads(process.stdout.readline())["id"] == 1  # serving, reading stdin
        process.send_signal(signal.SIGINT)
        try:
            status = process.wait(timeout=30)
        finally:
            process.kill()
        lines = process.stderr.read().splitlines()
    assert (status, lines[-1]) == (130, "interrupted")
