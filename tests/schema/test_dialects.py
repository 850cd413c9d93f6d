import copy
import json
from typing import Any, Literal, Optional

import anthropic.types
import google.genai.types
import mcp.types
import openai.types.chat
import openai.types.responses
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from inline_snapshot import snapshot
from pydantic import BaseModel, Field, TypeAdapter

from switchboard.errors import ConfigurationError, SchemaDialectError
from switchboard.schema.dialects import FORMATS, STRICT_FORMATS, Format, render_tool
from switchboard.schema.strict import make_strict

WEATHER: dict[str, Any] = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "description": "City name, e.g. Tokyo."},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "default": "celsius"},
    },
    "required": ["city"],
}
DESCRIPTION = "Get the current weather for a city."

# A neutral schema with what pydantic emits for nested, optional and shared models.
ORDER: dict[str, Any] = {
    "type": "object",
    "properties": {
        "items": {"type": "array", "items": {"$ref": "#/$defs/Line"}, "minItems": 1},
        "ship_to": {"$ref": "#/$defs/Address", "description": "Delivery address."},
        "bill_to": {"anyOf": [{"$ref": "#/$defs/Address"}, {"type": "null"}], "default": None},
        "note": {
            "anyOf": [{"type": "string", "maxLength": 200}, {"type": "null"}],
            "default": None,
        },
        "priority": {"type": "integer", "minimum": 1, "maximum": 5, "default": 3},
    },
    "required": ["items", "ship_to"],
    "$defs": {
        "Line": {
            "type": "object",
            "properties": {
                "sku": {"type": "string"},
                "qty": {"type": "integer", "exclusiveMinimum": 0},
            },
            "required": ["sku", "qty"],
        },
        "Address": {
            "type": "object",
            "description": "A postal address.",
            "properties": {"street": {"type": "string"}, "city": {"type": "string"}},
            "required": ["street", "city"],
        },
    },
}


class Folder(BaseModel):
    name: str
    children: list["Folder"] = []
    parent: Optional["Folder"] = Field(None, description="The enclosing folder.")


class Drive(BaseModel):
    root: Folder


RECURSIVE: dict[str, Any] = Drive.model_json_schema()


def render(fmt: Format, parameters: dict[str, Any], *, strict: bool = False) -> dict[str, Any]:
    return render_tool(
        fmt, name="get_weather", description=DESCRIPTION, parameters=parameters, strict=strict
    )


def gemini_round_trip(out: dict[str, Any]) -> dict[str, Any]:
    """``out`` as the Gemini SDK reads and writes it back."""
    declaration = google.genai.types.FunctionDeclaration.model_validate(out)
    return declaration.model_dump(by_alias=True, exclude_none=True, mode="json")


def test_formats_are_listed_in_documented_order() -> None:
    """FORMATS lists every format once, in the documented order."""
    assert FORMATS == ("openai", "openai-responses", "anthropic", "gemini", "mcp")


def test_strict_formats_are_those_with_a_per_tool_strict_flag() -> None:
    """OpenAI's two APIs and Anthropic have a per-tool strict flag; Gemini and MCP do not."""
    assert frozenset({"openai", "openai-responses", "anthropic"}) == STRICT_FORMATS


@pytest.mark.parametrize("strict", [False, True])
def test_openai_chat_tool_validates_as_the_sdk_type(strict: bool) -> None:
    """The Chat Completions tool is exactly a ChatCompletionToolParam."""
    out = render("openai", make_strict(WEATHER) if strict else WEATHER, strict=strict)

    adapter = TypeAdapter(openai.types.chat.ChatCompletionToolParam)
    assert adapter.validate_python(out) == out


def test_openai_chat_tool_leaves_strict_out_when_not_strict() -> None:
    """A non-strict Chat Completions tool has no strict key at all."""
    assert render("openai", WEATHER) == snapshot(
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Get the current weather for a city.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "city": {"type": "string", "description": "City name, e.g. Tokyo."},
                        "unit": {
                            "type": "string",
                            "enum": ["celsius", "fahrenheit"],
                            "default": "celsius",
                        },
                    },
                    "required": ["city"],
                },
            },
        }
    )


