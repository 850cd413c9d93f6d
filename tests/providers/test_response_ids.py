"""Every provider keeps the id of the recorded reply on its `ModelResponse`, whole and streamed.

The replies are the recorded payloads, served through each SDK's HTTP layer; the id each test
expects is read from the payload itself, where the provider's wire format puts it.
"""

import json
from collections.abc import Sequence
from typing import Any

import pytest

from switchboard.messages import ModelResponse, UserMessage
from switchboard.providers.anthropic import AnthropicProvider
from switchboard.providers.base import ModelRequest, Provider
from switchboard.providers.gemini import GeminiProvider
from switchboard.providers.openai_chat import OpenAIChatProvider
from switchboard.providers.openai_responses import OpenAIResponsesProvider
from switchboard.retry import RetryPolicy

from .conftest import FIXTURES, Replay, fixture_path
from .streams import recorded_bytes, recorded_streams, sse_lines, stream_fixtures, turn_end

pytestmark = pytest.mark.anyio

REQUEST = ModelRequest([UserMessage("Hi")])
NO_RETRY = RetryPolicy(attempts=1, base=0.0)


def chat(replay: Replay) -> OpenAIChatProvider:
    client = replay.client()
    return OpenAIChatProvider(
        "gpt-4o",
        api_key="sk-test",
        http_client=client,  # pyright: ignore[reportArgumentType]
        retry=NO_RETRY,
    )


def responses(replay: Replay) -> OpenAIResponsesProvider:
    client = replay.client()
    return OpenAIResponsesProvider(
        "gpt-4.1-mini",
        api_key="sk-test",
        http_client=client,  # pyright: ignore[reportArgumentType]
        retry=NO_RETRY,
    )


def anthropic(replay: Replay) -> AnthropicProvider:
    client = replay.client()
    return AnthropicProvider(
        "claude-haiku-4-5", api_key="sk-ant-test", http_client=client, retry=NO_RETRY
    )


def gemini(replay: Replay) -> GeminiProvider:
    client = replay.client()
    return GeminiProvider(
        "gemini-2.5-flash",
        api_key="test-key",
        http_client=client,  # pyright: ignore[reportArgumentType]
        retry=NO_RETRY,
    )


def written(pattern: str) -> list[str]:
    """The fixtures switchboard wrote that match ``pattern``, relative to tests/fixtures."""
    return sorted(str(p.relative_to(FIXTURES)) for p in (FIXTURES / "written").glob(pattern))


def bodies(pattern: str) -> list[str]:
    """The recorded whole replies matching ``pattern``, relative to tests/fixtures."""
    return sorted(str(p.relative_to(FIXTURES)) for p in FIXTURES.glob(pattern))


def recorded_events(content: bytes) -> list[dict[str, Any]]:
    """The JSON of each ``data:`` line of an SSE stream (the ``[DONE]`` marker left out)."""
    events: list[dict[str, Any]] = []
    for line in content.decode().splitlines():
        if line.startswith("data:") and line[5:].strip() != "[DONE]":
            events.append(json.loads(line[5:]))
    return events


async def whole(provider: Provider, replay: Replay, body: Any) -> ModelResponse:
    replay.queue_json(body)
    return await provider.complete(REQUEST)


async def streamed(provider: Provider, replay: Replay, content: bytes) -> ModelResponse:
    replay.queue_bytes(content, "text/event-stream")
    return turn_end([event async for event in provider.stream(REQUEST)]).response


CHAT_RECORDED = [
    json.loads(line)["response"]
    for line in fixture_path("openai-chat/nonstreaming-recorded.jsonl").read_text().splitlines()
]
CHAT_BODIES = bodies("openai-chat/*.json") + written("deepseek*.json") + written("mistral*.json")
CHAT_STREAMS = (
    stream_fixtures("openai-chat")
    + written("deepseek*.chunks.txt")
    + written("mistral*.chunks.txt")
)


@pytest.mark.parametrize("body", CHAT_RECORDED, ids=[body["id"] for body in CHAT_RECORDED])
async def test_chat_completion_keeps_its_recorded_id(replay: Replay, body: dict[str, Any]) -> None:
    """A recorded Chat Completions reply, whole: its ``id`` is the response's id."""
    assert (await whole(chat(replay), replay, body)).response_id == body["id"]


