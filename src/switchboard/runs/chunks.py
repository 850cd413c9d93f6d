"""A run's state in chunks, so that a save writes only the chunks that changed.

A state is rewritten after every step of a run and grows with the conversation, but its
JSON form puts the messages first, so the text of the next state shares the chunks of the
last one but for its end. A SQL store keeps a state as rows of a few KB (`CHUNK` for SQLite)
and
remembers, per run, the chunks of the last save it made and the run's save count then
(`LastSaves`): if the count in the database is still that one (no other connection saved
since), only the chunks after the unchanged ones are written, so a step's save costs what
it adds, not the size of the whole run (at the 500th step of a long run, a few KB instead
of 300 KB).
"""

from __future__ import annotations

from collections import OrderedDict
from collections.abc import Sequence
from typing import Final

__all__ = ["CHUNK", "LastSaves", "split"]

CHUNK: Final = 16_384
"""Characters of a state per row, unless a store chooses another size."""

_CACHED_RUNS: Final = 32
"""Runs whose last saved chunks are kept in memory, to compare the next save with."""


def split(text: str, last: Sequence[str], size: int = CHUNK) -> tuple[int, list[str]]:
    """``text`` in chunks of ``size``, and how many are the first chunks of ``last`` unchanged.

    The unchanged chunks are ``last``'s own strings; only those after them are new.
    """
    kept = _same_chunks(last, text, size)
    fresh = [text[i : i + size] for i in range(kept * size, len(text), size)]
    return kept, [*last[:kept], *fresh]


class LastSaves:
    """Per run, the save count and the chunks of the last state this store saved.

    Bounded: the runs saved least recently are forgotten (their next save writes them whole).
    """

    def __init__(self, runs: int = _CACHED_RUNS) -> None:
        self._runs = runs
        # Run id -> (its save count, the chunks of that save).
        self._saves: OrderedDict[str, tuple[int, list[str]]] = OrderedDict()

    def take(self, run_id: str) -> tuple[int, list[str]] | None:
        """The run's last save count and chunks, forgotten until `keep` puts them back."""
        return self._saves.pop(run_id, None)

    def keep(self, run_id: str, saves: int, chunks: list[str]) -> None:
        """Remember the save count and chunks of a save that was committed."""
        self._saves[run_id] = (saves, chunks)
        if len(self._saves) > self._runs:
            self._saves.popitem(last=False)


def _same_chunks(last: Sequence[str], text: str, size: int) -> int:
    """How many of the last save's chunks begin ``text`` unchanged (compared in place)."""
    same = 0
    for old in last:
        start = same * size
        if len(old) != min(size, len(text) - start) or not text.startswith(old, start):
            break
        same += 1
    return same
