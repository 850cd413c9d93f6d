"""BM25 over term lists, with bm25s (a sparse matrix of precomputed term scores per document)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any, cast

import bm25s  # pyright: ignore[reportMissingTypeStubs]
import numpy as np
import numpy.typing as npt

__all__ = ["LexicalIndex"]


class LexicalIndex:
    """A BM25 index over documents given as term lists; scoring a query is a sparse column sum.

    Example:
        >>> index = LexicalIndex([["weather", "city"], ["convert", "length"]])
        >>> [round(float(score), 3) for score in index.scores(["length"])]
        [0.0, 0.277]
    """

    def __init__(self, documents: Sequence[Sequence[str]], *, k1: float = 1.5, b: float = 0.75):
        self._size = len(documents)
        self._bm25: Any = None
        self._vocabulary: dict[str, int] = {}
        if any(documents):
            bm25 = bm25s.BM25(k1=k1, b=b)
            bm25.index([list(terms) for terms in documents], show_progress=False)  # pyright: ignore[reportUnknownMemberType]
            self._bm25 = bm25
            self._vocabulary = cast(dict[str, int], bm25.vocab_dict)  # pyright: ignore[reportUnknownMemberType]

    def __len__(self) -> int:
        return self._size

    def scores(self, query: Sequence[str]) -> npt.NDArray[np.float32]:
        """Each document's BM25 score for the query terms (0 where none of them occurs)."""
        ids = [self._vocabulary[term] for term in query if term in self._vocabulary]
        if not ids:
            return np.zeros(self._size, dtype=np.float32)
        scores = self._bm25.get_scores_from_ids(ids)
        return cast(npt.NDArray[np.float32], scores)
