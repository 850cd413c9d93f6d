"""A `ModelRequest` as the keyword arguments of ``client.aio.models.generate_content``.

How the neutral conversation maps onto Gemini's ``contents``:

- `SystemMessage`s become ``config.system_instruction`` (one part each), wherever they
  stand: Gemini has no system role inside ``contents``.
- A `UserMessage` is a ``user`` Content with one text part.
- An `AssistantTurn` is a ``model`` Content: the raw parts Gemini sent, verbatim, when the
  turn carries them in ``provider_state["gemini"]`` (Gemini 3 rejects a ``functionCall``
  part sent back without its ``thoughtSignature``); else a text part and one
  ``functionCall`` part per call.
- The `ToolResult`s that follow a turn are ONE ``user`` Content with a ``functionResponse``
  part per result. Gemini has no ``is_error`` flag: a result is sent as
  ``{"result": content}``, a failure as ``{"error": content}`` (the ``error`` key is the one
  the API documents for failures; ``result`` is what the SDK's own automatic function
  calling sends).
- Ids the adapter made up (see `SYNTHETIC_ID_PREFIX`) are never sent: Gemini matches such
  responses by name and order. A real provider id is sent on both the call and its result.
- ``tool_choice`` and ``strict`` become the function-calling mode (`render_tool_choice`):
  strict is the ``VALIDATED`` mode, Gemini having no per-tool strict flag.
"""

from __future__ import annotations

import functools
import json
import weakref
from collections.abc import Mapping, Sequence
from typing import Any, TypedDict

from google.genai import types

from switchboard.errors import ConfigurationError
from switchboard.messages import (
    AssistantTurn,
    ContentPart,
    FilePart,
    Message,
    SystemMessage,
    TextPart,
    ToolCall,
    ToolResult,
)
from switchboard.providers.base import (
    AllowedTools,
    ModelRequest,
    ToolChoice,
    forces_a_call,
    require_tool_choice,
)
from switchboard.providers.gemini.parse import PROVIDER, SYNTHETIC_ID_PREFIX
from switchboard.tools.tool import Tool

UNPARSABLE_ARGUMENTS_KEY = "invalid_json"
"""Gemini takes a call's arguments as an object only: arguments that are not a JSON object
(a turn written by another provider's model) are sent as ``{"invalid_json": "<the text>"}``."""


class GenerateArgs(TypedDict):
    """The keyword arguments of ``generate_content``, less ``model``."""

    contents: list[types.Content]
    config: types.GenerateContentConfig


def render_request(request: ModelRequest) -> GenerateArgs:
    """The ``generate_content`` keyword arguments (all but ``model``) for ``request``.

    Raises:
        ConfigurationError: ``tool_choice`` names no offered tool or forces a call with no
            tools, or ``parallel_tool_calls=False``, which Gemini has no switch for.
    """
    require_tool_choice(request.tool_choice, request.tools, PROVIDER)
    if request.parallel_tool_calls is False:
        msg = (
            "gemini has no way to turn off parallel tool calls (parallel_tool_calls=False): "
            "leave parallel_tool_calls at None, or use a provider that has the switch."
        )
        raise ConfigurationError(msg)
    system, contents = render_messages(request.messages)
    settings = request.settings
    config = types.GenerateContentConfig(
        system_instruction=system,
        tools=_render_tools(request.tools),
        tool_config=render_tool_choice(request.tool_choice, request.tools, strict=request.strict),
        max_output_tokens=settings.max_tokens,
        temperature=settings.temperature,
        seed=settings.seed,
        # The calls are run by switchboard, never by the SDK.
        automatic_function_calling=types.AutomaticFunctionCallingConfig(disable=True),
        **_response_format(request),
    )
    return GenerateArgs(contents=contents, config=config)


def _response_format(request: ModelRequest) -> dict[str, Any]:
    """The config fields that ask for a JSON answer of the request's output schema, if any.

    ``response_mime_type`` JSON with ``response_schema`` in Gemini's schema dialect, the one
    its function declarations take
    (https://ai.google.dev/gemini-api/docs/structured-output); a model with no fields,
    which that dialect has no form of, goes as ``response_json_schema``. Not sent when the
    request forces a call (mode ``ANY``), whose reply is no answer: the API refuses the two
    together ("Forced function calling (ANY mode) with a response mime type:
    'application/json' is unsupported").
    """
    output = request.output
    if output is None or (request.tools and forces_a_call(request.tool_choice)):
        return {}
    json_type = "application/json"
    parameters = output.tool.schema("gemini").get("parameters")
    if parameters is None:
        return {"response_mime_type": json_type, "response_json_schema": output.json_schema}
    return {
        "response_mime_type": json_type,
        "response_schema": types.Schema.model_validate(parameters),
    }


def render_messages(
    messages: Sequence[Message],
) -> tuple[types.Content | None, list[types.Content]]:
    """The system instruction (``None`` without `SystemMessage`s) and the ``contents``."""
    system: list[types.Part] = []
    contents: list[types.Content] = []
    calls: dict[str, ToolCall] = {}
    results: list[types.Part] = []
    for message in messages:
        if isinstance(message, ToolResult):
            results.append(_render_result(message, calls.get(message.call_id)))
            continue
        if results:
            contents.append(types.Content(role="user", parts=results))
            results = []
        if isinstance(message, SystemMessage):
            system.append(types.Part(text=message.content))
        elif isinstance(message, AssistantTurn):
            calls = {call.id: call for call in message.tool_calls}
            turn = _render_turn(message)
            if turn.parts:
                contents.append(turn)
        else:
            contents.append(types.Content(role="user", parts=[types.Part(text=message.content)]))
    if results:
        contents.append(types.Content(role="user", parts=results))
    return (types.Content(parts=system) if system else None), contents


