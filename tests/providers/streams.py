"""Shared by the provider stream tests: recorded streams as the bytes an API sends."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Sequence
from pathlib import Path
from typing import Any

import httpx2

from switchboard.streaming import StreamEvent, TextDelta, ToolCallCut, ToolCallReady, TurnEnd

from .conftest import FIXTURES, Replay, fixture_path

EXPECTED: dict[str, Any] = json.loads((FIXTURES / "EXPECTED.json").read_text())


def stream_fixtures(folder: str) -> list[str]:
    """Every stream fixture of ``folder`` (text-only ones included), relative to FIXTURES."""
    root = FIXTURES / folder
    paths = [
        path
        for pattern in ("*.bin", "*.txt", "text-only/*.bin", "text-only/*.txt")
        for path in root.glob(pattern)
    ]
    return sorted(str(path.relative_to(FIXTURES)) for path in paths)


# EXPECTED.json gives call_79382389 for this fixture, an id found nowhere else; the bytes
# recorded and Vercel's own snapshot (expected/vercel-xai.snap) both say call_55117580.
ERRATA: dict[tuple[str, int], dict[str, Any]] = {
    ("openai-chat/vercel-xai-tool-call.chunks.txt", 0): {"id": "call_55117580"},
}


def expected_calls(name: str) -> list[dict[str, Any]]:
    """The calls EXPECTED.json lists for fixture ``name`` (none for text-only ones)."""
    if "/text-only/" in name:
        return []
    calls: list[dict[str, Any]] = EXPECTED[name]["tool_calls"]
    return [{**call, **ERRATA.get((name, i), {})} for i, call in enumerate(calls)]


def sse_lines(lines: Sequence[str], *, named: bool) -> bytes:
    """JSON events (one per line) framed as SSE, as the API sends them.

    ``named`` adds the ``event:`` line that Anthropic's and the Responses API's streams carry.
    """
    out: list[str] = []
    for line in lines:
        if named:
            out.append(f"event: {json.loads(line)['type']}\n")
        out.append(f"data: {line}\n\n")
    return "".join(out).encode()


def recorded_bytes(name: str, *, named: bool = False) -> bytes:
    """The stream ``name`` as bytes on the wire: SSE recordings as they are, JSONL ones framed."""
    path: Path = fixture_path(name)
    if not name.endswith(".chunks.txt"):
        return path.read_bytes()
    lines = [line for line in path.read_text().splitlines() if line.strip()]
    return sse_lines(lines, named=named)


def recorded_streams(name: str) -> list[list[str]]:
    """The Responses API replies in ``name`` (some files hold several), each as its event lines."""
    streams: list[list[str]] = []
    for line in fixture_path(name).read_text().splitlines():
        if not line.strip():
            continue
        if json.loads(line)["type"] == "response.created":
            streams.append([])
        streams[-1].append(line)
    return streams


def queue_pieces(replay: Replay, content: bytes, size: int) -> None:
    """Queue ``content`` as an event stream delivered ``size`` bytes at a time."""

    async def pieces() -> AsyncIterator[bytes]:
        for start in range(0, len(content), size):
            yield content[start : start + size]

    replay.responses.append(
        httpx2.Response(200, content=pieces(), headers={"content-type": "text/event-stream"})
    )


def ready_calls(events: Sequence[StreamEvent]) -> list[tuple[str, str, Any]]:
    """(id, name, arguments) of every `ToolCallReady`, in order."""
    return [
        (e.call.id, e.call.name, e.call.arguments) for e in events if isinstance(e, ToolCallReady)
    ]


def cut_calls(events: Sequence[StreamEvent]) -> list[ToolCallCut]:
    """Every `ToolCallCut`, in order."""
    return [e for e in events if isinstance(e, ToolCallCut)]


def streamed_text(events: Sequence[StreamEvent]) -> str:
    """The text deltas joined."""
    return "".join(e.text for e in events if isinstance(e, TextDelta))


def turn_end(events: Sequence[StreamEvent]) -> TurnEnd:
    """The last event, which must be the `TurnEnd`."""
    last = events[-1]
    assert isinstance(last, TurnEnd)
    return last
