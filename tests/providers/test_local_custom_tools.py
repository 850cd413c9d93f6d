"""Custom tools on the local model: the call grammar admits only inputs their grammar admits.

The grammar checks use llama.cpp's own grammar sampler (`gbnf.grammar_accepts`); the last
tests run the real embedded model (SmolLM2-135M-Instruct) and run its call.
"""

from __future__ import annotations

import json

import pytest

from switchboard.errors import ToolDefinitionError
from switchboard.execution.toolbox import Toolbox
from switchboard.messages import ToolCall, UserMessage
from switchboard.providers.base import ModelRequest, ModelSettings
from switchboard.providers.local import LocalProvider
from switchboard.providers.local.grammar import tools_grammar
from switchboard.tools.tool import Tool

from .gbnf import grammar_accepts

SQL = r"""
start: "SELECT " cols " FROM " NAME (" WHERE " cond)?
cols: NAME (", " NAME)* | "*"
cond: NAME OP NUMBER
OP: "=" | ">" | "<"
NAME: /[a-z_]+/
%import common.NUMBER
"""

# Left recursive, as Lark grammars often are (llama.cpp's grammars refuse left recursion).
SUM = r"""
start: expr
expr: expr "+" term | expr "-" term | term
term: NUMBER | "(" expr ")"
%import common.NUMBER
%import common.WS_INLINE
%ignore WS_INLINE
"""

DATE = r"\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])"


def echo(text: str) -> str:
    return text


def custom(name: str, grammar: str, syntax: str = "lark") -> Tool:
    return Tool.custom(name, f"The {name} tool.", grammar=grammar, syntax=syntax, handler=echo)  # pyright: ignore[reportArgumentType]


def call(name: str, text: str) -> str:
    return json.dumps({"name": name, "arguments": {"input": text}})


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


@pytest.mark.parametrize(
    ("text", "admitted"),
    [
        ("SELECT a, b FROM t WHERE x>3", True),
        ("SELECT * FROM orders", True),
        ("SELECT FROM t", False),
        ("DROP TABLE t", False),
    ],
)
def test_call_grammar_admits_only_lark_inputs(text: str, admitted: bool) -> None:
    """A custom tool's call is admitted exactly when its Lark grammar admits its input."""
    gbnf = tools_grammar([custom("sql", SQL)], text=False, parallel=False)
    assert grammar_accepts(gbnf, call("sql", text)) is admitted
    assert (custom("sql", SQL).text_input.problem(text) is None) is admitted  # pyright: ignore[reportOptionalMemberAccess]


@pytest.mark.parametrize(
    ("text", "admitted"), [("1 + (2 - 3)", True), ("12+3-4", True), ("1 +", False), ("(1", False)]
)
def test_left_recursive_lark_grammar_with_ignored_spaces_is_enforced(
    text: str, admitted: bool
) -> None:
    """Left recursion is rewritten and %ignore'd spaces are allowed between terminals."""
    gbnf = tools_grammar([custom("calc", SUM)], text=False, parallel=False)
    assert grammar_accepts(gbnf, call("calc", text)) is admitted


@pytest.mark.parametrize(
    ("text", "admitted"), [("2024-01-31", True), ("2024-13-01", False), ("2024-1-31", False)]
)
def test_call_grammar_admits_only_regex_inputs(text: str, admitted: bool) -> None:
    """A regex custom tool's input must match the whole expression."""
    gbnf = tools_grammar([custom("day", DATE, "regex")], text=False, parallel=False)
    assert grammar_accepts(gbnf, call("day", text)) is admitted


def test_input_is_written_as_json_escapes_inside_the_call() -> None:
    """Quotes, backslashes and line breaks of the input are written JSON-escaped."""
    tool = custom("say", r'"[^"\n]*"\\?\n', "regex")
    gbnf = tools_grammar([tool], text=False, parallel=False)
    assert grammar_accepts(gbnf, call("say", '"hi"\\\n'))
    assert not grammar_accepts(gbnf, '{"name": "say", "arguments": {"input": ""hi""}}')


def test_custom_and_function_tools_share_one_grammar_with_parallel_calls() -> None:
    """With function tools beside it, either call is admitted, alone or in a list."""
    gbnf = tools_grammar(
        [Tool.from_function(add), custom("day", DATE, "regex")], text=True, parallel=True
    )
    function_call = json.dumps({"name": "add", "arguments": {"a": 1, "b": 2}})
    assert grammar_accepts(gbnf, function_call)
    assert grammar_accepts(gbnf, f"[{call('day', '2024-02-29')}, {function_call}]")
    assert grammar_accepts(gbnf, "Hello.")
    assert not grammar_accepts(gbnf, call("day", "soon"))


def test_grammar_without_a_gbnf_form_is_refused_by_name() -> None:
    """A lookahead has no grammar form: the local model refuses the tool, saying why."""
    tool = custom("look", r"a(?=b)b", "regex")
    with pytest.raises(ToolDefinitionError, match="'look': the local model cannot enforce"):
        tools_grammar([tool], text=False, parallel=False)


# The embedded model

SETTINGS = ModelSettings(max_tokens=60, temperature=0.0, seed=7)
"""Greedy and seeded: repeatable."""


@pytest.fixture(scope="module")
def provider() -> LocalProvider:
    return LocalProvider(n_threads=1)


async def run_forced(provider: LocalProvider, tool: Tool, prompt: str) -> str:
    """The embedded model's forced call of ``tool``, run: the handler's text."""
    request = ModelRequest([UserMessage(prompt)], [tool], tool.name, settings=SETTINGS)
    response = await provider.complete(request)
    [made] = response.turn.tool_calls
    assert made.name == tool.name
    [result] = await Toolbox([tool]).execute([ToolCall(made.id, made.name, made.arguments)])
    assert not result.is_error, result.content
    return result.content


@pytest.mark.anyio
async def test_embedded_model_calls_a_lark_custom_tool_with_a_matching_input(
    provider: LocalProvider,
) -> None:
    """The real model's call of a Lark custom tool runs: its input is a text the grammar admits."""
    text = await run_forced(provider, custom("sql", SQL), "List the names of all customers.")
    assert custom("sql", SQL).text_input.problem(text) is None  # pyright: ignore[reportOptionalMemberAccess]
    assert text.startswith("SELECT ")


@pytest.mark.anyio
async def test_embedded_model_calls_a_regex_custom_tool_with_a_matching_input(
    provider: LocalProvider,
) -> None:
    """The real model's call of a regex custom tool runs: its input matches the expression."""
    text = await run_forced(
        provider, custom("day", DATE, "regex"), "Book a table for June 3rd, 2025."
    )
    assert custom("day", DATE, "regex").text_input.problem(text) is None  # pyright: ignore[reportOptionalMemberAccess]
