"""A tool result's images and files on each provider's wire.

Each request is sent through the provider's SDK (its real HTTP layer, answered by `Replay`)
and the body the SDK sent is checked against the SDK's own request types
(`wire.assert_sdk_accepts`), or for Gemini read back into the SDK's own models.
"""

from __future__ import annotations

import base64
from typing import Any

import pytest
from anthropic.types.message_create_params import MessageCreateParamsNonStreaming
from google.genai import types as genai_types
from openai.types.chat.completion_create_params import CompletionCreateParamsNonStreaming
from openai.types.responses.response_create_params import ResponseCreateParamsNonStreaming

from switchboard.messages import (
    AssistantTurn,
    FilePart,
    ImagePart,
    Message,
    TextPart,
    ToolCall,
    ToolResult,
    UserMessage,
)
from switchboard.providers.anthropic import AnthropicProvider
from switchboard.providers.base import ModelRequest
from switchboard.providers.gemini import GeminiProvider
from switchboard.providers.local.prompt import render_generic
from switchboard.providers.openai_chat import OpenAIChatProvider
from switchboard.providers.openai_responses import OpenAIResponsesProvider
from switchboard.retry import RetryPolicy

from .conftest import Replay
from .wire import assert_sdk_accepts

pytestmark = pytest.mark.anyio

PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR"
PDF = b"%PDF-1.4\n%%EOF\n"
PNG64 = base64.b64encode(PNG).decode()
PDF64 = base64.b64encode(PDF).decode()
PARTS = (
    TextPart("Sales rose 4%."),
    ImagePart(PNG, "image/png"),
    FilePart(PDF, "application/pdf", "report.pdf"),
)
DESCRIBED = (
    "Sales rose 4%.\n[image: image/png, 16 bytes]\n[file report.pdf: application/pdf, 15 bytes]"
)


def conversation(parts: tuple[Any, ...] = PARTS) -> list[Message]:
    call = ToolCall("call_1", "sales_report", "{}")
    return [
        UserMessage("How did sales go?"),
        AssistantTurn("", (call,)),
        ToolResult("call_1", "sales_report", DESCRIBED, parts=parts),
    ]


# Anthropic


