"""Run a batch of tool calls: concurrently, capped, isolated, with timeouts and retries.

Every call gets exactly one `ToolResult`, in the order of the calls, carrying the call's
id. Whatever the model did wrong (an unknown name, bad JSON, invalid arguments) and
whatever the tool or a hook did wrong (raising, ``sys.exit``, hanging) becomes an error
result written for the model; only cancellation of the whole run and ``KeyboardInterrupt``
propagate. Sync tools run in the executor's own `ToolThreads`, so a tool that never
returns costs its thread, never the batch's deadline or the program's exit.

A call goes through: lookup -> parse and repair -> before-hooks -> approval ->
validation -> execution (semaphores, timeout, retries) -> serialisation -> after-hooks.
The common call (clean JSON, for a tool with no hook, approval, limit or slot around it)
takes a short way through the same steps, skipping those with nothing to do.

A call that must wait (a ``requires_approval`` tool with no ``approve=`` callback, an
``external`` tool, a tool that raises `ApprovalRequired` or `CallDeferred`) is put in
``ExecutorState.pending`` when the caller keeps one (the loop does, to pause its run); its
place in the results holds a stand-in the caller must not use. With no place to put it (a
plain `Toolbox.execute`) such a call is refused with an error result.
"""

from __future__ import annotations

import asyncio
import difflib
import functools
import inspect
import logging
import time
import weakref
from collections.abc import Awaitable, Callable, Iterable, Iterator, Sequence
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING, Any, Protocol, TypedDict

from switchboard.errors import ArgumentsError, ConfigurationError, ToolError
from switchboard.execution.arguments import ParsedArguments, UnparsableArguments, parse_arguments
from switchboard.execution.handlers import call_handler, handler_arguments
from switchboard.execution.lanes import run_in_lanes
from switchboard.execution.results import (
    DEFAULT_MAX_RESULT_CHARS,
    PART_HOLDERS,
    WritableResult,
    describe_parts,
    new_result,
    result_parts,
    to_content,
)
from switchboard.execution.threads import CallProgress, ToolThreads
from switchboard.messages import ContentPart, ErrorKind, ToolCall, ToolResult
from switchboard.runs.approval import ApprovalRequired, CallDeferred, PendingCall, PendingKind
from switchboard.telemetry import notes
from switchboard.tools.context import ProgressListener
from switchboard.tools.tool import Tool

if TYPE_CHECKING:
    from switchboard.tools.registry import ToolRegistry
    from switchboard.tools.validation import JsonReader

logger = logging.getLogger("switchboard")

_now = time.perf_counter


@dataclass(frozen=True, slots=True)
class Denial:
    """Returned by a before-hook to refuse a call; ``reason`` is shown to the model."""

    reason: str


BeforeHook = Callable[
    [ToolCall, Tool], "ToolCall | Denial | Awaitable[ToolCall | Denial | None] | None"
]
"""Sees each call (arguments parsed to a dict) before it runs: return ``None`` to let it
run, a `ToolCall` to run that instead, or a `Denial` to refuse it."""
AfterHook = Callable[[ToolCall, ToolResult], "ToolResult | Awaitable[ToolResult | None] | None"]
"""Sees each result: return ``None`` to keep it, or a `ToolResult` to send instead."""
Approver = Callable[[ToolCall, Tool], "bool | Awaitable[bool]"]
"""Decides calls of tools marked ``requires_approval``: ``True`` runs the call."""
ErrorFormatter = Callable[[Exception, Tool], "str | None"]
"""Writes the message the model reads for an exception a tool raised (``None``: default)."""

# Model-caused failures count towards a tool's max_retries; timeouts and denials do not.
_COUNTED: frozenset[ErrorKind] = frozenset({"unparsable", "invalid", "raised"})

# Arguments longer than this are parsed in a worker thread: repairing them may take a while.
_OFF_LOOP_CHARS = 65_536


