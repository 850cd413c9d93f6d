"""A request's tools as the Messages API's ``tools``: function tools, server tools, tool search.

Pure: no SDK call, no I/O. Each function tool is its Anthropic schema (`Tool.schema`) plus
what the tool says about how it is offered (``defer_loading``, ``input_examples``,
``eager_input_streaming``, ``allowed_callers``), in the shape of the SDK's ``ToolParam``.
Server tools (web search, code execution, the tool search tool...) are the provider's
own, passed through as given; when an offered tool is deferred and no tool search tool
is among them, the provider's default one is added
(https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/tool-search-tool).
"""

from __future__ import annotations

import functools
from collections.abc import Iterator, Mapping, Sequence
from typing import Any, Final, Literal, cast

from switchboard.errors import ConfigurationError
from switchboard.tools.rendering import tool_schemas
from switchboard.tools.tool import Tool

ToolSearch = Literal["bm25", "regex"]
"""Which tool search tool is added for deferred tools: natural-language queries ranked by
BM25, or regular expressions the model writes."""

TOOL_SEARCH_TOOLS: Final[dict[str, dict[str, str]]] = {
    "bm25": {"type": "tool_search_tool_bm25_20251119", "name": "tool_search_tool_bm25"},
    "regex": {"type": "tool_search_tool_regex_20251119", "name": "tool_search_tool_regex"},
}
"""The tool search tool of each variant, as the SDK's ``ToolSearchTool*Param``."""

MCP_BETA: Final = "mcp-client-2025-11-20"
"""The beta of the MCP connector: the API calls the tools of remote MCP servers itself
(``mcp_servers``, one ``mcp_toolset`` tool each), and its ``mcp_tool_use`` and
``mcp_tool_result`` blocks only pass with this header
(https://docs.anthropic.com/en/docs/agents-and-tools/mcp-connector)."""

PROGRAM_CALLER: Final = "code_execution_20260120"
"""The caller a tool that programs may call names when the request carries no code
execution tool of its own: the version programmatic tool calling requires
(https://docs.anthropic.com/en/docs/agents-and-tools/tool-use/programmatic-tool-calling);
the API provides the code execution tool itself."""


