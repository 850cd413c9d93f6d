r"""A custom tool's grammar (Lark or regex) as GBNF rules for its input, inside a JSON string.

The local model writes a custom tool's call as JSON, ``{"name": ..., "arguments": {"input":
"<text>"}}``, so the rules admit the text as a JSON string's content: each character the
grammar allows, escaped as JSON escapes it (``"`` as ``\"``, ``\`` as ``\\``, a line
break as ``\n``, a tab as ``\t``). Control characters other than those three are left
out: the text written is one the grammar admits, never one it refuses.

Regular expressions are read with Python's own parser (``re._parser``, the tree ``re``
compiles) and written as GBNF; a Lark grammar is compiled by `lark` into plain rules and
terminals, each terminal a regular expression, written the same way, with the ``%ignore``
terminals allowed before every terminal and at the end, as Lark's dynamic lexer allows
them. Lookarounds, backreferences and anchors inside an expression have no GBNF form: such a
grammar is refused with `ToolDefinitionError`.

No library converts these to GBNF: llama.cpp's own converter (``SchemaConverter``) reads
only the regex subset of JSON Schema patterns, without groups' flags or JSON escaping.
"""

from __future__ import annotations

import functools
import importlib
import re
from collections.abc import Iterable, Sequence
from typing import Any, Final

from switchboard.errors import ToolDefinitionError
from switchboard.tools.grammar import TextInput, lark_parser

# The tree `re` compiles (its parser and node names, stable since Python 3.11), untyped.
sre: Any = importlib.import_module("re._constants")
sre_parse: Any = importlib.import_module("re._parser")

_MAX_CHAR: Final = 0x10FFFF
# What a JSON string holds as an escape: the character, and its escape as GBNF literal text.
_ESCAPED: Final = {
    0x22: '"\\\\\\""',
    0x5C: '"\\\\\\\\"',
    0x0A: '"\\\\n"',
    0x09: '"\\\\t"',
    0x0D: '"\\\\r"',
}

Ranges = list[tuple[int, int]]


class _Unsupported(Exception):
    """A construct of the grammar that has no GBNF form."""


def input_rules(given: TextInput, prefix: str, *, tool: str) -> tuple[str, str]:
    """GBNF rules admitting the input as a JSON string's content, and the rule to start from.

    Args:
        given: The tool's input: any text (``grammar`` None) or its grammar's texts.
        prefix: Put before every rule name (unique per tool in one grammar).
        tool: The tool's name, for error messages.

    Raises:
        ToolDefinitionError: The grammar uses something GBNF cannot express.
    """
    try:
        return _input_rules(given.grammar, given.syntax, prefix)
    except (_Unsupported, re.error) as e:
        msg = (
            f"Tool {tool!r}: the local model cannot enforce its {given.syntax} grammar ({e}). "
            "Rewrite that part of the grammar, or use this tool with another provider."
        )
        raise ToolDefinitionError(msg, tool=tool) from e


@functools.lru_cache(maxsize=64)
def _input_rules(grammar: str | None, syntax: str, prefix: str) -> tuple[str, str]:
    start = f"{prefix}input"
    if grammar is None:
        any_char = _charset([(0, _MAX_CHAR)])
        return f"{start} ::= {any_char}*\n", start
    if syntax == "regex":
        return f"{start} ::= {_regex(grammar, 0)}\n", start
    return _lark_rules(grammar, prefix, start), start


def _lark_rules(grammar: str, prefix: str, start: str) -> str:
    parser = lark_parser(grammar, "dynamic")  # cached: the tool's checks compiled it too
    ignored = bool(parser.ignore_tokens)
    terminals = {terminal.name: terminal for terminal in parser.terminals}
    productions: dict[str, list[list[str]]] = {}
    for rule in parser.rules:
        productions.setdefault(rule.origin.name, []).append([s.name for s in rule.expansion])
    plain, repeated = _without_left_recursion(productions)
    names: dict[str, str] = {}

    def named(symbol: str) -> str:
        if symbol not in names:
            names[symbol] = f"{prefix}{len(names)}"
        return names[symbol]

    ignore = f"{prefix}ignore"

    def written(alternative: list[str]) -> str:
        symbols = [
            f"{ignore} {named(s)}" if s in terminals and ignored else named(s) for s in alternative
        ]
        return " ".join(symbols) or '""'

    tail = f" {ignore}" if ignored else ""
    lines = [f"{start} ::= {named('start')}{tail}"]
    lines.extend(f"{named(n)} ::= {' | '.join(map(written, alts))}" for n, alts in plain.items())
    lines.extend(
        f"{named(n)} ::= ( {' | '.join(map(written, alts))} )*" for n, alts in repeated.items()
    )
    if ignored:
        lines.append(f"{ignore} ::= ( {' | '.join(named(t) for t in parser.ignore_tokens)} )*")
    lines.extend(
        f"{names[name]} ::= {_regex(terminal.pattern.to_regexp(), 0)}"
        for name, terminal in terminals.items()
        if name in names
    )
    return "\n".join(lines) + "\n"