class ExecutorOptions(TypedDict, total=False):
    """The settings of an `Executor`, as keywords of `Toolbox.execute`."""

    max_concurrency: int
    timeout: float | None
    before: Sequence[BeforeHook]
    after: Sequence[AfterHook]
    approve: Approver | None
    format_error: ErrorFormatter | None
    max_result_chars: int


class CallRecorder(Protocol):
    """Told when a call's code starts and when its result is ready (a run store's writer)."""

    async def started(self, call: ToolCall, tool: Tool) -> None:
        """Awaited just before the tool's code runs: after approval and validation.

        Raising refuses the call: it does not run, and fails as an internal error.
        """
        ...

    async def finished(self, call: ToolCall, result: ToolResult) -> None:
        """Awaited with the result of each call `started` was told of, after-hooks applied.

        It must not raise: an exception would leave the batch without its results.
        """
        ...


class CallObserver(Protocol):
    """Told as each call begins and ends, the long way (a tracer: see `switchboard.telemetry`).

    With an observer, every call goes the long way (`_Batch.run`), so it hears of each.
    """

    def call_began(self, call: ToolCall) -> object:
        """Called as ``call`` begins, before it is parsed; returns what `call_ended` gets."""
        ...

    def call_ended(
        self,
        call: ToolCall,
        result: ToolResult | None,
        began: object,
        waiting: PendingCall | None,
    ) -> None:
        """Called in the same task once ``call`` ended: its result (``None``: cancelled).

        ``waiting``: the call waits (for approval, or for the application); ``result`` is
        then only its stand-in. It must not raise.
        """
        ...


@dataclass
class ExecutorState:
    """What the executor remembers between the batches of one run, and what it tells it.

    Attributes:
        failures: Tool name -> failing calls in a row (reset by a success).
        pending: Where calls that must wait (for a human, or for the application) are put,
            by call id; ``None``: such calls are refused with an error result.
        approved: The ids of calls a human approved: they run without asking again.
        recorder: Told when each call starts and finishes (see `CallRecorder`).
        observer: Told as each call begins and ends (see `CallObserver`).
    """

    # A lambda, not dict[str, int]: calling the generic alias costs five times as much.
    failures: dict[str, int] = field(default_factory=lambda: {})
    pending: dict[str, PendingCall] | None = None
    approved: frozenset[str] = frozenset()
    recorder: CallRecorder | None = None
    observer: CallObserver | None = None


