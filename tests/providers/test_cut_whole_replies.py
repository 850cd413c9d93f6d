"""A whole reply stopped at the token limit never runs the call it was cut inside.

The payloads follow each API's documented form of a reply cut by the output limit: Chat
Completions ``finish_reason: "length"`` with the arguments as far as they went; Responses
``status: "incomplete"`` with the call item ``incomplete``; Messages ``stop_reason:
"max_tokens"``; Gemini ``finishReason: "MAX_TOKENS"``. Each is served through the SDK's own
HTTP layer to `Agent.run`, with a tool that records whether it ran.
"""

import json
from typing import Any

import httpx2
import pytest

from switchboard import Agent, AssistantTurn, ToolResult

from .conftest import Replay
from .test_provider_faults import APIS, Api, served

pytestmark = pytest.mark.anyio

CUT_ARGUMENTS = '{"account": "ACC-12'
"""An account number ACC-1234, cut after six characters."""

CUT_REPLIES: dict[str, dict[str, Any]] = {
    "openai": {
        "id": "chatcmpl-cut",
        "object": "chat.completion",
        "created": 1,
        "model": "gpt-4o",
        "choices": [
            {
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": None,
                    "tool_calls": [
                        {
                            "id": "call_cut",
                            "type": "function",
                            "function": {"name": "transfer", "arguments": CUT_ARGUMENTS},
                        }
                    ],
                },
                "finish_reason": "length",
            }
        ],
        "usage": {"prompt_tokens": 20, "completion_tokens": 16, "total_tokens": 36},
    },
    "openai-responses": {
        "id": "resp_cut",
        "object": "response",
        "created_at": 1,
        "model": "gpt-4.1-mini",
        "status": "incomplete",
        "incomplete_details": {"reason": "max_output_tokens"},
        "output": [
            {
                "type": "function_call",
                "id": "fc_cut",
                "call_id": "call_cut",
                "name": "transfer",
                "arguments": CUT_ARGUMENTS,
                "status": "incomplete",
            }
        ],
        "parallel_tool_calls": True,
        "tool_choice": "auto",
        "tools": [],
    },
    "anthropic": {
        "id": "msg_cut",
        "type": "message",
        "role": "assistant",
        "model": "claude-haiku-4-5",
        "content": [
            {
                "type": "tool_use",
                "id": "toolu_cut",
                "name": "transfer",
                "input": {"account": "ACC-12"},
            }
        ],
        "stop_reason": "max_tokens",
        "stop_sequence": None,
        "usage": {"input_tokens": 20, "output_tokens": 16},
    },
    "gemini": {
        "candidates": [
            {
                "content": {
                    "role": "model",
                    "parts": [
                        {"functionCall": {"name": "transfer", "args": {"account": "ACC-12"}}}
                    ],
                },
                "finishReason": "MAX_TOKENS",
            }
        ],
        "modelVersion": "gemini-2.5-flash",
    },
}


@pytest.mark.parametrize("api", APIS, ids=[api.name for api in APIS])
async def test_a_call_cut_by_the_token_limit_never_runs(replay: Replay, api: Api) -> None:
    """The cut call gets a 'not run' result and the run stops as 'length' (on_cut_off=stop)."""
    ran: list[str] = []

    def transfer(account: str, amount: int = 1) -> str:
        """Move money to an account."""
        ran.append(account)
        return "sent"

    replay.responses.append(httpx2.Response(200, content=json.dumps(CUT_REPLIES[api.name])))
    agent = Agent(api.provider(served(replay, api)), tools=[transfer], on_cut_off="stop")
    result = await agent.run("Send 1 to ACC-1234.")
    assert ran == []
    assert result.stop_reason == "length"
    turn, answer = result.messages[-2:]
    assert isinstance(turn, AssistantTurn)
    assert isinstance(answer, ToolResult)
    assert (answer.call_id, answer.is_error) == (turn.tool_calls[0].id, True)
    assert answer.content.startswith("Not run: your reply reached the output token limit")
