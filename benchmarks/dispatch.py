"""Per-call cost of running a model's tool calls: switchboard against the floor and its peers.

Workload: the trivial tool ``add(a: int, b: int) -> int``, once as ``async def`` and once as a
plain ``def``, called in batches of 1, 100 and 10,000 calls. Every call has its own id and its own
arguments (``{"a": i, "b": i + 1}`` as JSON text, as a model sends it), and every subject is given
the same calls. A figure is microseconds per call for the whole path: look the tool up, parse and
validate the JSON, run the tool, and write its result as the text the model reads. With a trivial
tool, all of it is overhead.

What each subject times, per batch (the JSON output repeats this under ``subjects``). Each
library's own per-call input object (switchboard's ``ToolCall``, pydantic-ai's ``ToolCallPart``)
is built before the clock starts, as a model response would give it; so is the tool, as
``register`` is not a per-call cost. Every subject runs a batch's calls one after another, each
by its library's cheapest documented per-call path (none goes through ``asyncio.gather``, which
costs about 5 us a call of its own), and every subject ends with the text the model reads.

* ``floor``: no framework: for each call a prebuilt ``TypeAdapter(AddArguments).validate_json``
  of the JSON text (parse and validate in one pass of pydantic-core), the call (awaited for the
  async tool), and ``str()`` of its value. The targets are judged against it.
* ``floor_core``: the same with the adapter's pydantic-core ``SchemaValidator.validate_json``
  called directly (``TypeAdapter.validator``), which skips the adapter's Python wrapper: the
  cheapest plain path there is, reported for reference.
* ``switchboard``: ``await toolbox.execute(calls)`` with default settings (so its default
  ``max_concurrency``), which returns one ``ToolResult`` per call, its content the text (a
  result also carries the call's id, the value and the duration). A sync tool runs in a worker
  thread.
* ``switchboard_inline`` (sync tool only): the same, with the tool registered ``inline=True`` so
  it runs on the event loop.
* ``openai_agents``: ``str(await FunctionTool.on_invoke_tool(ctx, arguments))`` of
  ``agents.function_tool``, where ``ctx`` is a ``ToolContext(context=None, tool_name=...,
  tool_call_id=..., tool_arguments=...)`` built per call inside the timing, as the runner builds
  one per call (no agent, model or run). It parses, validates and calls. A sync tool runs in
  ``asyncio.to_thread``.
* ``openai_agents_prebuilt_context``: the same with every ``ToolContext`` built before the clock
  starts, so only ``on_invoke_tool`` is timed. Both count as peers, so the fastest-peer comparison
  takes the cheaper of the two.
* ``pydantic_ai``: ``str(await ToolManager.handle_call(ToolCallPart(...)))`` on a
  ``ToolManager`` over a ``FunctionToolset([add])``, prepared once (untimed) with
  ``for_run_step`` on a ``RunContext`` whose model is ``TestModel``: no network. ``handle_call``
  (its documented "validate, then call") resolves the tool, validates the JSON text with the
  tool's validator, runs the capability hooks and the function. A sync tool runs in a worker
  thread.
* ``langchain``: ``StructuredTool.from_function`` (``coroutine=`` or ``func=``), then
  ``str(await tool.ainvoke(json.loads(arguments)))``. It takes a dict, so ``json.loads`` is inside
  its timing. A sync-only tool runs ``invoke`` in the loop's executor.

Comparisons, from the async tool, per batch size: ``switchboard_over_floor`` is switchboard's
figure over ``floor``'s (target: at most 2), ``switchboard_over_floor_core`` the same over
``floor_core``'s (reported, no target), and ``fastest_peer_over_switchboard`` the fastest peer's
figure over switchboard's (target: at least 5). Concurrency: 1,000 calls to an async tool that
awaits ``asyncio.sleep(0.01)``, run by ``execute`` with ``max_concurrency=50``; the ideal is
1000 / 50 * 10 ms = 200 ms and the target a measured time at most 1.15 times that. For reference,
the floor's per-call work under an ``asyncio.Semaphore(50)`` and ``gather`` is timed the same way.
``met`` says whether each target was met, judged on the unrounded figures.

Method: each library is measured in a fresh interpreter (``multiprocessing`` "spawn"), so no
library's imports, caches or heap size affect another's. Within it, every variant is built and
sent a warm-up batch before its clock starts, and every warm-up result is checked (``a + b``),
so no subject is timed down an error path. A sample is ``CALLS_PER_SAMPLE`` (10,000) calls for
every batch size (10,000 batches of 1, 100 of 100 or 1 of 10,000), run back to back on one event
loop: at least 10 ms even for the floor, so timer and scheduling noise stay far below the
differences measured. A subject slow enough to take ``MIN_SAMPLE_S`` (50 ms) with fewer calls
(judged from its warm-up) runs that many whole batches instead, which keeps the slow peers' runs
short. Every subject and size gets the same ``REPEATS`` samples, and a figure is the best
(least) of them: noise only adds time. The inputs for a sample are built just before it,
untimed. Timing uses ``time.perf_counter_ns`` with a ``gc.collect()`` before each sample (the
collector stays enabled while timing, as in real use). A library that fails is reported as
``{"error": ...}`` and the others still run. With ``--rounds N`` (default 1) all of this is
repeated N times, the libraries taking turns, and each figure is the best of its N values (the
concurrency figure the median of all runs): on a machine whose load comes and goes, a slow spell
then does not fall on one library alone. Output: one JSON line on stdout; progress goes to
stderr.
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import json
import math
import platform
import statistics
import sys
import time
from collections.abc import Awaitable, Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from importlib import metadata
from multiprocessing import get_context
from typing import Any

from typing_extensions import TypedDict  # pydantic needs it for TypedDicts before 3.12

BATCH_SIZES = (1, 100, 10_000)
CALLS_PER_SAMPLE = 10_000
MIN_SAMPLE_S = 0.05
REPEATS = 5
WARMUP_CALLS = 200

CONCURRENCY_CALLS = 1_000
MAX_CONCURRENCY = 50
SLEEP_S = 0.01
CONCURRENCY_RUNS = 3
IDEAL_CONCURRENCY_MS = CONCURRENCY_CALLS / MAX_CONCURRENCY * SLEEP_S * 1e3

MAX_OVERHEAD_OVER_FLOOR = 2.0
MIN_PEER_OVER_SWITCHBOARD = 5.0
MAX_CONCURRENCY_RATIO = 1.15

TOOL_KINDS = ("async", "sync")
PEERS = ("openai_agents", "openai_agents_prebuilt_context", "pydantic_ai", "langchain")


async def add(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: The first addend.
        b: The second addend.
    """
    return a + b