@pytest.mark.parametrize("name", CHAT_BODIES)
async def test_compatible_servers_completion_keeps_its_id(replay: Replay, name: str) -> None:
    """A compatible server's recorded whole reply (Groq, xAI, DeepSeek, Mistral): its ``id``."""
    body = json.loads(fixture_path(name).read_text())
    assert (await whole(chat(replay), replay, body)).response_id == body["id"]


@pytest.mark.parametrize("name", CHAT_STREAMS)
async def test_streamed_chat_completion_keeps_its_chunks_id(replay: Replay, name: str) -> None:
    """A recorded Chat Completions stream: the ``id`` its chunks carry is the response's id."""
    content = recorded_bytes(name)
    [expected] = {event["id"] for event in recorded_events(content) if "id" in event}
    assert (await streamed(chat(replay), replay, content)).response_id == expected


async def test_chat_stream_that_broke_off_keeps_its_chunks_id(replay: Replay) -> None:
    """Parallel calls cut off before the finish reason: an error reply, with the chunks' id."""
    name = "openai-chat/f82268f2fefd5cfbc7eeb59c297688be2f6ca0849a6e4f17851b517310841d9b.bin"
    events = recorded_events(recorded_bytes(name))
    end = next(i for i, e in enumerate(events) if e["choices"] and e["choices"][0]["finish_reason"])
    lines = [json.dumps(event) for event in events[:end]]
    response = await streamed(chat(replay), replay, sse_lines(lines, named=False))
    assert (response.stop_reason, response.response_id) == ("error", events[0]["id"])


async def test_chat_completion_with_an_empty_id_has_none(replay: Replay) -> None:
    """A compatible server that sends ``"id": ""`` gives no id, not an empty one."""
    body = {**CHAT_RECORDED[0], "id": ""}
    assert (await whole(chat(replay), replay, body)).response_id is None


RESPONSES_BODIES = bodies("openai-responses/*.json") + written("openai-responses-*.json")
RESPONSES_STREAMS = stream_fixtures("openai-responses") + written("openai-responses-*.chunks.txt")


@pytest.mark.parametrize("name", RESPONSES_BODIES)
async def test_responses_reply_keeps_its_recorded_id(replay: Replay, name: str) -> None:
    """A recorded Responses API reply, whole: its ``id`` is the response's id."""
    body = json.loads(fixture_path(name).read_text())
    assert (await whole(responses(replay), replay, body)).response_id == body["id"]


@pytest.mark.parametrize("name", RESPONSES_STREAMS)
async def test_streamed_responses_reply_keeps_its_recorded_id(replay: Replay, name: str) -> None:
    """Each recorded Responses API stream: the id of the response it streams."""
    for lines in recorded_streams(name):
        expected = json.loads(lines[0])["response"]["id"]
        content = sse_lines(lines, named=True)
        assert (await streamed(responses(replay), replay, content)).response_id == expected


async def test_responses_stream_that_broke_off_keeps_the_id_it_announced(replay: Replay) -> None:
    """A stream cut before its last event: the id from ``response.created`` is kept."""
    [lines, *_] = recorded_streams(RESPONSES_STREAMS[0])
    expected = json.loads(lines[0])["response"]["id"]
    content = sse_lines(lines[:-1], named=True)
    response = await streamed(responses(replay), replay, content)
    assert (response.stop_reason, response.response_id) == ("error", expected)


ANTHROPIC_RECORDED = [
    pair["response"]["body"]
    for path in sorted((FIXTURES / "anthropic" / "tool_runner_recordings").glob("*.json"))
    for pair in json.loads(path.read_text())
    if isinstance(pair["response"]["body"], dict)
    and pair["response"]["body"].get("type") == "message"
]
ANTHROPIC_BODIES = bodies("anthropic/*.json") + bodies("anthropic/server-tools/*.json")


def one_message_streams(names: Sequence[str]) -> list[str]:
    """The streams of one message (every ``message_start`` names the same message)."""
    kept: list[str] = []
    for name in names:
        events = recorded_events(recorded_bytes(name, named=True))
        ids = {e["message"]["id"] for e in events if e["type"] == "message_start"}
        if len(ids) == 1:
            kept.append(name)
    return kept


