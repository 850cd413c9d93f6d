"""`ConversationJob`: what a batch does for one line: one run of the loop, as one output line.

The job names its tools (a `SourceFile`) and its model (a `ModelSpec`), so that a Ray worker
builds them itself; in this process it may hold a `Toolbox` and a `Provider` instead. Each
process builds them once and keeps an `Agent` per distinct set of line settings. With a
run store, each line is recorded as a run (`switchboard.batch.recorded`), with the settings
``switchboard runs resume`` goes on with it by (`switchboard.batch.resumable`).
"""

from __future__ import annotations

import dataclasses
import time
import uuid
from collections import OrderedDict
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from switchboard.agent import Agent
from switchboard.batch.lines import Line
from switchboard.batch.models import ModelSpec
from switchboard.batch.output import BatchResult
from switchboard.batch.output_type import OutputTypeSpec
from switchboard.batch.recorded import close_store_of_loop, run_recorded, store_of_loop
from switchboard.batch.resumable import command_options
from switchboard.batch.sources import SourceFile
from switchboard.command_agent import command_agent
from switchboard.errors import SwitchboardError
from switchboard.execution.toolbox import Toolbox
from switchboard.outcome import RunResult, run_so_far
from switchboard.providers.base import Provider
from switchboard.runs.codec import message_to_json
from switchboard.runs.state import new_run_id
from switchboard.runs.store import RunStore
from switchboard.tools_file import load_toolbox

__all__ = ["BatchSettings", "ConversationJob", "load_tools"]

_AGENTS_KEPT = 64
"""Agents kept per process, one per distinct set of line settings (the oldest dropped)."""

_TOOLBOXES: dict[str, Toolbox] = {}
_AGENTS: OrderedDict[tuple[str, int, tuple[tuple[str, Any], ...]], Agent] = OrderedDict()


@dataclass(frozen=True, slots=True)
class BatchSettings:
    """The settings of a batch's runs; a line may set its own (see `switchboard.batch.lines`).

    Attributes:
        system: Instructions sent ahead of each conversation.
        max_iterations: The most model requests in one run.
        max_tool_calls: The most tool calls in one run (``None``: no limit).
        tool_choice: ``"auto"``, ``"none"``, ``"required"`` or a tool's name.
        max_tokens: The most tokens per reply.
        temperature: Sampling temperature.
        seed: Sampling seed.
        tool_timeout: Seconds for each turn's tool calls.
        run_timeout: Seconds for a whole run.
        request_timeout: Seconds for each try of a model request.
        answer_at_limit: Make the last request forbid calls, so a run ends with an answer.
    """

    system: str | None = None
    max_iterations: int = 10
    max_tool_calls: int | None = None
    tool_choice: str = "auto"
    max_tokens: int | None = None
    temperature: float | None = None
    seed: int | None = None
    tool_timeout: float | None = None
    run_timeout: float | None = None
    request_timeout: float | None = None
    answer_at_limit: bool = False


def load_tools(tools: SourceFile | Toolbox | None, *, fresh: bool = False) -> Toolbox:
    """The toolbox of a tools file, imported once per process (``fresh``: anew)."""
    if tools is None:
        return Toolbox()
    if isinstance(tools, Toolbox):
        return tools
    if fresh:
        return load_toolbox(tools.local_path())
    toolbox = _TOOLBOXES.get(tools.digest)
    if toolbox is None:
        toolbox = _TOOLBOXES[tools.digest] = load_toolbox(tools.local_path())
    return toolbox


