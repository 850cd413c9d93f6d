"""`batch`: run many conversations, one per input line, here or on Ray, into one output file.

Every input line is checked before anything runs. Lines whose id the output already holds
are skipped, so a batch stopped for any reason (a crash, Ctrl-C, a machine lost) is rerun
with the same command and does only what is left. Every other line gets exactly one output
line, its answer or its error, written and flushed as it finishes.
"""

from __future__ import annotations

import asyncio
import contextlib
import dataclasses
import os
import time
from collections.abc import AsyncGenerator, Callable
from dataclasses import dataclass
from pathlib import Path

from switchboard.batch.conversation import BatchSettings, ConversationJob, load_tools
from switchboard.batch.engine import RayOptions, run_items
from switchboard.batch.lines import id_key, read_lines
from switchboard.batch.models import ModelSpec
from switchboard.batch.output import BatchResult, OutputFile
from switchboard.batch.output_type import OutputTypeSpec
from switchboard.batch.sources import SourceFile
from switchboard.blocking import run_blocking
from switchboard.errors import ConfigurationError
from switchboard.execution.toolbox import Toolbox
from switchboard.providers.base import Provider, check_timeouts
from switchboard.runs.location import check_location, is_postgres_url, open_run_store
from switchboard.runs.state import new_run_id
from switchboard.runs.store import RunStore

__all__ = ["BatchSummary", "batch", "batch_sync"]

_CHOICES = ("auto", "none", "required")


@dataclass(frozen=True, slots=True)
class BatchSummary:
    """What a batch did.

    Attributes:
        lines: Lines in the input.
        skipped: Lines the output already held (done by an earlier run), not run again.
        ran: Lines run now: each has its output line.
        answered: Runs that ended with an answer.
        failed: Runs that ended in an error (a provider's, a timeout, a worker lost).
        seconds: Wall time of the runs.
        input_tokens: Tokens sent, over the runs.
        output_tokens: Tokens written, over the runs.
        output: The output file.
    """

    lines: int
    skipped: int
    ran: int
    answered: int
    failed: int
    seconds: float
    input_tokens: int
    output_tokens: int
    output: Path

    @property
    def runs_per_second(self) -> float:
        """Lines run per second of wall time."""
        return self.ran / self.seconds if self.seconds else 0.0


