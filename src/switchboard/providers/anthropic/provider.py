"""`AnthropicProvider`: the Messages API through the official SDK, and its errors mapped."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable, Generator, Mapping, Sequence
from contextlib import contextmanager
from typing import Any, cast

from switchboard.errors import (
    ConfigurationError,
    ProviderError,
    ProviderResponseError,
    ProviderUnavailableError,
)
from switchboard.providers.anthropic.parse import continue_turn, parse_response
from switchboard.providers.anthropic.render import (
    CONTAINER,
    DEFAULT_MAX_TOKENS,
    PROVIDER,
    render_request,
)
from switchboard.providers.anthropic.stream import AnthropicStreamReader
from switchboard.providers.anthropic.tools import (
    ToolSearch,
    check_mcp_servers,
    check_server_tools,
)
from switchboard.providers.base import (
    DEFAULT_MAX_RETRY_WAIT,
    DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_RETRY,
    ModelRequest,
    ModelResponse,
    SDKProvider,
    checked_response,
    retry_after,
    status_error,
)
from switchboard.providers.base import api_key as api_key_or_env
from switchboard.retry import RetryPolicy
from switchboard.streaming import StreamEvent

try:
    import anthropic
    import httpx2
    from anthropic import AsyncStream
    from anthropic.types import Message, RawMessageStreamEvent
except ImportError as e:  # pragma: no cover - exercised only without the extra
    msg = 'Install the extra: pip install "switchboard[anthropic]"'
    raise ImportError(msg) from e

API_KEY_VARIABLE = "ANTHROPIC_API_KEY"

MAX_CONTINUATIONS = 5
"""How many times a paused turn (``pause_turn``) is sent back to be continued."""


class AnthropicProvider(SDKProvider):
    """Claude models behind the Anthropic Messages API.

    Example:
        >>> provider = AnthropicProvider("claude-haiku-4-5", api_key="sk-ant-...")
        >>> provider.name, provider.model
        ('anthropic', 'claude-haiku-4-5')
    """

    provider = PROVIDER

    def __init__(
        self,
        model: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        http_client: httpx2.AsyncClient | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        request_timeout: float | None = DEFAULT_REQUEST_TIMEOUT,
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT,
        max_tokens: int = DEFAULT_MAX_TOKENS,
        server_tools: Sequence[Mapping[str, Any]] = (),
        tool_search: ToolSearch = "bm25",
        mcp_servers: Sequence[Mapping[str, Any]] = (),
    ) -> None:
        """Set up the client; nothing is sent yet.

        Args:
            model: The model's name, e.g. ``"claude-sonnet-4-5"``.
            api_key: The key; defaults to ``$ANTHROPIC_API_KEY``.
            base_url: Another endpoint for the API (a proxy or gateway).
            http_client: The HTTP client to send with (proxies, tests). The SDK (1.0 on)
                is built on ``httpx2``, so it must be an ``httpx2.AsyncClient``.
            retry: How transient failures (429, 5xx, timeouts) are retried.
            request_timeout: Seconds for each try of a request, its whole reply included
                (a request's own ``request_timeout`` wins).
            max_retry_wait: The longest ``Retry-After`` to wait for; a server asking for
                more fails the request at once.
            max_tokens: The output limit when a request's settings set none (the API
                requires one).
            server_tools: Anthropic's own tools, sent with every request as given, e.g.
                ``{"type": "web_search_20250305", "name": "web_search"}``: the API runs
                them, and their blocks stay in the conversation (never run here).
            tool_search: The tool search tool added when a request offers deferred tools
                (``defer_loading``) and ``server_tools`` holds none: ``"bm25"`` (queries in
                words) or ``"regex"`` (patterns).
            mcp_servers: Remote MCP servers the API itself calls (the MCP connector, a
                beta), e.g. ``{"type": "url", "url": "https://...", "name": "docs"}``:
                their ``mcp_tool_use``/``mcp_tool_result`` blocks stay in the conversation.

        Raises:
            ConfigurationError: No key given and ``ANTHROPIC_API_KEY`` unset; a server tool
                or MCP server that is not of the SDK's shape, or an unknown ``tool_search``.
        """
        key = api_key_or_env(api_key, API_KEY_VARIABLE, PROVIDER)
        if tool_search not in ("bm25", "regex"):
            msg = f"tool_search must be 'bm25' or 'regex' (got {tool_search!r})."
            raise ConfigurationError(msg)
        self._server_tools = check_server_tools(server_tools)
        self._mcp_servers = check_mcp_servers(mcp_servers)
        self._tool_search: ToolSearch = tool_search
        super().__init__(
            model, retry, request_timeout=request_timeout, max_retry_wait=max_retry_wait
        )
        self._max_tokens = max_tokens
        self._client = anthropic.AsyncAnthropic(
            api_key=key,
            base_url=base_url,
            http_client=http_client,
            timeout=request_timeout,
            max_retries=0,
        )

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Send one request (retrying transient failures) and return the model's reply.

        A reply paused by the API (``pause_turn``: a long server-side tool turn) is sent
        back to be continued, up to `MAX_CONTINUATIONS` times, and the parts are returned
        as one reply; ``usage.requests`` counts every request.

        Raises:
            ProviderError: The provider refused or failed the request (after retries).
            ConfigurationError: ``tool_choice`` names no offered tool, or forces a call with
                no tools.
        """
        kwargs = self._render(request)
        message, response = await self._send(kwargs, request)
        for _ in range(MAX_CONTINUATIONS):
            if message.stop_reason != "pause_turn":
                break
            state = response.turn.provider_state
            paused = {"role": "assistant", "content": state[PROVIDER]}
            more = {**kwargs, "messages": [*kwargs["messages"], paused]}
            if CONTAINER in state:
                more["container"] = state[CONTAINER]
            message, rest = await self._send(more, request)
            response = continue_turn(response, rest)
        return response

    def _render(self, request: ModelRequest) -> dict[str, Any]:
        return render_request(
            request,
            max_tokens=self._max_tokens,
            server_tools=self._server_tools,
            tool_search=self._tool_search,
            mcp_servers=self._mcp_servers,
        )

    async def _send(
        self, kwargs: dict[str, Any], request: ModelRequest
    ) -> tuple[Message, ModelResponse]:
        # With **kwargs pyright picks no overload of create(); this one returns a Message.
        create = cast(Callable[..., Awaitable[Message]], self._client.messages.create)

        async def send() -> tuple[Message, ModelResponse]:
            with _map_errors():
                message = await create(model=self._model, **kwargs)
            # A 200 whose body is not JSON comes back as a str, despite the annotation.
            response = checked_response(PROVIDER, message, Message, parse_response)
            return message, response

        return await self._with_retries(send, request)

    async def stream(
        self, request: ModelRequest, *, partial_args: bool = False
    ) -> AsyncIterator[StreamEvent]:
        """Send one request with ``stream=True`` and yield the reply as it arrives.

        Opening the stream is retried like `complete`, and so is a stream that breaks off
        before any call of it is complete (see `stream_with_retries`). A paused turn
        (``pause_turn``) is not continued: it ends with stop reason ``length``.

        Args:
            request: The request.
            partial_args: Compute `ToolCallDelta.partial_args`.

        Raises:
            ProviderError: The provider refused or failed the request (after retries).
        """
        kwargs = self._render(request)
        # The streaming overload of create(), which pyright cannot pick from unpacked kwargs.
        create = cast(
            Callable[..., Awaitable[AsyncStream[RawMessageStreamEvent]]],
            self._client.messages.create,
        )

        async def open_stream() -> AsyncStream[RawMessageStreamEvent]:
            with _map_errors():
                return await create(model=self._model, stream=True, **kwargs)

        def new_reader() -> AnthropicStreamReader:
            return AnthropicStreamReader(partial_args=partial_args)

        async for event in self._stream(open_stream, new_reader, _map_errors, request):
            yield event


@contextmanager
def _map_errors() -> Generator[None]:
    """Raise the SDK's exceptions as `ProviderError`s, chained."""
    try:
        yield
    except anthropic.APIStatusError as e:
        waited = retry_after(e.response.headers)
        raise status_error(PROVIDER, e.status_code, _message(e), waited) from e
    except anthropic.APIConnectionError as e:  # APITimeoutError included
        raise ProviderUnavailableError(PROVIDER, e.message) from e
    except anthropic.APIError as e:
        raise ProviderError(PROVIDER, e.message) from e
    except json.JSONDecodeError as e:  # a 200 whose body is not JSON
        message = f"the response body is not valid JSON ({e})"
        raise ProviderResponseError(PROVIDER, message, status_code=200) from e


def _message(e: anthropic.APIStatusError) -> str:
    """The API's own words: ``error.message`` of the body, else the SDK's summary."""
    body: object = e.body
    if isinstance(body, Mapping):
        error = cast(Mapping[str, object], body).get("error")
        if isinstance(error, Mapping):
            text = cast(Mapping[str, object], error).get("message")
            if isinstance(text, str) and text:
                return text
    return e.message
