"""TopTokenGrammar against llama.cpp's own grammar sampler, on the real embedded model."""

import json
from typing import Any

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from llama_cpp import Llama, LlamaGrammar, LogitsProcessorList

from switchboard.errors import ProviderRequestError
from switchboard.evals.bfcl import from_bfcl, load_bfcl
from switchboard.providers.embedded import embedded_model_path
from switchboard.providers.local.grammar import call_grammar, tools_key
from switchboard.providers.local.sampling import (
    JsonLexer,
    TopTokenGrammar,
    closing_reserve,
    looping,
)
from switchboard.tools.tool import Tool


@pytest.fixture(scope="module")
def llama() -> Llama:
    return Llama(str(embedded_model_path()), n_ctx=1024, n_threads=1, verbose=False)


def prompt(question: str, listing: str) -> str:
    return (
        f"<|im_start|>system\n{listing}<|im_end|>\n"
        f"<|im_start|>user\n{question}<|im_end|>\n<|im_start|>assistant\n"
    )


def bfcl_case(index: int) -> tuple[Tool, str, str]:
    """BFCL simple_python entry ``index``: its tool, its call grammar, and its prompt."""
    entry = load_bfcl("simple_python")[index]
    tool = from_bfcl(entry["function"][0])
    gbnf = call_grammar(tools_key([(tool.name, tool.parameters)]), text=False, parallel=False)
    return tool, gbnf, prompt(entry["question"][0][-1]["content"], json.dumps(tool.parameters))


def decode(llama: Llama, text: str, checker: TopTokenGrammar, max_tokens: int) -> Any:
    """Greedy decoding of ``text`` through ``checker``, freed after."""
    try:
        return llama.create_completion(
            text,
            max_tokens=max_tokens,
            temperature=0.0,
            logits_processor=LogitsProcessorList([checker]),
        )
    finally:
        checker.close()


@pytest.mark.parametrize("index", [0, 7])
def test_top_token_check_decodes_what_the_full_grammar_sampler_decodes(
    llama: Llama, index: int
) -> None:
    """Greedy decoding with TopTokenGrammar yields the same text as llama.cpp's grammar."""
    tool, gbnf, text = bfcl_case(index)
    full = llama.create_completion(
        text, max_tokens=48, temperature=0.0, grammar=LlamaGrammar.from_string(gbnf)
    )
    lazy = decode(llama, text, TopTokenGrammar(llama, gbnf), 48)
    assert lazy["choices"][0]["text"] == full["choices"][0]["text"]  # type: ignore[index]
    assert json.loads(lazy["choices"][0]["text"])["name"] == tool.name


def test_grammar_llama_cpp_cannot_parse_is_a_provider_error(llama: Llama) -> None:
    """A grammar with no valid root is refused with ProviderRequestError, not a crash."""
    with pytest.raises(ProviderRequestError, match="could not parse"):
        TopTokenGrammar(llama, 'root ::= "a" undefined-rule\n')


def test_a_text_reply_is_never_steered_to_close(llama: Llama) -> None:
    """Under auto a plain-text reply runs to max_tokens: only calls are closed early."""
    tool = from_bfcl(load_bfcl("simple_python")[0]["function"][0])
    gbnf = call_grammar(tools_key([(tool.name, tool.parameters)]), text=True, parallel=False)
    text = prompt("Write a long story about a dragon.", "Answer in plain text.")
    output = decode(llama, text, TopTokenGrammar(llama, gbnf, max_tokens=16), 16)
    choice = output["choices"][0]
    assert not choice["text"].lstrip().startswith(("{", "["))
    assert (choice["finish_reason"], output["usage"]["completion_tokens"]) == ("length", 16)


def test_closing_reserve_is_three_eighths_within_bounds() -> None:
    assert [closing_reserve(n) for n in (1, 8, 128, 512)] == [2, 3, 48, 64]


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        ([9, *[4, 5, 6, 7] * 6], True),  # a block of 4 six times: 24 tokens
        ([9, *[4, 5, 6, 7] * 5], False),  # 20 tokens: too short to call a loop
        ([3] * 24, True),
        ([3] * 23, False),
        (list(range(40)), False),
        ([*range(30)] * 3, True),  # a block of 30, three times
        ([*range(30)] * 2, False),
        ([*[4, 5, 6, 7, 8, 9, 10, 11, 12] * 2, 4, 5, 6, 7, 8, 9], False),
    ],
)
def test_looping_needs_a_block_repeated_over_24_tokens_and_3_times(
    tokens: list[int], expected: bool
) -> None:
    assert looping(np.array(tokens, dtype=np.intc)) is expected


