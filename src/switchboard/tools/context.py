"""The run context: what a tool may receive besides the model's arguments."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Generic, TypeVar, get_origin

DepsT = TypeVar("DepsT")


@dataclass(frozen=True, slots=True)
class RunContext(Generic[DepsT]):
    """Injected into a tool whose parameter is annotated ``RunContext`` (or ``RunContext[Deps]``).

    The parameter never appears in the tool's schema: the model cannot see or set it.

    Attributes:
        deps: The application's own dependencies (a database handle, an HTTP client, a user).
        tool_name: The name of the tool being called.
        call_id: The id of the call, as the model gave it.
        approved: Whether a human approved this very call (``agent.resume`` with
            `Approve`): a tool that raises `ApprovalRequired` to ask runs this time.
    """

    deps: DepsT
    tool_name: str = ""
    call_id: str = ""
    approved: bool = False


def is_context_annotation(annotation: Any) -> bool:
    """Tell whether a parameter annotation asks for the run context."""
    return annotation is RunContext or get_origin(annotation) is RunContext
