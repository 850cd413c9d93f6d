"""How a tool is listed by the MCP server, and how its return values become structured content."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

import pytest
from pydantic import BaseModel, ValidationError
from typing_extensions import TypedDict

from switchboard import Tool, tool
from switchboard.mcp.server_tools import tool_listing, tool_output


class Point(BaseModel):
    x: int
    y: int


class Node(BaseModel):
    name: str
    children: list[Node] = []


class Span(TypedDict):
    start: int
    end: int


@dataclass
class Pair:
    left: str
    right: str


class Opaque:
    """A class with no fields Pydantic can read."""


def _output_schema(fn: Any) -> dict[str, Any] | None:
    output = tool_output(tool(fn))
    return None if output is None else output.schema


def test_a_model_is_its_own_output_schema() -> None:
    """A Pydantic model's object schema is listed as it is, without Pydantic's titles."""

    def locate() -> Point:
        return Point(x=1, y=2)

    assert _output_schema(locate) == {
        "type": "object",
        "properties": {"x": {"type": "integer"}, "y": {"type": "integer"}},
        "required": ["x", "y"],
    }


@pytest.mark.parametrize(
    ("returns", "properties"),
    [
        (Span, {"start": {"type": "integer"}, "end": {"type": "integer"}}),
        (Pair, {"left": {"type": "string"}, "right": {"type": "string"}}),
    ],
)
def test_typed_dicts_and_dataclasses_are_object_schemas(
    returns: type, properties: dict[str, Any]
) -> None:
    """TypedDicts and dataclasses are objects: listed unwrapped."""

    def make() -> Any: ...

    make.__annotations__["return"] = returns
    schema = _output_schema(make)
    assert schema is not None
    assert (schema["type"], schema["properties"]) == ("object", properties)


def test_a_string_keyed_dict_is_an_object_schema() -> None:
    """``dict[str, int]`` is an object schema, listed as it is."""

    def tally() -> dict[str, int]:
        return {}

    assert _output_schema(tally) == {"type": "object", "additionalProperties": {"type": "integer"}}


def test_a_list_is_wrapped_under_result() -> None:
    """A non-object return type is wrapped: structured content is always an object."""

    def names() -> list[str]:
        return []

    assert _output_schema(names) == {
        "type": "object",
        "properties": {"result": {"type": "array", "items": {"type": "string"}}},
        "required": ["result"],
    }


def test_an_optional_model_is_wrapped_with_its_definitions_at_the_root() -> None:
    """``Point | None`` is wrapped; its $defs move to the root, where its $ref points."""

    def maybe() -> Point | None:
        return None

    schema = _output_schema(maybe)
    assert schema is not None
    assert schema["properties"]["result"] == {
        "anyOf": [{"$ref": "#/$defs/Point"}, {"type": "null"}]
    }
    assert set(schema["$defs"]) == {"Point"}


def test_a_recursive_model_gets_its_definition_at_the_root() -> None:
    """A self-referencing model (a bare $ref in Pydantic's schema) gets an object root."""

    def tree() -> Node:
        return Node(name="root")

    schema = _output_schema(tree)
    assert schema is not None
    assert schema["type"] == "object"
    assert schema["properties"]["children"]["items"] == {"$ref": "#/$defs/Node"}
    assert "Node" in schema["$defs"]


def _returns_none() -> None: ...


def _returns_any() -> Any: ...


def _returns_unsaid():  # type: ignore[no-untyped-def]
    return None


@pytest.mark.parametrize("fn", [_returns_none, _returns_any, _returns_unsaid])
def test_returns_that_promise_nothing_list_no_output_schema(fn: Any) -> None:
    """``-> None``, ``-> Any`` and no annotation list no output schema."""
    assert _output_schema(fn) is None


def test_a_return_type_without_json_schema_lists_none_and_says_so(
    caplog: pytest.LogCaptureFixture,
) -> None:
    """A class Pydantic cannot describe is served without an output schema, with a warning."""

    def make() -> Opaque:
        return Opaque()

    with caplog.at_level(logging.WARNING, logger="switchboard"):
        assert _output_schema(make) is None
    assert "Tool 'make' is served without an output schema" in caplog.text


def test_a_schema_only_tool_lists_no_output_schema() -> None:
    """A tool with no handler returns its arguments: nothing declared."""
    assert tool_output(Tool.from_schema("echo", "", {"type": "object"})) is None


def test_structured_content_wraps_a_scalar_and_dumps_a_model() -> None:
    """A wrapped value goes under "result"; a model becomes its JSON fields."""

    def count() -> int:
        return 3

    def locate() -> Point:
        return Point(x=1, y=2)

    counted, located = tool_output(tool(count)), tool_output(tool(locate))
    assert counted is not None
    assert located is not None
    assert counted.structured(3) == {"result": 3}
    assert located.structured(Point(x=1, y=2)) == {"x": 1, "y": 2}


def test_structured_content_refuses_a_value_the_annotation_does_not_allow() -> None:
    """A value that does not match the return annotation raises, rather than break the schema."""

    def count() -> int:
        return 3

    output = tool_output(tool(count))
    assert output is not None
    with pytest.raises(ValidationError):
        output.structured("many")


def test_the_listing_is_the_mcp_schema_with_title_output_and_hints() -> None:
    """The listing adds title, outputSchema and annotations to the tool's "mcp" schema."""

    @tool(title="Add", read_only=True)
    def add(a: int, b: int) -> int:
        """Add two integers."""
        return a + b

    listing = tool_listing(add, tool_output(add))
    assert listing == {
        **add.schema("mcp"),
        "title": "Add",
        "outputSchema": {
            "type": "object",
            "properties": {"result": {"type": "integer"}},
            "required": ["result"],
        },
        "annotations": {"title": "Add", "readOnlyHint": True},
    }


def test_a_tool_with_nothing_to_add_is_listed_as_its_mcp_schema() -> None:
    """No title, no hints, no output: the listing is the "mcp" dialect schema itself."""

    @tool
    def ping() -> None: ...

    assert tool_listing(ping, tool_output(ping)) == ping.schema("mcp")
