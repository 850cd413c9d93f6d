"""The ``switchboard`` command."""

from __future__ import annotations

import asyncio
import json
import sys
from collections.abc import Awaitable, Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.progress import Progress
from rich.table import Table

from switchboard.batch.command import RAY_HELP, REPLICAS_HELP, RayCommand, batch_command
from switchboard.batch.engine import RayOptions
from switchboard.batch.models import ModelSpec
from switchboard.cli_agent import MAX_ITERATIONS, MAX_TOKENS, TOOL_CHOICE, RunOptions
from switchboard.cli_agent import make_agent as _agent
from switchboard.cli_output_type import OutputTypeOption
from switchboard.cli_replay import replay_command
from switchboard.cli_runs import PAUSED, end, runs_app
from switchboard.cli_store import resume_command, store_location, store_option
from switchboard.errors import SwitchboardError
from switchboard.mcp.server_cli import mcp_app
from switchboard.messages import ToolCall
from switchboard.output_type_file import absolute_output_type
from switchboard.providers.base import ModelSettings
from switchboard.providers.models import LOCAL
from switchboard.run_view import RunView, result_json
from switchboard.runs.location import open_run_store
from switchboard.runs.state import new_run_id
from switchboard.runs.store import RunStore
from switchboard.schema.dialects import FORMATS
from switchboard.terminal import Command, Group, Stdout, StdoutConsole, fail
from switchboard.tools_file import load_toolbox
from switchboard.viewer.command import view

if TYPE_CHECKING:
    from switchboard.evals.tasks import TaskSummary

