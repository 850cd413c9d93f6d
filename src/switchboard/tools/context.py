"""The run context: what a tool may receive besides the model's arguments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar, get_origin

from switchboard.streaming.progress import report_progress

DepsT = TypeVar("DepsT")


@dataclass(frozen=True, slots=True)
class RunContext(Generic[DepsT]):
    """Injected into a tool whose parameter is annotated ``RunContext`` (or ``RunContext[Deps]``).

    The parameter never appears in the tool's schema: the model cannot see or set it.

    Attributes:
        deps: The application's own dependencies (a database handle, an HTTP client, a user).
        tool_name: The name of the tool being called.
        call_id: The id of the call, as the model gave it.
    """

    deps: DepsT
    tool_name: str = ""
    call_id: str = ""

    def report_progress(
        self, progress: float, total: float | None = None, message: str | None = None
    ) -> None:
        """Tell the run how far the call has got: `Agent.run_stream` yields a `ToolProgress`.

        Outside a streamed run the report goes nowhere.

        Args:
            progress: How far: a number that grows with each report.
            total: What ``progress`` reaches at the end, when known.
            message: What the call is doing now.
        """
        report_progress(self.call_id, self.tool_name, progress, total, message)


def is_context_annotation(annotation: Any) -> bool:
    """Tell whether a parameter annotation asks for the run context."""
    return annotation is RunContext or get_origin(annotation) is RunContext
