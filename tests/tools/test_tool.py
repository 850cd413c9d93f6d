import contextlib
import copy
import datetime
import threading
from concurrent.futures import ThreadPoolExecutor
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field

from switchboard import (
    ArgumentsError,
    ConfigurationError,
    RunContext,
    StrictSchemaError,
    SwitchboardError,
    Tool,
    Toolbox,
    ToolDefinitionError,
    tool,
)
from switchboard.providers.local.grammar import call_grammar, tools_key


def get_weather(city: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> str:
    """Get the current weather for a city.

    Args:
        city: City name.
        unit: Temperature unit.
    """
    return f"{city}:{unit}"


def tag_counts(counts: dict[str, int]) -> int:
    """Sum tag counts."""
    return sum(counts.values())


class Flight(BaseModel):
    """Search flights between two airports.

    Attributes:
        origin: IATA code of the departure airport.
    """

    origin: str
    destination: str = Field(description="IATA code of the arrival airport.")
    passengers: int = Field(1, ge=1)


def test_from_function_takes_name_description_and_schema() -> None:
    """A function gives the tool its name, docstring summary and schema."""
    t = Tool.from_function(get_weather)
    assert t.name == "get_weather"
    assert t.description == "Get the current weather for a city."
    assert t.parameters["required"] == ["city"]
    assert t.handler is get_weather


def test_explicit_name_and_description_win() -> None:
    """name= and description= override what is read from the function."""
    t = Tool.from_function(get_weather, name="weather", description="Weather now.")
    assert (t.name, t.description) == ("weather", "Weather now.")


def test_tool_decorator_works_bare_and_called() -> None:
    """@tool and @tool(...) both give a Tool."""

    @tool
    def a(x: int) -> int:
        """A."""
        return x

    @tool(name="bee", tags=["letters"])
    def b(x: int) -> int:
        """B."""
        return x

    assert isinstance(a, Tool)
    assert a.name == "a"
    assert (b.name, b.tags) == ("bee", frozenset({"letters"}))


@pytest.mark.parametrize("bad", ["get.weather", "get weather", "", "x" * 65, "météo"])
def test_name_that_breaks_provider_rules_is_rejected_with_a_suggestion(bad: str) -> None:
    """Names outside ^[a-zA-Z0-9_-]{1,64}$ are refused, with a name that would work."""
    with pytest.raises(ToolDefinitionError, match=r"not accepted by providers.*Pass name="):
        Tool.from_function(get_weather, name=bad)


def test_lambda_needs_a_name() -> None:
    """A lambda's '<lambda>' name is refused and a valid one suggested."""
    with pytest.raises(ToolDefinitionError, match="Pass name='_lambda_'"):
        Tool.from_function(lambda x: x)


def test_validate_returns_typed_keyword_arguments() -> None:
    """validate() gives the handler's keyword arguments, defaults filled in."""
    t = Tool.from_function(get_weather)
    assert t.validate({"city": "Tokyo"}) == {"city": "Tokyo", "unit": "celsius"}


def test_validate_reports_every_problem_with_its_path() -> None:
    """Invalid arguments raise ArgumentsError listing each path, expectation and value."""

    class Item(BaseModel):
        name: str
        qty: int

    def order(items: list[Item], rush: bool = False) -> None:
        """Order."""

    t = Tool.from_function(order)
    with pytest.raises(ArgumentsError) as info:
        t.validate({"items": [{"name": "a", "qty": "many"}], "rush": "perhaps", "extra": 1})
    found = {(p.path, p.received) for p in info.value.problems}
    assert found == {("items.0.qty", "many"), ("rush", "perhaps"), ("extra", 1)}
    assert "items.0.qty: Input should be a valid integer" in str(info.value)


def test_missing_argument_is_reported_as_missing() -> None:
    """A missing required argument is named, with nothing received."""
    with pytest.raises(ArgumentsError) as info:
        Tool.from_function(get_weather).validate({})
    (problem,) = info.value.problems
    assert (problem.path, problem.message, problem.received) == ("city", "Field required", None)


def test_null_for_an_optional_parameter_means_its_default() -> None:
    """Strict mode sends null for omitted optionals: the default is restored."""
    t = Tool.from_function(get_weather)
    assert t.validate({"city": "Paris", "unit": None}) == {"city": "Paris", "unit": "celsius"}


def test_null_is_kept_where_the_parameter_accepts_null() -> None:
    """An Optional parameter receives None when the model sends null."""

    def f(note: str | None = "default") -> None:
        """F."""

    assert Tool.from_function(f).validate({"note": None}) == {"note": None}


def test_context_parameter_is_recorded() -> None:
    """The RunContext parameter is kept for injection, out of the schema."""

    def f(ctx: RunContext[int], x: int) -> int:
        """F."""
        return ctx.deps + x

    t = Tool.from_function(f)
    assert t.context_parameter == "ctx"
    assert list(t.parameters["properties"]) == ["x"]


def test_is_async_tells_coroutine_handlers() -> None:
    """is_async is true only for async handlers."""

    async def f() -> None:
        """F."""

    assert Tool.from_function(f).is_async
    assert not Tool.from_function(get_weather).is_async


def test_from_model_uses_docstring_and_fields() -> None:
    """A Pydantic model is the argument object; its docstring is the description."""
    t = Tool.from_model(Flight, lambda flight: flight.origin)
    assert t.name == "Flight"
    assert t.description == "Search flights between two airports."
    props = t.parameters["properties"]
    assert props["origin"]["description"] == "IATA code of the departure airport."
    assert props["destination"]["description"] == "IATA code of the arrival airport."
    assert t.parameters["required"] == ["origin", "destination"]


def test_from_model_validate_passes_the_instance() -> None:
    """The handler of a model tool receives the validated instance."""

    def search(query: Flight) -> str:
        return query.origin

    t = Tool.from_model(Flight, search)
    kwargs = t.validate({"origin": "NRT", "destination": "CDG"})
    assert kwargs == {"query": Flight(origin="NRT", destination="CDG", passengers=1)}


def test_from_model_without_docstring_has_empty_description() -> None:
    """A model without its own docstring does not inherit BaseModel's."""

    class Bare(BaseModel):
        x: int

    assert Tool.from_model(Bare).description == ""


def test_from_model_handler_must_take_one_argument() -> None:
    """A model tool's handler with two parameters is refused."""

    def search(query: Flight, page: int) -> None: ...

    with pytest.raises(ToolDefinitionError, match="takes \\['query', 'page'\\]"):
        Tool.from_model(Flight, search)


def test_from_model_handler_may_take_the_context() -> None:
    """A model tool's handler may also ask for the run context."""

    def search(ctx: RunContext[None], query: Flight) -> None: ...

    t = Tool.from_model(Flight, search)
    assert t.context_parameter == "ctx"
    assert list(t.validate({"origin": "A", "destination": "B"})) == ["query"]


RAW = {
    "type": "object",
    "properties": {
        "sql": {"type": "string", "minLength": 1},
        "limit": {"type": "integer", "minimum": 1},
    },
    "required": ["sql"],
}


def test_from_schema_validates_with_json_schema() -> None:
    """A raw-schema tool validates arguments with jsonschema and passes them through."""
    t = Tool.from_schema("query", "Run SQL.", RAW)
    assert t.validate({"sql": "select 1", "limit": 5}) == {"sql": "select 1", "limit": 5}
    with pytest.raises(ArgumentsError) as info:
        t.validate({"sql": "", "limit": 0})
    assert [(p.path, p.received) for p in info.value.problems] == [("limit", 0), ("sql", "")]


def test_from_schema_rejects_an_invalid_schema_naming_the_path() -> None:
    """An invalid JSON Schema is a definition error pointing at the bad node."""
    bad = {"type": "object", "properties": {"n": {"type": "integr"}}}
    with pytest.raises(ToolDefinitionError, match="not a valid JSON Schema at /properties/n/type"):
        Tool.from_schema("q", "Q.", bad)


def test_from_schema_requires_an_object_at_the_top() -> None:
    """A non-object parameters schema is refused with the fix."""
    with pytest.raises(ToolDefinitionError, match='must have "type": "object"'):
        Tool.from_schema("q", "Q.", {"type": "string"})


def test_from_schema_keeps_a_copy_of_the_schema() -> None:
    """Mutating the caller's dict afterwards does not change the tool."""
    raw: dict[str, Any] = {"type": "object", "properties": {}}
    t = Tool.from_schema("q", "Q.", raw)
    raw["properties"]["x"] = {"type": "string"}
    assert t.parameters["properties"] == {}


def test_schema_is_built_once_and_cached() -> None:
    """A second schema() call returns the same object: a dictionary lookup."""
    t = Tool.from_function(get_weather)
    assert t.schema("anthropic") is t.schema("anthropic")
    assert t.schema("openai", strict=True) is t.schema("openai", strict=True)
    assert t.schema("openai") is not t.schema("openai", strict=True)


def test_strict_export_requires_every_property_and_marks_strict() -> None:
    """The strict form lists every property as required and sets strict."""
    fn = Tool.from_function(get_weather).schema("openai", strict=True)["function"]
    assert fn["strict"] is True
    assert fn["parameters"]["required"] == ["city", "unit"]
    assert fn["parameters"]["additionalProperties"] is False


def test_schema_without_strict_form_lists_issues_and_raises() -> None:
    """A dict parameter has no strict form: issues name the path; strict export raises."""
    t = Tool.from_function(tag_counts)
    (issue,) = t.strict_issues()
    assert issue.path == "/properties/counts/additionalProperties"
    with pytest.raises(StrictSchemaError) as info:
        t.schema("openai", strict=True)
    assert info.value.issues == (issue,)
    assert "on_strict_issues='fallback'" in str(info.value)


def test_strict_fallback_sends_the_tool_non_strict() -> None:
    """on_strict_issues='fallback' gives the non-strict form instead of an error."""
    t = Tool.from_function(tag_counts)
    fallback = t.schema("openai", strict=True, on_strict_issues="fallback")
    assert fallback == t.schema("openai")
    assert fallback["function"].get("strict") is not True


def test_strict_for_a_format_without_strict_mode_is_a_configuration_error() -> None:
    """Gemini and MCP have no strict flag: asking for one is refused."""
    with pytest.raises(ConfigurationError, match="'gemini' has no strict mode"):
        Tool.from_function(get_weather).schema("gemini", strict=True)


def test_unknown_format_is_a_configuration_error() -> None:
    """An unknown format names the valid ones."""
    with pytest.raises(ConfigurationError, match="openai-responses"):
        Tool.from_function(get_weather).schema("cohere")  # type: ignore[arg-type]


def test_strict_issue_free_tool_has_no_issues() -> None:
    """A plain typed function has a strict form."""

    def f(q: str, n: Annotated[int, Field(ge=1)] = 1) -> None:
        """F."""

    assert Tool.from_function(f).strict_issues() == ()


def test_bad_execution_options_are_refused_at_definition() -> None:
    """A non-positive timeout, negative max_retries or zero concurrency fails at once."""
    with pytest.raises(ConfigurationError) as info:
        Tool.from_function(get_weather, timeout=0, max_retries=-1, max_concurrency=0)
    assert str(info.value) == (
        "Tool 'get_weather': timeout must be a positive number of seconds (got 0); "
        "max_retries must be 0 or more (got -1); max_concurrency must be at least 1 (got 0)."
    )


def test_execution_options_are_kept_on_the_tool() -> None:
    """Options given to a builder land on the tool."""
    t = Tool.from_function(get_weather, timeout=2.5, sequential=True, requires_approval=True)
    assert (t.timeout, t.sequential, t.requires_approval, t.inline) == (2.5, True, True, False)


# --- hand-written schemas: refused clearly, or converted for every format -----------------


@pytest.mark.parametrize("root", [True, False])
def test_from_schema_refuses_a_boolean_root_as_a_definition_error(root: bool) -> None:
    """A `true` or `false` root is not an object schema: refused, not an AttributeError."""
    with pytest.raises(ToolDefinitionError, match=r"must be an object schema.*got the schema"):
        Tool.from_schema("t", "", root)  # pyright: ignore[reportArgumentType]


def test_from_schema_refuses_a_ref_to_nothing_naming_its_path() -> None:
    """A $ref whose target is missing is refused at definition, with the $ref's path."""
    schema = {"type": "object", "properties": {"a": {"$ref": "#/$defs/Missing"}}}

    with pytest.raises(ToolDefinitionError, match=r"/properties/a: \$ref '#/\$defs/Missing'"):
        Tool.from_schema("t", "", schema)


def test_from_schema_refuses_a_ref_to_another_document() -> None:
    """A $ref to another document would fail every validation: refused up front."""
    schema = {"type": "object", "properties": {"a": {"$ref": "https://example.com/a.json"}}}

    with pytest.raises(ToolDefinitionError, match="points outside this schema"):
        Tool.from_schema("t", "", schema)


def test_from_schema_refuses_a_schema_no_arguments_satisfy() -> None:
    """A required property whose schema is `false` leaves no valid call: refused with its path."""
    schema = {"type": "object", "properties": {"a": False}, "required": ["a"]}

    with pytest.raises(ToolDefinitionError, match=r"/properties/a.*no arguments are valid"):
        Tool.from_schema("t", "", schema)


def test_tool_resolves_a_ref_through_an_anchor_in_every_format() -> None:
    """A $ref by $anchor is followed, as jsonschema follows it, for strict and Gemini."""
    schema = {
        "type": "object",
        "properties": {"a": {"$ref": "#code"}},
        "required": ["a"],
        "$defs": {"Code": {"$anchor": "code", "type": "string"}},
    }
    t = Tool.from_schema("t", "", schema)

    strict = t.schema("openai", strict=True)["function"]["parameters"]
    assert strict["properties"]["a"] == {"$ref": "#/$defs/Code"}
    assert t.schema("gemini")["parameters"]["properties"]["a"] == {"type": "STRING"}
    assert t.accepts({"a": "x"})
    assert not t.accepts({"a": 1})


def test_tool_resolves_a_ref_to_a_urn_id() -> None:
    """A $ref naming a subschema's URN $id is followed to that subschema."""
    schema = {
        "$id": "urn:example:root",
        "type": "object",
        "properties": {"a": {"$ref": "urn:example:code"}},
        "required": ["a"],
        "$defs": {"Code": {"$id": "urn:example:code", "type": "integer"}},
    }
    t = Tool.from_schema("t", "", schema)

    assert t.schema("gemini")["parameters"]["properties"]["a"] == {"type": "INTEGER"}
    assert t.strict_issues() == ()


def test_ref_to_a_boolean_subschema_is_reported_for_what_it_accepts() -> None:
    """A $ref to `true` is "any value" in the strict issues, not a $ref to nothing."""
    schema = {"type": "object", "properties": {"a": {"$ref": "#/$defs/T"}}, "$defs": {"T": True}}
    t = Tool.from_schema("t", "", schema)

    reasons = [issue.reason for issue in t.strict_issues()]
    assert reasons
    assert all("points to nothing" not in reason for reason in reasons)
    assert any("accepts any value" in reason for reason in reasons)


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "object", "properties": {"a": {"type": "array", "items": True}}},
        {"type": "object", "properties": {"a": {"type": "array", "items": False}}},
        {"type": "object", "properties": {"a": {"$ref": "#/$defs/T"}}, "$defs": {"T": True}},
        {"type": "object", "properties": {"$ref": {"type": "string"}}},
        {
            "type": "object",
            "properties": {
                "a": {"type": "array", "prefixItems": [{"type": "string"}], "items": True}
            },
        },
        {"type": "object", "properties": {"a": {"anyOf": [True, {"type": "integer"}]}}},
        {"type": "object", "properties": {"a": {"not": True}}},
    ],
    ids=["items-true", "items-false", "ref-to-true", "property-named-ref", "tuple", "any", "not"],
)
def test_every_format_converts_or_raises_a_switchboard_error(schema: dict[str, Any]) -> None:
    """Each export and the local call grammar either build or raise a SwitchboardError."""
    t = Tool.from_schema("t", "", schema)
    exports = [("openai", False), ("openai", True), ("anthropic", True), ("gemini", False)]
    for fmt, strict in exports:
        with contextlib.suppress(SwitchboardError):
            t.schema(fmt, strict=strict)
    grammar = call_grammar(tools_key([(t.name, t.parameters)]), text=False, parallel=False)
    assert grammar.startswith("root ::=") or "\nroot ::=" in grammar


