"""The ``switchboard`` command."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Annotated, Any, NoReturn

import typer
from rich.console import Console

from switchboard.errors import SwitchboardError
from switchboard.messages import ToolCall
from switchboard.schema.dialects import FORMATS
from switchboard.tools.loader import load_toolbox

app = typer.Typer(
    name="switchboard",
    help="LLM function calling: tool schemas for every provider, validated calls.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)


@app.callback()
def _root() -> None:
    """LLM function calling: tool schemas for every provider, validated calls."""


@app.command()
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


@app.command()
def call(
    file: Annotated[Path, typer.Argument(help="A Python file that defines tools.")],
    name: Annotated[str, typer.Argument(help="The tool to call.")],
    arguments: Annotated[
        str, typer.Argument(help="The arguments, as a model would send them.")
    ] = "{}",
) -> None:
    """Call one tool in FILE as a model would, and print the result the model would read.

    Exits 1 when the call fails (unknown tool, bad arguments, the tool raised).
    """
    try:
        toolbox = load_toolbox(file)
    except SwitchboardError as e:
        _fail(str(e))
    (result,) = toolbox.execute_sync([ToolCall(id="cli", name=name, arguments=arguments)])
    if result.repaired:
        Console(stderr=True).print(f"repaired: {', '.join(result.repaired)}", highlight=False)
    if result.is_error:
        _fail(f"{result.error_kind}: {result.content}")
    sys.stdout.write(result.content + "\n")


def _print_json(data: Any) -> None:
    console = Console()
    if console.is_terminal:
        console.print_json(data=data)
    else:
        sys.stdout.write(json.dumps(data, indent=2, ensure_ascii=False) + "\n")


def _fail(message: str) -> NoReturn:
    Console(stderr=True, highlight=False, soft_wrap=True).print(
        f"[bold red]error:[/] {' '.join(message.split())}"
    )
    raise typer.Exit(code=1)


def main() -> None:
    """Run the command line."""
    app()
