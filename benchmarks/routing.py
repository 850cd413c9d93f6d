"""Tool routing on BFCL: does the right tool reach the top k, and how fast, at 1k and 10k tools.

Pools. ``nonlive``: every distinct function doc (by name and parameters) of BFCL's non-live
categories (simple_python, simple_java, simple_javascript, multiple, parallel,
parallel_multiple, irrelevance) and of its multi-turn APIs, as switchboard tools
(`from_bfcl`). Docs that share a name but not parameters are kept apart, renamed
``name__2``...; both count as the function of that name. ``10k``: the nonlive pool, then
every distinct doc of the live categories, then generated distractors up to 10,000 tools.
A distractor crosses two real docs: the first's name words and parameters with the
second's last name word, and half of each description, so it shares their vocabulary.
``1k``: the first 1,000 tools of the nonlive pool, for latency only.

Queries: every question of simple_python, multiple, parallel and parallel_multiple (1,000),
its user messages joined; its ground truth is the set of function names of its possible
answer. ``recall@k`` counts a question when all of its functions are among the top k;
``mrr@10`` averages 1 / the rank of the first of its functions found (0 if none in the top 10).

Subjects: switchboard's `Router` in ``lexical`` (bm25s), ``embedding`` (all-MiniLM-L6-v2 run
by `MiniLM`) and ``hybrid`` mode, with its defaults (a multi-request question is also ranked
request by request, `split_intents`), and ``rank_bm25`` (``BM25Okapi`` over the same terms, top k
by ``argsort``) as the baseline. ``build_s``: building the index of a pool from scratch
(embedding included; the 10k embedding index reuses the nonlive pool's cached vectors, so
its build time counts only the new texts). ``latency_ms``: p50 and p99 of one query's
``Router.select`` (``top_k=5``, ranking included), or of rank_bm25's scoring and top-k.

Usage: ``python benchmarks/routing.py [--queries N] [--skip-embedding]``; one JSON line on
stdout, progress on stderr. Embedding 10,000 tools on two CPU cores takes minutes.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import random
import statistics
import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from rank_bm25 import BM25Okapi

from switchboard import Tool, Toolbox
from switchboard.evals.bfcl import (
    bfcl_tool_name,
    from_bfcl,
    load_bfcl,
    load_multi_turn_docs,
    load_possible_answers,
)
from switchboard.routing import EmbeddingCache, MiniLM, Router, RoutingMode
from switchboard.routing.text import terms, tool_terms

NONLIVE = (
    "simple_python",
    "simple_java",
    "simple_javascript",
    "multiple",
    "parallel",
    "parallel_multiple",
    "irrelevance",
)
LIVE = (
    "live_simple",
    "live_multiple",
    "live_parallel",
    "live_parallel_multiple",
    "live_irrelevance",
    "live_relevance",
)
QUERIES = ("simple_python", "multiple", "parallel", "parallel_multiple")
KS = (1, 3, 5, 10)
LARGE = 10_000
SMALL = 1_000
TOP_K = 5
# Embedding modes embed each timed query (milliseconds each on a CPU): a sample is timed.
EMBEDDING_TIMING = 300


@dataclass(frozen=True)
class Query:
    """A BFCL question and the names of the functions its answer calls."""

    id: str
    text: str
    functions: frozenset[str]


@dataclass
class Pool:
    """Tools, and the BFCL function name each stands for."""

    tools: list[Tool]
    functions: dict[str, str]

    def toolbox(self, size: int | None = None) -> Toolbox:
        """The first ``size`` tools (all by default) in a new toolbox."""
        return Toolbox(self.tools[:size])


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


def distinct_docs(docs: Iterable[Mapping[str, Any]]) -> dict[tuple[str, str], Mapping[str, Any]]:
    found: dict[tuple[str, str], Mapping[str, Any]] = {}
    for doc in docs:
        found.setdefault((doc["name"], json.dumps(doc["parameters"], sort_keys=True)), doc)
    return found


def category_docs(categories: Sequence[str]) -> list[Mapping[str, Any]]:
    return [doc for c in categories for entry in load_bfcl(c) for doc in entry.get("function", [])]


def add_docs(pool: Pool, docs: Iterable[Mapping[str, Any]], taken: set[tuple[str, str]]) -> None:
    for key, doc in distinct_docs(docs).items():
        if key in taken:
            continue
        taken.add(key)
        tool = from_bfcl(doc)
        name, n = tool.name, 1
        while name in pool.functions:
            n += 1
            name = f"{tool.name[:60]}__{n}"
        if name != tool.name:
            tool = Tool.from_schema(name, tool.description, tool.parameters)
        pool.tools.append(tool)
        pool.functions[name] = bfcl_tool_name(doc["name"])


def distractors(real: Sequence[Tool], count: int, seed: int = 7) -> list[Tool]:
    rng = random.Random(seed)
    made: list[Tool] = []
    for i in range(count):
        a, b = rng.sample(list(real), 2)
        words_a, words_b = a.description.split(), b.description.split()
        description = " ".join(words_a[: len(words_a) // 2] + words_b[len(words_b) // 2 :])
        stem = a.name.split("__")[0][:40]
        suffix = b.name.split("__")[0].rsplit("_", 1)[-1][:12]
        made.append(Tool.from_schema(f"{stem}_{suffix}_x{i}", description, a.parameters))
    return made


def build_pools() -> tuple[Pool, Pool]:
    nonlive = Pool([], {})
    taken: set[tuple[str, str]] = set()
    add_docs(nonlive, [*category_docs(NONLIVE), *load_multi_turn_docs()], taken)
    large = Pool(list(nonlive.tools), dict(nonlive.functions))
    add_docs(large, category_docs(LIVE), taken)
    extra = distractors(large.tools, LARGE - len(large.tools))
    large.tools.extend(extra)
    large.functions.update({tool.name: tool.name for tool in extra})
    return nonlive, large


def load_queries(limit: int | None) -> list[Query]:
    queries: list[Query] = []
    for category in QUERIES:
        answers = load_possible_answers(category)
        for entry in load_bfcl(category):
            turns: list[list[dict[str, str]]] = entry["question"]
            text = "\n".join(m["content"] for turn in turns for m in turn if m["role"] == "user")
            names = frozenset(
                bfcl_tool_name(name) for call in answers[entry["id"]] for name in call
            )
            queries.append(Query(entry["id"], text, names))
    if limit is not None:
        queries = random.Random(1).sample(queries, limit)
    return queries


def quality(ranked: Sequence[Sequence[str]], queries: Sequence[Query]) -> dict[str, Any]:
    recall = dict.fromkeys(KS, 0)
    distinct = 0
    reciprocal = 0.0
    by_category: dict[str, list[bool]] = {}
    for names, query in zip(ranked, queries, strict=True):
        for k in KS:
            recall[k] += query.functions <= set(names[:k])
        distinct += query.functions <= set(list(dict.fromkeys(names))[:TOP_K])
        by_category.setdefault(query.id.rsplit("_", 1)[0], []).append(
            query.functions <= set(names[:TOP_K])
        )
        first = next((i for i, name in enumerate(names[:10]) if name in query.functions), None)
        reciprocal += 0.0 if first is None else 1.0 / (first + 1)
    n = len(queries)
    return {
        **{f"recall@{k}": round(recall[k] / n, 4) for k in KS},
        "mrr@10": round(reciprocal / n, 4),
        f"recall@{TOP_K}_by_category": {
            category: round(sum(hits) / len(hits), 4) for category, hits in by_category.items()
        },
        f"recall@{TOP_K}_distinct_names": round(distinct / n, 4),
    }


def percentiles(times: list[float]) -> dict[str, float]:
    times = sorted(times)
    return {
        "p50": round(statistics.median(times), 3),
        "p99": round(times[min(len(times) - 1, int(len(times) * 0.99))], 3),
        "queries": len(times),
    }


def timed(
    run: Callable[[str], Any], queries: Sequence[Query]
) -> tuple[list[Any], dict[str, float]]:
    results: list[Any] = []
    times: list[float] = []
    for query in queries:
        start = time.perf_counter()
        results.append(run(query.text))
        times.append((time.perf_counter() - start) * 1000)
    return results, percentiles(times)


class QueryMemo:
    """The embedding model, remembering one-text (query) vectors while ``on``.

    On only for the quality passes, which are not timed, so that each question is embedded
    once for both embedding modes; the timed passes embed every query.
    """

    def __init__(self, embed: Callable[[list[str]], Any]) -> None:
        self.embed = embed
        self.on = False
        self.vectors: dict[str, Any] = {}

    def __call__(self, texts: list[str]) -> Any:
        """Embed ``texts``, or give back a remembered query's vector."""
        if not self.on or len(texts) != 1:
            return self.embed(texts)
        if texts[0] not in self.vectors:
            self.vectors[texts[0]] = self.embed(texts)
        return self.vectors[texts[0]]


