"""Grammar-constrained greedy decoding that checks the model's top token first.

llama.cpp's grammar sampler, placed in the sampler chain, tests every token of the
vocabulary against the grammar at every step (49,152 tokens for SmolLM2), which costs
more than decoding a token of a small model. In greedy decoding only the top token
matters: `TopTokenGrammar` tests that one token and, only when the grammar rejects it,
tries the next best few, one by one, and filters the whole vocabulary only when none
fits. The output is the same token for token (the best token
the grammar allows) at a fraction of the cost, the idea of llama.cpp's own
``common_sampler_sample`` (sample first, resample with the grammar on rejection).

It runs as a llama-cpp-python logits processor: called before each token with the
tokens so far and the logits, it feeds the grammar the tokens chosen since its last call.
"""

from __future__ import annotations

import ctypes
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from switchboard.errors import ProviderRequestError
from switchboard.providers.local.prompt import PROVIDER

if TYPE_CHECKING:
    from llama_cpp import Llama

# Tokens tried one by one when the best is rejected, before filtering the vocabulary.
_SHORTLIST: Final = 32

_TOKEN_DATA: Final = np.dtype([("id", np.intc), ("logit", np.single), ("p", np.single)], align=True)


class TopTokenGrammar:
    """A logits processor that keeps greedy decoding inside a GBNF grammar.

    Args:
        llama: The loaded model (for its vocabulary).
        grammar: GBNF text with a ``root`` rule.

    Raises:
        ProviderRequestError: llama.cpp could not parse the grammar.
    """

    def __init__(self, llama: Llama, grammar: str) -> None:
        import llama_cpp

        self._api: Any = llama_cpp
        vocab: Any = llama_cpp.llama_model_get_vocab(llama.model)
        self._sampler: Any = llama_cpp.llama_sampler_init_grammar(
            vocab, grammar.encode("utf-8"), b"root"
        )
        if not self._sampler:
            msg = "llama.cpp could not parse the tool-call grammar."
            raise ProviderRequestError(PROVIDER, msg)
        self._one = (llama_cpp.llama_token_data * 1)()
        self._pointer: Any = ctypes.POINTER(llama_cpp.llama_token_data)
        self._ids = np.arange(llama.n_vocab(), dtype=np.intc)
        self._seen: int | None = None

    def __call__(
        self, input_ids: npt.NDArray[np.intc], scores: npt.NDArray[np.single]
    ) -> npt.NDArray[np.single]:
        """The logits, with each token the grammar rejects at -inf unless the best is allowed."""
        if self._seen is None:
            self._seen = len(input_ids)
        for token in input_ids[self._seen :]:
            self._api.llama_sampler_accept(self._sampler, int(token))
        self._seen = len(input_ids)
        best = int(np.argmax(scores))
        if self._allows(best, float(scores[best])):
            return scores
        return self._best_allowed(scores)

    def close(self) -> None:
        """Free the grammar."""
        if self._sampler:
            self._api.llama_sampler_free(self._sampler)
            self._sampler = None

    def _allows(self, token: int, logit: float) -> bool:
        self._one[0].id = token
        self._one[0].logit = logit
        self._one[0].p = 0.0
        array = self._api.llama_token_data_array(self._one, 1, -1, False)
        self._api.llama_sampler_apply(self._sampler, ctypes.byref(array))
        return bool(np.isfinite(self._one[0].logit))

    def _best_allowed(self, scores: npt.NDArray[np.single]) -> npt.NDArray[np.single]:
        """Only the best token the grammar allows left: from the top few, else from all."""
        top = np.argpartition(scores, -_SHORTLIST)[-_SHORTLIST:]
        for token in top[np.argsort(scores[top])[::-1]]:
            if self._allows(int(token), float(scores[token])):
                only = np.full(len(scores), -np.inf, dtype=np.single)
                only[token] = scores[token]
                return only
        return self._filter(scores)

    def _filter(self, scores: npt.NDArray[np.single]) -> npt.NDArray[np.single]:
        data = np.zeros(len(scores), dtype=_TOKEN_DATA)
        data["id"] = self._ids[: len(scores)]
        data["logit"] = scores
        data_as: Any = data.ctypes.data_as
        pointer: Any = data_as(self._pointer)
        array = self._api.llama_token_data_array(pointer, len(scores), -1, False)
        self._api.llama_sampler_apply(self._sampler, ctypes.byref(array))
        filtered = np.full(len(scores), -np.inf, dtype=np.single)
        filtered[data["id"]] = data["logit"]
        return filtered
