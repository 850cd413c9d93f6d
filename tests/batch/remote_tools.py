"""Tools that run as Ray tasks, for the remote tool tests."""

from __future__ import annotations

import os
import signal
import threading
from pathlib import Path

from switchboard import Ray, Toolbox

tools = Toolbox()


@tools.register(remote=Ray(num_cpus=1))
def where() -> int:
    """The id of the process the call ran in."""
    return os.getpid()


@tools.register(remote=Ray(num_cpus=1))
def divide(a: int, b: int) -> float:
    """Divide a by b."""
    return a / b


@tools.register(remote=Ray(num_cpus=1), timeout=3)
def stall(pid_file: str) -> str:
    """Write this process's id to pid_file, then wait far past the tool's timeout."""
    Path(pid_file).write_text(f"{os.getpid()}\n")
    threading.Event().wait(120)
    return "never"


@tools.register(remote=Ray(num_cpus=1, max_retries=1))
def die(log: str) -> str:
    """Append this process's id to log, then kill this process."""
    with Path(log).open("a") as file:
        file.write(f"{os.getpid()}\n")
    os.kill(os.getpid(), signal.SIGKILL)
    return "never"
