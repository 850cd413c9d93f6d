"""``switchboard view``: the run viewer, served on a local port.

Imported with the command line, so it imports neither Starlette nor uvicorn, nor the
tools, until the command runs.
"""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Mapping
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, cast

import typer
from rich.console import Console

from switchboard.cli_store import StoreOption, shown, store_location
from switchboard.errors import ConfigurationError, SwitchboardError
from switchboard.runs.location import open_run_store
from switchboard.runs.store import RunStore
from switchboard.terminal import fail
from switchboard.viewer import LOOPBACK_HOSTS
from switchboard.viewer.decisions import Resumable, ResumeHook

if TYPE_CHECKING:
    from switchboard.runs.approval import Decision

__all__ = ["view"]


def view(
    store: StoreOption = None,
    host: Annotated[str, typer.Option(help="The address to listen on.")] = "127.0.0.1",
    port: Annotated[int, typer.Option(help="The port to listen on (0: any free one).")] = 8765,
    tools: Annotated[
        list[Path] | None,
        typer.Option(
            "--tools",
            "-t",
            help="The tools of runs not recorded by `run` or `batch` (repeatable): with "
            "them, approve and deny resume such a paused run too.",
        ),
    ] = None,
    model: Annotated[
        str,
        typer.Option(
            "--model",
            "-m",
            envvar="SWITCHBOARD_MODEL",
            help="With --tools: the model such a resumed run goes on with.",
        ),
    ] = "local",
) -> None:
    """Show the runs of a run store in the browser: each run's steps and calls on a timeline.

    Paused runs show their pending calls; approving or denying them resumes the run, which
    the page then follows live. A run recorded by `run --store` or `batch --store` goes on
    with the model, tools and settings recorded with it (as `runs resume` does); any other
    with --tools and --model. The page has no login: it listens on 127.0.0.1 unless --host
    says otherwise.
    """
    console = Console(stderr=True, highlight=False, soft_wrap=True)
    location = store_location(store, existing=True)
    try:
        import uvicorn

        from switchboard.viewer.app import create_app
    except ImportError as e:
        fail(f'{e}. Install the extra: pip install "switchboard[viewer]"')
    listener = _listen(host, port)

    async def serve() -> None:
        runs = open_run_store(location)
        try:
            await runs.list_runs(limit=1)  # a file that is no run store fails here, clearly
            resume = _recorded_resume(runs, _agent(tools, model, runs) if tools else None)
            # Starlette's host check cannot read an IPv6 address: served on one, the page
            # answers to any host name, as on any other address.
            allowed = list(LOOPBACK_HOSTS) if host in LOOPBACK_HOSTS else ["*"]
            app = create_app(runs, resume=resume, allowed_hosts=allowed)
            config = uvicorn.Config(app, log_level="warning", timeout_graceful_shutdown=2)
            bound = listener.getsockname()[1]
            console.print(f"Serving the runs of {shown(location)} at {_url(host, bound)}")
            if host not in LOOPBACK_HOSTS:
                console.print(
                    "[bold yellow]warning:[/] the page has no login: whoever reaches "
                    f"{host}:{bound} can read the runs and decide their pending calls."
                )
            await uvicorn.Server(config).serve(sockets=[listener])
        finally:
            await runs.close()

    try:
        with listener:
            asyncio.run(serve())
    except SwitchboardError as e:
        fail(str(e))


def _agent(tools: list[Path], model: str, store: RunStore) -> Resumable:
    """The agent of these tools and this model, on ``store``."""
    from switchboard.agent import Agent
    from switchboard.tools_file import load_toolbox

    toolboxes = [load_toolbox(file) for file in tools]
    tools_of_runs = [tool for toolbox in toolboxes for tool in toolbox]
    return Agent(model, tools=tools_of_runs, store=store)


def _recorded_resume(store: RunStore, agent: Resumable | None) -> ResumeHook:
    """The hook that resumes a run with the agent recorded with it (meta["cli"]), or ``agent``."""

    async def resume(run_id: str, decisions: Mapping[str, Decision]) -> None:
        from switchboard.cli_agent import RunOptions

        options = (await store.load(run_id)).meta.get("cli")
        if isinstance(options, dict):
            recorded = RunOptions.from_meta(cast("dict[str, Any]", options))
            await recorded.agent(store=store).resume(run_id, decisions)
        elif agent is not None:
            await agent.resume(run_id, decisions)
        else:
            msg = (
                f"Run {run_id!r} was not recorded by `switchboard run` or `batch`: start the "
                "viewer with the tools it uses (switchboard view --tools FILE --model MODEL)."
            )
            raise ConfigurationError(msg)

    return resume


def _url(host: str, port: int) -> str:
    """The page's address as a browser on this machine reaches it."""
    if host in {"0.0.0.0", "::", ""}:
        host = "localhost"
    return f"http://[{host}]:{port}/" if ":" in host else f"http://{host}:{port}/"


def _listen(host: str, port: int) -> socket.socket:
    """A socket listening on ``host:port``: connections wait in its queue until served."""
    listener = socket.socket(socket.AF_INET6 if ":" in host else socket.AF_INET)
    try:
        listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        listener.bind((host, port))
        listener.listen(128)
    except OSError as e:
        listener.close()
        fail(f"Cannot listen on {host}:{port}: {e.strerror or e}. Try another --port.")
    return listener
