"""The ``google-genai`` SDK's exceptions as `ProviderError`s."""

from __future__ import annotations

import importlib
import json
from collections.abc import Generator
from contextlib import contextmanager
from typing import Any, cast

import httpx
import pydantic
from google.genai import errors

from switchboard.errors import (
    ProviderError,
    ProviderResponseError,
    ProviderUnavailableError,
)
from switchboard.providers.base import retry_after, status_error
from switchboard.providers.gemini.parse import PROVIDER

_RETRY_INFO = "type.googleapis.com/google.rpc.RetryInfo"


def _transport_errors() -> tuple[type[BaseException], ...]:
    """What a request that got no response raises: httpx's, and aiohttp's where installed.

    Without an ``http_client`` the SDK sends through aiohttp when that is installed.
    """
    found: list[type[BaseException]] = [httpx.TransportError, TimeoutError]
    try:
        aiohttp = importlib.import_module("aiohttp")
    except ImportError:
        return tuple(found)
    found.append(cast(type[BaseException], aiohttp.ClientError))
    return tuple(found)


_TRANSPORT_ERRORS = _transport_errors()


@contextmanager
def map_errors() -> Generator[None]:
    """Raise the SDK's exceptions as `ProviderError`s, chained.

    401/403 -> `ProviderAuthError`; 429 -> `ProviderRateLimitError` with ``retry_after``
    (the ``Retry-After`` header, else Gemini's ``RetryInfo.retryDelay``); 5xx, 408,
    timeouts and connection failures -> `ProviderUnavailableError`; any other 4xx ->
    `ProviderRequestError`; a 200 whose body is not JSON, or JSON the SDK cannot read as
    a response -> `ProviderResponseError`. The message is the provider's own.
    """
    try:
        yield
    except errors.APIError as e:
        raise _status_error(e) from e
    except _TRANSPORT_ERRORS as e:
        message = str(e) or type(e).__name__
        raise ProviderUnavailableError(PROVIDER, message) from e
    except json.JSONDecodeError as e:  # a 200 whose body is not JSON
        message = f"the response body is not valid JSON ({e})"
        raise ProviderResponseError(PROVIDER, message, status_code=200) from e
    # The SDK converts and validates the body itself (unlike the OpenAI and Anthropic SDKs,
    # which build their models loosely): JSON of the wrong types fails inside it.
    except (TypeError, pydantic.ValidationError) as e:
        message = f"the response body is malformed ({e!r})"
        raise ProviderResponseError(PROVIDER, message, status_code=200) from e


def _status_error(e: errors.APIError) -> ProviderError:
    return status_error(PROVIDER, e.code, e.message or str(e), _retry_after(e))


def _retry_after(e: errors.APIError) -> float | None:
    """Seconds to wait: the ``Retry-After`` header, else the body's ``RetryInfo``."""
    # The SDK's annotations name response types from packages that may not be installed.
    response = cast(object, e.response)  # pyright: ignore[reportUnknownMemberType]
    body = cast(object, e.details)  # pyright: ignore[reportUnknownMemberType]
    headers: Any = getattr(response, "headers", None)
    waited = retry_after(headers) if headers is not None else None
    return waited if waited is not None else _retry_delay(body)


def _retry_delay(body: object) -> float | None:
    """Gemini's own hint on a 429: ``error.details[] RetryInfo.retryDelay``, e.g. ``"37s"``.

    https://ai.google.dev/gemini-api/docs/rate-limits ; the type is google.rpc.RetryInfo.
    """
    error = _object(_object(body).get("error", body))
    details = error.get("details")
    if not isinstance(details, list):
        return None
    for detail in cast(list[object], details):
        if not isinstance(detail, dict):
            continue
        fields = cast(dict[str, Any], detail)
        delay = fields.get("retryDelay")
        if fields.get("@type") == _RETRY_INFO and isinstance(delay, str) and delay.endswith("s"):
            try:
                return max(0.0, float(delay[:-1]))
            except ValueError:
                return None
    return None


def _object(value: object) -> dict[str, Any]:
    """``value`` when it is a JSON object, else an empty one."""
    return cast(dict[str, Any], value) if isinstance(value, dict) else {}
