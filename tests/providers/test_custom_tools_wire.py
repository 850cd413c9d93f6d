"""Custom tools (`Tool.custom`) on each provider's wire.

OpenAI offers them natively: Responses ``custom`` tools and ``custom_tool_call`` items
(the written fixture follows the documented example), Chat Completions ``custom`` tools
and calls. Anthropic and Gemini are offered a function with one string parameter,
``input``. Request bodies are checked against the SDK's own request types.
"""

from __future__ import annotations

import json
from typing import Any

import pytest
from anthropic.types.message_create_params import MessageCreateParamsNonStreaming
from openai.types.chat.completion_create_params import CompletionCreateParamsNonStreaming
from openai.types.responses.response_create_params import (
    ResponseCreateParamsNonStreaming,
    ResponseCreateParamsStreaming,
)

from switchboard.execution.toolbox import Toolbox
from switchboard.messages import AssistantTurn, Message, ToolCall, ToolResult, UserMessage
from switchboard.providers.anthropic import AnthropicProvider
from switchboard.providers.base import AllowedTools, ModelRequest
from switchboard.providers.openai_chat import OpenAIChatProvider
from switchboard.providers.openai_responses import OpenAIResponsesProvider
from switchboard.retry import RetryPolicy
from switchboard.streaming import ToolCallReady, TurnEnd
from switchboard.tools.tool import Tool

from .conftest import Replay, fixture_path
from .streams import recorded_bytes
from .wire import assert_sdk_accepts

pytestmark = pytest.mark.anyio

CALL = "written/openai-responses-custom-tool-call"
SQL = r"""
start: "SELECT " NAME " FROM " QUOTED ("\n" "WHERE " NAME " = " STRING)?
NAME: /[a-z_]+/
QUOTED: /"[a-z_]+"/
STRING: /'[^']*'/
"""
QUERY = "SELECT name FROM \"customers\"\nWHERE city = 'Paris'"


def run_sql(query: str) -> str:
    return f"ran {query!r}"


SQL_TOOL = Tool.custom("run_sql", "Run a read-only SQL query.", grammar=SQL, handler=run_sql)


def recorded() -> dict[str, Any]:
    body: dict[str, Any] = json.loads(fixture_path(f"{CALL}.json").read_text())
    return body


def responses(replay: Replay) -> OpenAIResponsesProvider:
    return OpenAIResponsesProvider(
        "gpt-5", api_key="sk-test", http_client=replay.client(), retry=RetryPolicy(attempts=1)
    )


async def responses_body(replay: Replay, request: ModelRequest) -> dict[str, Any]:
    replay.queue_json(recorded())
    await responses(replay).complete(request)
    body: dict[str, Any] = replay.bodies[-1]
    assert_sdk_accepts(body, ResponseCreateParamsNonStreaming)
    return body


# The tool itself


def test_custom_tool_with_an_invalid_grammar_is_refused_with_the_compilers_reason() -> None:
    """A Lark grammar that does not compile is refused when the tool is made."""
    from switchboard.errors import ToolDefinitionError

    with pytest.raises(ToolDefinitionError, match="'bad': its grammar is not a valid Lark"):
        Tool.custom("bad", "Bad.", grammar="start: UNDEFINED_TERMINAL", handler=run_sql)


def test_custom_tool_handler_must_take_one_text() -> None:
    """A handler with two parameters is refused: a custom tool's handler takes one text."""
    from switchboard.errors import ToolDefinitionError

    def two(a: str, b: str) -> str:
        return a + b

    with pytest.raises(ToolDefinitionError, match="takes the input text as its one argument"):
        Tool.custom("two", "Two.", grammar=r"\w+", syntax="regex", handler=two)


async def test_the_handler_gets_the_raw_text_of_a_matching_input() -> None:
    """The executor passes the call's text to the handler as it is: quotes and line breaks too."""
    [result] = await Toolbox([SQL_TOOL]).execute([ToolCall("c1", "run_sql", {"input": QUERY})])
    assert (result.is_error, result.content) == (False, f"ran {QUERY!r}")


async def test_an_input_the_grammar_refuses_is_an_error_result_saying_what_was_expected() -> None:
    """A text the grammar does not admit becomes an invalid-arguments result naming the grammar."""
    [result] = await Toolbox([SQL_TOOL]).execute(
        [ToolCall("c1", "run_sql", {"input": "DROP TABLE customers"})]
    )
    assert (result.is_error, result.error_kind) == (True, "invalid")
    assert "text that the tool's Lark grammar admits" in result.content
    assert "DROP TABLE customers" in result.content


