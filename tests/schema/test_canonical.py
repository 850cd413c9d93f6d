from typing import Any

from pydantic import BaseModel

from switchboard.schema.canonical import canonical_schema, unresolved_refs, unsatisfiable


class Point(BaseModel):
    x: int
    y: int


class Route(BaseModel):
    stops: list[Point]
    start: Point | None = None


def test_pydantic_schema_is_returned_as_the_same_object() -> None:
    """A schema with local pointers only and no booleans is not copied (nor changed)."""
    schema = Route.model_json_schema()

    assert canonical_schema(schema) is schema


def test_ref_inside_a_subschema_with_an_id_resolves_against_that_id() -> None:
    """A "#/..." pointer under a nested $id points into that subschema, as JSON Schema says."""
    schema = {
        "$id": "https://example.com/root.json",
        "type": "object",
        "properties": {"item": {"$ref": "item.json"}},
        "$defs": {
            "Item": {
                "$id": "item.json",
                "type": "object",
                "properties": {"kind": {"$ref": "#/$defs/Kind"}},
                "$defs": {"Kind": {"enum": ["a", "b"]}},
            }
        },
    }

    out = canonical_schema(schema)

    assert out["properties"]["item"] == {"$ref": "#/$defs/Item"}
    item = out["$defs"]["Item"]
    assert item["properties"]["kind"] == {"$ref": "#/$defs/Item/$defs/Kind"}
    assert "$id" not in item


def test_boolean_subschemas_become_objects_but_additional_properties_keeps_its_own() -> None:
    """`true` is {} and `false` is {"not": {}}; additionalProperties: false stays as written."""
    schema: dict[str, Any] = {
        "type": "object",
        "properties": {"a": True, "b": False, "c": {"type": "array", "items": False}},
        "additionalProperties": False,
    }

    out = canonical_schema(schema)

    assert out["properties"] == {
        "a": {},
        "b": {"not": {}},
        "c": {"type": "array", "items": {"not": {}}},
    }
    assert out["additionalProperties"] is False
    assert schema["properties"]["a"] is True


def test_refs_that_resolve_nowhere_are_listed_with_their_paths() -> None:
    """A missing pointer, an unknown anchor and another document each stay, and are listed."""
    schema = {
        "type": "object",
        "properties": {
            "a": {"$ref": "#/$defs/Missing"},
            "b": {"$ref": "#nowhere"},
            "c": {"$ref": "https://example.com/c.json"},
        },
    }

    assert unresolved_refs(canonical_schema(schema)) == [
        ("/properties/a", "#/$defs/Missing"),
        ("/properties/b", "#nowhere"),
        ("/properties/c", "https://example.com/c.json"),
    ]


def test_a_required_false_property_through_a_ref_leaves_nothing_valid() -> None:
    """A required property whose $ref target requires a `false` property is found."""
    schema = {
        "type": "object",
        "properties": {"p": {"$ref": "#/$defs/P"}},
        "required": ["p"],
        "$defs": {"P": {"type": "object", "properties": {"q": False}, "required": ["q"]}},
    }

    found = unsatisfiable(canonical_schema(schema))

    assert found is not None
    assert found[0] == "/properties/p/properties/q"
