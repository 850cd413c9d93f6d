"""OpenAI's Responses API, used statelessly (``store=False``, the whole conversation each time).

Three mappings and the I/O around them: `render_request` turns a `ModelRequest` into the
keyword arguments of ``client.responses.create``; `parse_response` turns the ``Response``
into a `ModelResponse`; `openai_errors.map_errors` turns the SDK's exceptions into
`ProviderError`s.
"""

try:
    import openai as openai
except ImportError as e:  # pragma: no cover - exercised only without the extra
    msg = 'Install the extra: pip install "switchboard[openai]"'
    raise ImportError(msg) from e

from switchboard.providers.openai_responses.parse import parse_response
from switchboard.providers.openai_responses.provider import (
    API_KEY_VARIABLE,
    OpenAIResponsesProvider,
)
from switchboard.providers.openai_responses.render import (
    ERROR_PREFIX,
    PROVIDER,
    is_reasoning_model,
    render_request,
)

__all__ = [
    "API_KEY_VARIABLE",
    "ERROR_PREFIX",
    "PROVIDER",
    "OpenAIResponsesProvider",
    "is_reasoning_model",
    "parse_response",
    "render_request",
]