async def batch(
    input_file: str | Path,
    *,
    model: str | Provider,
    output: str | Path,
    tools: str | Path | Toolbox | None = None,
    concurrency: int | None = None,
    ray: bool | str | RayOptions = False,
    replicas: int | None = None,
    ordered: bool = False,
    settings: BatchSettings | None = None,
    threads: int | None = None,
    on_start: Callable[[int, int], None] | None = None,
    on_result: Callable[[BatchResult], None] | None = None,
    store: str | os.PathLike[str] | RunStore | None = None,
    output_type: str | None = None,
) -> BatchSummary:
    """Run a conversation for each line of ``input_file``, each result a line of ``output``.

    Args:
        input_file: A JSON Lines file, one conversation per line (see `switchboard.batch.lines`:
            ``prompt`` or ``messages``, an optional ``id``, settings and ``metadata``).
        model: A model string (``"local"``, ``"openai:gpt-4.1-mini"``, ...), a factory
            ``"FILE.py:NAME"`` or ``"module:NAME"`` (a `Provider`, or a function of no
            arguments returning one), or, in this process only, a `Provider`.
        output: The JSON Lines file results are appended to (see `BatchResult`). Lines
            whose id it already holds are skipped; a partial last line is run again.
        tools: A Python file that defines tools (imported on each worker from its path),
            or, in this process only, a `Toolbox`.
        concurrency: Conversations in flight at once (default: 8 here; on Ray, two per
            CPU for tasks and per replica).
        ray: Run on Ray: ``True`` or ``"local"`` starts a local cluster for the batch;
            ``"auto"`` joins the cluster of ``RAY_ADDRESS`` or this machine's; any other
            string is a cluster's address; `RayOptions` says that and more (CPUs, retries).
            An already connected process uses its cluster.
        replicas: On Ray, run on this many actors, each loading the model once (a local
            model always runs on replicas: 1 by default).
        ordered: Write the output lines in input order (each waits for those before it);
            by default each is written as it finishes.
        settings: The runs' settings (`BatchSettings`); each line may set its own.
        threads: CPU threads for a local model (default: every core; on Ray, the CPUs
            each replica reserves).
        on_start: Called before the first run with the lines to run and those skipped.
        on_result: Called with each line's result as it is written (progress).
        store: Record each line's conversation as a run in this run store, its id in the
            line's output (``run_id``), to list, show, view or replay: a SQLite file's path
            or a ``postgresql://`` URL (each Ray worker opens it: on a cluster of several
            machines, a PostgreSQL database they all reach), or, in this process only, a
            `RunStore`. A line run again by Ray after its worker died goes on with the run
            its lost attempt stored (see `switchboard.batch.recorded`).
        output_type: The Pydantic model class each answer must be, ``"FILE.py:Model"`` or
            ``"package.module:Model"`` (loaded on each worker, as the tools file): each
            answer is validated into it (an invalid one is sent back, as `Agent` does),
            and each output line's ``parsed`` holds it as JSON.

    Returns:
        What was done: lines run, answered, failed, skipped, time and tokens.

    Raises:
        ConfigurationError: An input line, the tools file, the model, the output type, a
            setting, the store's location or the output file is wrong (nothing has run);
            or no Ray cluster answers.
        RunStateError: The store cannot be opened or read (nothing has run).
        ImportError: ``ray`` is asked for and Ray is not installed.
    """
    settings = settings or BatchSettings()
    if concurrency is not None and concurrency < 1:
        msg = f"concurrency must be at least 1 (got {concurrency})."
        raise ConfigurationError(msg)
    options = _ray_options(ray, replicas)
    job = _job(tools, model, settings, threads, output_type, on_ray=options is not None)
    location = _store_location(store, on_ray=options is not None)
    toolbox = load_tools(job.tools)
    _check_settings(settings, toolbox.names)
    lines = read_lines(input_file, toolbox.names)
    out = OutputFile(output, ordered=ordered)
    done = out.done()
    pending = [line for line in lines if id_key(line.id) not in done]
    if store is not None:
        pending = [dataclasses.replace(line, run_id=new_run_id()) for line in pending]
    if options is None:
        job.prepare()
    async with _opened(store, location) as runs:
        if runs is not None:
            recorded_in = runs if options is None else location
            job = dataclasses.replace(job, store=recorded_in, source=str(input_file))
        if on_start is not None:
            on_start(len(pending), len(lines) - len(pending))
        tally = _Tally(out, on_result)
        started = time.perf_counter()
        out.open()
        try:
            if pending:  # nothing left to do needs no cluster
                await run_items(job, pending, tally.deliver, concurrency=concurrency, ray=options)
        finally:
            out.close()
    return BatchSummary(
        lines=len(lines),
        skipped=len(lines) - len(pending),
        ran=tally.ran,
        answered=tally.answered,
        failed=tally.failed,
        seconds=time.perf_counter() - started,
        input_tokens=tally.input_tokens,
        output_tokens=tally.output_tokens,
        output=out.path,
    )


def batch_sync(
    input_file: str | Path,
    *,
    model: str | Provider,
    output: str | Path,
    tools: str | Path | Toolbox | None = None,
    concurrency: int | None = None,
    ray: bool | str | RayOptions = False,
    replicas: int | None = None,
    ordered: bool = False,
    settings: BatchSettings | None = None,
    threads: int | None = None,
    on_start: Callable[[int, int], None] | None = None,
    on_result: Callable[[BatchResult], None] | None = None,
    store: str | os.PathLike[str] | RunStore | None = None,
    output_type: str | None = None,
) -> BatchSummary:
    """`batch`, for code without an event loop.

    Raises:
        ConfigurationError: Called inside a running event loop (use ``await batch``), or
            as `batch` raises.
    """
    try:
        asyncio.get_running_loop()
    except RuntimeError:
        return run_blocking(
            batch(
                input_file,
                model=model,
                output=output,
                tools=tools,
                concurrency=concurrency,
                ray=ray,
                replicas=replicas,
                ordered=ordered,
                settings=settings,
                threads=threads,
                on_start=on_start,
                on_result=on_result,
                store=store,
                output_type=output_type,
            )
        )
    msg = "batch_sync() was called in a running event loop: use `await batch(...)`."
    raise ConfigurationError(msg)


