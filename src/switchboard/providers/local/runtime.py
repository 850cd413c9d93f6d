"""The llama.cpp model object, counting the tokens of each generation.

llama-cpp-python reports token counts for a whole completion only: a streamed one
(``create_completion(stream=True)``) reports none. `CountingLlama` counts them itself, in
the generation loop that every completion runs. Imported once a model is loaded (it
imports ``llama_cpp``).
"""

from __future__ import annotations

from collections.abc import Generator, Sequence
from typing import Any

import llama_cpp
from llama_cpp import Llama


class CountingLlama(Llama):
    """A `Llama` that counts the prompt and completion tokens of its last generation.

    The counts are those llama-cpp-python reports for a whole completion: every prompt
    token, and every token generated but the end-of-generation one it stops at.

    Attributes:
        prompt_tokens: The prompt's tokens, in the last generation.
        completion_tokens: The tokens generated so far, in the last generation.
    """

    prompt_tokens: int = 0
    completion_tokens: int = 0

    def generate(
        self, tokens: Sequence[int], *args: Any, **kwargs: Any
    ) -> Generator[int, Sequence[int] | None, None]:
        """`Llama.generate`, counting the tokens (a value sent to it is not passed on)."""
        self.prompt_tokens = len(tokens)
        self.completion_tokens = 0
        vocab: Any = llama_cpp.llama_model_get_vocab(self.model)
        for token in super().generate(tokens, *args, **kwargs):
            # `create_completion` keeps every token but one that ends the generation.
            if not llama_cpp.llama_vocab_is_eog(vocab, token):
                self.completion_tokens += 1
            yield token
