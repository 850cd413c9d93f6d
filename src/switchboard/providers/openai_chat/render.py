"""A `ModelRequest` as the keyword arguments of ``chat.completions.create``: pure, no I/O."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any, Literal, cast

from switchboard.messages import (
    AssistantTurn,
    FilePart,
    ImagePart,
    Message,
    SystemMessage,
    ToolCall,
    ToolResult,
    UserMessage,
)
from switchboard.output_schema import OutputSchema
from switchboard.providers.base import AllowedTools, ModelRequest, ToolChoice, require_tool_choice
from switchboard.providers.media import part_url
from switchboard.tools.grammar import custom_input, custom_names
from switchboard.tools.rendering import tool_schemas

PROVIDER = "openai"
"""The provider's name, as in model strings; also its key in ``AssistantTurn.provider_state``."""

REASONING_CONTENT = "reasoning_content"
"""Where DeepSeek's thinking mode puts its reasoning, on a message and on a stream delta: the
provider state keeps it under this key, and a turn with calls sends it back
(https://api-docs.deepseek.com/guides/thinking_mode)."""

ResponseFormatType = Literal["json_schema", "json_object"]
"""How a typed answer's schema is asked for: OpenAI's ``json_schema`` response format (which
vLLM, llama.cpp's own server and Ollama read too), or ``json_object`` with the schema beside
it, the form of llama-cpp-python's server (which refuses ``json_schema``), Together and
Fireworks."""

MaxTokensField = Literal["max_completion_tokens", "max_tokens"]
"""Where the output limit goes: OpenAI reads ``max_completion_tokens`` (its reasoning models
reject ``max_tokens``); compatible servers (llama.cpp, vLLM, Ollama) read ``max_tokens``."""

ATTACHED = "\n(The images and files above are attached to the next user message.)"
"""Ends the tool message of a result with images or files, which follow in a user message."""

ERROR_PREFIX = "Error: "
"""Chat Completions has no error flag on a tool message, so an error result's content is sent
with this prefix, unless it already starts with "error" (in any case)."""


def render_request(
    request: ModelRequest,
    *,
    max_tokens_field: MaxTokensField = "max_completion_tokens",
    response_format_type: ResponseFormatType = "json_schema",
) -> dict[str, Any]:
    """The keyword arguments of ``chat.completions.create`` for ``request``, all but ``model``.

    Args:
        request: The neutral request.
        max_tokens_field: The field the server reads the output limit from.
        response_format_type: How the server takes a typed answer's schema.

    Raises:
        ConfigurationError: ``tool_choice`` names no offered tool, or forces a call with none.
    """
    require_tool_choice(request.tool_choice, request.tools, PROVIDER)
    custom = custom_names(request.tools)
    kwargs: dict[str, Any] = {"messages": render_messages(request.messages, custom)}
    if request.tools:
        kwargs["tools"] = tool_schemas(request.tools, "openai", strict=request.strict)
        kwargs["tool_choice"] = _tool_choice(request.tool_choice, custom)
        if request.parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = request.parallel_tool_calls
    if request.output is not None:
        kwargs["response_format"] = response_format(request.output, response_format_type)
    settings = request.settings
    if settings.max_tokens is not None:
        kwargs[max_tokens_field] = settings.max_tokens
    if settings.temperature is not None:
        kwargs["temperature"] = settings.temperature
    if settings.seed is not None:
        kwargs["seed"] = settings.seed
    return kwargs


def response_format(
    output: OutputSchema[Any], kind: ResponseFormatType = "json_schema"
) -> dict[str, Any]:
    """The ``response_format`` that asks for an answer of ``output``'s schema.

    Structured outputs (https://platform.openai.com/docs/guides/structured-outputs): the
    ``json_schema`` format, strict when the schema has a strict form (else the model is
    only guided by it, and the answer's validation is what holds it). With ``kind``
    ``"json_object"``: ``{"type": "json_object", "schema": ...}``, the schema as it is
    (https://llama-cpp-python.readthedocs.io/en/latest/server/#json-schema-mode).
    """
    if kind == "json_object":
        return {"type": "json_object", "schema": output.json_schema}
    strict = output.strict_schema
    json_schema: dict[str, Any] = {"name": output.name}
    if output.description:
        json_schema["description"] = output.description
    json_schema["schema"] = output.json_schema if strict is None else strict
    json_schema["strict"] = strict is not None
    return {"type": "json_schema", "json_schema": json_schema}


