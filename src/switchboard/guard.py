"""The run's guards on calls: ``max_tool_calls``, the loop guard, and ``on_repeat``.

`CallGuard` decides, call by call, whether a call may run (`CallGuard.admit`), and keeps the
results of the calls that ran (`CallGuard.remember`), so that a call identical to one the
run already has the result of is answered as ``on_repeat`` says instead of run again.

What it knows follows from the calls and results it was shown, in order, and nothing else:
a resumed run rebuilds it from its conversation (`CallGuard.replay`) rather than store it
after every step, where it would grow with the run.
"""

from __future__ import annotations

from collections.abc import Callable, Container, Hashable, Mapping, Sequence
from dataclasses import dataclass, replace
from typing import Any, Final, Literal, NoReturn, cast, get_args

from pydantic_core import from_json, to_json

from switchboard.errors import RunStateError
from switchboard.messages import AssistantTurn, ErrorKind, Message, ToolCall, ToolResult
from switchboard.outcome import RunStopReason

OnRepeat = Literal["answer", "error", "stop", "run"]
"""What a run does with a call identical to one it already answered (see `Agent`)."""

GuardStop = Literal["max_tool_calls", "loop_guard"]
"""A guard's reason to end the run."""

GuardListener = Callable[[ToolCall, ToolResult, GuardStop | None], None]
"""Told of a call the guards answered without running it: the call, its answer, the stop."""

CallKey = tuple[str, Hashable]
"""A call as the guards compare it: its tool and its arguments in one canonical form."""

# Results that say nothing about what the same call would return now: it may be made again.
_STOPS: Final = frozenset(get_args(RunStopReason))

_TRANSIENT: frozenset[ErrorKind | None] = frozenset(
    {"timeout", "not_started", "retries_exhausted", "denied", "interrupted"}
)