def measure_router(
    router: Router,
    pool: Pool,
    size: int | None,
    timing: Sequence[Query],
    scoring: Sequence[Query] | None,
    memo: QueryMemo | None,
) -> dict[str, Any]:
    toolbox = pool.toolbox(size)
    start = time.perf_counter()
    router.rank(toolbox, "warm up the index")
    figures: dict[str, Any] = {
        "tools": len(toolbox),
        "build_s": round(time.perf_counter() - start, 3),
    }
    _, figures["latency_ms"] = timed(lambda text: router.select(toolbox, text), timing)
    if scoring is not None:
        if memo is not None:
            memo.on = True
        ranked = [
            [pool.functions[t.name] for t in router.rank(toolbox, q.text, k=10)] for q in scoring
        ]
        if memo is not None:
            memo.on = False
        figures.update(quality(ranked, scoring))
    return figures


def measure_rank_bm25(
    pool: Pool, size: int | None, queries: Sequence[Query], score: bool
) -> dict[str, Any]:
    tools = pool.tools[:size]
    start = time.perf_counter()
    bm25 = BM25Okapi([tool_terms(tool) for tool in tools])
    figures: dict[str, Any] = {
        "tools": len(tools),
        "build_s": round(time.perf_counter() - start, 3),
    }

    def top(text: str) -> list[str]:
        scores = bm25.get_scores(terms(text))
        return [tools[int(i)].name for i in scores.argsort()[::-1][:10] if scores[i] > 0]

    ranked, figures["latency_ms"] = timed(top, queries)
    if score:
        figures.update(quality([[pool.functions[n] for n in names] for names in ranked], queries))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--queries", type=int, default=None, help="a random sample of questions")
    parser.add_argument("--skip-embedding", action="store_true", help="lexical and rank_bm25 only")
    args = parser.parse_args()
    load_before = os.getloadavg()[0]
    nonlive, large = build_pools()
    queries = load_queries(args.queries)
    embedding_timing = random.Random(2).sample(queries, min(EMBEDDING_TIMING, len(queries)))
    log(f"pools: nonlive {len(nonlive.tools)}, 10k {len(large.tools)}; queries {len(queries)}")
    results: dict[str, Any] = {
        "pools": {"nonlive": len(nonlive.tools), "10k": len(large.tools), "1k": SMALL},
        "queries": len(queries),
        "top_k": TOP_K,
    }
    pools = (("nonlive", nonlive, None), ("1k", nonlive, SMALL), ("10k", large, None))
    memo = None if args.skip_embedding else QueryMemo(MiniLM())
    # One cache for both embedding routers: hybrid's build reuses the embedding router's vectors.
    cache = None if memo is None else EmbeddingCache(memo)
    modes: tuple[RoutingMode, ...] = (
        ("lexical",) if memo is None else ("lexical", "embedding", "hybrid")
    )
    for mode in modes:
        router = Router(TOP_K, mode=mode, embed=cache)
        timing = queries if mode == "lexical" else embedding_timing
        results[mode] = {}
        for label, pool, size in pools:
            log(f"{mode} {label}...")
            scoring = queries if size is None else None
            results[mode][label] = measure_router(router, pool, size, timing, scoring, memo)
            log(f"  {results[mode][label]}")
    results["rank_bm25"] = {}
    for label, pool, size in pools:
        log(f"rank_bm25 {label}...")
        results["rank_bm25"][label] = measure_rank_bm25(pool, size, queries, size is None)
        log(f"  {results['rank_bm25'][label]}")
    hybrid = results.get("hybrid", {}).get("nonlive", {})
    results["targets"] = {
        "hybrid_recall@5_nonlive>=0.95": hybrid.get("recall@5", 0.0) >= 0.95,
        "lexical_p50_ms_10k<2": results["lexical"]["10k"]["latency_ms"]["p50"] < 2,
    }
    # Other work on the machine slows every figure (embedding ones most): the load says how much.
    results["machine"] = {
        "python": platform.python_version(),
        "cpus": os.cpu_count(),
        "load_average_1m": [round(load_before, 2), round(os.getloadavg()[0], 2)],
    }
    print(json.dumps(results))


if __name__ == "__main__":
    main()
