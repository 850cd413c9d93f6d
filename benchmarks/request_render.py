"""What putting tools on the wire costs per request, what registering them costs, and more.

Four figures, one JSON line (progress on stderr):

* ``per_request``: the tools of one request (a system and a user message, every tool of the
  toolbox offered, as an `Agent` without a router offers them) rendered for each dialect, at
  1,000 and 10,000 tools, milliseconds per request. What each dialect times is what its
  provider does per request: ``openai`` ``openai_chat.render_request``, ``openai-responses``
  ``openai_responses.render_request``, ``anthropic`` ``anthropic.render_request``, ``gemini``
  ``gemini.render_request`` (the SDK's ``GenerateContentConfig`` with its ``FunctionDeclaration``
  objects included), ``mcp`` ``tool_schemas(tools, "mcp")`` (an MCP ``tools/list``), ``local``
  the embedded model's tool listing (``generation.listed_tools``, the prompt text of a chat
  template without tools, as SmolLM2's) and its call grammar text (``grammar.tools_grammar``,
  ``tool_choice="auto"``, parallel calls). The tools are built and each dialect rendered once
  before the clock starts (``first_ms`` times that first render); then every dialect is timed
  ``ROUNDS`` times, dialects taking turns within a round, and ``best_ms``/``median_ms`` are the
  minimum and median. ``floor_ms``: copying the list of the request's already rendered dicts
  (``list(prebuilt)``), the least any per-request path does.
* ``registration``: 1,000 generated functions of five typed parameters (as in
  ``schema_build.py``: ``str``, ``int``, ``float``, ``bool``, ``Literal``, ``list[str]``,
  ``Optional[str]``, ``Annotated[int, Field(...)]``, Google docstrings, and
  ``from __future__ import annotations``, so annotations are strings to evaluate). Each run is a
  fresh interpreter (``spawn``) in which the library is imported and 20 throwaway functions go
  the whole way first. ``register_ms``: making the 1,000 tools (switchboard
  ``Toolbox.register``; pydantic-ai ``Tool(fn)``; openai-agents ``function_tool(fn)``: both
  peers build each function's schema and validator at once). ``first_request_ms``: the same,
  then the Chat Completions tools of one request with all of them (switchboard
  ``openai_chat.render_request``, which builds the tools it has not built yet; pydantic-ai's
  ``OpenAIChatModel`` transform and mapping, as ``schema_build.py`` times them; openai-agents'
  ``Converter.tool_to_openai``). Subjects take turns; medians and minimums of ``COLD_RUNS``.
* ``import``: ``python -X importtime -c "import switchboard"``, the cumulative time of the
  ``switchboard`` line, best and median of ``IMPORT_RUNS``, with byte code cached (as an
  installed package has it; a first run writes it under a temporary ``PYTHONPYCACHEPREFIX``);
  the same for the peers ``pydantic_ai`` and ``agents`` (openai-agents), runs taking turns;
  and which of numpy, bm25s, jsonschema and pydantic ``import switchboard`` loaded.
* ``router``: a lexical `Router` (``top_k=5``) over 50,000 small tools: the first query (the
  index built) and the median and 99th percentile of ``QUERIES`` later queries on the unchanged
  toolbox, whose change check is one comparison of `Toolbox.version`.

Usage: ``python benchmarks/request_render.py``; about two minutes on two cores.
"""

from __future__ import annotations

import gc
import json
import os
import platform
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from importlib import metadata
from multiprocessing import get_context
from typing import Any

SIZES = (1_000, 10_000)
ROUNDS = 15
COLD_TOOLS = 1_000
PARAMS_PER_TOOL = 5
WARMUP_TOOLS = 20
COLD_RUNS = 3
IMPORT_RUNS = 7
ROUTER_TOOLS = 50_000
QUERIES = 50

PARAMETER_KINDS: tuple[tuple[str, str | None], ...] = (
    ("city: str", "City to look in for record {i}."),
    ("count: int", "How many results to return for record {i}."),
    ("ratio: float", "Share of results to sample, between 0 and 1."),
    ("verbose: bool", "Whether to include every field of record {i}."),
    ('unit: Literal["celsius", "fahrenheit", "kelvin"]', "Temperature unit for record {i}."),
    ("tags: list[str]", "Tags that every result must carry."),
    ("limit: Annotated[int, Field(description='Page size for record {i}.', ge=0)]", None),
    ("note: Optional[str] = None", "Free-text note attached to record {i}."),
)
OPTIONAL_KIND = len(PARAMETER_KINDS) - 1
HEADER = (
    "from __future__ import annotations\n"
    "from typing import Annotated, Literal, Optional\n"
    "from pydantic import Field\n\n"
)