def test_openai_chat_strict_tool_carries_the_strict_schema_and_flag() -> None:
    """A strict Chat Completions tool sends strict: true beside the strict schema."""
    assert render("openai", make_strict(WEATHER), strict=True) == snapshot(
        {
            "type": "function",
            "function": {
                "name": "get_weather",
                "description": "Get the current weather for a city.",
                "parameters": {
                    "type": "object",
                    "properties": {
                        "city": {"type": "string", "description": "City name, e.g. Tokyo."},
                        "unit": {
                            "description": 'Default: "celsius".',
                            "anyOf": [
                                {"type": "string", "enum": ["celsius", "fahrenheit"]},
                                {"type": "null"},
                            ],
                        },
                    },
                    "required": ["city", "unit"],
                    "additionalProperties": False,
                },
                "strict": True,
            },
        }
    )


@pytest.mark.parametrize("strict", [False, True])
def test_openai_responses_tool_validates_as_the_sdk_type(strict: bool) -> None:
    """The Responses tool is exactly a FunctionToolParam."""
    out = render("openai-responses", make_strict(WEATHER) if strict else WEATHER, strict=strict)

    assert TypeAdapter(openai.types.responses.FunctionToolParam).validate_python(out) == out


def test_openai_responses_tool_always_states_strict() -> None:
    """The Responses tool is flat and says strict: false, since the API defaults it on."""
    assert render("openai-responses", WEATHER) == snapshot(
        {
            "type": "function",
            "name": "get_weather",
            "description": "Get the current weather for a city.",
            "parameters": {
                "type": "object",
                "properties": {
                    "city": {"type": "string", "description": "City name, e.g. Tokyo."},
                    "unit": {
                        "type": "string",
                        "enum": ["celsius", "fahrenheit"],
                        "default": "celsius",
                    },
                },
                "required": ["city"],
            },
            "strict": False,
        }
    )


@pytest.mark.parametrize("strict", [False, True])
def test_anthropic_tool_validates_as_the_sdk_type(strict: bool) -> None:
    """The Anthropic tool is exactly a ToolParam."""
    out = render("anthropic", make_strict(ORDER) if strict else ORDER, strict=strict)

    assert TypeAdapter(anthropic.types.ToolParam).validate_python(out) == out
    assert ("strict" in out) is strict


def test_anthropic_tool_uses_input_schema() -> None:
    """A non-strict Anthropic tool carries the neutral schema as input_schema."""
    assert render("anthropic", WEATHER) == {
        "name": "get_weather",
        "description": DESCRIPTION,
        "input_schema": WEATHER,
    }


def test_anthropic_strict_moves_bounds_it_lacks_into_descriptions() -> None:
    """Numeric bounds and minItems over 1 become sentences; strict: true is set."""
    schema = {
        "type": "object",
        "properties": {
            "qty": {"type": "integer", "minimum": 1, "maximum": 9},
            "tags": {"type": "array", "items": {"type": "string"}, "minItems": 2, "maxItems": 4},
            "ids": {"type": "array", "items": {"type": "string"}, "minItems": 1},
        },
        "required": ["qty", "tags", "ids"],
    }

    out = render("anthropic", make_strict(schema), strict=True)

    assert out == snapshot(
        {
            "name": "get_weather",
            "description": "Get the current weather for a city.",
            "input_schema": {
                "type": "object",
                "properties": {
                    "qty": {"type": "integer", "description": "At least 1. At most 9."},
                    "tags": {
                        "type": "array",
                        "description": "At least 2 items. At most 4 items.",
                        "items": {"type": "string"},
                    },
                    "ids": {"type": "array", "items": {"type": "string"}, "minItems": 1},
                },
                "required": ["qty", "tags", "ids"],
                "additionalProperties": False,
            },
            "strict": True,
        }
    )


def test_anthropic_strict_refuses_a_recursive_schema() -> None:
    """Anthropic strict mode has no recursion: the error names the tool, dialect and path."""
    with pytest.raises(SchemaDialectError, match="recursive") as caught:
        render("anthropic", make_strict(RECURSIVE), strict=True)

    assert (caught.value.tool, caught.value.dialect) == ("get_weather", "anthropic")
    assert caught.value.path == "/$defs/Folder/properties/children/anyOf/0/items"


def test_anthropic_accepts_a_recursive_schema_when_not_strict() -> None:
    """Without strict mode the recursive schema is sent as it is."""
    assert render("anthropic", RECURSIVE)["input_schema"] == RECURSIVE


@pytest.mark.parametrize("schema", [WEATHER, ORDER], ids=["weather", "order"])
def test_gemini_declaration_round_trips_through_the_sdk(schema: dict[str, Any]) -> None:
    """FunctionDeclaration reads the declaration and writes back exactly the same."""
    out = render("gemini", schema)

    assert gemini_round_trip(out) == out