async def anthropic_body(replay: Replay, messages: list[Message]) -> dict[str, Any]:
    replay.queue_json(
        {
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-sonnet-4-5",
            "content": [{"type": "text", "text": "Done."}],
            "stop_reason": "end_turn",
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
    await provider.complete(ModelRequest(messages))
    body: dict[str, Any] = replay.bodies[-1]
    assert_sdk_accepts(body, MessageCreateParamsNonStreaming)
    return body


async def test_anthropic_sends_image_and_pdf_blocks_inside_the_tool_result(replay: Replay) -> None:
    """Anthropic: the parts are text, image and document blocks inside the tool_result."""
    body = await anthropic_body(replay, conversation())
    [result] = body["messages"][2]["content"]
    assert result == {
        "type": "tool_result",
        "tool_use_id": "call_1",
        "content": [
            {"type": "text", "text": "Sales rose 4%."},
            {
                "type": "image",
                "source": {"type": "base64", "media_type": "image/png", "data": PNG64},
            },
            {
                "type": "document",
                "source": {"type": "base64", "media_type": "application/pdf", "data": PDF64},
                "title": "report.pdf",
            },
        ],
    }


async def test_anthropic_sends_an_image_url_as_a_url_source(replay: Replay) -> None:
    """Anthropic: an image given by URL goes as a url source, not fetched by switchboard."""
    url = "https://example.com/chart.png"
    body = await anthropic_body(replay, conversation((ImagePart(url, "image/png"),)))
    [result] = body["messages"][2]["content"]
    assert result["content"] == [{"type": "image", "source": {"type": "url", "url": url}}]


async def test_anthropic_says_in_text_which_file_it_cannot_take(replay: Replay) -> None:
    """Anthropic: a file type it has no block for becomes a text block saying so."""
    part = FilePart(b"a,b\n1,2\n", "text/csv", "t.csv")
    body = await anthropic_body(replay, conversation((part,)))
    [block] = body["messages"][2]["content"][0]["content"]
    assert block["type"] == "text"
    assert "file t.csv (text/csv) not shown" in block["text"]


# OpenAI Responses


async def test_responses_sends_input_image_and_input_file_in_the_call_output(
    replay: Replay,
) -> None:
    """Responses: function_call_output's output is a list of input_text/input_image/input_file."""
    replay.queue_json(
        {
            "id": "resp_1",
            "object": "response",
            "created_at": 1,
            "status": "completed",
            "model": "gpt-5.4",
            "output": [],
            "parallel_tool_calls": True,
            "tool_choice": "auto",
            "tools": [],
        }
    )
    provider = OpenAIResponsesProvider(
        "gpt-5.4", api_key="sk-test", http_client=replay.client(), retry=RetryPolicy(attempts=1)
    )
    await provider.complete(ModelRequest(conversation()))
    body: dict[str, Any] = replay.bodies[-1]
    assert_sdk_accepts(body, ResponseCreateParamsNonStreaming)
    assert body["input"][-1] == {
        "type": "function_call_output",
        "call_id": "call_1",
        "output": [
            {"type": "input_text", "text": "Sales rose 4%."},
            {"type": "input_image", "image_url": f"data:image/png;base64,{PNG64}"},
            {
                "type": "input_file",
                "file_data": f"data:application/pdf;base64,{PDF64}",
                "filename": "report.pdf",
            },
        ],
    }


# Chat Completions


async def chat_body(replay: Replay, messages: list[Message]) -> dict[str, Any]:
    replay.queue_json(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion",
            "created": 1,
            "model": "gpt-4o",
            "choices": [
                {
                    "index": 0,
                    "message": {"role": "assistant", "content": "ok"},
                    "finish_reason": "stop",
                }
            ],
        }
    )
    provider = OpenAIChatProvider(
        "gpt-4o", api_key="sk-test", http_client=replay.client(), retry=RetryPolicy(attempts=1)
    )
    await provider.complete(ModelRequest(messages))
    body: dict[str, Any] = replay.bodies[-1]
    assert_sdk_accepts(body, CompletionCreateParamsNonStreaming)
    return body


async def test_chat_states_the_parts_in_the_tool_message_and_attaches_them_after(
    replay: Replay,
) -> None:
    """Chat: the tool message describes the parts; a user message after it carries them."""
    body = await chat_body(replay, conversation())
    tool_message, attachments = body["messages"][2:]
    assert tool_message["role"] == "tool"
    assert tool_message["content"].startswith(DESCRIBED + "\n(The images and files above")
    assert attachments == {
        "role": "user",
        "content": [
            {
                "type": "text",
                "text": "The images and files returned by sales_report (call call_1):",
            },
            {"type": "image_url", "image_url": {"url": f"data:image/png;base64,{PNG64}"}},
            {
                "type": "file",
                "file": {
                    "file_data": f"data:application/pdf;base64,{PDF64}",
                    "filename": "report.pdf",
                },
            },
        ],
    }


async def test_chat_attachments_follow_every_tool_message_of_the_turn(replay: Replay) -> None:
    """Chat: with two results, both tool messages come first, then one user message."""
    calls = (ToolCall("a", "chart", "{}"), ToolCall("b", "chart", "{}"))
    image = (ImagePart(PNG, "image/png"),)
    messages: list[Message] = [
        UserMessage("Charts?"),
        AssistantTurn("", calls),
        ToolResult("a", "chart", "[image]", parts=image),
        ToolResult("b", "chart", "[image]", parts=image),
        UserMessage("Thanks."),
    ]
    body = await chat_body(replay, messages)
    roles = [m["role"] for m in body["messages"]]
    assert roles == ["user", "assistant", "tool", "tool", "user", "user"]
    assert [p["type"] for p in body["messages"][4]["content"]] == [
        "text",
        "image_url",
        "text",
        "image_url",
    ]


# Gemini


async def test_gemini_sends_the_bytes_as_function_response_parts(replay: Replay) -> None:
    """Gemini: the image and PDF are inlineData parts of the functionResponse; text in response."""
    replay.queue_json(
        {
            "candidates": [
                {"content": {"parts": [{"text": "ok"}], "role": "model"}, "finishReason": "STOP"}
            ],
            "usageMetadata": {"promptTokenCount": 5, "candidatesTokenCount": 2},
            "modelVersion": "gemini-2.5-flash",
        }
    )
    provider = GeminiProvider(
        "gemini-2.5-flash",
        api_key="test-key",
        http_client=replay.client(),
        retry=RetryPolicy(attempts=1),
    )
    await provider.complete(ModelRequest(conversation()))
    sent = replay.bodies[-1]["contents"][2]
    assert sent == {
        "role": "user",
        "parts": [
            {
                "functionResponse": {
                    "id": "call_1",
                    "name": "sales_report",
                    "response": {"result": DESCRIBED},
                    # The SDK writes these parts' fields in snake_case, which the API's
                    # protobuf JSON reads as it reads camelCase.
                    "parts": [
                        {"inline_data": {"mime_type": "image/png", "data": PNG64}},
                        {
                            "inline_data": {
                                "mime_type": "application/pdf",
                                "data": PDF64,
                                "display_name": "report.pdf",
                            }
                        },
                    ],
                }
            }
        ],
    }
    back = genai_types.Content.model_validate(sent).parts
    assert back is not None
    assert back[0].function_response is not None
    [image, _] = back[0].function_response.parts or []
    assert image.inline_data is not None
    assert image.inline_data.data == PNG


# The local model


def test_local_model_reads_the_parts_described_in_text() -> None:
    """The local model gets the result's text description: its text, a line per image or file."""
    rendered = render_generic(conversation(), None)
    assert rendered[-1]["content"] == f"sales_report returned: {DESCRIBED}"
