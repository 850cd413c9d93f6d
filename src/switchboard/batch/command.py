"""``switchboard batch``: a conversation per input line, with a progress bar and a summary.

`RayCommand` is the command class of every command with ``--ray [ADDRESS]``: typer's
options take a value or none, never either, so a bare ``--ray`` is read as ``--ray local``.
"""

from __future__ import annotations

import asyncio
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from switchboard.batch.conversation import BatchSettings
from switchboard.batch.output import BatchResult
from switchboard.batch.run import BatchSummary, batch
from switchboard.cli_output_type import OutputTypeOption
from switchboard.cli_store import store_option
from switchboard.command_agent import MAX_ITERATIONS, MAX_TOKENS, TOOL_CHOICE
from switchboard.errors import SwitchboardError
from switchboard.providers.models import LOCAL
from switchboard.terminal import Command, StdoutConsole, fail

__all__ = ["RAY_HELP", "REPLICAS_HELP", "RayCommand", "batch_command"]

RAY_HELP = (
    "Run on Ray: bare, a local cluster started for the run; 'auto', the cluster of "
    "RAY_ADDRESS or this machine's; or a cluster's address (host:port, ray://host:10001)."
)
REPLICAS_HELP = (
    "With --ray: run on this many actors, each loading the model once (a local model: 1 "
    "by default)."
)
_BARE_RAY = "local"


class RayCommand(Command):
    """A command whose ``--ray`` may be given bare, meaning ``--ray local``."""

    def parse_args(self, ctx: Any, args: list[str]) -> list[str]:
        """The arguments, ``local`` put after a ``--ray`` that has no value."""
        given: list[str] = []
        for index, arg in enumerate(args):
            given.append(arg)
            following = args[index + 1] if index + 1 < len(args) else None
            if arg == "--ray" and (following is None or following.startswith("-")):
                given.append(_BARE_RAY)
        return super().parse_args(ctx, given)


