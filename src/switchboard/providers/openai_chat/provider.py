"""`OpenAIChatProvider`: the Chat Completions client, with retries and error mapping."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any, cast, get_args

import httpx
import openai
from openai import AsyncStream
from openai.types.chat import ChatCompletion, ChatCompletionChunk

from switchboard.errors import ConfigurationError
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
from switchboard.providers.openai_chat.parse import parse_response
from switchboard.providers.openai_chat.render import (
    PROVIDER,
    MaxTokensField,
    ResponseFormatType,
    render_request,
)
from switchboard.providers.openai_chat.stream import ChatStreamReader
from switchboard.providers.openai_errors import map_errors
from switchboard.retry import RetryPolicy
from switchboard.streaming import StreamEvent

API_KEY_VARIABLE = "OPENAI_API_KEY"

NO_KEY = "no-key"
"""The key sent to a ``base_url`` server when none is set: local servers check none, but the
SDK will not send a request without one."""


class OpenAIChatProvider(SDKProvider):
    """A model behind the Chat Completions API: OpenAI's, or any compatible server's.

    Example:
        >>> provider = OpenAIChatProvider("smollm2", base_url="http://127.0.0.1:8080/v1")
        >>> provider.name, provider.model
        ('openai', 'smollm2')
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
        response_format_type: ResponseFormatType = "json_schema",
    ) -> None:
        """Set up the client; nothing is sent yet.

        Args:
            model: The model's name, e.g. ``"gpt-4.1-mini"``.
            api_key: The key; defaults to ``$OPENAI_API_KEY``. With ``base_url`` and no key
                set anywhere, a placeholder (`NO_KEY`) is sent: local servers need none.
            base_url: A compatible server's URL, e.g. ``"http://127.0.0.1:8080/v1"``.
            http_client: The HTTP client to send with (proxies, tests).
            retry: How transient failures (429, 5xx, timeouts) are retried.
            request_timeout: Seconds for each try of a request, its whole reply included
                (a request's own ``request_timeout`` wins).
            max_retry_wait: The longest ``Retry-After`` to wait for; a server asking for
                more fails the request at once.
            response_format_type: How a typed answer's schema is sent (`ResponseFormatType`):
                ``"json_schema"`` (OpenAI's), or ``"json_object"`` with the schema beside
                it, for servers that take that form (llama-cpp-python's).

        Raises:
            ConfigurationError: No ``base_url`` and no key, or an unknown
                ``response_format_type``.
        """
        key = _key(api_key, base_url)
        if response_format_type not in get_args(ResponseFormatType):
            msg = (
                f"response_format_type must be 'json_schema' or 'json_object' "
                f"(got {response_format_type!r})."
            )
            raise ConfigurationError(msg)
        self._response_format_type: ResponseFormatType = response_format_type
        super().__init__(
            model, retry, request_timeout=request_timeout, max_retry_wait=max_retry_wait
        )
        self._max_tokens_field: MaxTokensField = (
            "max_tokens" if base_url else "max_completion_tokens"
        )
        # openai>=3 types http_client as an httpx2 client but takes an httpx one as well
        # (openai/_httpx2.py: is_legacy_httpx_async_client).
        client: Any = http_client
        self._client = openai.AsyncOpenAI(
            api_key=key,
            base_url=base_url,
            http_client=client,
            timeout=request_timeout,
            max_retries=0,
        )

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Send one request, retrying transient failures, and return the model's reply.

        Raises:
            ProviderError: The provider refused or failed the request (after retries).
            ConfigurationError: ``tool_choice`` names no offered tool, or forces a call with
                no tools.
        """
        kwargs = render_request(
            request,
            max_tokens_field=self._max_tokens_field,
            response_format_type=self._response_format_type,
        )

        # create() is overloaded on ``stream``; unpacked kwargs match no one overload.
        create = cast(Callable[..., Awaitable[object]], self._client.chat.completions.create)

        async def send() -> ModelResponse:
            with map_errors(PROVIDER):
                # A 200 whose body is not JSON comes back as a str, despite the annotation.
                completion = await create(model=self._model, **kwargs)
            return checked_response(
                PROVIDER, completion, ChatCompletion, parse_response, needs=("choices",)
            )

        return await self._with_retries(send, request)

    async def stream(
        self, request: ModelRequest, *, partial_args: bool = False
    ) -> AsyncIterator[StreamEvent]:
        """Send one request with ``stream=True`` and yield the reply as it arrives.

        Usage is asked for (``stream_options.include_usage``). Opening the stream is
        retried like `complete`, and so is a stream that breaks off before any call of it
        is complete (see `stream_with_retries`).

        Args:
            request: The request.
            partial_args: Compute `ToolCallDelta.partial_args`.

        Raises:
            ProviderError: The provider refused or failed the request (after retries).
        """
        kwargs = render_request(
            request,
            max_tokens_field=self._max_tokens_field,
            response_format_type=self._response_format_type,
        )
        # The streaming overload of create(), which pyright cannot pick from unpacked kwargs.
        create = cast(
            Callable[..., Awaitable[AsyncStream[ChatCompletionChunk]]],
            self._client.chat.completions.create,
        )

        async def open_stream() -> AsyncStream[ChatCompletionChunk]:
            with map_errors(PROVIDER):
                return await create(
                    model=self._model,
                    stream=True,
                    stream_options={"include_usage": True},
                    **kwargs,
                )

        def new_reader() -> ChatStreamReader:
            return ChatStreamReader(partial_args=partial_args)

        stream = self._stream(open_stream, new_reader, lambda: map_errors(PROVIDER), request)
        async for event in stream:
            yield event


def _key(explicit: str | None, base_url: str | None) -> str:
    if base_url is None:
        return api_key(explicit, API_KEY_VARIABLE, PROVIDER)
    return explicit or os.environ.get(API_KEY_VARIABLE) or NO_KEY
