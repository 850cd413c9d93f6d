"""Grammar-constrained decoding as a logits processor: cheap when greedy, closed on budget.

llama.cpp's grammar sampler, placed in the sampler chain, tests every token of the
vocabulary against the grammar at every step (49,152 tokens for SmolLM2), which costs
more than decoding a token of a small model. In greedy decoding only the top token
matters: `TopTokenGrammar` tests that one token and, only when the grammar rejects it,
tries the next best few, one by one, and filters the whole vocabulary only when none
fits. The output is the same token for token (the best token the grammar allows) at a
fraction of the cost, the idea of llama.cpp's own ``common_sampler_sample`` (sample
first, resample with the grammar on rejection). When sampling, every token is filtered.

A grammar makes every finished call valid, but a small model can run away inside one
(counting on through a list, repeating a phrase in a string) until ``max_tokens`` cuts
it, and a cut call is no call. So the processor steers a call to an end:

* A string whose own tokens loop (`looping`: a block of any length repeated three times
  or more) is closed at once, wherever it is: its value would never end.
* In the call's last tokens (`closing_reserve`) nothing new starts: where the model has
  ended a value and would write a comma for another list item or property, the list or
  object is closed instead, whenever the grammar allows it (it does not while a required
  property is missing).
* There too a closing token (a quote, a bracket, a brace, end of text) gains up to
  `_CLOSING_BIAS` in logits, growing as the reserve is spent: a value ends early only
  where the model itself gives ending a fair chance, never at an arbitrary token.

A call so steered is flagged (`shortened`) and its reply stops as ``length``: it is valid,
but its tail may be shorter than the model would have written. A call still writing a
value that the model gives no chance of ending when the tokens run out is cut.

It runs as a llama-cpp-python logits processor: called before each token with the
tokens so far and the logits, it feeds the grammar the tokens chosen since its last call.
"""

from __future__ import annotations

import ctypes
import weakref
from typing import TYPE_CHECKING, Any, Final

import numpy as np
import numpy.typing as npt

from switchboard.errors import ProviderRequestError
from switchboard.providers.local.prompt import PROVIDER

if TYPE_CHECKING:
    from llama_cpp import Llama

__all__ = ["JsonLexer", "LoopWatch", "TopTokenGrammar", "closing_reserve", "looping"]

# Tokens tried one by one when the best is rejected, before filtering the vocabulary.
_SHORTLIST: Final = 32

_TOKEN_DATA: Final = np.dtype([("id", np.intc), ("logit", np.single), ("p", np.single)], align=True)

# A loop: a block of tokens repeated over at least _LOOP_SPAN tokens and at least
# _LOOP_REPEATS times, ending a string: a value that repeats itself will not end on its own.
_LOOP_SPAN: Final = 24
_LOOP_REPEATS: Final = 3

# How much more likely (in logits) a closing token is made by the end of the reserve: by
# then a value may end where ending is e^-6 (0.25%) as likely as the model's best choice.
_CLOSING_BIAS: Final = 6.0

# What a token that only ends things is made of (whitespace aside).
_CLOSING_CHARACTERS: Final = frozenset('"]}')

Tokens = npt.NDArray[np.intc]

# Each model's closing tokens, found once (a pass over the vocabulary).
_closing_tokens: weakref.WeakKeyDictionary[Llama, Tokens] = weakref.WeakKeyDictionary()
_commas: weakref.WeakKeyDictionary[Llama, dict[int, bytes]] = weakref.WeakKeyDictionary()

_QUOTE: Final = ord('"')
_BACKSLASH: Final = ord("\\")
_COMMA: Final = ord(",")


