"""Scan almost-JSON text once, making the targeted repairs and recording which it made.

`Scan` reads the first object or array in a text that ``json.loads`` refused: single-quoted
strings become double-quoted, Python literals JSON ones, trailing commas go, and a cut-off
value is closed. Each repair is recorded by its kind of `Repair`, for the caller to report.
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

_DOUBLE_QUOTED = re.compile(r'"(?:[^"\\]|\\.)*"', re.S)
_SINGLE_QUOTED = re.compile(r"'(?:[^'\\]|\\.)*'", re.S)
# The well-formed start of a cut-off string: a dangling "\" or partial "\u12" is dropped.
_STRING_START = re.compile(r"(?:[^\\]|\\u[0-9a-fA-F]{4}|\\[^u])*", re.S)
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
    go, and a cut-off value is closed; ``found`` records which of these were needed.

    Args:
        text: Text that ``json.loads`` refused, holding at least one ``{`` or ``[``.

    Attributes:
        found: The kinds of repair needed; ``"other"`` for any change the scan does not name.
        stack: The brackets still open where the scan stopped.
        several: Whether more values follow the first one.
        depth: The deepest nesting seen.
        tokens: The repaired JSON tokens, to be joined with spaces; None when the brackets
            do not match, which is json_repair's to untangle, or when ``several`` is true.
    """

    def __init__(self, text: str) -> None:
        self.found: set[Repair] = set()
        self.stack: list[str] = []
        self.several = False
        self.depth = 0
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
            return self._json_string('"' + self._cut_string(text[index + 1 :]) + '"'), len(text)
        if char == "'":
            self.found.add("single_quotes")
            match = _SINGLE_QUOTED.match(text, index)
            if match:
                return _requote(match[0][1:-1]), match.end()
            return _requote(self._cut_string(text[index + 1 :])), len(text)
        match = _BARE_WORD.match(text, index)
        assert match is not None  # the caller saw no space, bracket, colon, comma or quote
        word = match[0]
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

    def _cut_string(self, rest: str) -> str:
        """The inside of a string that the text ends in."""
        self.found.add("truncated")
        match = _STRING_START.match(rest)
        assert match is not None  # the pattern matches the empty string
        return match[0]

    def _end(self, tokens: list[str], rest: str) -> list[str] | None:
        """Finish once the first value closed; ``rest`` is the text after it."""
        if rest.strip():
            if "{" in rest or "[" in rest:
                self.several = True
                return None
            self.found.add("other")
        return tokens

    def _close(self, tokens: list[str]) -> None:
        """Close a cut-off value, dropping a dangling key, colon, comma or partial word."""
        self.found.add("truncated")
        while tokens:
            last = tokens[-1]
            if last in (",", ":"):
                tokens.pop()
                if last == ":" and tokens[-1].startswith('"'):
                    tokens.pop()
            elif self._is_dangling(tokens):
                tokens.pop()
            else:
                break
        tokens.extend(_CLOSERS[bracket] for bracket in reversed(self.stack))

    def _is_dangling(self, tokens: list[str]) -> bool:
        """Whether the last token is a key without a value or a partial bare word."""
        last = tokens[-1]
        if last[0] == '"':
            return self.stack[-1] == "{" and tokens[-2] in ("{", ",")
        return last[0] not in "{}[]" and not _is_json(last)


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
