"""Whether llama.cpp's own grammar sampler lets a text be written, token by token.

The grammar sampler needs a vocabulary, so the embedded model is opened with its
vocabulary only (no weights: a tenth of a second). A text is accepted when each of its
tokens is allowed in turn and, at the end, the end-of-generation token is too: the grammar
is then complete, as it is when the local provider's decoding stops.
"""

from __future__ import annotations

import ctypes
import functools
import math
from typing import Any

import llama_cpp
from llama_cpp import Llama

from switchboard.providers.embedded import embedded_model_path


@functools.cache
def _vocabulary() -> tuple[Llama, Any]:
    llama = Llama(str(embedded_model_path()), vocab_only=True, verbose=False)
    return llama, llama_cpp.llama_model_get_vocab(llama.model)


def grammar_accepts(gbnf: str, text: str) -> bool:
    """Whether the GBNF grammar ``gbnf`` (its ``root`` rule) admits exactly ``text``."""
    llama, vocabulary = _vocabulary()
    sampler = llama_cpp.llama_sampler_init_grammar(vocabulary, gbnf.encode("utf-8"), b"root")
    assert sampler, "llama.cpp could not parse the grammar"
    one = (llama_cpp.llama_token_data * 1)()

    def allowed(token: int) -> bool:
        one[0].id, one[0].logit, one[0].p = token, 0.0, 0.0
        candidates = llama_cpp.llama_token_data_array(one, 1, -1, False)
        llama_cpp.llama_sampler_apply(sampler, ctypes.byref(candidates))
        return not math.isinf(one[0].logit)

    tokens = llama.tokenize(text.encode("utf-8"), add_bos=False, special=False)
    assert llama.detokenize(tokens) == text.encode("utf-8"), "the vocabulary cannot write it"
    try:
        for token in tokens:
            if not allowed(token):
                return False
            llama_cpp.llama_sampler_accept(sampler, token)
        return allowed(llama.token_eos())
    finally:
        llama_cpp.llama_sampler_free(sampler)
