"""A Messages API response as a neutral `ModelResponse`."""

from __future__ import annotations

from typing import Any

from switchboard.messages import AssistantTurn, ModelResponse, StopReason, ToolCall, Usage
from switchboard.providers.anthropic.render import CONTAINER, PROVIDER

try:
    from anthropic.types import Message, TextBlock, ToolUseBlock
except ImportError as e:  # pragma: no cover - exercised only without the extra
    msg = 'Install the extra: pip install "switchboard[anthropic]"'
    raise ImportError(msg) from e

_STOP_REASONS: dict[str, StopReason] = {
    "end_turn": "answer",
    "stop_sequence": "answer",
    "tool_use": "tool_calls",
    "max_tokens": "length",
    "model_context_window_exceeded": "length",
    # The provider resends a paused turn until it ends; one still paused is unfinished.
    "pause_turn": "length",
    "refusal": "content_filter",
}


def parse_response(message: Message) -> ModelResponse:
    """The model's reply: text, calls, the raw blocks to send back, usage, stop reason.

    The text is the text blocks joined (Anthropic splits one answer at its citations).
    ``provider_state["anthropic"]`` holds every content block as a JSON dict (nulls left
    out), so thinking and server tool blocks (``server_tool_use``, web search, code
    execution and tool search results, ``mcp_tool_use``/``mcp_tool_result``) go back to the
    API unchanged; they are never calls to run. ``provider_state["anthropic-container"]``
    holds the id of the container the reply ran code in, if any. A call made by a program
    (``caller`` a code execution tool) is a call like any other. The calls of a
    refused reply are dropped, blocks included: the API stopped it mid-way, and they are
    not to be run. Cache reads and writes count as input tokens. The message's ``id`` is the
    reply's ``response_id``.
    """
    refused = message.stop_reason == "refusal"
    content = [b for b in message.content if not (refused and isinstance(b, ToolUseBlock))]
    calls = tuple(
        ToolCall(block.id, block.name, dict(block.input))
        for block in content
        if isinstance(block, ToolUseBlock)
    )
    blocks: list[dict[str, Any]] = [b.model_dump(mode="json", exclude_none=True) for b in content]
    state: dict[str, Any] = {PROVIDER: blocks}
    if message.container is not None:
        state[CONTAINER] = message.container.id
    turn = AssistantTurn(
        # A block type this SDK does not know (e.g. "compaction") is built as a TextBlock
        # with its own type and text=None: only real text blocks hold the answer.
        text="".join(
            block.text
            for block in content
            if isinstance(block, TextBlock) and block.type == "text" and block.text
        ),
        tool_calls=calls,
        provider_state=state,
    )
    stop = _stop_reason(message, calls)
    return ModelResponse(turn, _usage(message), stop, message.model, response_id=message.id or None)


def continue_turn(paused: ModelResponse, rest: ModelResponse) -> ModelResponse:
    """A paused reply and its continuation as one reply.

    After ``pause_turn`` the paused blocks are sent back as the last (assistant) message,
    and the next response continues that same message
    (https://docs.anthropic.com/en/api/handling-stop-reasons#pause-turn). The model, the stop
    reason and the id are those of the message that ended the reply.
    """
    blocks = [*_blocks(paused.turn), *_blocks(rest.turn)]
    turn = AssistantTurn(
        text=paused.turn.text + rest.turn.text,
        tool_calls=paused.turn.tool_calls + rest.turn.tool_calls,
        provider_state={
            **paused.turn.provider_state,
            **rest.turn.provider_state,
            PROVIDER: blocks,
        },
    )
    usage = paused.usage + rest.usage
    return ModelResponse(turn, usage, rest.stop_reason, rest.model, response_id=rest.response_id)


def _blocks(turn: AssistantTurn) -> list[dict[str, Any]]:
    blocks: list[dict[str, Any]] = turn.provider_state.get(PROVIDER, [])
    return blocks


def _stop_reason(message: Message, calls: tuple[ToolCall, ...]) -> StopReason:
    if message.stop_reason is None:  # only in a stream's first event
        return "tool_calls" if calls else "answer"
    return _STOP_REASONS.get(message.stop_reason, "tool_calls" if calls else "answer")


def _usage(message: Message) -> Usage:
    usage = message.usage
    cached = (usage.cache_read_input_tokens or 0) + (usage.cache_creation_input_tokens or 0)
    return Usage(usage.input_tokens + cached, usage.output_tokens, 1)
