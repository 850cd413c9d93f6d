"""Google Gemini (the Gemini Developer API), through the official ``google-genai`` SDK.

Three mappings and the I/O around them: `render_request` turns a `ModelRequest` into the
keyword arguments of ``client.aio.models.generate_content``; `parse_response` turns the
SDK's response into a `ModelResponse`; `map_errors` turns the SDK's exceptions into
`ProviderError`s.
"""

try:
    from google import genai as genai
except ImportError as e:  # pragma: no cover - exercised only without the extra
    msg = 'Install the extra: pip install "switchboard[gemini]"'
    raise ImportError(msg) from e

from switchboard.providers.gemini.errors import map_errors
from switchboard.providers.gemini.parse import SYNTHETIC_ID_PREFIX, parse_response
from switchboard.providers.gemini.provider import API_KEY_VARIABLES, GeminiProvider
from switchboard.providers.gemini.render import render_messages, render_request

__all__ = [
    "API_KEY_VARIABLES",
    "SYNTHETIC_ID_PREFIX",
    "GeminiProvider",
    "map_errors",
    "parse_response",
    "render_messages",
    "render_request",
]
