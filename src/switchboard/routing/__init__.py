"""Tool routing: from a large toolbox, the few tools worth offering the model each turn.

`Router` ranks a toolbox's tools for a query lexically (BM25, the default), by sentence
embeddings (`MiniLM` or any ``embed`` function), or both fused by reciprocal rank.
"""

from switchboard.routing.embedding import Embed, EmbeddingCache
from switchboard.routing.minilm import MiniLM
from switchboard.routing.router import Router, RoutingMode
from switchboard.routing.text import tool_terms, tool_text

__all__ = ["Embed", "EmbeddingCache", "MiniLM", "Router", "RoutingMode", "tool_terms", "tool_text"]