def batch_command(
    input_file: Annotated[
        Path, typer.Argument(metavar="INPUT", help="JSON Lines: a conversation per line.")
    ],
    output: Annotated[
        Path, typer.Option("--output", "-o", help="JSON Lines: a result per line (appended).")
    ],
    tools: Annotated[
        Path | None, typer.Option("--tools", "-t", help="A Python file that defines tools.")
    ] = None,
    model: Annotated[
        str,
        typer.Option(
            "--model",
            "-m",
            envvar="SWITCHBOARD_MODEL",
            help="A model string ('local', 'openai:<model>', ...) or a factory, "
            "'FILE.py:NAME' (a Provider, or a function returning one).",
        ),
    ] = LOCAL,
    concurrency: Annotated[
        int | None,
        typer.Option(
            min=1,
            help="Conversations at once (default: 8 here; on Ray, 2 per CPU or per replica).",
        ),
    ] = None,
    ray: Annotated[str | None, typer.Option(metavar="[ADDRESS]", help=RAY_HELP)] = None,
    replicas: Annotated[int | None, typer.Option(min=1, help=REPLICAS_HELP)] = None,
    ordered: Annotated[
        bool, typer.Option(help="Write the results in input order (else as each finishes).")
    ] = False,
    system: Annotated[str | None, typer.Option(help="Instructions for the model.")] = None,
    tool_choice: Annotated[
        str,
        typer.Option(help="required (the first reply calls a tool), auto, none, or a tool."),
    ] = TOOL_CHOICE,
    max_iterations: Annotated[
        int, typer.Option(min=1, help="The most model requests per run; the last answers.")
    ] = MAX_ITERATIONS,
    max_tokens: Annotated[int, typer.Option(min=1, help="The most tokens per reply.")] = (
        MAX_TOKENS
    ),
    temperature: Annotated[float | None, typer.Option(help="Sampling temperature.")] = None,
    seed: Annotated[int | None, typer.Option(help="Sampling seed.")] = None,
    tool_timeout: Annotated[
        float | None, typer.Option(help="Seconds for each turn's tool calls.")
    ] = None,
    run_timeout: Annotated[float | None, typer.Option(help="Seconds for each run.")] = None,
    threads: Annotated[
        int | None,
        typer.Option(
            help="CPU threads for a local model (default: every core; on Ray, its replica's CPUs)."
        ),
    ] = None,
    store: Annotated[
        str | None,
        store_option(
            "Record each conversation as a run in this run store, its id in the output line "
            "(run_id): a SQLite file, or a postgresql:// URL that every Ray worker reaches.",
        ),
    ] = None,
    output_type: OutputTypeOption = None,
) -> None:
    """Run a conversation for each line of INPUT, as `switchboard run` would; one result each.

    A line is a JSON object: "prompt" (or "messages"), and optionally "id", run settings
    ("system", "max_iterations", "tool_choice", "max_tokens", "temperature", "seed", ...)
    and "metadata". Every line is checked before any runs. Each result is appended to
    --output as it finishes: the answer, or the error, with the whole conversation. Run the
    same command again to finish a batch that stopped: the lines the output holds are
    skipped. With --store, each conversation is also a run in the store, to list, show,
    view or replay (`switchboard runs list --store ...`). With --output-type, each answer
    is validated into that model, its JSON in the output line's "parsed".

    \b
    Exit status:
      0    every line has its result, and no run failed
      1    a run failed (see its "error" in the output), or the input,
           tools, model or settings are wrong (nothing ran)
      2    the command line is wrong
      130  interrupted (Ctrl-C): run the command again to go on
    """  # noqa: D301 - click keeps a paragraph's lines only after a real \b (backspace)
    settings = BatchSettings(
        system=system,
        max_iterations=max_iterations,
        tool_choice=tool_choice,
        max_tokens=max_tokens,
        temperature=temperature,
        seed=seed,
        tool_timeout=tool_timeout,
        run_timeout=run_timeout,
        answer_at_limit=True,
    )
    stderr = Console(stderr=True, highlight=False, soft_wrap=True)
    progress = _Progress(stderr, input_file.name)
    try:
        with progress.bar:
            summary = asyncio.run(
                batch(
                    input_file,
                    model=model,
                    output=output,
                    tools=tools,
                    concurrency=concurrency,
                    ray=False if ray is None else ray,
                    replicas=replicas,
                    ordered=ordered,
                    settings=settings,
                    threads=threads,
                    on_start=progress.start,
                    on_result=progress.advance,
                    store=store,
                    output_type=output_type,
                )
            )
    except (SwitchboardError, ImportError) as e:
        fail(str(e))
    StdoutConsole(highlight=False, soft_wrap=True).print(_table(summary, model))
    if summary.failed:
        stderr.print(
            f"[bold red]error:[/] {summary.failed} of {summary.ran} runs failed: their "
            f'"error" is in {summary.output}.'
        )
        raise typer.Exit(code=1)


class _Progress:
    """The progress bar on stderr: runs done of those to run, answered and failed."""

    def __init__(self, console: Console, name: str) -> None:
        self.bar = Progress(
            TextColumn("{task.description}"),
            BarColumn(),
            MofNCompleteColumn(),
            TextColumn("{task.fields[tally]}"),
            TimeRemainingColumn(),
            console=console,
            transient=True,
            # Off the terminal, Rich prints the bar's last state (blank while hidden) once it
            # stops: a stray line before the error or the summary in a log.
            disable=not console.is_terminal,
        )
        self._name = name
        self._task = self.bar.add_task(name, total=None, tally="", visible=False)
        self._answered = self._failed = 0

    def start(self, to_run: int, skipped: int) -> None:
        done = f" ({skipped} done before)" if skipped else ""
        self.bar.update(self._task, total=to_run, description=self._name + done, visible=True)

    def advance(self, result: BatchResult) -> None:
        if result.error is not None:
            self._failed += 1
        elif result.stop_reason == "answer":
            self._answered += 1
        tally = f"answered {self._answered}, failed {self._failed}"
        self.bar.update(self._task, advance=1, tally=tally)


def _table(summary: BatchSummary, model: str) -> Table:
    table = Table(title=f"Batch - {model}")
    for column in ("lines", "done before", "ran", "answered", "failed", "runs/s", "seconds"):
        table.add_column(column, justify="right")
    table.add_column("output")
    rate = summary.runs_per_second
    table.add_row(
        str(summary.lines),
        str(summary.skipped),
        str(summary.ran),
        str(summary.answered),
        str(summary.failed),
        f"{rate:.2f}" if math.isfinite(rate) else "-",
        f"{summary.seconds:.1f}",
        str(summary.output),
    )
    return table