def function_source(prefix: str, i: int) -> str:
    """The source of one generated tool function."""
    kinds = sorted(
        ((i + k) % len(PARAMETER_KINDS) for k in range(PARAMS_PER_TOOL)),
        key=lambda kind: kind == OPTIONAL_KIND,
    )
    params = ", ".join(PARAMETER_KINDS[kind][0].format(i=i) for kind in kinds)
    names = [PARAMETER_KINDS[kind][0].split(":")[0] for kind in kinds]
    args_doc = "".join(
        f"        {PARAMETER_KINDS[kind][0].split(':')[0]}: {doc.format(i=i)}\n"
        for kind in kinds
        if (doc := PARAMETER_KINDS[kind][1]) is not None
    )
    body = " + ".join(f"str({name})" for name in names)
    return (
        f"def {prefix}_{i:04d}({params}) -> str:\n"
        f'    """Look up record {i} in catalogue {i % 17} and summarise it.\n\n'
        f"    Args:\n{args_doc}"
        '    """\n'
        f"    return {body}\n"
    )


def generate_functions(prefix: str, count: int) -> list[Callable[..., str]]:
    """``count`` distinct functions named ``{prefix}_NNNN``, compiled from generated source."""
    source = HEADER + "\n\n".join(function_source(prefix, i) for i in range(count))
    namespace: dict[str, Any] = {}
    exec(compile(source, f"<{prefix}>", "exec", dont_inherit=True), namespace)
    return [namespace[f"{prefix}_{i:04d}"] for i in range(count)]


def milliseconds(seconds: float) -> float:
    return round(seconds * 1e3, 3)


def timed(action: Callable[[], object]) -> float:
    """Seconds one call of ``action`` takes."""
    start = time.perf_counter()
    action()
    return time.perf_counter() - start


# -- per request -------------------------------------------------------------------------


def dialect_renderers() -> dict[str, Callable[[Any], object]]:
    """Each dialect's per-request rendering of a `ModelRequest`."""
    from switchboard.providers import anthropic, gemini, openai_chat, openai_responses
    from switchboard.providers.local.generation import listed_tools
    from switchboard.providers.local.grammar import tools_grammar
    from switchboard.tools.rendering import tool_schemas

    def local(request: Any) -> object:
        listing = listed_tools(request.tools, parallel=True, answer=True)
        return listing, tools_grammar(request.tools, text=True, parallel=True)

    return {
        "openai": openai_chat.render_request,
        "openai-responses": lambda request: openai_responses.render_request(request, "gpt-4.1"),
        "anthropic": anthropic.render_request,
        "gemini": gemini.render_request,
        "mcp": lambda request: tool_schemas(request.tools, "mcp"),
        "local": local,
    }


def per_request(size: int) -> dict[str, Any]:
    """Per-request rendering of ``size`` tools in every dialect."""
    from switchboard import ModelRequest, SystemMessage, Toolbox, UserMessage

    toolbox = Toolbox(generate_functions(f"r{size}", size))
    tools = list(toolbox)
    for tool in tools:  # build every tool: first_ms times the dialects, not the tools
        tool.parameters  # noqa: B018
    request = ModelRequest([SystemMessage("Be brief."), UserMessage("Weather in Paris?")], tools)
    renderers = dialect_renderers()
    first = {
        name: timed(lambda render=render: render(request)) for name, render in renderers.items()
    }
    prebuilt = [tool.schema("openai") for tool in tools]
    subjects: dict[str, Callable[[], object]] = {
        name: (lambda render=render: render(request)) for name, render in renderers.items()
    }
    subjects["floor"] = lambda: list(prebuilt)
    samples: dict[str, list[float]] = {name: [] for name in subjects}
    names = list(subjects)
    gc.collect()
    for round_index in range(ROUNDS):
        shift = round_index % len(names)
        for name in names[shift:] + names[:shift]:
            samples[name].append(timed(subjects[name]))
    figures: dict[str, Any] = {
        name: {
            "best_ms": milliseconds(min(samples[name])),
            "median_ms": milliseconds(statistics.median(samples[name])),
            "first_ms": milliseconds(first[name]),
        }
        for name in renderers
    }
    figures["floor_ms"] = milliseconds(min(samples["floor"]))
    return figures


