"""`ToolRegistry`: the tools a model may call — register, look up, render schemas.

`Toolbox` (in `switchboard.execution.toolbox`) is this registry plus `execute`: the tools
layer knows nothing of how calls run.
"""

from __future__ import annotations

import weakref
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar, Unpack, overload

from switchboard.errors import ConfigurationError, ToolDefinitionError, ToolNotFoundError
from switchboard.schema.dialects import Format
from switchboard.tools.source import ToolSource, ToolWatcher, tell_watchers
from switchboard.tools.tool import OnStrictIssues, Tool, ToolOptions

F = TypeVar("F", bound=Callable[..., Any] | Tool)


class ToolRegistry:
    """The tools a model may call, by name: `Toolbox` without ``execute``.

    Example:
        >>> tools = ToolRegistry()
        >>> @tools.register
        ... def get_weather(city: str) -> str:
        ...     '''Get the current weather for a city.'''
        ...     return "sunny"
        >>> [s["function"]["name"] for s in tools.schemas("openai")]
        ['get_weather']
        >>> get_weather("Tokyo")  # still the plain function
        'sunny'
    """

    def __init__(self, tools: Iterable[Tool | Callable[..., Any] | ToolSource] = ()) -> None:
        self._tools: dict[str, Tool] = {}
        self._schemas: dict[tuple[str, bool, str], list[dict[str, Any]]] = {}
        self._version = 0
        self._sequential_names: frozenset[str] = frozenset()
        self._owners: dict[str, ToolSource] = {}  # tool name -> the source that put it here
        self._sources: list[ToolSource] = []
        self._watchers: weakref.WeakSet[ToolWatcher] = weakref.WeakSet()
        for item in tools:
            # Tools and functions first: a protocol check costs more than registering some.
            if isinstance(item, Tool) or callable(item):
                self.register(item)
            else:
                self.include(item)

    @overload
    def register(self, fn: F, /) -> F: ...
    @overload
    def register(
        self,
        fn: None = None,
        /,
        *,
        name: str | None = None,
        description: str | None = None,
        tags: Iterable[str] = (),
        strict_types: bool = False,
        **options: Unpack[ToolOptions],
    ) -> Callable[[F], F]: ...
    def register(
        self,
        fn: Callable[..., Any] | Tool | None = None,
        /,
        *,
        name: str | None = None,
        description: str | None = None,
        tags: Iterable[str] = (),
        strict_types: bool = False,
        **options: Unpack[ToolOptions],
    ) -> Any:
        """Register a function (or a ready `Tool`); use bare or called, as a decorator or not.

        Returns what it was given, so a decorated function stays a plain function.

        Args:
            fn: The function or `Tool`.
            name: The tool's name; defaults to the function's.
            description: The tool's description; defaults to the docstring's summary.
            tags: Labels for grouping and routing.
            strict_types: Refuse a function parameter without a type annotation (by
                default it is warned about: the model may send it anything).
            **options: How the executor runs it: see `ToolOptions`.

        Raises:
            ToolDefinitionError: The name is taken or invalid, or the function cannot be a tool.
        """

        def decorate(f: F) -> F:
            tool = _as_tool(
                f,
                name=name,
                description=description,
                tags=tags,
                strict_types=strict_types,
                options=options,
            )
            self.add(tool)
            return f

        return decorate if fn is None else decorate(fn)

    def add(self, tool: Tool) -> Tool:
        """Register a built `Tool` and return it.

        Raises:
            ToolDefinitionError: Another tool already has its name.
        """
        existing = self._tools.get(tool.name)
        if existing is not None:
            msg = (
                f"Tool {tool.name!r} is already registered (handler {existing.handler!r}). "
                "Pass name='...' to register this one under another name, or unregister the first."
            )
            raise ToolDefinitionError(msg, tool=tool.name)
        self._tools[tool.name] = tool
        if tool.sequential:
            self._sequential_names |= {tool.name}
        self._changed()
        return tool

    def unregister(self, name: str) -> Tool:
        """Remove a tool and return it.

        Raises:
            ToolNotFoundError: No tool has that name.
        """
        tool = self.get(name)
        del self._tools[name]
        self._owners.pop(name, None)
        self._sequential_names -= {name}
        self._changed()
        return tool

    def include(self, source: ToolSource) -> None:
        """Add the tools of ``source`` and follow them as they change there.

        Another toolbox's later registrations appear here too; an `MCPServer`'s tools
        appear once it is connected and follow its tool list. Tools given to `Toolbox`
        or `Agent` include every source among them.

        Raises:
            ToolDefinitionError: One of its tools has the name of a tool already here.
            ConfigurationError: ``source`` is this toolbox, or already includes it.
        """
        if not isinstance(source, ToolSource):  # pyright: ignore[reportUnnecessaryIsInstance]
            msg = (
                f"{source!r} is not a tool: give functions, Tools, Toolboxes or MCPServers "
                "(anything with list_tools, watch and unwatch)."
            )
            raise ToolDefinitionError(msg, tool=repr(source))
        if source is self or (isinstance(source, ToolRegistry) and source.includes(self)):
            msg = f"{self!r} cannot include {source!r}: that toolbox already includes this one."
            raise ConfigurationError(msg)
        if source in self._sources:
            return
        taken = self.update_from(source, source.list_tools())
        if taken:
            self.update_from(source, ())
            msg = (
                f"Cannot include {source!r}: its tools {list(taken)} have the names of tools "
                "already registered. Rename one side (an MCP server takes a prefix=)."
            )
            raise ToolDefinitionError(msg, tool=taken[0])
        self._sources.append(source)
        source.watch(self)

    def exclude(self, source: ToolSource) -> None:
        """Remove the tools of an included ``source`` and stop following it."""
        if source in self._sources:
            self._sources.remove(source)
            source.unwatch(self)
            self.update_from(source, ())

    def includes(self, source: ToolSource) -> bool:
        """Whether ``source`` is included here, directly or through an included toolbox."""
        return any(
            s is source or (isinstance(s, ToolRegistry) and s.includes(source))
            for s in self._sources
        )

    def update_from(self, source: ToolSource, tools: Iterable[Tool]) -> tuple[str, ...]:
        """Replace the tools ``source`` put here with ``tools``, as a source does on a change.

        Returns:
            The names refused because another tool here has them (the others are in).
        """
        for name in [name for name, owner in self._owners.items() if owner is source]:
            del self._tools[name]
            del self._owners[name]
        taken: list[str] = []
        for tool in tools:
            if tool.name in self._tools:
                taken.append(tool.name)
                continue
            self._tools[tool.name] = tool
            self._owners[tool.name] = source
        self._sequential_names = frozenset(t.name for t in self._tools.values() if t.sequential)
        self._changed()
        return tuple(taken)

    def list_tools(self) -> list[Tool]:
        """The tools registered now (`ToolSource`: a toolbox can be included in another)."""
        return list(self._tools.values())

    def watch(self, toolbox: ToolWatcher) -> None:
        """Update ``toolbox`` whenever tools are added here or removed (see `include`)."""
        self._watchers.add(toolbox)

    def unwatch(self, toolbox: ToolWatcher) -> None:
        """Stop updating ``toolbox``."""
        self._watchers.discard(toolbox)

    def get(self, name: str) -> Tool:
        """The tool called ``name``.

        Raises:
            ToolNotFoundError: No tool has that name; the error lists those that exist.
        """
        try:
            return self._tools[name]
        except KeyError:
            raise ToolNotFoundError(name, list(self._tools)) from None

    def find(self, name: str) -> Tool | None:
        """The tool called ``name``, or None when there is none."""
        return self._tools.get(name)

    @property
    def version(self) -> int:
        """A number that changes whenever a tool is added or removed, and only then.

        What is derived from the tools (a router's index, rendered schemas) is current as
        long as this number is the one it was derived at: an O(1) check.
        """
        return self._version

    @property
    def sequential_names(self) -> frozenset[str]:
        """The names of the tools marked ``sequential``: an O(1) read, kept as tools change."""
        return self._sequential_names

    @property
    def names(self) -> list[str]:
        """The registered names, in registration order."""
        return list(self._tools)

    def schemas(
        self,
        fmt: Format,
        *,
        strict: bool = False,
        on_strict_issues: OnStrictIssues = "raise",
    ) -> list[dict[str, Any]]:
        """Every tool as one provider's API accepts it, in registration order.

        Built once per format and cached until a tool is added or removed: treat the list
        and its items as read-only. Arguments as in `Tool.schema`.
        """
        key = (fmt, strict, on_strict_issues)
        cached = self._schemas.get(key)
        if cached is None:
            cached = [
                tool.schema(fmt, strict=strict, on_strict_issues=on_strict_issues)
                for tool in self._tools.values()
            ]
            self._schemas[key] = cached
        return cached

    def _changed(self) -> None:
        self._version += 1
        self._schemas.clear()
        if self._watchers:
            tell_watchers(self, self._watchers, self._tools.values())

    def __contains__(self, name: object) -> bool:
        return name in self._tools

    def __iter__(self) -> Iterator[Tool]:
        return iter(list(self._tools.values()))

    def __len__(self) -> int:
        return len(self._tools)

    def __repr__(self) -> str:
        return f"{type(self).__name__}({self.names!r})"


def _as_tool(
    item: Callable[..., Any] | Tool,
    *,
    name: str | None,
    description: str | None,
    tags: Iterable[str],
    strict_types: bool,
    options: ToolOptions,
) -> Tool:
    if not isinstance(item, Tool):
        return Tool.from_function(
            item,
            name=name,
            description=description,
            tags=tags,
            strict_types=strict_types,
            **options,
        )
    if name is not None or description is not None or tags or strict_types or options:
        msg = (
            f"Tool {item.name!r} is already built: give name, description, tags and options "
            "when building it, not when registering it."
        )
        raise ToolDefinitionError(msg, tool=item.name)
    return item
