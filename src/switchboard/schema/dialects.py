"""One neutral tool definition -> the tool parameter each provider's API takes.

Each renderer returns a plain JSON-ready dict in the exact shape of the provider SDK's
own type (named on each function), so that a provider module only passes it along.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any, Literal, TypeAlias

from switchboard.errors import ConfigurationError
from switchboard.schema.anthropic_strict import narrow_for_anthropic
from switchboard.schema.gemini import to_gemini_schema
from switchboard.schema.nodes import copy_json

Format = Literal["openai", "openai-responses", "anthropic", "gemini", "mcp"]
FORMATS: tuple[Format, ...] = ("openai", "openai-responses", "anthropic", "gemini", "mcp")
"""Every tool format, in the order they are documented."""
STRICT_FORMATS: frozenset[Format] = frozenset({"openai", "openai-responses", "anthropic"})
"""The formats whose tool parameter has a per-tool ``strict`` flag.

Gemini has no per-tool flag (its ``VALIDATED`` function-calling mode is set per request)
and MCP none at all.
"""

_Renderer: TypeAlias = Callable[[str, str, dict[str, Any], bool], dict[str, Any]]


def render_tool(
    fmt: Format, *, name: str, description: str, parameters: Mapping[str, Any], strict: bool
) -> dict[str, Any]:
    """The tool as provider format ``fmt`` takes it.

    Args:
        fmt: One of `FORMATS`.
        name: The tool's name.
        description: What the tool does; left out of the output when empty.
        parameters: The neutral JSON Schema of the arguments, or with ``strict=True`` the
            output of `switchboard.schema.strict.make_strict`. It is copied, not changed.
        strict: Mark the tool strict (only for `STRICT_FORMATS`).

    Returns:
        A new JSON-ready dict.

    Raises:
        ConfigurationError: ``fmt`` is unknown, or ``strict`` is set for a format
            without strict mode.
        SchemaDialectError: The schema uses something the format cannot express (a
            recursive model for Gemini, or for Anthropic in strict mode).

    Example:
        >>> render_tool(
        ...     "mcp", name="ping", description="", parameters={"type": "object"}, strict=False
        ... )
        {'name': 'ping', 'inputSchema': {'type': 'object'}}
    """
    renderer = _RENDERERS.get(fmt)
    if renderer is None:
        valid = ", ".join(repr(f) for f in FORMATS)
        msg = f"Unknown tool format {fmt!r}. Use one of: {valid}."
        raise ConfigurationError(msg)
    if strict and fmt not in STRICT_FORMATS:
        valid = ", ".join(repr(f) for f in FORMATS if f in STRICT_FORMATS)
        msg = f"Format {fmt!r} has no strict mode. Use strict=False, or one of: {valid}."
        raise ConfigurationError(msg)
    return renderer(name, description, copy_json(dict(parameters)), strict)


def _openai_chat(
    name: str, description: str, parameters: dict[str, Any], strict: bool
) -> dict[str, Any]:
    """``openai.types.chat.ChatCompletionFunctionToolParam``."""
    function: dict[str, Any] = {"name": name}
    if description:
        function["description"] = description
    function["parameters"] = parameters
    # Chat Completions is non-strict when `strict` is left out
    # (https://platform.openai.com/docs/guides/function-calling#strict-mode), so it is sent
    # only when on: OpenAI-compatible servers (Ollama, vLLM...) may reject the field, which
    # is why pydantic-ai leaves it out too (`pydantic_ai/models/openai/_chat_model.py`).
    if strict:
        function["strict"] = True
    return {"type": "function", "function": function}


def _openai_responses(
    name: str, description: str, parameters: dict[str, Any], strict: bool
) -> dict[str, Any]:
    """``openai.types.responses.FunctionToolParam``."""
    tool: dict[str, Any] = {"type": "function", "name": name}
    if description:
        tool["description"] = description
    # `parameters` and `strict` are both required by the SDK type, and strict: false must be
    # explicit: "If you omit `strict` ... Responses requests will normalize your schema into
    # strict mode" (https://platform.openai.com/docs/guides/function-calling#strict-mode).
    tool["parameters"] = parameters
    tool["strict"] = strict
    return tool


def _anthropic(
    name: str, description: str, parameters: dict[str, Any], strict: bool
) -> dict[str, Any]:
    """``anthropic.types.ToolParam``."""
    tool: dict[str, Any] = {"name": name}
    if description:
        tool["description"] = description
    if strict:
        tool["input_schema"] = narrow_for_anthropic(parameters, tool=name)
        tool["strict"] = True
    else:
        tool["input_schema"] = parameters
    return tool


def _gemini(
    name: str, description: str, parameters: dict[str, Any], strict: bool
) -> dict[str, Any]:
    """``google.genai.types.FunctionDeclaration``."""
    del strict  # never set: `render_tool` refuses strict for Gemini
    declaration: dict[str, Any] = {"name": name}
    if description:
        declaration["description"] = description
    schema = to_gemini_schema(parameters, tool=name)
    # A tool without parameters leaves them out: Gemini rejects an OBJECT with no
    # properties ("properties: should be non-empty for OBJECT type").
    if schema.get("properties"):
        declaration["parameters"] = schema
    return declaration


def _mcp(name: str, description: str, parameters: dict[str, Any], strict: bool) -> dict[str, Any]:
    """``mcp.types.Tool``: the neutral schema as it is."""
    del strict  # never set: `render_tool` refuses strict for MCP
    tool: dict[str, Any] = {"name": name}
    if description:
        tool["description"] = description
    tool["inputSchema"] = parameters
    return tool


_RENDERERS: dict[str, _Renderer] = {
    "openai": _openai_chat,
    "openai-responses": _openai_responses,
    "anthropic": _anthropic,
    "gemini": _gemini,
    "mcp": _mcp,
}
