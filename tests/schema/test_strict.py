import copy
import datetime
import enum
import itertools
from typing import Annotated, Any, Literal, Optional

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from inline_snapshot import snapshot
from jsonschema import Draft202012Validator
from pydantic import BaseModel, Field, create_model

from switchboard.errors import StrictIssue
from switchboard.schema.strict import drop_strict_nulls, make_strict, strict_issues
from switchboard.schema.strict_limits import (
    MAX_ENUM_VALUES,
    MAX_NESTING_DEPTH,
    MAX_OBJECT_PROPERTIES,
)

# What OpenAI strict mode accepts, written out independently of the module under test
# (https://platform.openai.com/docs/guides/structured-outputs#supported-schemas).
STRICT_KEYWORDS = frozenset(
    {"type", "title", "description", "enum", "const", "anyOf", "$ref", "properties"}
    | {"required", "additionalProperties", "items", "minItems", "maxItems", "pattern"}
    | {"format", "minimum", "exclusiveMinimum", "maximum", "exclusiveMaximum", "multipleOf"}
    | {"$defs", "definitions"}
)
STRICT_STRING_FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)


def assert_strict_valid(schema: dict[str, Any]) -> None:
    """Fail unless ``schema`` keeps every OpenAI strict-mode rule."""
    Draft202012Validator.check_schema(schema)
    assert schema.get("type") == "object", "the root must be an object"
    assert "anyOf" not in schema, "the root may not be anyOf"
    for key in ("$defs", "definitions"):
        for name, sub in schema.get(key, {}).items():
            _assert_strict_node(sub, f"/{key}/{name}", schema)
    _assert_strict_node(schema, "", schema)


def _assert_strict_node(node: Any, path: str, root: dict[str, Any]) -> None:
    assert isinstance(node, dict), f"{path}: not a schema object"
    assert set(node) <= STRICT_KEYWORDS, f"{path}: unsupported {set(node) - STRICT_KEYWORDS}"
    if path:
        assert not {"$defs", "definitions"} & set(node), f"{path}: definitions off the root"
    if "$ref" in node:
        assert set(node) == {"$ref"}, f"{path}: $ref with siblings"
        target = node["$ref"].removeprefix("#").split("/")[1:]
        assert _walk(root, target) is not None, f"{path}: dangling $ref"
        return
    assert ("type" in node) != ("anyOf" in node), f"{path}: needs exactly one of type, anyOf"
    types = node["type"] if isinstance(node.get("type"), list) else [node.get("type")]
    assert len([t for t in types if t != "null"]) <= 1, f"{path}: several types"
    if "format" in node:
        assert node["format"] in STRICT_STRING_FORMATS, f"{path}: format {node['format']}"
    for i, branch in enumerate(node.get("anyOf", [])):
        _assert_strict_node(branch, f"{path}/anyOf/{i}", root)
    if "object" in types:
        assert node["additionalProperties"] is False, f"{path}: object not closed"
        assert node["required"] == list(node["properties"]), f"{path}: not all required"
        for name, sub in node["properties"].items():
            _assert_strict_node(sub, f"{path}/properties/{name}", root)
    if "array" in types:
        _assert_strict_node(node["items"], f"{path}/items", root)


def _walk(node: Any, tokens: list[str]) -> Any:
    for token in tokens:
        if not isinstance(node, dict) or token not in node:
            return None
        node = node[token]
    return node


def neutral(model: type[BaseModel]) -> dict[str, Any]:
    """``model``'s JSON Schema without pydantic's titles: a neutral tool schema."""
    schema = _untitled(model.model_json_schema())
    schema.pop("description", None)
    return schema


def _untitled(node: Any) -> Any:
    if isinstance(node, list):
        return [_untitled(item) for item in node]
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key == "title" and isinstance(value, str):
            continue
        if key in ("properties", "$defs"):
            out[key] = {name: _untitled(sub) for name, sub in value.items()}
        else:
            out[key] = _untitled(value)
    return out


class Unit(enum.StrEnum):
    CELSIUS = "celsius"
    FAHRENHEIT = "fahrenheit"


class Address(BaseModel):
    """A postal address."""

    street: str
    postcode: str | None = None
    country: str = "NL"


