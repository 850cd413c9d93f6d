"""How ``switchboard run`` shows a run: a status line, each call and result, the answer.

The status line (on stderr, only on a terminal) says what the run waits for: the model
loading or writing, a tool running. Each call is printed with its result as it finishes,
one line each, a long result cut to `RESULT_CHARS`; the answer comes last, after a blank
line. With ``--approve``, each call of a ``requires_approval`` tool is asked about on the
terminal first (`RunView.ask`); a paused run prints the calls it waits on
(`RunView.paused`). `result_json` is the whole `RunResult` as JSON, for ``--json``.
"""

from __future__ import annotations

import dataclasses
import json
from collections.abc import AsyncIterator
from typing import Any, Final, cast

from pydantic import BaseModel
from rich.console import Console
from rich.markup import escape
from rich.prompt import Confirm
from rich.status import Status

from switchboard.messages import ToolCall, ToolResult
from switchboard.outcome import RunResult
from switchboard.streaming import RunEnd, RunEvent, ToolCallReady, ToolCallStart, ToolResultEvent
from switchboard.streaming.events import TurnEnd
from switchboard.terminal import Stdout
from switchboard.tools.tool import Tool

__all__ = ["RESULT_CHARS", "RunView", "result_json"]

RESULT_CHARS: Final = 200
"""The most characters of a result shown on its line."""


class RunView:
    """Follows a run's events and prints them (see the module's doc).

    Args:
        stdout: Where calls, results and the answer go.
        status: Show the status line (on stderr, when it is a terminal).
    """

    def __init__(self, stdout: Stdout, *, status: bool = True) -> None:
        self._stdout = stdout
        stderr = Console(stderr=True)
        self._status: Status | None = (
            stderr.status("loading the model") if status and stderr.is_terminal else None
        )
        self._calls: dict[str, ToolCall] = {}

    async def follow(self, events: AsyncIterator[RunEvent]) -> RunResult:
        """Print the run as its events come; its result once it has ended."""
        if self._status is not None:
            self._status.start()
        try:
            async for event in events:
                self._show(event)
                if isinstance(event, RunEnd):
                    return event.result
        finally:
            if self._status is not None:
                self._status.stop()
        msg = "The run's events ended without RunEnd."  # unreachable: RunEnd comes last
        raise RuntimeError(msg)

    def answer(self, output: str) -> None:
        """Print the answer, set apart."""
        self._stdout.print(f"\n[bold]answer:[/] {escape(output)}")

    def ask(self, call: ToolCall, tool: Tool | None = None) -> bool:
        """Ask on the terminal whether to run ``call`` (an ``approve=`` callback)."""
        if self._status is not None:
            self._status.stop()
        try:
            question = f"Run [bold]{escape(call.name)}[/]({escape(_arguments(call))})?"
            return Confirm.ask(question, console=Console(stderr=True), default=False)
        finally:
            if self._status is not None:
                self._status.start()

    def show(self, call: ToolCall | None, result: ToolResult) -> None:
        """Print a call (``None``: not known) and its result, one line each."""
        arguments = "" if call is None else _arguments(call)
        mark = "[red]x [/]" if result.is_error else "[green]<-[/]"
        self._stdout.print(f"[bold cyan]->[/] [bold]{escape(result.name)}[/]({escape(arguments)})")
        self._stdout.print(f"   {mark} {escape(_cut(result.content))}")

    def paused(self, result: RunResult, resume: str | None) -> None:
        """Print the calls a paused run waits on, and the command that resumes it, if any."""
        for call in result.pending:
            why = "needs approval" if call.kind == "approval" else "is run by the application"
            reason = f": {call.reason}" if call.reason else ""
            shown = ToolCall(call.call_id, call.tool, call.arguments)
            self._stdout.print(
                f"[yellow]waiting:[/] [bold]{escape(call.tool)}[/]({escape(_arguments(shown))}) "
                f"{why}{escape(reason)}"
            )
        if resume is not None:
            self._stdout.print(f"resume with: {escape(resume)}")

    def _show(self, event: RunEvent) -> None:
        match event:
            case ToolCallStart(name=name):
                self._say(f"the model is calling {name}")
            case ToolCallReady(call=call):
                self._calls[call.id] = call
                self._say(f"running {call.name}")
            case ToolResultEvent(result=result):
                self.show(self._calls.get(result.call_id), result)
                self._say("the model is reading the results")
            case TurnEnd():
                self._say("the model is writing")
            case _:
                if self._status is not None and self._status.status == "loading the model":
                    self._say("the model is writing")

    def _say(self, text: str) -> None:
        if self._status is not None:
            self._status.update(escape(text))  # a tool's name is the model's text


def result_json(result: RunResult) -> dict[str, Any]:
    """The run's result as JSON data: every message and step, each tagged with its type.

    A tool's own return value (``ToolResult.value``, never sent to the model) is left out,
    and of the run's state only its id (``run_id``) and status: the rest repeats the result.
    A typed run's ``parsed`` answer is its model's JSON form.
    """
    fields = {
        f.name: _data(getattr(result, f.name))
        for f in dataclasses.fields(result)
        if f.name != "state"
    }
    state = {"run_id": result.state.run_id, "status": result.state.status}
    return {"type": "RunResult", **fields, "state": state}


def _data(value: Any) -> Any:
    if isinstance(value, BaseModel):  # a typed run's parsed answer
        return value.model_dump(mode="json")
    if dataclasses.is_dataclass(value) and not isinstance(value, type):
        fields = {
            f.name: _data(getattr(value, f.name))
            for f in dataclasses.fields(value)
            if f.name != "value"
        }
        return {"type": type(value).__name__, **fields}
    if isinstance(value, dict):
        mapping = cast("dict[Any, Any]", value)
        return {str(k): _data(v) for k, v in mapping.items()}
    if isinstance(value, tuple | list | frozenset | set):
        return [_data(v) for v in value]  # pyright: ignore[reportUnknownVariableType]
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def _arguments(call: ToolCall) -> str:
    if isinstance(call.arguments, str):
        return call.arguments
    return json.dumps(call.arguments, ensure_ascii=False)


def _cut(text: str) -> str:
    line = " ".join(text.split())
    return line if len(line) <= RESULT_CHARS else line[: RESULT_CHARS - 1] + "…"
