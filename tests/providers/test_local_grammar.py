"""The call grammar: which schema features it enforces, and the GBNF it builds."""

from typing import Annotated, Any

import pytest
from pydantic import BaseModel, Field

from switchboard.evals.bfcl import from_bfcl, load_bfcl
from switchboard.providers.local.grammar import (
    answer_grammar,
    call_grammar,
    call_schema,
    grammar_issues,
    grammar_schema,
    tools_key,
)
from switchboard.tools.tool import Tool

from .gbnf import grammar_accepts


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


# --- hand-written schemas: the grammar admits every valid call, or the tool has issues ---


def _call_grammar(parameters: dict[str, Any]) -> str:
    return call_grammar(tools_key([("t", parameters)]), text=False, parallel=False)


def _call(arguments: str) -> str:
    return f'{{"name": "t", "arguments": {arguments}}}'


def test_grammar_admits_a_property_named_ref() -> None:
    """A property called "$ref" is a name, not a reference: the grammar writes it."""
    grammar = _call_grammar({"type": "object", "properties": {"$ref": {"type": "string"}}})

    assert grammar_accepts(grammar, _call('{"$ref": "x"}'))


def test_grammar_of_items_true_admits_any_item() -> None:
    """items: true is any value, as a list of mixed items shows."""
    grammar = _call_grammar(
        {"type": "object", "properties": {"a": {"type": "array", "items": True}}}
    )

    assert grammar_accepts(grammar, _call('{"a": [1, "x", null]}'))


def test_grammar_of_items_false_admits_only_an_empty_list() -> None:
    """items: false allows no item at all."""
    grammar = _call_grammar(
        {"type": "object", "properties": {"a": {"type": "array", "items": False}}}
    )

    assert grammar_accepts(grammar, _call('{"a": []}'))
    assert not grammar_accepts(grammar, _call('{"a": [1]}'))


def test_grammar_of_a_ref_to_a_boolean_definition_builds() -> None:
    """A $ref to `true` is any value."""
    grammar = _call_grammar(
        {"type": "object", "properties": {"a": {"$ref": "#/$defs/T"}}, "$defs": {"T": True}}
    )

    assert grammar_accepts(grammar, _call('{"a": {"k": [true]}}'))


def test_grammar_of_a_tuple_with_items_admits_positions_then_the_tail() -> None:
    """A tuple (prefixItems) with items: a string first, then any number of integers."""
    parameters = {
        "type": "object",
        "properties": {
            "row": {
                "type": "array",
                "prefixItems": [{"type": "string"}],
                "items": {"type": "integer"},
            }
        },
        "required": ["row"],
    }
    grammar = _call_grammar(parameters)

    assert grammar_accepts(grammar, _call('{"row": ["a", 1, 2]}'))
    assert grammar_accepts(grammar, _call('{"row": ["a"]}'))


def test_grammar_keeps_properties_beside_anyof() -> None:
    """A node with properties and anyOf (no type) enforces both."""
    parameters = {
        "type": "object",
        "properties": {
            "contact": {
                "properties": {"name": {"type": "string"}},
                "required": ["name"],
                "anyOf": [
                    {"properties": {"email": {"type": "string"}}, "required": ["email"]},
                    {"properties": {"phone": {"type": "string"}}, "required": ["phone"]},
                ],
            }
        },
        "required": ["contact"],
    }
    grammar = _call_grammar(parameters)

    assert grammar_accepts(grammar, _call('{"contact": {"name": "A", "email": "a@b"}}'))
    assert not grammar_accepts(grammar, _call('{"contact": {"email": "a@b"}}'))
    assert grammar_issues(parameters) == []


def test_grammar_of_a_type_list_keeps_the_keywords_of_each_type() -> None:
    """{"type": ["object", "null"], "properties": ...} still enforces the properties."""
    parameters = {
        "type": "object",
        "properties": {
            "p": {
                "type": ["object", "null"],
                "properties": {"x": {"type": "integer"}},
                "required": ["x"],
            }
        },
        "required": ["p"],
    }
    grammar = _call_grammar(parameters)

    assert grammar_accepts(grammar, _call('{"p": {"x": 1}}'))
    assert grammar_accepts(grammar, _call('{"p": null}'))
    assert not grammar_accepts(grammar, _call('{"p": {"x": "1"}}'))


def test_grammar_writes_a_required_name_the_schema_never_declares() -> None:
    """A required name without a property is still written (as any value), not forbidden."""
    parameters = {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "required": ["a", "b"],
    }
    grammar = _call_grammar(parameters)

    assert grammar_accepts(grammar, _call('{"a": "x", "b": 1}'))
    assert not grammar_accepts(grammar, _call('{"a": "x"}'))