async def test_an_input_not_matching_a_regex_is_an_error_result_naming_the_expression() -> None:
    """A regex custom tool's refused input names the expression the whole text must match."""
    day = Tool.custom(
        "day", "A date.", grammar=r"\d{4}-\d{2}-\d{2}", syntax="regex", handler=run_sql
    )
    [result] = await Toolbox([day]).execute([ToolCall("c1", "day", '{"input": "tomorrow"}')])
    assert result.error_kind == "invalid"
    assert r"the regular expression '\\d{4}-\\d{2}-\\d{2}' as a whole" in result.content


# OpenAI Responses


async def test_responses_offers_a_custom_tool_with_its_grammar(replay: Replay) -> None:
    """Responses: the tool is a custom tool whose format is the Lark grammar."""
    body = await responses_body(replay, ModelRequest([UserMessage("Paris customers?")], [SQL_TOOL]))
    assert body["tools"] == [
        {
            "type": "custom",
            "name": "run_sql",
            "description": "Run a read-only SQL query.",
            "format": {"type": "grammar", "syntax": "lark", "definition": SQL},
        }
    ]


async def test_responses_forces_a_custom_tool_by_its_custom_type(replay: Replay) -> None:
    """Responses: tool_choice naming a custom tool, alone or allowed, names it as custom."""
    body = await responses_body(
        replay, ModelRequest([UserMessage("Paris?")], [SQL_TOOL], tool_choice="run_sql")
    )
    assert body["tool_choice"] == {"type": "custom", "name": "run_sql"}
    allowed = AllowedTools(["run_sql"], required=True)
    body = await responses_body(replay, ModelRequest([UserMessage("Paris?")], [SQL_TOOL], allowed))
    assert body["tool_choice"]["tools"] == [{"type": "custom", "name": "run_sql"}]


async def test_responses_custom_tool_call_is_read_with_its_text_untouched(replay: Replay) -> None:
    """The documented custom_tool_call is a call whose input is the text, never parsed."""
    replay.queue_json(recorded())
    response = await responses(replay).complete(ModelRequest([UserMessage("Paris?")], [SQL_TOOL]))
    [call] = response.turn.tool_calls
    assert (call.id, call.name, call.arguments) == (
        "call_aGiFQkRWSWAIsMQ19fKqxUgb",
        "run_sql",
        {"input": QUERY},
    )
    assert response.stop_reason == "tool_calls"
    [result] = await Toolbox([SQL_TOOL]).execute(list(response.turn.tool_calls))
    assert result.content == f"ran {QUERY!r}"


async def test_responses_answers_a_custom_call_with_a_custom_tool_call_output(
    replay: Replay,
) -> None:
    """The call goes back as received, answered by a custom_tool_call_output item."""
    replay.queue_json(recorded())
    first = await responses(replay).complete(ModelRequest([UserMessage("Paris?")], [SQL_TOOL]))
    [call] = first.turn.tool_calls
    messages: list[Message] = [
        UserMessage("Paris?"),
        first.turn,
        ToolResult(call.id, "run_sql", "[]"),
    ]
    body = await responses_body(replay, ModelRequest(messages, [SQL_TOOL]))
    assert body["input"][-2]["type"] == "custom_tool_call"
    assert body["input"][-2]["input"] == QUERY
    assert body["input"][-1] == {
        "type": "custom_tool_call_output",
        "call_id": "call_aGiFQkRWSWAIsMQ19fKqxUgb",
        "output": "[]",
    }


async def test_responses_sends_a_custom_call_from_another_provider_as_custom(
    replay: Replay,
) -> None:
    """A custom tool's call made elsewhere ({"input": text}) goes as a custom_tool_call."""
    call = ToolCall("toolu_1", "run_sql", {"input": QUERY})
    messages: list[Message] = [
        UserMessage("Paris?"),
        AssistantTurn("", (call,)),
        ToolResult("toolu_1", "run_sql", "[]"),
    ]
    body = await responses_body(replay, ModelRequest(messages, [SQL_TOOL]))
    assert body["input"][1:] == [
        {"type": "custom_tool_call", "call_id": "toolu_1", "name": "run_sql", "input": QUERY},
        {"type": "custom_tool_call_output", "call_id": "toolu_1", "output": "[]"},
    ]