def _without_left_recursion(
    productions: dict[str, list[list[str]]],
) -> tuple[dict[str, list[list[str]]], dict[str, list[list[str]]]]:
    """The rules with no left recursion, which llama.cpp's grammars refuse and Lark's allow.

    Paull's algorithm: rules are taken in order; a rule's alternatives that begin with an
    earlier rule that can begin with it are expanded into that rule's alternatives, then
    its own left recursion ``A ::= A x | y`` becomes ``A ::= y A-tail``, ``A-tail ::= (x)*``.
    Lark writes ``x*`` itself as such a recursion. Returns the plain rules and the tails
    (each to be written as a repetition of its alternatives).
    """
    rules = {name: [list(alt) for alt in alts] for name, alts in productions.items()}
    tails: dict[str, list[list[str]]] = {}
    order = list(rules)
    for index, name in enumerate(order):
        for earlier in order[:index]:
            if not _begins_with(rules, earlier, name):
                continue
            expanded: list[list[str]] = []
            for alt in rules[name]:
                if alt and alt[0] == earlier:
                    expanded.extend(head + alt[1:] for head in rules[earlier])
                else:
                    expanded.append(alt)
            rules[name] = expanded
        recursive = [alt[1:] for alt in rules[name] if alt and alt[0] == name]
        if recursive:
            tail = f"{name}\0tail"
            tails[tail] = recursive
            rules[name] = [[*alt, tail] for alt in rules[name] if not alt or alt[0] != name]
    return rules, tails


def _begins_with(rules: dict[str, list[list[str]]], first: str, target: str) -> bool:
    """Whether rule ``first`` can derive a sequence that begins with rule ``target``."""
    seen: set[str] = set()
    pending = [first]
    while pending:
        name = pending.pop()
        if name in seen or name not in rules:
            continue
        seen.add(name)
        for alt in rules[name]:
            if alt and alt[0] == target:
                return True
            if alt:
                pending.append(alt[0])
    return False


def _regex(pattern: str, flags: int) -> str:
    tree = sre_parse.parse(pattern, flags)
    items = list(tree)
    # Anchors at the very ends say what fullmatch says already.
    if (
        items
        and items[0][0] == sre.AT
        and items[0][1] in (sre.AT_BEGINNING, sre.AT_BEGINNING_STRING)
    ):
        items = items[1:]
    if items and items[-1][0] == sre.AT and items[-1][1] in (sre.AT_END, sre.AT_END_STRING):
        items = items[:-1]
    return _sequence(items, tree.state.flags) or '""'


def _sequence(items: Iterable[tuple[Any, Any]], flags: int) -> str:
    return " ".join(_node(op, av, flags) for op, av in items)


def _node(op: Any, av: Any, flags: int) -> str:
    if op is sre.LITERAL:
        return _charset(_cased([(av, av)], flags))
    if op is sre.NOT_LITERAL:
        return _charset(_complement(_cased([(av, av)], flags)))
    if op is sre.ANY:
        dotall = flags & re.DOTALL
        return _charset([(0, _MAX_CHAR)] if dotall else _complement([(0x0A, 0x0A)]))
    if op is sre.IN:
        return _charset(_set_ranges(av, flags))
    if op in (sre.MAX_REPEAT, sre.MIN_REPEAT, sre.POSSESSIVE_REPEAT):
        low, high, item = av
        return f"( {_sequence(item, flags) or chr(34) * 2} ){_quantifier(low, high)}"
    if op is sre.SUBPATTERN:
        _, add, remove, item = av
        return f"( {_sequence(item, (flags | add) & ~remove) or chr(34) * 2} )"
    if op is sre.ATOMIC_GROUP:
        return f"( {_sequence(av, flags)} )"
    if op is sre.BRANCH:
        return "( " + " | ".join(_sequence(branch, flags) or '""' for branch in av[1]) + " )"
    msg = f"{str(op).lower()} has no grammar form"
    raise _Unsupported(msg)


