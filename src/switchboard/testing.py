"""Cassettes for tests of agents: a real model's turns recorded once, replayed afterwards.

Like VCR's cassettes, but at the level of model turns rather than HTTP: the first run of a
test sends its requests to the real model and writes each request and reply to a JSON file;
later runs read the file and answer each request with its recorded reply, with no network.
In replay, each request the agent makes is compared with the recorded one first, and the
first difference (a tool's schema, a message, the tool choice, a setting, the number of
requests, a tool's result) fails the test with `DivergenceError`, which says where and
what. The tools run in both modes: only the model is recorded.

The file holds ``{"version": 1, "runs": [{"steps": [{"request": ..., "response": ...}]}]}``,
each request and response in the form a run store keeps (`switchboard.runs.request`): the
requests of one run hold the messages each one added, and a request that does not continue
the conversation of the one before starts a new run.
"""

from __future__ import annotations

import contextlib
import copy
import json
import operator
import os
from collections.abc import AsyncIterator, Generator
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, Literal, cast, get_args

from switchboard.errors import ConfigurationError, RunStateError
from switchboard.messages import Message, ModelResponse
from switchboard.providers.base import ModelRequest, Provider
from switchboard.runs.codec import loads, response_to_json
from switchboard.runs.recording import Recording, StepRecord, recording_of_steps
from switchboard.runs.replay import ReplaySession, replaying_agent
from switchboard.runs.request import request_json
from switchboard.streaming import StreamEvent, TurnEnd

if TYPE_CHECKING:
    from switchboard.agent import Agent

__all__ = ["CASSETTE_VERSION", "RecordMode", "cassette"]

CASSETTE_VERSION: Final = 1
"""The version of the cassette files this switchboard writes and reads."""

RecordMode = Literal["once", "none", "all"]
"""When a cassette records: ``"once"``: when its file does not exist yet, else it replays;
``"none"``: never (a missing file is an error); ``"all"``: always, writing the file anew."""

_HINT: Final = (
    "If the agent changed on purpose, record the cassette again: cassette(..., record='all'), "
    "or SWITCHBOARD_RECORD=all."
)


@contextlib.contextmanager
def cassette(
    path: str | os.PathLike[str], agent: Agent, *, record: RecordMode | None = None
) -> Generator[Agent]:
    """A copy of ``agent`` whose model turns are recorded to ``path``, or replayed from it.

    Recording, the copy asks ``agent``'s model and the file is written when the block ends
    without an exception. Replaying, the copy asks no model: each request must equal the
    recorded one, else `DivergenceError`; when the block ends, every recorded request must
    have been made, else `DivergenceError` too.

    Args:
        path: The cassette's file (its folder is created when it is recorded).
        agent: The agent under test, with the real model to record.
        record: See `RecordMode`; default: the ``SWITCHBOARD_RECORD`` environment variable,
            else ``"once"``.

    Yields:
        The agent to run in the block, as many times as the test needs.

    Raises:
        ConfigurationError: ``record`` is no `RecordMode`, or the file is missing while
            ``record`` is ``"none"``.
        RunStateError: The file is not a cassette of this version.
        DivergenceError: Replaying, a request differs from the recorded one, or the block
            made fewer requests than were recorded.

    Example:
        >>> import tempfile
        >>> from switchboard import Agent, ScriptedModel
        >>> folder = tempfile.TemporaryDirectory()
        >>> path = f"{folder.name}/hello.json"
        >>> with cassette(path, Agent(ScriptedModel(["Hello!"]))) as agent:  # recorded
        ...     agent.run_sync("Hi").output
        'Hello!'
        >>> with cassette(path, Agent(ScriptedModel([]))) as agent:  # replayed: no model asked
        ...     agent.run_sync("Hi").output
        'Hello!'
        >>> folder.cleanup()
    """
    file = Path(path)
    mode = _mode(record)
    if mode == "all" or (mode == "once" and not file.exists()):
        recorder = _Recorder(agent.provider)
        replica = copy.copy(agent)
        replica.provider = recorder
        yield replica
        _write(file, recorder.runs)
        return
    if not file.exists():
        message = (
            f"No cassette at {file}, and record='none' does not record one: run the test once "
            "with record='once' (or SWITCHBOARD_RECORD=once) and a real model."
        )
        raise ConfigurationError(message)
    session = ReplaySession(_read(file), hint=_HINT)
    yield replaying_agent(agent, session, "rerun")
    session.finish()


