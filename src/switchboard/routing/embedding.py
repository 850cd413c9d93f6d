"""Texts to unit vectors through any embedding function, each text embedded once."""

from __future__ import annotations

import threading
from collections.abc import Callable, Sequence
from typing import Any, TypeAlias

import numpy as np
import numpy.typing as npt

from switchboard.errors import ConfigurationError

__all__ = ["Embed", "EmbeddingCache"]

Embed: TypeAlias = Callable[[list[str]], Any]
"""Texts in, one vector per text out: a 2-D array-like of shape ``(len(texts), dimensions)``.

`MiniLM` is one; a provider's embedding API is another, e.g.
``lambda texts: [d.embedding for d in client.embeddings.create(model=..., input=texts).data]``.
"""

Matrix = npt.NDArray[np.float32]


class EmbeddingCache:
    """Embeds texts with ``embed`` and remembers each vector, normalised to unit length.

    Tools' texts are embedded once, however often their toolbox changes; queries are
    embedded on every call and not kept.

    Args:
        embed: The embedding function.
        batch_size: At most this many texts per call of ``embed``.
    """

    def __init__(self, embed: Embed, *, batch_size: int = 256) -> None:
        self.embed = embed
        self.batch_size = batch_size
        self._vectors: dict[str, Matrix] = {}
        self._lock = threading.Lock()

    def documents(self, texts: Sequence[str]) -> Matrix:
        """The unit vectors of ``texts``, one row each, embedding only those not seen before."""
        with self._lock:
            missing = list(dict.fromkeys(text for text in texts if text not in self._vectors))
            for start in range(0, len(missing), self.batch_size):
                batch = missing[start : start + self.batch_size]
                for text, vector in zip(batch, self._call(batch), strict=True):
                    self._vectors[text] = vector
            if not texts:
                return np.zeros((0, 0), dtype=np.float32)
            return np.stack([self._vectors[text] for text in texts])

    def query(self, text: str) -> Matrix:
        """The unit vector of one query text (not cached)."""
        return self._call([text])[0]

    def queries(self, texts: Sequence[str]) -> Matrix:
        """The unit vectors of query texts, one row each, in one call of ``embed`` (not cached)."""
        return self._call(list(texts))

    def _call(self, texts: list[str]) -> Matrix:
        vectors = np.asarray(self.embed(texts), dtype=np.float32)
        if vectors.ndim != 2 or vectors.shape[0] != len(texts):
            msg = (
                f"The embedding function {self.embed!r} returned shape {vectors.shape} for "
                f"{len(texts)} texts. It must return one vector per text: shape "
                f"({len(texts)}, dimensions)."
            )
            raise ConfigurationError(msg)
        norms = np.linalg.norm(vectors, axis=1, keepdims=True)
        return vectors / np.maximum(norms, np.float32(1e-12))
