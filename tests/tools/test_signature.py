import datetime
import enum
import warnings
from dataclasses import dataclass
from typing import Annotated, Any, Literal

import pytest
from pydantic import BaseModel, Field
from typing_extensions import TypedDict

from switchboard import (
    RunContext,
    Tool,
    Toolbox,
    ToolDefinitionError,
    UntypedParameterWarning,
    tool,
)
from switchboard.tools.signature import inspect_function, strip_titles


def _schema(fn: Any) -> dict[str, Any]:
    return inspect_function(fn, tool_name=fn.__name__).parameters


def test_google_docstring_gives_summary_and_parameter_text() -> None:
    """A Google-style docstring gives the description and each parameter's text."""

    def get_weather(city: str, unit: str = "c") -> None:
        """Get the current weather.

        Uses the nearest station.

        Args:
            city: City name, e.g. "Tokyo".
            unit: Temperature unit.

        Returns:
            The weather.
        """

    sig = inspect_function(get_weather, tool_name="get_weather")
    assert sig.description == "Get the current weather.\n\nUses the nearest station."
    assert sig.parameters["properties"]["city"]["description"] == 'City name, e.g. "Tokyo".'
    assert sig.parameters["properties"]["unit"]["description"] == "Temperature unit."


def test_numpy_docstring_is_detected() -> None:
    """A NumPy-style docstring is detected without being told."""

    def area(base: float, height: float) -> float:
        """Area of a triangle.

        Parameters
        ----------
        base : float
            The base length.
        height : float
            The height.
        """
        return base * height / 2

    sig = inspect_function(area, tool_name="area")
    assert sig.description == "Area of a triangle."
    assert sig.parameters["properties"]["base"]["description"] == "The base length."


def test_sphinx_docstring_is_detected() -> None:
    """A Sphinx-style docstring is detected without being told."""

    def area(base: float) -> float:
        """Area of a square.

        :param base: The side length.
        :returns: The area.
        """
        return base * base

    sig = inspect_function(area, tool_name="area")
    assert sig.description == "Area of a square."
    assert sig.parameters["properties"]["base"]["description"] == "The side length."


def test_explicit_field_description_wins_over_docstring() -> None:
    """Annotated Field(description=...) overrides the docstring's text, keeping constraints."""

    def book(nights: Annotated[int, Field(ge=1, le=30, description="Nights to stay.")]) -> None:
        """Book a room.

        Args:
            nights: docstring text.
        """

    prop = _schema(book)["properties"]["nights"]
    assert prop == {
        "description": "Nights to stay.",
        "maximum": 30,
        "minimum": 1,
        "type": "integer",
    }


def test_field_default_keeps_its_constraints_and_default() -> None:
    """A parameter whose default is Field(...) keeps its default and constraints."""

    def search(limit: int = Field(10, ge=1)) -> None:
        """Search."""

    prop = _schema(search)["properties"]["limit"]
    assert prop == {"default": 10, "minimum": 1, "type": "integer"}
    assert "required" not in _schema(search)


def test_types_map_to_json_schema() -> None:
    """Literals, enums, optionals, unions, lists and dicts become their JSON Schema forms."""

    class Color(enum.Enum):
        RED = "red"
        BLUE = "blue"

    def f(
        mode: Literal["fast", "slow"],
        color: Color,
        ids: list[int],
        labels: dict[str, str],
        maybe: float | None = None,
        either: int | str = 0,
        flag: bool = False,
    ) -> None:
        """F."""

    schema = _schema(f)
    props = schema["properties"]
    assert props["mode"] == {"enum": ["fast", "slow"], "type": "string"}
    assert props["color"] == {"$ref": "#/$defs/Color"}
    assert schema["$defs"]["Color"] == {"enum": ["red", "blue"], "type": "string"}
    assert props["ids"] == {"items": {"type": "integer"}, "type": "array"}
    assert props["labels"] == {"additionalProperties": {"type": "string"}, "type": "object"}
    assert props["maybe"] == {"anyOf": [{"type": "number"}, {"type": "null"}], "default": None}
    assert props["either"] == {"anyOf": [{"type": "integer"}, {"type": "string"}], "default": 0}
    assert props["flag"] == {"default": False, "type": "boolean"}
    assert schema["required"] == ["mode", "color", "ids", "labels"]
    assert schema["additionalProperties"] is False


def test_nested_models_dataclasses_and_typeddicts_become_defs() -> None:
    """Nested Pydantic models, dataclasses and TypedDicts land in $defs, described by docstring."""

    class Address(BaseModel):
        """A postal address."""

        street: str
        city: str

    @dataclass
    class Point:
        x: float
        y: float

    class Window(TypedDict):
        start: str
        end: str

    def deliver(to: Address, at: Point, window: Window | None = None) -> None:
        """Deliver."""

    defs = _schema(deliver)["$defs"]
    assert defs["Address"]["description"] == "A postal address."
    assert defs["Address"]["required"] == ["street", "city"]
    assert defs["Point"]["properties"] == {"x": {"type": "number"}, "y": {"type": "number"}}
    assert defs["Window"]["required"] == ["start", "end"]


def test_titles_are_stripped_but_a_property_named_title_is_kept() -> None:
    """Generated titles go; a parameter called 'title' stays a property."""

    def post(title: str, body: str) -> None:
        """Post."""

    schema = _schema(post)
    assert set(schema["properties"]) == {"title", "body"}
    assert "title" not in schema
    assert schema["properties"]["title"] == {"type": "string"}
    assert strip_titles({"title": "X", "properties": {"title": {"title": "T"}}}) == {
        "properties": {"title": {}}
    }


