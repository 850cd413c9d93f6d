"""What every provider adapter implements, and the pieces they share.

An adapter does three mappings and nothing else: a `ModelRequest` (neutral messages,
tools, tool_choice) to its SDK's request; the SDK's response to a `ModelResponse`; the
SDK's exceptions to `ProviderError`s. Retrying transient failures is shared
(`call_with_retries`): every adapter builds its SDK client with the SDK's own retries
switched off, so a request is never retried twice over.
"""

from __future__ import annotations

import asyncio
import email.utils
import logging
import math
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, ClassVar, Literal, Protocol, TypeVar

from switchboard.errors import (
    ConfigurationError,
    ProviderAuthError,
    ProviderError,
    ProviderRateLimitError,
    ProviderRequestError,
    ProviderUnavailableError,
)
from switchboard.execution.retry import RetryPolicy
from switchboard.messages import AssistantTurn, Message, StopReason, Usage
from switchboard.tools.tool import Tool

if TYPE_CHECKING:
    from switchboard.streaming.events import StreamEvent

logger = logging.getLogger("switchboard")

T = TypeVar("T")
T_contra = TypeVar("T_contra", contravariant=True)

ToolChoice = Literal["auto", "none", "required"] | str
"""Whether and which tool the model must call: ``"auto"`` (it decides), ``"none"`` (no
call), ``"required"`` (at least one call, of any tool), or a tool's name (that tool)."""


@dataclass(frozen=True, slots=True)
class ModelSettings:
    """Sampling settings, the same for every provider; ``None`` leaves the provider's default.

    Attributes:
        max_tokens: The most tokens the model may write in one reply.
        temperature: Sampling temperature.
        seed: Seed for reproducible sampling, where the provider supports one.
    """

    max_tokens: int | None = None
    temperature: float | None = None
    seed: int | None = None


@dataclass(frozen=True, slots=True)
class ModelRequest:
    """One request to a model: the conversation so far and the tools it may call.

    Attributes:
        messages: The conversation, oldest first.
        tools: The tools offered this turn.
        tool_choice: See `ToolChoice`.
        parallel_tool_calls: Whether the model may make several calls in one turn;
            ``None`` leaves the provider's default.
        strict: Send tool schemas in OpenAI strict form where the provider has one.
        settings: Sampling settings.
    """

    messages: Sequence[Message]
    tools: Sequence[Tool] = ()
    tool_choice: ToolChoice = "auto"
    parallel_tool_calls: bool | None = None
    strict: bool = False
    settings: ModelSettings = field(default_factory=ModelSettings)


@dataclass(frozen=True, slots=True)
class ModelResponse:
    """A model's reply, with every provider difference removed.

    Attributes:
        turn: What the model said and which calls it made.
        usage: Tokens this request spent (``requests`` is 1).
        stop_reason: Why the model stopped.
        model: The model that answered, as the provider names it.
    """

    turn: AssistantTurn
    usage: Usage
    stop_reason: StopReason
    model: str = ""


class Provider(Protocol):
    """A model behind one wire protocol."""

    @property
    def name(self) -> str:
        """The provider's name, as in model strings: ``"openai"``, ``"anthropic"``, ..."""
        ...

    @property
    def model(self) -> str:
        """The model asked for."""
        ...

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Send one request and return the model's reply.

        Raises:
            ProviderError: The provider refused or failed the request (after retries).
            ConfigurationError: The request cannot be expressed for this provider
                (e.g. a ``tool_choice`` it has no form for).
        """
        ...

    def stream(
        self, request: ModelRequest, *, partial_args: bool = False
    ) -> AsyncIterator[StreamEvent]:
        """Send one request and yield the reply as it arrives, `TurnEnd` last.

        `TurnEnd.response` is the reply `complete` would have returned. A stream that
        breaks off ends with stop reason ``error``, its open calls cut (`ToolCallCut`).

        Args:
            request: The request.
            partial_args: Compute `ToolCallDelta.partial_args`.

        Raises:
            ProviderError: The provider refused or failed the request before the stream
                began (after retries).
        """
        ...


class SDKProvider:
    """What the adapters built on a provider's SDK share: name, model, retry policy.

    A subclass sets ``provider`` and calls ``super().__init__(model, retry)``; it sends
    each request through `_with_retries`.
    """

    provider: ClassVar[str]
    """The provider's name, as in model strings."""

    def __init__(self, model: str, retry: RetryPolicy) -> None:
        self._model = model
        self._retry = retry

    @property
    def name(self) -> str:
        """The provider's name, as in model strings: ``"openai"``, ``"anthropic"``, ..."""
        return self.provider

    @property
    def model(self) -> str:
        """The model asked for."""
        return self._model

    async def _with_retries(self, send: Callable[[], Awaitable[T]]) -> T:
        return await call_with_retries(send, policy=self._retry)


DEFAULT_RETRY = RetryPolicy(attempts=4, base=0.5, cap=30.0)
"""Provider retries: 4 tries in all, delays drawn up to 0.5, 1, 2 s (or ``Retry-After``)."""


