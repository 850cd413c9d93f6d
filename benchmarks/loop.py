"""Cost of the tool loop per call with no model: switchboard's Agent against execute and peers.

Workload: a run of ``TURNS`` scripted model replies of ``CALLS`` calls each to the trivial async
tool ``add(a, b)`` (every call its own id and arguments, ``{"a": i, "b": j}`` as JSON text),
then a text answer: 50 calls in 11 model requests. Every subject gets the same calls. The model
costs next to nothing: each library's model hands back replies built before the clock starts.
A figure is microseconds per call for whole runs (run time / calls), so it holds the loop's own
work (requests, guards, history, results) as well as running the calls.

* ``execute``: the same calls as the same batches of ``CALLS`` through
  ``await toolbox.execute(batch)``, with no loop: what the calls cost alone (the floor).
* ``switchboard``: ``await agent.run(prompt)``, the model a ``ScriptedModel`` whose function
  returns the prebuilt ``ModelResponse`` of each turn, keeping one request
  (``max_recorded=1``): the peers' models keep none.
* ``switchboard_recorded``: the same with ``ScriptedModel``'s default record of its latest
  1,000 requests, each holding its conversation: a heap that slows everything in the
  process a little (the collector, the caches), which is the test model's, not the loop's.
* ``openai_agents``: ``await Runner.run(agent, prompt, max_turns=..., run_config=
  RunConfig(tracing_disabled=True))``, the model a ``Model`` whose ``get_response`` returns the
  prebuilt ``ModelResponse`` of each turn (function calls, then a message).
* ``pydantic_ai``: ``await agent.run(prompt)``, the model a ``FunctionModel`` returning the
  prebuilt ``ModelResponse`` of each turn (``ToolCallPart``s, then a ``TextPart``).

``loop_over_execute`` is switchboard's figure over ``execute``'s (target: at most 1.5), and
``recorded_loop_over_execute`` ``switchboard_recorded``'s. A long
run (``LONG_TURNS`` turns, 500 calls) shows the loop's cost per call does not grow with the run.
``scripted_model_mib_per_1000_runs``: how much more memory a ``ScriptedModel`` holds after
1,000 more runs of the workload, once it has run 1,000 (tracemalloc, after a collection):
bounded as shipped (``max_recorded=1000``), and with ``max_recorded=None`` (every request
kept, as before the bound).

Method: the switchboard subjects run in one fresh interpreter, each peer in its own
(``multiprocessing`` "spawn"), so no library's imports or heap weigh on another's. Every
subject runs ``WARMUP_RUNS`` untimed runs first and is checked (50 calls ran, the answer came
back). A sample is ``RUNS`` runs back to back after a ``gc.collect()`` (the collector stays on,
as in real use); switchboard's two subjects take turns sample by sample, and a figure is the
best of ``REPEATS`` samples (every subject alike). Output: one JSON line on stdout.
Run: ``.venv/bin/python benchmarks/loop.py``.
"""

from __future__ import annotations

import asyncio
import gc
import json
import platform
import sys
import time
import tracemalloc
from collections.abc import Awaitable, Callable
from concurrent.futures import ProcessPoolExecutor
from importlib import metadata
from multiprocessing import get_context
from typing import Any

TURNS = 10
CALLS = 5
LONG_TURNS = 100
RUNS = {
    "switchboard": 200,
    "switchboard_recorded": 200,
    "execute": 200,
    "openai_agents": 3,
    "pydantic_ai": 3,
}
"""Runs per sample: the peers' runs take tens of milliseconds each."""
REPEATS = 7
WARMUP_RUNS = 3
MEMORY_RUNS = 1_000
MAX_LOOP_OVER_EXECUTE = 1.5
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


def script(turns: int) -> list[list[tuple[str, str]]]:
    """The calls of each turn, as (id, arguments) pairs."""
    return [
        [(f"c{t}_{i}", json.dumps({"a": t * CALLS + i, "b": i})) for i in range(CALLS)]
        for t in range(turns)
    ]


def cycled(replies: list[Any]) -> Callable[..., Any]:
    """A function that returns the replies in turn, starting over after the last."""
    position = 0

    def reply(*_: Any, **__: Any) -> Any:
        nonlocal position
        value = replies[position]
        position = (position + 1) % len(replies)
        return value

    return reply