def render_messages(
    messages: Sequence[Message], custom: frozenset[str] = frozenset()
) -> list[dict[str, Any]]:
    """The conversation as Chat Completions messages, one for each neutral message.

    An assistant turn's calls carry their arguments as JSON text (a mapping is dumped
    compactly), and its content is always a string, ``""`` when it only called tools. A
    failed result's content starts with `ERROR_PREFIX`. Of ``provider_state`` only the
    reasoning kept under ``"openai"`` is read, and sent back as ``reasoning_content`` on a
    turn with calls: DeepSeek's thinking mode refuses the next request without it, and
    ignores it on a turn without calls. A call to one of the ``custom`` tools is a
    ``custom`` call carrying its text. A result with images or files is followed by a user
    message carrying them (see `_attachments`).
    """
    rendered: list[dict[str, Any]] = []
    attachments: list[dict[str, Any]] = []
    for message in messages:
        if not isinstance(message, ToolResult) and attachments:
            rendered.append({"role": "user", "content": attachments})
            attachments = []
        rendered.append(_render_message(message, custom))
        if isinstance(message, ToolResult) and message.parts:
            attachments.extend(_attachments(message))
    if attachments:
        rendered.append({"role": "user", "content": attachments})
    return rendered


def _attachments(result: ToolResult) -> list[dict[str, Any]]:
    """The images and files of a result, as user content parts, after a line naming the call.

    A tool message holds text only: the images and files of the results of a turn follow
    them in one user message (tool messages must directly follow their turn), as
    ``image_url`` and ``file`` parts. A file given by URL has no Chat Completions part: its
    URL is in the tool message's text.
    """
    sent = _attached(result)
    if not sent:
        return []
    heading = f"The images and files returned by {result.name} (call {result.call_id}):"
    return [{"type": "text", "text": heading}, *map(_content_part, sent)]


def _attached(result: ToolResult) -> list[ImagePart | FilePart]:
    """The parts of a result that go in the user message: images, and files given as bytes."""
    return [
        part
        for part in result.parts
        if isinstance(part, ImagePart)
        or (isinstance(part, FilePart) and isinstance(part.data, bytes))
    ]


def _content_part(part: ImagePart | FilePart) -> dict[str, Any]:
    if isinstance(part, ImagePart):
        return {"type": "image_url", "image_url": {"url": part_url(part)}}
    return {
        "type": "file",
        "file": {"file_data": part_url(part), "filename": part.filename or "file"},
    }


def _render_message(message: Message, custom: frozenset[str]) -> dict[str, Any]:
    match message:
        case SystemMessage(content=content):
            return {"role": "system", "content": content}
        case UserMessage(content=content):
            return {"role": "user", "content": content}
        case AssistantTurn():
            return _render_turn(message, custom)
        case ToolResult():
            return {
                "role": "tool",
                "tool_call_id": message.call_id,
                "content": _result_content(message),
            }


def _render_turn(turn: AssistantTurn, custom: frozenset[str]) -> dict[str, Any]:
    if not turn.tool_calls:
        return {"role": "assistant", "content": turn.text}
    message: dict[str, Any] = {
        "role": "assistant",
        # "" rather than null beside calls: OpenAI takes either, but llama-cpp-python's
        # server rejects a null assistant content (its request model wants a string).
        "content": turn.text,
        "tool_calls": [_render_call(call, custom) for call in turn.tool_calls],
    }
    reasoning = _reasoning(turn)
    if reasoning:
        message[REASONING_CONTENT] = reasoning
    return message


def _render_call(call: ToolCall, custom: frozenset[str]) -> dict[str, Any]:
    if call.name in custom:
        text = custom_input(call.arguments)
        return {"id": call.id, "type": "custom", "custom": {"name": call.name, "input": text}}
    return {
        "id": call.id,
        "type": "function",
        "function": {"name": call.name, "arguments": _arguments_text(call.arguments)},
    }


def _reasoning(turn: AssistantTurn) -> str:
    state: Any = turn.provider_state.get(PROVIDER)
    if not isinstance(state, Mapping):
        return ""
    reasoning: Any = cast(Mapping[str, Any], state).get(REASONING_CONTENT)
    return reasoning if isinstance(reasoning, str) else ""


def _arguments_text(arguments: str | Mapping[str, Any]) -> str:
    if isinstance(arguments, str):
        return arguments
    return json.dumps(arguments, separators=(",", ":"), ensure_ascii=False)


def _result_content(result: ToolResult) -> str:
    if result.parts and _attached(result):
        return result.content + ATTACHED
    if not result.is_error or result.content.lower().startswith("error"):
        return result.content
    return ERROR_PREFIX + result.content


def _tool_choice(choice: ToolChoice, custom: frozenset[str]) -> str | dict[str, Any]:
    if isinstance(choice, AllowedTools):
        return {
            "type": "allowed_tools",
            "allowed_tools": {
                "mode": "required" if choice.required else "auto",
                "tools": [_named(name, custom) for name in choice.names],
            },
        }
    if choice in ("auto", "none", "required"):
        return choice
    return _named(choice, custom)


def _named(name: str, custom: frozenset[str]) -> dict[str, Any]:
    if name in custom:
        return {"type": "custom", "custom": {"name": name}}
    return {"type": "function", "function": {"name": name}}