async def call_with_retries(
    send: Callable[[], Awaitable[T]],
    *,
    policy: RetryPolicy = DEFAULT_RETRY,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """Run ``send``, retrying transient `ProviderError`s with backoff.

    A transient error (429, 5xx, timeout, reset) is retried up to ``policy.attempts``
    tries in all; the wait is the provider's ``Retry-After`` when it gave one, else full
    jitter. Any other error, and the last transient one, is raised.
    """
    attempt = 1
    while True:
        try:
            return await send()
        except ProviderError as e:
            if not e.transient or attempt >= policy.attempts:
                raise
            delay = e.retry_after if e.retry_after is not None else policy.delay(attempt)
            logger.warning(
                "%s; retrying in %.2f s (try %d of %d)", e, delay, attempt + 1, policy.attempts
            )
            await sleep(delay)
            attempt += 1


def api_key(explicit: str | None, variable: str, provider: str) -> str:
    """The API key given, else the one in ``variable``; raise naming both when neither is set."""
    key = explicit or os.environ.get(variable)
    if not key:
        msg = (
            f"No API key for {provider}: set the environment variable {variable} "
            f"or pass api_key=... ."
        )
        raise ConfigurationError(msg)
    return key


def require_tool_choice(choice: ToolChoice, tools: Sequence[Tool], provider: str) -> None:
    """Raise `ConfigurationError` if ``choice`` forces a call but names no offered tool."""
    if choice in ("auto", "none"):
        return
    if not tools:
        msg = f"tool_choice={choice!r} asks {provider} for a tool call, but no tools are offered."
        raise ConfigurationError(msg)
    if choice != "required" and all(tool.name != choice for tool in tools):
        names = ", ".join(tool.name for tool in tools)
        msg = f"tool_choice={choice!r} names no offered tool (offered: {names})."
        raise ConfigurationError(msg)


def status_error(
    provider: str, status: int, message: str, retry_after: float | None = None
) -> ProviderError:
    """The `ProviderError` for an HTTP error status, the same rule for every provider.

    401/403 -> `ProviderAuthError`; 429 -> `ProviderRateLimitError`; 5xx, 408 and 409
    (which the SDKs themselves treat as transient) -> `ProviderUnavailableError`; any other
    status -> `ProviderRequestError`.
    """
    if status in (401, 403):
        return ProviderAuthError(provider, message, status_code=status)
    if status == 429:
        return ProviderRateLimitError(
            provider, message, status_code=status, retry_after=retry_after
        )
    if status >= 500 or status in (408, 409):
        return ProviderUnavailableError(
            provider, message, status_code=status, retry_after=retry_after
        )
    return ProviderRequestError(provider, message, status_code=status)


def retry_after(headers: Mapping[str, str]) -> float | None:
    """Seconds a provider asked to wait before retrying, or ``None`` when it said nothing.

    Read from ``retry-after-ms`` (OpenAI's, Anthropic's), else ``Retry-After`` in seconds
    or as an HTTP date.
    """
    milliseconds = headers.get("retry-after-ms")
    if milliseconds is not None:
        try:
            seconds = float(milliseconds) / 1000
        except ValueError:
            pass
        else:
            return max(0.0, seconds) if math.isfinite(seconds) else None
    value = headers.get("retry-after")
    if value is None:
        return None
    try:
        seconds = float(value)
    except ValueError:
        pass
    else:
        return max(0.0, seconds) if math.isfinite(seconds) else None
    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())


class StreamReader(Protocol[T_contra]):
    """Turns one provider's stream items into events (see `relay_stream`)."""

    def read(self, item: T_contra, /) -> list[StreamEvent]:
        """The events of one item of the stream."""
        ...

    def finish(self) -> list[StreamEvent]:
        """The last events, `TurnEnd` last."""
        ...


async def relay_stream(
    items: AsyncIterator[T_contra],
    reader: StreamReader[T_contra],
    errors: Callable[[], AbstractContextManager[None]],
) -> AsyncIterator[StreamEvent]:
    """Yield the events ``reader`` makes of ``items``, then its last events.

    An item the reader fails on (a malformed event) is logged with its payload and
    skipped. An error while reading the stream (a reset connection, an undecodable event)
    ends it: it is logged (mapped by ``errors`` where the SDK raises its own) and the
    reader finishes, so the turn ends with what arrived, the open calls cut, and stop
    reason ``error``.
    """
    iterator = aiter(items)
    while True:
        try:
            with errors():
                item = await anext(iterator)
        except StopAsyncIteration:
            break
        # Any failure mid-stream (a reset, an undecodable event; the SDKs raise their HTTP
        # library's errors unwrapped while a stream is read) ends the turn, not the run.
        except Exception as e:
            logger.warning("The stream broke off: %r", e, exc_info=True)
            break
        try:
            events = reader.read(item)
        except (ValueError, TypeError, KeyError, AttributeError):
            logger.warning("Stream: malformed event skipped: %r", item, exc_info=True)
            continue
        for event in events:
            yield event
    for event in reader.finish():
        yield event
