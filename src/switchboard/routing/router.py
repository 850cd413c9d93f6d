"""`Router`: for each turn, the few tools of a large toolbox worth offering the model."""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Collection, Mapping
from typing import TYPE_CHECKING, Final, Literal, get_args

from switchboard.errors import ConfigurationError
from switchboard.routing.text import tool_terms
from switchboard.tools.registry import ToolRegistry
from switchboard.tools.tool import Tool

if TYPE_CHECKING:
    from switchboard.routing.embedding import Embed, EmbeddingCache
    from switchboard.routing.index import ToolIndex

__all__ = ["Router", "RoutingMode"]

RoutingMode = Literal["lexical", "embedding", "hybrid"]
"""How tools are ranked: BM25, embedding similarity, or both fused by reciprocal rank."""

_MODES: Final = frozenset(get_args(RoutingMode))


class Router:
    """Chooses, for each turn, the tools worth offering the model out of a large toolbox.

    Lexical routing (the default) needs no model: BM25 over each tool's name (split into
    words), description and parameters. Embedding routing compares sentence embeddings,
    from the packaged all-MiniLM-L6-v2 (`MiniLM`) or any ``embed`` function; hybrid fuses
    both rankings by reciprocal rank.

    A query that asks for several things ("Find the area of a circle. Then convert 3
    miles to km.") is also ranked request by request (`intents`: sentences and linked
    clauses), and the rankings are interleaved after the whole query's best tool, so that
    each request's best tool is offered.

    A router serves any number of toolboxes. Each toolbox's index is built on first use
    and rebuilt when its tools change (`Toolbox.version`, checked on every call in
    constant time); tools' terms and embeddings are cached across rebuilds.

    Args:
        top_k: How many routed tools to offer per turn, besides ``always`` and called tools.
        mode: ``"lexical"``, ``"embedding"`` or ``"hybrid"``.
        embed: The embedding function for ``"embedding"`` and ``"hybrid"``, or an
            `EmbeddingCache` to share tools' vectors with other routers; defaults to
            `MiniLM` (the ``embeddings`` extra and the model package).
        always: Names of tools offered on every turn.
        group_top_k: Route in two stages: first the ``group_top_k`` groups (tool tags)
            that best match the query, then the best tools among theirs and the untagged
            tools. ``None`` ranks all tools at once.
        group_descriptions: Text describing some groups, by tag, to match queries on.
        fusion_k: The reciprocal-rank-fusion constant of ``"hybrid"``.
        split_intents: Rank each request of a multi-request query as well as the whole.
        native: Let the provider search instead: every tool is offered, each but the
            ``always`` tools deferred (``defer_loading``), and a provider with tool search
            (Anthropic's tool search tool, OpenAI's ``tool_search``) finds the ones a turn
            needs. The tool list stays the same from turn to turn, so tools a search
            loaded stay defined and the prompt cache holds. Providers without tool search
            are offered every tool.

    Raises:
        ConfigurationError: A count below 1 or an unknown mode.
        ImportError: An embedding mode without ``embed`` and without the ``embeddings``
            extra and the model package.

    Example:
        >>> from switchboard import Toolbox
        >>> tools = Toolbox()
        >>> @tools.register
        ... def get_weather(city: str) -> str:
        ...     '''Get the current weather for a city.'''
        ...     return "sunny"
        >>> @tools.register
        ... def convert_length(value: float, to_unit: str) -> float:
        ...     '''Convert a length to another unit.'''
        ...     return value
        >>> [t.name for t in Router(top_k=1).select(tools, "Is it raining in Paris? weather")]
        ['get_weather']
    """

    def __init__(
        self,
        top_k: int = 5,
        *,
        mode: RoutingMode = "lexical",
        embed: Embed | EmbeddingCache | None = None,
        always: Collection[str] = (),
        group_top_k: int | None = None,
        group_descriptions: Mapping[str, str] | None = None,
        fusion_k: int = 60,
        split_intents: bool = True,
        native: bool = False,
    ) -> None:
        _check_count("top_k", top_k)
        if group_top_k is not None:
            _check_count("group_top_k", group_top_k)
        _check_count("fusion_k", fusion_k)
        if mode not in _MODES:
            msg = f"Router mode {mode!r} is unknown. Use one of: {', '.join(sorted(_MODES))}."
            raise ConfigurationError(msg)
        self.top_k = top_k
        self.mode: RoutingMode = mode
        self.always = tuple(dict.fromkeys(always))
        self.group_top_k = group_top_k
        self.group_descriptions = dict(group_descriptions or {})
        self.fusion_k = fusion_k
        self.split_intents = split_intents
        self.native = native
        self._cache = None if mode == "lexical" or native else _embedding_cache(embed)
        # Each toolbox's index, with the toolbox version it was built at.
        self._indexes: weakref.WeakKeyDictionary[ToolRegistry, tuple[int, ToolIndex]] = (
            weakref.WeakKeyDictionary()
        )
        # Native routing: each toolbox's offered tools, with the version they were made at.
        self._offers: weakref.WeakKeyDictionary[ToolRegistry, tuple[int, tuple[Tool, ...]]] = (
            weakref.WeakKeyDictionary()
        )
        self._terms: weakref.WeakKeyDictionary[Tool, list[str]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def select(
        self, toolbox: ToolRegistry, query: str, *, called: Collection[str] = ()
    ) -> list[Tool]:
        """The tools to offer for one turn, in the toolbox's registration order.

        They are the ``always`` tools, the ``called`` tools still in the toolbox, and the
        ``top_k`` best-ranked other tools for ``query``. A query that matches nothing (an
        empty one, or, in lexical mode, one sharing no word with any tool) adds none.

        Args:
            toolbox: The tools to choose from.
            query: What the turn is about: the latest user message and recent context.
            called: Names of the tools already called in this run; they stay offered.

        With ``native`` they are every tool of the toolbox, all but the ``always`` tools
        deferred, whatever the query.

        Raises:
            ConfigurationError: An ``always`` name is not in the toolbox.
        """
        if self.native:
            return list(self._offered(toolbox))
        index = self._index(toolbox)
        missing = [name for name in self.always if name not in index.positions]
        if missing:
            msg = (
                f"Router: always-offered tools {missing} are not in the toolbox. Register "
                f"them, or remove them from `always`. Registered: {sorted(index.positions)}."
            )
            raise ConfigurationError(msg)
        from switchboard.routing import search  # numpy: loaded by the first query

        return search.selected(self, self._cache, index, query, called)

    async def select_async(
        self, toolbox: ToolRegistry, query: str, *, called: Collection[str] = ()
    ) -> list[Tool]:
        """`select` for async code.

        Embedding modes run in a worker thread, since model inference or an embedding API
        call would block the event loop; lexical and native routing take microseconds and
        run inline.
        """
        if self.mode == "lexical" or self.native:
            return self.select(toolbox, query, called=called)
        return await asyncio.to_thread(self.select, toolbox, query, called=called)

    def rank(self, toolbox: ToolRegistry, query: str, *, k: int | None = None) -> list[Tool]:
        """The tools ranked for ``query``, best first (at most ``k``); ignores ``always``.

        With ``group_top_k`` set, only tools of the chosen groups and untagged tools rank.
        In lexical mode, tools sharing no word with the query are left out.
        """
        from switchboard.routing import search  # numpy: loaded by the first query

        return search.ranked(self, self._cache, self._index(toolbox), query, k)

    def _offered(self, toolbox: ToolRegistry) -> tuple[Tool, ...]:
        """Native routing's offer: every tool, all but ``always`` deferred; kept per version."""
        with self._lock:
            made = self._offers.get(toolbox)
            if made is not None and made[0] == toolbox.version:
                return made[1]
            version = toolbox.version
            missing = [name for name in self.always if name not in toolbox]
            if missing:
                msg = (
                    f"Router: always-offered tools {missing} are not in the toolbox. Register "
                    f"them, or remove them from `always`. Registered: {sorted(toolbox.names)}."
                )
                raise ConfigurationError(msg)
            always = set(self.always)
            offer = tuple(tool if tool.name in always else tool.deferred() for tool in toolbox)
            self._offers[toolbox] = (version, offer)
            return offer

    def _index(self, toolbox: ToolRegistry) -> ToolIndex:
        from switchboard.routing.index import ToolIndex  # numpy and bm25s: the first query

        with self._lock:
            built = self._indexes.get(toolbox)
            if built is not None and built[0] == toolbox.version:
                return built[1]
            # The version is read before the tools: a change in between rebuilds next time.
            version = toolbox.version
            index = ToolIndex(list(toolbox), self._tool_terms)
            self._indexes[toolbox] = (version, index)
            return index

    def _tool_terms(self, tool: Tool) -> list[str]:
        found = self._terms.get(tool)
        if found is None:
            found = self._terms[tool] = tool_terms(tool)
        return found

    def __repr__(self) -> str:
        if self.native:
            return f"Router(native=True, always={list(self.always)!r})"
        return f"Router(top_k={self.top_k}, mode={self.mode!r}, always={list(self.always)!r})"


def _embedding_cache(embed: Embed | EmbeddingCache | None) -> EmbeddingCache:
    from switchboard.routing.embedding import EmbeddingCache  # numpy: only embedding modes

    if isinstance(embed, EmbeddingCache):
        return embed
    if embed is None:
        from switchboard.routing.minilm import MiniLM

        embed = MiniLM()
    return EmbeddingCache(embed)


def _check_count(name: str, value: int) -> None:
    if value < 1:
        msg = f"Router: {name} must be at least 1 (got {value!r})."
        raise ConfigurationError(msg)
