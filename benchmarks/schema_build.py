"""Cost of 1,000 Python functions as provider tool schemas: built once, then on every request.

Workload: 1,000 distinct functions (``tool_0000`` ... ``tool_0999``) are generated as source and
``exec``-ed, so each is a real function with its own ``__name__``, signature and docstring. Each has
5 typed parameters drawn in rotation from ``str``, ``int``, ``float``, ``bool``, ``Literal[...]``,
``list[str]``, ``Optional[str] = None`` and ``Annotated[int, Field(description=..., ge=0)]``, and a
Google-style docstring whose ``Args:`` section describes every parameter except the annotated one
(its description comes from ``Field``). Every library is given the same functions.

Two figures per library (milliseconds):

* ``cold_ms``, once per process: the tools made from the functions and their schemas built for
  every dialect the library has.
* ``per_request_ms``, per dialect and per number of tools offered (100 and all 1,000): what the
  library does on *every* request to put the offered tools on the wire, after the first request
  (so whatever it caches is cached). This is the figure a long agent run pays turn after turn.

What each covers:

* switchboard, ``cold_ms``: ``Toolbox()``, ``register`` of every function (argument model and
  neutral schema), then ``schemas(fmt)`` for the five dialects ``openai``, ``openai-responses``,
  ``anthropic``, ``gemini`` and ``mcp``. ``per_request_ms``: exactly what ``Agent`` and its
  provider do per request: the tools to offer (``list(toolbox)``, as ``Agent`` does without a
  router; the first 100 of them for the smaller figure), a ``ModelRequest`` with them and one
  user message, and the provider's ``render_request`` (``openai_chat``, ``openai_responses``,
  ``anthropic``, ``gemini``), which renders each offered tool for its dialect (``Tool.schema``,
  cached per tool; Gemini's ``FunctionDeclaration`` built from it) and the one message.
  ``Toolbox.schemas(fmt)``, a per-toolbox cache the Agent never reads, is not timed.
  ``strict_openai_first_call_ms``: the first ``schemas("openai", strict=True)`` on the
  registered toolbox, i.e. the extra cost of the strict dialect.
* openai-agents, ``cold_ms``: ``agents.function_tool(fn)`` for every function (it builds the
  strict ``params_json_schema`` at creation), then the Chat Completions form and the Responses
  form. ``per_request_ms``: what its models do per request:
  ``chatcmpl_converter.Converter.tool_to_openai`` for each tool (``OpenAIChatCompletionsModel``)
  and ``openai_responses.Converter.convert_tools`` (``OpenAIResponsesModel``); the schema is
  stored on each ``FunctionTool``. (The runner's own per-turn ``get_all_tools``, which checks each
  tool's ``is_enabled``, is not timed.) It has no Anthropic, Gemini or MCP rendering of a function
  tool.
* pydantic-ai, ``cold_ms``: ``pydantic_ai.Tool(fn)`` for every function (it builds the function
  schema at creation), then each model's per-request path once. ``per_request_ms``: what each
  model does per request: ``Tool.tool_def`` for each tool, ``Model.customize_request_parameters``
  (the profile's JSON-schema transformer) and the model's mapping
  (``OpenAIChatModel._map_tool_definition``, ``OpenAIResponsesModel._map_tool_definition``,
  ``AnthropicModel._map_tool_definition``, ``google._function_declaration_from_tool``). These are
  private but are exactly the request path; models are built with a dummy API key before timing
  and never send a request. It has no MCP rendering of a function tool.

``openai_strict_tools`` counts the Chat Completions tool params each library marks ``strict``
by default, because strict schemas cost more to build: openai-agents defaults to strict mode,
pydantic-ai decides per tool whether the schema is strict-compatible, and switchboard's default
dialect is non-strict (its strict one is timed separately, as above).

Targets (switchboard): per request at most 1 ms for 1,000 tools in every dialect, and linear in
the tools offered (10x the tools: at most 10x the time). ``met`` says whether they were.

Method: each cold measurement runs in a fresh interpreter (``multiprocessing`` "spawn", one task
per process), so no library sees a function, or a cached schema, twice. The library is imported
and a few throwaway warm-up functions (``warmup_*``) are run through the full path before the
clock starts, so one-time lazy imports are not billed to the 1,000 tools; after that, every one
of the 1,000 functions is new to the process, and pydantic's per-type caches are equally warm for
all libraries. Runs are interleaved across libraries (A, B, C, A, B, C, ...) to spread machine
drift, and ``cold_ms`` is the median of ``COLD_RUNS`` processes. In each process, after its cold
run, every dialect and tool count takes turns for ``REQUEST_REPEATS`` requests;
``per_request_ms`` is the best of all of them (the same number for every library and dialect).
Timing uses ``time.perf_counter_ns`` with a ``gc.collect()`` before each measurement (the
collector stays enabled while timing, as in real use). Output: one JSON line on stdout; warnings
and progress go to stderr.
"""