def add_sync(a: int, b: int) -> int:
    """Add two integers.

    Args:
        a: The first addend.
        b: The second addend.
    """
    return a + b


# Every library sees the tool as "add", whichever variant it is given.
add_sync.__name__ = "add"


async def sleepy(a: int, b: int) -> int:
    """Wait 10 ms, then add two integers.

    Args:
        a: The first addend.
        b: The second addend.
    """
    await asyncio.sleep(SLEEP_S)
    return a + b


class AddArguments(TypedDict):
    """The arguments of ``add``, for the floor's prebuilt validator."""

    a: int
    b: int


class Call(TypedDict):
    """One neutral call: what a model sends."""

    id: str
    arguments: str


def make_calls(tag: str, count: int) -> list[Call]:
    """Return ``count`` calls with distinct ids and arguments."""
    return [
        {"id": f"{tag}_{i}", "arguments": json.dumps({"a": i, "b": i + 1})} for i in range(count)
    ]


def expected(calls: Sequence[Call]) -> list[str]:
    """Return the text of what ``add`` gives for each call."""
    return [str(sum(json.loads(call["arguments"]).values())) for call in calls]


class Subject:
    """One way of running a batch of calls."""

    description = ""
    """What the subject does per call, for the JSON output."""

    async def start(self) -> None:
        """Do any set-up that needs the event loop (untimed)."""

    def prepare(self, calls: Sequence[Call]) -> Any:
        """Build this subject's input for one batch (untimed)."""
        raise NotImplementedError

    async def run(self, batch: Any) -> list[Any]:
        """Run one prepared batch (timed); return what the subject gives back, per call."""
        raise NotImplementedError

    def texts(self, output: list[Any]) -> list[str]:
        """The text the model reads, per call, from what `run` returned (untimed)."""
        return output


