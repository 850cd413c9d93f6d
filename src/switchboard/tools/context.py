"""The run context: what a tool may receive besides the model's arguments."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar, get_origin

DepsT = TypeVar("DepsT")


@dataclass(frozen=True, slots=True)
class ToolProgress:
    """How far a running call has got, as its tool reported it (`RunContext.report_progress`).

    Attributes:
        call_id: The id of the call.
        tool_name: The tool's name.
        progress: The work done so far; it grows with each report.
        total: The work there is in all, when the tool knows it.
        message: What the tool is doing, in a few words.
    """

    call_id: str
    tool_name: str
    progress: float
    total: float | None = None
    message: str | None = None


ProgressListener = Callable[[ToolProgress], None]
"""Receives the progress reports of a batch's calls; it may be called from a worker thread."""


@dataclass(frozen=True, slots=True)
class RunContext(Generic[DepsT]):
    """Injected into a tool whose parameter is annotated ``RunContext`` (or ``RunContext[Deps]``).

    The parameter never appears in the tool's schema: the model cannot see or set it.

    Attributes:
        deps: The application's own dependencies (a database handle, an HTTP client, a user).
        tool_name: The name of the tool being called.
        call_id: The id of the call, as the model gave it.
        on_progress: Where `report_progress` sends its reports (None: nowhere).
        approved: Whether a human approved this very call (``agent.resume`` with
            `Approve`): a tool that raises `ApprovalRequired` to ask runs this time.
    """

    deps: DepsT
    tool_name: str = ""
    call_id: str = ""
    on_progress: ProgressListener | None = field(default=None, repr=False, compare=False)
    approved: bool = False

    def report_progress(
        self, progress: float, total: float | None = None, message: str | None = None
    ) -> None:
        """Tell whoever called the tool how far it has got; free when no one listens.

        Safe from a sync tool's worker thread as from the event loop. An MCP client that
        asked for progress receives each report as a ``notifications/progress``.

        Args:
            progress: The work done so far; make it grow with each report.
            total: The work there is in all, when known.
            message: What the tool is doing, in a few words.

        Example:
            >>> reports = []
            >>> context = RunContext(None, "index", "c1", on_progress=reports.append)
            >>> context.report_progress(1, 4, "reading")
            >>> reports
            [ToolProgress(call_id='c1', tool_name='index', progress=1, total=4, message='reading')]
        """
        if self.on_progress is not None:
            self.on_progress(ToolProgress(self.call_id, self.tool_name, progress, total, message))


def is_context_annotation(annotation: Any) -> bool:
    """Tell whether a parameter annotation asks for the run context."""
    return annotation is RunContext or get_origin(annotation) is RunContext


def input_and_context(
    handler: Callable[..., Any], tool_name: str, *, takes: str, fix: str
) -> tuple[str, str | None]:
    """A one-input handler's parameter for its input, and the one for the `RunContext`.

    For tools whose handler takes one value (a model instance, a custom tool's text)
    rather than the arguments one by one. ``takes`` and ``fix`` complete the error message.

    Raises:
        ToolDefinitionError: The signature cannot be read, or the handler does not take
            exactly one argument besides an optional `RunContext`.
    """
    import inspect

    from switchboard.errors import ToolDefinitionError

    try:
        parameters = inspect.signature(handler, eval_str=True).parameters.values()
    except (ValueError, NameError) as e:
        msg = f"Tool {tool_name!r}: the handler's signature cannot be read ({e}). Use a def."
        raise ToolDefinitionError(msg, tool=tool_name) from e
    context = [p.name for p in parameters if is_context_annotation(p.annotation)]
    others = [p.name for p in parameters if p.name not in context]
    if len(others) != 1 or len(context) > 1:
        msg = (
            f"Tool {tool_name!r}: {takes} as its one argument (plus an optional RunContext), "
            f"but it takes {others}. {fix}"
        )
        raise ToolDefinitionError(msg, tool=tool_name)
    return others[0], (context[0] if context else None)
