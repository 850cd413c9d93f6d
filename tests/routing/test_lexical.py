import math

import pytest

from switchboard.routing.lexical import LexicalIndex


def _lucene_bm25(tf: int, df: int, n: int, length: int, average: float) -> float:
    k1, b = 1.5, 0.75
    idf = math.log(1 + (n - df + 0.5) / (df + 0.5))
    return idf * tf / (tf + k1 * (1 - b + b * length / average))


def test_scores_follow_the_lucene_bm25_formula() -> None:
    """Each document's score is Lucene's BM25 of the query terms it contains."""
    documents = [["weather", "city", "weather"], ["convert", "length"], ["city", "map", "route"]]
    scores = LexicalIndex(documents).scores(["weather", "city"])
    average = 8 / 3
    expected = [
        _lucene_bm25(2, 1, 3, 3, average) + _lucene_bm25(1, 2, 3, 3, average),
        0.0,
        _lucene_bm25(1, 2, 3, 3, average),
    ]
    assert scores.tolist() == pytest.approx(expected, rel=1e-5)


def test_unknown_query_terms_score_nothing() -> None:
    """A query sharing no term with any document scores zero everywhere."""
    assert LexicalIndex([["weather"], ["length"]]).scores(["tokyo"]).tolist() == [0.0, 0.0]


def test_documents_without_terms_give_an_index_that_scores_zero() -> None:
    """An index over empty documents (or none) answers with zeros, not an error."""
    assert LexicalIndex([[], []]).scores(["weather"]).tolist() == [0.0, 0.0]
    assert LexicalIndex([]).scores(["weather"]).tolist() == []
