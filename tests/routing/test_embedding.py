import numpy as np
import pytest

from switchboard import ConfigurationError
from switchboard.routing.embedding import EmbeddingCache


class CountingEmbed:
    """A user's embedding function: letter counts, recording each batch it is given."""

    def __init__(self) -> None:
        self.batches: list[list[str]] = []

    def __call__(self, texts: list[str]) -> list[list[float]]:
        self.batches.append(list(texts))
        return [[float(text.count(letter)) for letter in "abcdefghij"] for text in texts]


def test_each_text_is_embedded_once() -> None:
    """Texts already seen are served from the cache; only new ones reach the function."""
    embed = CountingEmbed()
    cache = EmbeddingCache(embed)
    cache.documents(["abc", "bcd"])
    cache.documents(["bcd", "cde", "cde"])
    assert embed.batches == [["abc", "bcd"], ["cde"]]


def test_vectors_are_unit_length_rows_in_the_order_asked() -> None:
    """Any function's vectors are normalised, one row per text, duplicates included."""
    vectors = EmbeddingCache(CountingEmbed()).documents(["aab", "c", "aab"])
    assert vectors.shape == (3, 10)
    assert np.linalg.norm(vectors, axis=1) == pytest.approx([1.0, 1.0, 1.0])
    assert vectors[0] == pytest.approx([2 / 5**0.5, 1 / 5**0.5, *[0.0] * 8])
    assert (vectors[0] == vectors[2]).all()


def test_batches_are_split_at_batch_size() -> None:
    """A provider's input limit is respected: at most batch_size texts per call."""
    embed = CountingEmbed()
    EmbeddingCache(embed, batch_size=2).documents(["a", "b", "c", "d", "e"])
    assert [len(batch) for batch in embed.batches] == [2, 2, 1]


def test_queries_are_not_cached() -> None:
    """Each query is embedded when asked: queries rarely repeat, tools always do."""
    embed = CountingEmbed()
    cache = EmbeddingCache(embed)
    cache.query("abc")
    cache.query("abc")
    assert embed.batches == [["abc"], ["abc"]]


def test_a_function_returning_the_wrong_shape_is_a_configuration_error() -> None:
    """One vector for two texts names the function and the shape it must return."""
    cache = EmbeddingCache(lambda texts: [[1.0, 0.0]])
    with pytest.raises(ConfigurationError, match=r"returned shape \(1, 2\) for 2 texts"):
        cache.documents(["a", "b"])