def _mode(record: RecordMode | None) -> RecordMode:
    mode = record if record is not None else os.environ.get("SWITCHBOARD_RECORD", "once")
    if mode not in get_args(RecordMode):
        message = (
            f"record={mode!r} is no record mode: use 'once' (record when the file is missing, "
            "else replay), 'none' (always replay) or 'all' (always record)."
        )
        raise ConfigurationError(message)
    return cast("RecordMode", mode)


class _Recorder:
    """Passes each request to the real model and keeps it with the reply, run by run."""

    def __init__(self, model: Provider) -> None:
        self._model = model
        self.runs: list[list[dict[str, Any]]] = []
        self._sent: tuple[Message, ...] | None = None

    @property
    def name(self) -> str:
        """The real model's provider name."""
        return self._model.name

    @property
    def model(self) -> str:
        """The real model."""
        return self._model.model

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """The real model's reply, recorded."""
        step = self._begin(request)
        response = await self._model.complete(request)
        step["response"] = response_to_json(response)
        return response

    async def stream(
        self, request: ModelRequest, *, partial_args: bool = False
    ) -> AsyncIterator[StreamEvent]:
        """The real model's streamed reply, its whole reply recorded at its end."""
        step = self._begin(request)
        async for event in self._model.stream(request, partial_args=partial_args):
            if isinstance(event, TurnEnd):
                step["response"] = response_to_json(event.response)
            yield event

    def _begin(self, request: ModelRequest) -> dict[str, Any]:
        """A new step for ``request``: of the run it continues, or of a new run."""
        sent, messages = self._sent, request.messages
        # The loop sends the same message objects again: a run's next request begins with
        # the very messages of the one before.
        continues = (
            sent is not None
            and len(messages) >= len(sent)
            and all(map(operator.is_, sent, messages))
        )
        if not continues:
            self.runs.append([])
        step: dict[str, Any] = {
            "request": request_json(request, len(sent) if continues and sent else 0),
            "response": None,
        }
        self.runs[-1].append(step)
        self._sent = tuple(messages)
        return step


def _write(file: Path, runs: list[list[dict[str, Any]]]) -> None:
    data = {"version": CASSETTE_VERSION, "runs": [{"steps": steps} for steps in runs]}
    file.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(data, indent=2, ensure_ascii=False, allow_nan=False)
    file.write_text(text + "\n", encoding="utf-8")


def _read(file: Path) -> Recording:
    what = f"The cassette {file}"
    data = loads(file.read_bytes(), what)
    if not isinstance(data, dict) or cast("dict[str, Any]", data).get("version") is None:
        message = f"{what} is no cassette: it has no 'version'. Record it again."
        raise RunStateError(message)
    data = cast("dict[str, Any]", data)
    if data["version"] != CASSETTE_VERSION:
        message = (
            f"{what} is of version {data['version']!r}; this switchboard reads version "
            f"{CASSETTE_VERSION}. Record it again (record='all')."
        )
        raise RunStateError(message)
    runs: list[list[StepRecord]] = []
    for i, run in enumerate(_list(data.get("runs"), f"{what}: 'runs'")):
        fields = cast("dict[str, Any]", run) if isinstance(run, dict) else {}
        steps = _list(fields.get("steps"), f"{what}: runs[{i}].steps")
        runs.append([_step(step, f"{what}: runs[{i}].steps[{j}]") for j, step in enumerate(steps)])
    return recording_of_steps(f"cassette {file}", runs)


def _step(data: Any, where: str) -> StepRecord:
    step = cast("dict[str, Any]", data) if isinstance(data, dict) else {}
    request, response = step.get("request"), step.get("response")
    if not isinstance(request, dict) or not (response is None or isinstance(response, dict)):
        message = f"{where} should hold a 'request' object and a 'response' object or null."
        raise RunStateError(message)
    return cast("dict[str, Any]", request), cast("dict[str, Any] | None", response), {}


def _list(value: Any, where: str) -> list[Any]:
    if not isinstance(value, list):
        message = f"{where} should be a list."
        raise RunStateError(message)
    return cast("list[Any]", value)
