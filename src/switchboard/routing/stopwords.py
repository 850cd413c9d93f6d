"""bm25s's English stop words, read without importing bm25s.

``bm25s.stopwords`` is plain data, but importing it first runs bm25s's package
``__init__``, which imports numpy (over 100 ms): a program that never builds a router
index would pay that for a list of words. The module's file is executed on its own
instead; once bm25s is imported anyway, its own module is used.
"""

from __future__ import annotations

import importlib.util
import sys
from pathlib import Path
from typing import Any, Final

__all__ = ["STOPWORDS_EN_PLUS"]


def _bm25s_stopwords() -> Any:
    """The ``bm25s.stopwords`` module, loaded from its file when bm25s is not imported yet."""
    loaded = sys.modules.get("bm25s.stopwords")
    if loaded is not None:
        return loaded
    # find_spec of a top-level package locates it without running its __init__.
    package = importlib.util.find_spec("bm25s")
    locations = package.submodule_search_locations if package is not None else None
    if not locations:
        msg = "bm25s is not installed: reinstall switchboard (pip install switchboard)."
        raise ImportError(msg)
    path = Path(next(iter(locations))) / "stopwords.py"
    spec = importlib.util.spec_from_file_location(f"{__name__}._bm25s", path)
    if spec is None or spec.loader is None:
        msg = f"bm25s's stop words cannot be read from {path}: reinstall bm25s."
        raise ImportError(msg)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


STOPWORDS_EN_PLUS: Final[tuple[str, ...]] = tuple(_bm25s_stopwords().STOPWORDS_EN_PLUS)
"""``bm25s.stopwords.STOPWORDS_EN_PLUS``: English stop words, NLTK's list and a few more."""