from __future__ import annotations

import gc
import json
import platform
import statistics
import sys
import time
from collections.abc import Callable, Sequence
from concurrent.futures import ProcessPoolExecutor
from importlib import metadata
from multiprocessing import get_context
from typing import Any, Protocol

N_TOOLS = 1_000
PARAMS_PER_TOOL = 5
WARMUP_TOOLS = 20
COLD_RUNS = 3
REQUEST_REPEATS = 7
OFFERED = (100, N_TOOLS)
"""How many of the tools a request offers: a router's few, and all of them."""
MAX_PER_REQUEST_MS = 1.0
PROMPT = "Look up record 7 in catalogue 7 and summarise it."

SWITCHBOARD_DIALECTS = ("openai", "openai-responses", "anthropic", "gemini", "mcp")

# (parameter source, docstring description or None when the annotation carries it); "{i}" is the
# tool number so every function's schema text differs. The Optional parameter has a default and
# is always placed last.
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


def function_source(prefix: str, i: int) -> str:
    """Return the source of one generated tool function."""
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
        f'    """Look up record {i} in catalogue {i % 17} and summarise it.\n'
        "\n"
        "    Args:\n"
        f"{args_doc}"
        '    """\n'
        f"    return {body}\n"
    )


def generate_functions(prefix: str, count: int) -> list[Callable[..., str]]:
    """Exec generated source and return ``count`` distinct functions named ``{prefix}_NNNN``."""
    source = "\n\n".join(function_source(prefix, i) for i in range(count))
    namespace: dict[str, Any] = {}
    exec(
        "from typing import Annotated, Literal, Optional\nfrom pydantic import Field\n\n" + source,
        namespace,
    )
    return [namespace[f"{prefix}_{i:04d}"] for i in range(count)]


class Subject(Protocol):
    """One library under test: ``build`` is the cold path, ``request`` the per-request one."""

    dialects: tuple[str, ...]
    """The dialects ``request`` renders (switchboard builds ``mcp`` too, cold only)."""

    def build(self, functions: Sequence[Callable[..., Any]]) -> Any:
        """Create tools from the functions and render every dialect; return the tools."""
        ...

    def request(self, built: Any, dialect: str, offered: int) -> None:
        """Put the first ``offered`` tools of ``built`` on one request, as ``dialect`` does."""
        ...

    def openai_chat(self, built: Any) -> list[dict[str, Any]]:
        """Return the Chat Completions tool params as this library sends them by default."""
        ...


