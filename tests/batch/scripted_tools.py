"""A batch's tools and scripted model, as a worker imports them: `--tools` and `--model FILE:model`.

Each prompt is a JSON object of `record`'s arguments; the model calls `record` with them,
then answers ``recorded <n>``; with ``"approval": true`` it calls `record_approved`, which
waits for the user's approval. A prompt that is not JSON is answered ``echo: <prompt>``; one
with ``"fail": true`` makes the model fail, as a provider that is down. A request that asks
for an output type (`City`) is answered with a city that lacks its population first, then,
once told so, a whole one.

`record` appends ``n`` to the file ``log`` (one line per call that ran to its end: the tool's
side effects, counted). With ``hold``, the first call to reach it claims the file ``hold``
(its process's id written there) and waits, to be killed by the test; a call that finds the
file claimed goes on (the call run again after the kill). With ``wait_for``, it waits until
the file ``wait_for`` exists before it records; with ``release``, it makes that file after.
"""

from __future__ import annotations

import json
import os
import threading
import time
from pathlib import Path

from pydantic import BaseModel

from switchboard import (
    AssistantTurn,
    ModelRequest,
    ProviderUnavailableError,
    ScriptedModel,
    Toolbox,
    ToolCall,
    ToolResult,
    UserMessage,
)

tools = Toolbox()

SCRIPTED = "scripted"
"""The provider's name in its errors."""

_HELD_FOR = 120.0
"""How long a held call waits to be killed: far longer than any test takes."""


@tools.register
def record(
    n: int,
    log: str,
    hold: str | None = None,
    wait_for: str | None = None,
    release: str | None = None,
) -> int:
    """Record that line n ran.

    Args:
        n: The line's number.
        log: The file to append n to.
        hold: A file to claim and wait on, on the first call that reaches it.
        wait_for: A file to wait for before recording.
        release: A file to make after recording.
    """
    if hold is not None and _claimed(hold):
        threading.Event().wait(_HELD_FOR)  # killed here by the test
    if wait_for is not None:
        _wait_for(Path(wait_for))
    with Path(log).open("a", encoding="utf-8") as file:
        file.write(f"{n}\n")
    if release is not None:
        Path(release).touch()
    return n


@tools.register(requires_approval=True)
def record_approved(n: int, log: str) -> int:
    """Record that line n ran, once the user approved it.

    Args:
        n: The line's number.
        log: The file to append n to.
    """
    return record(n, log)


class City(BaseModel):
    """A city and how many live there."""

    name: str
    population: int


def model() -> ScriptedModel:
    """The scripted model of the batch tests (see the module's doc)."""
    return ScriptedModel(_reply)


def _reply(request: ModelRequest) -> str | ToolCall | AssistantTurn:
    if request.output is not None:
        return _city(request)
    last = request.messages[-1]
    if isinstance(last, ToolResult):
        return f"recorded {last.content}"
    assert isinstance(last, UserMessage)
    try:
        arguments = json.loads(last.content)
    except ValueError:
        return f"echo: {last.content}"
    if arguments.pop("fail", False):
        down = "The scripted provider is down."
        raise ProviderUnavailableError(SCRIPTED, down)
    tool = "record_approved" if arguments.pop("approval", False) else "record"
    return ToolCall(f"call-{arguments['n']}", tool, json.dumps(arguments))


def _city(request: ModelRequest) -> str:
    """A city without its population, then (once an answer was sent back) a whole one."""
    if any(isinstance(message, AssistantTurn) for message in request.messages):
        return '{"name": "Paris", "population": 2100000}'
    return '{"name": "Paris"}'


def _claimed(hold: str) -> bool:
    """Whether this call claimed ``hold`` (it was free), its pid written there whole."""
    try:
        descriptor = os.open(hold, os.O_CREAT | os.O_EXCL | os.O_WRONLY)
    except FileExistsError:
        return False
    with os.fdopen(descriptor, "w") as file:
        file.write(f"{os.getpid()}\n")
    return True


def _wait_for(path: Path) -> None:
    deadline = time.monotonic() + _HELD_FOR
    while not path.exists():
        if time.monotonic() > deadline:
            msg = f"{path} never appeared."
            raise TimeoutError(msg)
        time.sleep(0.005)