class CallGuard:
    """What the guards of one run know: the calls made, and the answers they may reuse.

    Args:
        max_tool_calls: The most calls the run may make (``None``: no limit).
        repeat_limit: The call that repeats a call for this many times is not run.
        on_repeat: What to do with a call the run already has the result of.
    """

    def __init__(self, max_tool_calls: int | None, repeat_limit: int, on_repeat: OnRepeat):
        self.max_tool_calls = max_tool_calls
        self.repeat_limit = repeat_limit
        self.on_repeat: OnRepeat = on_repeat
        self.calls_made = 0
        self.answer_next = False
        """An answered repeat asked the model to answer: the next request forbids calls."""
        # Per key: the arguments of the first call that had it (see `_key`), and how many
        # calls had it where more than one did.
        self._first: dict[CallKey, str | Mapping[str, Any]] = {}
        self._repeats: dict[CallKey, int] = {}
        # The results a repeat may be answered with: all of one tool, the one that ran last
        # (a call of one tool may change what another returns: add_todo, then list_todos).
        self._answered: dict[CallKey, ToolResult] = {}
        self._answered_tool: str | None = None
        # The calls let through since the last `remember`, by id: only these ran.
        self._admitted: dict[str, CallKey] = {}
        # The turns `remember` was given that `_answers` has not read yet, in order.
        self._unread: list[tuple[dict[str, CallKey], Sequence[ToolCall], Sequence[ToolResult]]]
        self._unread = []
        self.on_refusal: GuardListener | None = None
        """Told of each call the guards do not run (a tracer: see `switchboard.telemetry`)."""

    def admit(self, call: ToolCall) -> tuple[ToolResult | None, GuardStop | None]:
        """The guards, for the run's next call: a refusal or ``None``, and a reason to stop."""
        limit = self.max_tool_calls
        if limit is not None and self.calls_made >= limit:
            return self._over_limit(call, limit)
        self.calls_made += 1
        return self._admit_counted(call)

    def admit_all(
        self, calls: Sequence[ToolCall]
    ) -> tuple[dict[int, ToolResult] | None, GuardStop | None]:
        """`admit` for each call of a reply, in order: the refusals by position, and a reason.

        ``None`` for the refusals: every call may run. A call whose arguments the run has not
        seen, the common call, is let through here with no call of `admit`: the guard reads
        every call of the run, and a method call or two per call costs as much as keying it.
        """
        limit = self.max_tool_calls
        if (limit is not None and self.calls_made + len(calls) > limit) or self.repeat_limit < 2:
            # A reply that reaches max_tool_calls, or a repeat_limit that refuses even a
            # first call: call by call through `admit`.
            return self._admit_from(calls, 0, self.admit)
        self.calls_made += len(calls)
        first = self._first
        admitted = self._admitted
        # The short way: flat objects (see `_key`) never seen, every call of the common reply.
        # The first call that is not one goes the long way, and the rest with it.
        fresh = 0
        for call in calls:
            arguments = call.arguments
            if not isinstance(arguments, str):
                break
            try:
                value: Any = from_json(arguments)
                key: CallKey = (call.name, frozenset(value.items()))
            except (ValueError, TypeError, AttributeError):  # not JSON, nested, not an object
                break
            if key in first:
                break
            first[key] = arguments
            admitted[call.id] = key
            fresh += 1
        else:
            return None, None
        return self._admit_from(calls, fresh, self._admit_counted)

    def _admit_from(
        self,
        calls: Sequence[ToolCall],
        start: int,
        admit: Callable[[ToolCall], tuple[ToolResult | None, GuardStop | None]],
    ) -> tuple[dict[int, ToolResult] | None, GuardStop | None]:
        """`admit_all`'s answer for the calls from ``start`` on, each through ``admit``."""
        refused: dict[int, ToolResult] | None = None
        stop: GuardStop | None = None
        for i in range(start, len(calls)):
            refusal, reason = admit(calls[i])
            if refusal is not None:
                if refused is None:
                    refused = {}
                refused[i] = refusal
            stop = reason or stop
        return refused, stop

    def _admit_counted(self, call: ToolCall) -> tuple[ToolResult | None, GuardStop | None]:
        """`admit`, for a call already counted."""
        return self._admit_keyed(call, self._key(call))

    def _over_limit(self, call: ToolCall, limit: int) -> tuple[ToolResult, GuardStop | None]:
        refusal = _refusal(
            call,
            f"Not run: this run's limit of {limit} tool calls is reached. "
            "Answer with what you have.",
        )
        return self._refused(call, refusal, "max_tool_calls")

    def _admit_keyed(
        self, call: ToolCall, key: CallKey
    ) -> tuple[ToolResult | None, GuardStop | None]:
        """`admit`, once the call is counted and keyed."""
        if key in self._first:
            seen = self._repeats[key] = self._repeats.get(key, 1) + 1
        else:
            self._first[key] = call.arguments
            seen = 1
        if self._unread:
            self._answers()
        earlier = self._answered.get(key) if call.name == self._answered_tool else None
        if earlier is not None and self.on_repeat != "run":
            return self._repeat(call, earlier, seen)
        if seen < self.repeat_limit:
            self._admitted[call.id] = key
            return None, None
        refusal = _refusal(
            call,
            f"Not run: you have now called {call.name} with these same arguments "
            f"{seen} times, and it will not give a different result. Do not repeat "
            "it: answer with what you have, or try something else.",
        )
        return self._refused(call, refusal, "loop_guard" if seen > self.repeat_limit else None)

    def _refused(
        self, call: ToolCall, answer: ToolResult, stop: GuardStop | None
    ) -> tuple[ToolResult, GuardStop | None]:
        """What `admit` returns for a call it does not run; `on_refusal` is told of it."""
        if self.on_refusal is not None:
            self.on_refusal(call, answer, stop)
        return answer, stop

    def remember(self, calls: Sequence[ToolCall], results: Sequence[ToolResult]) -> None:
        """Keep the result of each call that ran, for `admit` to answer a repeat of it.

        Only calls `admit` let through ran: one refused, cut off or withheld changed nothing,
        and its result is no answer. Once a tool has run, the results of the others are
        forgotten.
        """
        if len(calls) != len(results):
            msg = f"{len(calls)} calls and {len(results)} results: one result per call."
            raise ValueError(msg)
        # Kept as given, and read only when a call the run has seen before needs the
        # answers (`_answers`): most runs repeat nothing, and reading each result as it
        # comes costs as much as keying its call.
        if not isinstance(calls, tuple):
            calls = tuple(calls)
        if not isinstance(results, tuple):
            results = tuple(results)
        self._unread.append((self._admitted, calls, results))
        self._admitted = {}

    def _answers(self) -> None:
        """Read the turns `remember` was given, in order, into the answers a repeat may get."""
        answered = self._answered
        for admitted, calls, results in self._unread:
            # Not zip(strict=True): its end raises and catches StopIteration, at every turn.
            for call, result in zip(calls, results):  # noqa: B905 (remember checked the lengths)
                key = admitted.pop(call.id, None)
                if key is None:
                    continue
                if call.name != self._answered_tool:
                    answered = self._answered = {}
                    self._answered_tool = call.name
                if result.error_kind not in _TRANSIENT:
                    answered[key] = result
        self._unread.clear()

    def replay(self, messages: Sequence[Message], unadmitted: Container[str] = ()) -> None:
        """Show the guard a conversation's calls and results, as the run showed it them.

        Each turn's calls go through `admit` in order, but those in ``unadmitted`` (calls
        the run never admitted: cut off, or withheld by a content filter), and then the
        turn's results through `remember`. A turn whose results are not all there (a
        paused turn) is admitted, not remembered.
        """
        # What the history's calls met was reported when they were made, not now.
        listener, self.on_refusal = self.on_refusal, None
        try:
            turn: AssistantTurn | None = None
            results: dict[str, ToolResult] = {}
            for message in messages:
                if isinstance(message, ToolResult):
                    results[message.call_id] = message
                elif isinstance(message, AssistantTurn):
                    self._replay_turn(turn, results, unadmitted)
                    turn, results = message, {}
            self._replay_turn(turn, results, unadmitted)
        finally:
            self.on_refusal = listener

    def _replay_turn(
        self,
        turn: AssistantTurn | None,
        results: dict[str, ToolResult],
        unadmitted: Container[str],
    ) -> None:
        if turn is None or not turn.tool_calls:
            return
        calls = turn.tool_calls
        for call in calls:
            if call.id not in unadmitted:
                self.admit(call)
        answered = [results.get(call.id) for call in calls]
        if None in answered:
            self._admitted.clear()
            return
        self.remember(calls, cast("list[ToolResult]", answered))

    def _key(self, call: ToolCall) -> CallKey:
        """The call as the guards compare it: the same for arguments equal as JSON.

        Key order and spacing do not matter; a value stays apart from an equal one of
        another type (``1``, ``1.0`` and ``true`` differ). Flat arguments, the common case,
        are keyed by the set of their items, which takes no sorting and no writing out, but
        in which ``1``, ``1.0`` and ``true`` are equal: a second call with such a key is
        compared with the first, type by type, and keyed apart if it differs. Parsed by
        pydantic-core: the guard reads every call of the run, and the standard library's
        ``json`` takes six times as long.
        """
        arguments = call.arguments
        if isinstance(arguments, str):
            try:
                value: Any = from_json(arguments)
            except ValueError:  # not JSON: the text is its own key
                return call.name, arguments
        else:
            value = dict(arguments)
        if isinstance(value, dict):
            items = cast("dict[Any, Any]", value)
            try:
                key = (call.name, frozenset(items.items()))
            except TypeError:  # a value is a list or an object: written out below
                pass
            else:
                first = self._first.get(key)
                if first is None or first is call.arguments:
                    return key
                if _typed(_parsed(first)) == _typed(items):
                    return key
                return call.name, _typed(items)
        return call.name, _written(value)

    def _repeat(
        self, call: ToolCall, earlier: ToolResult, seen: int
    ) -> tuple[ToolResult, GuardStop | None]:
        """The answer to a call the run already has the result of, as ``on_repeat`` says."""
        mode = self.on_repeat
        past_limit = seen > self.repeat_limit
        if mode == "answer" and not past_limit:
            self.answer_next = True
            reminder = (
                f"You already called {call.name} with these arguments; the result is the "
                "same as before. Answer the user now with the results you have. "
            )
            verb = "It failed: " if earlier.is_error else "Result: "
            content = reminder + verb + earlier.content
            answer = replace(earlier, call_id=call.id, content=content, repaired=(), duration=0.0)
            return self._refused(call, answer, None)
        refusal = _refusal(
            call,
            f"Not run: you already called {call.name} with these same arguments, and it "
            "will not give a different result. Answer with what you have, or try something "
            "else.",
        )
        return self._refused(call, refusal, "loop_guard" if mode == "stop" or past_limit else None)