class SwitchboardSubject:
    """switchboard: one ``Toolbox``; per request, the providers' own ``render_request``."""

    dialects = ("openai", "openai-responses", "anthropic", "gemini")

    def __init__(self) -> None:
        from switchboard import Toolbox
        from switchboard.messages import UserMessage
        from switchboard.providers.anthropic.render import render_request as anthropic
        from switchboard.providers.base import ModelRequest
        from switchboard.providers.gemini.render import render_request as gemini
        from switchboard.providers.openai_chat.render import render_request as openai_chat
        from switchboard.providers.openai_responses.render import render_request as responses

        self._toolbox_type = Toolbox
        self._request_type = ModelRequest
        self._messages = [UserMessage(PROMPT)]
        # As each provider calls it (`OpenAIChatProvider.complete` and the others).
        self._renderers: dict[str, Callable[[Any], Any]] = {
            "openai": openai_chat,
            "openai-responses": lambda request: responses(request, "gpt-4o"),
            "anthropic": anthropic,
            "gemini": gemini,
        }

    def build(self, functions: Sequence[Callable[..., Any]]) -> Any:
        """Register every function in a fresh toolbox, then build the five dialects."""
        toolbox = self._toolbox_type()
        for fn in functions:
            toolbox.register(fn)
        for fmt in SWITCHBOARD_DIALECTS:
            toolbox.schemas(fmt)
        return toolbox

    def request(self, built: Any, dialect: str, offered: int) -> None:
        """What ``Agent`` and the provider do per request: offer, then ``render_request``."""
        tools = list(built)
        if offered < len(tools):
            tools = tools[:offered]
        self._renderers[dialect](self._request_type(messages=self._messages, tools=tools))

    def openai_chat(self, built: Any) -> list[dict[str, Any]]:
        """Return the default (non-strict) ``openai`` dialect."""
        return built.schemas("openai")


class OpenAIAgentsSubject:
    """openai-agents: ``function_tool`` plus the Chat Completions and Responses converters."""

    dialects = ("openai", "openai-responses")

    def __init__(self) -> None:
        from agents import function_tool
        from agents.models.chatcmpl_converter import Converter as ChatConverter
        from agents.models.openai_responses import Converter as ResponsesConverter

        self._function_tool = function_tool
        self._to_chat = ChatConverter.tool_to_openai
        self._to_responses = ResponsesConverter.convert_tools

    def build(self, functions: Sequence[Callable[..., Any]]) -> Any:
        """Create a ``FunctionTool`` per function, then convert them for both OpenAI APIs."""
        tools = [self._function_tool(fn) for fn in functions]
        for dialect in self.dialects:
            self.request(tools, dialect, len(tools))
        return tools

    def request(self, built: Any, dialect: str, offered: int) -> None:
        """Convert the stored schemas to the dialect's tool params, as its model does."""
        tools = built[:offered]
        if dialect == "openai":
            [self._to_chat(tool) for tool in tools]
        else:
            self._to_responses(tools, [])

    def openai_chat(self, built: Any) -> list[dict[str, Any]]:
        """Return the Chat Completions tool params."""
        return [self._to_chat(tool) for tool in built]


