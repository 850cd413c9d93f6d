"""Scan almost-JSON text once, making the targeted repairs and recording which it made.

`Scan` reads the first object or array in a text that ``json.loads`` refused: single-quoted
strings become double-quoted, Python literals JSON ones, trailing commas go, and an object
cut off between two of its properties is closed. Each repair is recorded by its kind of
`Repair`, for the caller to report.

A cut that fell anywhere else is never closed, since closing it would make up a value: a
string or number cut in the middle (an account ``ACC-1234`` read as ``ACC-12``, an amount
of 1000 as 10), a key without its value, a list whose remaining items are unknown.
`Scan.unsafe_cut` then says where the text was cut.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from typing import Literal

Repair = Literal[
    "code_fence",
    "double_encoded",
    "python_literals",
    "single_quotes",
    "trailing_comma",
    "truncated",
    "empty",
    "other",
]
"""A kind of repair made to a call's arguments; ``"other"`` is anything not named here."""

_SCANNED_KINDS: tuple[Repair, ...] = (
    "python_literals",
    "single_quotes",
    "trailing_comma",
    "truncated",
    "other",
)
_PYTHON_LITERALS = {"True": "true", "False": "false", "None": "null"}
_CLOSERS = {"{": "}", "[": "]"}
# Words that are whole however the text goes on: anything else at the very end of a cut-off
# text (a number, a partial literal) may be the start of a longer value.
_WHOLE_WORDS = frozenset({"true", "false", "null", "True", "False", "None"})

_DOUBLE_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_SINGLE_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'", re.S)
_ESCAPE_OR_CONTROL = re.compile(r"[\\\x00-\x1f]")
_BARE_WORD = re.compile(r"[^\s{}\[\]:,\"']+")
# Single-quoted strings come from Python, so their escapes are Python's.
_PYTHON_ESCAPE = re.compile(
    r"\\(x[0-9a-fA-F]{2}|u[0-9a-fA-F]{4}|U[0-9a-fA-F]{8}|[0-7]{1,3}|N\{[^}]*\}|.)", re.S
)
_PYTHON_SIMPLE_ESCAPES = {
    "'": "'",
    '"': '"',
    "\\": "\\",
    "/": "/",
    "n": "\n",
    "t": "\t",
    "r": "\r",
    "b": "\b",
    "f": "\f",
    "a": "\a",
    "v": "\v",
    "\n": "",
}