# -- cold registration (each run in a fresh interpreter) -----------------------------------


class Switchboard:
    """``Toolbox.register``; the first request through ``openai_chat.render_request``."""

    def __init__(self) -> None:
        from switchboard import ModelRequest, Toolbox, UserMessage
        from switchboard.providers.openai_chat import render_request

        self._toolbox, self._request, self._message = Toolbox, ModelRequest, UserMessage
        self._render = render_request

    def register(self, functions: Sequence[Callable[..., Any]]) -> Any:
        """The toolbox of the functions."""
        toolbox = self._toolbox()
        for fn in functions:
            toolbox.register(fn)
        return toolbox

    def first_request(self, built: Any) -> object:
        """The Chat Completions tools of a request with all of them."""
        return self._render(self._request([self._message("hi")], list(built)))["tools"]


class PydanticAI:
    """``pydantic_ai.Tool(fn)``; the first request as ``OpenAIChatModel`` maps its tools."""

    def __init__(self) -> None:
        from pydantic_ai import Tool
        from pydantic_ai.models import ModelRequestParameters
        from pydantic_ai.models.openai import OpenAIChatModel
        from pydantic_ai.providers.openai import OpenAIProvider

        self._tool, self._parameters = Tool, ModelRequestParameters
        # A dummy key: the client is built but never sends anything.
        self._model = OpenAIChatModel(
            "gpt-4o", provider=OpenAIProvider(api_key="sk-benchmark-not-used")
        )

    def register(self, functions: Sequence[Callable[..., Any]]) -> Any:
        """A ``Tool`` per function."""
        return [self._tool(fn) for fn in functions]

    def first_request(self, built: Any) -> object:
        """The Chat Completions tools of a request with all of them."""
        parameters = self._parameters(function_tools=[tool.tool_def for tool in built])
        customized = self._model.customize_request_parameters(parameters)
        return [self._model._map_tool_definition(d, {}) for d in customized.function_tools]


class OpenAIAgents:
    """``agents.function_tool(fn)``; the first request through the Chat Completions converter."""

    def __init__(self) -> None:
        from agents import function_tool
        from agents.models.chatcmpl_converter import Converter

        self._function_tool, self._to_chat = function_tool, Converter.tool_to_openai

    def register(self, functions: Sequence[Callable[..., Any]]) -> Any:
        """A ``FunctionTool`` per function."""
        return [self._function_tool(fn) for fn in functions]

    def first_request(self, built: Any) -> object:
        """The Chat Completions tools of a request with all of them."""
        return [self._to_chat(tool) for tool in built]


COLD_SUBJECTS: dict[str, tuple[type[Any], str]] = {
    "switchboard": (Switchboard, "switchboard"),
    "pydantic_ai": (PydanticAI, "pydantic-ai-slim"),
    "openai_agents": (OpenAIAgents, "openai-agents"),
}


def cold_run(subject_name: str) -> dict[str, float]:
    """In a fresh interpreter: register the 1,000 functions, then render a first request."""
    subject = COLD_SUBJECTS[subject_name][0]()
    subject.first_request(subject.register(generate_functions("warmup", WARMUP_TOOLS)))
    functions = generate_functions("tool", COLD_TOOLS)
    gc.collect()
    start = time.perf_counter()
    built = subject.register(functions)
    registered = time.perf_counter()
    subject.first_request(built)
    done = time.perf_counter()
    return {"register": registered - start, "first_request": done - start}


