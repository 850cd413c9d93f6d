"""Provider faults through each SDK's own HTTP layer: trickles, malformed 200s, broken streams.

A broken connection is the provider's fault: the request is sent again (after backoff) and,
after the last try, the typed network error is raised. The model is told only of replies it
cut itself, and a broken stream's partial text is never a run's output.
"""

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator, Callable
from dataclasses import dataclass
from typing import Any

import httpx
import httpx2
import pytest

from switchboard import (
    Agent,
    ProviderResponseError,
    ProviderUnavailableError,
    RunTimeoutError,
    UserMessage,
)
from switchboard.providers.anthropic import AnthropicProvider
from switchboard.providers.base import ModelRequest, Provider
from switchboard.providers.gemini import GeminiProvider
from switchboard.providers.openai_chat import OpenAIChatProvider
from switchboard.providers.openai_responses import OpenAIResponsesProvider
from switchboard.retry import RetryPolicy
from switchboard.streaming import (
    RunEnd,
    StreamEvent,
    TextDelta,
    ToolCallReady,
    ToolResultEvent,
    TurnEnd,
    TurnRestart,
)
from switchboard.tools.tool import tool

from .conftest import Replay, fixture_path
from .streams import recorded_bytes, sse_lines, streamed_text

pytestmark = pytest.mark.anyio

FAST = RetryPolicy(attempts=2, base=0.001)
"""Two tries, a millisecond apart."""

GUARD = 30.0
"""Seconds a test may take before it fails: without a deadline of its own it would hang."""

REQUEST = ModelRequest([UserMessage("Weather in Paris?")])

SSE = "text/event-stream"


def anthropic_reply() -> bytes:
    """A recorded Messages API response (a tool runner recording's second reply)."""
    path = fixture_path(
        "anthropic/tool_runner_recordings/b38bbf6c-9a76-40ca-b09d-7a3911776e0f.json"
    )
    return json.dumps(json.loads(path.read_text())[1]["response"]["body"]).encode()


def chat_reply() -> bytes:
    """A recorded Chat Completions response (openai-python's ``test_parse_nothing``)."""
    lines = fixture_path("openai-chat/nonstreaming-recorded.jsonl").read_text().splitlines()
    [record] = [json.loads(line) for line in lines if '"test_parse_nothing"' in line]
    return json.dumps(record["response"]).encode()


@dataclass(frozen=True)
class Api:
    """One API provider, and recorded payloads of its API to serve.

    Attributes:
        name: The provider's name.
        build: Makes the provider: ``build(http_client, base_url, **options)``.
        http: The HTTP library of the client the provider takes (``httpx2`` or ``httpx``).
        reply: A recorded whole reply, as the API sends it.
        stream: A recorded stream, as the API sends it.
        cut: How many of the stream's events a broken try sends: some text or a call
            started, no call complete, no end.
    """

    name: str
    build: Callable[..., Provider]
    http: Any
    reply: bytes
    stream: bytes
    cut: int

    def provider(self, client: Any, base_url: str | None = None, **options: Any) -> Provider:
        return self.build(client, base_url, **options)

    def broken(self) -> bytes:
        """The first `cut` events of the stream, then nothing: no end, no finish reason."""
        events = self.stream.split(b"\n\n")
        assert len(events) > self.cut + 1, f"{self.name}: the stream is too short to cut"
        return b"\n\n".join(events[: self.cut]) + b"\n\n"