class PydanticAISubject:
    """pydantic-ai: ``Tool`` plus each model's per-request transform and mapping."""

    dialects = ("openai", "openai-responses", "anthropic", "gemini")

    def __init__(self) -> None:
        from pydantic_ai import Tool
        from pydantic_ai.models import ModelRequestParameters
        from pydantic_ai.models.anthropic import AnthropicModel
        from pydantic_ai.models.google import GoogleModel, _function_declaration_from_tool
        from pydantic_ai.models.openai import OpenAIChatModel, OpenAIResponsesModel
        from pydantic_ai.providers.anthropic import AnthropicProvider
        from pydantic_ai.providers.google import GoogleProvider
        from pydantic_ai.providers.openai import OpenAIProvider

        # Dummy keys: the clients are constructed but never used to send anything.
        openai_provider = OpenAIProvider(api_key="sk-benchmark-not-used")
        chat = OpenAIChatModel("gpt-4o", provider=openai_provider)
        responses = OpenAIResponsesModel("gpt-4o", provider=openai_provider)
        anthropic = AnthropicModel(
            "claude-sonnet-4-5", provider=AnthropicProvider(api_key="benchmark-not-used")
        )
        google = GoogleModel("gemini-2.5-flash", provider=GoogleProvider(api_key="not-used"))
        self._tool_type = Tool
        self._parameters_type = ModelRequestParameters
        self._renderers: dict[str, tuple[Any, Callable[[Any], Any]]] = {
            "openai": (chat, lambda d: chat._map_tool_definition(d, {})),
            "openai-responses": (
                responses,
                lambda d: responses._map_tool_definition(d, visibility="visible"),
            ),
            "anthropic": (
                anthropic,
                lambda d: anthropic._map_tool_definition(d, {}, visibility="visible"),
            ),
            "gemini": (google, _function_declaration_from_tool),
        }

    def build(self, functions: Sequence[Callable[..., Any]]) -> Any:
        """Create a ``Tool`` per function, then map them for the four models."""
        tools = [self._tool_type(fn) for fn in functions]
        for dialect in self.dialects:
            self.request(tools, dialect, len(tools))
        return tools

    def request(self, built: Any, dialect: str, offered: int) -> None:
        """The per-request path of one model: tool definitions, schema transform, mapping."""
        model, map_tool = self._renderers[dialect]
        parameters = self._parameters_type(
            function_tools=[tool.tool_def for tool in built[:offered]]
        )
        customized = model.customize_request_parameters(parameters)
        [map_tool(tool_def) for tool_def in customized.function_tools]

    def openai_chat(self, built: Any) -> list[dict[str, Any]]:
        """Return what ``OpenAIChatModel`` would send."""
        parameters = self._parameters_type(function_tools=[tool.tool_def for tool in built])
        model, map_tool = self._renderers["openai"]
        return [map_tool(d) for d in model.customize_request_parameters(parameters).function_tools]


SUBJECTS: dict[str, tuple[type[Subject], str]] = {
    "switchboard": (SwitchboardSubject, "switchboard"),
    "openai_agents": (OpenAIAgentsSubject, "openai-agents"),
    "pydantic_ai": (PydanticAISubject, "pydantic-ai-slim"),
}


def elapsed_ns(action: Callable[[], object]) -> int:
    """Run ``action`` once after a collection and return its wall time in nanoseconds."""
    gc.collect()
    start = time.perf_counter_ns()
    action()
    return time.perf_counter_ns() - start


def measure(subject_name: str) -> dict[str, Any]:
    """Run in a fresh process: one cold build of the 1,000 tools, then the per-request paths."""
    subject = SUBJECTS[subject_name][0]()
    warm = subject.build(generate_functions("warmup", WARMUP_TOOLS))
    for dialect in subject.dialects:
        subject.request(warm, dialect, WARMUP_TOOLS)
    functions = generate_functions("tool", N_TOOLS)
    built: list[Any] = []
    cold_ns = elapsed_ns(lambda: built.append(subject.build(functions)))
    tools = built[0]
    per_request: dict[str, dict[str, list[int]]] = {
        dialect: {str(offered): [] for offered in OFFERED} for dialect in subject.dialects
    }
    for _ in range(REQUEST_REPEATS):
        for dialect in subject.dialects:
            for offered in OFFERED:
                ns = elapsed_ns(lambda d=dialect, o=offered: subject.request(tools, d, o))
                per_request[dialect][str(offered)].append(ns)
    openai_chat = subject.openai_chat(tools)
    result: dict[str, Any] = {
        "cold_ns": cold_ns,
        "per_request_ns": per_request,
        "openai_strict_tools": sum(tool["function"].get("strict") is True for tool in openai_chat),
    }
    if isinstance(subject, SwitchboardSubject):
        result["strict_openai_ns"] = elapsed_ns(lambda: tools.schemas("openai", strict=True))
    return result


def run_fresh(subject_name: str) -> dict[str, Any]:
    """Run ``measure`` in a new interpreter and return what it measured."""
    with ProcessPoolExecutor(max_workers=1, mp_context=get_context("spawn")) as pool:
        return pool.submit(measure, subject_name).result()


