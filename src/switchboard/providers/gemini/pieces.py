"""A function call Gemini sends in pieces (Vertex AI's streamed arguments), put back together.

With ``streamFunctionCallArguments`` a call comes as several parts: one with the ``name``
and ``willContinue: true``, then parts with ``partialArgs`` (each a value at a JSON path; a
string may come in several pieces, `PartialArg.will_continue` saying another piece of the
same path follows) and parts with neither (between array elements, say). A part whose
``willContinue`` is false or absent is the call's last: until it arrives the call is not
complete (`FunctionCall.will_continue`: "If true, another partial message for the current
FunctionCall is expected to follow", https://googleapis.github.io/js-genai/release_docs/interfaces/types.FunctionCall.html).

`PiecedCall` holds one call's values as they arrive; `assemble` puts the pieces of a whole
response back together, so a response holding them reads as the stream that sent them.
"""

from __future__ import annotations

import itertools
import logging
import re
from collections.abc import Sequence
from typing import Any

from google.genai import types

logger = logging.getLogger("switchboard")

_STEP = re.compile(r"\.([^.\[]+)|\[(\d+)\]")

NO_VALUE = object()
"""What `PiecedCall.add` returns for a piece that carries no value."""


def is_piece(call: types.FunctionCall) -> bool:
    """Whether a function-call part is a piece of a call rather than a whole call."""
    return bool(call.will_continue or call.partial_args or not call.name)


class PiecedCall:
    """One call being sent in pieces: its first part, and the values so far.

    Args:
        start: The part that began the call (its name, id and thought signature).
    """

    def __init__(self, start: types.Part) -> None:
        self.start = start
        began = start.function_call
        self.args: dict[str, Any] = dict(began.args or {}) if began else {}

    def add(self, arg: types.PartialArg) -> object:
        """Set one value at its path (a string piece continues the string there).

        Returns:
            The value that arrived, or `NO_VALUE` when the piece carries none.
        """
        value = _value(arg)
        if arg.json_path and value is not NO_VALUE:
            _assign(self.args, arg.json_path, value)
            return value
        return NO_VALUE

    def part(self) -> types.Part:
        """The call as one whole part, with the values that arrived and its start's signature."""
        began = self.start.function_call
        whole = types.FunctionCall(
            id=began.id if began else None, name=began.name if began else None, args=self.args
        )
        return types.Part(function_call=whole, thought_signature=self.start.thought_signature)


def assemble(parts: Sequence[types.Part]) -> tuple[list[types.Part], bool]:
    """The parts of a whole response with every call sent in pieces put back as one part.

    Returns:
        The parts, and whether every call sent in pieces reached its last piece. A call
        that did not is left out: it is not complete, and must never run.
    """
    if not any(p.function_call and is_piece(p.function_call) for p in parts):
        return list(parts), True
    out: list[types.Part] = []
    open_call: PiecedCall | None = None
    complete = True
    for part in parts:
        call = part.function_call
        if call is None:
            out.append(part)
            continue
        if call.name:
            if open_call is not None:
                complete = False  # a new call began before the open one ended
            open_call = PiecedCall(part)
        elif open_call is None:
            logger.warning("Gemini: a piece of no call, skipped: %r", call)
            continue
        for arg in call.partial_args or ():
            open_call.add(arg)
        if not call.will_continue:
            out.append(open_call.part() if is_piece(call) else part)
            open_call = None
    if open_call is not None:
        complete = False
    return out, complete


def _value(arg: types.PartialArg) -> object:
    if arg.string_value is not None:
        return arg.string_value
    if arg.number_value is not None:
        return arg.number_value
    if arg.bool_value is not None:
        return arg.bool_value
    if arg.null_value is not None:
        return None
    return NO_VALUE


def _assign(target: dict[str, Any], path: str, value: object) -> None:
    """Set ``value`` at JSON path ``path`` (``$.a.b[0]``); a string continues one there."""
    steps: list[str | int] = [
        name if name else int(index) for name, index in _STEP.findall(path.removeprefix("$"))
    ]
    if not steps:
        return
    node: Any = target
    for step, following in itertools.pairwise(steps):
        empty: Any = [] if isinstance(following, int) else {}
        if isinstance(step, int):
            _pad(node, step)
            if node[step] is None:
                node[step] = empty
        elif step not in node:
            node[step] = empty
        node = node[step]
    last = steps[-1]
    if isinstance(last, int):
        _pad(node, last)
    current = node[last] if isinstance(last, int) else node.get(last)
    if isinstance(current, str) and isinstance(value, str):
        value = current + value
    node[last] = value


def _pad(items: list[Any], index: int) -> None:
    items.extend([None] * (index + 1 - len(items)))
