"""`RunState`: everything needed to continue a run, as versioned JSON.

A state is written after every step of a run and read back to resume it, maybe by another
process, maybe by a later switchboard. Its JSON form carries ``"version"``: this
switchboard writes `SCHEMA_VERSION` and reads every version up to it; a state of a newer
version is refused with a message naming both versions rather than misread.
"""

from __future__ import annotations

import hashlib
import json
import operator
import os
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, ClassVar, Final, Literal, NoReturn, cast, get_args

from switchboard.errors import RunStateError
from switchboard.messages import Message, Usage
from switchboard.runs.approval import PendingCall, PendingKind
from switchboard.runs.codec import (
    dumps,
    loads,
    message_from_json,
    message_to_json,
    usage_from_json,
    usage_to_json,
)

__all__ = [
    "SCHEMA_VERSION",
    "RunState",
    "RunStatus",
    "StateEncoder",
    "new_run_id",
    "schema_hash",
]

SCHEMA_VERSION: Final = 1
"""The version of `RunState`'s JSON form that this switchboard writes."""

RunStatus = Literal["running", "paused", "finished", "failed"]
"""Where a run is: going on, waiting on pending calls, over with an answer, or over on an error."""

_STATUSES: Final = frozenset(get_args(RunStatus))
_KINDS: Final = frozenset(get_args(PendingKind))
_FIELDS: Final = (
    "version",
    "messages",
    "run_id",
    "status",
    "iteration",
    "calls_made",
    "tool_choice",
    "tools",
    "usage",
    "failures",
    "guard",
    "pending",
    "invalid_answers",
)


def new_run_id() -> str:
    """A new run id: a random UUID (version 4) as 32 hex digits."""
    # uuid4().hex without the UUID object, which costs four times as much: every run of
    # the loop makes an id, and a short run costs tens of microseconds.
    raw = bytearray(os.urandom(16))
    raw[6] = raw[6] & 0x0F | 0x40  # version 4
    raw[8] = raw[8] & 0x3F | 0x80  # the RFC 4122 variant
    return raw.hex()


