"""A request's tools as the Responses API's ``tools`` and ``tool_choice``.

Pure: no SDK call, no I/O. Each function tool is its Responses schema (`Tool.schema`)
plus how it is offered: ``defer_loading`` and ``allowed_callers`` (``"program"`` is the
API's ``"programmatic"``), in the shape of the SDK's ``FunctionToolParam``. Tools tagged
with a namespace the provider describes go inside that ``namespace`` tool, which
``tool_search`` loads as one. What the request needs is added once: ``tool_search`` when a
tool is deferred (https://platform.openai.com/docs/guides/tools-tool-search), and
``programmatic_tool_calling`` when programs may call a tool. Hosted tools (web search,
file search, code interpreter, MCP...) are passed through as given.
"""

from __future__ import annotations

import functools
from collections.abc import Mapping, Sequence
from typing import Any, cast

from switchboard.errors import ConfigurationError
from switchboard.providers.base import AllowedTools, ToolChoice
from switchboard.tools.rendering import tool_schemas
from switchboard.tools.tool import Tool, check_name

_FUNCTION_TYPES = frozenset({"function", "namespace", "custom"})


def check_server_tools(server_tools: Sequence[Mapping[str, Any]]) -> list[dict[str, Any]]:
    """The hosted tools as plain dicts, or `ConfigurationError` naming the first wrong one.

    Each must be one of the SDK's ``ToolParam`` shapes other than a function, namespace or
    custom tool (those belong in the toolbox, where their calls are validated and run).
    """
    from openai.types.responses import ToolParam
    from pydantic import TypeAdapter, ValidationError

    adapter: TypeAdapter[Any] = TypeAdapter(ToolParam)
    checked: list[dict[str, Any]] = []
    for index, given in enumerate(server_tools):
        value = cast(object, given)
        tool = dict(cast(Mapping[str, Any], value)) if isinstance(value, Mapping) else {}
        kind = tool.get("type")
        if kind in _FUNCTION_TYPES:
            msg = (
                f"server_tools[{index}] is a {kind} tool: register it in the toolbox instead, "
                "so its calls are validated and run."
            )
            raise ConfigurationError(msg)
        if kind is None:
            msg = (
                f"server_tools[{index}] is not a Responses hosted tool (got {value!r}): give its "
                'definition, e.g. {"type": "web_search"}.'
            )
            raise ConfigurationError(msg)
        try:
            adapter.validate_python(tool)
        except ValidationError as e:
            msg = f"server_tools[{index}] is not a valid Responses hosted tool: {e}"
            raise ConfigurationError(msg) from e
        checked.append(tool)
    return checked


def check_namespaces(namespaces: Mapping[str, str]) -> dict[str, str]:
    """The namespaces (name -> description), or `ConfigurationError` naming a wrong one."""
    checked: dict[str, str] = {}
    for name, description in namespaces.items():
        check_name(name)
        if not isinstance(cast(object, description), str) or not description.strip():
            msg = (
                f"Namespace {name!r} needs a description (the model reads it to decide whether "
                f"to load the namespace); got {description!r}."
            )
            raise ConfigurationError(msg)
        checked[name] = description
    return checked


def render_tools(
    tools: Sequence[Tool],
    *,
    strict: bool,
    server_tools: Sequence[Mapping[str, Any]] = (),
    namespaces: Mapping[str, str] | None = None,
) -> list[dict[str, Any]]:
    """The ``tools`` of a request: function tools and namespaces, then the hosted tools.

    Raises:
        ConfigurationError: A tool is tagged with two of the namespaces.
    """
    grouped = tuple(sorted((namespaces or {}).items()))
    functions, deferred, programs = _function_tools(tuple(tools), strict, grouped)
    rendered = [*functions, *(dict(tool) for tool in server_tools)]
    kinds = {tool.get("type") for tool in server_tools}
    if deferred and "tool_search" not in kinds:
        rendered.append({"type": "tool_search"})
    if programs and "programmatic_tool_calling" not in kinds:
        rendered.append({"type": "programmatic_tool_calling"})
    return rendered


def render_tool_choice(
    choice: ToolChoice, custom: frozenset[str] = frozenset()
) -> str | dict[str, Any]:
    """The Responses ``tool_choice``: a mode, one tool, or the ``allowed_tools`` set.

    Args:
        choice: The neutral choice.
        custom: The names of the custom tools, named as ``custom`` rather than ``function``.

    Example:
        >>> render_tool_choice(AllowedTools(["get_time"], required=True))["tools"]
        [{'type': 'function', 'name': 'get_time'}]
    """
    if isinstance(choice, AllowedTools):
        return {
            "type": "allowed_tools",
            "mode": "required" if choice.required else "auto",
            "tools": [_named(name, custom) for name in choice.names],
        }
    if choice in ("auto", "none", "required"):
        return choice
    return _named(choice, custom)


def _named(name: str, custom: frozenset[str]) -> dict[str, Any]:
    return {"type": "custom" if name in custom else "function", "name": name}


# A run offers the same tools turn after turn: their rendering is kept per tool set, as
# `switchboard.tools.rendering` keeps the schemas (a request then costs one hash).
@functools.lru_cache(maxsize=32)
def _function_tools(
    tools: tuple[Tool, ...], strict: bool, namespaces: tuple[tuple[str, str], ...]
) -> tuple[tuple[dict[str, Any], ...], bool, bool]:
    """The tools rendered, whether any is deferred, and whether programs may call any."""
    described = dict(namespaces)
    schemas = tool_schemas(tools, "openai-responses", strict=strict)
    rendered: list[dict[str, Any]] = []
    members: dict[str, list[dict[str, Any]]] = {}
    for tool, schema in zip(tools, schemas, strict=True):
        function = _offered(tool, schema)
        namespace = _namespace_of(tool, described)
        if namespace is None:
            rendered.append(function)
            continue
        if namespace not in members:
            members[namespace] = []
            rendered.append(
                {
                    "type": "namespace",
                    "name": namespace,
                    "description": described[namespace],
                    "tools": members[namespace],
                }
            )
        members[namespace].append(function)
    deferred = any(tool.defer_loading for tool in tools)
    programs = any("program" in tool.allowed_callers for tool in tools)
    return tuple(rendered), deferred, programs


def _namespace_of(tool: Tool, namespaces: Mapping[str, str]) -> str | None:
    found = sorted(tag for tag in tool.tags if tag in namespaces)
    if len(found) > 1:
        msg = (
            f"Tool {tool.name!r} is tagged with the namespaces {found}: a tool belongs to one "
            "namespace. Remove all but one of those tags."
        )
        raise ConfigurationError(msg)
    return found[0] if found else None


def _offered(tool: Tool, schema: dict[str, Any]) -> dict[str, Any]:
    """The tool's schema with how it is offered (``FunctionToolParam``'s optional fields)."""
    extra: dict[str, Any] = {}
    if tool.defer_loading:
        extra["defer_loading"] = True
    if tool.allowed_callers:
        extra["allowed_callers"] = [
            "programmatic" if caller == "program" else caller for caller in tool.allowed_callers
        ]
    return {**schema, **extra} if extra else schema
