"""Custom tools: their input is free text, optionally bound by a Lark or regex grammar.

A custom tool (`Tool.custom`) takes one text, not a JSON object of arguments. OpenAI
offers it as it is (a ``custom`` tool whose ``format`` is the grammar), and the local model
writes only texts the grammar admits. The other providers have no custom tools: they are
offered a function with one string parameter, ``input``, whose description carries the
grammar. Every call is checked against the grammar before the handler runs: a text that
does not match is an error result telling the model what was expected.

A call's arguments are ``{"input": <text>}`` whatever the provider (OpenAI's
``custom_tool_call`` is read into that form): the text itself is never parsed as JSON.

The grammar's check is the `lark` library's Earley parser for Lark grammars (the syntax
OpenAI reads, through llguidance), and Python's `re` for regular expressions (OpenAI reads
them with Rust's ``regex`` crate: the common syntax is the same; lookarounds and
backreferences, which only Python has, are refused by OpenAI).
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final, Literal, cast

from switchboard.errors import ArgumentProblem, ArgumentsError, ToolDefinitionError

if TYPE_CHECKING:
    from lark import Lark

    from switchboard.tools.tool import Tool
    from switchboard.tools.validation import JsonReader

Syntax = Literal["lark", "regex"]
"""How a custom tool's grammar is written: a Lark grammar, or a regular expression."""

INPUT: Final = "input"
"""The one argument of a custom tool's call: its text."""

_SYNTAXES: Final = frozenset({"lark", "regex"})
_SYNTAX_NAMES: Final = {"lark": "Lark grammar", "regex": "regular expression"}


@dataclass(frozen=True, slots=True)
class TextInput:
    """What a custom tool's input must be: any text, or text its grammar admits.

    Attributes:
        grammar: The grammar's definition; ``None`` admits any text.
        syntax: ``"lark"`` (a Lark grammar whose start rule is ``start``) or ``"regex"``
            (the whole text must match).
    """

    grammar: str | None = None
    syntax: Syntax = "lark"

    def describe(self) -> str:
        """The input's description for a model that sees it as a string parameter."""
        if self.grammar is None:
            return "The tool's input: free text."
        name = _SYNTAX_NAMES[self.syntax]
        return f"The tool's input: text that matches this {name}, exactly:\n{self.grammar}"

    def problem(self, text: str) -> str | None:
        """Why ``text`` is not an input the grammar admits; ``None`` when it is."""
        if self.grammar is None:
            return None
        if self.syntax == "regex":
            if _regex(self.grammar).fullmatch(text):
                return None
            return f"text matching the regular expression {self.grammar!r} as a whole"
        return _lark_problem(self.grammar, text)


def text_input(tool: str, grammar: str | None, syntax: str) -> TextInput:
    """A `TextInput` whose grammar is checked to compile.

    Raises:
        ToolDefinitionError: The syntax is neither ``"lark"`` nor ``"regex"``, or the
            grammar does not compile; the message gives the compiler's reason.
    """
    if syntax not in _SYNTAXES:
        msg = f"Tool {tool!r}: syntax must be 'lark' or 'regex' (got {syntax!r})."
        raise ToolDefinitionError(msg, tool=tool)
    checked = TextInput(grammar, "lark" if syntax == "lark" else "regex")
    if grammar is None:
        return checked
    if not isinstance(grammar, str) or not grammar.strip():  # pyright: ignore[reportUnnecessaryIsInstance]
        msg = f"Tool {tool!r}: its grammar must be a non-empty string (got {grammar!r})."
        raise ToolDefinitionError(msg, tool=tool)
    try:
        _regex(grammar) if syntax == "regex" else lark_parser(grammar, "dynamic")
    except Exception as e:  # re.error, and lark's several grammar errors
        name = _SYNTAX_NAMES[checked.syntax]
        msg = f"Tool {tool!r}: its grammar is not a valid {name}: {e}"
        raise ToolDefinitionError(msg, tool=tool) from e
    return checked


def input_schema(text_input: TextInput) -> dict[str, Any]:
    """The JSON Schema of a custom tool's call as a function: one string, ``input``."""
    return {
        "type": "object",
        "properties": {INPUT: {"type": "string", "description": text_input.describe()}},
        "required": [INPUT],
        "additionalProperties": False,
    }


