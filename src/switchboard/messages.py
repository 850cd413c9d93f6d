"""Provider-neutral data exchanged with models: tool calls and their results."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

ErrorKind = Literal[
    "unknown_tool", "unparsable", "invalid", "raised", "timeout", "denied", "retries_exhausted"
]
"""Why a call failed: each is written up for the model so it can correct itself.

- ``unknown_tool``: no tool has the name the model called.
- ``unparsable``: the arguments are not JSON, even after repair.
- ``invalid``: the arguments do not match the tool's schema.
- ``raised``: the tool raised an exception.
- ``timeout``: the tool (or the whole batch) ran past its time limit.
- ``denied``: a hook or the approval callback refused the call.
- ``retries_exhausted``: the model kept sending failing calls to this tool past its
  ``max_retries``.
"""


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A model's request to run one tool.

    Attributes:
        id: The provider's id for the call; the result carries it back.
        name: The tool's name, as the model wrote it.
        arguments: The arguments: JSON text as the model wrote it, or a mapping from
            providers that parse it themselves (Anthropic, Gemini).
    """

    id: str
    name: str
    arguments: str | Mapping[str, Any] = "{}"


@dataclass(frozen=True, slots=True)
class ToolResult:
    """The outcome of one call, in the form the model reads.

    Attributes:
        call_id: The id of the call this answers.
        name: The tool's name.
        content: What the model sees: the serialised return value, or the error written
            for the model.
        is_error: Whether the call failed.
        error_kind: Why it failed, when it did.
        repaired: The repairs made to the arguments before they parsed, e.g.
            ``("code_fence", "trailing_comma")``.
        duration: Seconds from the start of the call to its result.
        value: The tool's return value itself (never sent to the model), ``None`` on error.
    """

    call_id: str
    name: str
    content: str
    is_error: bool = False
    error_kind: ErrorKind | None = None
    repaired: tuple[str, ...] = ()
    duration: float = 0.0
    value: Any = None