def _render_turn(turn: AssistantTurn) -> types.Content:
    raw: Any = turn.provider_state.get(PROVIDER)
    if isinstance(raw, list):
        # Round-tripped as JSON so that base64 thought signatures decode back to bytes.
        return types.Content.model_validate_json(json.dumps({"role": "model", "parts": raw}))
    parts: list[types.Part] = []
    if turn.text:
        parts.append(types.Part(text=turn.text))
    for call in turn.tool_calls:
        function_call = types.FunctionCall(
            id=_wire_id(call.id), name=call.name, args=_arguments(call.arguments)
        )
        parts.append(types.Part(function_call=function_call))
    return types.Content(role="model", parts=parts)


def _render_result(result: ToolResult, call: ToolCall | None) -> types.Part:
    key = "error" if result.is_error else "result"
    response = types.FunctionResponse(
        id=_wire_id(result.call_id),
        name=call.name if call is not None else result.name,
        response={key: result.content},
        parts=_response_parts(result.parts) or None,
    )
    return types.Part(function_response=response)


def _response_parts(parts: Sequence[ContentPart]) -> list[types.FunctionResponsePart]:
    """The images and files of a result given as bytes, as ``functionResponse`` parts.

    Its text (the text parts, and a line naming each image and file, with its URL when it
    is given by one) is the ``response`` itself: the Gemini API takes no ``fileData`` in a
    function response, only inline bytes
    (https://ai.google.dev/gemini-api/docs/function-calling#multimodal).
    """
    rendered: list[types.FunctionResponsePart] = []
    for part in parts:
        if isinstance(part, TextPart) or isinstance(part.data, str):
            continue
        name = part.filename if isinstance(part, FilePart) and part.filename else None
        blob = types.FunctionResponseBlob(
            mime_type=part.media_type, data=part.data, display_name=name
        )
        rendered.append(types.FunctionResponsePart(inline_data=blob))
    return rendered


def _wire_id(call_id: str) -> str | None:
    """The id to send: ``None`` for one the adapter made up, which Gemini never saw."""
    return None if call_id.startswith(SYNTHETIC_ID_PREFIX) else call_id


def _arguments(arguments: str | Mapping[str, Any]) -> dict[str, Any]:
    if not isinstance(arguments, str):
        return dict(arguments)
    if not arguments.strip():
        return {}
    try:
        parsed: Any = json.loads(arguments)
    except json.JSONDecodeError:
        return {UNPARSABLE_ARGUMENTS_KEY: arguments}
    if not isinstance(parsed, dict):
        return {UNPARSABLE_ARGUMENTS_KEY: arguments}
    return dict(parsed)  # pyright: ignore[reportUnknownArgumentType] - JSON from the wire


def _render_tools(tools: Sequence[Tool]) -> list[types.ToolUnion] | None:
    if not tools:
        return None
    declarations = list(_declarations(tuple(tools)))
    return [types.Tool(function_declarations=declarations)]


# The SDK's model_validate costs about 65 µs a tool: each tool's declaration is validated
# once, and a tool set's list of them is kept as other dialects keep theirs
# (switchboard.tools.rendering). The SDK reads declarations and never changes them.
_DECLARATIONS: weakref.WeakKeyDictionary[Tool, types.FunctionDeclaration] = (
    weakref.WeakKeyDictionary()
)


@functools.lru_cache(maxsize=32)
def _declarations(tools: tuple[Tool, ...]) -> tuple[types.FunctionDeclaration, ...]:
    return tuple(_declaration(tool) for tool in tools)


def _declaration(tool: Tool) -> types.FunctionDeclaration:
    found = _DECLARATIONS.get(tool)
    if found is None:
        found = types.FunctionDeclaration.model_validate(tool.schema("gemini"))
        _DECLARATIONS[tool] = found
    return found


def render_tool_choice(
    choice: ToolChoice, tools: Sequence[Tool], *, strict: bool = False
) -> types.ToolConfig | None:
    """The ``tool_config`` for a choice: its function-calling mode and allowed names.

    Gemini has no per-tool strict flag: ``strict`` asks for its ``VALIDATED`` mode (calls
    or text, each call held to its schema) where the choice would be ``AUTO``; ``ANY``
    (a call required) holds calls to their schemas already. `AllowedTools` sends its names
    as ``allowed_function_names``, under ``ANY`` when a call is required, else under
    ``VALIDATED`` (``AUTO`` takes no names).
    (https://ai.google.dev/gemini-api/docs/function-calling#function_calling_modes)

    Example:
        >>> render_tool_choice("auto", [], strict=True) is None
        True
    """
    if not tools:
        return None
    mode = types.FunctionCallingConfigMode
    if isinstance(choice, AllowedTools):
        config = types.FunctionCallingConfig(
            mode=mode.ANY if choice.required else mode.VALIDATED,
            allowed_function_names=list(choice.names),
        )
    elif choice == "auto":
        config = types.FunctionCallingConfig(mode=mode.VALIDATED if strict else mode.AUTO)
    elif choice == "none":
        config = types.FunctionCallingConfig(mode=mode.NONE)
    elif choice == "required":
        config = types.FunctionCallingConfig(mode=mode.ANY)
    else:
        config = types.FunctionCallingConfig(mode=mode.ANY, allowed_function_names=[choice])
    return types.ToolConfig(function_calling_config=config)