def test_gemini_declaration_of_an_order() -> None:
    """Refs inlined, null unions made nullable, rejected keywords dropped or described."""
    assert render("gemini", ORDER) == snapshot(
        {
            "name": "get_weather",
            "description": "Get the current weather for a city.",
            "parameters": {
                "type": "OBJECT",
                "properties": {
                    "items": {
                        "type": "ARRAY",
                        "items": {
                            "type": "OBJECT",
                            "properties": {
                                "sku": {"type": "STRING"},
                                "qty": {"type": "INTEGER", "description": "Greater than 0."},
                            },
                            "required": ["sku", "qty"],
                        },
                        "minItems": 1,
                    },
                    "ship_to": {
                        "type": "OBJECT",
                        "description": "Delivery address.",
                        "properties": {"street": {"type": "STRING"}, "city": {"type": "STRING"}},
                        "required": ["street", "city"],
                    },
                    "bill_to": {
                        "type": "OBJECT",
                        "nullable": True,
                        "description": "A postal address.",
                        "properties": {"street": {"type": "STRING"}, "city": {"type": "STRING"}},
                        "required": ["street", "city"],
                    },
                    "note": {"type": "STRING", "nullable": True, "maxLength": 200},
                    "priority": {
                        "type": "INTEGER",
                        "description": "Default: 3.",
                        "minimum": 1,
                        "maximum": 5,
                    },
                },
                "required": ["items", "ship_to"],
            },
        }
    )


def test_gemini_type_list_with_null_becomes_nullable() -> None:
    """type: [X, "null"] is X with nullable: true."""
    schema = {"type": "object", "properties": {"n": {"type": ["integer", "null"]}}}

    assert render("gemini", schema)["parameters"]["properties"]["n"] == {
        "type": "INTEGER",
        "nullable": True,
    }


def test_gemini_keeps_unions_of_several_branches() -> None:
    """A union of several non-null branches stays anyOf, with nullable for the null one."""
    schema = {
        "type": "object",
        "properties": {
            "id": {"anyOf": [{"type": "string"}, {"type": "integer"}, {"type": "null"}]}
        },
    }

    out = render("gemini", schema)

    assert out["parameters"]["properties"]["id"] == {
        "nullable": True,
        "anyOf": [{"type": "STRING"}, {"type": "INTEGER"}],
    }
    assert gemini_round_trip(out) == out


def test_gemini_drops_keywords_it_rejects_keeping_their_meaning() -> None:
    """title, $schema, additionalProperties go; const becomes enum; others become text."""
    schema = {
        "$schema": "https://json-schema.org/draft/2020-12/schema",
        "type": "object",
        "title": "Args",
        "additionalProperties": False,
        "properties": {
            "kind": {"const": "circle", "title": "Kind"},
            "site": {"type": "string", "format": "uri"},
            "when": {"type": "string", "format": "date-time"},
            "ratio": {"type": "number", "exclusiveMaximum": 1, "multipleOf": 0.5},
            "labels": {"type": "object", "additionalProperties": {"type": "string"}},
        },
    }

    out = render("gemini", schema)

    assert out["parameters"] == snapshot(
        {
            "type": "OBJECT",
            "properties": {
                "kind": {"type": "STRING", "enum": ["circle"]},
                "site": {"type": "STRING", "description": "Format: uri."},
                "when": {"type": "STRING", "format": "date-time"},
                "ratio": {"type": "NUMBER", "description": "Less than 1. A multiple of 0.5."},
                "labels": {
                    "type": "OBJECT",
                    "description": "An object with any keys and string values.",
                },
            },
        }
    )
    assert gemini_round_trip(out) == out


def test_gemini_states_a_non_string_enum_in_the_description() -> None:
    """Gemini takes string enums only, so an integer enum becomes a sentence."""
    schema = {"type": "object", "properties": {"size": {"type": "integer", "enum": [1, 2, 4]}}}

    assert render("gemini", schema)["parameters"]["properties"]["size"] == {
        "type": "INTEGER",
        "description": "One of: 1, 2, 4.",
    }


def test_gemini_widens_a_tuple_to_a_pinned_length_list() -> None:
    """A tuple's positions become items of their union, with the length pinned."""
    schema = {
        "type": "object",
        "properties": {
            "point": {"type": "array", "prefixItems": [{"type": "number"}, {"type": "number"}]}
        },
    }

    assert render("gemini", schema)["parameters"]["properties"]["point"] == {
        "type": "ARRAY",
        "items": {"type": "NUMBER"},
        "minItems": 2,
        "maxItems": 2,
    }