def test_from_schema_refuses_a_required_name_its_closed_object_forbids() -> None:
    """Requiring a name that additionalProperties: false forbids leaves no valid call."""
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "required": ["a", "b"],
        "additionalProperties": False,
    }

    with pytest.raises(ToolDefinitionError, match=r"requires 'b'.*additionalProperties: false"):
        Tool.from_schema("t", "", schema)


def test_a_type_without_json_schema_is_refused_at_registration() -> None:
    """A function tool is refused when registered, not on first use, for a type with no schema."""

    def convert(when: datetime.tzinfo, count: int) -> None:
        """Convert."""

    with pytest.raises(ToolDefinitionError, match=r"parameter 'when' has type datetime\.tzinfo"):
        Toolbox().register(convert)


def test_a_bound_that_does_not_suit_its_type_names_the_parameter() -> None:
    """A Field bound Pydantic cannot apply is a definition error naming the parameter."""

    def page(size: Annotated[int, Field(ge=0.5)]) -> None:
        """Page."""

    with pytest.raises(ToolDefinitionError) as info:
        Toolbox().register(page)
    assert info.value.parameter == "size"
    assert str(info.value).startswith("Tool 'page': parameter 'size' has type ")


def test_concurrent_first_reads_build_a_function_tool_once() -> None:
    """Threads reading a new tool's schema at once all get the one schema built."""
    built = Tool.from_function(get_weather)
    barrier = threading.Barrier(8)

    def read(_: int) -> object:
        barrier.wait()
        return built.parameters

    with ThreadPoolExecutor(8) as pool:
        seen = list(pool.map(read, range(8)))
    assert all(schema is seen[0] for schema in seen)
    assert seen[0] == Tool.from_function(get_weather).parameters


def test_a_function_tool_survives_deepcopy_before_and_after_its_first_use() -> None:
    """copy.deepcopy of a function tool, built or not yet, validates and renders as it does."""
    fresh = Tool.from_function(get_weather)
    used = Tool.from_function(get_weather)
    used.validate({"city": "Paris"})
    for original in (fresh, used):
        copied = copy.deepcopy(original)
        assert copied.validate({"city": "Oslo"}) == {"city": "Oslo", "unit": "celsius"}
        assert copied.schema("openai") == original.schema("openai")


def test_unhashable_annotated_metadata_does_not_break_registration() -> None:
    """Annotated metadata that cannot be hashed (a list) registers: Pydantic ignores it."""

    def f(x: Annotated[int, ["a note"]]) -> None:
        """F."""

    assert Tool.from_function(f).parameters["properties"] == {"x": {"type": "integer"}}
