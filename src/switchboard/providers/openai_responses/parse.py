"""A Responses API ``Response`` as a `ModelResponse`."""

from __future__ import annotations

from typing import Any

from openai.types.responses import (
    Response,
    ResponseCustomToolCall,
    ResponseFunctionToolCall,
    ResponseOutputMessage,
    ResponseOutputRefusal,
)
from openai.types.responses.response_function_tool_call import CallerProgram

from switchboard.messages import AssistantTurn, ModelResponse, StopReason, ToolCall, Usage
from switchboard.providers.openai_responses.render import PROVIDER
from switchboard.tools.grammar import INPUT


def parse_response(response: Response) -> ModelResponse:
    """The model's reply in ``response``, with every Responses API detail removed.

    The turn's text is the ``output_text`` parts of the message items, joined; a refusal
    part adds its text too and makes the stop reason ``content_filter``. Each
    ``function_call`` item is a `ToolCall` (``id`` is its ``call_id``, ``arguments`` the raw
    JSON text); each ``custom_tool_call`` item is one whose arguments are
    ``{"input": <its text>}``. Every output item, reasoning and server tools' included, is
    kept as the API sent it in ``provider_state["openai-responses"]``, to be sent back verbatim.

    The stop reason: ``completed`` is ``tool_calls`` when there are calls, else
    ``answer``; ``incomplete`` is ``content_filter`` when the filter cut it, else
    ``length``; ``failed``, ``cancelled`` and any other status are ``error``. A call item
    whose own status says it is not ``completed`` is one the reply ended inside
    (``cut_calls``), never to run; one without a status is judged by the stop reason. A
    call a program made (programmatic tool calling: ``caller`` of type ``program``) stays
    ``in_progress`` until its output is sent: it is whole when the response completed, and
    answered like any other call. The response's ``id`` is the reply's ``response_id``.
    """
    texts: list[str] = []
    calls: list[ToolCall] = []
    cut: set[str] = set()
    judged = True
    refused = False
    for item in response.output:
        if isinstance(item, ResponseFunctionToolCall):
            calls.append(ToolCall(id=item.call_id, name=item.name, arguments=item.arguments))
            if isinstance(item.caller, CallerProgram):
                # A program's call stays in_progress until its output is sent: it is whole
                # when the response is.
                judged = judged and response.status == "completed"
            elif item.status is None:
                judged = False
            elif item.status != "completed":
                cut.add(item.call_id)
        elif isinstance(item, ResponseCustomToolCall):
            # A custom tool's text, whole: the call carries it as {"input": text}, never
            # parsed; the item has no status, so the stop reason judges whether it was cut.
            calls.append(ToolCall(id=item.call_id, name=item.name, arguments={INPUT: item.input}))
            judged = False
        elif isinstance(item, ResponseOutputMessage):
            for part in item.content:
                if isinstance(part, ResponseOutputRefusal):
                    refused = True
                    texts.append(part.refusal)
                else:
                    texts.append(part.text)
    items: list[dict[str, Any]] = [item.to_dict(mode="json") for item in response.output]
    turn = AssistantTurn(
        text="".join(texts), tool_calls=tuple(calls), provider_state={PROVIDER: items}
    )
    usage = response.usage
    return ModelResponse(
        turn=turn,
        usage=Usage(usage.input_tokens, usage.output_tokens, 1) if usage else Usage(requests=1),
        stop_reason=_stop_reason(response, has_calls=bool(calls), refused=refused),
        model=response.model,
        cut_calls=frozenset(cut) if judged else None,
        response_id=response.id or None,
    )


def _stop_reason(response: Response, *, has_calls: bool, refused: bool) -> StopReason:
    status = response.status
    if status in ("completed", None):
        if refused:
            return "content_filter"
        return "tool_calls" if has_calls else "answer"
    if status == "incomplete":
        details = response.incomplete_details
        if details is not None and details.reason == "content_filter":
            return "content_filter"
        return "length"
    return "error"