class Forecast(BaseModel):
    city: str = Field(description="City name, e.g. Tokyo.", max_length=40)
    unit: Unit = Unit.CELSIUS
    days: int = Field(3, ge=1, le=14)
    home: Address = Field(description="Where to send the report.")
    office: Address | None = None
    stops: list[Address] = []


class TreeNode(BaseModel):
    label: str
    children: list["TreeNode"] = []
    parent: Optional["TreeNode"] = None


WEATHER: dict[str, Any] = {
    "type": "object",
    "properties": {
        "city": {"type": "string", "description": "City name."},
        "unit": {"type": "string", "enum": ["celsius", "fahrenheit"], "default": "celsius"},
        "days": {"type": "integer", "default": 3},
    },
    "required": ["city"],
}


def test_optional_property_becomes_required_and_nullable() -> None:
    """An optional property is listed in required and also accepts null."""
    strict = make_strict(WEATHER)

    assert strict["required"] == ["city", "unit", "days"]
    assert strict["properties"]["days"] == {
        "type": ["integer", "null"],
        "description": "Default: 3.",
    }
    assert strict["properties"]["city"] == {"type": "string", "description": "City name."}


def test_optional_enum_becomes_an_anyof_with_null() -> None:
    """An optional enum is wrapped in anyOf with null, as null is not one of its values."""
    strict = make_strict(WEATHER)

    assert strict["properties"]["unit"] == snapshot(
        {
            "description": 'Default: "celsius".',
            "anyOf": [{"type": "string", "enum": ["celsius", "fahrenheit"]}, {"type": "null"}],
        }
    )


def test_optional_property_that_accepts_null_is_not_widened_again() -> None:
    """A property already accepting null keeps its one null branch."""
    strict = make_strict(neutral(Address))

    assert strict["properties"]["postcode"] == {"anyOf": [{"type": "string"}, {"type": "null"}]}


