"""Cost of reading one streamed tool call with live partial arguments, against its peers.

Workload: one call whose JSON arguments are about 100 KB (a list of records with strings and
numbers), streamed as Chat Completions chunks in 1,000, 4,000 and 16,000 fragments of equal
size. Every chunk object is built before the clock starts, as the SDK's stream parser would
hand it over; each subject reads the same chunks (or the same fragments) and hands on, for every
fragment, the fragment and the arguments parsed so far.

How fresh "the arguments parsed so far" are decides the cost, so subjects are compared at equal
freshness. switchboard re-parses the whole argument text only once it has grown by ``GROWTH``
(a quarter) since the last parse (see ``switchboard.streaming.ArgumentBuffer``): about 50 parses
for the whole call, the arguments at most a fifth behind the text. Every ``*_scheduled`` and
``plain_*`` subject re-parses on exactly that schedule (`next_parse`); the ``*_per_fragment``
subjects re-parse after every fragment, as the SDKs do, and are a second comparison.

Reading chunks (what a provider adapter does):

* ``switchboard``: ``ChatStreamReader(partial_args=True)`` (the reader behind
  ``OpenAIChatProvider.stream``): ``read`` per chunk, which gives a ``ToolCallDelta`` with
  ``partial_args`` per fragment, then ``finish``, which gives the ``ToolCallReady`` and the
  ``TurnEnd`` with the whole reply.
* ``plain_chunks``: a plain loop over the chunks that assembles the same reply: the text, the
  calls by ``index`` (id and name from a call's first delta), the finish reason and the usage.
  Each fragment is appended to its call's list, the call's text joined and re-parsed with
  ``pydantic_core.from_json(allow_partial="trailing-strings")`` on the schedule, and ``(call
  id, fragment, arguments so far)`` appended to a list of events; at the end each call's whole
  text is parsed once.
* ``openai_stream_state_scheduled``: the openai SDK's ``ChatCompletionStreamState`` with the tool
  not ``strict`` (so it accumulates without parsing), ``handle_chunk`` per chunk, and on the
  schedule the SDK's own parse of the accumulated arguments (``jiter.from_json(...,
  partial_mode=True)``, as it does for strict tools); ``get_final_completion`` at the end.
* ``openai_stream_state_per_fragment``: the same stream state with the tool declared ``strict``,
  which makes it re-parse the whole argument text with that parser on every chunk.

Reading fragments (the provider-neutral core every adapter drives):

* ``switchboard_core``: ``TurnAccumulator(partial_args=True)``: ``open_call``, ``add_fragment``
  per fragment (a ``ToolCallDelta`` with ``partial_args`` each), ``close_call``.
* ``plain_fragments``: ``plain_chunks``'s loop over the fragments themselves.
* ``pydantic_core_per_fragment``: the fragments accumulated with ``+=`` and the text re-parsed
  whole with ``pydantic_core.from_json(allow_partial=True)`` after every fragment.

Targets: at equal freshness switchboard is within 1.5x of the plain loop that reads the same
input (``switchboard`` of ``plain_chunks``, ``switchboard_core`` of ``plain_fragments``), at
every size; and its time grows at most linearly: at 16x the fragments at most 16x the time.
Reported beside them: each peer over switchboard, at equal freshness and per fragment.

Method: all subjects and sizes take turns, ``REPEATS`` times over, and a figure is the best
(least) of a subject's ``REPEATS`` runs, in milliseconds; every subject gets the same number of
runs. Before the runs, the prebuilt chunks are moved out of the garbage collector's reach
(``gc.freeze``): in a real stream chunks arrive one at a time and are dropped, so no subject
should pay for the collector walking 16,000 chunks that the benchmark keeps alive. The collector
stays on for what the subjects allocate themselves, and runs (``gc.collect``) before each run.
Output: one JSON line on stdout. Run: ``.venv/bin/python benchmarks/streaming.py``.
"""

from __future__ import annotations

import gc
import itertools
import json
import math
import platform
import time
from collections.abc import Callable, Sequence
from importlib import metadata
from typing import Any

import jiter
import pydantic_core
from openai.lib.streaming.chat import ChatCompletionStreamState
from openai.types.chat import ChatCompletionChunk

from switchboard.providers.openai_chat.stream import ChatStreamReader
from switchboard.streaming import GROWTH, TurnAccumulator

