"""`acceptor`: a quick yes that never accepts what ``jsonschema`` refuses."""

from __future__ import annotations

from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from jsonschema import Draft7Validator, Draft202012Validator

from switchboard.tools.schema_accept import acceptor

ADD = {
    "properties": {"a": {"title": "A", "type": "integer"}, "b": {"title": "B", "type": "integer"}},
    "required": ["a", "b"],
    "title": "addArguments",
    "type": "object",
}
"""The input schema the SDK's MCPServer lists for ``add(a: int, b: int)``."""

_json = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(-5, 5)
    | st.floats(-5, 5, allow_nan=False)
    | st.sampled_from(["", "a", "red", "blue", "x" * 6]),
    lambda inner: (
        st.lists(inner, max_size=3)
        | st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3)
    ),
    max_leaves=8,
)
_types = st.sampled_from(["integer", "number", "string", "boolean", "object", "array", "null"])
_leaf_schemas = st.one_of(
    st.fixed_dictionaries({"type": _types | st.lists(_types, min_size=1, max_size=3)}),
    st.fixed_dictionaries({"enum": st.lists(st.sampled_from(["red", "blue", "a"]), min_size=1)}),
    st.fixed_dictionaries(
        {}, optional={"minimum": st.integers(-3, 3), "maximum": st.floats(-3, 3)}
    ),
    st.fixed_dictionaries(
        {},
        optional={"exclusiveMinimum": st.integers(-3, 3), "exclusiveMaximum": st.integers(-3, 3)},
    ),
    st.fixed_dictionaries(
        {}, optional={"minLength": st.integers(0, 3), "maxLength": st.integers(0, 3)}
    ),
    st.fixed_dictionaries(
        {}, optional={"minItems": st.integers(0, 2), "maxItems": st.integers(0, 2)}
    ),
    st.just({"title": "T", "description": "d", "default": 1}),
)


def _compound(inner: st.SearchStrategy[dict[str, Any]]) -> st.SearchStrategy[dict[str, Any]]:
    properties = st.dictionaries(st.sampled_from(["a", "b", "c"]), inner, max_size=3)
    return st.one_of(
        st.fixed_dictionaries(
            {"properties": properties},
            optional={
                "type": st.just("object"),
                "required": st.lists(st.sampled_from(["a", "b", "c"]), unique=True),
                "additionalProperties": st.booleans(),
            },
        ),
        st.fixed_dictionaries(
            {"items": inner | st.booleans()}, optional={"type": st.just("array")}
        ),
        st.fixed_dictionaries({"anyOf": st.lists(inner, min_size=1, max_size=3)}),
    )


_schemas = st.recursive(_leaf_schemas, _compound, max_leaves=6)


@settings(max_examples=600, deadline=None)
@given(_schemas, _json)
def test_nothing_jsonschema_refuses_is_accepted(schema: dict[str, Any], instance: Any) -> None:
    """Whatever the check accepts, jsonschema (the 2020-12 draft, as tools use) accepts too."""
    check = acceptor(schema)
    assert check is not None  # every generated keyword is one the check knows
    if check(instance):
        assert Draft202012Validator(schema).is_valid(instance)


@settings(max_examples=300, deadline=None)
@given(_schemas, _json)
def test_nothing_draft_7_refuses_is_accepted(schema: dict[str, Any], instance: Any) -> None:
    """A schema that names draft 7 ($schema) is checked alike: the drafts agree on these."""
    schema = {"$schema": "http://json-schema.org/draft-07/schema#", **schema}
    check = acceptor(schema)
    assert check is not None
    if check(instance):
        assert Draft7Validator(schema).is_valid(instance)


def test_valid_arguments_of_a_listed_mcp_tool_are_accepted() -> None:
    """The commonest case, two integers, is answered by the check alone."""
    check = acceptor(ADD)
    assert check is not None
    assert check({"a": 1, "b": 2})


@pytest.mark.parametrize(
    "arguments",
    [{"a": 1}, {"a": 1, "b": "2"}, {"a": True, "b": 2}, {"a": 1.0, "b": 2}, {"a": None, "b": 2}],
)
def test_arguments_it_is_not_sure_of_are_left_to_jsonschema(arguments: dict[str, Any]) -> None:
    """A missing, mistyped, boolean or float value is not accepted by the check."""
    check = acceptor(ADD)
    assert check is not None
    assert not check(arguments)


def test_an_optional_value_written_as_any_of_is_accepted() -> None:
    """Pydantic's ``X | None`` (anyOf with null) accepts both of its branches."""
    check = acceptor({"properties": {"unit": {"anyOf": [{"type": "string"}, {"type": "null"}]}}})
    assert check is not None
    assert check({"unit": None})
    assert check({"unit": "celsius"})


@pytest.mark.parametrize(
    "schema",
    [
        {"properties": {"when": {"type": "string", "format": "date"}}},
        {"$ref": "#/$defs/Point", "$defs": {"Point": {"type": "object"}}},
        {"properties": {"code": {"type": "string", "pattern": "^[A-Z]+$"}}},
        {"oneOf": [{"type": "integer"}, {"type": "number"}]},
        {"type": "object", "additionalProperties": {"type": "string"}},
        {"type": "number", "exclusiveMinimum": True},
        {"enum": [1, "one"]},
        {"enum": [{"a": 1}]},
        {"type": [{"type": "string"}]},
        {"properties": {"a": 1}},
    ],
)
def test_a_schema_with_other_keywords_gets_no_check(schema: dict[str, Any]) -> None:
    """Formats, references, patterns, oneOf and the like are jsonschema's alone."""
    assert acceptor(schema) is None


@settings(max_examples=300, deadline=None)
@given(
    st.sampled_from(["minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum"]),
    st.integers(-3, 3) | st.floats(-3, 3),
    st.integers(-4, 4) | st.floats(-4, 4),
)
def test_a_numeric_bound_decides_as_jsonschema_does(
    keyword: str, limit: float, value: float
) -> None:
    """On numbers the bounds are exact: accepted exactly when jsonschema accepts."""
    check = acceptor({"type": "number", keyword: limit})
    assert check is not None
    assert check(value) == Draft202012Validator({keyword: limit}).is_valid(value)


@settings(max_examples=200, deadline=None)
@given(
    st.sampled_from(["minLength", "maxLength", "minItems", "maxItems"]),
    st.integers(0, 3),
    st.text(max_size=4) | st.lists(st.integers(), max_size=4),
)
def test_a_length_bound_decides_as_jsonschema_does(keyword: str, limit: int, value: Any) -> None:
    """Lengths of strings (in characters) and of arrays are exact too."""
    check = acceptor({keyword: limit})
    assert check is not None
    assert check(value) == Draft202012Validator({keyword: limit}).is_valid(value)
