"""What tracing costs the tool loop: the scripted-model run of ``loop.py``, traced and not.

Workload (as ``benchmarks/loop.py``): a run of ``TURNS`` scripted replies of ``CALLS`` calls
each to the trivial async tool ``add(a, b)``, then a text answer: 50 calls in 11 model
requests, the replies built before the clock starts. A figure is microseconds per call for
whole runs (run time / calls). Subjects, on the same script:

* ``off``: ``Agent(...)``, no instrumentation (the default): what every untraced run costs.
* ``api_only``: ``Agent(..., instrument=True)`` with no OpenTelemetry SDK set up (a library
  that turns tracing on, in an application that does not set it up): nothing would receive
  the spans, so the run is not traced; it should cost what ``off`` costs.
* ``sdk``: ``instrument=InstrumentationSettings(tracer_provider=TracerProvider(),
  meter_provider=MeterProvider())`` of the SDK, no exporter: every span and metric is built and
  recorded (62 spans a run: 1 run, 11 requests, 50 calls), nothing is sent.
  A real exporter's cost (a batch processor's queue, the network) comes on top.

Method: one interpreter; every subject runs ``WARMUP_RUNS`` untimed runs first, checked (50
calls ran, the answer came back). A sample is ``RUNS`` runs back to back after a
``gc.collect()``; the subjects take turns sample by sample, and a figure is the best of
``REPEATS`` samples (every subject alike). Output: one JSON line on stdout.
Run: ``.venv/bin/python benchmarks/tracing.py``.
"""

from __future__ import annotations

import asyncio
import gc
import json
import platform
import time
from collections.abc import Awaitable, Callable
from importlib import metadata
from typing import Any

from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider

from switchboard import (
    Agent,
    AssistantTurn,
    InstrumentationSettings,
    ModelResponse,
    ScriptedModel,
    Toolbox,
    ToolCall,
    Usage,
)

TURNS = 10
CALLS = 5
RUNS = 100
REPEATS = 9
WARMUP_RUNS = 3
PROMPT = "Add the numbers."
ANSWER = "Done."

ran = 0  # calls of add, checked after the warm-up


async def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: The first addend.
        b: The second addend.
    """
    global ran
    ran += 1
    return a + b


def responses() -> list[ModelResponse]:
    """The replies of one run: ``TURNS`` turns of ``CALLS`` calls, then the answer."""
    replies = [
        ModelResponse(
            AssistantTurn(
                tool_calls=tuple(
                    ToolCall(f"c{t}_{i}", "add", json.dumps({"a": t * CALLS + i, "b": i}))
                    for i in range(CALLS)
                )
            ),
            Usage(requests=1),
            "tool_calls",
        )
        for t in range(TURNS)
    ]
    replies.append(ModelResponse(AssistantTurn(ANSWER), Usage(requests=1), "answer"))
    return replies


def subject(instrument: bool | InstrumentationSettings) -> Callable[[], Awaitable[object]]:
    """One run of the workload by an agent with ``instrument``."""
    replies = responses()
    position = 0

    def reply(*_: Any) -> ModelResponse:
        nonlocal position
        value = replies[position]
        position = (position + 1) % len(replies)
        return value

    agent = Agent(
        ScriptedModel(reply), tools=Toolbox([add]), max_iterations=TURNS + 1, instrument=instrument
    )

    async def run() -> object:
        return (await agent.run(PROMPT)).output

    return run


async def checked(name: str, run: Callable[[], Awaitable[object]]) -> None:
    """Run the subject untimed; fail unless every call ran and the answer came back."""
    global ran
    for _ in range(WARMUP_RUNS):
        ran = 0
        output = await run()
        if ran != TURNS * CALLS or output != ANSWER:
            msg = f"{name}: {ran} of {TURNS * CALLS} calls ran, output {output!r}"
            raise RuntimeError(msg)


async def sample_us(run: Callable[[], Awaitable[object]]) -> float:
    """Microseconds per call over ``RUNS`` runs back to back."""
    gc.collect()
    start = time.perf_counter_ns()
    for _ in range(RUNS):
        await run()
    return (time.perf_counter_ns() - start) / RUNS / (TURNS * CALLS) / 1e3


async def measure() -> dict[str, float]:
    sdk = InstrumentationSettings(tracer_provider=TracerProvider(), meter_provider=MeterProvider())
    subjects = {"off": subject(False), "api_only": subject(True), "sdk": subject(sdk)}
    for name, run in subjects.items():
        await checked(name, run)
    best = dict.fromkeys(subjects, float("inf"))
    for _ in range(REPEATS):
        for name, run in subjects.items():
            best[name] = min(best[name], await sample_us(run))
    return best


def main() -> None:
    """Measure every subject and print one JSON line."""
    best = asyncio.run(measure())
    figures = {
        "benchmark": "tracing",
        "unit": "us_per_call",
        "per_call_us": {name: round(value, 2) for name, value in best.items()},
        "over_off": {name: round(value / best["off"], 2) for name, value in best.items()},
        "workload": {"turns": TURNS, "calls_per_turn": CALLS},
        "versions": {
            "switchboard": metadata.version("switchboard"),
            "opentelemetry-sdk": metadata.version("opentelemetry-sdk"),
        },
        "python": platform.python_version(),
    }
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
