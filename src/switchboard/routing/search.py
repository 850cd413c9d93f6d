"""Ranking a toolbox's index for a query, as a `Router`'s settings say: numpy, loaded lazily.

`Router` imports this module on its first query, so that ``import switchboard`` does not
load numpy and bm25s for a program that never routes.
"""

from __future__ import annotations

from collections.abc import Collection
from typing import TYPE_CHECKING, Final

import numpy as np
import numpy.typing as npt

from switchboard.routing.index import GroupIndex, Mask, ToolIndex
from switchboard.routing.lexical import LexicalIndex
from switchboard.routing.ranking import interleave, reciprocal_rank_fusion, top_indices
from switchboard.routing.text import intents, terms
from switchboard.tools.tool import Tool

if TYPE_CHECKING:
    from switchboard.routing.embedding import EmbeddingCache
    from switchboard.routing.router import Router

__all__ = ["ranked", "selected"]

# Each ranking fed to the fusion is cut to this depth (or top_k, if larger): items past
# it add less than 1/(60 + 100) each, and sorting every tool would cost more than BM25.
_FUSION_DEPTH: Final = 100

Indices = npt.NDArray[np.intp]


def selected(
    router: Router,
    cache: EmbeddingCache | None,
    index: ToolIndex,
    query: str,
    called: Collection[str],
) -> list[Tool]:
    """`Router.select`'s tools: ``always`` and ``called`` ones, and the ``top_k`` best others."""
    kept = index.mask([*router.always, *called])
    chosen = kept.copy()
    chosen[_rank(router, cache, index, query, router.top_k, excluded=kept)] = True
    return [index.tools[i] for i in np.flatnonzero(chosen)]


def ranked(
    router: Router, cache: EmbeddingCache | None, index: ToolIndex, query: str, k: int | None
) -> list[Tool]:
    """`Router.rank`'s tools: the best ``k`` for ``query``, best first."""
    return [index.tools[i] for i in _rank(router, cache, index, query, k, excluded=None)]


def _rank(
    router: Router,
    cache: EmbeddingCache | None,
    index: ToolIndex,
    query: str,
    k: int | None,
    *,
    excluded: Mask | None,
) -> Indices:
    if not query.strip() or not index.tools:
        return np.zeros(0, dtype=np.intp)
    parts = intents(query) if router.split_intents else []
    texts = [query, *parts] if len(parts) > 1 else [query]
    query_vectors = cache.queries(texts) if cache is not None else None
    query_terms = [terms(text) for text in texts]
    allowed = None if excluded is None else ~excluded
    if router.group_top_k is not None:
        groups = index.groups(router.group_descriptions)
        whole = None if query_vectors is None else query_vectors[0]
        chosen = _rank_groups(router, cache, groups, query_terms[0], whole)
        in_groups = groups.allowed(chosen)
        allowed = in_groups if allowed is None else allowed & in_groups
    vectors = index.vectors(cache) if cache is not None else None
    rankings = [
        _fuse(
            router,
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
    router: Router,
    cache: EmbeddingCache | None,
    groups: GroupIndex,
    query_terms: list[str],
    query_vector: npt.NDArray[np.float32] | None,
) -> Indices:
    vectors = groups.vectors(cache) if cache is not None else None
    return _fuse(
        router, groups.lexical, vectors, query_terms, query_vector, router.group_top_k, None
    )


def _fuse(
    router: Router,
    lexical: LexicalIndex,
    vectors: npt.NDArray[np.float32] | None,
    query_terms: list[str],
    query_vector: npt.NDArray[np.float32] | None,
    k: int | None,
    allowed: Mask | None,
) -> Indices:
    """Rank documents by BM25, by embedding, or by both fused, as the mode says."""
    depth = k if k is None or router.mode != "hybrid" else max(k, _FUSION_DEPTH)
    rankings: list[Indices] = []
    if router.mode != "embedding":
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
    fused = reciprocal_rank_fusion(rankings, len(lexical), k=router.fusion_k)
    return fused if k is None else fused[:k]
