"""A neutral `ModelRequest` as the keyword arguments of ``messages.create``.

Pure: no SDK, no I/O. The conversation is first mended by `repair_pairing`, so what is
sent never holds a ``tool_use`` without its ``tool_result`` or the reverse. The tools are
rendered by `switchboard.providers.anthropic.tools`.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Mapping, Sequence
from typing import Any, cast

from switchboard.errors import ConfigurationError
from switchboard.messages import AssistantTurn, Message, SystemMessage, ToolResult, UserMessage
from switchboard.output_schema import OutputSchema
from switchboard.providers.anthropic.pairing import repair_pairing
from switchboard.providers.anthropic.parts import part_block
from switchboard.providers.anthropic.tools import (
    MCP_BETA,
    ToolSearch,
    holds_mcp_blocks,
    mcp_toolsets,
    referenced_tools,
    render_tools,
)
from switchboard.providers.base import (
    AllowedTools,
    ModelRequest,
    ToolChoice,
    allowed_tools,
    require_tool_choice,
)
from switchboard.tools.tool import Tool

logger = logging.getLogger("switchboard")

PROVIDER = "anthropic"

CONTAINER = "anthropic-container"
"""The ``AssistantTurn.provider_state`` key of the container a reply ran code in: its id,
sent as the next request's ``container`` (container-bound server tools, and programs
waiting for tool results, refuse a follow-up request without it)."""

DEFAULT_MAX_TOKENS = 4096
"""The output limit sent when the request sets none: the API requires one."""


def render_request(
    request: ModelRequest,
    *,
    max_tokens: int = DEFAULT_MAX_TOKENS,
    server_tools: Sequence[Mapping[str, Any]] = (),
    tool_search: ToolSearch = "bm25",
    mcp_servers: Sequence[Mapping[str, Any]] = (),
) -> dict[str, Any]:
    """The keyword arguments of ``messages.create`` for ``request`` (all but ``model``).

    System messages, wherever they stand, become the top-level ``system``. ``tool_choice``
    and ``parallel_tool_calls`` are sent only when they differ from the API's default
    (``auto``, parallel calls allowed). ``settings.seed`` is ignored: Anthropic has no
    seed. ``temperature`` goes in ``extra_body``: the SDK (1.0 on) dropped the argument,
    while the API still honours it for the models that use it.

    An `AllowedTools` choice, which the API has no form of, offers only the allowed tools
    (and those the conversation's tool search results load, which must stay defined).
    The container of the latest reply that ran in one is sent as ``container``.

    Args:
        request: The neutral request.
        max_tokens: The output limit when ``request.settings.max_tokens`` is unset.
        server_tools: Anthropic server tools sent beside the request's tools (checked by
            `check_server_tools`).
        tool_search: The tool search tool added when a request offers a deferred tool and
            ``server_tools`` holds none.
        mcp_servers: Remote MCP servers for the API's MCP connector (checked by
            `check_mcp_servers`): sent in ``mcp_servers``, an ``mcp_toolset`` tool each,
            with the connector's beta header, which a conversation holding MCP blocks
            also gets.

    Raises:
        ConfigurationError: ``tool_choice`` names no offered tool, or forces a call with
            none; or a tool search result in the conversation loaded a tool this request
            does not offer.
    """
    require_tool_choice(request.tool_choice, request.tools, PROVIDER)
    settings = request.settings
    messages = render_messages(request.messages)
    kwargs: dict[str, Any] = {
        "max_tokens": settings.max_tokens if settings.max_tokens is not None else max_tokens,
        "messages": messages,
    }
    system = "\n\n".join(m.content for m in request.messages if isinstance(m, SystemMessage))
    if system:
        kwargs["system"] = system
    loaded = _loaded_tools(messages)
    offered = allowed_tools(request.tool_choice, request.tools, also=loaded)
    _check_loaded(loaded, offered, server_tools)
    hosted = [*server_tools, *mcp_toolsets(mcp_servers)]
    if offered or hosted:
        kwargs["tools"] = render_tools(
            offered, strict=request.strict, server_tools=hosted, tool_search=tool_search
        )
        choice = render_tool_choice(request.tool_choice, request.parallel_tool_calls)
        if choice is not None:
            kwargs["tool_choice"] = choice
    container = latest_container(request.messages)
    if container is not None:
        kwargs["container"] = container
    if request.output is not None:
        kwargs["output_config"] = {"format": output_format(request.output)}
    extra: dict[str, Any] = {}
    if mcp_servers:
        extra["mcp_servers"] = [dict(server) for server in mcp_servers]
    if settings.temperature is not None:
        extra["temperature"] = settings.temperature
    if extra:
        kwargs["extra_body"] = extra
    if mcp_servers or holds_mcp_blocks(messages):
        kwargs["extra_headers"] = {"anthropic-beta": MCP_BETA}
    return kwargs


def latest_container(messages: Sequence[Message]) -> str | None:
    """The id of the container the latest reply that ran code ran in, if any."""
    for message in reversed(messages):
        if isinstance(message, AssistantTurn):
            container = message.provider_state.get(CONTAINER)
            if isinstance(container, str) and container:
                return container
    return None


def _loaded_tools(messages: list[dict[str, Any]]) -> list[str]:
    """The tools the conversation's tool search results loaded, in order, once each."""
    names: dict[str, None] = {}
    for message in messages:
        content: Any = message["content"]
        if message["role"] == "assistant" and isinstance(content, list):
            names.update(dict.fromkeys(referenced_tools(cast(list[dict[str, Any]], content))))
    return list(names)