@dataclass(frozen=True)
class ConversationJob:
    """Runs one line of a batch: a conversation, through an `Agent`.

    Attributes:
        tools: The tools file (built on each worker), a `Toolbox` (in this process
            only), or ``None`` for none.
        model: The model's spec, or a `Provider` (in this process only).
        settings: The batch's run settings; each line's own win.
        output_type: The class each answer must be, loaded on each worker (``None``: text).
        store: Where each line's run is recorded (see `switchboard.batch.recorded`): a
            store's location, opened on each worker, or a `RunStore` (in this process
            only); ``None``: runs are not recorded.
        source: The input file's name, recorded with each run (``meta["batch"]``).
        key: Names this job in each process's cache of agents.
    """

    tools: SourceFile | Toolbox | None
    model: ModelSpec | Provider
    settings: BatchSettings = BatchSettings()
    output_type: OutputTypeSpec | None = None
    store: str | RunStore | None = None
    source: str = ""
    key: str = field(default_factory=lambda: uuid.uuid4().hex)

    @property
    def heavy(self) -> bool:
        """Whether the model is a local one: loaded once per replica on Ray."""
        return isinstance(self.model, ModelSpec) and self.model.is_local

    def with_threads(self, threads: int) -> ConversationJob:
        """This job for a replica of ``threads`` CPUs: a local model's threads, unless set."""
        if not isinstance(self.model, ModelSpec):
            return self
        return dataclasses.replace(self, model=self.model.with_threads(threads))

    def prepare(self) -> None:
        """Build the tools and the model in this process now, so a mistake shows at once.

        Raises:
            ConfigurationError: The tools or the model cannot be built.
        """
        load_tools(self.tools)
        if isinstance(self.model, ModelSpec):
            self.model.build()

    async def run(self, item: Line) -> BatchResult:
        """Run the line's conversation; its result, or its error, as a `BatchResult`."""
        started = time.perf_counter()
        if self.store is not None and item.run_id is None:  # a job not run by `batch`
            item = dataclasses.replace(item, run_id=new_run_id())
        result: RunResult | None
        try:
            store = store_of_loop(self.store) if isinstance(self.store, str) else self.store
            agent = self._agent(item.settings, store)
            if store is None:
                result = await agent.run(item.prompt, messages=item.messages)
            else:
                result = await run_recorded(agent, store, item, self._meta(item))
            error = None
        except SwitchboardError as e:
            result = run_so_far(e)
            error = str(e)
        except Exception as e:  # e.g. a tools file that no longer imports on this worker
            result, error = None, f"{type(e).__name__}: {e}"
        return _result(item, result, error, time.perf_counter() - started, self._run_id(item))

    async def close(self) -> None:
        """Close the store this process opened for the job on this loop, and its agents.

        A `RunStore` object given to the job is its owner's to close.
        """
        if not isinstance(self.store, str):
            return
        store = await close_store_of_loop(self.store)
        if store is not None:
            for key in [key for key in _AGENTS if key[1] == id(store)]:
                del _AGENTS[key]

    def lost(self, item: Line, reason: str) -> BatchResult:
        """The result of a line whose run was lost on Ray."""
        return _result(item, None, reason, 0.0, self._run_id(item))

    def _run_id(self, item: Line) -> str | None:
        """The id of the line's run in the store; ``None`` when runs are not recorded."""
        return None if self.store is None else item.run_id

    def _meta(self, item: Line) -> dict[str, Any]:
        """What is recorded with a line's run: which batch line it is, how to resume it."""
        meta: dict[str, Any] = {"batch": {"input": self.source, "line": item.number, "id": item.id}}
        options = command_options(
            self.tools, self.model, self.settings, item.settings, self.output_type
        )
        if options is not None:
            meta["cli"] = options
        return meta

    def _agent(self, overrides: Mapping[str, Any], store: RunStore | None) -> Agent:
        key = (self.key, id(store), tuple(sorted(overrides.items())))
        agent = _AGENTS.get(key)
        if agent is not None:
            _AGENTS.move_to_end(key)
            return agent
        settings = dataclasses.replace(self.settings, **overrides)
        toolbox = load_tools(self.tools)
        provider = self.model.build() if isinstance(self.model, ModelSpec) else self.model
        output_type = None if self.output_type is None else self.output_type.load()
        # The recipe `runs resume` builds the line's agent again with (`command_options`).
        agent = _AGENTS[key] = command_agent(
            provider,
            toolbox,
            system=settings.system,
            tool_choice=settings.tool_choice,
            max_iterations=settings.max_iterations,
            max_tokens=settings.max_tokens,
            temperature=settings.temperature,
            seed=settings.seed,
            tool_timeout=settings.tool_timeout,
            run_timeout=settings.run_timeout,
            max_tool_calls=settings.max_tool_calls,
            request_timeout=settings.request_timeout,
            answer_at_limit=settings.answer_at_limit,
            store=store,
            output_type=output_type,
        )
        if len(_AGENTS) > _AGENTS_KEPT:
            _AGENTS.popitem(last=False)
        return agent


def _result(
    line: Line, run: RunResult | None, error: str | None, seconds: float, run_id: str | None
) -> BatchResult:
    if run is None:
        return BatchResult(
            line.id, line.number, "", None, error, seconds, metadata=line.metadata, run_id=run_id
        )
    usage = run.usage
    return BatchResult(
        id=line.id,
        line=line.number,
        output=run.output,
        parsed=_parsed_json(run.parsed),
        stop_reason=run.stop_reason,
        error=error,
        seconds=seconds,
        input_tokens=usage.input_tokens,
        output_tokens=usage.output_tokens,
        requests=usage.requests,
        tool_calls=sum(len(step.results) for step in run.steps),
        messages=tuple(message_to_json(message) for message in run.messages),
        metadata=line.metadata,
        # The run's own id: a run the lost attempt left without a state runs under a new one.
        run_id=None if run_id is None else run.state.run_id,
    )


def _parsed_json(parsed: object) -> Any:
    """A typed answer as JSON: the class stays on the worker that loaded it, never pickled."""
    from pydantic import BaseModel

    return parsed.model_dump(mode="json") if isinstance(parsed, BaseModel) else None
