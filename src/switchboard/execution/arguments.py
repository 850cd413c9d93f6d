"""Parse a tool call's arguments, repairing the JSON mistakes models commonly make.

OpenAI, OpenAI-compatible servers and local models send a call's arguments as a JSON string;
Anthropic and Gemini send them already decoded. Clean JSON costs one `json.loads`. Anything
else goes through targeted repairs, each recorded by kind so that the executor can report
them, with `json_repair` as the general fallback. A repair never invents an argument object:
text that holds none, or only a cut-off one the caller does not accept, raises
`UnparsableArguments`, whose message tells the model how to fix its call.
"""

from __future__ import annotations

import json
import re
import sys
import unicodedata
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Literal, cast

import json_repair

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

_SEND_INSTEAD = 'Send the arguments as one JSON object, e.g. {"param": "value"}.'
_SCANNED_KINDS: tuple[Repair, ...] = (
    "python_literals",
    "single_quotes",
    "trailing_comma",
    "truncated",
    "other",
)
_MAX_REPAIR_DEPTH = 200
_PYTHON_LITERALS = {"True": "true", "False": "false", "None": "null"}
_CLOSERS = {"{": "}", "[": "]"}
_JSON_KINDS: dict[type[Any], str] = {
    list: "an array",
    str: "a string",
    bool: "a boolean",
    type(None): "null",
}

# A block fence closes on a line of its own: JSON strings cannot hold a raw newline, so a
# "```" inside a string value never ends the block. An unclosed fence runs to the end.
_BLOCK_FENCE = re.compile(r"```[\w+.-]*[ \t]*\r?\n(.*?)(?:\r?\n[ \t]*```|```\s*\Z|\Z)", re.S)
_INLINE_FENCE = re.compile(r"```(?:json)?[ \t]*(\{.*\})[ \t]*```", re.S | re.I)
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


@dataclass(frozen=True, slots=True)
class ParsedArguments:
    """A call's argument object and the repairs it needed.

    Attributes:
        value: The argument object.
        repairs: What was repaired, in the order applied; ``()`` for clean JSON.
    """

    value: dict[str, Any]
    repairs: tuple[Repair, ...]