@pytest.mark.parametrize(
    ("tokens", "expected"),
    [
        ([9, *[*range(100, 146)] * 3], True),  # a block of 46, as BFCL live_simple_35 makes
        ([*range(200)] * 3, True),
        ([*range(46)] * 2 + [*range(45)], False),  # a token short of the third time
        ([*range(46)] * 2 + [*range(44)] + [7], False),
    ],
)
def test_looping_finds_blocks_longer_than_32_tokens(tokens: list[int], expected: bool) -> None:
    """A long repeated block is a loop too, once it has come three times."""
    assert looping(np.array(tokens, dtype=np.intc)) is expected


def ends_with_a_loop(tokens: list[int]) -> bool:
    """`looping` by its definition: some block, repeated over 24 tokens and 3 times, ends them."""
    for period in range(1, len(tokens) + 1):
        length = max(3, -(-24 // period)) * period
        tail = tokens[len(tokens) - length :]
        if length <= len(tokens) and tail[period:] == tail[:-period]:
            return True
    return False


@given(
    before=st.lists(st.integers(0, 3), max_size=60),
    block=st.integers(1, 80).flatmap(lambda n: st.lists(st.integers(0, 3), min_size=n, max_size=n)),
    times=st.integers(0, 4),
    after=st.lists(st.integers(0, 3), max_size=4),
)
def test_looping_agrees_with_its_definition(
    before: list[int], block: list[int], times: int, after: list[int]
) -> None:
    """Any tokens, often with a repeated block in them: looping says what the definition says."""
    tokens = before + block * times + after
    assert looping(np.array(tokens, dtype=np.intc)) is ends_with_a_loop(tokens)


@pytest.mark.parametrize(
    ("pieces", "in_string", "opened"),
    [
        ([b' {"', b"city"], True, 0),
        ([b' {"', b'city": "', b"Paris"], True, 1),
        ([b'{"a": "x', b'\\"', b"y"], True, 0),  # an escaped quote does not end it
        ([b'{"a": "x', b"\\\\", b'"'], False, 0),  # an escaped backslash does not escape
        ([b'{"a": ["x', b'", "', b"y"], True, 1),  # one piece ends a string, opens another
        ([b'{"a": 1', b"2"], False, 0),
    ],
)
def test_json_lexer_follows_strings_piece_by_piece(
    pieces: list[bytes], in_string: bool, opened: int
) -> None:
    lexer = JsonLexer()
    for piece in pieces:
        lexer.feed(piece)
    assert (lexer.opening, lexer.in_string) == (b"{", in_string)
    if in_string:
        assert lexer.string_opened == opened


@pytest.mark.parametrize(
    ("before", "piece", "expected"),
    [
        (b'{"a": [1', b", ", True),
        (b'{"a": [1', b"],", True),
        (b'{"a": "x', b'",', True),  # ends the string, then a comma
        (b'{"a": "x', b", y", False),  # a comma inside the string
        (b'{"a": [1', b"2", False),
    ],
)
def test_json_lexer_tells_a_comma_that_starts_an_item(
    before: bytes, piece: bytes, expected: bool
) -> None:
    lexer = JsonLexer()
    lexer.feed(before)
    assert lexer.separates(piece) is expected


@pytest.mark.parametrize(("index", "shortened"), [(0, False), (130, True)])
def test_only_a_call_running_into_its_reserve_is_shortened(
    llama: Llama, index: int, shortened: bool
) -> None:
    """A call that ends on its own is left alone; a runaway list ends at a whole item."""
    tool, gbnf, text = bfcl_case(index)
    checker = TopTokenGrammar(llama, gbnf, max_tokens=96)
    call = json.loads(decode(llama, text, checker, 96)["choices"][0]["text"])
    assert tool.accepts(call["arguments"])
    assert checker.shortened is shortened
