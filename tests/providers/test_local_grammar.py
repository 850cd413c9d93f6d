"""The call grammar: which schema features it enforces, and the GBNF it builds."""

from typing import Annotated

import pytest
from pydantic import BaseModel, Field

from switchboard.evals.bfcl import from_bfcl, load_bfcl
from switchboard.providers.local.grammar import (
    call_grammar,
    call_schema,
    grammar_issues,
    grammar_schema,
    tools_key,
)
from switchboard.tools.tool import Tool


def test_numeric_bounds_are_reported_once_per_node() -> None:
    """Bounds minimum and maximum on one property make one issue naming its path."""
    schema = {
        "type": "object",
        "properties": {"days": {"type": "integer", "minimum": 1, "maximum": 7}},
    }
    assert grammar_issues(schema) == ["/properties/days: numeric bounds are not enforced"]


def test_enforced_keywords_raise_no_issue() -> None:
    """Types, enums, const, required, arrays with minItems and anchored patterns are enforced."""
    schema = {
        "type": "object",
        "properties": {
            "unit": {"enum": ["c", "f"]},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 1},
            "code": {"type": "string", "pattern": "^[A-Z]{3}$"},
            "day": {"type": "string", "format": "date"},
            "name": {"type": "string", "maxLength": 20},
        },
        "required": ["unit"],
    }
    assert grammar_issues(schema) == []


def test_unanchored_pattern_and_unknown_format_are_issues() -> None:
    """A pattern without ^...$ and a format like email are listed, with their paths."""
    schema = {
        "type": "object",
        "properties": {
            "zip": {"type": "string", "pattern": "[0-9]{5}"},
            "mail": {"type": "string", "format": "email"},
        },
    }
    assert grammar_issues(schema) == [
        "/properties/zip: pattern '[0-9]{5}' is not enforced (only ^...$ patterns are)",
        "/properties/mail: format 'email' is not enforced",
    ]


def test_tool_local_issues_lists_the_field_bounds() -> None:
    """Tool.local_issues reports a Field(ge=..., le=...) parameter of a function tool."""

    def forecast(city: str, days: Annotated[int, Field(ge=1, le=7)] = 3) -> str:
        """Forecast."""
        return city * days

    tool = Tool.from_function(forecast)
    assert tool.local_issues() == ("/properties/days: numeric bounds are not enforced",)


def test_references_are_inlined_under_arguments() -> None:
    """A pydantic model's $defs are inlined, since arguments nest under the call schema."""

    class Point(BaseModel):
        x: int
        y: int

    def plot(point: Point) -> str:
        """Plot a point."""
        return str(point)

    schema = grammar_schema(Tool.from_function(plot).parameters)
    assert "$defs" not in schema
    assert schema["properties"]["point"]["properties"]["x"]["type"] == "integer"


def test_untyped_node_becomes_any_json_value() -> None:
    """BFCL's 'any' (a node with only a description) becomes a union of every JSON type."""
    schema = grammar_schema({"type": "object", "properties": {"v": {"description": "any"}}})
    assert schema["properties"]["v"]["type"] == [
        "string",
        "number",
        "boolean",
        "object",
        "array",
        "null",
    ]


def test_call_schema_names_each_tool_as_a_const() -> None:
    """Each branch fixes the tool's name and takes its parameters as the arguments."""
    params = {"type": "object", "properties": {"x": {"type": "integer"}}, "required": ["x"]}
    schema = call_schema([("a", params), ("b", params)], parallel=False)
    names = [branch["properties"]["name"] for branch in schema["oneOf"]]
    assert names == [{"const": "a"}, {"const": "b"}]
    assert schema["oneOf"][0]["properties"]["arguments"] == params


def test_parallel_call_schema_also_admits_a_non_empty_list() -> None:
    """With parallel calls, the schema is one call or a list of at least one."""
    params = {"type": "object", "properties": {}}
    schema = call_schema([("a", params)], parallel=True)
    assert schema["oneOf"][1] == {"type": "array", "items": schema["oneOf"][0], "minItems": 1}


def test_auto_grammar_adds_a_text_branch_that_cannot_open_a_call() -> None:
    """Under auto the root is a call or text whose first character is not {, [ or space."""
    key = tools_key([("a", {"type": "object", "properties": {}})])
    grammar = call_grammar(key, text=True, parallel=False)
    lines = grammar.splitlines()
    assert lines[0] == "root ::= call | text"
    assert "text ::= [^{[ \\t\\n\\r] [^\\x00]*" in lines
    assert sum(line.startswith("root ::=") for line in lines) == 1
    assert grammar.endswith("\n")


def test_grammar_is_cached_per_tool_set_and_shape() -> None:
    """The same tools and shape give the very same grammar object."""
    key = tools_key([("cached", {"type": "object", "properties": {}})])
    assert call_grammar(key, text=False, parallel=False) is call_grammar(
        key, text=False, parallel=False
    )


@pytest.mark.parametrize("category", ["simple_python", "multiple", "parallel", "irrelevance"])
def test_every_bfcl_tool_set_converts(category: str) -> None:
    """llama.cpp's converter accepts the call schema of every entry's tools."""
    for entry in load_bfcl(category):
        tools = [from_bfcl(doc) for doc in entry["function"]]
        key = tools_key([(tool.name, tool.parameters) for tool in tools])
        assert "root ::=" in call_grammar(key, text=True, parallel=True)