def custom_tool_schema(
    fmt: Literal["openai", "openai-responses"], name: str, description: str, given: TextInput
) -> dict[str, Any]:
    """The custom tool as OpenAI takes it.

    ``openai-responses``: ``openai.types.responses.CustomToolParam``; ``openai`` (Chat
    Completions): ``openai.types.chat.ChatCompletionCustomToolParam``.
    """
    tool: dict[str, Any] = {"name": name}
    if description:
        tool["description"] = description
    if given.grammar is None:
        tool["format"] = {"type": "text"}
    elif fmt == "openai-responses":
        tool["format"] = {"type": "grammar", "syntax": given.syntax, "definition": given.grammar}
    else:
        grammar = {"definition": given.grammar, "syntax": given.syntax}
        tool["format"] = {"type": "grammar", "grammar": grammar}
    if fmt == "openai-responses":
        return {"type": "custom", **tool}
    return {"type": "custom", "custom": tool}


def custom_names(tools: Sequence[Tool]) -> frozenset[str]:
    """The names of the custom tools (`Tool.custom`) among ``tools``."""
    return frozenset(tool.name for tool in tools if tool.text_input is not None)


def custom_input(arguments: str | Mapping[str, Any]) -> str:
    """The text of a custom tool's call, whose arguments are ``{"input": text}``.

    Arguments that are not of that form (a call written by hand) are sent as their JSON text.
    """
    value: Any = arguments
    if isinstance(arguments, str):
        try:
            value = json.loads(arguments)
        except ValueError:
            return arguments
    text = cast(Mapping[str, Any], value).get(INPUT) if isinstance(value, Mapping) else None
    if isinstance(text, str):
        return text
    return arguments if isinstance(arguments, str) else json.dumps(dict(arguments))


class TextArguments:
    """The validator of a custom tool: ``{"input": text}`` to the handler's one argument.

    Args:
        given: What the input must be.
        parameter: The handler's parameter that takes the text.
    """

    def __init__(self, given: TextInput, parameter: str) -> None:
        self._given = given
        self._parameter = parameter

    def validate(
        self, tool: str, arguments: Mapping[str, Any], *, strict: bool = False
    ) -> dict[str, Any]:
        """The handler's keyword arguments, or `ArgumentsError` saying what was expected."""
        text = arguments.get(INPUT)
        if not isinstance(text, str):
            problem = ArgumentProblem(INPUT, "the input text, a string", text, missing=text is None)
            raise ArgumentsError(tool, [problem])
        extra = [key for key in arguments if key != INPUT]
        if extra:
            message = f"nothing but {INPUT!r} (the tool takes one text)"
            raise ArgumentsError(tool, [ArgumentProblem(extra[0], message, arguments[extra[0]])])
        expected = self._given.problem(text)
        if expected is not None:
            raise ArgumentsError(tool, [ArgumentProblem(INPUT, expected, text)])
        return {self._parameter: text}

    def json_reader(self, tool: str, *, strict: bool = False) -> JsonReader:
        """See `ArgumentsValidator.json_reader`."""
        from switchboard.tools.validation import clean_json_reader

        return clean_json_reader(self, tool, strict=strict)


def handler_parameters(handler: Callable[..., Any], tool_name: str) -> tuple[str, str | None]:
    """The handler's parameter that takes the text, and the one that takes the context.

    Raises:
        ToolDefinitionError: The handler does not take exactly one argument besides an
            optional `RunContext`.
    """
    from switchboard.tools.context import input_and_context

    return input_and_context(
        handler,
        tool_name,
        takes="a custom tool's handler takes the input text",
        fix="Give it a single str parameter.",
    )


@functools.lru_cache(maxsize=64)
def _regex(pattern: str) -> re.Pattern[str]:
    return re.compile(pattern)


@functools.lru_cache(maxsize=64)
def lark_parser(grammar: str, lexer: Literal["dynamic", "dynamic_complete"]) -> Lark:
    """The Lark grammar compiled (once per grammar and lexer): Earley, from rule ``start``."""
    # Imported with the first Lark grammar: most programs have none.
    from lark import Lark

    # Earley with a dynamic lexer reads a text as the local model's grammar writes it
    # (terminals matched where the rules need them, no tokenizer of its own).
    return Lark(grammar, parser="earley", lexer=lexer, start="start")


def _lark_problem(grammar: str, text: str) -> str | None:
    from lark.exceptions import LarkError

    try:
        lark_parser(grammar, "dynamic").parse(text)  # pyright: ignore[reportUnknownMemberType]
    except LarkError as first:
        # The dynamic lexer takes each terminal's longest match; a text that needs a
        # shorter one is read by trying every match (slower, so only after a failure).
        try:
            lark_parser(grammar, "dynamic_complete").parse(text)  # pyright: ignore[reportUnknownMemberType]
        except LarkError:
            reason = str(first).strip().splitlines()[0]
            return f"text that the tool's Lark grammar admits ({reason})"
    return None
