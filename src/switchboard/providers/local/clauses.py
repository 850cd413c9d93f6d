"""The requests a user's message makes, clause by clause, and the tool each asks for: pure.

"Add 'Book dentist', mark 'Call mom' as done, and then show me the list." makes three
requests, each opened by a verb that opens one tool's name or description: ``add``
(``add_todo``), ``mark`` ("Mark an item as done": ``complete_todo``) and ``show`` ("Show
the todo list": ``list_todos``). A small model does the first and forgets the rest, or
puts the second request's title in the first call; the local provider uses these clauses
to ask for the calls not made yet (`pending_tools`) and to give each call the title of its
own clause (`switchboard.providers.local.grounding.ground_strings`).
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Final

from switchboard.messages import AssistantTurn, Message, UserMessage
from switchboard.routing.text import identifier_words
from switchboard.tools.tool import Tool

__all__ = ["Clause", "clauses", "opening_verb", "pending_tools", "stem", "tool_for_verb"]

_WORD: Final = re.compile(r"[a-z0-9]+")
# Where one request ends and the next begins: punctuation outside quotes, "and", "then".
_BREAK: Final = re.compile(
    r"[,;.!?]+\s*(?:(?:and|then)\s+)*|\s+(?:(?:and|then)\s+)+", re.IGNORECASE
)
_QUOTED: Final = re.compile(r"(?<!\w)'[^'\n]*'(?!\w)|\"[^\"\n]*\"|“[^”\n]*”")
# Words that may open a request before its verb.
_OPENING: Final = frozenset(
    ("please", "can", "could", "would", "will", "you", "kindly", "now", "and", "then", "also")
)


@dataclass(frozen=True, slots=True)
class Clause:
    """One request of a message: where it stands and the verb that opens it ("" if none)."""

    start: int
    end: int
    verb: str


def clauses(message: str) -> list[Clause]:
    """The clauses of ``message``, split at punctuation and at "and"/"then" outside quotes.

    Example:
        >>> [c.verb for c in clauses("Add 'Milk, eggs' and then show me the list.")]
        ['add', 'show']
    """
    masked = _QUOTED.sub(lambda m: "x" * len(m.group()), message)
    found: list[Clause] = []
    start = 0
    for cut in [*_BREAK.finditer(masked), None]:
        end = len(message) if cut is None else cut.start()
        if message[start:end].strip():
            found.append(Clause(start, end, opening_verb(message[start:end])))
        if cut is not None:
            start = cut.end()
    return found


def opening_verb(text: str) -> str:
    """The first word of ``text``, lower-case, past a polite opening ("please", "can you")."""
    words = _WORD.findall(text.lower())
    while words and words[0] in _OPENING:
        words.pop(0)
    return stem(words[0]) if words else ""


def tool_for_verb(tools: Sequence[Tool], verb: str) -> Tool | None:
    """The one tool whose name or description opens with ``verb``, if exactly one does."""
    if not verb:
        return None
    acting = [
        t
        for t in tools
        if verb in (opening_verb(identifier_words(t.name)), opening_verb(t.description))
    ]
    return acting[0] if len(acting) == 1 else None


def pending_tools(messages: Sequence[Message], tools: Sequence[Tool]) -> list[Tool]:
    """The tools the last user message asks for, clause by clause, not called since it.

    Empty before the first reply to the message: that reply makes its own choice.
    """
    last_user = next(
        (i for i in range(len(messages) - 1, -1, -1) if isinstance(messages[i], UserMessage)),
        None,
    )
    if last_user is None or last_user == len(messages) - 1:
        return []
    user = messages[last_user]
    assert isinstance(user, UserMessage)
    called = {
        call.name
        for message in messages[last_user + 1 :]
        if isinstance(message, AssistantTurn)
        for call in message.tool_calls
    }
    pending: list[Tool] = []
    for clause in clauses(user.content):
        tool = tool_for_verb(tools, clause.verb)
        if tool is not None and tool.name not in called and tool not in pending:
            pending.append(tool)
    return pending


def stem(word: str) -> str:
    """``word`` without a plural's trailing ``s`` (``tools`` → ``tool``; ``bus`` stays)."""
    return word[:-1] if len(word) > 3 and word.endswith("s") else word