def test_gemini_refuses_a_recursive_model_with_its_path() -> None:
    """A recursive model raises SchemaDialectError saying what to do, at the $ref's path."""
    with pytest.raises(SchemaDialectError, match=r"recursive.*fixed depth") as caught:
        render("gemini", RECURSIVE)

    assert (caught.value.tool, caught.value.dialect) == ("get_weather", "gemini")
    assert caught.value.path == "/$defs/Folder/properties/children/items"


def test_gemini_tool_without_parameters_leaves_them_out() -> None:
    """Gemini rejects an empty OBJECT, so a tool without parameters has none."""
    out = render("gemini", {"type": "object", "properties": {}})

    assert out == {"name": "get_weather", "description": DESCRIPTION}
    assert gemini_round_trip(out) == out


def test_gemini_accepts_a_pydantic_model_schema() -> None:
    """A pydantic model's own schema (titles and all) renders and round-trips."""

    class Booking(BaseModel):
        guest: str = Field(description="Full name.")
        nights: int = Field(1, ge=1)
        room: Literal["single", "double"] = "single"
        extras: list[str] | None = None

    out = render("gemini", Booking.model_json_schema())

    assert gemini_round_trip(out) == out
    assert out["parameters"]["properties"]["room"] == {
        "type": "STRING",
        "description": 'Default: "single".',
        "enum": ["single", "double"],
    }


def test_mcp_tool_is_the_neutral_schema_as_the_sdk_reads_it() -> None:
    """The MCP tool validates as mcp.types.Tool and carries the schema unchanged."""
    out = render("mcp", ORDER)

    assert out == {"name": "get_weather", "description": DESCRIPTION, "inputSchema": ORDER}
    tool = mcp.types.Tool.model_validate(out)
    assert tool.model_dump(by_alias=True, exclude_none=True) == out


def test_empty_description_is_left_out() -> None:
    """A tool without a description has no description key in any format."""
    outs = [
        render_tool(fmt, name="ping", description="", parameters=WEATHER, strict=False)
        for fmt in FORMATS
    ]

    assert [sorted(out.get("function", out)) for out in outs] == [
        ["name", "parameters"],
        ["name", "parameters", "strict", "type"],
        ["input_schema", "name"],
        ["name", "parameters"],
        ["inputSchema", "name"],
    ]


def test_unknown_format_lists_the_valid_ones() -> None:
    """An unknown format raises ConfigurationError naming every valid one."""
    with pytest.raises(
        ConfigurationError, match="'openai', 'openai-responses', 'anthropic', 'gemini', 'mcp'"
    ):
        render("bedrock", WEATHER)  # pyright: ignore[reportArgumentType]


@pytest.mark.parametrize("fmt", ["gemini", "mcp"])
def test_strict_for_a_format_without_strict_mode_raises(fmt: Format) -> None:
    """strict=True where the format has no strict flag is a configuration error."""
    with pytest.raises(ConfigurationError, match="has no strict mode"):
        render(fmt, make_strict(WEATHER), strict=True)


@pytest.mark.parametrize("fmt", FORMATS)
def test_output_is_plain_json_and_shares_nothing_with_the_input(fmt: Format) -> None:
    """Each format's output survives a JSON round trip, and editing it leaves the input alone."""
    before = copy.deepcopy(ORDER)

    out = render(fmt, ORDER)
    assert json.loads(json.dumps(out)) == out
    _clear_everything(out)

    assert before == ORDER


def _clear_everything(node: Any) -> None:
    children = list(node.values()) if isinstance(node, dict) else node
    for child in children if isinstance(children, list) else ():
        _clear_everything(child)
    if isinstance(node, dict | list):
        node.clear()


NAMES = ["city", "count", "tags", "when", "note", "limit"]
LEAF_SCHEMAS: list[dict[str, Any]] = [
    {"type": "string", "description": "Free text."},
    {"type": "integer", "minimum": 0, "default": 1},
    {"type": "string", "enum": ["a", "b"]},
    {"type": "boolean", "default": False},
    {"type": "number", "exclusiveMaximum": 1},
    {"type": "string", "format": "uri"},
    {"type": "string", "format": "date-time"},
    {"const": "fixed"},
    {"type": "integer", "enum": [1, 2]},
    {"type": ["string", "null"]},
]