APIS = [
    Api(
        "openai",
        lambda client, base_url, **options: OpenAIChatProvider(
            "gpt-4o", api_key="sk-test", base_url=base_url, http_client=client, **options
        ),
        httpx2,
        chat_reply(),
        recorded_bytes(
            "openai-chat/text-only/"
            "e2aad469b71d1d4894ff833ea147020a9d875eb7ce644a0ff355581690a4cbfd.bin"
        ),
        3,
    ),
    Api(
        "openai-responses",
        lambda client, base_url, **options: OpenAIResponsesProvider(
            "gpt-4.1-mini", api_key="sk-test", base_url=base_url, http_client=client, **options
        ),
        httpx2,
        fixture_path("openai-responses/vercel-openai-reasoning-encrypted-content.1.json")
        .read_text()
        .encode(),
        recorded_bytes("openai-responses/vercel-azure-tool-call.1.chunks.txt", named=True),
        5,
    ),
    Api(
        "anthropic",
        lambda client, base_url, **options: AnthropicProvider(
            "claude-haiku-4-5",
            api_key="sk-ant-test",
            base_url=base_url,
            http_client=client,
            **options,
        ),
        httpx2,
        anthropic_reply(),
        recorded_bytes("anthropic/text-only/basic_response.txt"),
        4,
    ),
    Api(
        "gemini",
        lambda client, base_url, **options: GeminiProvider(
            "gemini-2.5-flash", api_key="test-key", base_url=base_url, http_client=client, **options
        ),
        httpx,
        fixture_path("gemini/vercel-google-tool-call.json").read_text().encode(),
        recorded_bytes("gemini/vercel-google-stream-tool-call-arguments.chunks.txt"),
        2,
    ),
]
BY_NAME = {api.name: api for api in APIS}
ALL = pytest.mark.parametrize("api", APIS, ids=[api.name for api in APIS])


def served(replay: Replay, api: Api) -> Any:
    """A client in ``api``'s HTTP library that answers from ``replay``'s queue."""
    if api.http is httpx2:
        return replay.client()

    def handle(request: httpx.Request) -> httpx.Response:
        sent = httpx2.Request(
            request.method, str(request.url), headers=request.headers.raw, content=request.content
        )
        answer = replay.handle(sent)
        return httpx.Response(
            answer.status_code, headers=list(answer.headers.multi_items()), stream=Relayed(answer)
        )

    return httpx.AsyncClient(transport=httpx.MockTransport(handle))


class Relayed(httpx.AsyncByteStream):
    """An httpx2 response's body, as an httpx body (raising what it raises)."""

    def __init__(self, answer: httpx2.Response) -> None:
        self._answer = answer

    async def __aiter__(self) -> AsyncIterator[bytes]:
        async for chunk in self._answer.stream:  # pyright: ignore[reportGeneralTypeIssues]
            yield chunk


async def stream_events(provider: Provider) -> list[StreamEvent]:
    async with asyncio.timeout(GUARD):
        return [event async for event in provider.stream(REQUEST)]


async def ask(provider: Provider, *, streaming: bool) -> None:
    """Send `REQUEST`, streamed or whole, to the end of the reply."""
    if streaming:
        await stream_events(provider)
        return
    async with asyncio.timeout(GUARD):
        await provider.complete(REQUEST)


async def run(agent: Agent, prompt: str, *, streaming: bool, text: list[str]) -> list[object]:
    """Run ``agent`` on ``prompt`` (`Agent.run_stream` or `Agent.run`); its events, text noted."""
    async with asyncio.timeout(GUARD):
        if not streaming:
            return [await agent.run(prompt)]
        events: list[object] = []
        async for event in agent.run_stream(prompt):
            if isinstance(event, TextDelta):
                text.append(event.text)
            events.append(event)
        return events


async def alone(api: Api, content: bytes) -> list[StreamEvent]:
    """The events of ``content`` served as the only try."""
    replay = Replay()
    replay.queue_bytes(content, SSE)
    return await stream_events(api.provider(served(replay, api)))


def reset_after(content: bytes) -> httpx2.Response:
    """A 200 stream that sends ``content``, then the connection is reset."""

    async def body() -> AsyncIterator[bytes]:
        yield content
        reset = "connection reset by peer"
        raise httpx2.ReadError(reset)

    return httpx2.Response(200, content=body(), headers={"content-type": SSE})


# A server that trickles keep-alive bytes: only the request's own deadline ends it.

TRICKLE_INTERVAL = 0.02
"""Seconds between keep-alive bytes: far inside every read timeout, so no read ever times out."""