def switchboard_subjects(turns: int) -> dict[str, Callable[[], Awaitable[object]]]:
    """``execute``, ``switchboard`` and ``switchboard_recorded`` on ``turns`` turns."""
    from switchboard import Agent, ModelResponse, ScriptedModel, Toolbox, ToolCall, Usage
    from switchboard.messages import AssistantTurn

    toolbox = Toolbox([add])
    batches = [[ToolCall(i, "add", arguments) for i, arguments in turn] for turn in script(turns)]
    responses = [
        ModelResponse(AssistantTurn(tool_calls=tuple(batch)), Usage(requests=1), "tool_calls")
        for batch in batches
    ]
    responses.append(ModelResponse(AssistantTurn(ANSWER), Usage(requests=1), "answer"))
    agent = Agent(
        ScriptedModel(cycled(responses), max_recorded=1),
        tools=toolbox,
        max_iterations=turns + 1,
    )
    recorded = Agent(ScriptedModel(cycled(responses)), tools=toolbox, max_iterations=turns + 1)

    async def execute() -> object:
        for batch in batches:
            await toolbox.execute(batch)
        return ANSWER

    async def loop() -> object:
        return (await agent.run(PROMPT)).output

    async def recorded_loop() -> object:
        return (await recorded.run(PROMPT)).output

    return {"execute": execute, "switchboard": loop, "switchboard_recorded": recorded_loop}


def openai_agents_subject(turns: int) -> Callable[[], Awaitable[object]]:
    """``Runner.run`` with a model that returns prebuilt responses."""
    from agents import Agent, ModelResponse, RunConfig, Runner, Usage, function_tool
    from agents.models.interface import Model
    from openai.types.responses import (
        ResponseFunctionToolCall,
        ResponseOutputMessage,
        ResponseOutputText,
    )

    responses = [
        ModelResponse(
            output=[
                ResponseFunctionToolCall(
                    arguments=arguments, call_id=i, name="add", type="function_call", id=i
                )
                for i, arguments in turn
            ],
            usage=Usage(requests=1),
            response_id=None,
        )
        for turn in script(turns)
    ]
    text = ResponseOutputText(text=ANSWER, type="output_text", annotations=[])
    message = ResponseOutputMessage(
        id="m", content=[text], role="assistant", status="completed", type="message"
    )
    responses.append(ModelResponse(output=[message], usage=Usage(requests=1), response_id=None))
    reply = cycled(responses)

    class Scripted(Model):
        async def get_response(self, *args: Any, **kwargs: Any) -> Any:
            return reply()

        def stream_response(self, *args: Any, **kwargs: Any) -> Any:
            raise NotImplementedError

    agent = Agent(name="adder", tools=[function_tool(add)], model=Scripted())
    config = RunConfig(tracing_disabled=True)

    async def run() -> object:
        result = await Runner.run(agent, PROMPT, max_turns=turns + 1, run_config=config)
        return result.final_output

    return run


def pydantic_ai_subject(turns: int) -> Callable[[], Awaitable[object]]:
    """``Agent.run`` with a ``FunctionModel`` that returns prebuilt responses."""
    from pydantic_ai import Agent
    from pydantic_ai.messages import ModelResponse, TextPart, ToolCallPart
    from pydantic_ai.models.function import FunctionModel

    responses = [
        ModelResponse(
            parts=[
                ToolCallPart(tool_name="add", args=arguments, tool_call_id=i)
                for i, arguments in turn
            ]
        )
        for turn in script(turns)
    ]
    responses.append(ModelResponse(parts=[TextPart(ANSWER)]))
    agent = Agent(FunctionModel(cycled(responses)), tools=[add])

    async def run() -> object:
        return (await agent.run(PROMPT)).output

    return run


PEERS: dict[str, tuple[str, Callable[[int], Callable[[], Awaitable[object]]]]] = {
    "openai_agents": ("openai-agents", openai_agents_subject),
    "pydantic_ai": ("pydantic-ai-slim", pydantic_ai_subject),
}


async def checked(name: str, subject: Callable[[], Awaitable[object]], calls: int) -> None:
    """Run the subject untimed; fail unless every call ran and the answer came back."""
    global ran
    for _ in range(WARMUP_RUNS):
        ran = 0
        output = await subject()
        if ran != calls or output != ANSWER:
            msg = f"{name}: {ran} of {calls} calls ran, output {output!r}"
            raise RuntimeError(msg)


async def sample_us(subject: Callable[[], Awaitable[object]], runs: int, calls: int) -> float:
    """Microseconds per call over ``runs`` runs back to back."""
    gc.collect()
    start = time.perf_counter_ns()
    for _ in range(runs):
        await subject()
    return (time.perf_counter_ns() - start) / runs / calls / 1e3


