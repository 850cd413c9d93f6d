"""A conversation started with one provider continues with another."""

from __future__ import annotations

import json
from typing import Any

from anthropic.types import Message as AnthropicMessage
from google.genai import types as gemini_types

from switchboard import ModelRequest, SystemMessage, Toolbox, ToolResult, UserMessage
from switchboard.providers import anthropic, gemini, openai_chat, openai_responses
from tests.providers.conftest import fixture_path

RECORDING = "anthropic/tool_runner_recordings/b38bbf6c-9a76-40ca-b09d-7a3911776e0f.json"

tools = Toolbox()


@tools.register
def get_weather(location: str, units: str) -> str:
    """Look up the weather."""
    return f"20 degrees in {location}"


def anthropic_conversation() -> ModelRequest:
    """A real Anthropic reply with a tool call, parsed, then its result."""
    body = json.loads(fixture_path(RECORDING).read_text())[0]["response"]["body"]
    turn = anthropic.parse_response(AnthropicMessage.model_validate(body)).turn
    (call,) = turn.tool_calls
    assert "anthropic" in turn.provider_state
    messages = (
        SystemMessage("Be brief."),
        UserMessage("Weather in SF?"),
        turn,
        ToolResult(call.id, call.name, "20 degrees in San Francisco, CA"),
    )
    return ModelRequest(messages, tools=list(tools))


CALL_ID = "toolu_011bpynHqFZ9P4u5rSaXsTJQ"
ARGUMENTS = {"location": "San Francisco, CA", "units": "f"}


def test_anthropic_turn_continues_on_openai_chat() -> None:
    """Chat Completions gets the call as a function call and the result as a tool message."""
    body: dict[str, Any] = openai_chat.render_request(anthropic_conversation())
    assistant, result = body["messages"][2:]
    (call,) = assistant["tool_calls"]
    assert (call["id"], call["function"]["name"]) == (CALL_ID, "get_weather")
    assert json.loads(call["function"]["arguments"]) == ARGUMENTS
    assert result == {
        "role": "tool",
        "tool_call_id": CALL_ID,
        "content": "20 degrees in San Francisco, CA",
    }


def test_anthropic_turn_continues_on_openai_responses() -> None:
    """The Responses API gets a function_call item and its function_call_output."""
    body = openai_responses.render_request(anthropic_conversation(), "gpt-4.1")
    call, output = body["input"][1:]
    assert (call["type"], call["call_id"], call["name"]) == (
        "function_call",
        CALL_ID,
        "get_weather",
    )
    assert json.loads(call["arguments"]) == ARGUMENTS
    assert output == {
        "type": "function_call_output",
        "call_id": CALL_ID,
        "output": "20 degrees in San Francisco, CA",
    }


def test_anthropic_turn_continues_on_gemini() -> None:
    """Gemini gets a functionCall part and a functionResponse part with the same id."""
    args = gemini.render_request(anthropic_conversation())
    contents = [gemini_types.Content.model_validate(c) for c in args["contents"]]
    model_turn, results = contents[1:]
    assert model_turn.parts is not None
    assert results.parts is not None
    call = model_turn.parts[0].function_call
    response = results.parts[0].function_response
    assert call is not None
    assert response is not None
    assert (call.id, call.name, call.args) == (CALL_ID, "get_weather", ARGUMENTS)
    assert (response.id, response.name) == (CALL_ID, "get_weather")
    assert response.response == {"result": "20 degrees in San Francisco, CA"}


def test_anthropic_turn_goes_back_to_anthropic_verbatim() -> None:
    """Anthropic itself gets its own recorded blocks back, exactly as the API sent them."""
    body = anthropic.render_request(anthropic_conversation())
    recorded = json.loads(fixture_path(RECORDING).read_text())[1]["request"]["body"]
    assert body["messages"][1] == recorded["messages"][1]
