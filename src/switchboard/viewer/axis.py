"""`TimeAxis`: where a moment of a run falls on the timeline, with idle stretches cut short.

A run's steps and calls are drawn as bars on one shared axis, so that calls that ran at
the same time overlap on screen. A run that paused for a human, or was resumed after a
crash, can be idle for hours between two seconds of work: drawn to scale, its work would
shrink to slivers. So the axis keeps every stretch of activity to scale, and draws an idle
stretch longer than `GAP` seconds as a short break of fixed width, labelled with the time
it skipped.
"""

from __future__ import annotations

import bisect
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Final

__all__ = ["BREAK_SHARE", "GAP", "Break", "TimeAxis"]

GAP: Final = 5.0
"""Seconds of idleness past which the axis draws a break instead of the stretch itself."""

BREAK_SHARE: Final = 0.04
"""A break's width, as a share of the time of activity drawn on the axis."""


@dataclass(frozen=True, slots=True)
class Break:
    """An idle stretch drawn short.

    Attributes:
        start: Where the break begins on the axis (0 to 1).
        end: Where it ends.
        skipped: The seconds it stands for.
    """

    start: float
    end: float
    skipped: float


class TimeAxis:
    """The axis of the intervals given: times map to positions from 0 (first) to 1 (last).

    Args:
        intervals: ``(start, end)`` times (seconds since the epoch) of everything drawn;
            every time later asked of `position` lies in one of them.
        gap: Idle seconds past which a stretch becomes a `Break`.

    Example:
        >>> axis = TimeAxis([(100.0, 101.0), (100.5, 102.0), (3700.0, 3702.0)])
        >>> axis.position(100.0), axis.position(102.0) < axis.position(3700.0)
        (0.0, True)
        >>> axis.breaks[0].skipped
        3598.0
    """

    __slots__ = ("_offsets", "_starts", "breaks", "first", "last", "total")

    def __init__(self, intervals: Iterable[tuple[float, float]], gap: float = GAP) -> None:
        blocks = _merged(intervals)
        self.first = blocks[0][0] if blocks else 0.0
        self.last = blocks[-1][1] if blocks else 0.0
        busy = sum(end - start for start, end in blocks)
        width = busy * BREAK_SHARE if busy > 0 else 1.0
        # Each stretch drawn to scale: its start time and its offset on the axis (seconds).
        self._starts: list[float] = []
        self._offsets: list[float] = []
        cuts: list[tuple[float, float, float]] = []
        offset = 0.0
        for index, (start, end) in enumerate(blocks):
            if index:
                idle = start - blocks[index - 1][1]
                if idle > gap:
                    cuts.append((offset, offset + width, idle))
                    offset += width
                else:
                    offset += idle
            self._starts.append(start)
            self._offsets.append(offset)
            offset += end - start
        self.total = offset
        self.breaks = tuple(
            Break(self._share(begin), self._share(end), idle) for begin, end, idle in cuts
        )

    def position(self, moment: float) -> float:
        """Where ``moment`` falls, from 0 to 1 (clamped to the axis)."""
        if not self._starts:
            return 0.0
        index = max(bisect.bisect_right(self._starts, moment) - 1, 0)
        offset = self._offsets[index] + max(moment - self._starts[index], 0.0)
        if index + 1 < len(self._offsets):
            offset = min(offset, self._offsets[index + 1])
        return min(self._share(offset), 1.0)

    def _share(self, offset: float) -> float:
        return offset / self.total if self.total > 0 else 0.0


def _merged(intervals: Iterable[tuple[float, float]]) -> list[tuple[float, float]]:
    """The intervals' union, as disjoint intervals in time order."""
    blocks: list[tuple[float, float]] = []
    for start, end in sorted((start, max(start, end)) for start, end in intervals):
        if blocks and start <= blocks[-1][1]:
            blocks[-1] = (blocks[-1][0], max(blocks[-1][1], end))
        else:
            blocks.append((start, end))
    return blocks
