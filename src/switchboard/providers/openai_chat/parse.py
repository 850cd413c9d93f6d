"""A Chat Completions response as a neutral `ModelResponse`: pure, no I/O."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping
from typing import Any

from openai.types.chat import (
    ChatCompletion,
    ChatCompletionMessage,
    ChatCompletionMessageCustomToolCall,
    ChatCompletionMessageFunctionToolCall,
)

from switchboard.messages import AssistantTurn, ModelResponse, StopReason, ToolCall, Usage
from switchboard.providers.openai_chat.render import PROVIDER, REASONING_CONTENT
from switchboard.tools.grammar import INPUT

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
    across parses; empty arguments (a call without parameters) become ``"{}"``, and
    arguments sent as a JSON object (Mistral's API allows it) become JSON text. DeepSeek's
    ``reasoning_content`` (thinking mode) is kept in ``provider_state["openai"]``, to be sent
    back with the turn's calls. The completion's ``id`` is the reply's ``response_id``.
    """
    usage = completion.usage
    # An empty id (from a compatible server, or a stream whose chunks had none) is no id.
    response_id = completion.id or None
    # Some compatible servers send usage with null counts, or none at all.
    spent = Usage(
        (usage.prompt_tokens or 0) if usage else 0,
        (usage.completion_tokens or 0) if usage else 0,
        1,
    )
    if not completion.choices:
        return ModelResponse(
            AssistantTurn(), spent, "error", completion.model, response_id=response_id
        )
    choice = completion.choices[0]
    message = choice.message
    if message.refusal:
        refusal = AssistantTurn(text=message.refusal)
        return ModelResponse(
            refusal, spent, "content_filter", completion.model, response_id=response_id
        )
    calls = _parse_calls(message, completion.id)
    finish = _STOP_REASONS.get(choice.finish_reason, "answer")
    stop: StopReason = "tool_calls" if calls and finish == "answer" else finish
    turn = AssistantTurn(
        text=message.content or "", tool_calls=calls, provider_state=_provider_state(message)
    )
    return ModelResponse(turn, spent, stop, completion.model, response_id=response_id)


def arguments_text(arguments: object) -> str:
    """A call's arguments as JSON text: text as sent, a JSON object dumped, else ``""``.

    The SDK reads responses loosely, so a server that sends ``arguments`` as an object
    (Mistral's ``FunctionCall`` allows it) hands a dict to code typed for a string.
    """
    if isinstance(arguments, str):
        return arguments
    if isinstance(arguments, Mapping):
        return json.dumps(arguments, separators=(",", ":"), ensure_ascii=False)
    return ""


def _provider_state(message: ChatCompletionMessage) -> dict[str, Any]:
    # An extra field of the message (the SDK keeps fields it does not know in model_extra).
    extra: dict[str, Any] = message.model_extra or {}
    reasoning = extra.get(REASONING_CONTENT)
    if not isinstance(reasoning, str) or not reasoning:
        return {}
    return {PROVIDER: {REASONING_CONTENT: reasoning}}


def _parse_calls(message: ChatCompletionMessage, completion_id: str) -> tuple[ToolCall, ...]:
    named: list[tuple[str, str, str]] = []
    for call in message.tool_calls or ():
        # Not call.type: some compatible servers leave it out.
        if isinstance(call, ChatCompletionMessageFunctionToolCall):
            named.append((call.id, call.function.name, arguments_text(call.function.arguments)))
        elif isinstance(call, ChatCompletionMessageCustomToolCall):  # pyright: ignore[reportUnnecessaryIsInstance]
            # A custom tool's text, carried as {"input": text} (see switchboard.tools.grammar).
            text = json.dumps({INPUT: call.custom.input}, ensure_ascii=False)
            named.append((call.id, call.custom.name, text))
    if not named and message.function_call is not None:
        # The deprecated one-call form, still sent by some compatible servers.
        function = message.function_call
        named = [("", function.name, arguments_text(function.arguments))]
    return tuple(
        ToolCall(
            call_id or _call_id(completion_id, index, name, arguments), name, arguments or "{}"
        )
        for index, (call_id, name, arguments) in enumerate(named)
    )


def _call_id(completion_id: str, index: int, name: str, arguments: str) -> str:
    digest = hashlib.sha256(f"{completion_id}\0{index}\0{name}\0{arguments}".encode())
    return f"call_{digest.hexdigest()[:24]}"
