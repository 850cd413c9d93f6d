import numpy as np

from switchboard.routing.ranking import interleave, reciprocal_rank_fusion, top_indices


def test_top_indices_orders_best_first_and_breaks_ties_by_index() -> None:
    """Equal scores rank in index (registration) order, whatever argpartition picks."""
    scores = np.array([1.0, 3.0, 1.0, 1.0, 2.0], dtype=np.float32)
    assert top_indices(scores, 3, positive=False).tolist() == [1, 4, 0]
    assert top_indices(scores, None, positive=False).tolist() == [1, 4, 0, 2, 3]


def test_top_indices_positive_leaves_out_zero_scores() -> None:
    """With positive=True, items that matched nothing (score 0) are not ranked at all."""
    scores = np.array([0.0, 0.5, 0.0], dtype=np.float32)
    assert top_indices(scores, 3, positive=True).tolist() == [1]


def test_top_indices_never_picks_minus_infinity() -> None:
    """-inf marks an item that may not be chosen, even when fewer than k remain."""
    scores = np.array([-np.inf, -0.5, -np.inf], dtype=np.float32)
    assert top_indices(scores, 2, positive=False).tolist() == [1]


def test_fusion_prefers_an_item_ranked_well_in_both_lists() -> None:
    """RRF sums 1/(k + rank): second in both beats first in one only."""
    fused = reciprocal_rank_fusion([np.array([0, 1]), np.array([2, 1])], 3, k=60)
    assert fused.tolist() == [1, 0, 2]


def test_fusion_score_is_the_reciprocal_rank_sum() -> None:
    """A small k lets one first place outweigh two later places: the formula, not a vote."""
    # item 0: 1/(1+1) = 0.5; item 1: 1/(1+2) + 1/(1+2) = 0.667; k=1
    assert reciprocal_rank_fusion([np.array([0, 1]), np.array([2, 1])], 3, k=1).tolist() == [
        1,
        0,
        2,
    ]
    # item 2 in a third list at rank 1 adds 0.5 to its 0.5: 1.0 beats item 1's 0.667
    assert reciprocal_rank_fusion(
        [np.array([0, 1]), np.array([2, 1]), np.array([2])], 3, k=1
    ).tolist() == [2, 1, 0]


def test_interleave_takes_each_rankings_next_item_in_turn() -> None:
    """First items of every ranking, then second items; a repeat keeps its earliest place."""
    rankings = [np.array([5, 1, 2]), np.array([1, 4]), np.array([3, 5, 0])]
    assert interleave(rankings, 6).tolist() == [5, 1, 3, 4, 2, 0]


def test_interleave_of_one_ranking_is_that_ranking() -> None:
    ranking = np.array([2, 0, 3])
    assert interleave([ranking], 4).tolist() == [2, 0, 3]
    assert interleave([np.array([], dtype=np.intp)], 4).tolist() == []
