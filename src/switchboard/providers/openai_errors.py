"""The OpenAI SDK's exceptions as `ProviderError`s, for both OpenAI wire protocols."""

from __future__ import annotations

import json
from collections.abc import Generator, Mapping
from contextlib import contextmanager

import openai

from switchboard.errors import ProviderError, ProviderResponseError, ProviderUnavailableError
from switchboard.providers.base import retry_after, status_error


@contextmanager
def map_errors(provider: str) -> Generator[None]:
    """Raise the SDK's exceptions as `ProviderError`s of ``provider``, chained.

    HTTP statuses map as `status_error` says, with ``retry_after`` from the headers;
    timeouts and connection failures -> `ProviderUnavailableError`; a body that is not
    JSON -> `ProviderResponseError`. The message is the
    provider's own.
    """
    try:
        yield
    except openai.APIStatusError as e:
        waited = retry_after(e.response.headers)
        raise status_error(provider, e.status_code, _message(e), waited) from e
    except openai.APIConnectionError as e:  # APITimeoutError is one
        raise ProviderUnavailableError(provider, _message(e)) from e
    except openai.APIError as e:
        raise ProviderError(provider, _message(e)) from e
    except json.JSONDecodeError as e:  # a 200 whose body is not JSON
        message = f"the response body is not valid JSON ({e})"
        raise ProviderResponseError(provider, message, status_code=200) from e


def _message(e: openai.APIError) -> str:
    """The provider's own words: ``error.message`` (OpenAI) or ``detail`` (FastAPI servers).

    The SDK's own message is ``"Error code: 400 - {...}"``, the whole body repr'd.
    """
    body: object = e.body
    if isinstance(body, Mapping):
        fields: Mapping[str, object] = body  # pyright: ignore[reportUnknownVariableType]
        for key in ("message", "detail"):
            value = fields.get(key)
            if isinstance(value, str) and value:
                return value
            if value:
                return json.dumps(value, ensure_ascii=False, default=str)
    if isinstance(body, str) and body:
        return body
    return e.message
