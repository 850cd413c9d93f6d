"""An MCP server's tool listing as switchboard `Tool`s: names, filters, schemas and handlers.

Each MCP tool becomes a schema tool (`Tool.from_schema`): its ``inputSchema`` is the neutral
schema every dialect is rendered from, and arguments are repaired and validated against it
before the call goes to the server. Names are made portable: a prefix is put in front, and
characters providers refuse (MCP allows ``.``) become ``_``. A tool that cannot be a
switchboard tool (a schema that is not an object, a name taken) is left out, with a reason.
"""

from __future__ import annotations

import fnmatch
import functools
import hashlib
import re
from collections.abc import Awaitable, Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from switchboard.errors import ConfigurationError, ToolDefinitionError
from switchboard.tools.tool import Tool, ToolOptions

if TYPE_CHECKING:
    from mcp_types import Tool as MCPTool

ToolCaller = Callable[..., Awaitable[Any]]
"""``caller(mcp_name, context_key, /, **arguments)``: runs a call of the server's tool
``mcp_name``; the arguments hold the `RunContext` under ``context_key``."""

_REFUSED = re.compile(r"[^a-zA-Z0-9_-]")
_MAX_NAME = 64


@dataclass(frozen=True, slots=True)
class Selection:
    """Which of a server's tools to take, and the prefix their names get.

    Attributes:
        prefix: Put in front of each name (``"time_"`` makes ``get_time`` ``time_get_time``).
        include: Take only the tools whose MCP names match one of these (names or
            shell-style patterns such as ``"get_*"``); ``None`` takes every tool.
        exclude: Leave out the tools whose MCP names match one of these.
    """

    prefix: str = ""
    include: tuple[str, ...] | None = None
    exclude: tuple[str, ...] = ()

    @classmethod
    def of(cls, prefix: str, include: Iterable[str] | None, exclude: Iterable[str]) -> Selection:
        """A selection, checked: the prefix must keep names portable.

        Raises:
            ConfigurationError: The prefix has characters providers refuse in tool names,
                or ``include``/``exclude`` is a single string rather than a collection.
        """
        if _REFUSED.search(prefix):
            msg = (
                f"prefix={prefix!r} has characters providers refuse in tool names: use letters, "
                "digits, '_' and '-' (e.g. 'time_')."
            )
            raise ConfigurationError(msg)
        for given, label in ((include, "include"), (exclude, "exclude")):
            if isinstance(given, str):
                msg = f"{label}= takes a collection of names or patterns: {label}=[{given!r}]."
                raise ConfigurationError(msg)
        return cls(prefix, None if include is None else tuple(include), tuple(exclude))

    def chooses(self, name: str) -> bool:
        """Whether the tool called ``name`` on the server is taken."""
        if self.include is not None and not _matches(name, self.include):
            return False
        return not _matches(name, self.exclude)


@dataclass(frozen=True, slots=True)
class Options:
    """How the executor runs a server's tools: options for all, and for some by name.

    Attributes:
        common: The options of every tool.
        by_name: Options for the tools whose MCP names match a key (a name or a
            shell-style pattern), over the common ones; later keys win.
    """

    common: ToolOptions
    by_name: Mapping[str, ToolOptions]

    def check(self) -> None:
        """Build a tool with each set of options, so that a bad one is refused now.

        Raises:
            ConfigurationError: An option has a value no tool takes.
        """
        for options in [self.common, *self.by_name.values()]:
            merged = ToolOptions(**self.common)
            merged.update(options)
            Tool("options", "", {}, None, **merged)

    def of(self, name: str) -> ToolOptions:
        """The options of the server's tool called ``name``."""
        merged = ToolOptions(**self.common)
        for pattern, options in self.by_name.items():
            if fnmatch.fnmatchcase(name, pattern):
                merged.update(options)
        return merged


def build_tools(
    listing: Sequence[MCPTool],
    *,
    server: str,
    selection: Selection,
    options: Options,
    caller: ToolCaller,
) -> tuple[list[Tool], list[str]]:
    """The switchboard tools for a server's listing, and why each tool left out was.

    Args:
        listing: The server's tools, every page of them.
        server: The server's name, a tag of every tool.
        selection: Which tools to take, and their prefix.
        options: How the executor runs them (timeouts, retries, approval...).
        caller: Runs a call on the server (see `ToolCaller`).
    """
    tools: list[Tool] = []
    left_out: list[str] = []
    taken: set[str] = set()
    for entry in listing:
        if not selection.chooses(entry.name):
            continue
        name = portable_name(selection.prefix + entry.name)
        if name in taken:
            left_out.append(f"{entry.name!r}: its name {name!r} is already another tool's")
            continue
        try:
            tool = _tool(entry, name, server, options.of(entry.name), caller)
        except ToolDefinitionError as e:
            left_out.append(f"{entry.name!r}: {e}")
            continue
        taken.add(name)
        tools.append(tool)
    return tools, left_out


def portable_name(name: str) -> str:
    """``name`` with the characters providers refuse made ``_``, and at most 64 characters.

    A longer name keeps its start and ends with a hash of the whole, so that two long
    names stay apart.
    """
    name = _REFUSED.sub("_", name)
    if len(name) <= _MAX_NAME:
        return name
    digest = hashlib.sha256(name.encode()).hexdigest()[:8]
    return f"{name[: _MAX_NAME - 9]}_{digest}"


def _tool(entry: MCPTool, name: str, server: str, options: ToolOptions, caller: ToolCaller) -> Tool:
    parameters = _object_schema(entry.input_schema)
    context_key = _free_key(parameters.get("properties", {}))
    return Tool.from_schema(
        name,
        entry.description or entry.title or "",
        parameters,
        functools.partial(caller, entry.name, context_key),
        tags=("mcp", server),
        context_parameter=context_key,
        **(_hinted(entry) | options),
    )


def _hinted(entry: MCPTool) -> ToolOptions:
    """The tool options the server's title and behaviour hints say (the user's options win)."""
    hinted: ToolOptions = {}
    title = entry.title or (entry.annotations.title if entry.annotations else None)
    if title:
        hinted["title"] = title
    hints = entry.annotations
    if hints is None:
        return hinted
    if hints.read_only_hint is not None:
        hinted["read_only"] = hints.read_only_hint
    if hints.destructive_hint is not None and not hints.read_only_hint:
        hinted["destructive"] = hints.destructive_hint
    if hints.idempotent_hint is not None:
        hinted["idempotent"] = hints.idempotent_hint
    if hints.open_world_hint is not None:
        hinted["open_world"] = hints.open_world_hint
    return hinted


def _object_schema(schema: Mapping[str, Any]) -> Mapping[str, Any]:
    """The input schema, with ``"type": "object"`` given where a server left it out.

    Some servers send ``{}`` or bare ``properties`` for a tool's arguments; MCP requires an
    object, so that is what they mean.
    """
    if "type" in schema:
        return schema
    return {"type": "object", **schema}


def _free_key(properties: Mapping[str, Any]) -> str:
    """A keyword for the `RunContext` that no argument of the tool has."""
    key = "context"
    while key in properties:
        key = f"_{key}"
    return key


def _matches(name: str, patterns: tuple[str, ...]) -> bool:
    return any(fnmatch.fnmatchcase(name, pattern) for pattern in patterns)
