"""A switchboard `Tool` as an MCP server lists it, and its return values as structured content.

The listing is the tool's ``mcp`` schema (name, description, ``inputSchema``) with what MCP
adds: the ``title``, the behaviour hints (``annotations``) from the tool's options, and an
``outputSchema`` read from the handler's return annotation. A return type whose JSON Schema
is an object (a Pydantic model, a dataclass, a TypedDict, ``dict[str, ...]``) is the output
schema as it is; any other (``int``, ``list[str]``, ``Model | None``) is wrapped as
``{"result": ...}``, as the specification asks of ``structuredContent``, which is always an
object (https://modelcontextprotocol.io/specification/2025-06-18/server/tools#output-schema).
"""

from __future__ import annotations

import inspect
import logging
import warnings
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Final

from pydantic import (
    PydanticInvalidForJsonSchema,
    PydanticSchemaGenerationError,
    PydanticUserError,
    TypeAdapter,
)
from pydantic.json_schema import PydanticJsonSchemaWarning

from switchboard.tools.signature import strip_titles
from switchboard.tools.tool import Tool

logger = logging.getLogger("switchboard")

_NO_OUTPUT: Final[tuple[object, ...]] = (inspect.Signature.empty, Any, None, type(None), object)
"""Return annotations that promise nothing structured."""

_DEFS = "#/$defs/"


@dataclass(frozen=True, slots=True)
class ToolOutput:
    """A tool's ``outputSchema`` and the way its return values become ``structuredContent``.

    Attributes:
        schema: The output schema, an object schema.
        adapter: Validates a return value against the return annotation and dumps it as JSON.
        wrapped: The value goes under ``"result"`` (its own schema is not an object's).
    """

    schema: dict[str, Any]
    adapter: TypeAdapter[Any]
    wrapped: bool

    def structured(self, value: Any) -> dict[str, Any]:
        """The structured content for what the tool returned.

        Raises:
            pydantic.ValidationError: The value does not match the return annotation.
        """
        data = self.adapter.dump_python(self.adapter.validate_python(value), mode="json")
        return {"result": data} if self.wrapped else data


def tool_output(tool: Tool) -> ToolOutput | None:
    """The output schema of ``tool``, from its handler's return annotation.

    None when the handler has no return annotation, one that promises nothing (``Any``,
    ``None``, ``object``), or a type with no JSON Schema (logged: the tool is served
    without structured content).
    """
    annotation = _return_annotation(tool.handler)
    if any(annotation is nothing for nothing in _NO_OUTPUT):
        return None
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PydanticJsonSchemaWarning)
            adapter: TypeAdapter[Any] = TypeAdapter(annotation)
            schema = adapter.json_schema(mode="serialization")
    except (
        PydanticSchemaGenerationError,
        PydanticInvalidForJsonSchema,
        PydanticUserError,
        PydanticJsonSchemaWarning,
    ) as e:
        logger.warning(
            "Tool %r is served without an output schema: its return type %r has none (%s)",
            tool.name,
            annotation,
            e,
        )
        return None
    schema = strip_titles(_inline_root(schema))
    if schema.get("type") == "object":
        return ToolOutput(schema, adapter, wrapped=False)
    return ToolOutput(_wrap(schema), adapter, wrapped=True)


def tool_listing(tool: Tool, output: ToolOutput | None) -> dict[str, Any]:
    """The tool as ``tools/list`` sends it (a ``Tool`` of the MCP schema, as JSON)."""
    listing = dict(tool.schema("mcp"))
    if tool.title is not None:
        listing["title"] = tool.title
    if output is not None:
        listing["outputSchema"] = output.schema
    annotations = tool_annotations(tool)
    if annotations:
        listing["annotations"] = annotations
    return listing


def tool_annotations(tool: Tool) -> dict[str, Any]:
    """The MCP behaviour hints the tool's options state; what they leave unsaid is left out.

    The title goes here too, where clients of the 2025-03-26 revision (which has no
    ``Tool.title``) read it.

    Example:
        >>> from switchboard import tool
        >>> @tool(read_only=True, open_world=False)
        ... def lookup(code: str) -> str:
        ...     return code
        >>> tool_annotations(lookup)
        {'readOnlyHint': True, 'openWorldHint': False}
    """
    hints: dict[str, Any] = {}
    if tool.title is not None:
        hints["title"] = tool.title
    if tool.read_only:
        hints["readOnlyHint"] = True
    if tool.destructive is not None:
        hints["destructiveHint"] = tool.destructive
    if tool.idempotent:
        hints["idempotentHint"] = True
    if tool.open_world is not None:
        hints["openWorldHint"] = tool.open_world
    return hints


def _return_annotation(handler: Callable[..., Any] | None) -> Any:
    if handler is None:
        return inspect.Signature.empty
    try:
        return inspect.signature(handler, eval_str=True).return_annotation
    except (ValueError, TypeError, NameError):  # no signature, or a name it cannot resolve
        return inspect.Signature.empty


def _inline_root(schema: dict[str, Any]) -> dict[str, Any]:
    """Put the definition a root ``$ref`` points at (a recursive model's) at the root.

    Pydantic writes a self-referencing model as ``{"$defs": {...}, "$ref": "#/$defs/M"}``;
    an output schema needs ``"type": "object"`` at its root. ``$defs`` stays: the
    definition's own references point into it.
    """
    ref = schema.get("$ref")
    if not isinstance(ref, str) or not ref.startswith(_DEFS):
        return schema
    definition: dict[str, Any] = schema["$defs"][ref.removeprefix(_DEFS)]
    return {**definition, **{key: value for key, value in schema.items() if key != "$ref"}}


def _wrap(schema: dict[str, Any]) -> dict[str, Any]:
    """An object schema holding ``schema`` under ``"result"``; its ``$defs`` move to the root."""
    inner = {key: value for key, value in schema.items() if key != "$defs"}
    wrapped: dict[str, Any] = {
        "type": "object",
        "properties": {"result": inner},
        "required": ["result"],
    }
    if "$defs" in schema:
        wrapped["$defs"] = schema["$defs"]
    return wrapped