@dataclass(frozen=True)
class Executor:
    """Runs batches of calls against a `Toolbox` (any `ToolRegistry`).

    Attributes:
        max_concurrency: At most this many calls of a batch run at once.
        timeout: Seconds for the whole batch; calls still running then get timeout errors.
        before: Hooks run before each call, in order (see `BeforeHook`).
        after: Hooks run on each result, in order (see `AfterHook`).
        approve: Decides calls of tools marked ``requires_approval``; without it such
            calls wait in ``ExecutorState.pending`` (a run pauses on them), or are denied
            when the caller keeps no pending calls.
        format_error: Writes the model's message for an exception a tool raised.
        max_result_chars: Results longer than this are cut, with a marker.

    Sync tools run in worker threads of the executor's own (`ToolThreads`): at most
    ``max_concurrency`` at once, and as many again to stand in for threads still held by
    calls that timed out. A timed-out sync call cannot be killed: its thread runs on until
    the tool returns, and its result is dropped.
    """

    max_concurrency: int = 16
    timeout: float | None = None
    before: Sequence[BeforeHook] = ()
    after: Sequence[AfterHook] = ()
    approve: Approver | None = None
    format_error: ErrorFormatter | None = None
    max_result_chars: int = DEFAULT_MAX_RESULT_CHARS
    threads: ToolThreads = field(init=False, repr=False, compare=False)
    """The worker threads sync tools run in."""
    small_int: int = field(init=False, repr=False, compare=False)
    """Ints closer to 0 than this are written as results without being cut."""

    def __post_init__(self) -> None:
        if self.max_concurrency < 1:
            msg = f"max_concurrency must be at least 1 (got {self.max_concurrency})."
            raise ConfigurationError(msg)
        if self.timeout is not None and self.timeout <= 0:
            msg = f"timeout must be a positive number of seconds or None (got {self.timeout})."
            raise ConfigurationError(msg)
        threads = ToolThreads(self.max_concurrency)
        object.__setattr__(self, "threads", threads)
        # An executor made for one call (execute with options) takes its idle threads with
        # it, rather than leaving them to wait out their idle time. At exit they are daemons.
        weakref.finalize(self, threads.close).atexit = False
        # |n| < 10**k has at most k digits and a sign: k + 1 characters, none cut.
        digits = min(9, self.max_result_chars - 1)
        object.__setattr__(self, "small_int", 10**digits if digits >= 0 else 0)

    async def execute(
        self,
        toolbox: ToolRegistry,
        calls: Iterable[ToolCall],
        *,
        deps: Any = None,
        state: ExecutorState | None = None,
        deadline: float | None = None,
        on_progress: ProgressListener | None = None,
    ) -> list[ToolResult]:
        """Run a batch of calls and return one result per call, in the calls' order.

        Calls run concurrently, except those of ``sequential`` tools, which run one at a
        time in their order after the others have finished.

        Args:
            toolbox: Where the calls' tools are looked up.
            calls: The calls, as the model made them.
            deps: Passed to tools as ``RunContext.deps``.
            state: Carries failure counts across the batches of a run.
            deadline: The event loop's time by which the run the batch belongs to must
                end: calls still running then get timeout results, as at ``timeout``.
            on_progress: Receives what tools report with ``RunContext.report_progress``
                (from a worker thread, for a sync tool).
        """
        batch = _Batch(self, toolbox, deps, state, deadline, on_progress)
        calls = list(calls)
        results: list[ToolResult | None] = [None] * len(calls)
        if len(calls) == 1:  # nothing to order or share out
            await batch.run_lane(calls, results, iter(_FIRST))
        else:
            in_turn = _sequential_indices(toolbox, calls)
            together: Sequence[int] = range(len(calls))
            if in_turn:
                sequential = set(in_turn)
                together = [i for i in together if i not in sequential]
            lane = functools.partial(batch.run_lane, calls, results)
            await run_in_lanes(lane, together, self.max_concurrency)
            await run_in_lanes(lane, in_turn, 1)
        # Every position now holds its call's result: an exception would have left the lanes.
        return results  # pyright: ignore[reportReturnType]


_FIRST = (0,)

_NONE: set[str] = set()
"""The started calls of a batch with no recorder, which has none (never added to)."""

_Way = tuple["Tool | None", "JsonReader", "Callable[..., Awaitable[Any]] | None"]
"""How a batch runs a tool's calls: the tool, the reader of their JSON text, and the handler
to await on what it read when nothing else is to be done; the tool None: the long way.
Looked up once per tool and batch, not once per call."""


def _unread(text: str) -> None:
    """The reader of the long way's calls, never called: the long way parses for itself."""
    del text


_LONG_WAY: _Way = (None, _unread, None)


def _sequential_indices(toolbox: ToolRegistry, calls: list[ToolCall]) -> list[int]:
    """The positions of the calls to ``sequential`` tools, in order."""
    sequential = toolbox.sequential_names
    return [i for i, call in enumerate(calls) if call.name in sequential] if sequential else []


