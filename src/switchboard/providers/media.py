"""Images and files of tool results as the APIs carry them: base64 text and data URLs."""

from __future__ import annotations

import base64

from switchboard.messages import ContentPart, FilePart, ImagePart, TextPart


def base64_text(data: bytes) -> str:
    """``data`` as base64 text (standard alphabet, padded), as every API takes inline data."""
    return base64.b64encode(data).decode("ascii")


def part_url(part: ImagePart | FilePart) -> str:
    """The part's URL, or for its bytes a ``data:`` URL (RFC 2397) carrying them in base64.

    Example:
        >>> part_url(ImagePart(b"GIF89a", "image/gif"))
        'data:image/gif;base64,R0lGODlh'
    """
    if isinstance(part.data, str):
        return part.data
    return f"data:{part.media_type};base64,{base64_text(part.data)}"


def unsent(part: ContentPart, provider: str, accepted: str) -> str:
    """The text sent in place of a part an API does not take, saying what it was.

    Args:
        part: The image or file (a text part is always sent).
        provider: The provider's name.
        accepted: What the API takes instead, for the model and for whoever reads the log.
    """
    if isinstance(part, TextPart):
        return part.text
    kind = "image" if isinstance(part, ImagePart) else "file"
    named = f" {part.filename}" if isinstance(part, FilePart) and part.filename else ""
    return (
        f"[{kind}{named} ({part.media_type}) not shown: {provider} takes {accepted} in a tool "
        "result]"
    )