class Floor(Subject):
    """Prebuilt ``TypeAdapter.validate_json`` + the call + ``str()``, one call after another."""

    description = (
        "for each call: str(await add(**TypeAdapter(AddArguments).validate_json(arguments))), "
        "the adapter built once"
    )

    def __init__(self, tool_kind: str) -> None:
        from pydantic import TypeAdapter

        self._validate = self._validator(TypeAdapter(AddArguments))
        self._is_async = tool_kind == "async"

    def _validator(self, adapter: Any) -> Callable[[str], Any]:
        return adapter.validate_json

    def prepare(self, calls: Sequence[Call]) -> Any:
        """Build this subject's input for one batch (untimed)."""
        return [call["arguments"] for call in calls]

    async def run(self, batch: Any) -> list[str]:
        """Run one prepared batch (timed) and return each call's text."""
        validate = self._validate
        if self._is_async:
            return [str(await add(**validate(arguments))) for arguments in batch]
        return [str(add_sync(**validate(arguments))) for arguments in batch]


class FloorCore(Floor):
    """The same with the adapter's pydantic-core ``SchemaValidator`` called directly."""

    description = (
        "as floor, with TypeAdapter(AddArguments).validator.validate_json: pydantic-core's "
        "SchemaValidator without the adapter's Python wrapper"
    )

    def _validator(self, adapter: Any) -> Callable[[str], Any]:
        return adapter.validator.validate_json


class Switchboard(Subject):
    """``await Toolbox.execute(calls)``."""

    description = (
        "await toolbox.execute(calls) (default settings); each ToolResult.content is the text"
    )

    def __init__(self, tool_kind: str, *, inline: bool = False) -> None:
        from switchboard import Toolbox, ToolCall

        self._call_type = ToolCall
        self.toolbox = Toolbox()
        if inline:
            self.toolbox.register(add_sync, inline=True)
        else:
            self.toolbox.register(add if tool_kind == "async" else add_sync)

    def prepare(self, calls: Sequence[Call]) -> Any:
        """Build this subject's input for one batch (untimed)."""
        return [self._call_type(id=c["id"], name="add", arguments=c["arguments"]) for c in calls]

    async def run(self, batch: Any) -> list[Any]:
        """Run one prepared batch (timed) and return the ``ToolResult``s."""
        return await self.toolbox.execute(batch)

    def texts(self, output: list[Any]) -> list[str]:
        """Each result's content: the text the model reads."""
        return [result.content for result in output]


class SwitchboardInline(Switchboard):
    """The same, the sync tool registered ``inline=True``."""

    description = "as switchboard, the sync tool registered inline=True: it runs on the event loop"

    def __init__(self, tool_kind: str) -> None:
        super().__init__(tool_kind, inline=True)


class OpenAIAgents(Subject):
    """``str(await FunctionTool.on_invoke_tool(ToolContext, arguments))``, one call after another.

    The runner builds a ``ToolContext`` for every call; ``prebuilt_context=True`` builds them
    before the clock starts instead, which leaves only ``on_invoke_tool`` in the timing.
    """

    description = (
        "for each call: str(await function_tool(add).on_invoke_tool(ToolContext(...), "
        "arguments)), the context built per call as the runner does"
    )

    def __init__(self, tool_kind: str, *, prebuilt_context: bool = False) -> None:
        from agents import function_tool
        from agents.tool_context import ToolContext

        self._context_type = ToolContext
        self._prebuilt_context = prebuilt_context
        self._invoke = function_tool(add if tool_kind == "async" else add_sync).on_invoke_tool

    def _context(self, call_id: str, arguments: str) -> Any:
        return self._context_type(
            context=None, tool_name="add", tool_call_id=call_id, tool_arguments=arguments
        )

    def prepare(self, calls: Sequence[Call]) -> Any:
        """Build this subject's input for one batch (untimed)."""
        if self._prebuilt_context:
            return [(self._context(c["id"], c["arguments"]), c["arguments"]) for c in calls]
        return [(c["id"], c["arguments"]) for c in calls]

    async def run(self, batch: Any) -> list[str]:
        """Run one prepared batch (timed) and return each call's text."""
        invoke = self._invoke
        if self._prebuilt_context:
            return [str(await invoke(ctx, arguments)) for ctx, arguments in batch]
        context = self._context
        return [
            str(await invoke(context(call_id, arguments), arguments))
            for call_id, arguments in batch
        ]


