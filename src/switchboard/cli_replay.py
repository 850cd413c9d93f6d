"""``switchboard replay RUN_ID``: run a stored run again against its recorded replies.

The replay's agent is `switchboard run`'s, with the same options and defaults: the command
gets the function that builds it from `switchboard.cli` (`replay_command`), so the two
cannot drift apart.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Annotated, Any, Protocol

import typer
from rich.markup import escape

from switchboard.agent import Agent
from switchboard.cli_output_type import OutputTypeOption
from switchboard.cli_store import StoreOption, store_location
from switchboard.errors import SwitchboardError
from switchboard.output_type_file import load_output_type
from switchboard.providers.base import Provider
from switchboard.providers.scripted import ScriptedModel
from switchboard.runs.location import open_run_store
from switchboard.runs.replay import ReplayReport, ToolsMode, replay
from switchboard.terminal import StdoutConsole, fail
from switchboard.tools.tool import Tool
from switchboard.tools_file import load_toolbox

__all__ = ["AgentBuilder", "replay_command"]


class AgentBuilder(Protocol):
    """Builds `switchboard run`'s agent (``switchboard.cli._agent``)."""

    def __call__(
        self,
        provider: Provider,
        tools: Sequence[Tool],
        *,
        system: str | None = ...,
        tool_choice: str = ...,
        max_iterations: int = ...,
        max_tokens: int = ...,
        temperature: float | None = ...,
        seed: int | None = ...,
        output_type: type[Any] | None = ...,
    ) -> Agent:
        """The agent."""
        ...


def replay_command(build_agent: AgentBuilder) -> Callable[..., None]:
    """The ``replay`` command, whose agent ``build_agent`` builds as `switchboard run` does."""

    def replay_run(
        run_id: Annotated[str, typer.Argument(help="The run (see `switchboard runs list`).")],
        tools: Annotated[
            list[Path] | None,
            typer.Option("--tools", "-t", help="A Python file that defines tools (repeatable)."),
        ] = None,
        store: StoreOption = None,
        model: Annotated[
            str | None,
            typer.Option(
                "--model",
                "-m",
                help="The model the run was made with, named in the report: the replay asks "
                "no model.",
            ),
        ] = None,
        recorded_results: Annotated[
            bool,
            typer.Option(
                "--recorded-results",
                help="Run no tool: answer each call with its recorded result.",
            ),
        ] = False,
        system: Annotated[str | None, typer.Option(help="As given to `run`.")] = None,
        tool_choice: Annotated[str, typer.Option(help="As given to `run`.")] = "required",
        max_iterations: Annotated[int, typer.Option(help="As given to `run`.")] = 6,
        max_tokens: Annotated[int, typer.Option(help="As given to `run`.")] = 256,
        temperature: Annotated[float | None, typer.Option(help="As given to `run`.")] = None,
        seed: Annotated[int | None, typer.Option(help="As given to `run`.")] = None,
        output_type: OutputTypeOption = None,
    ) -> None:
        """Run RUN_ID again against its recorded replies, and report its first divergence.

        The agent is `switchboard run`'s: pass the options the run was made with. Each
        request is compared with the recorded one, then answered with the recorded reply
        (no model is asked); the calls run again (their results compared with the
        recorded ones), or with --recorded-results get their recorded results. The first
        difference is reported: a tool's schema, the output type, a message, a call's
        result, or a run that ends earlier or later.

        \b
        Exit status:
          0    no divergence
          1    the run diverged (the report says where), or it could not be
               replayed (the reason is on stderr)
        """  # noqa: D301 - click keeps a paragraph's lines only after a real \b (backspace)
        location = store_location(store, existing=True)
        try:
            toolboxes = [load_toolbox(file) for file in tools or ()]
            agent = build_agent(
                # Never asked: the replay answers every request with the recorded reply.
                ScriptedModel([], model=model or "replay"),
                [tool for toolbox in toolboxes for tool in toolbox],
                system=system,
                tool_choice=tool_choice,
                max_iterations=max_iterations,
                max_tokens=max_tokens,
                temperature=temperature,
                seed=seed,
                output_type=None if output_type is None else load_output_type(output_type),
            )
            mode: ToolsMode = "recorded" if recorded_results else "rerun"
            report = asyncio.run(_replay(location, run_id, agent, mode))
        except SwitchboardError as e:
            fail(str(e))
        _print(report, model)
        if report.diverged:
            raise typer.Exit(code=1)

    return replay_run


async def _replay(location: str, run_id: str, agent: Agent, tools: ToolsMode) -> ReplayReport:
    async with open_run_store(location) as store:
        return await replay(store, run_id, agent, tools=tools)


def _print(report: ReplayReport, model: str | None) -> None:
    console = StdoutConsole(highlight=False, soft_wrap=True)
    named = f" (model {escape(model)})" if model else ""
    tools = "tools run again" if report.tools == "rerun" else "recorded results"
    console.print(
        f"[bold]replay of run {escape(report.run_id)}[/]{named}: "
        f"{report.steps_recorded} recorded steps, {tools}"
    )
    divergence = report.divergence
    if divergence is None:
        calls = "" if report.tools == "recorded" else f", {report.calls_run} calls run"
        console.print(f"[green]no divergence[/] in {report.steps_replayed} steps{calls}")
        return
    console.print(
        f"[red]diverged[/] at step {divergence.step} ([bold]{divergence.kind}[/]): "
        f"{escape(divergence.explanation)}"
    )