def milliseconds(ns: float) -> float:
    return round(ns / 1e6, 2)


def summarise(subject_name: str, runs: list[dict[str, Any]]) -> dict[str, Any]:
    """Reduce a subject's runs to the reported figures."""
    cold = statistics.median(run["cold_ns"] for run in runs)
    dialects = SUBJECTS[subject_name][0].dialects
    per_request = {
        dialect: {
            str(offered): milliseconds(
                min(ns for run in runs for ns in run["per_request_ns"][dialect][str(offered)])
            )
            for offered in OFFERED
        }
        for dialect in dialects
    }
    summary: dict[str, Any] = {
        "version": metadata.version(SUBJECTS[subject_name][1]),
        "cold_ms": milliseconds(cold),
        "per_tool_cold_us": round(cold / N_TOOLS / 1e3, 2),
        "cold_runs_ms": [milliseconds(run["cold_ns"]) for run in runs],
        "per_request_ms": per_request,
        "dialects": list(dialects),
        "openai_strict_tools": runs[0]["openai_strict_tools"],
    }
    if subject_name == "switchboard":
        strict = statistics.median(run["strict_openai_ns"] for run in runs)
        summary["strict_openai_first_call_ms"] = milliseconds(strict)
    return summary


def compare(figures: dict[str, Any]) -> dict[str, Any]:
    """Each peer's per-request figure for all the tools over switchboard's, per dialect."""
    ours = figures["switchboard"]
    if "error" in ours:
        return {}
    top = str(N_TOOLS)
    return {
        peer: {
            dialect: round(by_dialect[top] / ours["per_request_ms"][dialect][top], 1)
            for dialect, by_dialect in figures[peer]["per_request_ms"].items()
        }
        for peer in SUBJECTS
        if peer != "switchboard" and "error" not in figures[peer]
    }


def assess(ours: dict[str, Any]) -> dict[str, Any]:
    """Whether switchboard met its per-request targets, per dialect."""
    if "error" in ours:
        return {}
    low, top = str(OFFERED[0]), str(OFFERED[-1])
    scale = OFFERED[-1] / OFFERED[0]
    per_request = ours["per_request_ms"]
    return {
        "per_request_at_most_1ms": {
            d: ms[top] <= MAX_PER_REQUEST_MS for d, ms in per_request.items()
        },
        "linear_in_tools_offered": {d: ms[top] <= scale * ms[low] for d, ms in per_request.items()},
    }


def main() -> None:
    runs: dict[str, list[dict[str, Any]]] = {name: [] for name in SUBJECTS}
    failures: dict[str, str] = {}
    for run_index in range(COLD_RUNS):
        for name in SUBJECTS:
            if name in failures:
                continue
            print(f"schema_build: {name} run {run_index + 1}/{COLD_RUNS}", file=sys.stderr)
            try:
                runs[name].append(run_fresh(name))
            except Exception as e:  # report a broken subject, keep the others
                failures[name] = f"{type(e).__name__}: {e}"
                print(f"schema_build: {name} failed: {failures[name]}", file=sys.stderr)
    figures: dict[str, Any] = {
        "benchmark": "schema_build",
        "tools": N_TOOLS,
        "params_per_tool": PARAMS_PER_TOOL,
    }
    for name in SUBJECTS:
        figures[name] = (
            {"error": failures[name]} if name in failures else summarise(name, runs[name])
        )
    figures["per_request_peer_over_switchboard"] = compare(figures)
    figures["targets"] = {"per_request_max_ms": MAX_PER_REQUEST_MS, "linear_in_tools_offered": True}
    figures["met"] = assess(figures["switchboard"])
    figures["offered"] = list(OFFERED)
    figures["cold_runs"] = COLD_RUNS
    figures["request_repeats_per_run"] = REQUEST_REPEATS
    figures["python"] = platform.python_version()
    print(json.dumps(figures), flush=True)


if __name__ == "__main__":
    main()