def _quantifier(low: int, high: int) -> str:
    if (low, high) == (0, sre.MAXREPEAT):
        return "*"
    if (low, high) == (1, sre.MAXREPEAT):
        return "+"
    if (low, high) == (0, 1):
        return "?"
    if high == sre.MAXREPEAT:
        return f"{{{low},}}"
    return f"{{{low},{high}}}"


def _set_ranges(items: Sequence[tuple[Any, Any]], flags: int) -> Ranges:
    negate = bool(items) and items[0][0] is sre.NEGATE
    ranges: Ranges = []
    for op, av in items[1:] if negate else items:
        if op is sre.LITERAL:
            ranges.append((av, av))
        elif op is sre.RANGE:
            ranges.append(av)
        elif op is sre.CATEGORY:
            ranges.extend(_category(av))
        else:
            msg = f"{str(op).lower()} in a character set has no grammar form"
            raise _Unsupported(msg)
    ranges = _cased(ranges, flags)
    return _complement(ranges) if negate else _merged(ranges)


_DIGITS: Final = [(0x30, 0x39)]
_WORD: Final = [(0x30, 0x39), (0x41, 0x5A), (0x5F, 0x5F), (0x61, 0x7A)]
_SPACE: Final = [(0x09, 0x0D), (0x20, 0x20)]


def _category(category: Any) -> Ranges:
    # ASCII classes: the text written is within what Python's Unicode classes admit.
    found = {
        sre.CATEGORY_DIGIT: _DIGITS,
        sre.CATEGORY_WORD: _WORD,
        sre.CATEGORY_SPACE: _SPACE,
    }.get(category)
    if found is not None:
        return list(found)
    negated = {
        sre.CATEGORY_NOT_DIGIT: _DIGITS,
        sre.CATEGORY_NOT_WORD: _WORD,
        sre.CATEGORY_NOT_SPACE: _SPACE,
    }.get(category)
    if negated is None:
        msg = f"{str(category).lower()} has no grammar form"
        raise _Unsupported(msg)
    return _complement(negated)


def _cased(ranges: Ranges, flags: int) -> Ranges:
    """``ranges`` with, under IGNORECASE, the other case of each ASCII letter in them."""
    if not flags & re.IGNORECASE:
        return ranges
    extra: Ranges = []
    for low, high in ranges:
        for first, last, shift in ((0x41, 0x5A, 0x20), (0x61, 0x7A, -0x20)):
            start, end = max(low, first), min(high, last)
            if start <= end:
                extra.append((start + shift, end + shift))
    return _merged(ranges + extra)


def _merged(ranges: Ranges) -> Ranges:
    merged: Ranges = []
    for low, high in sorted(ranges):
        if merged and low <= merged[-1][1] + 1:
            merged[-1] = (merged[-1][0], max(merged[-1][1], high))
        else:
            merged.append((low, high))
    return merged


def _complement(ranges: Ranges) -> Ranges:
    result: Ranges = []
    next_low = 0
    for low, high in _merged(ranges):
        if low > next_low:
            result.append((next_low, low - 1))
        next_low = high + 1
    if next_low <= _MAX_CHAR:
        result.append((next_low, _MAX_CHAR))
    return result


def _charset(ranges: Ranges) -> str:
    """GBNF for one character of ``ranges``, written as a JSON string's content writes it."""
    plain = _complement(_merged([(0, 0x1F), (0x22, 0x22), (0x5C, 0x5C), *_complement(ranges)]))
    options = [_class(plain)] if plain else []
    options.extend(
        escape for char, escape in _ESCAPED.items() if any(lo <= char <= hi for lo, hi in ranges)
    )
    if not options:
        msg = "a character set admits no character the model can write"
        raise _Unsupported(msg)
    return options[0] if len(options) == 1 else "( " + " | ".join(options) + " )"


def _class(ranges: Ranges) -> str:
    body = "".join(
        _char(low) if low == high else f"{_char(low)}-{_char(high)}" for low, high in ranges
    )
    return f"[{body}]"


def _char(code: int) -> str:
    if chr(code).isalnum() and code < 0x80:
        return chr(code)
    if code <= 0xFF:
        return f"\\x{code:02X}"
    if code <= 0xFFFF:
        return f"\\u{code:04X}"
    return f"\\U{code:08X}"
