"""The local model's reply read as it is decoded, into stream events: pure, no model needed.

A reply is plain text or calls, in `prompt`'s format: ``{"name": ..., "arguments": {...}}``
or a list of those, perhaps in a code fence or ``<tool_call>`` tags. Its first characters
tell which (under ``"auto"`` the grammar lets no text start with ``{`` or ``[``): text is
relayed as it comes (stripped, as `parse_reply` strips it); a call opens
(`ToolCallStart`) once its name is written, and the JSON text of its arguments is relayed
as it comes (`ToolCallDelta`). A call is only known to be one when the whole reply parses,
so the calls of `parse_reply` are `ToolCallReady` at the end; calls opened that the
reply turned out not to hold (cut by the token limit, or not well formed) are
`ToolCallCut`, and the reply's text then comes whole. Calls written in another shape
(other keys first, arguments as a string), and calls of held tools (whose calls may be
asked for again), are relayed at the end.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Final

from switchboard.messages import ToolCall
from switchboard.streaming.accumulate import TurnAccumulator
from switchboard.streaming.events import StreamEvent, ToolCallReady, TurnEnd

if TYPE_CHECKING:
    from switchboard.messages import ModelResponse

# Where the JSON of a call begins (as `parse_reply` reads it), and the wrappers before it.
_CALL_OPENING: Final = re.compile(r"\s*(?:<tool_call>|```(?:json)?)?\s*(?=[{\[])")
_WRAPPERS: Final = ("<tool_call>", "```json", "```")
_STRING: Final = re.compile(r'"(?:[^"\\]|\\.)*"', re.DOTALL)
_SPACE: Final = " \t\n\r"

# What `_literal` and `_string` return instead of a position.
_MORE: Final = -1  # the text ends before it could tell
_OTHER: Final = -2  # something else is written there

# The words of a call's header, in order; None stands for the tool's name (a JSON string).
_HEADER: Final = ("{", '"name"', ":", None, ",", '"arguments"', ":", "{")
# The longest JSON string a tool's name can be written as: 64 characters, each escaped.
_MAX_NAME_TEXT: Final = 2 + 64 * len("\\u0000")


@dataclass(frozen=True, slots=True)
class _Open:
    index: int
    name: str


@dataclass(frozen=True, slots=True)
class _Fragment:
    index: int
    text: str


class ReplyReader:
    """Reads one reply as its text arrives, and yields the events to stream.

    Args:
        call_id_prefix: The calls' ids are ``<prefix>-0``, ``<prefix>-1``, ... (as
            `parse_reply` numbers them).
        calls: Whether the reply may be calls (else it is text, whatever it looks like).
        held: Tools whose calls are relayed only at the end.
        partial_args: Compute `ToolCallDelta.partial_args`.
    """

    def __init__(
        self,
        call_id_prefix: str,
        *,
        calls: bool,
        held: Collection[str] = (),
        partial_args: bool = False,
    ) -> None:
        self._prefix = call_id_prefix
        self._held = held
        self._turn = TurnAccumulator(partial_args=partial_args)
        self._is_text = not calls
        self._scanner: _CallScanner | None = None
        # Until the reply's first characters tell text from calls: its pieces, and the
        # same text with each run of whitespace cut to its first character (see `_decide`).
        self._undecided: list[str] = []
        self._head = ""
        self._text_begun = False
        self._space: list[str] = []  # whitespace after the text so far: relayed if text follows

    def read(self, piece: str) -> list[StreamEvent]:
        """The events of the next piece of the reply.

        Each piece is read once: nothing of the reply is kept but what is still to be
        read, so a reply costs time linear in its length.
        """
        if self._is_text:
            return self._text(piece)
        if self._scanner is None:
            return self._decide(piece)
        return self._calls(piece)

    def finish(self, response: ModelResponse) -> list[StreamEvent]:
        """The last events, `TurnEnd` last, once the reply is read as `response`."""
        turn = response.turn
        events: list[StreamEvent] = []
        for index, call in enumerate(turn.tool_calls):
            events.extend(self._ready(index, call))
        # Calls opened that the reply does not hold: it was cut, or is not well formed.
        events.extend(
            self._turn.cut_open("length" if response.stop_reason == "length" else "error")
        )
        if turn.text and not self._is_text:  # held back while it looked like a call
            events.extend(self._turn.add_text(turn.text))
        events.append(TurnEnd(response.usage, response.stop_reason, response))
        return events

    def _decide(self, piece: str) -> list[StreamEvent]:
        """Text or a call, once the reply's first characters tell.

        Until then the reply is whitespace around the start of a wrapper (`_may_open`),
        and both tests read a run of whitespace as they read one character of it: they are
        made on `_head`, the reply so far with each run cut so, and the piece.
        """
        self._undecided.append(piece)
        head = self._head + piece
        opening = _CALL_OPENING.match(head)
        if opening is not None:
            self._scanner = _CallScanner(self._held)
            self._undecided = []
            return self._calls(head[opening.end() :])
        if _may_open(head):
            core = head.strip()
            self._head = core + head[len(head.rstrip()) :][:1] if core else ""
            return []
        self._is_text = True
        reply = "".join(self._undecided)
        self._undecided = []
        return self._text(reply)

    def _text(self, piece: str) -> list[StreamEvent]:
        """A piece of a text reply, with the whitespace `parse_reply` strips held back."""
        if not self._text_begun:
            piece = piece.lstrip()
            self._text_begun = bool(piece)
        body = piece.rstrip()
        if not body:
            self._space.append(piece)
            return []
        text = "".join(self._space) + body if self._space else body
        self._space = [piece[len(body) :]] if len(body) < len(piece) else []
        return self._turn.add_text(text)

    def _calls(self, piece: str) -> list[StreamEvent]:
        assert self._scanner is not None
        events: list[StreamEvent] = []
        for found in self._scanner.scan(piece):
            if isinstance(found, _Open):
                call_id = f"{self._prefix}-{found.index}"
                events.extend(self._turn.open_call(found.index, call_id, found.name))
            else:
                events.extend(self._turn.add_fragment(found.index, found.text))
        return events

    def _ready(self, index: int, call: ToolCall) -> list[StreamEvent]:
        """A call of the reply: opened and given its arguments if the stream did not."""
        events: list[StreamEvent] = []
        if not self._turn.is_open(index):
            events.extend(self._turn.open_call(index, call.id, call.name))
        if not self._turn.calls[index].arguments:
            events.extend(self._turn.add_fragment(index, _text(call.arguments)))
        # Closed to tell it from calls to cut; its event is ours, with `parse_reply`'s call.
        self._turn.close_call(index)
        events.append(ToolCallReady(call))
        return events


class _CallScanner:
    """Finds, in the text of a reply that is calls, each call's name and arguments' text.

    Only the shape the grammar writes is followed: ``{"name": "<tool>", "arguments":
    {...}}``, or a list of those. On anything else (or a held tool's name) it stops, and
    the calls are relayed at the end. Written by hand: partial-JSON parsers (such as
    pydantic-core's ``allow_partial``, which fills ``partial_args``) give values, not where
    in the reply the arguments' text begins and ends, which each fragment needs.

    Each piece is read once: between pieces it keeps only what it could not read yet (a
    word or a tool's name cut by the end of a piece), so a reply costs time linear in its
    length. A name longer than any tool's is not followed.

    Args:
        held: Tools whose calls are not followed.
    """

    def __init__(self, held: Collection[str]) -> None:
        self._held = held
        self._rest = ""  # the text not read yet, which the next piece continues
        self._at = 0  # where reading resumes, in the text being read
        self._phase = "first"  # first, element, header, arguments, end, next, done
        self._list = False
        self._index = 0  # the call being read
        self._step = 0  # the words of the call's header read so far (see `_HEADER`)
        self._depth = 0
        self._in_string = False
        self._escaped = False

    def scan(self, piece: str) -> list[_Open | _Fragment]:
        """What the reply's next piece holds: calls opened, fragments of their arguments."""
        if self._phase == "done":
            return []
        reply = self._rest + piece
        self._at = 0
        found: list[_Open | _Fragment] = []
        while self._phase != "done" and self._at < len(reply):
            before = (self._phase, self._at)
            match self._phase:
                case "first":
                    self._list = reply[self._at] == "["
                    self._at += self._list
                    self._phase = "element" if self._list else "header"
                case "element":
                    self._punctuation(reply, {"{": "header"}, advance=False)
                case "header":
                    found.extend(self._header(reply))
                case "arguments":
                    found.append(self._arguments(reply))
                case "end":
                    self._punctuation(reply, {"}": "next" if self._list else "done"})
                case _:
                    self._punctuation(reply, {",": "element", "]": "done"})
            if (self._phase, self._at) == before:
                break  # more text is needed
        self._rest = reply[self._at :] if self._phase != "done" else ""
        return [f for f in found if not isinstance(f, _Fragment) or f.text]

    def _punctuation(self, reply: str, then: Mapping[str, str], *, advance: bool = True) -> None:
        """Past whitespace, the character that leads to the next phase; stop on any other."""
        at = self._at = _skip(reply, self._at)  # whitespace, once read, is read
        if at == len(reply):
            return
        phase = then.get(reply[at])
        self._phase = phase or "done"
        self._at = at + advance if phase else len(reply)
        if phase == "next":
            self._index += 1

    def _header(self, reply: str) -> list[_Open | _Fragment]:
        """``{"name": "<tool>", "arguments": `` up to the arguments' ``{``, word by word."""
        found: list[_Open | _Fragment] = []
        while self._step < len(_HEADER):
            self._at = _skip(reply, self._at)
            word = _HEADER[self._step]
            if word is None:
                at, name = _string(reply, self._at)
                if at < 0 or name is None:
                    self._give_up(at)
                    return found
                if name in self._held:
                    self._give_up(_OTHER)
                    return found
                found.append(_Open(self._index, name))
            else:
                at = _literal(reply, self._at, word)
                if at < 0:
                    self._give_up(at)
                    return found
            self._at = at
            self._step += 1
        self._step = 0
        self._at -= 1  # the arguments' "{" is their first character
        self._phase = "arguments"
        self._depth = 0
        return found

    def _give_up(self, at: int) -> None:
        if at == _OTHER:
            self._phase = "done"

    def _arguments(self, reply: str) -> _Fragment:
        """The arguments' text from where the last fragment ended, to their ``}`` at most."""
        start = self._at
        for at in range(start, len(reply)):
            char = reply[at]
            if self._in_string:
                self._in_string = char != '"' or self._escaped
                self._escaped = char == "\\" and not self._escaped
            elif char == '"':
                self._in_string = True
            elif char in "{[":
                self._depth += 1
            elif char in "}]":
                self._depth -= 1
                if self._depth == 0:
                    self._at, self._phase = at + 1, "end"
                    return _Fragment(self._index, reply[start : at + 1])
        self._at = len(reply)
        return _Fragment(self._index, reply[start:])


def _may_open(reply: str) -> bool:
    """Whether more text could still make the reply a call in a wrapper."""
    start = reply.lstrip()
    return not start or any(
        wrapper.startswith(start)
        or (start.startswith(wrapper) and not start[len(wrapper) :].strip())
        for wrapper in _WRAPPERS
    )


def _skip(text: str, at: int) -> int:
    while at < len(text) and text[at] in _SPACE:
        at += 1
    return at


def _literal(text: str, at: int, word: str) -> int:
    """The position after ``word`` (after whitespace) at ``at``, or `_MORE` or `_OTHER`."""
    at = _skip(text, at)
    written = text[at : at + len(word)]
    if written == word:
        return at + len(word)
    return _MORE if at + len(written) == len(text) and word.startswith(written) else _OTHER


def _string(text: str, at: int) -> tuple[int, str | None]:
    """The position after the JSON string (after whitespace) at ``at``, and its value."""
    at = _skip(text, at)
    if at == len(text):
        return _MORE, None
    if text[at] != '"':
        return _OTHER, None
    written = _STRING.match(text, at)
    if written is None:  # not closed yet: it may be, unless it is too long for a name
        return (_MORE if len(text) - at <= _MAX_NAME_TEXT else _OTHER), None
    try:
        return written.end(), json.loads(written.group(), strict=False)
    except ValueError:  # an escape JSON does not have
        return _OTHER, None


def _text(arguments: str | Mapping[str, Any]) -> str:
    return arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