app = typer.Typer(
    name="switchboard",
    cls=Group,
    help="LLM function calling: tool schemas for every provider, validated calls.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


eval_app = typer.Typer(
    cls=Group,
    help="Evaluate a model: on BFCL, or on task files (right calls, an answer that states the "
    "facts).",
    no_args_is_help=True,
)
app.add_typer(eval_app, name="eval")
app.add_typer(mcp_app, name="mcp")
app.add_typer(runs_app, name="runs")
app.command("view", cls=Command)(view)
app.command("batch", cls=RayCommand)(batch_command)

_T = TypeVar("_T")


@app.callback()
def _root() -> None:
    """LLM function calling: tool schemas for every provider, validated calls."""


@app.command(cls=Command)
def schema(
    file: Annotated[Path, typer.Argument(help="A Python file that defines tools.")],
    fmt: Annotated[
        str, typer.Option("--format", "-f", help=f"One of: {', '.join(FORMATS)}.")
    ] = "openai",
    strict: Annotated[bool, typer.Option(help="OpenAI strict mode.")] = False,
    fallback: Annotated[
        bool, typer.Option(help="With --strict, send tools that cannot be strict non-strict.")
    ] = False,
) -> None:
    """Print the schemas of the tools in FILE, as one provider's API accepts them."""
    if fmt not in FORMATS:
        _fail(f"Unknown format {fmt!r}: use one of {', '.join(FORMATS)}.")
    try:
        toolbox = load_toolbox(file)
        schemas = toolbox.schemas(
            fmt, strict=strict, on_strict_issues="fallback" if fallback else "raise"
        )
    except SwitchboardError as e:
        _fail(str(e))
    _print_json(schemas)


@app.command(cls=Command)
def call(
    file: Annotated[Path, typer.Argument(help="A Python file that defines tools.")],
    name: Annotated[str, typer.Argument(help="The tool to call.")],
    arguments: Annotated[
        str, typer.Argument(help="The arguments, as a model would send them.")
    ] = "{}",
    timeout: Annotated[
        float | None,
        typer.Option(help="Seconds the call may take (the tool's own timeout applies too)."),
    ] = None,
) -> None:
    """Call one tool in FILE as a model would, and print the result the model would read.

    Exits 1 when the call fails (unknown tool, bad arguments, the tool raised, it timed out).
    """
    try:
        toolbox = load_toolbox(file)
        call = ToolCall(id="cli", name=name, arguments=arguments)
        (result,) = toolbox.execute_sync([call], timeout=timeout)
    except SwitchboardError as e:
        _fail(str(e))
    if result.repaired:
        Console(stderr=True).print(
            f"repaired: {', '.join(result.repaired)}", markup=False, highlight=False
        )
    if result.is_error:
        _fail(f"{result.error_kind}: {result.content}")
    sys.stdout.write(result.content + "\n")


@app.command(cls=Command)
def run(
    prompt: Annotated[str, typer.Argument(help="What to ask the model.")],
    tools: Annotated[
        list[Path] | None,
        typer.Option("--tools", "-t", help="A Python file that defines tools (repeatable)."),
    ] = None,
    model: Annotated[
        str,
        typer.Option(
            "--model",
            "-m",
            envvar="SWITCHBOARD_MODEL",
            help="'local' (the embedded model, offline), 'local:/path/model.gguf', "
            "'openai:<model>', 'anthropic:<model>', 'gemini:<model>'...",
        ),
    ] = LOCAL,
    tool_choice: Annotated[
        str,
        typer.Option(
            help="required (default): the first reply must call a tool, later replies may "
            "answer; auto: the model decides from the start; none; or a tool's name.",
        ),
    ] = TOOL_CHOICE,
    system: Annotated[str | None, typer.Option(help="Instructions for the model.")] = None,
    max_iterations: Annotated[
        int, typer.Option(help="The most model requests; the last one must answer.")
    ] = MAX_ITERATIONS,
    max_tokens: Annotated[int, typer.Option(help="The most tokens per reply.")] = MAX_TOKENS,
    temperature: Annotated[float | None, typer.Option(help="Sampling temperature.")] = None,
    seed: Annotated[int | None, typer.Option(help="Sampling seed.")] = None,
    threads: Annotated[
        int | None, typer.Option(help="CPU threads for a local model (default: every core).")
    ] = None,
    tool_timeout: Annotated[
        float | None, typer.Option(help="Seconds for each turn's tool calls.")
    ] = None,
    run_timeout: Annotated[float | None, typer.Option(help="Seconds for the whole run.")] = None,
    as_json: Annotated[
        bool, typer.Option("--json", help="Print the whole run (RunResult) as JSON, only that.")
    ] = False,
    store: Annotated[
        str | None,
        store_option(
            "Record the run in this run store (a SQLite file, or a postgresql:// URL), to "
            "resume it later (`switchboard runs resume`); its id is printed on stderr.",
        ),
    ] = None,
    approve: Annotated[
        bool,
        typer.Option(
            "--approve",
            help="Ask on the terminal before each call of a tool that requires approval "
            "(else the run pauses on it).",
        ),
    ] = False,
    output_type: OutputTypeOption = None,
) -> None:
    """Ask a model PROMPT with the tools of the --tools files; show each call and the answer.

    A status line (on a terminal) says what the run waits for; each call is shown with its
    result as it finishes, then the answer, last. The model is --model, else the
    SWITCHBOARD_MODEL environment variable, else the embedded local model.

    A call of a tool that requires approval pauses the run, unless --approve asks about
    it on the terminal: the calls it waits on are printed, and with --store the command
    that resumes it.

    \b
    Exit status:
      0    the model answered
      1    the run ended without an answer (a limit, the loop guard), or
           failed (a missing model file, a provider error, a bad tools
           file); the reason is on stderr
      2    the command line is wrong
      3    the run paused, waiting on calls (resume it with `runs resume`)
      130  interrupted (Ctrl-C)
      141  stdout was closed by its reader (e.g. | head -1)
    """  # noqa: D301 - click keeps a paragraph's lines only after a real \b (backspace)
    stdout = Stdout()
    view = RunView(stdout, status=not as_json)
    options = RunOptions(
        model,
        tuple(str(file.absolute()) for file in tools or ()),
        system,
        tool_choice,
        max_iterations,
        max_tokens,
        temperature,
        seed,
        threads,
        tool_timeout,
        run_timeout,
        approve,
        output_type=None if output_type is None else absolute_output_type(output_type),
    )
    run_id = new_run_id()
    try:
        runs = None if store is None else open_run_store(store_location(store, existing=False))
        agent = options.agent(store=runs, approve=view.ask if approve else None)
        if runs is not None:
            Console(stderr=True, highlight=False).print(f"run id: {run_id}")
        meta = {"cli": options.to_meta(), "prompt": prompt}
        if as_json:
            work = agent.run(prompt, run_id=run_id, meta=meta)
        else:
            work = view.follow(agent.run_stream(prompt, run_id=run_id, meta=meta))
        result = stdout.run(_closing(runs, work))
    except SwitchboardError as e:
        if as_json and e.result is not None:
            _print_json(result_json(e.result))
        _fail(str(e))
    if as_json:
        _print_json(result_json(result))
        if result.stop_reason not in ("answer", "paused"):
            _fail(f"The run stopped without an answer: {result.stop_reason}.")
        if result.stop_reason == "paused":
            raise typer.Exit(code=PAUSED)
        return
    end(view, result, None if store is None else resume_command(run_id, store))


async def _closing(store: RunStore | None, work: Awaitable[_T]) -> _T:
    """``work``'s result, ``store`` closed once it is done."""
    try:
        return await work
    finally:
        if store is not None:
            await store.close()


@eval_app.command("bfcl", cls=RayCommand)
def eval_bfcl(
    model: Annotated[str, typer.Option("--model", "-m", help="A model string.")] = LOCAL,
    category: Annotated[str, typer.Option(help="A BFCL category.")] = "simple_python",
    limit: Annotated[int | None, typer.Option(help="Run the first N entries only.")] = None,
    grammar: Annotated[
        bool, typer.Option(help="Constrain a local model's calls with the schema grammar.")
    ] = True,
    output: Annotated[
        Path | None, typer.Option(help="Write each entry's result here, as JSON Lines.")
    ] = None,
    max_tokens: Annotated[int, typer.Option(help="The most tokens per reply.")] = 256,
    threads: Annotated[
        int | None, typer.Option(help="CPU threads for a local model (default: every core).")
    ] = None,
    ray: Annotated[str | None, typer.Option(metavar="[ADDRESS]", help=RAY_HELP)] = None,
    replicas: Annotated[int | None, typer.Option(min=1, help=REPLICAS_HELP)] = None,
) -> None:
    """Run a BFCL category through MODEL, score it with BFCL's AST checker, print a table.

    With --ray the entries are asked and scored on a Ray cluster (each worker needs
    bfcl-eval), the results in the category's order.
    """
    # Imported here: the evals (and bfcl-eval's data) are no part of `switchboard run`'s start.
    from switchboard.evals.bfcl import load_bfcl
    from switchboard.evals.harness import run_bfcl, summarize
    from switchboard.evals.on_ray import run_bfcl_on_ray

    console = StdoutConsole(highlight=False, soft_wrap=True)
    settings = ModelSettings(max_tokens=max_tokens, temperature=0.0, seed=0)
    try:
        spec = ModelSpec.parse(model, threads=threads, grammar=grammar)
        total = len(load_bfcl(category)[:limit])
        with _progress() as progress:
            task = progress.add_task(f"{category} on {model}", total=total)
            if ray is None:
                running = run_bfcl(
                    spec.create(),
                    category,
                    limit=limit,
                    settings=settings,
                    on_item=lambda _: progress.advance(task),
                )
            else:
                running = run_bfcl_on_ray(
                    category,
                    spec,
                    RayOptions(ray, replicas=replicas),
                    limit=limit,
                    settings=settings,
                    on_item=lambda _: progress.advance(task),
                )
            results = asyncio.run(running)
    except (SwitchboardError, ImportError) as e:
        _fail(str(e))
    if output is not None:
        output.write_text("".join(r.to_json() + "\n" for r in results), encoding="utf-8")
    summary = summarize(results)
    table = Table(title=f"BFCL {category} - {model}" + ("" if grammar else " (no grammar)"))
    for column in (
        "items",
        "accuracy",
        "schema-valid calls",
        "no call",
        "calls/s",
        "tok/s",
        "seconds",
    ):
        table.add_column(column, justify="right")
    rate = summary.schema_valid_rate
    table.add_row(
        str(summary.items),
        f"{summary.accuracy:.1%}",
        "-" if rate is None else f"{rate:.1%} of {summary.calls}",
        str(summary.without_call),
        f"{summary.calls_per_second:.2f}",
        f"{summary.output_tokens_per_second:.1f}",
        f"{summary.seconds:.1f}",
    )
    console.print(table)


@eval_app.command("tasks", cls=RayCommand)
def eval_tasks(
    file: Annotated[Path, typer.Argument(help="A task file (JSON Lines).")],
    tools: Annotated[
        Path, typer.Option("--tools", "-t", help="The Python file that defines the tools.")
    ],
    model: Annotated[str, typer.Option("--model", "-m", help="A model string.")] = LOCAL,
    output: Annotated[
        Path | None, typer.Option(help="Write each task's result here, as JSON Lines.")
    ] = None,
    split: Annotated[str, typer.Option(help="Run the train, test or all tasks.")] = "all",
    limit: Annotated[int | None, typer.Option(min=1, help="Run the first N tasks only.")] = None,
    threads: Annotated[
        int | None, typer.Option(help="CPU threads for a local model (default: every core).")
    ] = None,
    max_tokens: Annotated[int, typer.Option(help="The most tokens per reply.")] = MAX_TOKENS,
    max_iterations: Annotated[
        int, typer.Option(help="The most model requests per task.")
    ] = MAX_ITERATIONS,
    ray: Annotated[str | None, typer.Option(metavar="[ADDRESS]", help=RAY_HELP)] = None,
    replicas: Annotated[int | None, typer.Option(min=1, help=REPLICAS_HELP)] = None,
) -> None:
    """Run each task of FILE as `switchboard run` would, score it, and print the rates.

    A task succeeds when its run makes the calls it needs, ends with an answer, and the
    answer states its facts. Prints a row per split and for all tasks, then a row per tag.
    Exits 0 whatever the rates (it is a measurement); 1 for a bad task or tools file.
    With --ray the tasks run on a Ray cluster (a setup call that fails is then that task's
    error), the results in the file's order.
    """
    if split not in ("train", "test", "all"):
        _fail(f"Unknown split {split!r}: use train, test or all.")
    if output is not None and not output.parent.is_dir():
        _fail(f"--output {output}: no folder {output.parent}. Create it, or pass another path.")
    from switchboard.evals.on_ray import run_tasks_on_ray
    from switchboard.evals.tasks import load_tasks, run_tasks, summarize_tasks

    console = StdoutConsole(highlight=False, soft_wrap=True)
    try:
        tasks = [t for t in load_tasks(file) if split in ("all", t.split)][:limit]
        if not tasks:
            _fail(f"{file} has no {split} task: pick another --split.")
        spec = ModelSpec.parse(model, threads=threads)
        with _progress() as progress:
            bar = progress.add_task(f"{file.name} on {model}", total=len(tasks))
            if ray is None:
                provider = spec.create()
                running = run_tasks(
                    tasks,
                    tools,
                    lambda toolbox: _agent(
                        provider,
                        toolbox,
                        max_iterations=max_iterations,
                        max_tokens=max_tokens,
                    ),
                    on_item=lambda _: progress.advance(bar),
                )
            else:
                running = run_tasks_on_ray(
                    tasks,
                    tools,
                    spec,
                    RayOptions(ray, replicas=replicas),
                    max_iterations=max_iterations,
                    max_tokens=max_tokens,
                    on_item=lambda _: progress.advance(bar),
                )
            results = asyncio.run(running)
    except (SwitchboardError, ImportError) as e:
        _fail(str(e))
    if output is not None:
        output.write_text("".join(r.to_json() + "\n" for r in results), encoding="utf-8")
    report = summarize_tasks(results)
    rows = {**report.splits, "all": report.overall}
    console.print(_tasks_table(f"Tasks - {file.name} on {model}", "split", rows))
    if report.tags:
        console.print(_tasks_table("By tag", "tag", report.tags))


def _tasks_table(title: str, group: str, rows: Mapping[str, TaskSummary]) -> Table:
    table = Table(title=title)
    table.add_column(group)
    for column in ("tasks", "success", "calls right", "answered", "errors", "mean latency s"):
        table.add_column(column, justify="right")
    for name, summary in rows.items():
        table.add_row(
            name,
            str(summary.tasks),
            f"{summary.success_rate:.1%}",
            f"{summary.calls_right_rate:.1%}",
            f"{summary.answered_rate:.1%}",
            str(summary.errors),
            f"{summary.mean_seconds:.1f}",
        )
    return table


app.command("replay", cls=Command)(replay_command(_agent))


def _progress() -> Progress:
    """The progress bar of an eval, on stderr: shown on a terminal only."""
    stderr = Console(stderr=True)
    # Off the terminal, Rich prints the bar's last state once it stops: a stray line in a log.
    return Progress(console=stderr, transient=True, disable=not stderr.is_terminal)


def _print_json(data: Any) -> None:
    console = StdoutConsole()
    if console.is_terminal:
        console.print_json(data=data)
    else:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _fail(message: str) -> NoReturn:
    fail(message)


def main() -> None:
    """Run the command line."""
    app()
