"""The Anthropic Messages API: `AnthropicProvider` and the pure mappings behind it.

- `render_request` (render.py): a `ModelRequest` to ``messages.create`` keyword arguments,
  the conversation first mended by `repair_pairing` (pairing.py).
- `parse_response` (parse.py): a ``Message`` to a `ModelResponse`.
- `AnthropicProvider` (provider.py): the SDK client, retries, errors mapped.
"""

from switchboard.providers.anthropic.pairing import INTERRUPTED, repair_pairing
from switchboard.providers.anthropic.parse import continue_turn, parse_response
from switchboard.providers.anthropic.provider import API_KEY_VARIABLE, AnthropicProvider
from switchboard.providers.anthropic.render import (
    DEFAULT_MAX_TOKENS,
    render_messages,
    render_request,
    render_tool_choice,
)

__all__ = [
    "API_KEY_VARIABLE",
    "DEFAULT_MAX_TOKENS",
    "INTERRUPTED",
    "AnthropicProvider",
    "continue_turn",
    "parse_response",
    "render_messages",
    "render_request",
    "render_tool_choice",
    "repair_pairing",
]
