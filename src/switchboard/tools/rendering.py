"""A request's tools in one provider format, kept per tool set.

A tool renders each format once (`Tool.schema`), but a request still looks up every tool it
offers: at thousands of tools that costs more than the rest of the request, and grows
faster than the tool count once the tools no longer fit the CPU's caches. A run offers the
same tools turn after turn, so the rendered list of a tool set is kept (the sets last
asked for, by the tools' identity): a request then costs one hash of its tools' identities.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from typing import Any, Final

from switchboard.schema.dialects import Format
from switchboard.tools.tool import Tool

__all__ = ["TOOL_SETS_KEPT", "tool_schemas"]

TOOL_SETS_KEPT: Final = 32
"""How many tool sets' renderings are kept per format; the oldest is dropped first."""


def tool_schemas(
    tools: Sequence[Tool], fmt: Format, *, strict: bool = False
) -> list[dict[str, Any]]:
    """Each tool as format ``fmt`` takes it (`Tool.schema`), in order, in a new list.

    The dicts are shared with `Tool.schema`'s cache: treat them as read-only.

    Raises:
        As `Tool.schema` (errors are not kept: a later call raises again).
    """
    return list(_rendered(tuple(tools), fmt, strict))


@functools.lru_cache(maxsize=TOOL_SETS_KEPT)
def _rendered(tools: tuple[Tool, ...], fmt: Format, strict: bool) -> tuple[dict[str, Any], ...]:
    return tuple(tool.schema(fmt, strict=strict) for tool in tools)
