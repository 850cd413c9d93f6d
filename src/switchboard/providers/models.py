"""Model strings (``"anthropic:claude-sonnet-4-5"``) to provider instances."""

from __future__ import annotations

from importlib import import_module
from typing import Any

from switchboard.errors import ConfigurationError
from switchboard.providers.base import Provider

# prefix -> (module, class). Imported on use, so each SDK stays an optional extra.
_PROVIDERS: dict[str, tuple[str, str]] = {
    "openai": ("switchboard.providers.openai_chat", "OpenAIChatProvider"),
    "openai-responses": ("switchboard.providers.openai_responses", "OpenAIResponsesProvider"),
    "anthropic": ("switchboard.providers.anthropic", "AnthropicProvider"),
    "gemini": ("switchboard.providers.gemini", "GeminiProvider"),
}

LOCAL = "local"
"""The model string of the embedded model; ``"local:<path>"`` names a GGUF file."""


def names_a_provider(model: str) -> bool:
    """Whether ``model`` starts with the name of a provider (``"openai:..."``) or is local."""
    prefix = model.partition(":")[0]
    return prefix == LOCAL or prefix in _PROVIDERS


def resolve_model(
    model: str | Provider, *, api_key: str | None = None, base_url: str | None = None
) -> Provider:
    """The provider for a model string, or ``model`` itself when it already is one.

    Args:
        model: ``"<provider>:<model>"``, with provider one of ``openai`` (Chat
            Completions, and any OpenAI-compatible server through ``base_url``),
            ``openai-responses``, ``anthropic`` or ``gemini``; or ``"local"`` (the
            embedded model, in-process) or ``"local:/path/model.gguf"`` (any GGUF file).
        api_key: The key; by default each provider reads its standard variable.
        base_url: Another endpoint for the provider's API (e.g. a local server).

    Raises:
        ConfigurationError: The string names no known provider, or no model.
    """
    if not isinstance(model, str):
        return model
    if model == LOCAL or model.startswith(f"{LOCAL}:"):
        from switchboard.providers.local import LocalProvider  # llama.cpp's side: on use

        return LocalProvider(model.partition(":")[2] or None)
    prefix, _, name = model.partition(":")
    target = _PROVIDERS.get(prefix)
    if target is None or not name:
        known = ", ".join([f"'{p}:<model>'" for p in _PROVIDERS] + ["'local'", "'local:<path>'"])
        msg = f"Unknown model {model!r}: write it as one of {known}."
        raise ConfigurationError(msg)
    module, cls = target
    provider: Any = getattr(import_module(module), cls)
    options: dict[str, Any] = {"api_key": api_key}
    if base_url is not None:
        options["base_url"] = base_url
    return provider(name, **options)