async def measure_switchboard(turns: int) -> dict[str, float]:
    """Best µs per call of ``execute`` and ``switchboard``, their samples interleaved."""
    subjects = switchboard_subjects(turns)
    calls = turns * CALLS
    for name, subject in subjects.items():
        await checked(name, subject, calls)
    best = dict.fromkeys(subjects, float("inf"))
    for _ in range(REPEATS):
        for name, subject in subjects.items():
            runs = max(1, RUNS[name] * TURNS // turns)
            best[name] = min(best[name], await sample_us(subject, runs, calls))
    return best


def scripted_model_mib(max_recorded: int | None) -> float:
    """MiB a ScriptedModel reused for MEMORY_RUNS runs holds on to."""
    from switchboard import Agent, ScriptedModel, Toolbox, ToolCall

    batches = [[ToolCall(i, "add", arguments) for i, arguments in turn] for turn in script(TURNS)]
    model = ScriptedModel(cycled([*batches, ANSWER]), max_recorded=max_recorded)
    agent = Agent(model, tools=Toolbox([add]), max_iterations=TURNS + 1)

    async def grown() -> int:
        for _ in range(MEMORY_RUNS):  # fills the bounded record: from here on it holds steady
            await agent.run(PROMPT)
        gc.collect()
        before = tracemalloc.get_traced_memory()[0]
        for _ in range(MEMORY_RUNS):
            await agent.run(PROMPT)
        gc.collect()
        return tracemalloc.get_traced_memory()[0] - before

    tracemalloc.start()
    try:
        size = asyncio.run(grown())
    finally:
        tracemalloc.stop()
    return round(size / 2**20 * 1_000 / MEMORY_RUNS, 2)


def switchboard_figures() -> dict[str, Any]:
    """Everything measured of switchboard, in this (fresh) interpreter."""
    short = asyncio.run(measure_switchboard(TURNS))
    long = asyncio.run(measure_switchboard(LONG_TURNS))
    return {
        "per_call_us": {name: round(value, 2) for name, value in short.items()},
        "loop_over_execute": round(short["switchboard"] / short["execute"], 2),
        "recorded_loop_over_execute": round(short["switchboard_recorded"] / short["execute"], 2),
        "long_run_per_call_us": {name: round(value, 2) for name, value in long.items()},
        "long_run_loop_over_execute": round(long["switchboard"] / long["execute"], 2),
        "scripted_model_mib_per_1000_runs": {
            "default": scripted_model_mib(1_000),
            "max_recorded_none": scripted_model_mib(None),
        },
        "version": metadata.version("switchboard"),
    }


def peer_figures(peer: str) -> dict[str, Any]:
    """A peer's best µs per call, in this (fresh) interpreter."""
    distribution, factory = PEERS[peer]
    subject = factory(TURNS)
    calls = TURNS * CALLS

    async def measure() -> float:
        await checked(peer, subject, calls)
        return min([await sample_us(subject, RUNS[peer], calls) for _ in range(REPEATS)])

    figure = round(asyncio.run(measure()), 1)
    return {"per_call_us": figure, "version": metadata.version(distribution)}


def in_fresh_interpreter(work: Callable[..., dict[str, Any]], *args: Any) -> dict[str, Any]:
    """Run ``work(*args)`` in a new interpreter; an error is reported, not raised."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        try:
            return pool.submit(work, *args).result()
        except Exception as e:  # a peer that fails is reported; the others still run
            return {"error": repr(e)}


def main() -> None:
    """Measure every subject and print one JSON line."""
    print("loop: switchboard", file=sys.stderr, flush=True)
    figures: dict[str, Any] = {"switchboard": in_fresh_interpreter(switchboard_figures)}
    for peer in PEERS:
        print(f"loop: {peer}", file=sys.stderr, flush=True)
        figures[peer] = in_fresh_interpreter(peer_figures, peer)
    ours = figures["switchboard"]
    if "error" not in ours:
        loop = ours["per_call_us"]["switchboard"]
        peers = [figures[peer]["per_call_us"] for peer in PEERS if "error" not in figures[peer]]
        if peers:
            figures["fastest_peer_over_switchboard"] = round(min(peers) / loop, 1)
        figures["met"] = {"loop_over_execute": ours["loop_over_execute"] <= MAX_LOOP_OVER_EXECUTE}
    figures["workload"] = {"turns": TURNS, "calls_per_turn": CALLS, "long_turns": LONG_TURNS}
    figures["python"] = platform.python_version()
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
