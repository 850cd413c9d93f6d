"""Retries against a real HTTP server on 127.0.0.1: statuses, Retry-After, what is not retried."""

import asyncio
import json
import logging
import threading
from collections.abc import Iterator
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

import httpx
import pytest

from switchboard.errors import (
    ConfigurationError,
    ProviderRateLimitError,
    ProviderRequestError,
    ProviderUnavailableError,
)
from switchboard.messages import UserMessage
from switchboard.providers.base import DEFAULT_RETRY, ModelRequest
from switchboard.providers.openai_chat import OpenAIChatProvider
from switchboard.retry import RetryPolicy

pytestmark = pytest.mark.anyio

COMPLETION = {
    "id": "chatcmpl-1",
    "object": "chat.completion",
    "created": 1,
    "model": "scripted",
    "choices": [
        {"index": 0, "message": {"role": "assistant", "content": "done"}, "finish_reason": "stop"}
    ],
    "usage": {"prompt_tokens": 3, "completion_tokens": 1, "total_tokens": 4},
}

FAST_DEFAULT = RetryPolicy(attempts=DEFAULT_RETRY.attempts, base=0.01, cap=DEFAULT_RETRY.cap)
"""DEFAULT_RETRY's tries, with millisecond backoff so that the tests stay fast."""

GUARD = 30.0
"""Seconds a test may take before it fails: a run that sleeps as told would pass it."""


@dataclass
class ScriptedServer:
    """A real HTTP server answering each request with the next scripted response."""

    script: list[tuple[int, dict[str, str], Any]] = field(default_factory=list)
    paths: list[str] = field(default_factory=list)
    bodies: list[Any] = field(default_factory=list)
    port: int = 0

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}/v1"

    def answer(self, status: int, body: Any, headers: dict[str, str] | None = None) -> None:
        self.script.append((status, headers or {}, body))


@pytest.fixture
def server() -> Iterator[ScriptedServer]:
    scripted = ScriptedServer()

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            length = int(self.headers.get("content-length", 0))
            scripted.paths.append(self.path)
            scripted.bodies.append(json.loads(self.rfile.read(length)))
            status, headers, body = scripted.script.pop(0)
            content = json.dumps(body).encode()
            self.send_response(status)
            self.send_header("content-type", "application/json")
            self.send_header("content-length", str(len(content)))
            for name, value in headers.items():
                self.send_header(name, value)
            self.end_headers()
            self.wfile.write(content)

        def log_message(self, format: str, *args: Any) -> None:
            pass

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    scripted.port = httpd.server_address[1]
    thread = threading.Thread(target=httpd.serve_forever, args=(0.05,), daemon=True)
    thread.start()
    yield scripted
    httpd.shutdown()
    httpd.server_close()
    thread.join(timeout=5)
    assert not scripted.script, "scripted responses were never requested"


async def complete(
    server: ScriptedServer, retry: RetryPolicy = DEFAULT_RETRY, **options: Any
) -> str:
    async with asyncio.timeout(GUARD), httpx.AsyncClient() as client:
        provider = OpenAIChatProvider(
            "scripted", base_url=server.base_url, http_client=client, retry=retry, **options
        )
        response = await provider.complete(ModelRequest([UserMessage("hi")]))
    return response.turn.text


async def test_rate_limit_is_retried_after_retry_after(
    server: ScriptedServer, caplog: pytest.LogCaptureFixture
) -> None:
    """A 429 with Retry-After: 1 is retried once after 1 s, then the 200 is the answer."""
    server.answer(429, {"error": {"message": "Rate limit reached"}}, {"Retry-After": "1"})
    server.answer(200, COMPLETION)
    with caplog.at_level(logging.WARNING, logger="switchboard"):
        assert await complete(server) == "done"
    assert server.paths == ["/v1/chat/completions", "/v1/chat/completions"]
    [warning] = [r for r in caplog.records if r.name == "switchboard"]
    assert "Rate limit reached" in warning.getMessage()
    assert "retrying in 1.00 s (try 2 of 4)" in warning.getMessage()


