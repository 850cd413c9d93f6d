import dataclasses
import datetime
import enum

from pydantic import BaseModel

from switchboard.execution.results import to_content


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