class UnparsableArguments(Exception):
    """Arguments that hold no JSON object, even after repair.

    Not public API: the executor turns it into an error result for the model.

    Attributes:
        message: What was wrong, where, and what to send instead, written for the model.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_arguments(
    raw: str | Mapping[str, Any] | None,
    *,
    accepts: Callable[[dict[str, Any]], bool] | None = None,
) -> ParsedArguments:
    r"""Read a tool call's arguments as a JSON object, repairing common model mistakes.

    Args:
        raw: The arguments as the provider sent them: a JSON string, an already decoded
            mapping, or ``None`` for none at all.
        accepts: Judges the object closed from cut-off arguments (usually the tool's
            argument validator). Without it, cut-off arguments are refused.

    Returns:
        The argument object and the repairs made; ``("empty",)`` for no arguments at all.

    Raises:
        UnparsableArguments: ``raw`` holds no JSON object that can be read without
            inventing one, or it was cut off and ``accepts`` refused the closed object.

    Example:
        >>> parse_arguments('{"city": "Paris"}')
        ParsedArguments(value={'city': 'Paris'}, repairs=())
        >>> parse_arguments("```json\n{'city': 'Paris', 'metric': True,}\n```").repairs
        ('code_fence', 'python_literals', 'single_quotes', 'trailing_comma')
    """
    if isinstance(raw, str):
        try:
            value = json.loads(raw)
        except (ValueError, RecursionError) as error:
            return _parse_repaired(raw, error, accepts)
        if isinstance(value, dict):
            # json.loads gives str keys; a cast() would add a call to this hot path.
            return ParsedArguments(value, ())  # pyright: ignore[reportUnknownArgumentType]
        return _to_object(raw, value, [], accepts)
    if raw is None:
        return ParsedArguments({}, ("empty",))
    return ParsedArguments(dict(raw), ())


def _parse_repaired(
    text: str, error: Exception, accepts: Callable[[dict[str, Any]], bool] | None
) -> ParsedArguments:
    if not text.strip():
        return ParsedArguments({}, ("empty",))
    value, repairs = _decode_repaired(text, error)
    return _to_object(text, value, repairs, accepts)


def _to_object(
    text: str,
    value: Any,
    repairs: list[Repair],
    accepts: Callable[[dict[str, Any]], bool] | None,
) -> ParsedArguments:
    """Check that decoded arguments are an object, decoding a double-encoded one."""
    if isinstance(value, str):
        value, repairs = _decode_inner(value, repairs)
    if not isinstance(value, dict):
        raise _not_an_object(value)
    arguments = cast("dict[str, Any]", value)
    if "truncated" in repairs and (accepts is None or not accepts(arguments)):
        raise _cut_off(text)
    return ParsedArguments(arguments, tuple(repairs))


def _decode_inner(text: str, repairs: list[Repair]) -> tuple[Any, list[Repair]]:
    """Decode the string that a double-encoded object was sent as."""
    try:
        value, inner_repairs = _decode(text)
    except UnparsableArguments:
        raise _not_an_object(text) from None
    if not isinstance(value, dict):
        raise _not_an_object(text)
    return cast("dict[str, Any]", value), [*repairs, "double_encoded", *inner_repairs]


def _decode(text: str) -> tuple[Any, list[Repair]]:
    try:
        return json.loads(text), []
    except (ValueError, RecursionError) as error:
        return _decode_repaired(text, error)


def _decode_repaired(text: str, error: Exception) -> tuple[Any, list[Repair]]:
    """Decode JSON that ``json.loads`` refused with ``error``, recording each repair."""
    repairs: list[Repair] = []
    body = _unfence(text)
    if body is None:
        body = text
    else:
        repairs.append("code_fence")
        try:
            return json.loads(body), repairs
        except (ValueError, RecursionError):
            pass
    if "{" not in body:
        raise _invalid_json(text, error)
    scan = _Scan(body)
    # Of several values json_repair would keep one or merge them: both guess at the call
    # meant. It also recurses per level, slowly: runaway nesting takes it seconds.
    if scan.several or scan.depth > _MAX_REPAIR_DEPTH:
        raise _invalid_json(text, error)
    if scan.tokens is not None:
        try:
            value = json.loads(" ".join(scan.tokens))
        except (ValueError, RecursionError):
            pass
        else:
            # "{}" found in prose is no evidence of an argument object.
            if value == {} and "other" in scan.found:
                raise _invalid_json(text, error)
            return value, repairs + scan.kinds()
    value = _repair_generally(body)
    if not isinstance(value, dict) or not value:
        raise _invalid_json(text, error)
    scan.found.add("other")
    return cast("dict[str, Any]", value), repairs + scan.kinds()


def _unfence(text: str) -> str | None:
    """Return what a markdown code fence around the JSON holds, or None without one."""
    if "```" not in text or text.lstrip().startswith("{"):
        return None
    match = _BLOCK_FENCE.search(text) or _INLINE_FENCE.search(text)
    return match[1] if match else None


def _repair_generally(text: str) -> Any:
    """Repair ``text`` with json_repair; None when it cannot."""
    try:
        return json_repair.loads(text)
    # json_repair is best effort on arbitrary text: any failure means nothing was readable.
    except Exception:
        return None


class _Scan:
    """The JSON tokens of the first object or array in a text, with targeted repairs made.

    Single-quoted strings become double-quoted, Python literals JSON ones, trailing commas
    go, and a cut-off value is closed; ``found`` records which of these were needed.
    ``tokens`` is None when the brackets do not match, which is json_repair's to untangle,
    or when ``several`` values follow each other. ``depth`` is the deepest nesting seen.
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


def _invalid_json(text: str, error: Exception) -> UnparsableArguments:
    if isinstance(error, json.JSONDecodeError):
        near = _excerpt(text, error.pos)
        where = f"{error.msg} at line {error.lineno} column {error.colno} (near {near!r})"
    elif isinstance(error, RecursionError):
        where = "it is nested too deeply"
    else:
        where = str(error)
    return UnparsableArguments(f"Arguments are not valid JSON: {where}. {_SEND_INSTEAD}")


def _not_an_object(value: object) -> UnparsableArguments:
    kind = _JSON_KINDS.get(type(value), "a number")
    shown = json.dumps(value)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return UnparsableArguments(
        f"Arguments must be a JSON object, but they were {kind}: {shown}. {_SEND_INSTEAD}"
    )


def _cut_off(text: str) -> UnparsableArguments:
    return UnparsableArguments(
        f"Arguments were cut off after {len(text)} characters, before the JSON object was "
        f"closed (they end with {text[-30:]!r}). Send the complete arguments as one JSON "
        "object."
    )


def _excerpt(text: str, position: int) -> str:
    return text[max(0, position - 20) : position + 10]