class _Batch:
    """One batch's shared state: limits, deadline, dependencies, run state."""

    # Made per batch: slots and no event-loop lookup unless a time limit needs one.
    __slots__ = (
        "deadline",
        "deps",
        "executor",
        "failed",
        "on_progress",
        "plain",
        "recorded",
        "recorder",
        "run_bound",
        "state",
        "threads",
        "tool_slots",
        "toolbox",
        "ways",
    )

    def __init__(
        self,
        executor: Executor,
        toolbox: ToolRegistry,
        deps: Any,
        state: ExecutorState | None,
        run_deadline: float | None = None,
        on_progress: ProgressListener | None = None,
    ) -> None:
        self.executor = executor
        self.toolbox = toolbox
        self.deps = deps
        self.on_progress = on_progress
        self.state = state  # made on the first failure when the caller keeps none
        self.threads = executor.threads
        self.tool_slots: dict[str, asyncio.Semaphore] = {}
        self.failed: set[str] = set()  # tools whose failures this batch has counted
        self.ways: dict[str, _Way] = {}  # tool name -> how its calls run (`run_lane`)
        own = None
        if executor.timeout is not None:
            own = asyncio.get_running_loop().time() + executor.timeout
        self.run_bound = run_deadline is not None and (own is None or run_deadline < own)
        self.deadline = run_deadline if self.run_bound else own
        self.recorder = recorder = state.recorder if state is not None else None
        # The ids of the calls the recorder was told had started: it hears of their end.
        self.recorded: set[str] = _NONE if recorder is None else set()
        self.plain = (
            not executor.before
            and self.deadline is None
            and recorder is None
            and (state is None or state.observer is None)
        )

    async def run_lane(
        self, calls: Sequence[ToolCall], results: list[ToolResult | None], pending: Iterator[int]
    ) -> None:
        """Run the calls at the positions ``pending`` gives, one after another, into ``results``.

        The common call is run here: clean JSON for a tool with nothing around it (no
        before-hook, no batch time limit, and see `Tool.direct`), its handler awaited with no
        coroutine of ours around it; a coroutine per call costs more than a trivial call
        (see benchmarks/dispatch.py). The others, and what `Tool.validate_json` leaves, go
        the long way (`run`).

        One clock read per call: a call starts when the lane's previous call (with its
        after-hooks) ended, the lane doing nothing in between but take the next call.
        """
        ways = self.ways
        after = self.executor.after
        small = self.executor.small_int
        max_chars = self.executor.max_result_chars
        started = _now()
        for i in pending:
            call = calls[i]
            way = ways.get(call.name)
            if way is None:
                way = ways[call.name] = self._way(call.name)
            tool, read, handler = way
            text = call.arguments
            if tool is None or text.__class__ is not str:
                results[i] = await self.run(call, started)
                started = _now()
                continue
            try:
                kwargs = read(text)  # pyright: ignore[reportArgumentType]
                if kwargs is None:
                    results[i] = await self.run(call, started)
                    started = _now()
                    continue
                try:
                    value = await (
                        handler(**kwargs)
                        if handler is not None
                        else call_handler(tool, (), kwargs, self.threads)
                    )
                except BaseException as e:
                    _reraise_control(e)
                    outcome = self._raised(call, tool, e, None)
                    if isinstance(outcome, _Pending):
                        results[i] = self._pend(call, outcome)
                        started = _now()
                        continue
                    result = self._failed(call, outcome, _now() - started)
                else:
                    ended = _now()
                    state = self.state
                    if state is not None and state.failures:
                        state.failures.pop(tool.name, None)
                    parts: tuple[ContentPart, ...] = ()
                    # A small int, the commonest result, written without to_content's checks.
                    if value.__class__ is int and -small < value < small:
                        content = str(value)
                    elif value.__class__ in PART_HOLDERS and (found := result_parts(value)):
                        parts, value = found, None
                        content = describe_parts(parts, max_chars)
                    else:
                        content = to_content(value, max_chars)
                    # new_result, inlined: calling it would cost a quarter of what it does.
                    record = WritableResult()
                    record.call_id = call.id
                    record.name = tool.name
                    record.content = content
                    record.is_error = False
                    record.error_kind = None
                    record.repaired = ()
                    record.duration = ended - started
                    record.value = value
                    record.parts = parts
                    record.__class__ = ToolResult  # pyright: ignore[reportAttributeAccessIssue]
                    result: ToolResult = record  # pyright: ignore[reportAssignmentType]
                    if not after:
                        results[i] = result
                        started = ended
                        continue
            except ArgumentsError as e:
                failure = _Failure("invalid", _invalid_message(e), tool=tool)
                result = self._failed(call, failure, _now() - started)
            except BaseException as e:
                result = self._failed(call, _internal_failure(call, e), _now() - started)
            results[i] = await self._after(call, result) if after else result
            started = _now()

    def _way(self, name: str) -> _Way:
        """How `run_lane` runs the calls of ``name`` in this batch (see `_Way`)."""
        tool = self.toolbox.find(name) if self.plain else None
        if tool is None or not tool.direct:
            return _LONG_WAY
        try:
            read = tool.validate_json  # built on a tool's first call: it may fail
        except BaseException as e:
            _reraise_control(e)
            return _LONG_WAY  # where the failure becomes the call's result
        return tool, read, tool.handler if tool.is_async and tool.retry is None else None

    def run(self, call: ToolCall, started: float) -> Awaitable[ToolResult]:
        """Run one call the long way (see `run_lane`), started at ``started``."""
        state = self.state
        observer = state.observer if state is not None else None
        if observer is None:
            return self._long_way(call, started)
        return self._observed(observer, call, started)

    async def _observed(self, observer: CallObserver, call: ToolCall, started: float) -> ToolResult:
        """`run`, its observer told as the call begins and ends."""
        began = observer.call_began(call)
        result: ToolResult | None = None
        try:
            result = await self._long_way(call, started)
            return result
        finally:
            pending = self.state.pending if self.state is not None else None
            waiting = pending.get(call.id) if pending and result is not None else None
            observer.call_ended(call, result, began, waiting)

    async def _long_way(self, call: ToolCall, started: float) -> ToolResult:
        try:
            outcome = await self._run(call, started)
        except BaseException as e:
            outcome = _internal_failure(call, e)
        if isinstance(outcome, _Pending):
            return self._pend(call, outcome)
        result = (
            self._failed(call, outcome, _now() - started)
            if isinstance(outcome, _Failure)
            else outcome
        )
        if self.executor.after:
            result = await self._after(call, result)
        recorder = self.recorder
        if recorder is not None and call.id in self.recorded:
            await recorder.finished(call, result)
        return result

    def _pend(self, call: ToolCall, pending: _Pending) -> ToolResult:
        """Put ``call`` among the pending calls; the stand-in for its result."""
        state = self.state
        # Made only where the caller keeps pending calls.
        assert state is not None
        assert state.pending is not None
        state.pending[call.id] = PendingCall(
            call.id, call.name, call.arguments, pending.reason, pending.kind
        )
        return ToolResult(call.id, call.name, "Waiting.", True, "denied")

    def _raised(
        self, call: ToolCall, tool: Tool, error: BaseException, parsed: ParsedArguments | None
    ) -> _Failure | _Pending:
        """What a tool's exception makes of its call: a failure, or a pause."""
        if not isinstance(error, ApprovalRequired | CallDeferred):
            return _Failure("raised", self._error_message(error, tool), tool=tool, parsed=parsed)
        kind: PendingKind = "approval" if isinstance(error, ApprovalRequired) else "external"
        if kind == "approval" and self.approved(call):
            message = (
                f"{tool.name} asked for approval again after this call was approved: it "
                f"did not run. {error.reason}".rstrip()
            )
            return _Failure("raised", message, tool=tool, parsed=parsed)
        return self._wait(tool, kind, error.reason)

    def _wait(self, tool: Tool, kind: PendingKind, reason: str) -> _Failure | _Pending:
        """A call that must wait: pending where the caller keeps pending calls, else refused."""
        state = self.state
        if state is not None and state.pending is not None:
            return _Pending(kind, reason)
        if kind == "external":
            message = (
                f"Not run: {tool.name} is run by the application, not here, and there is no "
                "run to hand the call to."
            )
        else:
            logger.warning("Tool %r requires approval, and no one can be asked", tool.name)
            message = (
                f"Not run: this call to {tool.name} needs the user's approval, and there is "
                "no one to ask."
            )
        if reason:
            message += f" {reason}"
        return _Failure("denied", message, tool=tool)

    def approved(self, call: ToolCall) -> bool:
        """Whether a human approved ``call`` (``ExecutorState.approved``)."""
        state = self.state
        return state is not None and call.id in state.approved

    async def _after(self, call: ToolCall, result: ToolResult) -> ToolResult:
        for hook in self.executor.after:
            try:
                replacement = await _resolve(hook(call, result))
            except BaseException as e:
                _reraise_control(e)
                logger.exception("An after-hook failed on the result of call %r", call.id)
                return _hook_failed(call, result, e)
            result = replacement if replacement is not None else result
        return result

    async def _run(self, call: ToolCall, started: float) -> ToolResult | _Failure | _Pending:
        model_call = call
        prepared = await self._prepare(call)
        if isinstance(prepared, _Failure):
            return prepared
        tool, parsed = prepared
        if self.executor.before or tool.requires_approval:  # they see parsed arguments
            call = replace(call, arguments=parsed.value)
        for hook in self.executor.before:
            verdict = await _resolve(hook(call, tool))
            if isinstance(verdict, Denial):
                return _Failure("denied", f"The call was denied: {verdict.reason}", tool=tool)
            if verdict is not None:  # a rewritten call: look it up and parse it again
                prepared = await self._prepare(verdict)
                if isinstance(prepared, _Failure):
                    return prepared
                tool, parsed = prepared
                call = replace(verdict, arguments=parsed.value)
        asks = tool.requires_approval and not self.approved(model_call)
        if asks and self.executor.approve is not None and not await self._approved(call, tool):
            return _Failure(
                "denied", f"The user did not approve this call to {tool.name}.", tool=tool
            )
        try:
            kwargs = tool.validate(parsed.value)
        except ArgumentsError as e:
            return _Failure("invalid", _invalid_message(e), tool=tool, parsed=parsed)
        # Only valid calls wait: the model can fix the others without anyone's help.
        if tool.external:
            return self._wait(tool, "external", "")
        if asks and self.executor.approve is None:
            return self._wait(tool, "approval", "")
        return await self._execute(model_call, call, tool, kwargs, parsed, started)

    async def _prepare(self, call: ToolCall) -> tuple[Tool, ParsedArguments] | _Failure:
        if call.name not in self.toolbox:
            return _Failure("unknown_tool", _unknown_tool_message(call.name, self.toolbox.names))
        tool = self.toolbox.get(call.name)
        arguments = call.arguments
        try:
            if isinstance(arguments, str) and len(arguments) > _OFF_LOOP_CHARS:
                parsed = await asyncio.to_thread(parse_arguments, arguments, accepts=tool.accepts)
            else:
                parsed = parse_arguments(arguments, accepts=tool.accepts)
        except UnparsableArguments as e:
            return _Failure("unparsable", e.message, tool=tool)
        return tool, parsed

    async def _approved(self, call: ToolCall, tool: Tool) -> bool:
        approve = self.executor.approve
        assert approve is not None  # only asked when there is an approver
        approved = await _resolve(approve(call, tool))
        notes.approval_decided(bool(approved))
        return approved

    async def _execute(
        self,
        model_call: ToolCall,
        call: ToolCall,
        tool: Tool,
        kwargs: dict[str, Any],
        parsed: ParsedArguments,
        started: float,
    ) -> ToolResult | _Failure | _Pending:
        """Run ``call`` (``model_call`` as the before-hooks left it) now that it may run."""
        approved = self.approved(model_call)
        args = handler_arguments(
            tool, kwargs, self.deps, call.id, self.on_progress, approved=approved
        )
        threads = self.executor.threads
        recorder = self.recorder
        if recorder is not None:
            # Before the call's slot is taken: a call recorded as started that then waited
            # past its time limit is answered, and a crash in between only makes it look
            # as if it might have run.
            await recorder.started(model_call, tool)
            self.recorded.add(model_call.id)
        if self.deadline is None and tool.timeout is None and tool.max_concurrency is None:
            # No timers to arm, no slot to take.
            try:
                value = await call_handler(tool, args, kwargs, threads)
            except BaseException as e:
                _reraise_control(e)
                return self._raised(model_call, tool, e, parsed)
            return self._succeeded(call, tool, value, parsed.repairs, started)
        # The batch's deadline covers waiting for the tool's slot; its own limit its run and
        # the wait for a worker thread.
        batch_limit = asyncio.timeout_at(self.deadline)
        tool_limit = asyncio.timeout(tool.timeout)
        progress = CallProgress()
        slot_taken = False
        try:
            async with batch_limit, self._tool_slot(tool):
                slot_taken = True
                async with tool_limit:
                    value = await call_handler(tool, args, kwargs, threads, progress)
        except TimeoutError:
            if tool_limit.expired():
                limit = f"its {tool.timeout:g} s time limit"
            elif batch_limit.expired():
                limit = "the run's time limit" if self.run_bound else "the batch's time limit"
            else:
                raise
            if not progress.started:
                message = _not_started(tool, limit, threads, waited_for_slot=not slot_taken)
                return _Failure("not_started", message, tool=tool, parsed=parsed)
            message = f"{tool.name} did not finish within {limit}."
            return _Failure("timeout", message, tool=tool, parsed=parsed)
        except BaseException as e:
            _reraise_control(e)
            return self._raised(model_call, tool, e, parsed)
        return self._succeeded(call, tool, value, parsed.repairs, started)

    def _tool_slot(self, tool: Tool) -> asyncio.Semaphore | _NoLimit:
        if tool.max_concurrency is None:
            return _NO_LIMIT
        slot = self.tool_slots.get(tool.name)
        if slot is None:
            slot = self.tool_slots[tool.name] = asyncio.Semaphore(tool.max_concurrency)
        return slot

    def _error_message(self, error: BaseException, tool: Tool) -> str:
        if self.executor.format_error is not None and isinstance(error, Exception):
            custom = self.executor.format_error(error, tool)
            if custom is not None:
                return custom
        if isinstance(error, ToolError):
            return error.message
        return f"{tool.name} raised {type(error).__name__}: {error}"

    def _succeeded(
        self, call: ToolCall, tool: Tool, value: Any, repaired: tuple[str, ...], started: float
    ) -> ToolResult:
        duration = _now() - started
        if self.state is not None and self.state.failures:
            self.state.failures.pop(tool.name, None)
        # A small int, the commonest result, written without to_content's checks.
        small = self.executor.small_int
        if value.__class__ is int and -small < value < small:
            content = str(value)
        elif value.__class__ in PART_HOLDERS and (parts := result_parts(value)):
            content = describe_parts(parts, self.executor.max_result_chars)
            return new_result(
                call.id, tool.name, content, False, None, repaired, duration, None, parts
            )
        else:
            content = to_content(value, self.executor.max_result_chars)
        return new_result(call.id, tool.name, content, False, None, repaired, duration, value)

    def _failed(self, call: ToolCall, failure: _Failure, duration: float) -> ToolResult:
        repaired = failure.parsed.repairs if failure.parsed is not None else ()
        name = failure.tool.name if failure.tool is not None else call.name
        kind, message = failure.kind, failure.message
        if kind in _COUNTED and failure.tool is not None:
            # A turn's failing calls of one tool count as one try: the model can only
            # learn from the results it gets back after the turn.
            if self.state is None:
                self.state = ExecutorState()
            failures = self.state.failures
            if name not in self.failed:
                self.failed.add(name)
                failures[name] = failures.get(name, 0) + 1
            count = failures.get(name, 0)
            if count > failure.tool.max_retries:
                kind = "retries_exhausted"
                message += (
                    f"\n{name} has now failed in {count} turns in a row. Do not call it again; "
                    "answer with what you have, or explain what went wrong."
                )
        return new_result(call.id, name, message, True, kind, repaired, duration, None)


