"""``switchboard runs``: the runs a run store holds (recorded by ``run`` or ``batch --store``).

``runs resume RUN_ID`` goes on with a run that paused or whose process died: it builds the
run's agent again from the settings recorded with it (`RunOptions`), asks on the terminal
about each call the run waits to have approved, and resumes it.
"""

from __future__ import annotations

from typing import Annotated, Final

import typer

from switchboard.cli_agent import RunOptions
from switchboard.cli_runs_view import list_runs, show_run
from switchboard.cli_store import StoreOption, resume_command, store_location
from switchboard.errors import ConfigurationError, SwitchboardError
from switchboard.messages import AssistantTurn, ToolCall, ToolResult
from switchboard.outcome import RunResult
from switchboard.run_view import RunView
from switchboard.runs.approval import Approve, Decision, Deny
from switchboard.runs.location import open_run_store
from switchboard.runs.state import RunState
from switchboard.runs.store import RunStore
from switchboard.terminal import Command, Group, Stdout, fail

__all__ = ["DECLINED", "PAUSED", "runs_app"]

PAUSED: Final = 3
"""The status of ``run`` and ``runs resume`` when the run paused, waiting on calls."""

DECLINED: Final = "The user declined this call on the terminal: do not make it again."
"""What the model is told of a call the user said no to."""

runs_app = typer.Typer(
    cls=Group,
    help="Runs recorded in a run store (switchboard run --store).",
    no_args_is_help=True,
)


runs_app.command("list", cls=Command)(list_runs)
runs_app.command("show", cls=Command)(show_run)


@runs_app.command("resume", cls=Command)
def resume(
    run_id: Annotated[str, typer.Argument(help="The run's id, as `run --store` printed it.")],
    store: StoreOption = None,
    approve: Annotated[
        bool,
        typer.Option(
            "--approve",
            help="Ask before each later call that needs approval too (else the run pauses).",
        ),
    ] = False,
) -> None:
    """Resume the stored run RUN_ID: where it paused, or where its process died.

    Each call the run waits to have approved is asked about on the terminal; a "no" tells
    the model the user declined. The run then goes on, and prints as `run` does.

    \b
    Exit status:
      0    the model answered
      1    the run ended without an answer, or failed (the reason on stderr)
      3    the run paused again, waiting on calls
    """  # noqa: D301 - click keeps a paragraph's lines only after a real \b (backspace)
    stdout = Stdout()
    view = RunView(stdout, status=False)
    try:
        runs = open_run_store(store_location(store, existing=False))
        result, before = stdout.run(_resume(run_id, runs, view, approve=approve))
    except SwitchboardError as e:
        fail(str(e))
    show_new_calls(view, result, before)
    end(view, result, resume_command(run_id, store))


async def _resume(
    run_id: str, store: RunStore, view: RunView, *, approve: bool
) -> tuple[RunResult, int]:
    """The resumed run's result, and how many results its state held before."""
    try:
        stored = await store.load(run_id)
        options = stored.meta.get("cli")
        if not isinstance(options, dict):
            msg = (
                f"Run {run_id!r} was not recorded by `switchboard run` (nor by a batch of a "
                "tools file and a model string): resume it from the application that started "
                "it (agent.resume(run_id, decisions))."
            )
            raise ConfigurationError(msg)
        settings = RunOptions.from_meta(options)  # pyright: ignore[reportUnknownArgumentType]
        if stored.state is None:
            msg = f"Run {run_id!r} has no saved state: it stopped before its first step."
            raise ConfigurationError(msg)
        state = RunState.from_json(stored.state)
        decisions = _decisions(state, view)
        asks = approve or settings.approve
        agent = settings.agent(store=store, approve=view.ask if asks else None)
        result = await agent.resume(run_id, decisions)
    finally:
        await store.close()
    return result, sum(isinstance(m, ToolResult) for m in state.messages)


def _decisions(state: RunState, view: RunView) -> dict[str, Decision]:
    """A decision for each call the run waits on, asked on the terminal."""
    decisions: dict[str, Decision] = {}
    for call in state.pending:
        if call.kind == "external":
            msg = (
                f"Run {state.run_id!r} waits on call {call.call_id} of {call.tool}, which the "
                "application runs: resume it from there, with Supply(result)."
            )
            raise ConfigurationError(msg)
        yes = view.ask(ToolCall(call.call_id, call.tool, call.arguments))
        decisions[call.call_id] = Approve() if yes else Deny(DECLINED)
    return decisions


def show_new_calls(view: RunView, result: RunResult, before: int) -> None:
    """Print the calls and results a resumed run added after its first ``before`` results."""
    calls = {
        call.id: call
        for message in result.messages
        if isinstance(message, AssistantTurn)
        for call in message.tool_calls
    }
    results = [m for m in result.messages if isinstance(m, ToolResult)]
    for message in results[before:]:
        view.show(calls.get(message.call_id), message)


def end(view: RunView, result: RunResult, resume: str | None) -> None:
    """Print how the run ended, and exit as its status says (see `resume`'s exit status)."""
    if result.stop_reason == "paused":
        view.paused(result, resume)
        raise typer.Exit(code=PAUSED)
    if result.stop_reason != "answer":
        fail(f"The run stopped without an answer: {result.stop_reason}.")
    view.answer(result.output)