class OpenAIAgentsPrebuiltContext(OpenAIAgents):
    """The same, with every ``ToolContext`` built before the clock starts."""

    description = (
        "as openai_agents, with every ToolContext built before the clock starts: "
        "only on_invoke_tool and str() are timed"
    )

    def __init__(self, tool_kind: str) -> None:
        super().__init__(tool_kind, prebuilt_context=True)


class PydanticAI(Subject):
    """``str(await ToolManager.handle_call(ToolCallPart))``, one call after another."""

    description = (
        "for each call: str(await manager.handle_call(ToolCallPart(...))), the ToolManager "
        "over FunctionToolset([add]) prepared once with for_run_step"
    )

    def __init__(self, tool_kind: str) -> None:
        from pydantic_ai import RunContext
        from pydantic_ai.messages import ToolCallPart
        from pydantic_ai.models.test import TestModel
        from pydantic_ai.tool_manager import ToolManager
        from pydantic_ai.toolsets import FunctionToolset
        from pydantic_ai.usage import RunUsage

        self._part_type = ToolCallPart
        toolset = FunctionToolset([add if tool_kind == "async" else add_sync])
        self._context = RunContext(deps=None, model=TestModel(), usage=RunUsage())
        self._unprepared = ToolManager(toolset)
        self._manager: Any = None

    async def start(self) -> None:
        """Prepare the tool manager for a run step, as the agent does before calling tools."""
        self._manager = await self._unprepared.for_run_step(self._context)

    def prepare(self, calls: Sequence[Call]) -> Any:
        """Build this subject's input for one batch (untimed)."""
        return [
            self._part_type(tool_name="add", args=call["arguments"], tool_call_id=call["id"])
            for call in calls
        ]

    async def run(self, batch: Any) -> list[str]:
        """Run one prepared batch (timed) and return each call's text."""
        handle = self._manager.handle_call
        return [str(await handle(part)) for part in batch]


class LangChain(Subject):
    """``str(await StructuredTool.ainvoke(json.loads(arguments)))``, one call after another."""

    description = (
        "for each call: str(await StructuredTool.from_function(add).ainvoke(json.loads(arguments)))"
    )

    def __init__(self, tool_kind: str) -> None:
        from langchain_core.tools import StructuredTool

        if tool_kind == "async":
            self._tool = StructuredTool.from_function(coroutine=add)
        else:
            self._tool = StructuredTool.from_function(func=add_sync)

    def prepare(self, calls: Sequence[Call]) -> Any:
        """Build this subject's input for one batch (untimed)."""
        return [call["arguments"] for call in calls]

    async def run(self, batch: Any) -> list[str]:
        """Run one prepared batch (timed) and return each call's text."""
        ainvoke, loads = self._tool.ainvoke, json.loads
        return [str(await ainvoke(loads(arguments))) for arguments in batch]


# library -> (distribution for the version, {variant: (tool kinds, factory)})
Factory = Callable[[str], Subject]
LIBRARIES: dict[str, tuple[str, dict[str, tuple[tuple[str, ...], Factory]]]] = {
    "floor": ("pydantic", {"floor": (TOOL_KINDS, Floor), "floor_core": (TOOL_KINDS, FloorCore)}),
    "switchboard": (
        "switchboard",
        {
            "switchboard": (TOOL_KINDS, Switchboard),
            "switchboard_inline": (("sync",), SwitchboardInline),
        },
    ),
    "openai_agents": (
        "openai-agents",
        {
            "openai_agents": (TOOL_KINDS, OpenAIAgents),
            "openai_agents_prebuilt_context": (TOOL_KINDS, OpenAIAgentsPrebuiltContext),
        },
    ),
    "pydantic_ai": ("pydantic-ai-slim", {"pydantic_ai": (TOOL_KINDS, PydanticAI)}),
    "langchain": ("langchain-core", {"langchain": (TOOL_KINDS, LangChain)}),
}