TRICKLE_HEAD = (
    b"HTTP/1.1 200 OK\r\ncontent-type: text/event-stream\r\ncache-control: no-cache\r\n"
    b"transfer-encoding: chunked\r\n\r\n"
)


@dataclass
class Trickling:
    """A real HTTP server on 127.0.0.1: a 200 with SSE headers, then a newline forever."""

    port: int = 0
    requests: int = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"


@contextlib.asynccontextmanager
async def trickling_server() -> AsyncIterator[Trickling]:
    trickling = Trickling()
    handlers: set[asyncio.Task[Any]] = set()

    async def handle(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        handlers.add(task)
        try:
            head = await reader.readuntil(b"\r\n\r\n")
            length = next(
                (
                    int(line.split(b":", 1)[1])
                    for line in head.split(b"\r\n")
                    if line.lower().startswith(b"content-length:")
                ),
                0,
            )
            await reader.readexactly(length)
            trickling.requests += 1
            writer.write(TRICKLE_HEAD)
            while True:
                writer.write(b"1\r\n\n\r\n")  # one chunk: a newline, a keep-alive SSE line
                await writer.drain()
                # The fault itself: a byte now and then, never the end of the reply.
                await asyncio.sleep(TRICKLE_INTERVAL)
        except (ConnectionError, asyncio.IncompleteReadError):
            pass  # the client gave up, as it must
        finally:
            writer.close()

    server = await asyncio.start_server(handle, "127.0.0.1", 0)
    trickling.port = server.sockets[0].getsockname()[1]
    try:
        yield trickling
    finally:
        server.close()
        for task in handlers:
            task.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        await server.wait_closed()


@ALL
@pytest.mark.parametrize("streaming", [True, False], ids=["stream", "complete"])
async def test_a_trickling_server_fails_each_try_at_request_timeout(
    api: Api, streaming: bool
) -> None:
    """Keep-alive bytes forever: each try ends at request_timeout, then unavailable is raised."""
    async with trickling_server() as server, api.http.AsyncClient() as client:
        provider = api.provider(client, server.url, retry=FAST, request_timeout=0.3)
        with pytest.raises(ProviderUnavailableError, match=r"request_timeout=0\.3 s"):
            await ask(provider, streaming=streaming)
    assert server.requests == 2


@pytest.mark.parametrize("streaming", [False, True], ids=["run", "run_stream"])
async def test_run_timeout_ends_a_run_on_a_trickling_server(streaming: bool) -> None:
    """run_timeout ends a run whose model never finishes: RunTimeoutError with the run so far."""
    api = BY_NAME["openai"]
    async with trickling_server() as server, httpx2.AsyncClient() as client:
        agent = Agent(api.provider(client, server.url, retry=FAST), run_timeout=0.3)
        with pytest.raises(RunTimeoutError, match="run_timeout") as raised:
            await run(agent, "Weather in Paris?", streaming=streaming, text=[])
    result = raised.value.result
    assert (result.stop_reason, result.output) == ("error", "")
    assert result.messages == (UserMessage("Weather in Paris?"),)
    assert server.requests == 1


# A 200 whose body is no reply: the provider's fault, retried like a 5xx.

HTML = (
    b"<html><head><title>502 Bad Gateway</title></head><body><h1>502 Bad Gateway</h1></body></html>"
)

MALFORMED: dict[str, Callable[[Api], tuple[bytes, str]]] = {
    "html": lambda api: (HTML, "text/html"),
    "html-as-json": lambda api: (HTML, "application/json"),
    "truncated-json": lambda api: (api.reply[: len(api.reply) // 2], "application/json"),
    "json-array": lambda api: (b"[]", "application/json"),
    "json-of-another-shape": lambda api: (b'{"status": "ok"}', "application/json"),
    "json-of-wrong-types": lambda api: (
        b'{"choices": 7, "output": 7, "content": 7, "candidates": 7}',
        "application/json",
    ),
    "json-of-wrong-item-types": lambda api: (
        b'{"choices": [7], "output": [7], "content": [7], "candidates": [{"content": 7}]}',
        "application/json",
    ),
}


@ALL
@pytest.mark.parametrize("body", list(MALFORMED))
async def test_a_malformed_200_raises_a_response_error_after_the_tries(
    replay: Replay, api: Api, body: str
) -> None:
    """A 200 that is no reply is retried, then raised as ProviderResponseError (HTTP 200)."""
    for _ in range(2):
        replay.queue_bytes(*MALFORMED[body](api))
    provider = api.provider(served(replay, api), retry=FAST)
    with pytest.raises(ProviderResponseError) as raised:
        await provider.complete(REQUEST)
    assert (raised.value.provider, raised.value.status_code) == (api.name, 200)
    assert isinstance(raised.value, ProviderUnavailableError)
    assert len(replay.requests) == 2


@ALL
async def test_a_malformed_200_then_a_good_one_gives_the_good_reply(
    replay: Replay, api: Api
) -> None:
    """One malformed 200, then the recorded reply: the reply is the recorded one."""
    replay.queue_bytes(*MALFORMED["truncated-json"](api))
    replay.queue_bytes(api.reply, "application/json")
    response = await api.provider(served(replay, api), retry=FAST).complete(REQUEST)
    only = Replay()
    only.queue_bytes(api.reply, "application/json")
    recorded = await api.provider(served(only, api)).complete(REQUEST)
    assert recorded.turn.text or recorded.turn.tool_calls
    assert (response.turn, response.stop_reason) == (recorded.turn, recorded.stop_reason)
    assert len(replay.requests) == 2


# Streams that break.


def restarted(
    events: list[StreamEvent],
) -> tuple[list[StreamEvent], TurnRestart, list[StreamEvent]]:
    """The events before the one `TurnRestart`, the restart, and the events after it."""
    [restart] = [event for event in events if isinstance(event, TurnRestart)]
    at = events.index(restart)
    return events[:at], restart, events[at + 1 :]


@ALL
async def test_a_stream_cut_before_any_call_is_asked_for_again(replay: Replay, api: Api) -> None:
    """A stream that ends before its end (no call complete) is sent again; the retry's is kept."""
    replay.queue_bytes(api.broken(), SSE)
    replay.queue_bytes(api.stream, SSE)
    events = await stream_events(api.provider(served(replay, api), retry=FAST))
    before, restart, after = restarted(events)
    assert before, "the broken try streamed nothing"
    assert not any(isinstance(e, ToolCallReady | TurnEnd) for e in before)
    assert restart.attempt == 2
    assert after == await alone(api, api.stream)
    assert len(replay.requests) == 2


@ALL
async def test_a_connection_reset_before_any_call_is_asked_for_again(
    replay: Replay, api: Api
) -> None:
    """A reset connection (no call complete) is sent again; the retry's reply is the turn's."""
    replay.responses.append(reset_after(api.broken()))
    replay.queue_bytes(api.stream, SSE)
    events = await stream_events(api.provider(served(replay, api), retry=FAST))
    before, restart, after = restarted(events)
    assert before, "the broken try streamed nothing"
    assert restart.attempt == 2
    assert after == await alone(api, api.stream)


@ALL
async def test_a_stream_broken_on_every_try_raises_unavailable(replay: Replay, api: Api) -> None:
    """Broken on every try: ProviderUnavailableError after the last, no reply made up."""
    replay.queue_bytes(api.broken(), SSE)
    replay.responses.append(reset_after(api.broken()))
    with pytest.raises(ProviderUnavailableError) as raised:
        await stream_events(api.provider(served(replay, api), retry=FAST))
    assert raised.value.provider == api.name
    assert len(replay.requests) == 2


# Broken streams in a run.

CHAT = BY_NAME["openai"]


@tool
def weather(city: str) -> str:
    """Get the weather in a city.

    Args:
        city: The city.
    """
    return f"sunny in {city}"


def chunk(delta: dict[str, Any], finish: str | None = None) -> str:
    """One Chat Completions chunk with one choice."""
    choice = {"index": 0, "delta": delta, "finish_reason": finish}
    return json.dumps(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "gpt-4o",
            "choices": [choice],
        }
    )


def call(index: int, call_id: str, arguments: str) -> dict[str, Any]:
    function = {"name": "weather", "arguments": arguments}
    return {
        "tool_calls": [{"index": index, "id": call_id, "type": "function", "function": function}]
    }


async def test_run_stream_tells_the_model_nothing_of_a_broken_stream(replay: Replay) -> None:
    """A stream that broke and was sent again: the same request, one step, the good reply."""
    replay.queue_bytes(CHAT.broken(), SSE)
    replay.queue_bytes(CHAT.stream, SSE)
    agent = Agent(CHAT.provider(replay.client(), retry=FAST), tools=[weather])
    async with asyncio.timeout(GUARD):
        events = [event async for event in agent.run_stream("Weather in Paris?")]
    end = events[-1]
    assert isinstance(end, RunEnd)
    answer = streamed_text(await alone(CHAT, CHAT.stream))
    assert (end.result.output, end.result.stop_reason) == (answer, "answer")
    assert len(end.result.steps) == 1
    assert [type(m).__name__ for m in end.result.messages] == ["UserMessage", "AssistantTurn"]
    assert replay.bodies[1] == replay.bodies[0]
    assert [e.attempt for e in events if isinstance(e, TurnRestart)] == [2]
    assert not any(isinstance(e, ToolResultEvent) for e in events)


async def test_a_stream_broken_on_every_try_raises_out_of_run_stream_without_its_text(
    replay: Replay,
) -> None:
    """Broken on every try: run_stream raises unavailable, the partial text is not the output."""
    replay.queue_bytes(CHAT.broken(), SSE)
    replay.responses.append(reset_after(CHAT.broken()))
    agent = Agent(CHAT.provider(replay.client(), retry=FAST), tools=[weather])
    seen: list[str] = []
    with pytest.raises(ProviderUnavailableError) as raised:
        await run(agent, "Weather in Paris?", streaming=True, text=seen)
    assert "".join(seen).startswith("I'm")
    result = raised.value.result
    assert (result.output, result.stop_reason) == ("", "error")
    assert result.messages == (UserMessage("Weather in Paris?"),)


async def test_a_stream_broken_after_a_complete_call_runs_that_call_once(replay: Replay) -> None:
    """Broken after a call is complete: it runs once, the open call is told cut, the run goes on."""
    ran: list[str] = []

    @tool(name="weather")
    def noted_weather(city: str) -> str:
        """Get the weather in a city.

        Args:
            city: The city.
        """
        ran.append(city)
        return f"sunny in {city}"

    lines = [chunk(call(0, "call_a", '{"city": "Oslo"}')), chunk(call(1, "call_b", '{"city": "Ro'))]
    replay.responses.append(reset_after(sse_lines(lines, named=False)))
    replay.queue_bytes(CHAT.stream, SSE)
    agent = Agent(CHAT.provider(replay.client(), retry=FAST), tools=[noted_weather])
    async with asyncio.timeout(GUARD):
        events = [event async for event in agent.run_stream("Weather in Oslo and Rome?")]
    assert ran == ["Oslo"]
    results = [e.result for e in events if isinstance(e, ToolResultEvent)]
    assert [(r.call_id, r.is_error) for r in results] == [("call_a", False), ("call_b", True)]
    assert results[1].content.startswith("Not run: the reply broke off")
    assert not any(isinstance(e, TurnRestart) for e in events)
    sent = [m for m in replay.bodies[1]["messages"] if m["role"] == "tool"]
    assert [m["tool_call_id"] for m in sent] == ["call_a", "call_b"]
    assert sent[0]["content"] == "sunny in Oslo"
    assert results[1].content in sent[1]["content"]
    end = events[-1]
    assert isinstance(end, RunEnd)
    assert end.result.output == streamed_text(await alone(CHAT, CHAT.stream))
