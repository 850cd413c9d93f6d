"""A real OpenAI-compatible server for tests: llama-cpp-python serving a GGUF on 127.0.0.1."""

import contextlib
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO

import httpx

READY_TIMEOUT = 120.0
"""Seconds the server may take to load the model and answer /v1/models."""


def free_port() -> int:
    """A TCP port on 127.0.0.1 that nothing listens on right now."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def server_command(model: Path, port: int, *, n_ctx: int = 2048) -> list[str]:
    """The command line that serves ``model`` with OpenAI-style tool calling."""
    return [
        sys.executable,
        "-m",
        "llama_cpp.server",
        "--model",
        str(model),
        "--host",
        "127.0.0.1",
        "--port",
        str(port),
        "--chat_format",
        "chatml-function-calling",
        "--n_ctx",
        str(n_ctx),
    ]


@contextlib.contextmanager
def llama_server(model: Path, *, n_ctx: int = 2048) -> Iterator[str]:
    """Serve ``model`` for the duration of the block; yields the base URL (``.../v1``).

    The server is polled on /v1/models until it answers (at most `READY_TIMEOUT` seconds)
    and terminated at the end. If it dies or never answers, the error shows its log.
    """
    port = free_port()
    base_url = f"http://127.0.0.1:{port}/v1"
    with tempfile.TemporaryFile() as log:
        process = subprocess.Popen(
            server_command(model, port, n_ctx=n_ctx), stdout=log, stderr=subprocess.STDOUT
        )
        try:
            _wait_ready(base_url, process, log)
            yield base_url
        finally:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


def _wait_ready(base_url: str, process: subprocess.Popen[bytes], log: IO[bytes]) -> None:
    deadline = time.monotonic() + READY_TIMEOUT
    with httpx.Client(timeout=2.0) as client:
        while time.monotonic() < deadline:
            if process.poll() is not None:
                msg = f"llama_cpp.server exited with {process.returncode}:\n{_tail(log)}"
                raise RuntimeError(msg)
            try:
                if client.get(f"{base_url}/models").status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.1)
    msg = f"llama_cpp.server not ready after {READY_TIMEOUT} s:\n{_tail(log)}"
    raise RuntimeError(msg)


def _tail(log: IO[bytes]) -> str:
    log.seek(0)
    return log.read().decode(errors="replace")[-4000:]
