"""`Router`: for each turn, the few tools of a large toolbox worth offering the model."""

from __future__ import annotations

import asyncio
import threading
import weakref
from collections.abc import Collection, Mapping
from typing import Final, Literal, get_args

import numpy as np
import numpy.typing as npt

from switchboard.errors import ConfigurationError
from switchboard.routing.embedding import Embed, EmbeddingCache
from switchboard.routing.index import GroupIndex, Mask, ToolIndex
from switchboard.routing.lexical import LexicalIndex
from switchboard.routing.ranking import interleave, reciprocal_rank_fusion, top_indices
from switchboard.routing.text import intents, terms, tool_terms
from switchboard.tools.tool import Tool
from switchboard.tools.toolbox import Toolbox

__all__ = ["Router", "RoutingMode"]

RoutingMode = Literal["lexical", "embedding", "hybrid"]
"""How tools are ranked: BM25, embedding similarity, or both fused by reciprocal rank."""

_MODES: Final = frozenset(get_args(RoutingMode))

# Each ranking fed to the fusion is cut to this depth (or top_k, if larger): items past
# it add less than 1/(60 + 100) each, and sorting every tool would cost more than BM25.
_FUSION_DEPTH: Final = 100

Indices = npt.NDArray[np.intp]


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
    and rebuilt when its tools change (checked on every call, by identity and order);
    tools' terms and embeddings are cached across rebuilds.

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

    Raises:
        ConfigurationError: A count below 1 or an unknown mode.
        ImportError: An embedding mode without ``embed`` and without the ``embeddings``
            extra and the model package.

    Example:
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
        self._cache = None if mode == "lexical" else _embedding_cache(embed)
        self._indexes: weakref.WeakKeyDictionary[Toolbox, ToolIndex] = weakref.WeakKeyDictionary()
        self._terms: weakref.WeakKeyDictionary[Tool, list[str]] = weakref.WeakKeyDictionary()
        self._lock = threading.Lock()

    def select(self, toolbox: Toolbox, query: str, *, called: Collection[str] = ()) -> list[Tool]:
        """The tools to offer for one turn, in the toolbox's registration order.

        They are the ``always`` tools, the ``called`` tools still in the toolbox, and the
        ``top_k`` best-ranked other tools for ``query``. A query that matches nothing (an
        empty one, or, in lexical mode, one sharing no word with any tool) adds none.

        Args:
            toolbox: The tools to choose from.
            query: What the turn is about: the latest user message and recent context.
            called: Names of the tools already called in this run; they stay offered.

        Raises:
            ConfigurationError: An ``always`` name is not in the toolbox.
        """
        index = self._index(toolbox)
        missing = [name for name in self.always if name not in index.positions]
        if missing:
            msg = (
                f"Router: always-offered tools {missing} are not in the toolbox. Register "
                f"them, or remove them from `always`. Registered: {sorted(index.positions)}."
            )
            raise ConfigurationError(msg)
        kept = index.mask([*self.always, *called])
        chosen = kept.copy()
        chosen[self._rank(index, query, self.top_k, excluded=kept)] = True
        return [index.tools[i] for i in np.flatnonzero(chosen)]

    async def select_async(
        self, toolbox: Toolbox, query: str, *, called: Collection[str] = ()
    ) -> list[Tool]:
        """`select` for async code.

        Embedding modes run in a worker thread, since model inference or an embedding API
        call would block the event loop; lexical routing takes microseconds and runs inline.
        """
        if self.mode == "lexical":
            return self.select(toolbox, query, called=called)
        return await asyncio.to_thread(self.select, toolbox, query, called=called)

    def rank(self, toolbox: Toolbox, query: str, *, k: int | None = None) -> list[Tool]:
        """The tools ranked for ``query``, best first (at most ``k``); ignores ``always``.

        With ``group_top_k`` set, only tools of the chosen groups and untagged tools rank.
        In lexical mode, tools sharing no word with the query are left out.
        """
        index = self._index(toolbox)
        return [index.tools[i] for i in self._rank(index, query, k, excluded=None)]

    def _index(self, toolbox: Toolbox) -> ToolIndex:
        tools = list(toolbox)
        with self._lock:
            index = self._indexes.get(toolbox)
            if index is None or index.tools != tools:
                index = self._indexes[toolbox] = ToolIndex(tools, self._tool_terms)
            return index

    def _tool_terms(self, tool: Tool) -> list[str]:
        found = self._terms.get(tool)
        if found is None:
            found = self._terms[tool] = tool_terms(tool)
        return found

    def _rank(
        self, index: ToolIndex, query: str, k: int | None, *, excluded: Mask | None
    ) -> Indices:
        if not query.strip() or not index.tools:
            return np.zeros(0, dtype=np.intp)
        parts = intents(query) if self.split_intents else []
        texts = [query, *parts] if len(parts) > 1 else [query]
        query_vectors = self._cache.queries(texts) if self._cache is not None else None
        query_terms = [terms(text) for text in texts]
        allowed = None if excluded is None else ~excluded
        if self.group_top_k is not None:
            groups = index.groups(self.group_descriptions)
            whole = None if query_vectors is None else query_vectors[0]
            chosen = self._rank_groups(groups, query_terms[0], whole)
            in_groups = groups.allowed(chosen)
            allowed = in_groups if allowed is None else allowed & in_groups
        vectors = index.vectors(self._cache) if self._cache is not None else None
        rankings = [
            self._fuse(
                index.lexical,
                vectors,
                words,
                None if query_vectors is None else query_vectors[i],
                k,
                allowed,
            )
            for i, words in enumerate(query_terms)
        ]
        if len(rankings) == 1:
            return rankings[0]
        merged = interleave(rankings, len(index.tools))
        return merged if k is None else merged[:k]

    def _rank_groups(
        self,
        groups: GroupIndex,
        query_terms: list[str],
        query_vector: npt.NDArray[np.float32] | None,
    ) -> Indices:
        vectors = groups.vectors(self._cache) if self._cache is not None else None
        return self._fuse(
            groups.lexical, vectors, query_terms, query_vector, self.group_top_k, None
        )

    def _fuse(
        self,
        lexical: LexicalIndex,
        vectors: npt.NDArray[np.float32] | None,
        query_terms: list[str],
        query_vector: npt.NDArray[np.float32] | None,
        k: int | None,
        allowed: Mask | None,
    ) -> Indices:
        """Rank documents by BM25, by embedding, or by both fused, as the mode says."""
        depth = k if k is None or self.mode != "hybrid" else max(k, _FUSION_DEPTH)
        rankings: list[Indices] = []
        if self.mode != "embedding":
            scores = lexical.scores(query_terms)
            if allowed is not None:
                scores = np.where(allowed, scores, np.float32(0))
            rankings.append(top_indices(scores, depth, positive=True))
        if vectors is not None and query_vector is not None:
            similarity = vectors @ query_vector
            if allowed is not None:
                similarity = np.where(allowed, similarity, np.float32(-np.inf))
            rankings.append(top_indices(similarity, depth, positive=False))
        if len(rankings) == 1:
            return rankings[0]
        fused = reciprocal_rank_fusion(rankings, len(lexical), k=self.fusion_k)
        return fused if k is None else fused[:k]

    def __repr__(self) -> str:
        return f"Router(top_k={self.top_k}, mode={self.mode!r}, always={list(self.always)!r})"


def _embedding_cache(embed: Embed | EmbeddingCache | None) -> EmbeddingCache:
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
