"""A ``generate_content`` response as a `ModelResponse`.

Gemini usually sends function calls without an id, but switchboard matches each result to
its call by id. A call without one gets a synthesized id (`SYNTHETIC_ID_PREFIX` and a hash
of the response id, the call's position, name, arguments and thought signature): stable, so
the same response parsed twice gives the same ids, and unique, so two identical calls in
one turn, or in two turns, differ. Such ids are never sent back to Gemini (see `render`).
"""

from __future__ import annotations

import base64
import hashlib
import json
import logging
from collections.abc import Sequence
from typing import Any

from google.genai import types

from switchboard.messages import AssistantTurn, ModelResponse, StopReason, ToolCall, Usage
from switchboard.providers.gemini.pieces import assemble

logger = logging.getLogger("switchboard")

PROVIDER = "gemini"

SYNTHETIC_ID_PREFIX = "gemini_call_"
"""How the ids that the adapter makes up for Gemini's id-less calls begin."""

_FINISH = types.FinishReason
_STOP_REASONS: dict[types.FinishReason, StopReason] = {
    _FINISH.STOP: "answer",
    _FINISH.MAX_TOKENS: "length",
    _FINISH.SAFETY: "content_filter",
    _FINISH.RECITATION: "content_filter",
    _FINISH.BLOCKLIST: "content_filter",
    _FINISH.PROHIBITED_CONTENT: "content_filter",
    _FINISH.SPII: "content_filter",
    _FINISH.IMAGE_SAFETY: "content_filter",
    _FINISH.IMAGE_PROHIBITED_CONTENT: "content_filter",
    _FINISH.IMAGE_RECITATION: "content_filter",
    _FINISH.MODEL_ARMOR: "content_filter",
}
"""Every other finish reason (MALFORMED_FUNCTION_CALL, OTHER, LANGUAGE, UNEXPECTED_TOOL_CALL,
TOO_MANY_TOOL_CALLS, MISSING_THOUGHT_SIGNATURE, ...) is a failure to generate: ``error``."""


def parse_response(response: types.GenerateContentResponse) -> ModelResponse:
    """The neutral form of a ``generate_content`` response (its first candidate).

    The turn's ``provider_state["gemini"]`` holds the raw parts (as JSON, thought signatures
    base64) when any part carries a thought signature: Gemini needs them back verbatim.
    A call sent in pieces (Vertex AI's streamed arguments) is read as the one call they make
    (see `pieces`); one that never reached its last piece is not complete: it is left out,
    and the reply is an ``error``, so nothing of it runs. The ``responseId`` is the reply's
    ``response_id``.
    """
    usage = _usage(response.usage_metadata)
    model = response.model_version or ""
    response_id = response.response_id or None
    candidate = response.candidates[0] if response.candidates else None
    if candidate is None:
        # No candidate: the prompt itself was blocked (prompt_feedback.block_reason).
        blocked = response.prompt_feedback is not None and response.prompt_feedback.block_reason
        stop: StopReason = "content_filter" if blocked else "error"
        return ModelResponse(AssistantTurn(), usage, stop, model, response_id=response_id)
    sent = candidate.content.parts if candidate.content and candidate.content.parts else []
    parts, complete = assemble(sent)
    if not complete:
        logger.warning("Gemini: a call sent in pieces never reached its last piece: left out")
    text = "".join(part.text for part in parts if part.text and not part.thought)
    calls = tool_calls(parts, response.response_id)
    state: dict[str, Any] = {}
    if any(part.thought_signature for part in parts):
        state[PROVIDER] = [raw_part(part) for part in parts]
    return ModelResponse(
        turn=AssistantTurn(text=text, tool_calls=calls, provider_state=state),
        usage=usage,
        stop_reason=_stop_reason(candidate.finish_reason, bool(calls)) if complete else "error",
        model=model,
        response_id=response_id,
    )


def raw_part(part: types.Part) -> dict[str, Any]:
    """``part`` as the API sent it: camelCase JSON, the thought signature in standard base64."""
    raw = part.model_dump(mode="json", by_alias=True, exclude_none=True)
    if part.thought_signature:
        # pydantic writes URL-safe base64; the API sends (and takes) the standard alphabet.
        raw["thoughtSignature"] = base64.b64encode(part.thought_signature).decode()
    return raw


def tool_calls(parts: Sequence[types.Part], response_id: str | None) -> tuple[ToolCall, ...]:
    """The calls among ``parts``, in order, each with its id or a synthesized one."""
    calls: list[ToolCall] = []
    for part in parts:
        call = part.function_call
        if call is None:
            continue
        arguments: dict[str, Any] = dict(call.args or {})
        name = call.name or ""
        call_id = call.id or synthesized_id(
            response_id, len(calls), name, arguments, part.thought_signature
        )
        calls.append(ToolCall(id=call_id, name=name, arguments=arguments))
    return tuple(calls)


def synthesized_id(
    response_id: str | None,
    index: int,
    name: str,
    arguments: dict[str, Any],
    signature: bytes | None,
) -> str:
    """A stable id for the ``index``-th call of a response that gave it none."""
    signed = base64.b64encode(signature).decode() if signature else None
    seed = json.dumps([response_id, index, name, arguments, signed], sort_keys=True, default=str)
    return SYNTHETIC_ID_PREFIX + hashlib.sha256(seed.encode()).hexdigest()[:24]


def _stop_reason(reason: types.FinishReason | None, has_calls: bool) -> StopReason:
    if reason is None or reason == _FINISH.STOP:
        return "tool_calls" if has_calls else "answer"
    return _STOP_REASONS.get(reason, "error")


def _usage(metadata: types.GenerateContentResponseUsageMetadata | None) -> Usage:
    if metadata is None:
        return Usage(requests=1)
    # Gemini counts thinking apart from the reply; both are tokens the model wrote.
    output = (metadata.candidates_token_count or 0) + (metadata.thoughts_token_count or 0)
    return Usage(input_tokens=metadata.prompt_token_count or 0, output_tokens=output, requests=1)
