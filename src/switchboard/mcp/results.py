"""An MCP ``tools/call`` result as a switchboard tool returns it: a value, or a `ToolError`.

Structured content (already checked against the tool's ``outputSchema`` by the SDK) is the
value when there is some: the program reads it as ``ToolResult.value``, and the model as its
JSON. Content that is all text is returned as that text. Content with images, audio or binary
resources is returned as content parts (`ImagePart`, `FilePart`, `TextPart`): providers that
take images and files in tool results get them, the others read them described
(``[image: image/png, 68 bytes]``). An embedded text resource is given whole, after a line
naming it.
"""

from __future__ import annotations

import base64
from collections.abc import Sequence
from typing import Any

from mcp_types import (
    AudioContent,
    BlobResourceContents,
    CallToolResult,
    ContentBlock,
    EmbeddedResource,
    ImageContent,
    ResourceLink,
    TextContent,
)

from switchboard.errors import ToolError
from switchboard.messages import ContentPart, FilePart, ImagePart, TextPart


def read_result(result: CallToolResult) -> Any:
    """The value a call returns: its structured content, else its content as text.

    Raises:
        ToolError: The result is an error (``isError``); its text is the message.
    """
    if result.is_error:
        raise ToolError(content_text(result.content) or "The tool failed and gave no reason.")
    if result.structured_content is not None:
        return result.structured_content
    if not _binary(result.content):
        return content_text(result.content)
    return [_part(block) for block in result.content]


def _binary(blocks: Sequence[ContentBlock]) -> bool:
    """Whether any block holds bytes: an image, audio, or a binary resource."""
    return any(
        isinstance(block, ImageContent | AudioContent)
        or (
            isinstance(block, EmbeddedResource) and isinstance(block.resource, BlobResourceContents)
        )
        for block in blocks
    )


def _part(block: ContentBlock) -> ContentPart:
    """One content block as the part a provider sends: bytes for images, audio and blobs."""
    if isinstance(block, ImageContent):
        return ImagePart(base64.b64decode(block.data), block.mime_type)
    if isinstance(block, AudioContent):
        return FilePart(base64.b64decode(block.data), block.mime_type)
    if isinstance(block, EmbeddedResource) and isinstance(block.resource, BlobResourceContents):
        resource = block.resource
        name = str(resource.uri).rsplit("/", 1)[-1]
        media_type = resource.mime_type or "application/octet-stream"
        return FilePart(base64.b64decode(resource.blob), media_type, name)
    return TextPart(_block_text(block))


def content_text(blocks: Sequence[ContentBlock]) -> str:
    """Content blocks as the text the model reads, one block after another."""
    return "\n".join(_block_text(block) for block in blocks)


def _block_text(block: ContentBlock) -> str:
    if isinstance(block, TextContent):
        return block.text
    if isinstance(block, ImageContent | AudioContent):
        return f"[{block.type}: {block.mime_type}, {_decoded_size(block.data)} bytes]"
    if isinstance(block, EmbeddedResource):
        resource = block.resource
        kind = f" ({resource.mime_type})" if resource.mime_type else ""
        if isinstance(resource, BlobResourceContents):
            return f"[resource: {resource.uri}{kind}, {_decoded_size(resource.blob)} bytes]"
        return f"[resource: {resource.uri}{kind}]\n{resource.text}"
    return _link_text(block)


def _link_text(link: ResourceLink) -> str:
    details = ", ".join(
        part for part in (link.name, link.mime_type, link.description) if part is not None
    )
    return f"[resource link: {link.uri}" + (f" ({details})]" if details else "]")


def _decoded_size(data: str) -> int:
    """The size of what base64 ``data`` encodes, without decoding it (images may be large)."""
    padding = len(data) - len(data.rstrip("="))
    return len(data) * 3 // 4 - padding
