"""One call per entity the user named: "Tokyo and Paris" asked as one call gets its sibling.

A small model asked about several things of one kind ("the weather in Tokyo and Paris",
"add eggs, milk and bread") tends to make the call for the first and stop. When a call's
string argument is, word for word, one item of a list in the user's message (items joined
by commas, "and", "or", "&", "vs"), `fan_out` adds the same call for each other item of
that list that no call of the reply covers, in the order the user wrote them.

Formulas are items too ("What are 12 * 12 and 15 * 15?"). A tool that takes a list (an
``array`` parameter) is left alone: the items may belong there ("stops at Santa Barbara
and Monterey"). An item has the shape of the value the model wrote: a run of capitalized
words when that value is capitalized in the message ("New York and London"), else as
many words as the value has ("buy eggs and call mom"); quoted when it is quoted. An item
that starts with a word that begins a new request ("and then", "and show me the list")
ends the list. Pure: no model needed.
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection, Sequence
from dataclasses import replace
from typing import Final

from switchboard.messages import ToolCall
from switchboard.providers.local.grounding import formulas
from switchboard.providers.local.prompt import call_arguments

__all__ = ["fan_out", "items_beside"]

_JOINER: Final = (
    r"\s*(?:,\s*(?:and\s+|or\s+)?|\s(?:and|or|&|vs\.?|versus)\s+)(?:(?:in|for|at)\s+)?\s*"
)
_WORD: Final = re.compile(r"[\w'\u2019.-]+", re.UNICODE)

# First words of a new request, not of another item: "add milk and then list my todos".
_NOT_ITEMS: Final = frozenset(
    (
        *("then", "also", "after", "afterwards", "next", "later", "finally", "show", "tell"),
        *("list", "give", "get", "what", "what's", "whats", "how", "which", "who"),
        *("where", "when", "why", "is", "are", "was", "were", "do", "does"),
        *("did", "can", "could", "would", "will", "should", "please", "me", "my"),
        *("the", "a", "an", "it", "its", "this", "that", "these", "those"),
        *("i", "i'm", "im", "you", "your", "we", "our", "let", "let's"),
        *("convert", "multiply", "add", "remove", "delete", "complete", "mark", "check", "compare"),
        *("between", "weather", "in", "for", "at", "of", "to"),
    )
)


def fan_out(
    calls: Sequence[ToolCall], message: str, *, id_prefix: str, listing: Collection[str] = ()
) -> tuple[ToolCall, ...]:
    """``calls``, with a call added for each item of a list in ``message`` that none covers.

    Args:
        calls: A reply's calls, in order.
        message: The user's message the reply answers.
        id_prefix: Added calls get ids ``<id_prefix>-<n>``, after those of ``calls``.
        listing: Tools that take a list: their calls are not fanned out.

    Example:
        >>> call = ToolCall("c-0", "get_weather", '{"city": "Tokyo"}')
        >>> [c.arguments for c in fan_out([call], "Weather in Tokyo and Paris?", id_prefix="c")]
        ['{"city": "Tokyo"}', '{"city": "Paris"}']
    """
    result = list(calls)
    for call in calls:
        arguments = call_arguments(call)
        if arguments is None or call.name in listing:
            continue
        for key, value in arguments.items():
            if not isinstance(value, str) or not value.strip():
                continue
            items = items_beside(message, value) or _formulas_beside(message, value)
            if len(items) < 2:
                continue
            covered = {_covered(c, key) for c in result if c.name == call.name}
            for item in items:
                if item.casefold() in covered:
                    continue
                added = {**arguments, key: item}
                result.append(
                    replace(
                        call,
                        id=f"{id_prefix}-{len(result)}",
                        arguments=json.dumps(added, ensure_ascii=False),
                    )
                )
                covered.add(item.casefold())
            break  # one listed argument per call: the others stay as the model wrote them
    return tuple(result)


def items_beside(message: str, value: str) -> list[str]:
    """The list ``value`` is an item of in ``message`` (``value``'s own item included).

    Empty when ``value`` is not in ``message`` as whole words, or stands alone there.

    Example:
        >>> items_beside("Compare London, New York and Sydney.", "New York")
        ['London', 'New York', 'Sydney']
        >>> items_beside("Add milk and then show my list.", "milk")
        []
    """
    found = re.search(rf"(?<!\w){re.escape(value.strip())}(?!\w)", message, re.IGNORECASE)
    if found is None:
        return []
    start, end = found.span()
    quoted = _quoted(message, start, end)
    written = message[start:end]
    shape = _Shape(written, quoted)
    before: list[str] = []
    cursor = start - (1 if quoted else 0)
    while (item := shape.before(message, cursor)) is not None:
        text, cursor = item
        before.insert(0, text)
    after: list[str] = []
    cursor = end + (1 if quoted else 0)
    while (item := shape.after(message, cursor)) is not None:
        text, cursor = item
        after.append(text)
    items = [*before, written, *after]
    return items if len(items) > 1 else []


def _formulas_beside(message: str, value: str) -> list[str]:
    """The message's formulas, when ``value`` is one of several ("12 * 12 and 15 * 15")."""
    found = formulas(message)
    squeezed = "".join(value.split())
    return found if any("".join(f.split()) == squeezed for f in found) else []


class _Shape:
    """What another item of the list looks like, judged from the value the model wrote."""

    def __init__(self, written: str, quoted: str | None) -> None:
        words = _WORD.findall(written)
        self.quoted = quoted
        self.capitalized = bool(words) and all(w[:1].isupper() for w in words)
        self.size = max(1, len(words))

    def after(self, message: str, cursor: int) -> tuple[str, int] | None:
        joiner = re.compile(_JOINER).match(message, cursor)
        if joiner is None:
            return None
        start = joiner.end()
        if self.quoted:
            close = message.find(self.quoted, start + 1)
            if message[start : start + 1] != self.quoted or close < 0:
                return None
            return message[start + 1 : close], close + 1
        words = list(_WORD.finditer(message, start))
        taken = self._take(words, start)
        if not taken:
            return None
        return message[taken[0].start() : taken[-1].end()].rstrip(".'\u2019"), taken[-1].end()

    def before(self, message: str, cursor: int) -> tuple[str, int] | None:
        head = message[:cursor]
        joiner = re.search(_JOINER + r"$", head)
        if joiner is None:
            return None
        end = joiner.start()
        if self.quoted:
            if head[end - 1 : end] != self.quoted:
                return None
            open_at = head.rfind(self.quoted, 0, end - 1)
            if open_at < 0:
                return None
            return head[open_at + 1 : end - 1], open_at
        words = [m for m in _WORD.finditer(head[:end]) if m.end() <= end]
        words.reverse()
        taken = self._take(words, end, backwards=True)
        if not taken:
            return None
        taken.reverse()
        if self.capitalized:  # a sentence's first word is capitalized too: "Compare London"
            while taken and taken[0].group().casefold() in _NOT_ITEMS:
                taken.pop(0)
            if not taken:
                return None
        return head[taken[0].start() : taken[-1].end()], taken[0].start()

    def _take(
        self, words: list[re.Match[str]], edge: int, *, backwards: bool = False
    ) -> list[re.Match[str]]:
        """The words of the item next to ``edge``: adjacent, of the shape, not a new request."""
        taken: list[re.Match[str]] = []
        for word in words:
            last = taken[-1] if taken else None
            gap = (
                (last.start() if last else edge) - word.end()
                if backwards
                else word.start() - (last.end() if last else edge)
            )
            if gap > 1 or (gap == 1 and not _space_between(word, last, edge, backwards)):
                break
            if self.capitalized and not word.group()[:1].isupper():
                break
            taken.append(word)
            if not self.capitalized and len(taken) == self.size:
                break
        if not taken:
            return []
        first = taken[-1] if backwards else taken[0]
        if not (backwards and self.capitalized) and first.group().casefold() in _NOT_ITEMS:
            return []
        if not self.capitalized and len(taken) < self.size:
            return []
        return taken


def _space_between(
    word: re.Match[str], last: re.Match[str] | None, edge: int, backwards: bool
) -> bool:
    text = word.string
    if backwards:
        return text[word.end() : last.start() if last else edge].isspace()
    return text[last.end() if last else edge : word.start()].isspace()


def _quoted(message: str, start: int, end: int) -> str | None:
    before, after = message[start - 1 : start], message[end : end + 1]
    return before if before and before == after and before in "\"'“”" else None


def _covered(call: ToolCall, key: str) -> str | None:
    arguments = call_arguments(call)
    value = None if arguments is None else arguments.get(key)
    return value.strip().casefold() if isinstance(value, str) else None