FRAGMENTS = (1_000, 4_000, 16_000)
REPEATS = 5
"""Runs per subject and size, the best one kept: the same for every subject."""
MAX_OVER_PLAIN = 1.5
MAX_GROWTH_16X = 16.0

ROWS_SCHEMA: Any = {
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
}


def tool(*, strict: bool) -> Any:
    """The call's tool as the SDK's stream state is given it."""
    return {
        "type": "function",
        "function": {"name": "save_rows", "strict": strict, "parameters": ROWS_SCHEMA},
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


def next_parse(length: int) -> int:
    """The length at which switchboard parses the text again (its re-parse schedule)."""
    return length + max(1, math.ceil(GROWTH * length))


def switchboard(stream: Sequence[ChatCompletionChunk], fragments: Sequence[str]) -> Any:
    reader = ChatStreamReader(partial_args=True)
    for chunk in stream:
        reader.read(chunk)
    return reader.finish()[-1]


def plain_chunks(stream: Sequence[ChatCompletionChunk], fragments: Sequence[str]) -> Any:
    text: list[str] = []
    calls: dict[int, PlainCall] = {}
    events: list[tuple[str, str, Any]] = []
    finish_reason = usage = None
    for chunk in stream:
        if chunk.usage is not None:
            usage = chunk.usage
        for choice in chunk.choices:
            delta = choice.delta
            if delta.content:
                text.append(delta.content)
            for delta_call in delta.tool_calls or ():
                call = calls.get(delta_call.index)
                if call is None:
                    name = delta_call.function.name if delta_call.function else None
                    call = calls[delta_call.index] = PlainCall(delta_call.id or "", name or "")
                fragment = delta_call.function.arguments if delta_call.function else None
                if not fragment:
                    continue
                call.parts.append(fragment)
                call.length += len(fragment)
                if call.length >= call.due:
                    call.due = next_parse(call.length)
                    call.parts = ["".join(call.parts)]
                    call.partial = _parsed(call.parts[0], call.partial)
                events.append((call.id, fragment, call.partial))
            if choice.finish_reason is not None:
                finish_reason = choice.finish_reason
    whole = [(c.id, c.name, pydantic_core.from_json("".join(c.parts))) for c in calls.values()]
    return "".join(text), whole, finish_reason, usage


class PlainCall:
    """One call as `plain_chunks` assembles it."""

    __slots__ = ("due", "id", "length", "name", "partial", "parts")

    def __init__(self, call_id: str, name: str) -> None:
        self.id = call_id
        self.name = name
        self.parts: list[str] = []
        self.length = 0
        self.due = 1
        self.partial: Any = {}


def _parsed(text: str, last: Any) -> Any:
    try:
        value = pydantic_core.from_json(text, allow_partial="trailing-strings")
    except ValueError:
        return last
    return value if isinstance(value, dict) else last


def openai_stream_state_scheduled(
    stream: Sequence[ChatCompletionChunk], fragments: Sequence[str]
) -> Any:
    state: ChatCompletionStreamState[Any] = ChatCompletionStreamState(
        input_tools=[tool(strict=False)]
    )
    due = 1
    for chunk in stream:
        state.handle_chunk(chunk)
        calls = state.current_completion_snapshot.choices[0].message.tool_calls
        if calls and len(calls[0].function.arguments) >= due:
            function = calls[0].function
            due = next_parse(len(function.arguments))
            function.parsed_arguments = jiter.from_json(
                bytes(function.arguments, "utf-8"), partial_mode=True
            )
    return state.get_final_completion()


def openai_stream_state_per_fragment(
    stream: Sequence[ChatCompletionChunk], fragments: Sequence[str]
) -> Any:
    state: ChatCompletionStreamState[Any] = ChatCompletionStreamState(
        input_tools=[tool(strict=True)]
    )
    for chunk in stream:
        state.handle_chunk(chunk)
    return state.get_final_completion()


def switchboard_core(stream: Sequence[ChatCompletionChunk], fragments: Sequence[str]) -> Any:
    turn = TurnAccumulator(partial_args=True)
    turn.open_call(0, "call_1", "save_rows")
    for fragment in fragments:
        turn.add_fragment(0, fragment)
    return turn.close_call(0)


def plain_fragments(stream: Sequence[ChatCompletionChunk], fragments: Sequence[str]) -> Any:
    parts: list[str] = []
    length = 0
    due = 1
    partial: Any = {}
    events: list[tuple[str, str, Any]] = []
    for fragment in fragments:
        parts.append(fragment)
        length += len(fragment)
        if length >= due:
            due = next_parse(length)
            parts = ["".join(parts)]
            partial = _parsed(parts[0], partial)
        events.append(("call_1", fragment, partial))
    return pydantic_core.from_json("".join(parts))


def pydantic_core_per_fragment(
    stream: Sequence[ChatCompletionChunk], fragments: Sequence[str]
) -> Any:
    buffer = ""
    value: Any = None
    for fragment in fragments:
        buffer += fragment
        value = pydantic_core.from_json(buffer, allow_partial=True)
    return value


Subject = Callable[[Sequence[ChatCompletionChunk], Sequence[str]], Any]
SUBJECTS: dict[str, Subject] = {
    "switchboard": switchboard,
    "plain_chunks": plain_chunks,
    "openai_stream_state_scheduled": openai_stream_state_scheduled,
    "openai_stream_state_per_fragment": openai_stream_state_per_fragment,
    "switchboard_core": switchboard_core,
    "plain_fragments": plain_fragments,
    "pydantic_core_per_fragment": pydantic_core_per_fragment,
}
PAIRS = {"switchboard": "plain_chunks", "switchboard_core": "plain_fragments"}
"""Each switchboard subject and the plain loop that reads the same input."""
PEERS = {
    "switchboard": {
        "equal_freshness": "openai_stream_state_scheduled",
        "per_fragment": "openai_stream_state_per_fragment",
    },
    "switchboard_core": {"per_fragment": "pydantic_core_per_fragment"},
}


def run_ms(subject: Subject, stream: Sequence[ChatCompletionChunk], fragments: list[str]) -> float:
    gc.collect()
    started = time.perf_counter()
    subject(stream, fragments)
    return (time.perf_counter() - started) * 1000


def main() -> None:
    text = arguments()
    inputs = {parts: (chunks(split(text, parts)), split(text, parts)) for parts in FRAGMENTS}
    gc.collect()
    gc.freeze()
    runs: dict[str, dict[int, list[float]]] = {
        name: {parts: [] for parts in FRAGMENTS} for name in SUBJECTS
    }
    for _ in range(REPEATS):
        for parts, (stream, fragments) in inputs.items():
            for name, subject in SUBJECTS.items():
                runs[name][parts].append(run_ms(subject, stream, fragments))
    ms = {name: {str(p): round(min(r), 3) for p, r in by.items()} for name, by in runs.items()}
    best = {name: {p: min(r) for p, r in by.items()} for name, by in runs.items()}
    top, bottom = FRAGMENTS[-1], FRAGMENTS[0]

    over_plain = {
        ours: {str(p): round(best[ours][p] / best[plain][p], 2) for p in FRAGMENTS}
        for ours, plain in PAIRS.items()
    }
    growth = {name: round(best[name][top] / best[name][bottom], 2) for name in SUBJECTS}
    peers_over = {
        ours: {
            kind: {str(p): round(best[peer][p] / best[ours][p], 1) for p in FRAGMENTS}
            for kind, peer in by_kind.items()
        }
        for ours, by_kind in PEERS.items()
    }
    met = {
        "over_plain": all(
            best[ours][p] <= MAX_OVER_PLAIN * best[plain][p]
            for ours, plain in PAIRS.items()
            for p in FRAGMENTS
        ),
        "linear": all(best[ours][top] <= MAX_GROWTH_16X * best[ours][bottom] for ours in PAIRS),
    }
    result = {
        "benchmark": "streaming",
        "argument_chars": len(text),
        "fragments": list(FRAGMENTS),
        "growth_share": GROWTH,
        "ms": ms,
        "over_plain_same_schedule": over_plain,
        "growth_16x": growth,
        "peer_over_switchboard": peers_over,
        "targets": {"over_plain_max": MAX_OVER_PLAIN, "growth_16x_max": MAX_GROWTH_16X},
        "met": met,
        "repeats": REPEATS,
        "versions": {
            "openai": metadata.version("openai"),
            "pydantic-core": metadata.version("pydantic-core"),
            "jiter": metadata.version("jiter"),
        },
        "python": platform.python_version(),
    }
    print(json.dumps(result))


if __name__ == "__main__":
    main()
