"""One toolbox's tools as a router searches them: BM25 terms, embeddings and groups.

A `ToolIndex` is a snapshot: built for the tools a toolbox holds at one moment, and
replaced when that list changes. What costs most, a tool's terms and its embedding, is
cached per tool and per text outside the snapshot, so a rebuild after ``register``
recomputes only the BM25 matrix and re-stacks vectors.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence

import numpy as np
import numpy.typing as npt

from switchboard.routing.embedding import EmbeddingCache
from switchboard.routing.lexical import LexicalIndex
from switchboard.routing.text import identifier_words, terms, tool_text
from switchboard.tools.tool import Tool

__all__ = ["GroupIndex", "ToolIndex"]

Matrix = npt.NDArray[np.float32]
Mask = npt.NDArray[np.bool_]


class ToolIndex:
    """The searchable form of a list of tools (a toolbox's, in registration order).

    Args:
        tools: The tools.
        tool_terms: A tool's BM25 terms (cached by the caller).
    """

    def __init__(self, tools: Sequence[Tool], tool_terms: Callable[[Tool], list[str]]) -> None:
        self.tools = list(tools)
        self.positions = {tool.name: i for i, tool in enumerate(self.tools)}
        self.terms = [tool_terms(tool) for tool in self.tools]
        self.lexical = LexicalIndex(self.terms)
        self._vectors: Matrix | None = None
        self._groups: dict[tuple[tuple[str, str], ...], GroupIndex] = {}

    def vectors(self, cache: EmbeddingCache) -> Matrix:
        """The tools' unit embeddings, one row each (embedded on first use)."""
        if self._vectors is None:
            self._vectors = cache.documents([tool_text(tool) for tool in self.tools])
        return self._vectors

    def groups(self, descriptions: Mapping[str, str]) -> GroupIndex:
        """The tools' tags as groups, described by ``descriptions`` where given."""
        key = tuple(sorted(descriptions.items()))
        found = self._groups.get(key)
        if found is None:
            found = self._groups[key] = GroupIndex(self, descriptions)
        return found

    def mask(self, names: Sequence[str]) -> Mask:
        """True for the tools called ``names`` (names not in the index are ignored)."""
        mask = np.zeros(len(self.tools), dtype=np.bool_)
        mask[[self.positions[name] for name in names if name in self.positions]] = True
        return mask


class GroupIndex:
    """Groups (tool tags) as documents of their own, for choosing groups before tools.

    A group's BM25 document is its name, its description and all its tools' terms; its
    embedding is the normalised sum of its tools' vectors and its own text's vector.

    Args:
        tools: The tool index whose tags are the groups.
        descriptions: Text for some groups, by name.

    Attributes:
        names: The group names, sorted.
        members: For each group, a mask of the tools that carry its tag.
        ungrouped: A mask of the tools that carry no tag (never filtered out by groups).
        lexical: BM25 over the groups' documents.
    """

    def __init__(self, tools: ToolIndex, descriptions: Mapping[str, str]) -> None:
        self.names = sorted({tag for tool in tools.tools for tag in tool.tags})
        self.members = [
            np.array([name in tool.tags for tool in tools.tools], dtype=np.bool_)
            for name in self.names
        ]
        self.ungrouped = np.array([not tool.tags for tool in tools.tools], dtype=np.bool_)
        self._texts = [_group_text(name, descriptions.get(name, "")) for name in self.names]
        self.lexical = LexicalIndex(
            [
                [*terms(text), *(term for i in np.flatnonzero(mask) for term in tools.terms[i])]
                for text, mask in zip(self._texts, self.members, strict=True)
            ]
        )
        self._tools = tools
        self._vectors: Matrix | None = None

    def vectors(self, cache: EmbeddingCache) -> Matrix:
        """Each group's unit vector (computed on first use)."""
        if self._vectors is None:
            self._vectors = self._embed(cache)
        return self._vectors

    def _embed(self, cache: EmbeddingCache) -> Matrix:
        tool_vectors = self._tools.vectors(cache)
        own = cache.documents(self._texts)
        summed = np.zeros((len(self.names), tool_vectors.shape[1]), dtype=np.float32)
        for i, mask in enumerate(self.members):
            summed[i] = own[i] + tool_vectors[mask].sum(axis=0)
        norms = np.linalg.norm(summed, axis=1, keepdims=True)
        return (summed / np.maximum(norms, np.float32(1e-12))).astype(np.float32)

    def allowed(self, chosen: npt.NDArray[np.intp]) -> Mask:
        """The tools of the chosen groups, and every tool without a group."""
        mask = self.ungrouped.copy()
        for group in chosen:
            mask |= self.members[int(group)]
        return mask


def _group_text(name: str, description: str) -> str:
    words = identifier_words(name)
    return f"{words}: {description.strip()}" if description.strip() else words
