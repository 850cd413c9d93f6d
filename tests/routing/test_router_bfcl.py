"""Routing over BFCL's own function docs: the right function comes first, and recall holds.

The figures over the full pools and all questions are benchmarks/routing.py's; these are
floors on samples, to fail fast if ranking breaks.
"""

from __future__ import annotations

from functools import cache

import pytest

from switchboard import Toolbox
from switchboard.evals.bfcl import bfcl_tool_name, from_bfcl, load_bfcl, load_possible_answers
from switchboard.routing import EmbeddingCache, MiniLM, Router, RoutingMode

CATEGORIES = ("simple_python", "multiple")
Question = tuple[str, str, frozenset[str]]


@cache
def _questions() -> tuple[Question, ...]:
    found: list[Question] = []
    for category in CATEGORIES:
        answers = load_possible_answers(category)
        for entry in load_bfcl(category):
            text = " ".join(m["content"] for turn in entry["question"] for m in turn)
            names = frozenset(bfcl_tool_name(n) for call in answers[entry["id"]] for n in call)
            found.append((entry["id"], text, names))
    return tuple(found)


def _toolbox(ids: frozenset[str] | None = None) -> Toolbox:
    """One tool per function name among the entries' docs (all entries if ids is None)."""
    docs: dict[str, dict[str, object]] = {}
    for category in CATEGORIES:
        for entry in load_bfcl(category):
            if ids is None or entry["id"] in ids:
                for doc in entry["function"]:
                    docs.setdefault(bfcl_tool_name(doc["name"]), doc)
    return Toolbox([from_bfcl(doc) for doc in docs.values()])


@cache
def _pool() -> Toolbox:
    return _toolbox()


def _recall(router: Router, toolbox: Toolbox, questions: tuple[Question, ...], k: int) -> float:
    hits = sum(
        names <= {tool.name for tool in router.rank(toolbox, text, k=k)}
        for _, text, names in questions
    )
    return hits / len(questions)


@pytest.mark.parametrize(
    "entry",
    ["simple_python_0", "simple_python_10", "simple_python_20", "simple_python_40", "multiple_3"],
)
def test_a_clear_question_ranks_its_function_first_among_all(entry: str) -> None:
    """Out of every simple_python and multiple function, the asked-for one comes first."""
    text, names = next((text, names) for id_, text, names in _questions() if id_ == entry)
    assert {tool.name for tool in Router().rank(_pool(), text, k=1)} == names


def test_lexical_recall_at_5_over_all_simple_and_multiple_functions() -> None:
    """600 questions against 587 functions: all of each question's functions in the top 5."""
    assert len(_pool()) == 587
    assert _recall(Router(), _pool(), _questions(), k=5) >= 0.92


@pytest.fixture(scope="module")
def vectors(minilm: MiniLM) -> EmbeddingCache:
    """One cache for both embedding modes: the sample's tools are embedded once."""
    return EmbeddingCache(minilm)


@pytest.mark.parametrize("mode", ["embedding", "hybrid"])
def test_embedding_recall_at_1_on_a_sample(vectors: EmbeddingCache, mode: RoutingMode) -> None:
    """Every 15th question against its entries' functions: the model finds the right one."""
    sample = _questions()[::15]
    toolbox = _toolbox(frozenset(id_ for id_, _, _ in sample))
    assert len(toolbox) == 57
    assert _recall(Router(mode=mode, embed=vectors), toolbox, sample, k=1) >= 0.9


def test_splitting_requests_raises_parallel_multiple_recall() -> None:
    """200 questions asking for 2 to 4 functions each: ranking request by request finds more."""
    answers = load_possible_answers("parallel_multiple")
    entries = load_bfcl("parallel_multiple")
    docs = {bfcl_tool_name(doc["name"]): doc for entry in entries for doc in entry["function"]}
    toolbox = Toolbox([from_bfcl(doc) for doc in docs.values()])
    questions = tuple(
        (
            entry["id"],
            " ".join(m["content"] for turn in entry["question"] for m in turn),
            frozenset(bfcl_tool_name(n) for call in answers[entry["id"]] for n in call),
        )
        for entry in entries
    )
    whole = _recall(Router(split_intents=False), toolbox, questions, k=5)
    split = _recall(Router(), toolbox, questions, k=5)
    assert split >= 0.75
    assert split > whole
