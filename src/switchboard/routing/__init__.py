"""Tool routing: from a large toolbox, the few tools worth offering the model each turn.

`Router` ranks a toolbox's tools for a query lexically (BM25, the default), by sentence
embeddings (`MiniLM` or any ``embed`` function), or both fused by reciprocal rank.
"""

from typing import TYPE_CHECKING

from switchboard.routing.router import Router, RoutingMode
from switchboard.routing.text import tool_terms, tool_text

if TYPE_CHECKING:
    from switchboard.routing.embedding import Embed, EmbeddingCache
    from switchboard.routing.minilm import MiniLM

__all__ = ["Embed", "EmbeddingCache", "MiniLM", "Router", "RoutingMode", "tool_terms", "tool_text"]

# The names whose modules import numpy, loaded when first asked for (PEP 562): importing
# the router must not cost what only an index or an embedding model needs.
_LAZY = {"Embed": "embedding", "EmbeddingCache": "embedding", "MiniLM": "minilm"}


def __getattr__(name: str) -> object:
    module = _LAZY.get(name)
    if module is None:
        msg = f"module {__name__!r} has no attribute {name!r}"
        raise AttributeError(msg)
    import importlib

    return getattr(importlib.import_module(f"{__name__}.{module}"), name)
