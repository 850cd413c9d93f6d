"""`TimeAxis`: times to positions on the shared axis, idle stretches drawn short."""

import pytest

from switchboard.viewer.axis import BREAK_SHARE, GAP, TimeAxis


def test_the_first_moment_is_at_0_and_the_last_at_1() -> None:
    """The axis runs from the earliest start to the latest end."""
    axis = TimeAxis([(10.0, 12.0), (11.0, 14.0)])
    assert (axis.position(10.0), axis.position(14.0)) == (0.0, 1.0)


def test_activity_is_drawn_to_scale() -> None:
    """Without long idle stretches, equal times take equal lengths of the axis."""
    axis = TimeAxis([(0.0, 1.0), (2.0, 4.0)])
    assert axis.position(1.0) == pytest.approx(0.25)
    assert axis.position(3.0) == pytest.approx(0.75)
    assert axis.breaks == ()


def test_an_idle_stretch_past_the_gap_becomes_a_short_break() -> None:
    """An hour's pause between two seconds of work takes BREAK_SHARE of the work's length."""
    axis = TimeAxis([(0.0, 1.0), (3601.0, 3602.0)])
    (cut,) = axis.breaks
    assert cut.skipped == 3600.0
    busy = 2.0
    assert axis.total == pytest.approx(busy + busy * BREAK_SHARE)
    assert cut.end - cut.start == pytest.approx(busy * BREAK_SHARE / axis.total)
    assert axis.position(3601.0) == pytest.approx(cut.end)


def test_an_idle_stretch_within_the_gap_is_kept_to_scale() -> None:
    """Idleness of GAP seconds or less stays on the axis as it was."""
    axis = TimeAxis([(0.0, 1.0), (1.0 + GAP, 2.0 + GAP)])
    assert axis.breaks == ()
    assert axis.position(1.0 + GAP) == pytest.approx((1.0 + GAP) / (2.0 + GAP))


def test_an_axis_of_instants_puts_everything_at_0() -> None:
    """Intervals of no length (a run with nothing timed yet) give positions of 0, no error."""
    axis = TimeAxis([(5.0, 5.0)])
    assert (axis.position(5.0), axis.total) == (0.0, 0.0)
    assert TimeAxis([]).position(1.0) == 0.0
