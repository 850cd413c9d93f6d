"""What every provider adapter implements, and the pieces they share.

An adapter does three mappings and nothing else: a `ModelRequest` (neutral messages,
tools, tool_choice) to its SDK's request; the SDK's response to a `ModelResponse`; the
SDK's exceptions to `ProviderError`s. Retrying transient failures and the time limits of
a request are shared (`SDKProvider`, `switchboard.providers.retries`): every adapter builds
its SDK client with the SDK's own retries switched off, so a request is never retried twice
over.
"""

from __future__ import annotations

import logging
import math
import os
import time
from collections.abc import AsyncIterator, Awaitable, Callable, Iterable, Mapping, Sequence
from contextlib import AbstractContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, Protocol, TypeVar, cast

from switchboard.errors import (
    ConfigurationError,
    ProviderAuthError,
    ProviderError,
    ProviderRateLimitError,
    ProviderRequestError,
    ProviderResponseError,
    ProviderUnavailableError,
)
from switchboard.messages import Message, ModelResponse
from switchboard.providers.relay import StreamReader, stream_with_retries
from switchboard.providers.retries import (
    DEFAULT_MAX_RETRY_WAIT,
    DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_RETRY,
    Retrying,
    call_with_retries,
)
from switchboard.retry import RetryPolicy
from switchboard.tools.tool import Tool

if TYPE_CHECKING:
    from switchboard.output_schema import OutputSchema
    from switchboard.streaming.events import StreamEvent

logger = logging.getLogger("switchboard")

T = TypeVar("T")
S = TypeVar("S")
R = TypeVar("R")

__all__ = [
    "DEFAULT_MAX_RETRY_WAIT",
    "DEFAULT_REQUEST_TIMEOUT",
    "DEFAULT_RETRY",
    "AllowedTools",
    "ModelRequest",
    "ModelResponse",
    "ModelSettings",
    "Provider",
    "SDKProvider",
    "StreamReader",
    "ToolChoice",
    "allowed_tools",
    "api_key",
    "check_timeouts",
    "checked_response",
    "forces_a_call",
    "require_tool_choice",
    "retry_after",
    "status_error",
]


@dataclass(frozen=True, slots=True)
class AllowedTools:
    """Offer many tools, allow a few: a ``tool_choice`` that limits calls to some tools.

    The other tools stay in the request (the prompt, and its cache, do not change), but
    the model may call only these. OpenAI (Chat Completions and Responses) sends it as its
    ``allowed_tools`` choice, Gemini as ``allowed_function_names`` (mode ``ANY`` when a
    call is required, else ``VALIDATED``); Anthropic, which has no such choice, and the
    local model offer only these tools.

    Attributes:
        names: The tools the model may call, each one offered by the request.
        required: The model must call one of them; else it may answer instead.

    Example:
        >>> AllowedTools(["get_weather", "get_time"], required=True)
        AllowedTools(names=('get_weather', 'get_time'), required=True)
    """

    names: tuple[str, ...]
    required: bool = False

    def __init__(self, names: Sequence[str], *, required: bool = False) -> None:
        given = cast(object, names)
        if isinstance(given, str):  # one name would read as its letters
            names = (given,)
        object.__setattr__(self, "names", tuple(dict.fromkeys(names)))
        object.__setattr__(self, "required", required)