def schema_hash(parameters: Mapping[str, Any]) -> str:
    """The sha256 (hex) of a tool's parameters schema written canonically.

    Canonical: keys sorted, no spaces, non-ASCII kept, so two schemas equal as JSON have one
    hash however their keys were ordered.
    """
    text = json.dumps(parameters, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(text.encode()).hexdigest()


@dataclass(frozen=True, slots=True)
class RunState:
    """Everything needed to continue a run, in this process or another.

    Attributes:
        run_id: The run's id (`new_run_id` by default): its key in a run store.
        messages: The conversation so far, each provider's private state included.
        pending: The calls the run waits on, when it is paused.
        iteration: The model requests the run has made.
        calls_made: The tool calls the run has made (what ``max_tool_calls`` counts).
        usage: Tokens and requests, summed over the run.
        guard: The loop guard's memory (repeat counts and the results it may answer a repeat
            with), as JSON values.
        failures: Tool name -> failing calls in a row, as the executor counts them.
        tool_choice: The tool choice of the run's next request: its name, or for a choice
            of allowed tools ``{"allowed": [names], "required": bool}``.
        tools: The tools offered to the model: each tool's name and `schema_hash` of its
            parameters, so a resumed run can tell that a tool changed.
        status: Where the run is (see `RunStatus`).
        invalid_answers: The answers of a typed run (``output_type``) found invalid and sent
            back, which ``output_retries`` counts; written only when not 0, and read as 0
            from a state without it.
        version: The version of the JSON form (`SCHEMA_VERSION`); a class constant, since a
            state read from an older version is a state of this one.

    Example:
        >>> from switchboard.messages import UserMessage
        >>> state = RunState(run_id="r1", messages=(UserMessage("Hi"),))
        >>> RunState.from_json(state.to_json()) == state
        True
    """

    run_id: str = field(default_factory=new_run_id)
    messages: tuple[Message, ...] = ()
    pending: tuple[PendingCall, ...] = ()
    iteration: int = 0
    calls_made: int = 0
    usage: Usage = field(default_factory=Usage)
    guard: Mapping[str, Any] = field(default_factory=lambda: {})
    failures: Mapping[str, int] = field(default_factory=lambda: {})
    tool_choice: str | Mapping[str, Any] = "auto"
    tools: tuple[tuple[str, str], ...] = ()
    status: RunStatus = "running"
    invalid_answers: int = 0
    version: ClassVar[int] = SCHEMA_VERSION

    def to_json(self) -> str:
        """The state as JSON text, of version `SCHEMA_VERSION`.

        Raises:
            RunStateError: A value that must be JSON (in ``guard``, a call's mapping
                arguments, a turn's ``provider_state``) has no JSON form.
        """
        return StateEncoder().to_json(self)

    @classmethod
    def from_json(cls, text: str | bytes) -> RunState:
        """The state written by `to_json`, of this version or an older one.

        Raises:
            RunStateError: The text is not a run state, a field is missing or wrong (the
                message says where), or it was written by a newer switchboard.
        """
        data = loads(text, "The run state")
        if not isinstance(data, dict):
            message = "The run state is not a JSON object: it is no run state."
            raise RunStateError(message)
        data = cast("dict[str, Any]", data)
        _check_version(data.get("version"))
        unexpected = [key for key in data if key not in _FIELDS]
        if unexpected:
            message = f"The run state has unexpected fields {unexpected}."
            raise RunStateError(message)
        return _read_v1(_Reader(data))


class StateEncoder:
    """Writes the successive states of one run, each message written once.

    A run's state grows by a few messages a step, and `RunState.to_json` writes every
    message each time: 3 us a message, so 4 ms a step by the 500th step of a long run. The
    encoder keeps the text of the messages it last wrote, and when the next state's
    messages begin with those same objects (messages are frozen, and the loop only ever
    appends), writes only the new ones. The text is the same as `RunState.to_json`'s.

    The form puts the messages right after the version, ahead of every field that changes
    from step to step, so the texts of successive states share all their messages as a
    prefix: a store can write only what follows it (`SQLiteStore` does).
    """

    __slots__ = ("_messages", "_pieces")

    def __init__(self) -> None:
        self._messages: tuple[Message, ...] = ()
        # The text of the messages, in pieces joined by commas: one piece a state.
        self._pieces: list[str] = []

    def to_json(self, state: RunState) -> str:
        """``state`` as JSON text, as `RunState.to_json` writes it.

        Raises:
            RunStateError: As `RunState.to_json`.
        """
        what = f"The state of run {state.run_id!r}"
        messages = state.messages
        known = len(self._messages)
        if len(messages) >= known and all(map(operator.is_, self._messages, messages)):
            new = messages[known:]
        else:
            new, self._messages, self._pieces = messages, (), []
        if new:
            try:
                piece = dumps([message_to_json(m) for m in new], what)[1:-1]
            except RunStateError:
                _encode_whole(state)  # raises with the path from the state's top
                raise
            self._pieces.append(piece)
        self._messages = messages
        rest = dumps(_rest(state), what)
        head = f'{{"version":{SCHEMA_VERSION},"messages":['
        return "".join((head, ",".join(self._pieces), "],", rest[1:]))


def _rest(state: RunState) -> dict[str, Any]:
    """The fields of the state's JSON form after its version and messages, in order."""
    rest: dict[str, Any] = {
        "run_id": state.run_id,
        "status": state.status,
        "iteration": state.iteration,
        "calls_made": state.calls_made,
        "tool_choice": (
            state.tool_choice if isinstance(state.tool_choice, str) else dict(state.tool_choice)
        ),
        "tools": [[name, digest] for name, digest in state.tools],
        "usage": usage_to_json(state.usage),
        "failures": dict(state.failures),
        "guard": dict(state.guard),
        "pending": [_pending_to_json(call) for call in state.pending],
    }
    # Only a typed run that sent answers back has some, and a state without the key is the
    # form every earlier state was written in: it stays that form where nothing differs.
    if state.invalid_answers:
        rest["invalid_answers"] = state.invalid_answers
    return rest


def _encode_whole(state: RunState) -> str:
    """The state written in one piece: slower, but an error names its place from the top."""
    messages = [message_to_json(m) for m in state.messages]
    data = {"version": SCHEMA_VERSION, "messages": messages, **_rest(state)}
    return dumps(data, f"The state of run {state.run_id!r}")


def _check_version(version: Any) -> None:
    if version is None:
        message = "The run state has no 'version' field: it was not written by RunState.to_json."
        raise RunStateError(message)
    if not isinstance(version, int) or isinstance(version, bool) or version < 1:
        message = f"The run state's version should be a positive integer, but is {version!r}."
        raise RunStateError(message)
    if version > SCHEMA_VERSION:
        message = (
            f"This run state was written in version {version} of the run state format; this "
            f"switchboard reads versions up to {SCHEMA_VERSION}. Upgrade switchboard to "
            "resume it."
        )
        raise RunStateError(message)


def _read_v1(fields: _Reader) -> RunState:
    messages = fields.items("messages")
    pending = fields.items("pending")
    return RunState(
        run_id=fields.run_id(),
        messages=tuple(message_from_json(m, f"messages[{i}]") for i, m in enumerate(messages)),
        pending=tuple(_pending_from_json(p, f"pending[{i}]") for i, p in enumerate(pending)),
        iteration=fields.count("iteration"),
        calls_made=fields.count("calls_made"),
        usage=usage_from_json(fields.take("usage"), "usage"),
        guard=fields.mapping("guard"),
        failures=fields.failures(),
        tool_choice=fields.tool_choice(),
        tools=fields.tools(),
        status=fields.status(),
        invalid_answers=fields.count("invalid_answers") if "invalid_answers" in fields.data else 0,
    )


def _pending_to_json(call: PendingCall) -> dict[str, Any]:
    arguments = call.arguments
    return {
        "call_id": call.call_id,
        "tool": call.tool,
        "arguments": arguments if isinstance(arguments, str) else dict(arguments),
        "reason": call.reason,
        "kind": call.kind,
    }


def _pending_from_json(data: Any, where: str) -> PendingCall:
    if not isinstance(data, dict):
        _wrong(where, "a JSON object", data)
    data = cast("dict[str, Any]", data)
    if set(data) != {"call_id", "tool", "arguments", "reason", "kind"}:
        message = (
            f"{where} should have the fields call_id, tool, arguments, reason and kind, but "
            f"has {sorted(data)}."
        )
        raise RunStateError(message)
    for key in ("call_id", "tool", "reason"):
        if not isinstance(data[key], str):
            _wrong(f"{where}.{key}", "a string", data[key])
    if not isinstance(data["arguments"], str | dict):
        _wrong(f"{where}.arguments", "JSON text or an object", data["arguments"])
    if data["kind"] not in _KINDS:
        _wrong(f"{where}.kind", "'approval' or 'external'", data["kind"])
    return PendingCall(
        data["call_id"], data["tool"], data["arguments"], data["reason"], data["kind"]
    )


class _Reader:
    """The top-level fields of a state, each checked for its type."""

    __slots__ = ("data",)

    def __init__(self, data: dict[str, Any]) -> None:
        self.data = data

    def take(self, key: str) -> Any:
        try:
            return self.data[key]
        except KeyError:
            message = f"The run state has no {key!r} field, which is required."
            raise RunStateError(message) from None

    def text(self, key: str) -> str:
        value = self.take(key)
        if not isinstance(value, str):
            _wrong(key, "a string", value)
        return value

    def tool_choice(self) -> str | Mapping[str, Any]:
        """A choice's name, or a choice of allowed tools: ``{"allowed": [...], "required": b}``."""
        value = self.take("tool_choice")
        if isinstance(value, str):
            return value
        given = cast("dict[str, Any]", value) if isinstance(value, dict) else {}
        allowed, required = given.get("allowed"), given.get("required")
        if (
            not isinstance(allowed, list)
            or not all(isinstance(name, str) for name in cast("list[Any]", allowed))
            or not isinstance(required, bool)
            or len(given) != 2
        ):
            _wrong(
                "tool_choice",
                'a string, or {"allowed": [names], "required": true or false}',
                value,
            )
        return {"allowed": list(cast("list[str]", allowed)), "required": required}

    def run_id(self) -> str:
        value = self.text("run_id")
        if not value:
            _wrong("run_id", "a non-empty string", value)
        return value

    def count(self, key: str) -> int:
        value = self.take(key)
        if not isinstance(value, int) or isinstance(value, bool) or value < 0:
            _wrong(key, "an integer of 0 or more", value)
        return value

    def items(self, key: str) -> list[Any]:
        value = self.take(key)
        if not isinstance(value, list):
            _wrong(key, "a list", value)
        return cast("list[Any]", value)

    def mapping(self, key: str) -> dict[str, Any]:
        value = self.take(key)
        if not isinstance(value, dict):
            _wrong(key, "a JSON object", value)
        return cast("dict[str, Any]", value)

    def failures(self) -> dict[str, int]:
        value = self.mapping("failures")
        for name, count in value.items():
            if not isinstance(count, int) or isinstance(count, bool):
                _wrong(f"failures.{name}", "an integer", count)
        return cast("dict[str, int]", value)

    def tools(self) -> tuple[tuple[str, str], ...]:
        pairs: list[tuple[str, str]] = []
        for i, pair in enumerate(self.items("tools")):
            if (
                not isinstance(pair, list)
                or len(cast("list[Any]", pair)) != 2
                or not all(isinstance(part, str) for part in cast("list[Any]", pair))
            ):
                _wrong(f"tools[{i}]", "a [name, schema hash] pair of strings", pair)
            name, digest = cast("list[str]", pair)
            pairs.append((name, digest))
        return tuple(pairs)

    def status(self) -> RunStatus:
        value = self.take("status")
        if value not in _STATUSES:
            _wrong("status", f"one of {sorted(_STATUSES)}", value)
        return cast("RunStatus", value)


def _wrong(where: str, expected: str, value: Any) -> NoReturn:
    shown = json.dumps(value, ensure_ascii=False, default=repr)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    message = f"The run state's {where} should be {expected}, but is {shown}."
    raise RunStateError(message)