def check_server_tools(server_tools: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The server tools as plain dicts, or `ConfigurationError` naming the first wrong one.

    Each must be one of the SDK's ``ToolUnionParam`` shapes other than a function tool
    (a function tool belongs in the toolbox, where its calls are validated and run).
    """
    from anthropic.types import ToolUnionParam
    from pydantic import TypeAdapter, ValidationError

    adapter: TypeAdapter[Any] = TypeAdapter(ToolUnionParam)
    checked: list[dict[str, Any]] = []
    for index, given in enumerate(server_tools):
        value = cast(object, given)
        tool = dict(cast(Mapping[str, Any], value)) if isinstance(value, Mapping) else {}
        if tool.get("type") == "custom" or "input_schema" in tool:
            msg = (
                f"server_tools[{index}] ({tool.get('name')!r}) is a function tool: register "
                "it in the toolbox instead, so its calls are validated and run."
            )
            raise ConfigurationError(msg)
        if "type" not in tool:
            msg = (
                f"server_tools[{index}] is not an Anthropic server tool (got {value!r}): give "
                'its definition, e.g. {"type": "web_search_20250305", "name": "web_search"}.'
            )
            raise ConfigurationError(msg)
        try:
            adapter.validate_python(tool)
        except ValidationError as e:
            msg = f"server_tools[{index}] is not a valid Anthropic server tool: {e}"
            raise ConfigurationError(msg) from e
        checked.append(tool)
    return checked


def check_mcp_servers(servers: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The MCP servers as plain dicts, or `ConfigurationError` naming the first wrong one.

    Each is the SDK's ``BetaRequestMCPServerURLDefinitionParam``:
    ``{"type": "url", "url": ..., "name": ...}``, optionally ``authorization_token``.
    """
    from anthropic.types.beta import BetaRequestMCPServerURLDefinitionParam
    from pydantic import TypeAdapter, ValidationError

    adapter: TypeAdapter[Any] = TypeAdapter(BetaRequestMCPServerURLDefinitionParam)
    checked: list[dict[str, Any]] = []
    for index, given in enumerate(servers):
        try:
            adapter.validate_python(given)
        except ValidationError as e:
            msg = (
                f"mcp_servers[{index}] is not an MCP server definition ({e}). Give "
                '{"type": "url", "url": "https://...", "name": "..."}.'
            )
            raise ConfigurationError(msg) from e
        checked.append(dict(given))
    return checked


def mcp_toolsets(servers: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """One ``mcp_toolset`` tool per MCP server: every tool of the server, its default config."""
    return [{"type": "mcp_toolset", "mcp_server_name": server["name"]} for server in servers]


def holds_mcp_blocks(messages: Sequence[Mapping[str, Any]]) -> bool:
    """Whether rendered ``messages`` hold MCP connector blocks (they need `MCP_BETA`)."""
    for message in messages:
        content: Any = message.get("content")
        if isinstance(content, list) and any(
            isinstance(block, Mapping)
            and str(cast(Mapping[str, Any], block).get("type", "")).startswith("mcp_")
            for block in cast(list[Any], content)
        ):
            return True
    return False


def render_tools(
    tools: Sequence[Tool],
    *,
    strict: bool,
    server_tools: Sequence[Mapping[str, Any]] = (),
    tool_search: ToolSearch = "bm25",
) -> list[dict[str, Any]]:
    """The ``tools`` of a request: the function tools, then the server tools.

    A deferred function tool brings the ``tool_search`` variant's tool search tool along,
    unless a server tool already is one. A tool that programs may call names the code
    execution tool among the server tools as its caller, else `PROGRAM_CALLER`.
    """
    program = next(
        (t["type"] for t in server_tools if str(t.get("type", "")).startswith("code_execution_")),
        PROGRAM_CALLER,
    )
    functions, deferred = _function_tools(tuple(tools), strict, program)
    rendered = [*functions, *(dict(tool) for tool in server_tools)]
    searches = any(str(t.get("type", "")).startswith("tool_search_tool_") for t in server_tools)
    if deferred and not searches:
        rendered.append(dict(TOOL_SEARCH_TOOLS[tool_search]))
    return rendered


def referenced_tools(blocks: Sequence[Mapping[str, Any]]) -> Iterator[str]:
    """The names of the tools that tool search results among ``blocks`` loaded.

    Read from each ``tool_search_tool_result`` block's ``tool_references``; such a name must
    stay among the request's tools (deferred or not), or the API refuses the conversation
    ("Tool reference '...' not found in available tools").
    """
    for block in blocks:
        if block.get("type") != "tool_search_tool_result":
            continue
        content: Any = block.get("content")
        if not isinstance(content, Mapping):
            continue
        references: Any = cast(Mapping[str, Any], content).get("tool_references")
        if not isinstance(references, list):
            continue
        for reference in cast(list[Any], references):
            if isinstance(reference, Mapping):
                name = cast(Mapping[str, Any], reference).get("tool_name")
                if isinstance(name, str):
                    yield name


# A run offers the same tools turn after turn: their rendering is kept per tool set, as
# `switchboard.tools.rendering` keeps the schemas (a request then costs one hash).
@functools.lru_cache(maxsize=32)
def _function_tools(
    tools: tuple[Tool, ...], strict: bool, program: str
) -> tuple[tuple[dict[str, Any], ...], bool]:
    """The tools rendered, and whether any is deferred."""
    schemas = tool_schemas(tools, "anthropic", strict=strict)
    rendered = tuple(
        _offered(tool, schema, program) for tool, schema in zip(tools, schemas, strict=True)
    )
    return rendered, any(tool.defer_loading for tool in tools)


def _offered(tool: Tool, schema: dict[str, Any], program: str) -> dict[str, Any]:
    """The tool's schema with how it is offered (``ToolParam``'s optional fields)."""
    extra: dict[str, Any] = {}
    if tool.defer_loading:
        extra["defer_loading"] = True
    if tool.input_examples:
        extra["input_examples"] = [dict(example) for example in tool.input_examples]
    if tool.eager_input_streaming is not None:
        extra["eager_input_streaming"] = tool.eager_input_streaming
    if tool.allowed_callers:
        extra["allowed_callers"] = [
            "direct" if caller == "direct" else program for caller in tool.allowed_callers
        ]
    return {**schema, **extra} if extra else schema
