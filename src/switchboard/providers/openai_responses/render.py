"""A `ModelRequest` as the keyword arguments of ``client.responses.create``.

Requests are stateless (``store=False``, no ``previous_response_id``): the whole
conversation goes out as ``input`` items each time.
"""

from __future__ import annotations

import json
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, cast

from switchboard.messages import (
    AssistantTurn,
    ContentPart,
    ImagePart,
    Message,
    SystemMessage,
    TextPart,
    ToolResult,
    UserMessage,
)
from switchboard.output_schema import OutputSchema
from switchboard.providers.base import ModelRequest, require_tool_choice
from switchboard.providers.media import part_url
from switchboard.providers.openai_responses.tools import render_tool_choice, render_tools
from switchboard.tools.grammar import custom_input, custom_names

PROVIDER = "openai-responses"
"""The provider's name, as in model strings; also its key in ``AssistantTurn.provider_state``."""

ERROR_PREFIX = "Error: "
"""Put before an error result's content: ``function_call_output`` has no error flag."""

# The fields of ``openai.types.responses.ResponseCustomToolCallParam``.
_CUSTOM_CALL_KEYS = frozenset({"type", "id", "call_id", "name", "input", "caller", "namespace"})

# OpenAI's reasoning families. Other models answer 400 "Encrypted content is not supported
# with this model" to include=["reasoning.encrypted_content"]; gpt-5-chat is no reasoner.
_REASONING_PREFIXES = ("o1", "o3", "o4", "gpt-5", "codex")
_NON_REASONING_PREFIXES = ("gpt-5-chat",)


def render_request(
    request: ModelRequest,
    model: str,
    *,
    encrypted_reasoning: bool | None = None,
    server_tools: Sequence[Mapping[str, Any]] = (),
    namespaces: Mapping[str, str] | None = None,
) -> dict[str, Any]:
    """The keyword arguments of ``client.responses.create`` for ``request``.

    - System messages become ``instructions`` (joined by a blank line when there are
      several); the rest of the conversation becomes ``input`` items, in order.
    - An `AssistantTurn` that holds this provider's output items in its ``provider_state``
      is sent back as those items (reasoning included); any other turn as an assistant
      message for its text and a ``function_call`` item per call.
    - A failed `ToolResult` is sent with its content after `ERROR_PREFIX`; one with content
      parts as a list of ``input_text``, ``input_image`` and ``input_file`` items.
    - A call to a custom tool (`Tool.custom`) is a ``custom_tool_call`` whose ``input`` is
      the call's text, answered by a ``custom_tool_call_output``.
    - ``settings.seed`` is not sent: the Responses API has no seed.
    - The tools, ``tool_search``, namespaces and hosted tools are rendered by
      `switchboard.providers.openai_responses.tools`; an `AllowedTools` choice is the
      API's ``allowed_tools`` ``tool_choice``.

    Args:
        request: The request.
        model: The model to ask.
        encrypted_reasoning: Ask for reasoning items' encrypted content, which is what lets
            a stateless request send reasoning back. ``None`` asks for it when ``model``
            names an OpenAI reasoning model (o1, o3, o4, gpt-5 but gpt-5-chat, codex).
        server_tools: Hosted tools sent beside the request's tools, as given (checked by
            `check_server_tools`).
        namespaces: Namespace descriptions by name: a tool tagged with one of the names
            is sent inside that namespace.

    Raises:
        ConfigurationError: ``tool_choice`` names no offered tool, or forces a call when
            no tool is offered; or a tool is tagged with two namespaces.
    """
    require_tool_choice(request.tool_choice, request.tools, PROVIDER)
    custom = custom_names(request.tools)
    kwargs: dict[str, Any] = {
        "model": model,
        "input": list(_input_items(request.messages, custom)),
        "store": False,
    }
    instructions = [m.content for m in request.messages if isinstance(m, SystemMessage)]
    if instructions:
        kwargs["instructions"] = "\n\n".join(instructions)
    if request.tools or server_tools:
        kwargs["tools"] = render_tools(
            request.tools,
            strict=request.strict,
            server_tools=server_tools,
            namespaces=namespaces,
        )
        kwargs["tool_choice"] = render_tool_choice(request.tool_choice, custom)
        if request.parallel_tool_calls is not None:
            kwargs["parallel_tool_calls"] = request.parallel_tool_calls
    if encrypted_reasoning is None:
        encrypted_reasoning = is_reasoning_model(model)
    if encrypted_reasoning:
        kwargs["include"] = ["reasoning.encrypted_content"]
    if request.output is not None:
        kwargs["text"] = {"format": text_format(request.output)}
    settings = request.settings
    if settings.max_tokens is not None:
        kwargs["max_output_tokens"] = settings.max_tokens
    if settings.temperature is not None:
        kwargs["temperature"] = settings.temperature
    return kwargs