def parameter_schemas() -> st.SearchStrategy[dict[str, Any]]:
    """Neutral object schemas nesting objects, arrays and nullable unions."""
    values = st.recursive(
        st.sampled_from(LEAF_SCHEMAS),
        lambda inner: st.one_of(
            inner.map(lambda s: {"type": "array", "items": s}),
            inner.map(lambda s: {"anyOf": [s, {"type": "null"}], "default": None}),
            st.dictionaries(st.sampled_from(NAMES), inner, min_size=1, max_size=3).map(
                lambda p: {"type": "object", "properties": p, "required": list(p)[:1]}
            ),
        ),
        max_leaves=8,
    )
    properties = st.dictionaries(st.sampled_from(NAMES), values, min_size=1, max_size=4)
    return properties.map(lambda p: {"type": "object", "properties": p, "required": list(p)[:1]})


@settings(max_examples=60, deadline=None)
@given(parameter_schemas())
def test_every_format_renders_any_schema_as_its_sdk_reads_it(schema: dict[str, Any]) -> None:
    """For any neutral schema, each format's output validates as the SDK's type, losslessly."""
    strict = make_strict(schema)

    for strict_flag, parameters in ((False, schema), (True, strict)):
        chat = render("openai", parameters, strict=strict_flag)
        responses = render("openai-responses", parameters, strict=strict_flag)
        claude = render("anthropic", parameters, strict=strict_flag)
        assert TypeAdapter(openai.types.chat.ChatCompletionToolParam).validate_python(chat) == chat
        assert (
            TypeAdapter(openai.types.responses.FunctionToolParam).validate_python(responses)
            == responses
        )
        assert TypeAdapter(anthropic.types.ToolParam).validate_python(claude) == claude
    gemini = render("gemini", schema)
    assert gemini_round_trip(gemini) == gemini
    assert mcp.types.Tool.model_validate(render("mcp", schema)).input_schema == schema


# Gemini: hand-written schemas are converted with their meaning, or refused with the path.


def test_gemini_refuses_a_parameter_without_a_type_naming_its_path() -> None:
    """BFCL's "any" has no Gemini type (an OBJECT needs properties): refused, not sent untyped."""
    schema = {"type": "object", "properties": {"data": {"description": "Any value."}}}

    with pytest.raises(SchemaDialectError, match=r"/properties/data.*any value") as caught:
        render("gemini", schema)

    assert (caught.value.dialect, caught.value.path) == ("gemini", "/properties/data")


def test_gemini_keeps_properties_beside_anyof_in_each_branch() -> None:
    """A node with no type, properties and anyOf keeps its properties in each branch."""
    schema = {
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
    }

    contact = render("gemini", schema)["parameters"]["properties"]["contact"]

    assert contact == {
        "anyOf": [
            {
                "type": "OBJECT",
                "properties": {"name": {"type": "STRING"}, "email": {"type": "STRING"}},
                "required": ["name", "email"],
            },
            {
                "type": "OBJECT",
                "properties": {"name": {"type": "STRING"}, "phone": {"type": "STRING"}},
                "required": ["name", "phone"],
            },
        ]
    }


def test_gemini_tuple_with_items_keeps_the_tail() -> None:
    """A tuple (prefixItems) with items: positions and tail in the items, no upper bound."""
    schema = {
        "type": "object",
        "properties": {
            "row": {
                "type": "array",
                "prefixItems": [{"type": "string"}],
                "items": {"type": "integer"},
            }
        },
    }

    row = render("gemini", schema)["parameters"]["properties"]["row"]

    assert row == {
        "type": "ARRAY",
        "items": {"anyOf": [{"type": "STRING"}, {"type": "INTEGER"}]},
        "minItems": 1,
    }


def test_gemini_names_an_external_ref_as_outside_the_schema() -> None:
    """A $ref to another document is refused as outside, not as pointing to nothing."""
    schema = {"type": "object", "properties": {"a": {"$ref": "https://example.com/a.json"}}}

    with pytest.raises(SchemaDialectError, match="points outside this schema"):
        render("gemini", schema)


def test_gemini_drops_an_optional_property_whose_schema_is_false() -> None:
    """A `false` property may never be sent: Gemini is not offered it."""
    schema = {"type": "object", "properties": {"a": {"type": "string"}, "b": False}}

    assert render("gemini", schema)["parameters"]["properties"] == {"a": {"type": "STRING"}}


def test_gemini_refuses_a_required_name_without_a_property() -> None:
    """Gemini is offered declared properties only: a required name it cannot see is refused."""
    schema = {"type": "object", "properties": {"a": {"type": "string"}}, "required": ["a", "b"]}

    with pytest.raises(SchemaDialectError, match=r"requires 'b'.*Declare it") as caught:
        render("gemini", schema)

    assert caught.value.path == ""