@dataclass(frozen=True, slots=True)
class GuardMemory:
    """Where a run's loop guard stands, as a `RunState` keeps it (``state.guard``).

    The guard's own memory is rebuilt from the conversation (`CallGuard.replay`); the state
    keeps only what the conversation does not say.

    Attributes:
        start: The index of the first message the guard saw (earlier ones were history).
        unadmitted: The ids of calls that never went through the guard (cut off, withheld).
        stop: A reason to stop the run that the turn it paused on had given.
    """

    start: int = 0
    unadmitted: tuple[str, ...] = ()
    stop: RunStopReason | None = None

    def to_json(self) -> dict[str, Any]:
        """The JSON form kept in ``RunState.guard``."""
        data: dict[str, Any] = {"from": self.start, "unadmitted": list(self.unadmitted)}
        if self.stop is not None:
            data["stop"] = self.stop
        return data

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GuardMemory:
        """The memory of `to_json`'s form; ``{}`` (a state written elsewhere): from the start.

        Raises:
            RunStateError: A field has the wrong type.
        """
        start = data.get("from", 0)
        unadmitted = data.get("unadmitted", [])
        stop = data.get("stop")
        if not isinstance(start, int) or isinstance(start, bool) or start < 0:
            _wrong_memory("The run state's guard.from", "an integer of 0 or more", start)
        if not isinstance(unadmitted, list) or not all(
            isinstance(i, str) for i in cast("list[Any]", unadmitted)
        ):
            _wrong_memory("The run state's guard.unadmitted", "a list of call ids", unadmitted)
        if stop is not None and stop not in _STOPS:
            _wrong_memory("The run state's guard.stop", f"one of {sorted(_STOPS)}", stop)
        return cls(start, tuple(cast("list[str]", unadmitted)), cast("RunStopReason | None", stop))


