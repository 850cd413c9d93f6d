"""`OpenAIResponsesProvider`: the Responses API through the official ``openai`` SDK."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from typing import TYPE_CHECKING, Any, cast

import openai
from openai import AsyncStream
from openai.types.responses import Response, ResponseStreamEvent

from switchboard.providers.base import (
    DEFAULT_MAX_RETRY_WAIT,
    DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_RETRY,
    ModelRequest,
    ModelResponse,
    SDKProvider,
    api_key,
    checked_response,
)
from switchboard.providers.openai_errors import map_errors
from switchboard.providers.openai_responses.parse import parse_response
from switchboard.providers.openai_responses.render import PROVIDER, render_request
from switchboard.providers.openai_responses.stream import ResponsesStreamReader
from switchboard.providers.openai_responses.tools import check_namespaces, check_server_tools
from switchboard.retry import RetryPolicy
from switchboard.streaming import StreamEvent

if TYPE_CHECKING:
    import httpx

API_KEY_VARIABLE = "OPENAI_API_KEY"
"""The environment variable the key is read from when none is passed."""


class OpenAIResponsesProvider(SDKProvider):
    """OpenAI's Responses API (``client.responses.create``), used statelessly.

    Each request sends the whole conversation with ``store=False``; reasoning items come
    back in ``AssistantTurn.provider_state`` and are sent again on the next request. See
    `render_request` and `parse_response` for how each message and reply maps.

    Args:
        model: The model, e.g. ``"gpt-5-mini"``.
        api_key: The key; by default ``OPENAI_API_KEY``.
        base_url: Another endpoint for the API (e.g. an Azure or compatible server).
        http_client: The httpx client the SDK sends through (proxies, tests).
        retry: How transient failures (429, 5xx, timeouts, resets) are retried.
        request_timeout: Seconds for each try of a request, its whole reply included (a
            request's own ``request_timeout`` wins).
        max_retry_wait: The longest ``Retry-After`` to wait for; a server asking for more
            fails the request at once.
        encrypted_reasoning: Ask for reasoning items' encrypted content, so reasoning can be
            sent back; ``None`` decides by the model's name (`is_reasoning_model`). Set it
            for a reasoning model behind a name that does not say so (an Azure deployment).
        server_tools: Hosted tools sent with every request as given, e.g.
            ``{"type": "web_search"}``: the API runs them, and their output items stay in
            the conversation (never run here).
        namespaces: Namespace descriptions by name, for ``tool_search``: a tool tagged
            with a namespace's name is sent inside it, and the search loads the namespace
            as one.

    Raises:
        ConfigurationError: No key was passed and ``OPENAI_API_KEY`` is not set; a hosted
            tool not of the SDK's shape, or a namespace without a description.
    """

    provider = PROVIDER

    def __init__(
        self,
        model: str,
        *,
        api_key: str | None = None,
        base_url: str | None = None,
        http_client: httpx.AsyncClient | None = None,
        retry: RetryPolicy = DEFAULT_RETRY,
        request_timeout: float | None = DEFAULT_REQUEST_TIMEOUT,
        max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT,
        encrypted_reasoning: bool | None = None,
        server_tools: Sequence[Mapping[str, Any]] = (),
        namespaces: Mapping[str, str] | None = None,
    ) -> None:
        self._server_tools = check_server_tools(server_tools)
        self._namespaces = check_namespaces(namespaces or {})
        super().__init__(
            model, retry, request_timeout=request_timeout, max_retry_wait=max_retry_wait
        )
        self._encrypted_reasoning = encrypted_reasoning
        self._client = openai.AsyncOpenAI(
            api_key=_key(api_key),
            base_url=base_url,
            # The SDK runs on httpx2 but accepts an httpx.AsyncClient as well.
            http_client=cast(Any, http_client),
            max_retries=0,
            timeout=request_timeout,
        )

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Send one request and return the model's reply.

        Raises:
            ProviderError: The API refused or failed the request (after retries).
            ConfigurationError: ``tool_choice`` names no offered tool.
        """
        kwargs = self._render(request)

        # The non-streaming overload (kwargs never hold ``stream``), which pyright cannot
        # pick from an unpacked dict.
        create = cast(Callable[..., Awaitable[Response]], self._client.responses.create)

        async def send() -> ModelResponse:
            with map_errors(PROVIDER):
                response = await create(**kwargs)
            # A 200 whose body is not JSON comes back as a str, despite the annotation.
            return checked_response(PROVIDER, response, Response, parse_response)

        return await self._with_retries(send, request)

    def _render(self, request: ModelRequest) -> dict[str, Any]:
        return render_request(
            request,
            self._model,
            encrypted_reasoning=self._encrypted_reasoning,
            server_tools=self._server_tools,
            namespaces=self._namespaces,
        )

    async def stream(
        self, request: ModelRequest, *, partial_args: bool = False
    ) -> AsyncIterator[StreamEvent]:
        """Send one request with ``stream=True`` and yield the reply as it arrives.

        Opening the stream is retried like `complete`, and so is a stream that breaks off
        before any call of it is complete (see `stream_with_retries`).

        Args:
            request: The request.
            partial_args: Compute `ToolCallDelta.partial_args`.

        Raises:
            ProviderError: The API refused or failed the request (after retries).
        """
        kwargs = self._render(request)
        # The streaming overload of create(), which pyright cannot pick from unpacked kwargs.
        create = cast(
            Callable[..., Awaitable[AsyncStream[ResponseStreamEvent]]],
            self._client.responses.create,
        )

        async def open_stream() -> AsyncStream[ResponseStreamEvent]:
            with map_errors(PROVIDER):
                return await create(stream=True, **kwargs)

        def new_reader() -> ResponsesStreamReader:
            return ResponsesStreamReader(partial_args=partial_args)

        stream = self._stream(open_stream, new_reader, lambda: map_errors(PROVIDER), request)
        async for event in stream:
            yield event


def _key(explicit: str | None) -> str:
    return api_key(explicit, API_KEY_VARIABLE, PROVIDER)