ANTHROPIC_STREAMS = one_message_streams(
    [
        *stream_fixtures("anthropic"),
        "anthropic/server-tools/vercel-anthropic-mcp.1.chunks.txt",
        *written("anthropic-*.chunks.txt"),
    ]
)


@pytest.mark.parametrize("body", ANTHROPIC_RECORDED, ids=[b["id"] for b in ANTHROPIC_RECORDED])
async def test_anthropic_message_keeps_its_recorded_id(
    replay: Replay, body: dict[str, Any]
) -> None:
    """A recorded Messages API reply, whole: the message's ``id`` is the response's id."""
    assert (await whole(anthropic(replay), replay, body)).response_id == body["id"]


@pytest.mark.parametrize("name", ANTHROPIC_BODIES)
async def test_anthropic_vercel_recorded_message_keeps_its_id(replay: Replay, name: str) -> None:
    """A Messages API reply the Vercel AI SDK recorded (server tools too), whole: its ``id``."""
    body = json.loads(fixture_path(name).read_text())
    assert (await whole(anthropic(replay), replay, body)).response_id == body["id"]


@pytest.mark.parametrize("name", ANTHROPIC_STREAMS)
async def test_streamed_anthropic_message_keeps_its_id(replay: Replay, name: str) -> None:
    """A recorded Messages API stream: the id its ``message_start`` gives."""
    content = recorded_bytes(name, named=True)
    [start, *_] = [e for e in recorded_events(content) if e["type"] == "message_start"]
    expected = start["message"]["id"]
    assert (await streamed(anthropic(replay), replay, content)).response_id == expected


async def test_anthropic_stream_of_two_messages_keeps_the_last_ones_id(replay: Replay) -> None:
    """Two messages one after another make one reply: its id is the last message's."""
    content = recorded_bytes("written/anthropic-sequential-messages.chunks.txt", named=True)
    assert (await streamed(anthropic(replay), replay, content)).response_id == "msg_01second"


async def test_anthropic_stream_broken_by_another_message_keeps_the_read_ones_id(
    replay: Replay,
) -> None:
    """A message started inside the open one is never read: the id is the open message's."""
    name = "written/anthropic-message-start-after-closed-blocks.chunks.txt"
    response = await streamed(anthropic(replay), replay, recorded_bytes(name, named=True))
    assert (response.stop_reason, response.response_id) == ("error", "msg_01first")


async def test_anthropic_paused_turn_continued_keeps_the_last_replys_id(replay: Replay) -> None:
    """A ``pause_turn`` reply continued: the reply's id is the message that ended it."""
    [first, last, *_] = ANTHROPIC_RECORDED
    replay.queue_json({**first, "stop_reason": "pause_turn"})
    replay.queue_json(last)
    response = await anthropic(replay).complete(REQUEST)
    assert response.response_id == last["id"]
    assert response.usage.requests == 2


GEMINI_BODIES = bodies("gemini/*.json") + written("vertex-*.json") + written("gemini-*.json")
GEMINI_STREAMS = stream_fixtures("gemini") + written("vertex-*.chunks.txt")


@pytest.mark.parametrize("name", GEMINI_BODIES)
async def test_gemini_response_keeps_its_recorded_id(replay: Replay, name: str) -> None:
    """A recorded ``generateContent`` reply, whole: its ``responseId`` (none when absent)."""
    body = json.loads(fixture_path(name).read_text())
    response = await whole(gemini(replay), replay, body)
    assert response.response_id == body.get("responseId")


@pytest.mark.parametrize("name", GEMINI_STREAMS)
async def test_streamed_gemini_response_keeps_its_recorded_id(replay: Replay, name: str) -> None:
    """A recorded ``streamGenerateContent`` stream: the ``responseId`` its chunks carry."""
    content = recorded_bytes(name)
    [expected] = {event["responseId"] for event in recorded_events(content)}
    assert (await streamed(gemini(replay), replay, content)).response_id == expected


async def test_gemini_stream_that_broke_off_keeps_its_chunks_id(replay: Replay) -> None:
    """A call whole, then the stream ends before the finish reason: an error, with the id."""
    [first, _last] = recorded_events(recorded_bytes("gemini/vercel-google-tool-call.chunks.txt"))
    response = await streamed(gemini(replay), replay, sse_lines([json.dumps(first)], named=False))
    assert (response.stop_reason, response.response_id) == ("error", first["responseId"])