async def sample_ns(subject: Subject, batches: list[Any]) -> int:
    """Run prepared batches back to back after a collection; return the wall time in ns."""
    gc.collect()
    start = time.perf_counter_ns()
    for batch in batches:
        await subject.run(batch)
    return time.perf_counter_ns() - start


async def per_call_us(subject: Subject, tag: str, size: int, warm_up_ns: int) -> float:
    """Return the best microseconds per call over ``REPEATS`` samples for one batch size.

    A sample is ``CALLS_PER_SAMPLE`` calls, or fewer for a subject slow enough that fewer
    take ``MIN_SAMPLE_S`` (judged from its warm-up), and never less than one batch.
    """
    per_call_s = warm_up_ns / WARMUP_CALLS / 1e9
    calls = min(CALLS_PER_SAMPLE, max(size, math.ceil(MIN_SAMPLE_S / per_call_s)))
    batches_per_sample = math.ceil(calls / size)
    samples: list[int] = []
    for repeat in range(REPEATS):
        batches = [
            subject.prepare(make_calls(f"{tag}_{size}_{repeat}_{b}", size))
            for b in range(batches_per_sample)
        ]
        samples.append(await sample_ns(subject, batches))
        del batches
    return round(min(samples) / (batches_per_sample * size) / 1e3, 3)


async def warm_up(subject: Subject, tag: str) -> int:
    """Run one batch, check every value (so no figure times an error path); return its ns."""
    await subject.start()
    calls = make_calls(f"{tag}_warmup", WARMUP_CALLS)
    batch = subject.prepare(calls)
    started = time.perf_counter_ns()
    output = await subject.run(batch)
    elapsed = time.perf_counter_ns() - started
    values = subject.texts(output)
    if values != expected(calls):
        wrong = next(v for v, e in zip(values, expected(calls), strict=True) if v != e)
        msg = f"{tag}: wrong result during warm-up: {wrong!r}"
        raise RuntimeError(msg)
    return elapsed


async def switchboard_sleepy_ms(run: int) -> float:
    """Time ``execute`` on the sleeping calls with ``max_concurrency=50``."""
    from switchboard import Toolbox, ToolCall

    toolbox = Toolbox()
    toolbox.register(sleepy)
    calls = [
        ToolCall(id=c["id"], name="sleepy", arguments=c["arguments"])
        for c in make_calls(f"sleepy_{run}", CONCURRENCY_CALLS)
    ]
    gc.collect()
    start = time.perf_counter_ns()
    results = await toolbox.execute(calls, max_concurrency=MAX_CONCURRENCY)
    elapsed = time.perf_counter_ns() - start
    failed = [result.content for result in results if result.is_error]
    if failed:
        msg = f"sleepy: {len(failed)} calls failed, e.g. {failed[0]}"
        raise RuntimeError(msg)
    return round(elapsed / 1e6, 1)


async def floor_sleepy_ms(run: int) -> float:
    """Time the floor's per-call work on the sleeping calls, under a semaphore and ``gather``."""
    from pydantic import TypeAdapter

    validate = TypeAdapter(AddArguments).validate_python
    slots = asyncio.Semaphore(MAX_CONCURRENCY)
    calls = make_calls(f"sleepy_{run}", CONCURRENCY_CALLS)

    async def one(arguments: str) -> int:
        async with slots:
            return await sleepy(**validate(json.loads(arguments)))

    gc.collect()
    start = time.perf_counter_ns()
    await asyncio.gather(*(one(call["arguments"]) for call in calls))
    return round((time.perf_counter_ns() - start) / 1e6, 1)


SLEEPY_RUNNERS: dict[str, Callable[[int], Awaitable[float]]] = {
    "floor": floor_sleepy_ms,
    "switchboard": switchboard_sleepy_ms,
}