def registration() -> dict[str, Any]:
    """Cold registration of every subject, the runs interleaved."""
    runs: dict[str, list[dict[str, float]]] = {name: [] for name in COLD_SUBJECTS}
    failures: dict[str, str] = {}
    for run_index in range(COLD_RUNS):
        for name in COLD_SUBJECTS:
            if name in failures:
                continue
            print(f"request_render: cold {name} {run_index + 1}/{COLD_RUNS}", file=sys.stderr)
            try:
                with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
                    runs[name].append(pool.submit(cold_run, name).result())
            except Exception as e:  # a peer not installed, or broken: report it, keep the others
                failures[name] = f"{type(e).__name__}: {e}"
    figures: dict[str, Any] = {"tools": COLD_TOOLS, "params_per_tool": PARAMS_PER_TOOL}
    for name, (_, distribution) in COLD_SUBJECTS.items():
        if name in failures:
            figures[name] = {"error": failures[name]}
            continue
        figures[name] = {"version": metadata.version(distribution)}
        for figure in ("register", "first_request"):
            values = [run[figure] for run in runs[name]]
            figures[name][f"{figure}_ms"] = milliseconds(statistics.median(values))
            figures[name][f"{figure}_min_ms"] = milliseconds(min(values))
    return figures


# -- import ------------------------------------------------------------------------------


IMPORTED = {
    "switchboard": "switchboard",
    "pydantic_ai": "pydantic-ai-slim",
    "agents": "openai-agents",
}


def import_cost() -> dict[str, Any]:
    """Each package's importtime, best of IMPORT_RUNS (turns taken), and what switchboard loads."""
    with tempfile.TemporaryDirectory() as cache:
        env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}
        env["PYTHONPYCACHEPREFIX"] = cache
        code = "import switchboard, sys; print(' '.join(sorted(sys.modules)))"
        loaded = subprocess.run(
            [sys.executable, "-c", code], env=env, capture_output=True, text=True, check=True
        ).stdout.split()
        times: dict[str, list[float]] = {name: [] for name in IMPORTED}
        for run_index in range(IMPORT_RUNS + 1):  # the first run of each writes its byte code
            for name in IMPORTED:
                done = subprocess.run(
                    [sys.executable, "-X", "importtime", "-c", f"import {name}"],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                lines = done.stderr.splitlines()
                line = next((x for x in lines if x.rstrip().endswith(f"| {name}")), None)
                if run_index and line is not None:
                    times[name].append(int(line.split("|")[1]) / 1e6)
    figures: dict[str, Any] = {
        name: {
            "best_ms": milliseconds(min(found)),
            "median_ms": milliseconds(statistics.median(found)),
        }
        for name, found in times.items()
        if found
    }
    heavy = ("numpy", "bm25s", "jsonschema", "pydantic")
    figures["switchboard"]["loaded"] = {name: name in loaded for name in heavy}
    figures["peer_versions"] = {
        name: metadata.version(distribution)
        for name, distribution in IMPORTED.items()
        if name != "switchboard" and name in figures
    }
    return figures


# -- router ------------------------------------------------------------------------------


def router() -> dict[str, Any]:
    """Query latency of a lexical router over ROUTER_TOOLS tools."""
    from switchboard import Router, Tool, Toolbox

    words = ("weather", "forecast", "convert", "length", "mass", "order", "invoice", "user")
    toolbox = Toolbox(
        Tool(
            f"tool_{i}",
            f"Handle the {words[i % 8]} of {words[(i // 8) % 8]} record {i}.",
            {"type": "object", "properties": {"record": {"type": "string"}}},
            None,
        )
        for i in range(ROUTER_TOOLS)
    )
    routing = Router(top_k=5)
    query = "What is the weather forecast for the order?"
    first = timed(lambda: routing.select(toolbox, query))
    latencies = sorted(timed(lambda: routing.select(toolbox, query)) for _ in range(QUERIES))
    return {
        "tools": ROUTER_TOOLS,
        "first_query_ms": milliseconds(first),
        "p50_ms": milliseconds(statistics.median(latencies)),
        "p99_ms": milliseconds(latencies[min(len(latencies) - 1, int(0.99 * len(latencies)))]),
    }


def main() -> None:
    figures: dict[str, Any] = {"benchmark": "request_render"}
    print("request_render: import", file=sys.stderr)
    figures["import"] = import_cost()
    figures["registration"] = registration()
    figures["per_request"] = {}
    for size in SIZES:
        print(f"request_render: per request, {size} tools", file=sys.stderr)
        figures["per_request"][str(size)] = per_request(size)
    print("request_render: router", file=sys.stderr)
    figures["router"] = router()
    figures["rounds"] = ROUNDS
    figures["cold_runs"] = COLD_RUNS
    figures["python"] = platform.python_version()
    figures["load_average"] = [round(x, 2) for x in os.getloadavg()]
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