ToolChoice = Literal["auto", "none", "required"] | str | AllowedTools
"""Whether and which tool the model must call: ``"auto"`` (it decides), ``"none"`` (no
call), ``"required"`` (at least one call, of any tool), a tool's name (that tool), or
`AllowedTools` (only some of the offered tools)."""


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
        request_timeout: Seconds for each try of this request, its whole reply included;
            ``None`` leaves the provider's own limit.
        deadline: The event loop's time (``loop.time()``) by which the run must be over;
            no try and no wait between tries goes past it. ``None``: no deadline.
        output: The schema the answer must follow (its text a JSON object of it), through
            the provider's structured output; ``None``: free text.
    """

    messages: Sequence[Message]
    tools: Sequence[Tool] = ()
    tool_choice: ToolChoice = "auto"
    parallel_tool_calls: bool | None = None
    strict: bool = False
    settings: ModelSettings = field(default_factory=ModelSettings)
    request_timeout: float | None = None
    deadline: float | None = None
    output: OutputSchema[Any] | None = None


def new_request(
    messages: Sequence[Message],
    tools: Sequence[Tool],
    tool_choice: ToolChoice,
    parallel_tool_calls: bool | None,
    strict: bool,
    settings: ModelSettings,
    request_timeout: float | None,
    deadline: float | None,
    output: OutputSchema[Any] | None = None,
) -> ModelRequest:
    """Build a `ModelRequest` from all its fields, for a third of its constructor's cost.

    The loop makes one per step. As `switchboard.execution.results.new_result` does: the
    fields are written to an object of the same slot layout whose attributes are writable,
    which then becomes a `ModelRequest` by ``__class__`` assignment (CPython checks that the
    layouts match). The result is an ordinary, frozen `ModelRequest`.
    """
    request = _WritableRequest()
    request.messages = messages
    request.tools = tools
    request.tool_choice = tool_choice
    request.parallel_tool_calls = parallel_tool_calls
    request.strict = strict
    request.settings = settings
    request.request_timeout = request_timeout
    request.deadline = deadline
    request.output = output
    request.__class__ = ModelRequest  # pyright: ignore[reportAttributeAccessIssue]
    return request  # pyright: ignore[reportReturnType]


class _WritableRequest:
    """`ModelRequest`'s slots without its frozen ``__setattr__``, for `new_request` alone."""

    __slots__ = ModelRequest.__slots__
    messages: Sequence[Message]
    tools: Sequence[Tool]
    tool_choice: ToolChoice
    parallel_tool_calls: bool | None
    strict: bool
    settings: ModelSettings
    request_timeout: float | None
    deadline: float | None
    output: OutputSchema[Any] | None


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
        breaks off before any call of it is complete is asked for again (`TurnRestart`);
        one that breaks after ends with stop reason ``error``, its open calls cut
        (`ToolCallCut`).

        Args:
            request: The request.
            partial_args: Compute `ToolCallDelta.partial_args`.

        Raises:
            ProviderError: The provider refused or failed the request, or every try broke
                before a call was complete (after retries).
            RunTimeoutError: The run's deadline (``request.deadline``) passed.
        """
        ...


class SDKProvider:
    """What the adapters built on a provider's SDK share: name, model, retries, time limits.

    A subclass sets ``provider`` and calls ``super().__init__(...)``; it sends each request
    through `_with_retries` (whole replies) or `_stream` (streamed ones), which apply the
    retry policy and the request's time limits (`Retrying`).
    """

    provider: ClassVar[str]
    """The provider's name, as in model strings."""

    def __init__(
        self,
        model: str,
        retry: RetryPolicy = DEFAULT_RETRY,
        *,
        request_timeout: float | None = DEFAULT_REQUEST_TIMEOUT,
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT,
    ) -> None:
        check_timeouts(request_timeout=request_timeout, max_retry_wait=max_retry_wait)
        self._model = model
        self._retry = retry
        self._request_timeout = request_timeout
        self._max_retry_wait = max_retry_wait

    @property
    def name(self) -> str:
        """The provider's name, as in model strings: ``"openai"``, ``"anthropic"``, ..."""
        return self.provider

    @property
    def model(self) -> str:
        """The model asked for."""
        return self._model

    def _retrying(self, request: ModelRequest) -> Retrying:
        timeout = request.request_timeout
        return Retrying(
            self.provider,
            self._retry,
            self._max_retry_wait,
            self._request_timeout if timeout is None else timeout,
            request.deadline,
        )

    async def _with_retries(self, send: Callable[[], Awaitable[T]], request: ModelRequest) -> T:
        return await call_with_retries(send, self._retrying(request))

    def _stream(
        self,
        open_stream: Callable[[], Awaitable[AsyncIterator[S]]],
        new_reader: Callable[[], StreamReader[S]],
        errors: Callable[[], AbstractContextManager[None]],
        request: ModelRequest,
    ) -> AsyncIterator[StreamEvent]:
        return stream_with_retries(open_stream, new_reader, errors, self._retrying(request))