async def measure_async(library: str) -> dict[str, Any]:
    """Measure every variant of one library, for both tool kinds and every batch size."""
    figures: dict[str, Any] = {kind: {} for kind in TOOL_KINDS}
    for variant, (kinds, factory) in LIBRARIES[library][1].items():
        for kind in kinds:
            subject = factory(kind)
            tag = f"{variant}_{kind}"
            warm_up_ns = await warm_up(subject, tag)
            figures[kind][variant] = {
                str(size): await per_call_us(subject, tag, size, warm_up_ns) for size in BATCH_SIZES
            }
            print(f"dispatch: {tag} {figures[kind][variant]}", file=sys.stderr, flush=True)
    if library in SLEEPY_RUNNERS:
        sleepy_ms = SLEEPY_RUNNERS[library]
        figures["concurrency_runs_ms"] = [await sleepy_ms(run) for run in range(CONCURRENCY_RUNS)]
    return figures


def measure(library: str) -> dict[str, Any]:
    """Run in a fresh process: measure one library."""
    try:
        return asyncio.run(measure_async(library))
    except Exception as e:
        # Not every library's exceptions survive pickling back to the parent: send plain text.
        msg = f"{type(e).__name__}: {e}"
        raise RuntimeError(msg) from None


def run_fresh(library: str) -> dict[str, Any]:
    """Run ``measure`` in a new interpreter and return what it measured."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(measure, library).result()


def factory_description(factory: Factory) -> str:
    """What a variant does per call (its subject class's ``description``)."""
    return getattr(factory, "description", "") or ""


def ratio(numerator: float, denominator: float) -> float:
    return round(numerator / denominator, 2)


def measured(figure: Any) -> bool:
    return isinstance(figure, dict) and "error" not in figure


def compare(tool: dict[str, Any]) -> dict[str, Any]:
    """Switchboard's async-tool figures against the floor and the fastest peer, per batch size."""
    missing = [name for name in ("switchboard", "floor") if not measured(tool.get(name))]
    if missing:
        return {"error": f"not measured: {', '.join(missing)}"}
    ours, floor = tool["switchboard"], tool["floor"]
    comparison: dict[str, Any] = {
        "switchboard_over_floor": {s: ratio(ours[s], floor[s]) for s in ours},
        "switchboard_over_floor_core": {},
        "fastest_peer": {},
        "fastest_peer_over_switchboard": {},
    }
    if measured(tool.get("floor_core")):
        comparison["switchboard_over_floor_core"] = {
            s: ratio(ours[s], tool["floor_core"][s]) for s in ours
        }
    peers = {name: tool[name] for name in PEERS if measured(tool.get(name))}
    for size in ours if peers else ():
        fastest = min(peers, key=lambda name: peers[name][size])
        comparison["fastest_peer"][size] = fastest
        comparison["fastest_peer_over_switchboard"][size] = ratio(peers[fastest][size], ours[size])
    return comparison


def assess(tool: dict[str, Any], comparison: dict[str, Any], concurrency: Any) -> dict[str, Any]:
    """Say, per target and batch size, whether it was met (from the unrounded figures)."""
    met: dict[str, Any] = {}
    if "error" not in comparison:
        ours, floor = tool["switchboard"], tool["floor"]
        met["switchboard_over_floor"] = {
            s: ours[s] <= MAX_OVERHEAD_OVER_FLOOR * floor[s] for s in ours
        }
        met["fastest_peer_over_switchboard"] = {
            s: tool[peer][s] >= MIN_PEER_OVER_SWITCHBOARD * ours[s]
            for s, peer in comparison["fastest_peer"].items()
        }
    if measured(concurrency):
        ideal = MAX_CONCURRENCY_RATIO * IDEAL_CONCURRENCY_MS
        met["concurrency"] = concurrency["measured_ms"] <= ideal
    complete = len(met) == 3 and bool(met["fastest_peer_over_switchboard"])
    met["all"] = complete and all(
        value if isinstance(value, bool) else all(value.values()) for value in met.values()
    )
    return met


def collect(results: dict[str, dict[str, Any]], failures: dict[str, str]) -> dict[str, Any]:
    """Lay the per-library measurements out by tool kind and variant."""
    by_kind: dict[str, dict[str, Any]] = {f"{kind}_tool": {} for kind in TOOL_KINDS}
    for library, (_, variants) in LIBRARIES.items():
        for variant, (kinds, _) in variants.items():
            for kind in kinds:
                by_kind[f"{kind}_tool"][variant] = (
                    {"error": failures[library]}
                    if library in failures
                    else results[library][kind][variant]
                )
    return by_kind


def concurrency_figures(results: dict[str, dict[str, Any]], failures: dict[str, str]) -> Any:
    """Summarise the sleeping-tool runs against the ideal time."""
    if "switchboard" in failures:
        return {"error": failures["switchboard"]}
    runs = results["switchboard"]["concurrency_runs_ms"]
    figures: dict[str, Any] = {
        "calls": CONCURRENCY_CALLS,
        "max_concurrency": MAX_CONCURRENCY,
        "sleep_ms": SLEEP_S * 1e3,
        "ideal_ms": IDEAL_CONCURRENCY_MS,
        "measured_ms": statistics.median(runs),
        "ratio": round(statistics.median(runs) / IDEAL_CONCURRENCY_MS, 3),
        "runs_ms": runs,
    }
    if "floor" not in failures:
        floor = statistics.median(results["floor"]["concurrency_runs_ms"])
        figures["floor_semaphore_gather_ms"] = floor
        figures["floor_ratio"] = round(floor / IDEAL_CONCURRENCY_MS, 3)
    return figures


def version(distribution: str) -> str | None:
    try:
        return metadata.version(distribution)
    except metadata.PackageNotFoundError:
        return None


def best_of_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One library's figures from several rounds: each the best of the rounds' figures."""
    first = rounds[0]
    combined: dict[str, Any] = {
        kind: {
            variant: {size: min(r[kind][variant][size] for r in rounds) for size in by_size}
            for variant, by_size in first[kind].items()
        }
        for kind in TOOL_KINDS
    }
    if "concurrency_runs_ms" in first:
        combined["concurrency_runs_ms"] = [ms for r in rounds for ms in r["concurrency_runs_ms"]]
    return combined


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--rounds",
        type=int,
        default=1,
        help="measure every library this many times, in turn; each figure is the best",
    )
    rounds = max(1, parser.parse_args().rounds)
    measured_rounds: dict[str, list[dict[str, Any]]] = {library: [] for library in LIBRARIES}
    failures: dict[str, str] = {}
    for round_number in range(rounds):
        for library in LIBRARIES:
            if library in failures:
                continue
            print(f"dispatch: {library} (round {round_number + 1})", file=sys.stderr, flush=True)
            try:
                measured_rounds[library].append(run_fresh(library))
            except Exception as e:  # report a broken library, keep the others
                failures[library] = f"{type(e).__name__}: {e}"
                print(f"dispatch: {library} failed: {failures[library]}", file=sys.stderr)
    results = {
        library: best_of_rounds(measured)
        for library, measured in measured_rounds.items()
        if library not in failures
    }
    figures: dict[str, Any] = {
        "benchmark": "dispatch",
        "unit": "us_per_call",
        "batch_sizes": list(BATCH_SIZES),
        **collect(results, failures),
    }
    figures["concurrency"] = concurrency_figures(results, failures)
    figures["comparison"] = compare(figures["async_tool"])
    figures["targets"] = {
        "switchboard_over_floor_max": MAX_OVERHEAD_OVER_FLOOR,
        "fastest_peer_over_switchboard_min": MIN_PEER_OVER_SWITCHBOARD,
        "concurrency_ratio_max": MAX_CONCURRENCY_RATIO,
    }
    figures["met"] = assess(figures["async_tool"], figures["comparison"], figures["concurrency"])
    figures["subjects"] = {
        variant: factory_description(factory)
        for _, variants in LIBRARIES.values()
        for variant, (_, factory) in variants.items()
    }
    figures["peers_batched_with"] = "one call after another (no asyncio.gather)"
    figures["versions"] = {
        library: version(distribution) for library, (distribution, _) in LIBRARIES.items()
    }
    figures["repeats"] = REPEATS
    figures["rounds"] = rounds
    figures["calls_per_sample"] = CALLS_PER_SAMPLE
    figures["min_sample_s"] = MIN_SAMPLE_S
    figures["python"] = platform.python_version()
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