def test_recursive_reference_is_enforced_by_a_recursive_rule() -> None:
    """A recursive model's $ref becomes a rule that refers to itself: its depth is free."""

    class Folder(BaseModel):
        name: str
        children: list["Folder"] = []

    def organise(root: Folder) -> str:
        """Organise."""
        return root.name

    tool = Tool.from_function(organise)
    grammar = _call_grammar(dict(tool.parameters))

    nested = '{"root": {"name": "a", "children": [{"name": "b", "children": [{"name": "c"}]}]}}'
    assert grammar_accepts(grammar, _call(nested))
    assert not grammar_accepts(grammar, _call('{"root": {"name": "a", "children": [{"x": 1}]}}'))
    assert tool.local_issues() == ()


def test_grammar_writes_keys_and_constants_with_quotes_and_line_breaks_as_json() -> None:
    """A key with a quote, and a constant with a line break, are written escaped, as JSON."""
    parameters = {
        "type": "object",
        "properties": {'say "hi"': {"const": "line\nbreak"}, "é": {"enum": ["à"]}},
        "required": ['say "hi"', "é"],
    }
    grammar = _call_grammar(parameters)

    assert grammar_accepts(grammar, _call('{"say \\"hi\\"": "line\\nbreak", "é": "à"}'))


# --- answers: plain text (no braces or backticks), beginning with the lead when one is set ---

_LEAD = "Tokyo: sky clear.\n"


def test_answer_grammar_admits_plain_text() -> None:
    """A plain sentence is an answer."""
    assert grammar_accepts(answer_grammar(), "It is clear in Tokyo.")


def test_answer_grammar_rejects_a_brace_anywhere() -> None:
    """A brace, even mid-answer, is refused: no echoed call JSON."""
    assert not grammar_accepts(answer_grammar(), 'The weather is {"sky": "clear"}')


def test_answer_grammar_rejects_a_backtick() -> None:
    """A backtick, which opens code, is refused."""
    assert not grammar_accepts(answer_grammar(), "Run `get_weather` now.")


def test_answer_grammar_rejects_a_reply_opening_like_a_list() -> None:
    """A reply whose first character is [ is refused."""
    assert not grammar_accepts(answer_grammar(), "[Tokyo] clear")


def test_answer_grammar_with_a_lead_admits_the_lead_then_text() -> None:
    """The lead followed by the model's own words is an answer."""
    assert grammar_accepts(answer_grammar(_LEAD), _LEAD + "It is a fine day.")


def test_answer_grammar_with_a_lead_rejects_text_not_starting_with_it() -> None:
    """An answer that does not begin with the lead is refused."""
    assert not grammar_accepts(answer_grammar(_LEAD), "It is a fine day in Tokyo.")


def test_answer_grammar_with_a_lead_rejects_a_brace_after_it() -> None:
    """After the lead, a brace is still refused."""
    assert not grammar_accepts(answer_grammar(_LEAD), _LEAD + "{")


def test_answer_grammar_writes_a_lead_with_quotes_as_a_literal() -> None:
    """A lead holding quotes and a line break is admitted as it is."""
    lead = 'Berlin: failed, no weather station for "Berlin".\n'
    assert grammar_accepts(answer_grammar(lead), lead + "Sorry.")


def _auto(*, plain: bool, lead: str = "") -> str:
    key = tools_key([("a", {"type": "object", "properties": {}})])
    return call_grammar(key, text=True, parallel=False, plain=plain, lead=lead)


def test_plain_auto_grammar_rejects_a_brace_in_its_text() -> None:
    """Under auto with plain answers, the text branch refuses a brace mid-answer."""
    assert not grammar_accepts(_auto(plain=True), "The call is {x}")


def test_auto_grammar_without_plain_admits_a_brace_in_its_text() -> None:
    """Without plain answers, the text branch admits a brace past the first character."""
    assert grammar_accepts(_auto(plain=False), "The call is {x}")


def test_auto_grammar_with_a_lead_still_admits_a_call() -> None:
    """A lead binds the text branch only: a call is still admitted."""
    assert grammar_accepts(_auto(plain=True, lead=_LEAD), '{"name": "a", "arguments": {}}')


def test_auto_grammar_with_a_lead_rejects_text_not_starting_with_it() -> None:
    """Under auto with a lead, text must begin with the lead."""
    grammar = _auto(plain=True, lead=_LEAD)
    assert grammar_accepts(grammar, _LEAD + "Fine.")
    assert not grammar_accepts(grammar, "Fine.")