def test_whole_strict_form_of_a_pydantic_model() -> None:
    """A realistic model's strict form, key order included."""
    assert make_strict(neutral(Forecast)) == snapshot(
        {
            "type": "object",
            "properties": {
                "city": {
                    "type": "string",
                    "description": "City name, e.g. Tokyo. At most 40 characters.",
                },
                "unit": {
                    "description": 'Default: "celsius".',
                    "anyOf": [
                        {"type": "string", "enum": ["celsius", "fahrenheit"]},
                        {"type": "null"},
                    ],
                },
                "days": {
                    "type": ["integer", "null"],
                    "description": "Default: 3.",
                    "minimum": 1,
                    "maximum": 14,
                },
                "home": {
                    "type": "object",
                    "description": "Where to send the report.",
                    "properties": {
                        "street": {"type": "string"},
                        "postcode": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                        "country": {"type": ["string", "null"], "description": 'Default: "NL".'},
                    },
                    "required": ["street", "postcode", "country"],
                    "additionalProperties": False,
                },
                "office": {"anyOf": [{"$ref": "#/$defs/Address"}, {"type": "null"}]},
                "stops": {
                    "description": "Default: [].",
                    "anyOf": [
                        {"type": "array", "items": {"$ref": "#/$defs/Address"}},
                        {"type": "null"},
                    ],
                },
            },
            "required": ["city", "unit", "days", "home", "office", "stops"],
            "additionalProperties": False,
            "$defs": {
                "Address": {
                    "type": "object",
                    "description": "A postal address.",
                    "properties": {
                        "street": {"type": "string"},
                        "postcode": {"anyOf": [{"type": "string"}, {"type": "null"}]},
                        "country": {"type": ["string", "null"], "description": 'Default: "NL".'},
                    },
                    "required": ["street", "postcode", "country"],
                    "additionalProperties": False,
                },
                "Unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            },
        }
    )


def test_every_object_is_closed_in_defs_anyof_branches_and_items() -> None:
    """Objects in $defs, anyOf branches and items get additionalProperties false too."""
    schema = {
        "type": "object",
        "properties": {
            "point": {"anyOf": [{"type": "object", "properties": {"x": {"type": "number"}}}]},
            "points": {
                "type": "array",
                "items": {"type": "object", "properties": {"y": {"type": "number"}}},
            },
            "ref": {"$ref": "#/$defs/Box"},
        },
        "required": ["point", "points", "ref"],
        "$defs": {
            "Box": {"type": "object", "properties": {"w": {"type": "number"}}, "required": ["w"]}
        },
    }

    strict = make_strict(schema)

    assert strict["properties"]["point"]["anyOf"][0]["additionalProperties"] is False
    assert strict["properties"]["points"]["items"]["additionalProperties"] is False
    assert strict["$defs"]["Box"]["additionalProperties"] is False
    assert_strict_valid(strict)


def test_unsupported_keywords_are_dropped_and_kept_in_the_description() -> None:
    """default, string lengths, uniqueItems and unknown formats become sentences."""
    schema = {
        "type": "object",
        "properties": {
            "code": {
                "type": "string",
                "description": "Airport code",
                "minLength": 3,
                "maxLength": 3,
            },
            "tags": {"type": "array", "items": {"type": "string"}, "uniqueItems": True},
            "site": {"type": "string", "format": "uri", "examples": ["https://example.com"]},
        },
        "required": ["code", "tags", "site"],
    }

    strict = make_strict(schema)

    assert strict["properties"] == snapshot(
        {
            "code": {
                "type": "string",
                "description": "Airport code. At least 3 characters. At most 3 characters.",
            },
            "tags": {
                "type": "array",
                "description": "Items must be unique.",
                "items": {"type": "string"},
            },
            "site": {
                "type": "string",
                "description": 'Format: uri. Examples: "https://example.com".',
            },
        }
    )


def test_supported_constraints_are_kept() -> None:
    """Patterns, strict-mode formats, numeric bounds and item counts stay as keywords."""
    schema = {
        "type": "object",
        "properties": {
            "when": {"type": "string", "format": "date-time"},
            "zip": {"type": "string", "pattern": "^[0-9]{4}$"},
            "ratio": {"type": "number", "exclusiveMinimum": 0, "maximum": 1, "multipleOf": 0.1},
            "ids": {"type": "array", "items": {"type": "integer"}, "minItems": 1, "maxItems": 5},
        },
        "required": ["when", "zip", "ratio", "ids"],
    }

    assert make_strict(schema)["properties"] == schema["properties"]


def test_ref_with_a_description_beside_it_is_inlined() -> None:
    """A $ref with a sibling description becomes its target plus that description."""
    strict = make_strict(neutral(Forecast))

    assert "$ref" not in strict["properties"]["home"]
    assert strict["properties"]["home"]["description"] == "Where to send the report."
    assert strict["properties"]["home"]["properties"]["street"] == {"type": "string"}


def test_single_ref_allof_is_inlined() -> None:
    """A one-$ref allOf (older pydantic) is replaced by what it refers to."""
    schema = {
        "type": "object",
        "properties": {"pet": {"allOf": [{"$ref": "#/$defs/Pet"}], "description": "Your pet."}},
        "required": ["pet"],
        "$defs": {
            "Pet": {
                "type": "object",
                "properties": {"name": {"type": "string"}},
                "required": ["name"],
            }
        },
    }

    assert make_strict(schema)["properties"]["pet"] == snapshot(
        {
            "type": "object",
            "description": "Your pet.",
            "properties": {"name": {"type": "string"}},
            "required": ["name"],
            "additionalProperties": False,
        }
    )


def test_oneof_becomes_anyof() -> None:
    """A discriminated union's oneOf becomes anyOf, its branches made strict."""

    class Cat(BaseModel):
        kind: Literal["cat"]
        lives: int

    class Dog(BaseModel):
        kind: Literal["dog"]
        good: bool = True

    model = create_model("Adopt", pet=(Annotated[Cat | Dog, Field(discriminator="kind")], ...))
    strict = make_strict(neutral(model))

    assert strict["properties"]["pet"] == {
        "anyOf": [{"$ref": "#/$defs/Cat"}, {"$ref": "#/$defs/Dog"}]
    }
    assert strict["$defs"]["Dog"]["properties"]["good"]["type"] == ["boolean", "null"]
    assert_strict_valid(strict)


def test_recursive_model_keeps_its_refs() -> None:
    """Recursion through $ref stays recursion, and the result is strict-valid."""
    strict = make_strict(neutral(TreeNode))

    node = strict["$defs"]["TreeNode"]
    assert node["properties"]["children"]["anyOf"][0]["items"] == {"$ref": "#/$defs/TreeNode"}
    assert node["properties"]["parent"]["anyOf"][0] == {"$ref": "#/$defs/TreeNode"}
    assert_strict_valid(strict)


def test_root_ref_of_a_recursive_model_becomes_the_root_object() -> None:
    """Pydantic's root $ref (a recursive model's schema) is replaced by its target."""
    strict = make_strict(neutral(TreeNode))

    assert strict["type"] == "object"
    assert strict["required"] == ["label", "children", "parent"]
    assert "$ref" not in strict


def test_recursive_self_reference_with_description_stays_a_plain_ref() -> None:
    """Inlining stops at the recursion: the inner self-reference keeps only its $ref."""
    schema = {
        "type": "object",
        "properties": {"node": {"$ref": "#/$defs/Node", "description": "Root."}},
        "required": ["node"],
        "$defs": {
            "Node": {
                "type": "object",
                "properties": {"next": {"$ref": "#/$defs/Node", "description": "Next node."}},
            }
        },
    }

    strict = make_strict(schema)

    inner = strict["properties"]["node"]["properties"]["next"]
    assert inner == {"anyOf": [{"$ref": "#/$defs/Node"}, {"type": "null"}]}
    assert_strict_valid(strict)


def test_type_list_of_several_types_becomes_anyof() -> None:
    """type: [string, integer] splits into one anyOf branch per type, with its keywords."""
    schema = {
        "type": "object",
        "properties": {"id": {"type": ["string", "integer"], "minLength": 1, "minimum": 0}},
        "required": ["id"],
    }

    assert make_strict(schema)["properties"]["id"] == snapshot(
        {
            "anyOf": [
                {"type": "string", "description": "At least 1 character."},
                {"type": "integer", "minimum": 0},
            ]
        }
    )


def test_untyped_enum_gets_the_type_of_its_values() -> None:
    """An enum without type gets one, since strict mode needs a type on every node."""
    schema = {"type": "object", "properties": {"size": {"enum": ["S", "M"]}}, "required": ["size"]}

    assert make_strict(schema)["properties"]["size"] == {"type": "string", "enum": ["S", "M"]}


def test_make_strict_leaves_its_input_unchanged() -> None:
    """The input schema is the same after make_strict as before."""
    schema = neutral(Forecast)
    before = copy.deepcopy(schema)

    make_strict(schema)

    assert schema == before


def test_make_strict_output_is_the_same_on_every_call() -> None:
    """Key order and content are deterministic."""
    schema = neutral(Forecast)

    assert list(make_strict(schema)) == [
        "type",
        "properties",
        "required",
        "additionalProperties",
        "$defs",
    ]
    assert repr(make_strict(schema)) == repr(make_strict(copy.deepcopy(schema)))


def test_dict_parameter_is_an_issue_at_its_additional_properties() -> None:
    """dict[str, X] is reported at its additionalProperties, with a fix."""
    model = create_model("Tag", labels=(dict[str, int], ...))

    issues = strict_issues(neutral(model))

    assert [issue.path for issue in issues] == ["/properties/labels/additionalProperties"]
    assert "dict[str, X]" in issues[0].reason
    assert "list of {key, value} objects" in issues[0].reason


def test_dict_inside_a_definition_is_reported_at_the_definition() -> None:
    """An issue inside a $defs entry has that entry's path."""

    class Inner(BaseModel):
        meta: dict[str, str]

    model = create_model("Outer", inner=(Inner, ...))

    assert strict_issues(neutral(model)) == (
        StrictIssue(
            "/$defs/Inner/properties/meta/additionalProperties",
            "allows keys not named in properties (a dict[str, X] or free-form object); strict "
            "mode needs additionalProperties: false. Use a model with named fields, or a list of "
            "{key, value} objects.",
        ),
    )


def test_issue_inside_an_inlined_definition_is_reported_once_at_the_definition() -> None:
    """A $ref inlined for its description does not repeat its target's issues."""

    class Inner(BaseModel):
        meta: dict[str, str]

    model = create_model("Outer", inner=(Inner, Field(description="Details.")))

    assert [i.path for i in strict_issues(neutral(model))] == [
        "/$defs/Inner/properties/meta/additionalProperties"
    ]


def test_object_without_properties_is_an_issue() -> None:
    """A free-form object (no properties) cannot be strict."""
    schema = {"type": "object", "properties": {"extra": {"type": "object"}}, "required": ["extra"]}

    assert [i.path for i in strict_issues(schema)] == ["/properties/extra"]


def test_root_object_without_properties_is_a_tool_without_parameters() -> None:
    """A bare object root becomes the strict form of an empty parameter list."""
    assert make_strict({"type": "object"}) == {
        "type": "object",
        "properties": {},
        "required": [],
        "additionalProperties": False,
    }


@pytest.mark.parametrize(
    ("annotation", "path"),
    [
        (Any, "/properties/value"),
        (tuple[int, str], "/properties/value/prefixItems"),
        (list[Any], "/properties/value/items"),
    ],
)
def test_types_without_a_strict_form_are_issues(annotation: Any, path: str) -> None:
    """Any, tuples and lists of Any are reported where they are."""
    model = create_model("Args", value=(annotation, ...))

    assert [i.path for i in strict_issues(neutral(model))] == [path]


@pytest.mark.parametrize(
    "schema",
    [
        {"type": "string"},
        {"anyOf": [{"type": "object", "properties": {}}, {"type": "null"}]},
        {"type": ["object", "null"], "properties": {}},
        {"$ref": "#/$defs/A", "$defs": {"A": {"type": "string"}}},
    ],
)
def test_root_that_is_not_a_plain_object_is_an_issue(schema: dict[str, Any]) -> None:
    """The root must be an object: not a string, a union, nullable, or a $ref to those."""
    issues = strict_issues(schema)

    assert [i.path for i in issues] == [""]
    assert "root" in issues[0].reason


def test_external_ref_is_an_issue() -> None:
    """A $ref to another document is reported with the fix."""
    schema = {
        "type": "object",
        "properties": {"a": {"$ref": "https://example.com/a.json"}},
        "required": ["a"],
    }

    assert strict_issues(schema) == (
        StrictIssue(
            "/properties/a",
            "$ref 'https://example.com/a.json' points outside this schema. "
            "Put the target in $defs.",
        ),
    )


def test_make_strict_raises_value_error_naming_each_issue() -> None:
    """make_strict refuses a schema with issues and lists them all."""
    model = create_model("Args", a=(dict[str, int], ...), b=(Any, ...))

    with pytest.raises(
        ValueError, match=r"/properties/a/additionalProperties: .*; /properties/b: "
    ):
        make_strict(neutral(model))


def test_nesting_deeper_than_the_limit_is_an_issue() -> None:
    """An object nested more than MAX_NESTING_DEPTH levels is reported where it goes over."""
    leaf: dict[str, Any] = {
        "type": "object",
        "properties": {"x": {"type": "integer"}},
        "required": ["x"],
    }
    for _ in range(MAX_NESTING_DEPTH + 1):
        leaf = {"type": "object", "properties": {"n": leaf}, "required": ["n"]}

    issues = strict_issues(leaf)

    assert [i.path for i in issues] == ["/properties/n" * (MAX_NESTING_DEPTH + 1)]
    assert "nested 11 levels deep" in issues[0].reason


def test_nesting_at_the_limit_is_accepted() -> None:
    """An object nested exactly MAX_NESTING_DEPTH levels is fine."""
    leaf: dict[str, Any] = {
        "type": "object",
        "properties": {"x": {"type": "integer"}},
        "required": ["x"],
    }
    for _ in range(MAX_NESTING_DEPTH):
        leaf = {"type": "object", "properties": {"n": leaf}, "required": ["n"]}

    assert strict_issues(leaf) == ()


def test_too_many_properties_is_an_issue() -> None:
    """More than MAX_OBJECT_PROPERTIES properties in all is reported at the root."""
    names = [f"p{i}" for i in range(MAX_OBJECT_PROPERTIES + 1)]
    schema = {
        "type": "object",
        "properties": {n: {"type": "integer"} for n in names},
        "required": names,
    }

    assert strict_issues(schema) == (
        StrictIssue(
            "",
            "has 5,001 object properties in all; OpenAI strict mode allows 5,000. "
            "Split the tool, or drop or shorten parameters.",
        ),
    )


def test_too_many_enum_values_is_an_issue() -> None:
    """More than MAX_ENUM_VALUES enum values across the schema is reported."""
    half = MAX_ENUM_VALUES // 2 + 1
    schema = {
        "type": "object",
        "properties": {
            "a": {"type": "integer", "enum": list(range(half))},
            "b": {"type": "integer", "enum": list(range(half))},
        },
        "required": ["a", "b"],
    }

    assert [i.reason.split(";")[0] for i in strict_issues(schema)] == [
        "has 1,002 enum values in all"
    ]


def test_long_large_string_enum_is_an_issue_at_the_enum() -> None:
    """A string enum of over 250 values longer than 15,000 characters is reported."""
    values = [f"{i:03d}".ljust(60, "x") for i in range(260)]
    schema = {
        "type": "object",
        "properties": {"code": {"type": "string", "enum": values}},
        "required": ["code"],
    }

    assert [i.path for i in strict_issues(schema)] == ["/properties/code/enum"]


def test_schema_without_issues_reports_none() -> None:
    """A realistic model has no strict issues."""
    assert strict_issues(neutral(Forecast)) == ()


def test_drop_strict_nulls_removes_null_for_optional_parameters() -> None:
    """Nulls the model sent for optional, non-nullable parameters are removed."""
    arguments = {"city": "Tokyo", "unit": None, "days": None}

    assert drop_strict_nulls(arguments, WEATHER) == {"city": "Tokyo"}


def test_drop_strict_nulls_lets_defaults_apply() -> None:
    """After dropping, the model validates with its defaults."""
    arguments = {
        "city": "Oslo",
        "unit": None,
        "days": None,
        "home": {"street": "A", "postcode": None, "country": None},
        "office": None,
        "stops": None,
    }

    restored = Forecast.model_validate(drop_strict_nulls(arguments, neutral(Forecast)))

    assert (restored.unit, restored.days, restored.stops, restored.home.country) == (
        Unit.CELSIUS,
        3,
        [],
        "NL",
    )


def test_drop_strict_nulls_keeps_nulls_the_schema_accepts() -> None:
    """A null for a parameter that accepts null is the model's answer, and stays."""
    arguments = {"street": "Main St", "postcode": None, "country": None}

    assert drop_strict_nulls(arguments, neutral(Address)) == {"street": "Main St", "postcode": None}


def test_drop_strict_nulls_reaches_into_refs_and_arrays() -> None:
    """Nested objects behind $ref, inside arrays and union branches are cleaned too."""
    arguments = {
        "city": "Lima",
        "home": {"street": "A", "postcode": None, "country": None},
        "office": {"street": "B", "postcode": "1", "country": None},
        "stops": [{"street": "C", "postcode": None, "country": None}],
    }

    assert drop_strict_nulls(arguments, neutral(Forecast)) == {
        "city": "Lima",
        "home": {"street": "A", "postcode": None},
        "office": {"street": "B", "postcode": "1"},
        "stops": [{"street": "C", "postcode": None}],
    }


def test_drop_strict_nulls_follows_recursion() -> None:
    """A recursive model is cleaned at every depth of the data."""
    arguments = {
        "label": "a",
        "children": [{"label": "b", "children": None, "parent": None}],
        "parent": None,
    }

    assert drop_strict_nulls(arguments, neutral(TreeNode)) == {
        "label": "a",
        "children": [{"label": "b", "parent": None}],
        "parent": None,
    }


def test_drop_strict_nulls_keeps_null_of_a_required_parameter() -> None:
    """A required parameter's null is left for validation to report."""
    assert drop_strict_nulls({"city": None}, WEATHER) == {"city": None}


def test_drop_strict_nulls_picks_the_union_branch_by_its_keys() -> None:
    """In a union of objects, the branch whose properties match the keys is used."""
    schema = {
        "type": "object",
        "properties": {
            "shape": {
                "anyOf": [
                    {
                        "type": "object",
                        "properties": {"r": {"type": "number"}, "unit": {"type": "string"}},
                        "required": ["r"],
                    },
                    {
                        "type": "object",
                        "properties": {"w": {"type": "number"}, "h": {"type": "number"}},
                        "required": ["w"],
                    },
                ]
            }
        },
        "required": ["shape"],
    }

    assert drop_strict_nulls({"shape": {"w": 2, "h": None}}, schema) == {"shape": {"w": 2}}


def test_drop_strict_nulls_leaves_its_input_unchanged() -> None:
    """The arguments passed in are not mutated."""
    arguments = {"city": "Tokyo", "unit": None, "nested": {"a": [1, None]}}
    before = copy.deepcopy(arguments)

    out = drop_strict_nulls(arguments, WEATHER)

    assert arguments == before
    assert out["nested"] is not arguments["nested"]


# Property-based: random pydantic models, built like the ones tool signatures produce.


class Color(enum.Enum):
    RED = "red"
    BLUE = "blue"


MISSING = object()
LEAVES: list[tuple[Any, Any]] = [
    (str, "x"),
    (int, 1),
    (float, 0.5),
    (bool, False),
    (Literal["a", "b"], "a"),
    (Color, Color.RED),
    (datetime.date, datetime.date(2024, 1, 1)),
    (Annotated[str, Field(max_length=5)], "x"),
    (Annotated[int, Field(ge=0, le=10)], 3),
    (Annotated[str, Field(pattern=r"^[a-z]+$", description="Lower case.")], "x"),
]
FIELD_NAMES = ["city", "count", "tags", "unit", "when", "note", "limit", "label", "price", "owner"]
_model_names = (f"Model{i}" for i in itertools.count())


def field_specs(depth: int) -> st.SearchStrategy[tuple[Any, Any]]:
    """(annotation, default or MISSING) pairs, nesting lists, optionals and models."""
    leaf = st.sampled_from(LEAVES)
    if depth == 0:
        return leaf
    inner = field_specs(depth - 1)
    return st.one_of(
        leaf,
        inner.map(lambda spec: (list[spec[0]], [])),
        inner.map(lambda spec: (Optional[spec[0]], None)),  # noqa: UP045 — a runtime type
        models(depth - 1).map(lambda model: (model, MISSING)),
    )


def models(depth: int) -> st.SearchStrategy[type[BaseModel]]:
    """Pydantic models with up to four fields, some optional with defaults."""
    fields = st.lists(
        st.tuples(st.sampled_from(FIELD_NAMES), field_specs(depth), st.booleans()),
        max_size=4,
        unique_by=lambda field: field[0],
    )
    return fields.map(_build_model)


def _build_model(fields: list[tuple[str, tuple[Any, Any], bool]]) -> type[BaseModel]:
    definitions: dict[str, Any] = {
        name: (annotation, default if optional and default is not MISSING else ...)
        for name, (annotation, default), optional in fields
    }
    return create_model(next(_model_names), **definitions)


@settings(max_examples=80, deadline=None)
@given(models(depth=2))
def test_strict_form_of_any_model_keeps_every_strict_rule(model: type[BaseModel]) -> None:
    """Closed objects, all properties required, only supported keywords: for any model."""
    schema = neutral(model)

    assert strict_issues(schema) == ()
    assert_strict_valid(make_strict(schema))


@settings(max_examples=50, deadline=None)
@given(models(depth=2))
def test_make_strict_is_idempotent(model: type[BaseModel]) -> None:
    """A strict schema is its own strict form."""
    strict = make_strict(neutral(model))

    assert make_strict(strict) == strict


def test_nested_object_with_empty_properties_is_read_as_having_no_fields() -> None:
    """An explicitly empty "properties" (Pydantic's model without fields) is closed, no issue."""
    schema = {
        "type": "object",
        "properties": {"meta": {"type": "object", "properties": {}}},
        "required": ["meta"],
    }
    assert strict_issues(schema) == ()
    meta = make_strict(schema)["properties"]["meta"]
    assert (meta["properties"], meta["additionalProperties"]) == ({}, False)


# Hand-written schemas: what strict mode would silently change is either kept or reported.


def test_optional_property_with_an_implied_type_stays_optional_as_nullable() -> None:
    """An optional {"items": ...} (type implied) becomes required but nullable, as optionals do."""
    schema = {"type": "object", "properties": {"tags": {"items": {"type": "string"}}}}

    strict = make_strict(schema)

    assert strict["properties"]["tags"] == {
        "anyOf": [{"type": "array", "items": {"type": "string"}}, {"type": "null"}]
    }


def test_optional_object_with_implied_type_stays_optional_as_nullable() -> None:
    """An optional {"properties": ...} without type accepts null in its strict form."""
    schema = {
        "type": "object",
        "properties": {"p": {"properties": {"x": {"type": "integer"}}, "required": ["x"]}},
    }

    strict = make_strict(schema)

    assert strict["properties"]["p"]["anyOf"][-1] == {"type": "null"}


def test_required_name_without_a_property_is_an_issue() -> None:
    """Closing the object would forbid a required name it never declares: reported, not dropped."""
    schema = {
        "type": "object",
        "properties": {"a": {"type": "string"}},
        "required": ["a", "b"],
    }

    issues = strict_issues(schema)

    assert [issue.path for issue in issues] == [""]
    assert "'b'" in issues[0].reason
    assert "Declare it in properties" in issues[0].reason


def test_properties_beside_anyof_are_kept_in_each_branch() -> None:
    """A node with no type, properties and anyOf keeps its properties in every branch."""
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
        "required": ["contact"],
    }

    strict = make_strict(schema)

    branches = strict["properties"]["contact"]["anyOf"]
    assert [sorted(b["properties"]) for b in branches] == [["email", "name"], ["name", "phone"]]
    assert all(b["additionalProperties"] is False for b in branches)


