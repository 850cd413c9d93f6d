"""A tool result's content parts as Messages API blocks inside ``tool_result``.

Images go as ``image`` blocks, PDFs and plain text as ``document`` blocks
(https://docs.claude.com/en/docs/agents-and-tools/tool-use/implement-tool-use#handling-results-from-client-tools);
what the API does not take there is sent as text saying so.
"""

from __future__ import annotations

from typing import Any, Final

from switchboard.messages import ContentPart, FilePart, ImagePart, TextPart
from switchboard.providers.media import base64_text, unsent

# ``anthropic.types.Base64ImageSourceParam``'s media types.
_IMAGE_TYPES: Final = frozenset({"image/jpeg", "image/png", "image/gif", "image/webp"})
_ACCEPTED: Final = "JPEG, PNG, GIF and WebP images, PDFs and plain text"


def part_block(part: ContentPart) -> dict[str, Any]:
    """The block of one part: ``text``, ``image`` or ``document`` (``ToolResultBlockParam``)."""
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text}
    if isinstance(part, ImagePart):
        return _image(part)
    return _document(part)


def _image(part: ImagePart) -> dict[str, Any]:
    if isinstance(part.data, str):
        return {"type": "image", "source": {"type": "url", "url": part.data}}
    if part.media_type not in _IMAGE_TYPES:
        return {"type": "text", "text": unsent(part, "Anthropic", _ACCEPTED)}
    source = {"type": "base64", "media_type": part.media_type, "data": base64_text(part.data)}
    return {"type": "image", "source": source}


def _document(part: FilePart) -> dict[str, Any]:
    source = _document_source(part)
    if source is None:
        return {"type": "text", "text": unsent(part, "Anthropic", _ACCEPTED)}
    block: dict[str, Any] = {"type": "document", "source": source}
    if part.filename:
        block["title"] = part.filename
    return block


def _document_source(part: FilePart) -> dict[str, Any] | None:
    if part.media_type == "application/pdf":
        if isinstance(part.data, str):
            return {"type": "url", "url": part.data}
        return {"type": "base64", "media_type": "application/pdf", "data": base64_text(part.data)}
    if part.media_type == "text/plain" and isinstance(part.data, bytes):
        try:
            text = part.data.decode()
        except UnicodeDecodeError:
            return None
        return {"type": "text", "media_type": "text/plain", "data": text}
    return None