def check_timeouts(**limits: float | None) -> None:
    """Raise `ConfigurationError` naming each limit that is not a positive number of seconds."""
    wrong = [
        f"{name} must be a positive number of seconds or None (got {value!r})"
        for name, value in limits.items()
        if value is not None and not value > 0
    ]
    if wrong:
        msg = "; ".join(wrong) + "."
        raise ConfigurationError(msg)


def checked_response(
    provider: str,
    raw: object,
    expected: type[R],
    parse: Callable[[R], ModelResponse],
    *,
    needs: Sequence[str] = (),
) -> ModelResponse:
    """``parse(raw)``, or `ProviderResponseError` when ``raw`` is no valid ``expected``.

    A 200 whose body is HTML, or JSON of another shape, reaches the adapter as a string or
    a loosely built model; it is the provider's fault and is retried like a 5xx. ``needs``
    names the fields a reply is read from: an SDK builds its model from any JSON object
    (``{"status": "ok"}`` included), so one that sets none of them is of another shape.
    """
    if not isinstance(raw, expected):
        shown = str(raw)[:200]
        message = f"the response is not a {expected.__name__} but {shown!r}"
        raise ProviderResponseError(provider, message, status_code=200)
    if needs and all(getattr(raw, name, None) is None for name in needs):
        shown = str(raw)[:200]
        message = f"the response has no {' or '.join(needs)}: {shown!r}"
        raise ProviderResponseError(provider, message, status_code=200)
    try:
        return parse(raw)
    # Built loosely by the SDK, a body of the wrong shape fails as it is read.
    except (TypeError, AttributeError, KeyError, ValueError) as e:
        message = f"the response is malformed ({e!r})"
        raise ProviderResponseError(provider, message, status_code=200) from e


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
    """Raise `ConfigurationError` if ``choice`` forces a call but names no offered tool.

    An `AllowedTools` choice must name at least one tool, and only offered tools.
    """
    if isinstance(choice, AllowedTools):
        _require_allowed(choice, tools, provider)
        return
    if choice in ("auto", "none"):
        return
    if not tools:
        msg = f"tool_choice={choice!r} asks {provider} for a tool call, but no tools are offered."
        raise ConfigurationError(msg)
    if choice != "required" and all(tool.name != choice for tool in tools):
        names = ", ".join(tool.name for tool in tools)
        msg = f"tool_choice={choice!r} names no offered tool (offered: {names})."
        raise ConfigurationError(msg)


def _require_allowed(choice: AllowedTools, tools: Sequence[Tool], provider: str) -> None:
    if not choice.names:
        msg = (
            f"tool_choice={choice!r} allows no tool: name at least one, or use tool_choice='none'."
        )
        raise ConfigurationError(msg)
    offered = {tool.name for tool in tools}
    missing = [name for name in choice.names if name not in offered]
    if missing:
        listed = ", ".join(tool.name for tool in tools) or "none"
        msg = (
            f"tool_choice={choice!r} allows tools the request to {provider} does not offer: "
            f"{missing} (offered: {listed}). Offer them, or allow only offered tools."
        )
        raise ConfigurationError(msg)


def forces_a_call(choice: ToolChoice) -> bool:
    """Whether ``choice`` makes the model call a tool: ``"required"``, a name, or so allowed.

    Example:
        >>> forces_a_call("required"), forces_a_call(AllowedTools(["f"])), forces_a_call("auto")
        (True, False, False)
    """
    if isinstance(choice, AllowedTools):
        return choice.required
    return choice not in ("auto", "none")


def allowed_tools(
    choice: ToolChoice, tools: Sequence[Tool], also: Iterable[str] = ()
) -> Sequence[Tool]:
    """The offered tools a choice lets the model call: those `AllowedTools` names, else all.

    For a provider with no form of `AllowedTools` (it offers only these, and ``also``: the
    names it must keep defined whatever the choice, as Anthropic's loaded tools).
    """
    if not isinstance(choice, AllowedTools):
        return tools
    allowed = {*choice.names, *also}
    return [tool for tool in tools if tool.name in allowed]


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
    import email.utils  # only for a Retry-After date: not worth its import on every start

    try:
        when = email.utils.parsedate_to_datetime(value)
    except (TypeError, ValueError):
        return None
    return max(0.0, when.timestamp() - time.time())
