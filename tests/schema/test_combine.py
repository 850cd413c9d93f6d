import pytest

from switchboard.schema.combine import Clash, distributed, merged


def test_type_beside_a_union_narrows_each_branch_and_drops_those_left_empty() -> None:
    """type: integer beside [number, string] keeps an integer branch only."""
    node = {"type": "integer", "anyOf": [{"type": "number"}, {"type": "string"}]}

    assert distributed(node, {}) == {"anyOf": [{"type": "integer"}]}


def test_annotations_stay_on_the_union_and_keywords_go_into_the_branches() -> None:
    """A description stays beside the union; required goes into each branch."""
    node = {"description": "Who.", "required": ["id"], "oneOf": [{"properties": {"id": {}}}]}

    assert distributed(node, {}) == {
        "description": "Who.",
        "oneOf": [{"required": ["id"], "properties": {"id": {}}}],
    }


def test_a_ref_branch_is_merged_with_its_target() -> None:
    """A $ref branch takes the keywords beside the union together with its target's."""
    root = {"$defs": {"A": {"type": "object", "properties": {"a": {"type": "string"}}}}}
    node = {"required": ["a"], "anyOf": [{"$ref": "#/$defs/A"}]}

    assert distributed(node, root)["anyOf"] == [
        {"required": ["a"], "type": "object", "properties": {"a": {"type": "string"}}}
    ]


def test_merging_a_closed_object_with_one_adding_keys_is_a_clash() -> None:
    """additionalProperties: false on one side forbids what the other side's properties add."""
    closed = {"properties": {"a": {}}, "additionalProperties": False}

    with pytest.raises(Clash) as clash:
        merged(closed, {"properties": {"b": {}}})

    assert clash.value.keywords == ("additionalProperties",)


def test_merging_schemas_of_no_common_type_is_none() -> None:
    """A string that is also an object: no value, so no schema."""
    assert merged({"type": "string"}, {"type": "object"}) is None