async def test_server_errors_are_retried_until_success(server: ScriptedServer) -> None:
    """Three 500s then a 200 succeed within DEFAULT_RETRY's four tries."""
    for _ in range(3):
        server.answer(500, {"error": {"message": "overloaded"}})
    server.answer(200, COMPLETION)
    assert await complete(server, FAST_DEFAULT) == "done"
    assert len(server.bodies) == 4
    assert all(body == server.bodies[0] for body in server.bodies)


async def test_server_errors_past_the_tries_raise_unavailable(server: ScriptedServer) -> None:
    """Four 500s exhaust DEFAULT_RETRY's tries: ProviderUnavailableError after four requests."""
    for _ in range(4):
        server.answer(500, {"error": {"message": "overloaded"}})
    with pytest.raises(ProviderUnavailableError, match="overloaded") as raised:
        await complete(server, FAST_DEFAULT)
    assert raised.value.status_code == 500
    assert len(server.bodies) == 4


async def test_bad_request_is_not_retried(server: ScriptedServer) -> None:
    """A 400 is sent once and raises ProviderRequestError with the server's message."""
    message = "Invalid 'messages[0].role': unknown role 'robot'."
    server.answer(400, {"error": {"message": message, "type": "invalid_request_error"}})
    with pytest.raises(ProviderRequestError) as raised:
        await complete(server)
    assert raised.value.message == message
    assert raised.value.status_code == 400
    assert len(server.bodies) == 1


def test_missing_key_raises_before_any_request(
    server: ScriptedServer, monkeypatch: pytest.MonkeyPatch
) -> None:
    """No key and no base_url raises ConfigurationError naming OPENAI_API_KEY, sending nothing."""
    monkeypatch.delenv("OPENAI_API_KEY", raising=False)
    # Were a client built anyway, the SDK would send to this server.
    monkeypatch.setenv("OPENAI_BASE_URL", server.base_url)
    with pytest.raises(ConfigurationError, match="OPENAI_API_KEY"):
        OpenAIChatProvider("gpt-4o")
    assert server.paths == []


@pytest.mark.parametrize(
    "headers", [{"Retry-After": "3600"}, {"retry-after-ms": "3600000"}], ids=["seconds", "ms"]
)
async def test_retry_after_past_max_retry_wait_fails_at_once(
    server: ScriptedServer, headers: dict[str, str]
) -> None:
    """A 429 asking for an hour raises the rate-limit error, naming max_retry_wait, unretried."""
    server.answer(429, {"error": {"message": "Rate limit reached"}}, headers)
    with pytest.raises(ProviderRateLimitError, match=r"max_retry_wait=60 s") as raised:
        await complete(server)
    assert "Rate limit reached" in raised.value.message
    assert raised.value.retry_after == 3600
    assert len(server.bodies) == 1


async def test_retry_after_past_a_lowered_max_retry_wait_fails_at_once(
    server: ScriptedServer,
) -> None:
    """Retry-After: 0.05 with max_retry_wait=0.01 fails with the 429's error after one request."""
    server.answer(429, {"error": {"message": "Rate limit reached"}}, {"Retry-After": "0.05"})
    with pytest.raises(ProviderRateLimitError, match=r"max_retry_wait=0\.01 s"):
        await complete(server, FAST_DEFAULT, max_retry_wait=0.01)
    assert len(server.bodies) == 1


async def test_retry_after_within_a_raised_max_retry_wait_is_waited_for(
    server: ScriptedServer,
) -> None:
    """Retry-After: 0.05 with max_retry_wait=1 is waited for, and the retry answers."""
    server.answer(429, {"error": {"message": "Rate limit reached"}}, {"Retry-After": "0.05"})
    server.answer(200, COMPLETION)
    assert await complete(server, FAST_DEFAULT, max_retry_wait=1) == "done"
    assert len(server.bodies) == 2