def test_run_context_parameter_is_left_out_and_recorded() -> None:
    """A RunContext parameter is injected, so it is not in the schema."""

    def whoami(ctx: RunContext[str], verbose: bool = False) -> str:
        """Who am I."""
        return ctx.deps

    sig = inspect_function(whoami, tool_name="whoami")
    assert sig.context_parameter == "ctx"
    assert list(sig.parameters["properties"]) == ["verbose"]


def test_two_context_parameters_are_rejected() -> None:
    """Two parameters asking for the context is a definition error."""

    def f(a: RunContext[int], b: RunContext[int]) -> None:
        """F."""

    with pytest.raises(ToolDefinitionError, match="'a' and 'b' both ask for the run context"):
        inspect_function(f, tool_name="f")


def test_var_positional_is_rejected_with_the_fix() -> None:
    """*args names the parameter and suggests a list."""

    def total(*numbers: float) -> float:
        """Sum."""
        return sum(numbers)

    with pytest.raises(ToolDefinitionError) as info:
        inspect_function(total, tool_name="total")
    assert info.value.parameter == "numbers"
    assert "'*numbers'" in str(info.value)
    assert "numbers: list[str]" in str(info.value)


def test_var_keyword_is_rejected_with_the_fix() -> None:
    """**kwargs names the parameter and suggests a dict."""

    def tag(**labels: str) -> None:
        """Tag."""

    with pytest.raises(ToolDefinitionError, match=r"'\*\*labels'.*labels: dict\[str, str\]"):
        inspect_function(tag, tool_name="tag")


def test_type_without_json_schema_names_function_parameter_and_fix() -> None:
    """A type with no JSON Schema names the tool, the parameter, the type and the fix."""

    def convert(when: datetime.tzinfo, count: int) -> None:
        """Convert."""

    with pytest.raises(ToolDefinitionError) as info:
        inspect_function(convert, tool_name="convert")
    assert info.value.tool == "convert"
    assert info.value.parameter == "when"
    assert str(info.value).startswith(
        "Tool 'convert': parameter 'when' has type datetime.tzinfo, which has no JSON Schema."
    )


def test_unresolvable_annotation_is_a_definition_error() -> None:
    """A string annotation naming an unknown type says how to fix it."""

    def f(x: "NoSuchType") -> None:  # type: ignore[name-defined] # noqa: F821
        """F."""

    with pytest.raises(ToolDefinitionError, match=r"cannot be resolved.*Import the type"):
        inspect_function(f, tool_name="f")


def test_parameters_that_shadow_model_attributes_keep_their_names() -> None:
    """Parameters named like BaseModel attributes or private names keep their names."""

    def f(json: str, schema: int = 1, _hidden: bool = True) -> None:
        """F."""

    sig = inspect_function(f, tool_name="f")
    assert list(sig.parameters["properties"]) == ["json", "schema", "_hidden"]
    instance = sig.model.model_validate({"json": "x", "schema": 2, "_hidden": False})
    assert instance.model_dump(by_alias=True) == {"json": "x", "schema": 2, "_hidden": False}


def test_default_that_is_not_json_is_a_definition_error() -> None:
    """A default with no JSON form is reported instead of silently dropped."""
    sentinel = object()

    def f(x: Any = sentinel) -> None:
        """F."""

    with pytest.raises(ToolDefinitionError, match="Use a default that is a JSON value"):
        inspect_function(f, tool_name="f")


def test_async_function_is_inspected_like_a_sync_one() -> None:
    """Async functions give the same schema as sync ones."""

    async def fetch(url: str, retries: int = 2) -> str:
        """Fetch a URL."""
        return url

    sig = inspect_function(fetch, tool_name="fetch")
    assert sig.description == "Fetch a URL."
    assert sig.parameters["required"] == ["url"]


def test_unannotated_parameter_accepts_any_json() -> None:
    """A parameter without an annotation has an open schema, not an error (but a warning)."""

    def echo(value, note: str = "") -> None:  # type: ignore[no-untyped-def]
        """Echo."""

    with pytest.warns(UntypedParameterWarning):
        schema = _schema(echo)
    assert schema["properties"]["value"] == {}


def test_unannotated_parameter_warns_naming_it_and_the_fix() -> None:
    """Registering a function with an untyped parameter warns which one, and how to type it."""

    def scale(factor=2, *, label: str) -> None:  # type: ignore[no-untyped-def]
        """Scale."""

    with pytest.warns(UntypedParameterWarning, match=r"Tool 'scale': parameter 'factor'") as got:
        inspect_function(scale, tool_name="scale")

    assert "factor: int = 2" in str(got[0].message)


def test_typed_function_registers_without_a_warning() -> None:
    """Annotated parameters (Any included, which is a choice) give no warning."""

    def f(a: int, b: Any = None) -> None:
        """F."""

    with warnings.catch_warnings():
        warnings.simplefilter("error")
        inspect_function(f, tool_name="f")


def test_strict_types_refuses_an_unannotated_parameter() -> None:
    """With strict_types=True an untyped parameter is a definition error, not a warning."""

    def echo(value) -> None:  # type: ignore[no-untyped-def]
        """Echo."""

    with pytest.raises(ToolDefinitionError, match=r"parameter 'value' has no type annotation"):
        inspect_function(echo, tool_name="echo", strict_types=True)


def test_strict_types_reaches_the_tool_decorator_and_the_toolbox() -> None:
    """Tool.from_function, @tool and Toolbox.register all take strict_types."""

    def echo(value) -> None:  # type: ignore[no-untyped-def]
        """Echo."""

    with pytest.raises(ToolDefinitionError):
        Tool.from_function(echo, strict_types=True)
    with pytest.raises(ToolDefinitionError):
        tool(strict_types=True)(echo)
    with pytest.raises(ToolDefinitionError):
        Toolbox().register(echo, strict_types=True)