def text_format(output: OutputSchema[Any]) -> dict[str, Any]:
    """The ``text.format`` that asks for an answer of ``output``'s schema.

    ``ResponseFormatTextJSONSchemaConfigParam``: the ``json_schema`` format, strict when the
    schema has a strict form (https://platform.openai.com/docs/guides/structured-outputs).
    """
    strict = output.strict_schema
    format_: dict[str, Any] = {"type": "json_schema", "name": output.name}
    if output.description:
        format_["description"] = output.description
    format_["schema"] = output.json_schema if strict is None else strict
    format_["strict"] = strict is not None
    return format_


def is_reasoning_model(model: str) -> bool:
    """Whether ``model`` names an OpenAI reasoning model (o1, o3, o4, gpt-5, codex)."""
    name = model.rsplit("/", 1)[-1]
    return name.startswith(_REASONING_PREFIXES) and not name.startswith(_NON_REASONING_PREFIXES)


def _input_items(messages: Sequence[Message], custom: frozenset[str]) -> Iterator[dict[str, Any]]:
    custom_calls: set[str] = set()  # the ids of custom tools' calls, answered in kind
    for message in messages:
        if isinstance(message, UserMessage):
            yield {"role": "user", "content": message.content}
        elif isinstance(message, AssistantTurn):
            for item in _turn_items(message, custom):
                if item.get("type") == "custom_tool_call":
                    custom_calls.add(item.get("call_id", ""))
                yield item
        elif isinstance(message, ToolResult):
            yield _result_item(message, custom=message.call_id in custom_calls)


def _turn_items(turn: AssistantTurn, custom: frozenset[str]) -> Iterator[dict[str, Any]]:
    state = turn.provider_state.get(PROVIDER)
    if isinstance(state, Sequence):
        yield from _resendable(cast(Sequence[Mapping[str, Any]], state))
        return
    if turn.text:
        yield {"role": "assistant", "content": turn.text}
    for call in turn.tool_calls:
        if call.name in custom:
            text = custom_input(call.arguments)
            yield {"type": "custom_tool_call", "call_id": call.id, "name": call.name, "input": text}
            continue
        arguments = call.arguments
        if not isinstance(arguments, str):
            arguments = json.dumps(arguments, separators=(",", ":"), ensure_ascii=False)
        yield {
            "type": "function_call",
            "call_id": call.id,
            "name": call.name,
            "arguments": arguments,
        }


def _resendable(items: Sequence[Mapping[str, Any]]) -> Iterator[dict[str, Any]]:
    for item in items:
        # With store=False the API keeps no reasoning item: one without its encrypted
        # content cannot be resolved and is refused ("Item with id 'rs_...' not found.
        # Items are not persisted when `store` is set to false.").
        if item.get("type") == "reasoning" and not item.get("encrypted_content"):
            continue
        if item.get("type") == "custom_tool_call":
            # The API's item has a status that its input form
            # (``ResponseCustomToolCallParam``) does not name.
            yield {key: value for key, value in item.items() if key in _CUSTOM_CALL_KEYS}
            continue
        yield dict(item)


def _result_item(result: ToolResult, *, custom: bool) -> dict[str, Any]:
    output: str | list[dict[str, Any]]
    if result.parts:
        output = [output_part(part) for part in result.parts]
    else:
        output = ERROR_PREFIX + result.content if result.is_error else result.content
    kind = "custom_tool_call_output" if custom else "function_call_output"
    return {"type": kind, "call_id": result.call_id, "output": output}


def output_part(part: ContentPart) -> dict[str, Any]:
    """A content part as an item of a call output's list: ``input_text``, ``_image``, ``_file``.

    Bytes go as a ``data:`` URL, as the API's examples send them
    (https://platform.openai.com/docs/guides/pdf-files).
    """
    if isinstance(part, TextPart):
        return {"type": "input_text", "text": part.text}
    if isinstance(part, ImagePart):
        return {"type": "input_image", "image_url": part_url(part)}
    if isinstance(part.data, str):
        item = {"type": "input_file", "file_url": part.data}
        return {**item, "filename": part.filename} if part.filename else item
    return {"type": "input_file", "file_data": part_url(part), "filename": part.filename or "file"}
