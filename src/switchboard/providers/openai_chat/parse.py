"""A Chat Completions response as a neutral `ModelResponse`: pure, no I/O."""

from __future__ import annotations

import hashlib

from openai.types.chat import (
    ChatCompletion,
    ChatCompletionMessage,
    ChatCompletionMessageFunctionToolCall,
)

from switchboard.messages import AssistantTurn, StopReason, ToolCall, Usage
from switchboard.providers.base import ModelResponse

_STOP_REASONS: dict[str, StopReason] = {
    "stop": "answer",
    "tool_calls": "tool_calls",
    "function_call": "tool_calls",
    "length": "length",
    "content_filter": "content_filter",
}


def parse_response(completion: ChatCompletion) -> ModelResponse:
    """The first choice of a completion as a neutral `ModelResponse`.

    Calls decide the stop reason over ``finish_reason``: some compatible servers send calls
    with ``"stop"``. A refusal becomes the turn's text, with ``content_filter``. A call
    without an id (some compatible servers) gets one derived from the completion, stable
    across parses; empty arguments (a call without parameters) become ``"{}"``.
    """
    usage = completion.usage
    # Some compatible servers send usage with null counts, or none at all.
    spent = Usage(
        (usage.prompt_tokens or 0) if usage else 0,
        (usage.completion_tokens or 0) if usage else 0,
        1,
    )
    if not completion.choices:
        return ModelResponse(AssistantTurn(), spent, "error", completion.model)
    choice = completion.choices[0]
    message = choice.message
    if message.refusal:
        refusal = AssistantTurn(text=message.refusal)
        return ModelResponse(refusal, spent, "content_filter", completion.model)
    calls = _parse_calls(message, completion.id)
    finish = _STOP_REASONS.get(choice.finish_reason, "answer")
    stop: StopReason = "tool_calls" if calls and finish == "answer" else finish
    turn = AssistantTurn(text=message.content or "", tool_calls=calls)
    return ModelResponse(turn, spent, stop, completion.model)


def _parse_calls(message: ChatCompletionMessage, completion_id: str) -> tuple[ToolCall, ...]:
    named = [
        (call.id, call.function.name, call.function.arguments)
        for call in message.tool_calls or ()
        # Not call.type: some compatible servers leave it out.
        if isinstance(call, ChatCompletionMessageFunctionToolCall)
    ]
    if not named and message.function_call is not None:
        # The deprecated one-call form, still sent by some compatible servers.
        named = [("", message.function_call.name, message.function_call.arguments)]
    return tuple(
        ToolCall(
            call_id or _call_id(completion_id, index, name, arguments), name, arguments or "{}"
        )
        for index, (call_id, name, arguments) in enumerate(named)
    )


def _call_id(completion_id: str, index: int, name: str, arguments: str) -> str:
    digest = hashlib.sha256(f"{completion_id}\0{index}\0{name}\0{arguments}".encode())
    return f"call_{digest.hexdigest()[:24]}"
