"""`GeminiProvider`: the ``google-genai`` client, with retries and error mapping."""

from __future__ import annotations

import os
from collections.abc import AsyncIterator

import httpx
from google import genai
from google.genai import types

from switchboard.errors import ConfigurationError
from switchboard.providers.base import (
    DEFAULT_MAX_RETRY_WAIT,
    DEFAULT_REQUEST_TIMEOUT,
    DEFAULT_RETRY,
    ModelRequest,
    ModelResponse,
    SDKProvider,
    checked_response,
)
from switchboard.providers.gemini.errors import map_errors
from switchboard.providers.gemini.parse import PROVIDER, parse_response
from switchboard.providers.gemini.render import render_request
from switchboard.providers.gemini.stream import GeminiStreamReader
from switchboard.retry import RetryPolicy
from switchboard.streaming import StreamEvent

API_KEY_VARIABLES = ("GOOGLE_API_KEY", "GEMINI_API_KEY")
"""Where the key is looked for, in the SDK's own order (``google.genai`` prefers
``GOOGLE_API_KEY`` when both are set)."""


class GeminiProvider(SDKProvider):
    """A Gemini model behind the Gemini Developer API.

    Example:
        >>> provider = GeminiProvider("gemini-2.5-flash", api_key="...")
        >>> provider.name, provider.model
        ('gemini', 'gemini-2.5-flash')
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
    ) -> None:
        """Set up the client; nothing is sent yet.

        Args:
            model: The model's name, e.g. ``"gemini-2.5-flash"``.
            api_key: The key; defaults to ``$GOOGLE_API_KEY``, then ``$GEMINI_API_KEY``.
            base_url: Another endpoint for the API (a proxy).
            http_client: The HTTP client to send with (proxies, tests).
            retry: How transient failures (429, 5xx, timeouts) are retried.
            request_timeout: Seconds for each try of a request, its whole reply included
                (a request's own ``request_timeout`` wins).
            max_retry_wait: The longest ``Retry-After`` to wait for; a server asking for
                more fails the request at once.

        Raises:
            ConfigurationError: No key was given and neither variable is set.
        """
        super().__init__(
            model, retry, request_timeout=request_timeout, max_retry_wait=max_retry_wait
        )
        options = types.HttpOptions(
            base_url=base_url,
            # The SDK takes milliseconds.
            timeout=None if request_timeout is None else round(request_timeout * 1000),
            # One try per call: `call_with_retries` does the retrying. Setting retry_options
            # also stops the SDK's own unconditional retry of aiohttp connection errors.
            retry_options=types.HttpRetryOptions(attempts=1),
            httpx_async_client=http_client,
        )
        # vertexai=False: GOOGLE_GENAI_USE_VERTEXAI in the environment must not switch the
        # client to Vertex AI, whose request form and authentication differ.
        self._client = genai.Client(api_key=_api_key(api_key), vertexai=False, http_options=options)

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Send one ``generateContent`` request and return the model's reply.

        Raises:
            ProviderError: Gemini refused or failed the request (after retries).
            ConfigurationError: The request has no Gemini form (see `render_request`).
        """
        arguments = render_request(request)

        async def send() -> ModelResponse:
            with map_errors():
                # The SDK's signature names PIL.Image, which may not be installed.
                response = await self._client.aio.models.generate_content(  # pyright: ignore[reportUnknownMemberType]
                    model=self._model, contents=arguments["contents"], config=arguments["config"]
                )
            # No candidate is a reply only with the prompt's feedback (a blocked prompt).
            return checked_response(
                PROVIDER,
                response,
                types.GenerateContentResponse,
                parse_response,
                needs=("candidates", "prompt_feedback"),
            )

        return await self._with_retries(send, request)

    async def stream(
        self, request: ModelRequest, *, partial_args: bool = False
    ) -> AsyncIterator[StreamEvent]:
        """Send one ``streamGenerateContent`` request and yield the reply as it arrives.

        Opening the stream is retried like `complete`, and so is a stream that breaks off
        before any call of it is complete (see `stream_with_retries`).

        Args:
            request: The request.
            partial_args: Compute `ToolCallDelta.partial_args`.

        Raises:
            ProviderError: Gemini refused or failed the request (after retries).
        """
        arguments = render_request(request)

        async def open_stream() -> AsyncIterator[types.GenerateContentResponse]:
            with map_errors():
                # The SDK's signature names PIL.Image, which may not be installed.
                return await self._client.aio.models.generate_content_stream(  # pyright: ignore[reportUnknownMemberType]
                    model=self._model, contents=arguments["contents"], config=arguments["config"]
                )

        def new_reader() -> GeminiStreamReader:
            return GeminiStreamReader(partial_args=partial_args)

        async for event in self._stream(open_stream, new_reader, map_errors, request):
            yield event


def _api_key(explicit: str | None) -> str:
    if explicit:
        return explicit
    for variable in API_KEY_VARIABLES:
        key = os.environ.get(variable)
        if key:
            return key
    msg = (
        f"No API key for gemini: set the environment variable {API_KEY_VARIABLES[1]} "
        f"(or {API_KEY_VARIABLES[0]}) or pass api_key=... ."
    )
    raise ConfigurationError(msg)