class _Tally:
    """Writes each result and counts it."""

    def __init__(self, out: OutputFile, on_result: Callable[[BatchResult], None] | None) -> None:
        self._out = out
        self._on_result = on_result
        self.ran = self.answered = self.failed = 0
        self.input_tokens = self.output_tokens = 0

    def deliver(self, position: int, result: BatchResult) -> None:
        self._out.write(position, result)
        self.ran += 1
        if result.error is not None:
            self.failed += 1
        elif result.stop_reason == "answer":
            self.answered += 1
        self.input_tokens += result.input_tokens
        self.output_tokens += result.output_tokens
        if self._on_result is not None:
            self._on_result(result)


def _ray_options(ray: bool | str | RayOptions, replicas: int | None) -> RayOptions | None:
    if isinstance(ray, RayOptions):
        if replicas is not None and replicas != ray.replicas:
            msg = f"replicas={replicas} and RayOptions(replicas={ray.replicas}): give one."
            raise ConfigurationError(msg)
        return ray
    if ray is False:
        return None
    return RayOptions("local" if ray is True else ray, replicas=replicas)


def _job(
    tools: str | Path | Toolbox | None,
    model: str | Provider,
    settings: BatchSettings,
    threads: int | None,
    output_type: str | None,
    *,
    on_ray: bool,
) -> ConversationJob:
    if isinstance(tools, Toolbox) and on_ray:
        msg = (
            "On Ray, pass the tools as a file (tools='tools.py'): each worker imports it. "
            "A Toolbox object lives in this process only."
        )
        raise ConfigurationError(msg)
    if not isinstance(model, str) and on_ray:
        msg = (
            "On Ray, pass the model as a string: a model string, or a factory "
            "'FILE.py:NAME' each worker calls. A Provider object lives in this process only."
        )
        raise ConfigurationError(msg)
    source = SourceFile.read(tools, "tools file") if isinstance(tools, str | Path) else tools
    spec = ModelSpec.parse(model, threads=threads) if isinstance(model, str) else model
    typed = None if output_type is None else OutputTypeSpec.parse(output_type)
    return ConversationJob(source, spec, settings, typed)


def _store_location(store: str | os.PathLike[str] | RunStore | None, *, on_ray: bool) -> str | None:
    """The store's location as every worker reads it (a file's absolute path, or a URL)."""
    if store is None:
        return None
    if not isinstance(store, str | os.PathLike):
        if on_ray:
            msg = (
                "On Ray, pass the run store as a location (store='runs.sqlite3' or "
                "store='postgresql://...'): each worker opens it. A RunStore object lives in "
                "this process only."
            )
            raise ConfigurationError(msg)
        return None
    location = os.fspath(store)
    check_location(location)
    return location if is_postgres_url(location) else os.path.abspath(location)


@contextlib.asynccontextmanager
async def _opened(
    store: str | os.PathLike[str] | RunStore | None, location: str | None
) -> AsyncGenerator[RunStore | None]:
    """The batch's store, opened and read once here so a wrong one fails before any run."""
    if location is None:  # no store, or a RunStore the caller opened (and closes)
        yield store if isinstance(store, RunStore) else None
        return
    async with open_run_store(location) as runs:
        await runs.list_runs(limit=1)
        yield runs


def _check_settings(settings: BatchSettings, tool_names: list[str]) -> None:
    if settings.max_iterations < 1:
        msg = f"max_iterations must be at least 1 (got {settings.max_iterations})."
        raise ConfigurationError(msg)
    if settings.max_tool_calls is not None and settings.max_tool_calls < 0:
        msg = f"max_tool_calls must be 0 or more, or None (got {settings.max_tool_calls})."
        raise ConfigurationError(msg)
    check_timeouts(
        tool_timeout=settings.tool_timeout,
        run_timeout=settings.run_timeout,
        request_timeout=settings.request_timeout,
    )
    choice = settings.tool_choice
    if choice not in _CHOICES and choice not in tool_names:
        names = ", ".join(tool_names) or "none"
        msg = f"tool_choice={choice!r} names no tool of the batch (tools: {names})."
        raise ConfigurationError(msg)