def _check_loaded(
    loaded: Sequence[str], offered: Sequence[Tool], server_tools: Sequence[Mapping[str, Any]]
) -> None:
    if not loaded:
        return
    defined = {tool.name for tool in offered} | {str(t.get("name")) for t in server_tools}
    missing = [name for name in loaded if name not in defined]
    if missing:
        msg = (
            f"The conversation holds tool search results that loaded {missing}, which this "
            "request does not offer: the Messages API refuses a tool_reference to a tool it "
            "does not define. Offer them on every request (deferred is enough: "
            "Router(native=True) offers every tool so)."
        )
        raise ConfigurationError(msg)


def render_tool_choice(
    choice: ToolChoice, parallel_tool_calls: bool | None
) -> dict[str, Any] | None:
    """Anthropic's ``tool_choice`` object, or ``None`` where the API's default says the same.

    `AllowedTools` is ``any`` when a call is required, else ``auto`` (only the allowed
    tools are offered, see `render_request`).

    Example:
        >>> render_tool_choice("required", False)
        {'type': 'any', 'disable_parallel_tool_use': True}
        >>> render_tool_choice("auto", None) is None
        True
    """
    if isinstance(choice, AllowedTools):
        choice = "required" if choice.required else "auto"
    if choice == "none":
        return {"type": "none"}  # no calls at all: the parallel setting means nothing here
    if choice == "auto":
        rendered: dict[str, Any] = {"type": "auto"}
    elif choice == "required":
        rendered = {"type": "any"}
    else:
        rendered = {"type": "tool", "name": choice}
    if parallel_tool_calls is False:
        rendered["disable_parallel_tool_use"] = True
    elif rendered == {"type": "auto"}:
        return None
    return rendered


def output_format(output: OutputSchema[Any]) -> dict[str, Any]:
    """The ``output_config.format`` that asks for an answer of ``output``'s schema.

    Anthropic's structured outputs (``JSONOutputFormatParam``,
    https://platform.claude.com/docs/en/build-with-claude/structured-outputs) take the
    schemas its strict tool use takes: the schema in that dialect when it has a strict
    form, else as it is (the answer's validation is then what holds it).
    """
    rendered = output.tool.schema("anthropic", strict=True, on_strict_issues="fallback")
    return {"type": "json_schema", "schema": rendered["input_schema"]}


def render_messages(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """The conversation, system messages left out, as Messages API ``messages``.

    The results that follow a turn go in one user message, a ``tool_result`` block each;
    a user message right after them joins that message as a text block, since the API
    wants roles to alternate there. A turn with nothing in it is left out (the API
    rejects empty content).
    """
    rendered: list[dict[str, Any]] = []
    results_open = False  # whether rendered[-1] is a user message of tool results
    for message in repair_pairing(messages):
        match message:
            case SystemMessage():
                continue
            case UserMessage(content=content):
                if results_open:
                    rendered[-1]["content"].append({"type": "text", "text": content})
                else:
                    rendered.append({"role": "user", "content": content})
                results_open = False
            case AssistantTurn():
                blocks = turn_blocks(message)
                if blocks:
                    rendered.append({"role": "assistant", "content": blocks})
                else:
                    logger.debug("Left out an empty assistant turn: the API rejects one.")
                results_open = False
            case ToolResult():
                if not results_open:
                    rendered.append({"role": "user", "content": []})
                rendered[-1]["content"].append(_result_block(message))
                results_open = True
    return rendered


def turn_blocks(turn: AssistantTurn) -> list[dict[str, Any]]:
    """The content blocks of an assistant turn.

    The blocks Anthropic sent (``provider_state["anthropic"]``) go back verbatim, so
    thinking, redacted thinking and server tool blocks survive; they are rebuilt from the
    text and calls when absent, or when they no longer carry the turn's calls.
    """
    kept = _kept_blocks(turn)
    if kept is not None:
        return kept
    blocks: list[dict[str, Any]] = []
    if turn.text:
        blocks.append({"type": "text", "text": turn.text})
    blocks.extend(
        {
            "type": "tool_use",
            "id": call.id,
            "name": call.name,
            "input": _input(call.id, call.arguments),
        }
        for call in turn.tool_calls
    )
    return blocks


def _kept_blocks(turn: AssistantTurn) -> list[dict[str, Any]] | None:
    state: Any = turn.provider_state.get(PROVIDER)
    if state is None:
        return None
    if not isinstance(state, list) or not all(isinstance(b, dict) for b in cast(list[Any], state)):
        logger.warning("Ignored provider_state['anthropic'] of a turn: it is not a list of blocks.")
        return None
    blocks = [dict(block) for block in cast(list[dict[str, Any]], state)]
    kept_calls = [block.get("id") for block in blocks if block.get("type") == "tool_use"]
    if kept_calls != [call.id for call in turn.tool_calls]:
        logger.warning(
            "Rebuilt an assistant turn from its text and calls: its Anthropic blocks carry "
            "the calls %s, the turn %s.",
            kept_calls,
            [call.id for call in turn.tool_calls],
        )
        return None
    return blocks


def _input(call_id: str, arguments: str | Mapping[str, Any]) -> dict[str, Any]:
    """A call's arguments as the ``input`` object Anthropic expects."""
    if not isinstance(arguments, str):
        return dict(arguments)
    try:
        parsed: Any = json.loads(arguments or "{}")
    except ValueError:
        parsed = None
    if isinstance(parsed, dict):
        return cast(dict[str, Any], parsed)
    logger.warning(
        "Tool call %r: its arguments are not a JSON object (%.80r); sent as {}.", call_id, arguments
    )
    return {}


def _result_block(result: ToolResult) -> dict[str, Any]:
    block: dict[str, Any] = {
        "type": "tool_result",
        "tool_use_id": result.call_id,
        "content": [part_block(part) for part in result.parts] if result.parts else result.content,
    }
    if result.is_error:
        block["is_error"] = True
    return block
