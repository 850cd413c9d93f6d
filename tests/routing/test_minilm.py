from pathlib import Path

import numpy as np
import pytest

from switchboard.routing.minilm import MiniLM

# fastembed's reference values for all-MiniLM-L6-v2's embedding of "hello world" (first five
# dimensions), from its ONNX export: an independent implementation of the same model.
# https://github.com/qdrant/fastembed/blob/main/tests/test_text_onnx_embeddings.py
HELLO_WORLD = [-0.034478, 0.03102, 0.00673, 0.02611, -0.039362]


@pytest.fixture(scope="module")
def model() -> MiniLM:
    return MiniLM()


def test_embedding_matches_the_reference_implementation(model: MiniLM) -> None:
    """The numpy forward pass gives the vector that the model's ONNX export gives."""
    vector = model(["hello world"])[0]
    assert vector.shape == (384,)
    assert vector[:5].tolist() == pytest.approx(HELLO_WORLD, abs=1e-4)
    assert float(np.linalg.norm(vector)) == pytest.approx(1.0, abs=1e-5)


def test_padding_in_a_batch_does_not_change_a_vector(model: MiniLM) -> None:
    """A short text embeds the same alone and beside a long one (masking works)."""
    short = "convert miles to kilometres"
    long = "Get the weather forecast for a city over the next days, with highs and lows. " * 3
    alone = model([short])[0]
    batched = model([long, short, "x"])[1]
    assert batched == pytest.approx(alone, abs=1e-5)


def test_similar_meanings_are_closer_than_unrelated_ones(model: MiniLM) -> None:
    """Paraphrases share no key word yet embed closer than an unrelated sentence."""
    a, b, c = model(["Is it going to rain in Paris?", "weather forecast", "sort a list"])
    assert float(a @ b) > float(a @ c) + 0.2


def test_no_texts_give_an_empty_matrix(model: MiniLM) -> None:
    """An empty batch is answered without running the model."""
    assert model([]).shape == (0, 384)


def test_a_folder_without_the_model_files_names_them_and_the_install(tmp_path: Path) -> None:
    """A wrong path fails on first use with what is missing and how to install the model."""
    with pytest.raises(ImportError, match=r"lacks config.json, tokenizer.json, model.safetensors"):
        MiniLM(tmp_path)(["hello"])