async def test_responses_streamed_custom_call_is_ready_whole(replay: Replay) -> None:
    """Streamed: the custom call is ready when its item is done, with the whole text."""
    replay.queue_bytes(recorded_bytes(f"{CALL}.chunks.txt", named=True), "text/event-stream")
    request = ModelRequest([UserMessage("Paris?")], [SQL_TOOL])
    events = [event async for event in responses(replay).stream(request)]
    assert_sdk_accepts(replay.bodies[-1], ResponseCreateParamsStreaming)
    [ready] = [e for e in events if isinstance(e, ToolCallReady)]
    assert (ready.call.name, json.loads(str(ready.call.arguments))) == ("run_sql", {"input": QUERY})
    end = events[-1]
    assert isinstance(end, TurnEnd)
    assert end.response.unfinished_calls() == frozenset()


# Chat Completions


def chat(replay: Replay) -> OpenAIChatProvider:
    return OpenAIChatProvider(
        "gpt-5", api_key="sk-test", http_client=replay.client(), retry=RetryPolicy(attempts=1)
    )


def completion(message: dict[str, Any], finish_reason: str) -> dict[str, Any]:
    return {
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-5",
        "choices": [{"index": 0, "message": message, "finish_reason": finish_reason}],
    }


async def test_chat_offers_a_custom_tool_and_reads_its_custom_call(replay: Replay) -> None:
    """Chat Completions: a custom tool with its grammar; a custom call read as its text."""
    custom_call = {"id": "call_1", "type": "custom", "custom": {"name": "run_sql", "input": QUERY}}
    replay.queue_json(
        completion(
            {"role": "assistant", "content": None, "tool_calls": [custom_call]}, "tool_calls"
        )
    )
    response = await chat(replay).complete(
        ModelRequest([UserMessage("Paris?")], [SQL_TOOL], tool_choice="run_sql")
    )
    body = replay.bodies[-1]
    assert_sdk_accepts(body, CompletionCreateParamsNonStreaming)
    assert body["tools"] == [
        {
            "type": "custom",
            "custom": {
                "name": "run_sql",
                "description": "Run a read-only SQL query.",
                "format": {"type": "grammar", "grammar": {"definition": SQL, "syntax": "lark"}},
            },
        }
    ]
    assert body["tool_choice"] == {"type": "custom", "custom": {"name": "run_sql"}}
    [call] = response.turn.tool_calls
    assert json.loads(str(call.arguments)) == {"input": QUERY}


async def test_chat_sends_a_custom_call_back_as_custom(replay: Replay) -> None:
    """Chat Completions: the turn's custom call goes back as a custom call with its text."""
    replay.queue_json(completion({"role": "assistant", "content": "Done."}, "stop"))
    messages: list[Message] = [
        UserMessage("Paris?"),
        AssistantTurn("", (ToolCall("call_1", "run_sql", json.dumps({"input": QUERY})),)),
        ToolResult("call_1", "run_sql", "[]"),
    ]
    await chat(replay).complete(ModelRequest(messages, [SQL_TOOL]))
    body = replay.bodies[-1]
    assert_sdk_accepts(body, CompletionCreateParamsNonStreaming)
    assert body["messages"][1]["tool_calls"] == [
        {"id": "call_1", "type": "custom", "custom": {"name": "run_sql", "input": QUERY}}
    ]


# Anthropic: a function with one string parameter


async def test_anthropic_offers_a_custom_tool_as_a_function_of_one_string(replay: Replay) -> None:
    """Anthropic: the tool takes one string, input, whose description holds the grammar."""
    replay.queue_json(
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5",
            "content": [
                {"type": "tool_use", "id": "toolu_1", "name": "run_sql", "input": {"input": QUERY}}
            ],
            "stop_reason": "tool_use",
            "stop_sequence": None,
            "usage": {"input_tokens": 10, "output_tokens": 2},
        }
    )
    provider = AnthropicProvider(
        "claude-sonnet-4-5",
        api_key="sk-ant-test",
        http_client=replay.client(),
        retry=RetryPolicy(attempts=1),
    )
    response = await provider.complete(ModelRequest([UserMessage("Paris?")], [SQL_TOOL]))
    body = replay.bodies[-1]
    assert_sdk_accepts(body, MessageCreateParamsNonStreaming)
    [tool] = body["tools"]
    assert tool["input_schema"]["required"] == ["input"]
    assert SQL in tool["input_schema"]["properties"]["input"]["description"]
    [result] = await Toolbox([SQL_TOOL]).execute(list(response.turn.tool_calls))
    assert result.content == f"ran {QUERY!r}"
