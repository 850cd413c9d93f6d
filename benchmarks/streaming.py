"""Cost of reading one streamed tool call with live partial arguments, against its peers.

Workload: one call whose JSON arguments are about 100 KB (a list of records with strings and
numbers), streamed as Chat Completions chunks in 1,000, 4,000 and 16,000 fragments of equal
size. Every chunk object is built before the clock starts, as the SDK's stream parser would
hand it over; each subject reads the same chunks and keeps the arguments parsed so far up to
date after every fragment (partial parsing on).

* ``switchboard``: ``ChatStreamReader(partial_args=True)`` (the adapter's own reader behind
  ``OpenAIChatProvider.stream``): ``read`` per chunk, which emits a ``ToolCallDelta`` with
  ``partial_args``, then ``finish``, which yields the ``ToolCallReady`` and the
  ``TurnEnd`` with the whole reply. Partial arguments are re-parsed at geometrically spaced
  sizes (see ``switchboard.streaming.ArgumentBuffer``).
* ``openai_stream_state``: the openai SDK's ``ChatCompletionStreamState`` with the tool
  declared ``strict`` (so it parses the arguments), ``handle_chunk`` per chunk: it re-parses
  the whole argument buffer with ``jiter.from_json(partial_mode=True)`` on every chunk.
* ``switchboard_core``: the same call fed as raw fragments (strings, no chunk objects) to
  ``TurnAccumulator(partial_args=True)``, the provider-neutral core every adapter drives:
  ``open_call``, ``add_fragment`` per fragment (a ``ToolCallDelta`` with ``partial_args``
  each), ``close_call``.
* ``pydantic_core_reparse``: the raw fragments accumulated with ``+=`` and the text re-parsed
  whole with ``pydantic_core.from_json(allow_partial=True)`` after every fragment: the plain
  way, given the same input as ``switchboard_core``.

Each peer is compared with the switchboard subject that reads the same input: the SDK's
stream state with ``switchboard`` (chunks), the plain re-parse with ``switchboard_core``
(fragments). Targets: switchboard's times grow linearly (16x the fragments: at most 20x the
time) and each is at least 100x faster than its peer at 16,000 fragments. Figures are the best of
``REPEATS`` runs, in milliseconds. Run: ``.venv/bin/python benchmarks/streaming.py``.
"""

from __future__ import annotations

import itertools
import json
import time
from collections.abc import Callable, Sequence
from typing import Any

import pydantic_core
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletionChunk

from switchboard.providers.openai_chat.stream import ChatStreamReader
from switchboard.streaming import TurnAccumulator

FRAGMENTS = (1_000, 4_000, 16_000)
REPEATS = {
    "switchboard": 7,
    "switchboard_core": 7,
    "openai_stream_state": 2,
    "pydantic_core_reparse": 2,
}
"""Runs per subject and size, the best one kept: the peers' runs take seconds each."""
TOOL: Any = {
    "type": "function",
    "function": {
        "name": "save_rows",
        "strict": True,
        "parameters": {
            "type": "object",
            "properties": {
                "rows": {
                    "type": "array",
                    "items": {
                        "type": "object",
                        "properties": {
                            "id": {"type": "integer"},
                            "name": {"type": "string"},
                            "score": {"type": "number"},
                        },
                        "required": ["id", "name", "score"],
                        "additionalProperties": False,
                    },
                }
            },
            "required": ["rows"],
            "additionalProperties": False,
        },
    },
}


def arguments(size: int = 100_000) -> str:
    """JSON arguments of about ``size`` characters."""
    rows: list[dict[str, Any]] = []
    text = ""
    while len(text) < size:
        i = len(rows)
        rows.append({"id": i, "name": f"row {i} of the streamed table", "score": i * 0.5})
        if i % 64 == 0:
            text = json.dumps({"rows": rows})
    return json.dumps({"rows": rows})


