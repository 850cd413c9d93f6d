"""An MCP call result as a tool's value or failure: the pure conversion, on the SDK's types."""

from __future__ import annotations

import base64

import pytest
from mcp_types import (
    BlobResourceContents,
    CallToolResult,
    EmbeddedResource,
    ImageContent,
    ResourceLink,
    TextContent,
)

from switchboard import FilePart, TextPart, ToolError
from switchboard.mcp.results import content_text, read_result


def test_error_result_raises_tool_error_with_its_text() -> None:
    """An isError result raises ToolError whose message is the result's text."""
    result = CallToolResult(content=[TextContent(text="No such city.")], is_error=True)
    with pytest.raises(ToolError, match=r"^No such city\.$"):
        read_result(result)


def test_error_result_without_text_still_says_it_failed() -> None:
    """An error with no content gets a message saying the tool gave no reason."""
    with pytest.raises(ToolError, match="failed and gave no reason"):
        read_result(CallToolResult(content=[], is_error=True))


def test_structured_content_is_the_value_over_the_text() -> None:
    """With structured content, the value is it, not the text that repeats it."""
    result = CallToolResult(content=[TextContent(text='{"n": 1}')], structured_content={"n": 1})
    assert read_result(result) == {"n": 1}


def test_text_blocks_are_joined_by_lines() -> None:
    """Without structured content, the text blocks are the value, one per line."""
    result = CallToolResult(content=[TextContent(text="one"), TextContent(text="two")])
    assert read_result(result) == "one\ntwo"


@pytest.mark.parametrize("size", [1, 2, 3, 68, 1000])
def test_image_size_is_the_decoded_size(size: int) -> None:
    """An image is described with the size of its bytes, whatever the base64 padding."""
    data = base64.b64encode(bytes(size)).decode()
    block = ImageContent(data=data, mime_type="image/jpeg")
    assert content_text([block]) == f"[image: image/jpeg, {size} bytes]"


def test_blob_resource_is_named_and_sized() -> None:
    """An embedded binary resource is described by its URI, type and size."""
    blob = BlobResourceContents(
        uri="file:///a.pdf", mime_type="application/pdf", blob=base64.b64encode(b"%PDF").decode()
    )
    block = EmbeddedResource(resource=blob)
    assert content_text([block]) == "[resource: file:///a.pdf (application/pdf), 4 bytes]"


def test_blob_resource_in_a_result_is_a_file_part_named_by_its_uri() -> None:
    """A result holding a binary resource returns its bytes as a `FilePart`, named by its URI."""
    blob = BlobResourceContents(
        uri="file:///docs/a.pdf",
        mime_type="application/pdf",
        blob=base64.b64encode(b"%PDF").decode(),
    )
    result = CallToolResult(
        content=[TextContent(text="The report:"), EmbeddedResource(resource=blob)]
    )
    assert read_result(result) == [
        TextPart("The report:"),
        FilePart(b"%PDF", "application/pdf", "a.pdf"),
    ]


def test_resource_link_is_described_with_its_details() -> None:
    """A resource link gives its URI, then its name and type."""
    link = ResourceLink(uri="file:///b.txt", name="b", mime_type="text/plain")
    assert content_text([link]) == "[resource link: file:///b.txt (b, text/plain)]"
