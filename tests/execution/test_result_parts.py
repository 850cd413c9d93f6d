"""A tool that returns content parts: its result carries them, described in text."""

from typing import Any

import pytest

from switchboard import Tool, Toolbox, ToolCall
from switchboard.execution.results import describe_parts, result_parts
from switchboard.messages import FilePart, ImagePart, TextPart

pytestmark = pytest.mark.anyio

PNG = b"\x89PNG\r\n\x1a\n"


def chart() -> ImagePart:
    """Draw the chart."""
    return ImagePart(PNG, "image/png")


def report() -> list[Any]:
    """The report, with its chart."""
    return [
        TextPart("Sales rose."),
        ImagePart(PNG, "image/png"),
        FilePart(b"%PDF", "application/pdf", "r.pdf"),
    ]


async def test_a_returned_image_becomes_the_results_one_part() -> None:
    """A tool returning an ImagePart gets a result whose parts hold it, and no value."""
    [result] = await Toolbox([chart]).execute([ToolCall("c1", "chart", "{}")])
    assert result.parts == (ImagePart(PNG, "image/png"),)
    assert result.value is None
    assert result.content == "[image: image/png, 8 bytes]"


async def test_a_returned_list_of_parts_keeps_their_order_and_is_described_in_text() -> None:
    """A list of parts becomes the parts in order; the content: text whole, the rest in brackets."""
    [result] = await Toolbox([report]).execute([ToolCall("c1", "report", "{}")])
    assert [type(part) for part in result.parts] == [TextPart, ImagePart, FilePart]
    assert result.content == (
        "Sales rose.\n[image: image/png, 8 bytes]\n[file r.pdf: application/pdf, 4 bytes]"
    )


async def test_parts_come_back_the_long_way_too() -> None:
    """A tool run the long way (with a time limit) returns its parts as the short way does."""
    tool = Tool.from_function(chart, timeout=5)
    [result] = await Toolbox([tool]).execute([ToolCall("c1", "chart", "{}")])
    assert result.parts == (ImagePart(PNG, "image/png"),)
    assert result.value is None


async def test_a_list_mixing_parts_and_other_values_is_plain_json() -> None:
    """A list that is not all parts is a value like any other, written as JSON, with no parts."""

    def mixed() -> list[Any]:
        """Mixed."""
        return [TextPart("a"), {"b": 1}]

    [result] = await Toolbox([mixed]).execute([ToolCall("c1", "mixed", "{}")])
    assert result.parts == ()
    assert result.content == '[{"text":"a"},{"b":1}]'


def test_an_empty_list_holds_no_parts() -> None:
    """An empty list is an empty value, not a result of no parts."""
    assert result_parts([]) is None


def test_an_image_url_is_described_by_its_url() -> None:
    """An image given by URL is described by the URL, which a text-only model can cite."""
    part = ImagePart("https://example.com/c.png", "image/png")
    assert describe_parts((part,)) == "[image: image/png, https://example.com/c.png]"