def split(text: str, parts: int) -> list[str]:
    """``text`` in exactly ``parts`` fragments of (nearly) equal size."""
    bounds = [len(text) * i // parts for i in range(parts + 1)]
    return [text[a:b] for a, b in itertools.pairwise(bounds)]


def chunks(fragments: Sequence[str]) -> list[ChatCompletionChunk]:
    """The stream's chunks: the call's header with the first fragment, the rest, the finish."""
    made: list[ChatCompletionChunk] = []
    for i, fragment in enumerate(fragments):
        call: dict[str, Any] = {"index": 0, "function": {"arguments": fragment}}
        if i == 0:
            call.update(id="call_1", type="function")
            call["function"]["name"] = "save_rows"
        made.append(_chunk({"tool_calls": [call]}, None))
    made.append(_chunk({}, "tool_calls"))
    return made


def _chunk(delta: dict[str, Any], finish: str | None) -> ChatCompletionChunk:
    return ChatCompletionChunk.model_validate(
        {
            "id": "chatcmpl-1",
            "object": "chat.completion.chunk",
            "created": 0,
            "model": "gpt-4o",
            "choices": [{"index": 0, "delta": delta, "finish_reason": finish}],
        }
    )


def switchboard(stream: Sequence[ChatCompletionChunk], fragments: Sequence[str]) -> Any:
    reader = ChatStreamReader(partial_args=True)
    for chunk in stream:
        reader.read(chunk)
    return reader.finish()[-1]


def switchboard_core(stream: Sequence[ChatCompletionChunk], fragments: Sequence[str]) -> Any:
    turn = TurnAccumulator(partial_args=True)
    turn.open_call(0, "call_1", "save_rows")
    for fragment in fragments:
        turn.add_fragment(0, fragment)
    return turn.close_call(0)


def openai_stream_state(stream: Sequence[ChatCompletionChunk], fragments: Sequence[str]) -> Any:
    state: ChatCompletionStreamState[Any] = ChatCompletionStreamState(input_tools=[TOOL])
    for chunk in stream:
        state.handle_chunk(chunk)
    return state.get_final_completion()


def pydantic_core_reparse(stream: Sequence[ChatCompletionChunk], fragments: Sequence[str]) -> Any:
    buffer = ""
    value: Any = None
    for fragment in fragments:
        buffer += fragment
        value = pydantic_core.from_json(buffer, allow_partial=True)
    return value


Subject = Callable[[Sequence[ChatCompletionChunk], Sequence[str]], Any]


def best_ms(
    subject: Subject, stream: Sequence[ChatCompletionChunk], fragments: list[str], repeats: int
) -> float:
    best = float("inf")
    for _ in range(repeats):
        started = time.perf_counter()
        subject(stream, fragments)
        best = min(best, time.perf_counter() - started)
    return round(best * 1000, 3)


def main() -> None:
    text = arguments()
    subjects: dict[str, Subject] = {
        "switchboard": switchboard,
        "switchboard_core": switchboard_core,
        "openai_stream_state": openai_stream_state,
        "pydantic_core_reparse": pydantic_core_reparse,
    }
    figures: dict[str, dict[str, float]] = {name: {} for name in subjects}
    for parts in FRAGMENTS:
        fragments = split(text, parts)
        stream = chunks(fragments)
        for name, subject in subjects.items():
            figures[name][str(parts)] = best_ms(subject, stream, fragments, REPEATS[name])
    top, bottom = str(FRAGMENTS[-1]), str(FRAGMENTS[0])

    def growth(name: str) -> float:
        return round(figures[name][top] / figures[name][bottom], 2)

    def over(peer: str, ours: str) -> float:
        return round(figures[peer][top] / figures[ours][top], 1)

    result = {
        "benchmark": "streaming",
        "argument_chars": len(text),
        "fragments": list(FRAGMENTS),
        "ms": figures,
        "growth_16x": {name: growth(name) for name in subjects},
        "openai_stream_state_over_switchboard": over("openai_stream_state", "switchboard"),
        "pydantic_core_reparse_over_switchboard_core": over(
            "pydantic_core_reparse", "switchboard_core"
        ),
        "pydantic_core_reparse_over_switchboard": over("pydantic_core_reparse", "switchboard"),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