def test_properties_beside_anyof_that_clash_with_a_branch_are_an_issue() -> None:
    """When a branch redefines a property differently, the merge is left to the user."""
    schema = {
        "type": "object",
        "properties": {
            "v": {
                "properties": {"x": {"type": "string"}},
                "anyOf": [{"properties": {"x": {"type": "integer"}}}],
            }
        },
        "required": ["v"],
    }

    issues = strict_issues(schema)

    assert any(i.path == "/properties/v" and "beside anyOf" in i.reason for i in issues)


def test_required_property_whose_schema_is_false_is_an_issue() -> None:
    """A required property whose schema is false is named with what it means."""
    schema = {"type": "object", "properties": {"a": False}, "required": ["a"]}

    assert strict_issues(schema) == (
        StrictIssue("/properties/a", "accepts no value (the schema false). Remove it."),
    )


def test_optional_property_whose_schema_is_false_is_left_out() -> None:
    """An optional `false` property may never be sent: the closed object already says so."""
    schema = {"type": "object", "properties": {"a": {"type": "string"}, "b": False}}

    assert make_strict(schema)["properties"] == {"a": {"type": ["string", "null"]}}


def test_ref_through_an_anchor_points_to_its_definition() -> None:
    """A $ref by $anchor becomes the $defs pointer strict mode takes."""
    schema = {
        "type": "object",
        "properties": {"a": {"$ref": "#code"}},
        "required": ["a"],
        "$defs": {"Code": {"$anchor": "code", "type": "string"}},
    }

    assert make_strict(schema)["properties"]["a"] == {"$ref": "#/$defs/Code"}


