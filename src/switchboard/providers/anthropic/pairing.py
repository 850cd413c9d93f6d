"""Keep every tool call paired with its result, as the Messages API requires.

The API rejects a conversation in which an assistant ``tool_use`` block has no
``tool_result`` in the next user message, or a ``tool_result`` answers no ``tool_use`` of
the assistant message just before it
(https://docs.anthropic.com/en/docs/build-with-claude/tool-use/implement-tool-use).
A history that was trimmed, or a run that was interrupted between a call and its result,
breaks that rule; `repair_pairing` mends it instead of letting the request fail.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence

from switchboard.messages import AssistantTurn, Message, ToolCall, ToolResult

logger = logging.getLogger("switchboard")

INTERRUPTED = "The call was interrupted before it returned a result."
"""The error result given to a call that has none."""


def repair_pairing(messages: Sequence[Message]) -> list[Message]:
    """The conversation with every call answered and every result answering a call.

    The results of a turn are the `ToolResult` messages right after it. A call of that
    turn without a result gets an error result saying it was interrupted; a result that
    answers no call of that turn (or follows no turn at all), or answers a call already
    answered, is dropped. Results come out in the order of the turn's calls. Each repair
    is logged as a warning naming the call's id.

    Example:
        >>> from switchboard.messages import UserMessage
        >>> turn = AssistantTurn(tool_calls=(ToolCall("c1", "add", {"a": 1}),))
        >>> repaired = repair_pairing([UserMessage("Add."), turn])
        >>> repaired[-1].content, repaired[-1].is_error
        ('The call was interrupted before it returned a result.', True)
    """
    repaired: list[Message] = []
    index = 0
    while index < len(messages):
        message = messages[index]
        index += 1
        if isinstance(message, ToolResult):
            logger.warning(
                "Dropped the result for tool call %r: no assistant turn just before it made "
                "that call.",
                message.call_id,
            )
            continue
        repaired.append(message)
        if not isinstance(message, AssistantTurn) or not message.tool_calls:
            continue
        results: list[ToolResult] = []
        while index < len(messages) and isinstance(result := messages[index], ToolResult):
            results.append(result)
            index += 1
        repaired.extend(_answer_calls(message.tool_calls, results))
    return repaired


def _answer_calls(calls: Sequence[ToolCall], results: Sequence[ToolResult]) -> list[ToolResult]:
    """One result per call, in the calls' order: the first one given, else an error."""
    called = {call.id for call in calls}
    by_call: dict[str, ToolResult] = {}
    for result in results:
        if result.call_id not in called:
            logger.warning(
                "Dropped the result for tool call %r: the turn before it made no such call.",
                result.call_id,
            )
        elif result.call_id in by_call:
            logger.warning("Dropped a second result for tool call %r.", result.call_id)
        else:
            by_call[result.call_id] = result
    answered: list[ToolResult] = []
    for call in calls:
        result = by_call.get(call.id)
        if result is None:
            logger.warning(
                "Tool call %r (%s) has no result: sending an error result saying it was "
                "interrupted.",
                call.id,
                call.name,
            )
            result = ToolResult(call.id, call.name, INTERRUPTED, is_error=True)
        answered.append(result)
    return answered