def closing_reserve(max_tokens: int) -> int:
    """How many of a reply's last tokens a call has to close in: 3/8 of them, 2 to 64.

    Closing takes the rest of the value being written, a few tokens per open string, list
    and object, and the required properties still missing, each with its value.
    """
    return min(64, max(2, max_tokens * 3 // 8))


def looping(tokens: npt.NDArray[np.intc]) -> bool:
    """Whether ``tokens`` end with a block repeated again and again (see `LoopWatch`).

    Example:
        >>> looping(np.array([7, *[1, 2, 3] * 8], dtype=np.intc))
        True
        >>> looping(np.array([1, 2, 3] * 3 + [4], dtype=np.intc))
        False
    """
    watch = LoopWatch()
    for token in tokens:
        watch.feed(int(token))
    return watch.looping


class LoopWatch:
    """Whether the tokens fed so far end with a block repeated again and again.

    A loop is a block of any length repeated at least `_LOOP_REPEATS` times and over at
    least `_LOOP_SPAN` tokens: ``1 2 3`` eight times, or a 46-token sentence three times.

    It runs at every decoded token, so it keeps, for every period ``p``, how many tokens in
    a row have equalled the token ``p`` before them; a new token updates them all in one
    vectorised pass, O(n) for n tokens so far (comparing tails for every period anew
    would be O(n²) per token).

    Example:
        >>> watch = LoopWatch()
        >>> for token in [9, *range(40)] * 3:
        ...     watch.feed(token)
        >>> watch.looping
        True
    """

    def __init__(self) -> None:
        self._tokens = np.zeros(64, dtype=np.intc)
        self._runs = np.zeros(64, dtype=np.intc)
        """At ``p - 1``: the tokens in a row, up to the last, equal to the one ``p`` before."""
        self._needed = _runs_needed(64)
        self._size = 0

    @property
    def looping(self) -> bool:
        """Whether the tokens end with a loop."""
        size = self._size
        return bool(np.any(self._runs[:size] >= self._needed[:size]))

    def feed(self, token: int) -> None:
        """Read the next token."""
        size = self._size
        if size == len(self._tokens):
            self._grow()
        runs = self._runs[:size]
        # The token p before the new one, for p = 1..size: the tokens so far, last first.
        same = self._tokens[size - 1 :: -1] == token if size else np.zeros(0, dtype=np.bool_)
        runs += 1
        runs *= same
        self._tokens[size] = token
        self._size = size + 1

    def _grow(self) -> None:
        capacity = 2 * len(self._tokens)
        self._tokens = np.resize(self._tokens, capacity)
        self._runs = np.concatenate([self._runs, np.zeros(capacity - len(self._runs), np.intc)])
        self._needed = _runs_needed(capacity)


def _runs_needed(periods: int) -> npt.NDArray[np.intc]:
    """For p = 1..``periods``: the run a block of p tokens must reach to be a loop."""
    period = np.arange(1, periods + 1, dtype=np.intc)
    repeats = np.maximum(_LOOP_REPEATS, -(-_LOOP_SPAN // period))
    return ((repeats - 1) * period).astype(np.intc)


class TopTokenGrammar:
    """A logits processor that keeps decoding inside a GBNF grammar.

    Args:
        llama: The loaded model (for its vocabulary).
        grammar: GBNF text with a ``root`` rule.
        max_tokens: The reply's token limit: once only `closing_reserve` tokens remain, a
            call starts no new item and is steered to close. ``None``: only looping
            strings are closed.
        greedy: Temperature 0: check the best tokens first. Otherwise every token is
            filtered, for the sampler to choose among those the grammar allows.

    Raises:
        ProviderRequestError: llama.cpp could not parse the grammar.
    """

    def __init__(
        self, llama: Llama, grammar: str, *, max_tokens: int | None = None, greedy: bool = True
    ) -> None:
        import llama_cpp

        self._api: Any = llama_cpp
        self._llama = llama
        vocab: Any = llama_cpp.llama_model_get_vocab(llama.model)
        self._sampler: Any = llama_cpp.llama_sampler_init_grammar(
            vocab, grammar.encode("utf-8"), b"root"
        )
        if not self._sampler:
            msg = "llama.cpp could not parse the tool-call grammar."
            raise ProviderRequestError(PROVIDER, msg)
        self._greedy = greedy
        self._max_tokens = max_tokens
        self._one = (llama_cpp.llama_token_data * 1)()
        self._pointer: Any = ctypes.POINTER(llama_cpp.llama_token_data)
        self._start: int | None = None
        self._seen = 0
        self._lexer = JsonLexer()
        self._loops = LoopWatch()
        self._shortened = False

    @property
    def shortened(self) -> bool:
        """Whether a call was steered to close early (see the module's doc).

        When sampling: whether the steering applied at any step, whatever was then drawn.
        """
        return self._shortened

    def __call__(
        self, input_ids: npt.NDArray[np.intc], scores: npt.NDArray[np.single]
    ) -> npt.NDArray[np.single]:
        """The logits, with each token the grammar rejects at -inf unless the best is allowed."""
        if self._start is None:
            self._start = self._seen = len(input_ids)
        for token in input_ids[self._seen :]:
            self._api.llama_sampler_accept(self._sampler, int(token))
            self._read(int(token))
        self._seen = len(input_ids)
        generated = input_ids[self._start :]
        if self._in_call() and self._lexer.in_string and self._loops.looping:
            closed = self._best_closing(scores)
            if closed is not None:
                self._shortened = True
                return closed
        spent = self._reserve_spent(len(generated))
        if spent is not None:
            return self._closing_step(spent, scores)
        return self._allowed(scores)

    def close(self) -> None:
        """Free the grammar."""
        if self._sampler:
            self._api.llama_sampler_free(self._sampler)
            self._sampler = None

    def _in_call(self) -> bool:
        # The grammar lets plain text start with anything but these (see grammar.py).
        return self._lexer.opening in (b"{", b"[")

    def _read(self, token: int) -> None:
        """Follow the reply's JSON to ``token``, and watch the string it is in for loops."""
        was_in_string, opened = self._lexer.in_string, self._lexer.string_opened
        self._lexer.feed(self._llama.detokenize([token]))
        if not self._lexer.in_string:
            return
        # Only the string's own tokens, after the one that opened it: a list of the same
        # string repeated is not a loop.
        if not was_in_string or self._lexer.string_opened != opened:
            self._loops = LoopWatch()
        else:
            self._loops.feed(token)

    def _reserve_spent(self, done: int) -> float | None:
        """The share of its closing reserve a call ``done`` tokens long has spent, if in it."""
        if self._max_tokens is None or not self._in_call():
            return None
        reserve = closing_reserve(self._max_tokens)
        into = done - (self._max_tokens - reserve) + 1
        return min(1.0, into / reserve) if into > 0 else None

    def _closing_step(self, spent: float, scores: npt.NDArray[np.single]) -> npt.NDArray[np.single]:
        """A step of a call that has spent ``spent`` of its closing reserve.

        No new list item or property starts, and a closing token gains `_CLOSING_BIAS`
        times ``spent``, so that a value ends where the model gives ending a fair chance,
        a fairer one as the tokens run out.
        """
        bonus = _CLOSING_BIAS * spent
        allowed = self._allowed(scores)
        if not self._greedy:
            return self._sampled_closing(allowed, bonus)
        choice = int(np.argmax(allowed))
        # The model has ended a value and would start another, or ending here is nearly
        # as likely as going on: it ends the string, list or object instead. Checked on
        # the logits first, as asking the grammar which closing tokens it allows costs more.
        separates = self._lexer.separates(self._llama.detokenize([choice]))
        if not separates and scores[self._closers(len(scores))].max() + bonus < scores[choice]:
            return allowed
        closing = self._best_closing(scores)
        if closing is None:  # a required property is missing, or a value is not ended
            return allowed
        token = int(np.argmax(closing))
        if token == choice or not (separates or scores[token] + bonus >= scores[choice]):
            return allowed
        self._shortened = True
        return closing

    def _sampled_closing(
        self, allowed: npt.NDArray[np.single], bonus: float
    ) -> npt.NDArray[np.single]:
        """Sampling in the closing reserve: no new item, closing tokens raised by ``bonus``.

        Only while a closing token is allowed: else the reply must go on as it is.
        """
        candidates = self._closers(len(allowed))
        closable = candidates[np.isfinite(allowed[candidates])]
        if not len(closable):
            return allowed
        separators = [
            token
            for token, text in _comma_tokens(self._llama).items()
            if token < len(allowed) and np.isfinite(allowed[token]) and self._lexer.separates(text)
        ]
        allowed[separators] = -np.inf
        allowed[closable] += bonus
        self._shortened = True
        return allowed

    def _allowed(self, scores: npt.NDArray[np.single]) -> npt.NDArray[np.single]:
        """The scores the sampler chooses from: greedy, its choice is the best allowed token."""
        if not self._greedy:
            return self._filter(scores, np.arange(len(scores), dtype=np.intc))
        best = int(np.argmax(scores))
        if self._allows(best, float(scores[best])):
            return scores
        return self._best_allowed(scores)

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
                return _only(scores, int(token))
        return self._filter(scores, np.arange(len(scores), dtype=np.intc))

    def _best_closing(self, scores: npt.NDArray[np.single]) -> npt.NDArray[np.single] | None:
        """Only the best closing token the grammar allows left, or None if it allows none."""
        filtered = self._filter(scores, self._closers(len(scores)))
        token = int(np.argmax(filtered))
        return _only(scores, token) if np.isfinite(filtered[token]) else None

    def _closers(self, vocabulary: int) -> Tokens:
        """The model's closing tokens (see `_closing`) that the logits cover."""
        candidates = _closing(self._llama)
        return candidates[candidates < vocabulary]

    def _filter(self, scores: npt.NDArray[np.single], ids: Tokens) -> npt.NDArray[np.single]:
        """The scores of the tokens ``ids`` that the grammar allows; -inf for all others."""
        data = np.zeros(len(ids), dtype=_TOKEN_DATA)
        data["id"] = ids
        data["logit"] = scores[ids]
        data_as: Any = data.ctypes.data_as
        pointer: Any = data_as(self._pointer)
        array = self._api.llama_token_data_array(pointer, len(ids), -1, False)
        self._api.llama_sampler_apply(self._sampler, ctypes.byref(array))
        filtered = np.full(len(scores), -np.inf, dtype=np.single)
        filtered[data["id"]] = data["logit"]
        return filtered


class JsonLexer:
    """Where a reply's JSON text is, as its bytes arrive: in a string or not.

    Hand-written because it reads bytes as tokens add them, and asks one question of a
    token before it is chosen (`separates`); JSON parsers parse whole or partial documents.

    Example:
        >>> lexer = JsonLexer()
        >>> lexer.feed(b' {"a": "x, y')
        >>> lexer.opening, lexer.in_string, lexer.separates(b", z"), lexer.separates(b'",')
        (b'{', True, False, True)
    """

    def __init__(self) -> None:
        self.opening = b""
        """The reply's first byte that is not whitespace (``b""`` until there is one)."""
        self.in_string = False
        self.string_opened = 0
        """How many pieces had been fed when the string the text is in opened."""
        self._escaped = False
        self._fed = 0

    def feed(self, text: bytes) -> None:
        """Read the next piece (a token's bytes) of the reply."""
        if not self.opening:
            self.opening = text.lstrip()[:1]
        self.in_string, self._escaped, opened, _ = self._scan(text)
        if opened:
            self.string_opened = self._fed
        self._fed += 1

    def separates(self, text: bytes) -> bool:
        """Whether ``text``, if it came next, would write a comma outside a string."""
        return b"," in text and self._scan(text)[3]

    def _scan(self, text: bytes) -> tuple[bool, bool, bool, bool]:
        """In a string, escaped, the last string opened in ``text``, a comma outside."""
        in_string, escaped, opened, comma = self.in_string, self._escaped, False, False
        for byte in text:
            if escaped:
                escaped = False
            elif in_string:
                escaped = byte == _BACKSLASH
                if byte == _QUOTE:
                    in_string = opened = False
            elif byte == _QUOTE:
                in_string = opened = True
            elif byte == _COMMA:
                comma = True
        return in_string, escaped, opened, comma


def _only(scores: npt.NDArray[np.single], token: int) -> npt.NDArray[np.single]:
    only = np.full(len(scores), -np.inf, dtype=np.single)
    only[token] = scores[token]
    return only


def _closing(llama: Llama) -> Tokens:
    """The model's tokens made only of quotes, brackets and braces, and its end of text."""
    found = _closing_tokens.get(llama)
    if found is None:
        ids = [
            token
            for token in range(llama.n_vocab())
            if _closes(llama.detokenize([token]).decode("utf-8", errors="replace"))
        ]
        found = _closing_tokens[llama] = np.array([*ids, llama.token_eos()], dtype=np.intc)
    return found


def _comma_tokens(llama: Llama) -> dict[int, bytes]:
    """The model's tokens with a comma in them, and their bytes."""
    found = _commas.get(llama)
    if found is None:
        texts = ((token, llama.detokenize([token])) for token in range(llama.n_vocab()))
        found = _commas[llama] = {token: text for token, text in texts if b"," in text}
    return found


def _closes(text: str) -> bool:
    stripped = text.strip()
    return bool(stripped) and set(stripped) <= _CLOSING_CHARACTERS