def test_ref_to_an_anchor_nobody_declares_is_an_issue_saying_so() -> None:
    """An anchor that does not exist is named as such, not as a $ref "outside"."""
    schema = {"type": "object", "properties": {"a": {"$ref": "#nope"}}, "required": ["a"]}

    (issue,) = strict_issues(schema)

    assert issue.path == "/properties/a"
    assert "anchor" in issue.reason


def test_drop_strict_nulls_reads_properties_beside_anyof_in_each_branch() -> None:
    """A null strict mode made for an optional property beside anyOf is dropped again."""
    schema = {
        "type": "object",
        "properties": {
            "c": {
                "properties": {"name": {"type": "string"}},
                "anyOf": [
                    {"required": ["name"]},
                    {"properties": {"email": {"type": "string"}}, "required": ["email"]},
                ],
            }
        },
        "required": ["c"],
    }

    out = drop_strict_nulls({"c": {"name": None, "email": "a@b"}}, schema)

    assert out == {"c": {"email": "a@b"}}


def test_oneof_whose_branches_both_take_null_does_not_take_null() -> None:
    """OneOf takes null only when exactly one branch does: the optional property stays droppable."""
    schema = {
        "type": "object",
        "properties": {"a": {"oneOf": [{"type": "null"}, {"type": ["string", "null"]}]}},
    }

    assert drop_strict_nulls({"a": None}, schema) == {}
