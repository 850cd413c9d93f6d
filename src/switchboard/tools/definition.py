"""What a tool tells the model (description, JSON Schema) and how its arguments are checked.

A tool made from a schema or a Pydantic model is given these whole (`GivenDefinition`). A
tool made from a function builds them from the function (`FunctionDefinition`): its
docstring, a Pydantic argument model and that model's JSON Schema, about a millisecond a
function, most of what registering a tool would cost. A function whose parameters are all
plain JSON types builds them on first use instead, so that registering a thousand tools
takes milliseconds; any other is built at registration, where a type without a JSON Schema
must be refused.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Protocol

from switchboard.tools.signature import FunctionShape, FunctionSignature

if TYPE_CHECKING:
    from switchboard.tools.validation import FunctionArguments, JsonReader


class Definition(Protocol):
    """A tool's description and the neutral JSON Schema of its arguments."""

    @property
    def description(self) -> str:
        """What the tool does, for the model."""
        ...

    @property
    def parameters(self) -> Mapping[str, Any]:
        """The neutral JSON Schema (draft 2020-12) of the tool's arguments."""
        ...


@dataclass(frozen=True, slots=True)
class GivenDefinition:
    """A description and a schema given as they are."""

    description: str
    parameters: Mapping[str, Any]


class FunctionDefinition:
    """A function tool's description, schema and argument validator, built once, when first read.

    It is also the tool's validator (`switchboard.tools.validation.ArgumentsValidator`).
    Building is thread-safe: concurrent first reads build once.

    Args:
        fn: The function.
        shape: What `read_function` read of it.
        tool_name: The tool's name, for error messages.
        description: The description to give instead of the docstring's.
    """

    def __init__(
        self,
        fn: Callable[..., Any],
        shape: FunctionShape,
        *,
        tool_name: str,
        description: str | None,
    ) -> None:
        self._fn = fn
        self._shape = shape
        self._tool_name = tool_name
        self._description = description
        self._lock = threading.Lock()
        self._built: tuple[FunctionSignature, FunctionArguments] | None = None

    @property
    def description(self) -> str:
        """The description given, else the docstring's."""
        if self._description is not None:
            return self._description
        return self.signature().description

    @property
    def parameters(self) -> Mapping[str, Any]:
        """The argument model's JSON Schema."""
        return self.signature().parameters

    def signature(self) -> FunctionSignature:
        """The argument model and schema, built on the first call.

        Raises:
            ToolDefinitionError: A parameter's type has no JSON Schema.
        """
        return self._build()[0]

    def arguments(self) -> FunctionArguments:
        """The argument validator, built on the first call (see `signature`)."""
        return self._build()[1]

    def validate(
        self, tool: str, arguments: Mapping[str, Any], *, strict: bool = False
    ) -> dict[str, Any]:
        """Return the handler's keyword arguments, or raise `ArgumentsError`."""
        return self._build()[1].validate(tool, arguments, strict=strict)

    def json_reader(self, tool: str, *, strict: bool = False) -> JsonReader:
        """See `ArgumentsValidator.json_reader` (builds the validator on the first call)."""
        return self._build()[1].json_reader(tool, strict=strict)

    def __copy__(self) -> FunctionDefinition:
        return self

    def __deepcopy__(self, memo: dict[int, Any]) -> FunctionDefinition:
        # What it builds never changes once built: copies of a tool share it (and its lock,
        # which cannot be copied).
        return self

    def _build(self) -> tuple[FunctionSignature, FunctionArguments]:
        built = self._built
        if built is not None:
            return built
        with self._lock:
            if self._built is None:
                # Pydantic is imported with the first tool built, not with switchboard.
                from switchboard.tools.argument_model import build_signature
                from switchboard.tools.validation import FunctionArguments

                signature = build_signature(self._fn, self._shape, tool_name=self._tool_name)
                self._built = (signature, FunctionArguments(signature))
            return self._built
