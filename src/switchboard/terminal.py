"""How the ``switchboard`` command meets the shell: its help, Ctrl-C, and a closed stdout.

* `Command` and `Group` render ``--help`` as the docstrings are written: typer's rich help
  labels a flag ``<bool>`` as if it took a value, and keeps the line breaks of a wrapped
  docstring paragraph.
* `Group` (the root command) ends every command the same way on Ctrl-C: ``interrupted``
  on stderr and status 130 (128 + SIGINT, as shells report it), no traceback; and, once
  stdout's reader has gone (``switchboard run ... | head -1``), quietly with status 141
  (128 + SIGPIPE, what a shell reports for ``yes | head -1``: the work was cut short, so
  not 0; nothing went wrong in switchboard, so not the 1 of an error).
* `StdoutConsole` is rich's console for stdout, which meets a closed pipe with
  `BrokenPipeError` (rich's own exits with status 1), and `Stdout` prints a run's
  progress and stops the run once no one reads it.
"""

from __future__ import annotations

import asyncio
import contextlib
import os
import sys
from collections.abc import Coroutine
from typing import Any, Final, NoReturn, TypeVar

import typer
from rich.console import Console
from rich.markup import escape
from typer.core import TyperCommand, TyperGroup, TyperOption

__all__ = ["INTERRUPTED", "READER_GONE", "Command", "Group", "Stdout", "StdoutConsole", "fail"]

INTERRUPTED: Final = 130
"""The status of a command ended by Ctrl-C: 128 + SIGINT."""

READER_GONE: Final = 141
"""The status of a command whose stdout was closed by its reader: 128 + SIGPIPE."""

_T = TypeVar("_T")


class Command(TyperCommand):
    """A command whose ``--help`` reads as its docstring is written (see the module's doc)."""

    def __init__(self, name: str | None, **settings: Any) -> None:
        super().__init__(name, **settings)
        _write_help_as_written(self)

    # The context is typer's vendored click's, a private type: Any in the signature.
    def get_help_option(self, ctx: Any) -> TyperOption | None:
        """The ``--help`` flag, without a type label."""
        return _without_label(super().get_help_option(ctx))


class Group(TyperGroup):
    """The root command: help as `Command`'s; Ctrl-C and a closed stdout end it cleanly."""

    def __init__(self, **settings: Any) -> None:
        super().__init__(**settings)
        _write_help_as_written(self)

    def get_help_option(self, ctx: Any) -> TyperOption | None:
        """The ``--help`` flag, without a type label."""
        return _without_label(super().get_help_option(ctx))

    def invoke(self, ctx: Any) -> Any:
        """Run the command; on Ctrl-C or a closed stdout, end as the module's doc says.

        stdout is flushed here, not at exit, so that a closed pipe is met while it can be
        handled (at exit Python prints "Exception ignored ... BrokenPipeError").
        """
        try:
            try:
                return super().invoke(ctx)
            finally:
                sys.stdout.flush()
        except KeyboardInterrupt:
            _interrupted()
        except BrokenPipeError:
            _reader_gone()


class StdoutConsole(Console):
    """A rich console on stdout that raises `BrokenPipeError` once stdout's reader has gone.

    rich's own ends the program there with status 1 (`Console.on_broken_pipe`, which is
    meant to be overridden): the command ends with `READER_GONE` instead (see `Group`).
    """

    def on_broken_pipe(self) -> None:
        """Print nothing more, and raise `BrokenPipeError`."""
        self.quiet = True
        raise BrokenPipeError


class Stdout:
    """Prints a run's progress; once stdout's reader has gone, stops the run instead.

    Progress is printed from inside the run (an after-hook), where an exception would be
    the hook's failure, not the command's: the run is cancelled, and `run` raises
    `BrokenPipeError` once it has unwound.
    """

    def __init__(self) -> None:
        self._console = StdoutConsole(highlight=False, soft_wrap=True)
        self._task: asyncio.Task[Any] | None = None
        self._gone = False

    def print(self, markup: str) -> None:
        """Print one line of rich markup.

        Raises:
            BrokenPipeError: stdout's reader has gone, and no run is going on to stop.
        """
        if self._gone:
            return
        try:
            self._console.print(markup)
        except BrokenPipeError:
            self._gone = True
            if self._task is None or self._task.done():
                raise
            self._task.cancel()

    def run(self, work: Coroutine[Any, Any, _T]) -> _T:
        """``asyncio.run(work)``, stopped if stdout's reader goes meanwhile.

        Raises:
            BrokenPipeError: stdout's reader went while the run was going on.
        """

        async def watched() -> _T:
            self._task = asyncio.current_task()
            return await work

        try:
            return asyncio.run(watched())
        except asyncio.CancelledError:
            if not self._gone:
                raise
            raise BrokenPipeError from None


def fail(message: str) -> NoReturn:
    """End the command with status 1 and ``message`` on stderr, on one line, as written.

    The message is escaped: a run id or a value in it that looks like console markup
    (``[bold]``) is printed, not read as a style.
    """
    Console(stderr=True, highlight=False, soft_wrap=True).print(
        f"[bold red]error:[/] {escape(' '.join(message.split()))}"
    )
    raise typer.Exit(code=1)


def _interrupted() -> NoReturn:
    console = Console(stderr=True, highlight=False)
    # On a terminal the ^C echoed by the tty has no line end.
    console.print(("\n" if console.is_terminal else "") + "interrupted")
    raise typer.Exit(INTERRUPTED)


def _reader_gone() -> NoReturn:
    # https://docs.python.org/3/library/signal.html#note-on-sigpipe: what is left in
    # stdout's buffer goes to devnull, not to a second BrokenPipeError at exit.
    with contextlib.suppress(OSError, ValueError):  # a stdout with no descriptor (tests)
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    raise typer.Exit(READER_GONE)


def _write_help_as_written(command: TyperCommand | TyperGroup) -> None:
    for param in command.params:
        if isinstance(param, TyperOption):
            _without_label(param)
    if command.help:
        command.help = _reflowed(command.help)


def _without_label(option: TyperOption | None) -> TyperOption | None:
    """``option``, with no type label in help if it is a flag: a flag takes no value."""
    if option is not None and option.is_flag:
        option.metavar = ""
    return option


def _reflowed(text: str) -> str:
    r"""``text`` with the lines of each paragraph joined.

    As click reads help: a paragraph that starts with ``\b`` is kept as it is, and what
    follows ``\f`` is not help.
    """
    help_text, cut, rest = text.partition("\f")
    paragraphs = [
        p if p.startswith("\b") else " ".join(line.strip() for line in p.split("\n"))
        for p in help_text.split("\n\n")
    ]
    return "\n\n".join(paragraphs) + cut + rest