# Private, short-lived and made per failed call: plain slots cost a third of frozen ones.
@dataclass(slots=True)
class _Failure:
    kind: ErrorKind
    message: str
    tool: Tool | None = None
    parsed: ParsedArguments | None = None


@dataclass(slots=True)
class _Pending:
    """A call that must wait: for a human (``approval``) or for the application."""

    kind: PendingKind
    reason: str


class _NoLimit:
    async def __aenter__(self) -> None:
        return None

    async def __aexit__(self, *exc: object) -> None:
        return None


_NO_LIMIT = _NoLimit()


async def _resolve(value: Any) -> Any:
    return await value if inspect.isawaitable(value) else value


def _not_started(tool: Tool, limit: str, threads: ToolThreads, *, waited_for_slot: bool) -> str:
    if waited_for_slot:
        why = f"{tool.max_concurrency} calls of it were already running"
    else:
        why = (
            f"all {threads.size} worker threads for sync tools were busy, "
            f"{threads.abandoned} of them with calls that timed out and are still running"
        )
    return (
        f"Not run: {tool.name} could not start within {limit}, because {why}. Call it again later."
    )


def _internal_failure(call: ToolCall, error: BaseException) -> _Failure:
    """The failure of a call that a hook or switchboard itself failed: only that call fails."""
    _reraise_control(error)
    logger.exception("Call %r to %r failed inside switchboard", call.id, call.name)
    return _Failure("raised", f"Internal error while running the tool: {error!r}")


