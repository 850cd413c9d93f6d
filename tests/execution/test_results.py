import dataclasses
import datetime
import enum
import inspect
import pickle

import pytest
from pydantic import BaseModel

from switchboard.execution.results import new_result, to_content
from switchboard.messages import ToolResult


class Color(enum.Enum):
    RED = "red"


@dataclasses.dataclass
class Point:
    x: int
    y: int


class User(BaseModel):
    name: str


def test_strings_pass_through_unchanged() -> None:
    """A str is the content as is, not JSON-quoted."""
    assert to_content('already "text"') == 'already "text"'


def test_structured_values_become_compact_json() -> None:
    """Models, dataclasses, dicts, lists, enums and dates become compact JSON."""
    value = {"user": User(name="Ada"), "at": [Point(1, 2)], "c": Color.RED}
    value["d"] = datetime.date(2026, 1, 2)  # type: ignore[assignment]
    assert to_content(value) == (
        '{"user":{"name":"Ada"},"at":[{"x":1,"y":2}],"c":"red","d":"2026-01-02"}'
    )


def test_none_and_numbers_are_json() -> None:
    """None is null; numbers are their JSON text."""
    assert (to_content(None), to_content(3), to_content(2.5), to_content(True)) == (
        "null",
        "3",
        "2.5",
        "true",
    )


def test_integers_of_any_size_and_int_subclasses_are_json() -> None:
    """Ints past str()'s digit limit and int subclasses with their own str() are JSON too."""

    class Code(int):
        def __str__(self) -> str:
            return "code"

    huge = 10**5000
    assert (to_content(huge), to_content(-(10**18)), to_content(Code(7))) == (
        "1" + "0" * 5000,
        "-1000000000000000000",
        "7",
    )


def test_unicode_is_kept_readable() -> None:
    """Non-ASCII text is not escaped: the model reads it as written."""
    assert to_content({"city": "東京"}) == '{"city":"東京"}'


def test_bytes_are_text_when_utf8_else_base64() -> None:
    """Bytes decode as UTF-8 when they can; otherwise they are base64 with a prefix."""
    assert to_content(b"hello") == "hello"
    assert to_content(b"\xff\x00") == "base64:/wA="


def test_objects_without_json_form_use_str() -> None:
    """An object JSON cannot hold is written as its str()."""

    class Opaque:
        def __str__(self) -> str:
            return "<opaque>"

    assert to_content([Opaque()]) == '["<opaque>"]'


def test_long_content_is_truncated_with_a_marker() -> None:
    """Past the limit, text is cut and the marker gives the full length."""
    assert to_content("abcdef", max_chars=4) == "abcd\n[truncated: 4 of 6 characters shown]"
    assert to_content("abcd", max_chars=4) == "abcd"


def test_new_result_is_an_ordinary_frozen_tool_result() -> None:
    """new_result gives what the ToolResult constructor gives: equal, frozen, picklable."""
    fields = ("c1", "add", "3", False, None, ("trailing_comma",), 0.5, 3)
    built, constructed = new_result(*fields), ToolResult(*fields)
    assert type(built) is ToolResult
    assert (built, repr(built), hash(built)) == (constructed, repr(constructed), hash(constructed))
    assert pickle.loads(pickle.dumps(built)) == constructed
    assert dataclasses.replace(built, content="4") == ToolResult(*fields[:2], "4", *fields[3:])
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.content = "changed"  # type: ignore[misc]


def test_new_result_takes_every_field_of_tool_result() -> None:
    """A field added to ToolResult is a parameter of new_result too: no slot left unset."""
    fields = [field.name for field in dataclasses.fields(ToolResult)]
    assert list(inspect.signature(new_result).parameters) == fields
