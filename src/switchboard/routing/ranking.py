"""Turning scores into rankings, and fusing rankings: pure functions over numpy arrays."""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np
import numpy.typing as npt

__all__ = ["interleave", "reciprocal_rank_fusion", "top_indices"]

Indices = npt.NDArray[np.intp]


def top_indices(scores: npt.NDArray[np.floating], k: int | None, *, positive: bool) -> Indices:
    """The indices of the ``k`` best scores, best first; ties keep index order.

    Args:
        scores: One score per item; ``-inf`` marks an item that may not be chosen.
        k: How many to return; ``None`` for every eligible item.
        positive: Only items scoring above 0 are eligible (BM25: 0 means no term matched).

    Example:
        >>> top_indices(np.array([0.5, 0.0, 2.0, 0.5]), 2, positive=True).tolist()
        [2, 0]
    """
    eligible = scores > 0 if positive else np.isfinite(scores)
    candidates = np.flatnonzero(eligible)
    if k is not None and k < len(candidates):
        # argpartition finds the k best in linear time; only those are sorted.
        best = np.argpartition(-scores[candidates], k - 1)[:k]
        cutoff = scores[candidates[best]].min()
        # Items tied with the k-th best are kept so that ties resolve by index, not by chance.
        candidates = candidates[scores[candidates] >= cutoff]
    order = np.lexsort((candidates, -scores[candidates]))
    ranked = candidates[order]
    return ranked if k is None else ranked[:k]


def reciprocal_rank_fusion(rankings: Sequence[Indices], size: int, *, k: int = 60) -> Indices:
    """Fuse rankings by reciprocal rank (Cormack et al., 2009): ``sum(1 / (k + rank))``.

    Args:
        rankings: Each a ranking of item indices, best first; an item may be missing from
            some of them.
        size: The number of items.
        k: The damping constant: larger values flatten the difference between ranks.

    Returns:
        Every item that appears in some ranking, best fused score first; ties keep index
        order.

    Example:
        >>> reciprocal_rank_fusion([np.array([3, 1]), np.array([1, 2])], 4).tolist()
        [1, 3, 2]
    """
    fused = np.zeros(size, dtype=np.float64)
    for ranking in rankings:
        fused[ranking] += 1.0 / (k + 1.0 + np.arange(len(ranking)))
    return top_indices(fused, None, positive=True)


def interleave(rankings: Sequence[Indices], size: int) -> Indices:
    """Merge rankings turn by turn: every ranking's first item, then every second, and so on.

    An item keeps its best place: the rank it reaches first. Unlike fusion, each ranking's
    top items come first however the others rank them, which is what a query with several
    requests needs: the best tool for each.

    Args:
        rankings: Each a ranking of item indices, best first.
        size: The number of items.

    Example:
        >>> interleave([np.array([3, 1, 0]), np.array([2, 3])], 4).tolist()
        [3, 2, 1, 0]
    """
    # The order key of an item is (rank, ranking) at its first appearance, as one number.
    key = np.full(size, np.iinfo(np.int64).max, dtype=np.int64)
    for position, ranking in enumerate(rankings):
        turns = np.arange(len(ranking), dtype=np.int64) * len(rankings) + position
        key[ranking] = np.minimum(key[ranking], turns)
    placed = np.flatnonzero(key != np.iinfo(np.int64).max)
    return placed[np.argsort(key[placed], kind="stable")]