def _reraise_control(error: BaseException) -> None:
    """Raise ``error`` again if it must stop the batch: cancellation, or Ctrl-C.

    Anything else, ``SystemExit`` from a tool included, fails only its own call.
    """
    if isinstance(error, asyncio.CancelledError | KeyboardInterrupt):
        raise error


def _hook_failed(call: ToolCall, result: ToolResult, error: BaseException) -> ToolResult:
    """The result sent when an after-hook raised on ``result``: the tool's output is withheld."""
    if result.is_error:
        outcome = f"{result.name} failed"
    else:
        outcome = f"{result.name} ran, and its call took effect: do not repeat it"
    message = (
        f"{outcome}. Its result cannot be shown: checking it raised {type(error).__name__}. "
        "Answer with what you have, or tell the user."
    )
    return ToolResult(
        call.id, result.name, message, True, "raised", result.repaired, result.duration, None
    )


def _unknown_tool_message(name: str, available: list[str]) -> str:
    close = difflib.get_close_matches(name, available, n=3, cutoff=0.5)
    hint = f" Did you mean {' or '.join(repr(c) for c in close)}?" if close else ""
    listed = ", ".join(available[:50]) + (
        f" and {len(available) - 50} more" if len(available) > 50 else ""
    )
    return f"There is no tool named {name!r}.{hint} Available tools: {listed or 'none'}."


def _invalid_message(error: ArgumentsError) -> str:
    lines = [f"- {problem}" for problem in error.problems[:10]]
    if len(error.problems) > 10:
        lines.append(f"- ... and {len(error.problems) - 10} more")
    body = "\n".join(lines)
    return f"Invalid arguments for {error.tool}:\n{body}\nCall {error.tool} again with these fixed."
