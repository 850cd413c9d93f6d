"""Shared by the provider tests: the recorded payloads, and an SDK HTTP layer that serves them."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx2
import pytest

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"


def fixture_path(relative: str) -> Path:
    """The recorded payload at ``relative`` under tests/fixtures (fails if it is missing)."""
    path = FIXTURES / relative
    assert path.is_file(), f"missing fixture {path}"
    return path


@dataclass
class Replay:
    """An httpx2 transport (the SDKs' HTTP layer) answering with the queued responses.

    Every request the SDK sends is kept in ``requests`` (with its JSON body in
    ``bodies``), so tests can assert on exactly what went over the wire.
    """

    responses: list[httpx2.Response] = field(default_factory=list[httpx2.Response])
    requests: list[httpx2.Request] = field(default_factory=list[httpx2.Request])

    @property
    def bodies(self) -> list[Any]:
        return [json.loads(request.content) for request in self.requests]

    def queue_json(
        self, body: Any, status: int = 200, headers: dict[str, str] | None = None
    ) -> None:
        self.responses.append(httpx2.Response(status, json=body, headers=headers))

    def queue_bytes(self, content: bytes, content_type: str, status: int = 200) -> None:
        self.responses.append(
            httpx2.Response(status, content=content, headers={"content-type": content_type})
        )

    def handle(self, request: httpx2.Request) -> httpx2.Response:
        self.requests.append(request)
        assert self.responses, f"unexpected request {request.method} {request.url}"
        return self.responses.pop(0)

    def client(self) -> httpx2.AsyncClient:
        return httpx2.AsyncClient(transport=httpx2.MockTransport(self.handle))


@pytest.fixture
def replay() -> Iterator[Replay]:
    served = Replay()
    yield served
    assert not served.responses, "queued responses were never requested"


ReplayFactory = Callable[[], Replay]