def _wrong_memory(where: str, expected: str, value: Any) -> NoReturn:
    shown = repr(value)
    message = f"{where} should be {expected}, but is {shown[:60]}."
    raise RunStateError(message)


def _parsed(arguments: str | Mapping[str, Any]) -> dict[Any, Any]:
    return from_json(arguments) if isinstance(arguments, str) else dict(arguments)


def _typed(items: dict[Any, Any]) -> frozenset[tuple[Any, Any, type]]:
    """Flat arguments as a set that keeps each value's type: ``1`` and ``true`` differ."""
    values = items.values()
    return frozenset(zip(items, values, map(type, values), strict=True))


def _written(value: Any) -> str | bytes:
    """Arguments with lists or objects inside, written out with the keys of each in order."""
    try:
        return to_json(_sorted(value), fallback=str, inf_nan_mode="constants")
    except (ValueError, TypeError, RecursionError):  # keys that do not sort, or a cycle
        return repr(value)


def _sorted(value: Any) -> Any:
    """``value`` with the keys of every object in it in order."""
    if isinstance(value, dict):
        # The keys of a dict differ, so sorting its items never compares two values.
        items = cast("dict[Any, Any]", value)
        return {key: _sorted(item) for key, item in sorted(items.items())}
    if isinstance(value, list):
        return [_sorted(item) for item in cast("list[Any]", value)]
    return value


def _refusal(call: ToolCall, message: str) -> ToolResult:
    return ToolResult(call.id, call.name, message, is_error=True, error_kind="denied")
