"""Messages, arguments and results as the GenAI conventions record them (only on opt-in).

``gen_ai.input.messages`` and ``gen_ai.output.messages`` are JSON text: a list of
``{"role", "parts"}`` messages whose parts are ``text``, ``tool_call`` and
``tool_call_response`` objects (the conventions' JSON schemas,
https://opentelemetry.io/docs/specs/semconv/gen-ai/gen-ai-input-messages.json).
"""

from __future__ import annotations

import contextlib
import json
from collections.abc import Iterable
from typing import Any

from switchboard.messages import (
    AssistantTurn,
    Message,
    ModelResponse,
    SystemMessage,
    ToolCall,
    ToolResult,
)
from switchboard.telemetry.conventions import FINISH_REASONS


def messages_json(messages: Iterable[Message]) -> str:
    """``gen_ai.input.messages``: a request's conversation."""
    return _dumps([_message(m) for m in messages])


def output_json(response: ModelResponse) -> str:
    """``gen_ai.output.messages``: a reply, with its finish reason."""
    message = _message(response.turn)
    message["finish_reason"] = FINISH_REASONS[response.stop_reason]
    return _dumps([message])


def arguments_json(call: ToolCall) -> str:
    """``gen_ai.tool.call.arguments``: as the model wrote them (its text, or the object)."""
    arguments = call.arguments
    return arguments if isinstance(arguments, str) else _dumps(arguments)


def _message(message: Message) -> dict[str, Any]:
    if isinstance(message, SystemMessage):
        return {"role": "system", "parts": [_text(message.content)]}
    if isinstance(message, AssistantTurn):
        parts = [_text(message.text)] if message.text else []
        parts.extend(_call(call) for call in message.tool_calls)
        return {"role": "assistant", "parts": parts}
    if isinstance(message, ToolResult):
        part = {"type": "tool_call_response", "id": message.call_id, "response": message.content}
        return {"role": "tool", "parts": [part]}
    return {"role": "user", "parts": [_text(message.content)]}


def _text(text: str) -> dict[str, Any]:
    return {"type": "text", "content": text}


def _call(call: ToolCall) -> dict[str, Any]:
    written = call.arguments
    arguments: Any = written
    if isinstance(written, str):
        # Not JSON: the model's text as it wrote it.
        with contextlib.suppress(ValueError):
            arguments = json.loads(written)
    else:
        arguments = dict(written)
    return {"type": "tool_call", "id": call.id, "name": call.name, "arguments": arguments}


def _dumps(value: Any) -> str:
    return json.dumps(value, ensure_ascii=False, default=str)
