"""``switchboard runs list`` and ``runs show``: the runs a store holds, and one run's transcript.

The commands are plain functions, registered on the ``runs`` sub-app by
`switchboard.cli_runs`.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import Mapping
from datetime import datetime
from typing import Annotated, Any, cast, get_args

import typer
from rich.console import Console
from rich.markup import escape
from rich.table import Table

from switchboard.cli_store import StoreOption, shown, store_location
from switchboard.errors import SwitchboardError
from switchboard.messages import SystemMessage, ToolCall, UserMessage
from switchboard.runs.codec import message_from_json
from switchboard.runs.location import open_run_store
from switchboard.runs.recording import RecordedStep, recording_of_run
from switchboard.runs.state import RunState, RunStatus
from switchboard.runs.store import StoredRun, StoredStep
from switchboard.terminal import StdoutConsole, fail

__all__ = ["list_runs", "show_run"]

_FINISHED_CALL_MARK = "[green]<-[/]"
_ERROR_MARK = "[red]x [/]"


def list_runs(
    status: Annotated[
        str | None,
        typer.Option(help="Only runs of this status: running, paused, finished or failed."),
    ] = None,
    store: StoreOption = None,
    limit: Annotated[int, typer.Option(min=0, help="The most runs listed.")] = 50,
) -> None:
    """List the runs in the store, newest first: id, status, model, steps, start, tools."""
    if status is not None and status not in get_args(RunStatus):
        fail(f"Unknown status {status!r}: use one of {', '.join(get_args(RunStatus))}.")
    location = store_location(store, existing=True)
    table = Table(title=f"Runs in {shown(location)}")
    for column in ("id", "status", "model", "steps", "started", "tools"):
        table.add_column(column, justify="right" if column == "steps" else "left")
    try:
        for run in asyncio.run(_load_runs(location, status, limit)):
            table.add_row(
                run.run_id,
                run.status,
                _model(run.meta),
                str(len(run.steps)),
                _time(run.created_at),
                ", ".join(_tool_names(run)),
            )
    except SwitchboardError as e:
        fail(str(e))
    StdoutConsole(highlight=False, soft_wrap=True).print(table)


def show_run(
    run_id: Annotated[str, typer.Argument(help="The run's id (see `switchboard runs list`).")],
    store: StoreOption = None,
) -> None:
    """Print a run's transcript: each step's messages, calls with arguments and results.

    Failed calls are marked with an x, and what an interruption left unfinished (a call
    started but never finished, a request never answered) is said where it happened.
    """
    location = store_location(store, existing=True)
    try:
        run = asyncio.run(_load_run(location, run_id))
        steps = recording_of_run(run).steps
        state = _state(run)
    except SwitchboardError as e:
        fail(str(e))
    console = StdoutConsole(highlight=False, soft_wrap=True)
    console.print(
        f"[bold]run {escape(run.run_id)}[/] {run.status} - model {escape(_model(run.meta))} - "
        f"started {_time(run.created_at)} - {len(run.steps)} steps"
    )
    for stored, recorded in zip(run.steps, steps, strict=True):
        _show_step(console, stored, recorded)
    for pending in state.pending if state is not None else ():
        reason = f": {pending.reason}" if pending.reason else ""
        console.print(
            f"[yellow]paused[/]: call {escape(pending.call_id)} to {escape(pending.tool)} "
            f"waits for {'approval' if pending.kind == 'approval' else 'the application'}"
            f"{escape(reason)}"
        )


async def _load_runs(location: str, status: str | None, limit: int) -> list[StoredRun]:
    async with open_run_store(location) as store:
        summaries = await store.list_runs(cast("RunStatus | None", status), limit)
        return [await store.load(summary.run_id) for summary in summaries]


async def _load_run(location: str, run_id: str) -> StoredRun:
    async with open_run_store(location) as store:
        return await store.load(run_id)


def _show_step(console: Console, stored: StoredStep, recorded: RecordedStep) -> None:
    tools = [str(pair[0]) for pair in stored.request.get("tools", [])]
    offered = f" - tools: {', '.join(tools)}" if tools else ""
    console.rule(f"step {stored.index}{offered}", align="left", style="dim")
    for i, data in enumerate(stored.request.get("messages", [])):
        message = message_from_json(data, f"step {stored.index} request.messages[{i}]")
        if isinstance(message, SystemMessage | UserMessage):
            role = "system" if isinstance(message, SystemMessage) else "user"
            console.print(f"[bold]{role}:[/] {escape(message.content)}")
    response = recorded.response
    if response is None:
        console.print(f"{_ERROR_MARK} no reply stored: the run was interrupted waiting for it")
        return
    if response.turn.text:
        console.print(f"[bold]assistant:[/] {escape(response.turn.text)}")
    if response.stop_reason not in ("answer", "tool_calls"):
        console.print(f"{_ERROR_MARK} the reply stopped on {response.stop_reason}")
    rows = {call.call_id: call for call in stored.calls}
    for call in response.turn.tool_calls:
        console.print(
            f"[bold cyan]->[/] [bold]{escape(call.name)}[/]({escape(_arguments(call))}) "
            f"[dim]{escape(call.id)}[/]"
        )
        result = recorded.results.get(call.id)
        row = rows.get(call.id)
        if result is not None:
            mark = _ERROR_MARK if result.is_error else _FINISHED_CALL_MARK
            kind = f"[red]{result.error_kind}:[/] " if result.is_error and result.error_kind else ""
            content = escape(result.content).replace("\n", "\n      ")
            console.print(f"   {mark} {kind}{content}")
        elif row is not None and row.status == "started":
            console.print(
                f"   {_ERROR_MARK} started, no result stored: interrupted (it may have taken "
                "effect)"
            )
        else:
            console.print("   [dim]not run[/]")


def _state(run: StoredRun) -> RunState | None:
    return None if run.state is None else RunState.from_json(run.state)


def _tool_names(run: StoredRun) -> list[str]:
    """The tools offered: as the state has them, else as the last request did."""
    state = _state(run)
    if state is not None and state.tools:
        return [name for name, _ in state.tools]
    if run.steps:
        return [str(pair[0]) for pair in run.steps[-1].request.get("tools", [])]
    return []


def _model(meta: Mapping[str, Any]) -> str:
    model = meta.get("model")
    return model if isinstance(model, str) else "-"


def _time(seconds: float) -> str:
    return datetime.fromtimestamp(seconds).strftime("%Y-%m-%d %H:%M:%S")


def _arguments(call: ToolCall) -> str:
    if isinstance(call.arguments, str):
        return call.arguments
    return json.dumps(call.arguments, ensure_ascii=False)
