"""OpenAI Chat Completions, and every server that speaks it (llama.cpp, vLLM, Ollama).

Three mappings and the I/O around them: `render_request` turns a `ModelRequest` into the
keyword arguments of ``chat.completions.create``; `parse_response` turns the completion into
a `ModelResponse`; `map_errors` turns the SDK's exceptions into `ProviderError`s.
"""

try:
    import openai as openai
except ImportError as e:  # pragma: no cover - exercised only without the extra
    msg = 'Install the extra: pip install "switchboard[openai]"'
    raise ImportError(msg) from e

from switchboard.providers.openai_chat.parse import parse_response
from switchboard.providers.openai_chat.provider import NO_KEY, OpenAIChatProvider
from switchboard.providers.openai_chat.render import (
    ERROR_PREFIX,
    ResponseFormatType,
    render_messages,
    render_request,
)
from switchboard.providers.openai_errors import map_errors

__all__ = [
    "ERROR_PREFIX",
    "NO_KEY",
    "OpenAIChatProvider",
    "ResponseFormatType",
    "map_errors",
    "parse_response",
    "render_messages",
    "render_request",
]