class Scan:
    """The JSON tokens of the first object or array in a text, with targeted repairs made.

    Single-quoted strings become double-quoted, Python literals JSON ones, trailing commas
    go, and an object cut off between two of its properties is closed; ``found`` records
    which of these were needed.

    Args:
        text: Text that ``json.loads`` refused, holding at least one ``{`` or ``[``.

    Attributes:
        found: The kinds of repair needed; ``"other"`` for any change the scan does not name.
        stack: The brackets still open where the scan stopped.
        several: Whether more values follow the first one.
        depth: The deepest nesting seen.
        tokens: The repaired JSON tokens, to be joined with spaces; None when the brackets
            do not match, which is json_repair's to untangle, or when ``several`` is true.
        unsafe_cut: Where the text was cut, when it was cut anywhere but between two
            properties of objects (``"inside a string"``, ...): closing it would make up a
            value. ``None`` when the text was not cut, or was cut where closing is safe.
    """

    def __init__(self, text: str) -> None:
        self.found: set[Repair] = set()
        self.stack: list[str] = []
        self.several = False
        self.depth = 0
        self.unsafe_cut: str | None = None
        start = min(i for i in (text.find("{"), text.find("[")) if i >= 0)
        if text[:start].strip():
            self.found.add("other")
        self.tokens = self._tokenize(text, start)
        if not self.found:
            # json.loads refused the text, so something this scan does not name changed.
            self.found.add("other")

    def kinds(self) -> list[Repair]:
        """The repairs found, in the order of `Repair`."""
        return [kind for kind in _SCANNED_KINDS if kind in self.found]

    def _tokenize(self, text: str, start: int) -> list[str] | None:
        tokens: list[str] = []
        index = start
        while index < len(text):
            char = text[index]
            if char.isspace():
                if char not in " \t\r\n":
                    self.found.add("other")
            elif char in "{[":
                self.stack.append(char)
                tokens.append(char)
                self.depth = max(self.depth, len(self.stack))
            elif char in "}]":
                if not self.stack or _CLOSERS[self.stack.pop()] != char:
                    return None
                if tokens[-1] == ",":
                    tokens.pop()
                    self.found.add("trailing_comma")
                tokens.append(char)
                if not self.stack:
                    return self._end(tokens, text[index + 1 :])
            elif char == "," and tokens[-1] == ",":
                # json_repair would read "1,," as the string "1,".
                self.found.add("other")
            elif char in ":,":
                tokens.append(char)
            else:
                token, index = self._read_value(text, index)
                tokens.append(token)
                continue
            index += 1
        self._close(tokens)
        return tokens

    def _read_value(self, text: str, index: int) -> tuple[str, int]:
        """Read the string or bare word at ``index``: its JSON text and where it ends."""
        char = text[index]
        if char == '"':
            match = _DOUBLE_QUOTED.match(text, index)
            if match:
                return self._json_string(match[0]), match.end()
            return self._cut_string(), len(text)
        if char == "'":
            self.found.add("single_quotes")
            match = _SINGLE_QUOTED.match(text, index)
            if match:
                return _requote(match[0][1:-1]), match.end()
            return self._cut_string(), len(text)
        match = _BARE_WORD.match(text, index)
        assert match is not None  # the caller saw no space, bracket, colon, comma or quote
        word = match[0]
        if match.end() == len(text) and word not in _WHOLE_WORDS:
            self.found.add("truncated")
            self.unsafe_cut = f"inside the value {word[:20]!r}, which may go on"
        if word in _PYTHON_LITERALS:
            self.found.add("python_literals")
            word = _PYTHON_LITERALS[word]
        return word, match.end()

    def _json_string(self, token: str) -> str:
        r"""Make a double-quoted string valid JSON.

        Models write raw control characters and Python escapes (``\'``, ``\x41``) in them.
        """
        if not _ESCAPE_OR_CONTROL.search(token) or _is_json(token):
            return token
        self.found.add("other")
        return _requote(token[1:-1])

    def _cut_string(self) -> str:
        """A string that the text ends in: never closed, so its text is not read."""
        self.found.add("truncated")
        self.unsafe_cut = "inside a string"
        return '""'

    def _end(self, tokens: list[str], rest: str) -> list[str] | None:
        """Finish once the first value closed; ``rest`` is the text after it."""
        if rest.strip():
            if "{" in rest or "[" in rest:
                self.several = True
                return None
            self.found.add("other")
        return tokens

    def _close(self, tokens: list[str]) -> None:
        """Close objects cut off between two properties; anywhere else, set `unsafe_cut`."""
        self.found.add("truncated")
        if self.unsafe_cut is None:
            self.unsafe_cut = self._unsafe_place(tokens)
        if self.unsafe_cut is not None:
            return
        if tokens[-1] == ",":
            tokens.pop()
        tokens.extend(_CLOSERS[bracket] for bracket in reversed(self.stack))

    def _unsafe_place(self, tokens: list[str]) -> str | None:
        """Where the text ends, if closing there would make up a value; else None."""
        if "[" in self.stack:
            return "inside a list, whose remaining items are unknown"
        last = tokens[-1]
        if last == "{":
            return "before the first property of an object"
        if last == ":":
            return f"after the key {tokens[-2]}, before its value"
        if last[0] in "\"'" and tokens[-2] in ("{", ","):
            return f"after the key {last}, before its value"
        return None


def _requote(inside: str) -> str:
    """Turn the inside of a single-quoted Python string into a JSON string."""
    return json.dumps(_PYTHON_ESCAPE.sub(_unescape_python, inside), ensure_ascii=False)


def _unescape_python(match: re.Match[str]) -> str:
    escape = match[1]
    if escape in _PYTHON_SIMPLE_ESCAPES:
        return _PYTHON_SIMPLE_ESCAPES[escape]
    if escape[0] in "xuU" and len(escape) > 1 and int(escape[1:], 16) <= sys.maxunicode:
        return chr(int(escape[1:], 16))
    if escape[0] in "01234567":
        return chr(int(escape, 8))
    if escape[0] == "N" and len(escape) > 1:
        try:
            return unicodedata.lookup(escape[2:-1])
        except KeyError:
            pass
    # Python keeps the backslash of an escape it does not know.
    return match[0]


def _is_json(text: str) -> bool:
    try:
        json.loads(text)
    except ValueError:
        return False
    return True
