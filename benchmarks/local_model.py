"""The embedded model on BFCL simple_python, with and without the call grammar.

Workload: the first ``--limit`` entries (default 50 of 400, to fit a few minutes on two
CPU cores) of BFCL's ``simple_python``, run through `LocalProvider` (SmolLM2-135M-Instruct
Q4_1, greedy, seed 0, at most 128 tokens per reply, ``tool_choice="required"``), once with
the grammar and once without (``LocalProvider(grammar=False)``: same prompt, free decoding).

Figures, per mode:

* ``valid_call_rate``: share of entries whose reply is one or more calls that all parse and
  validate against their tool's schema (the target with the grammar: 1.0).
* ``ast_accuracy``: share of entries BFCL's own ``ast_checker`` scores correct.
* ``tokens_per_s``: output tokens per second of decoding, the prompt excluded.
* ``grammar_cost_per_token``: with-grammar seconds per output token over without, minus 1
  (the target: under 0.15).

Method: each entry is generated twice in a row in each mode; the second run finds the
prompt in llama.cpp's cache, so its time is decoding and sampling alone: that time, over
its output tokens, gives the per-token figures. Accuracy and validity come from the first
run. Prints one JSON line.

``entries_without_valid_call`` lists (up to 10) the entries whose reply, with the
grammar, is not a valid call: a reply cut by the token limit inside a string.

Run: ``python benchmarks/local_model.py [--limit N] [--threads N]``.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import platform
import time

from switchboard.evals.bfcl import from_bfcl, load_bfcl, load_possible_answers
from switchboard.evals.harness import ItemResult, score_item
from switchboard.messages import UserMessage
from switchboard.providers.base import ModelRequest, ModelSettings
from switchboard.providers.local import LocalProvider

CATEGORY = "simple_python"
SETTINGS = ModelSettings(max_tokens=128, temperature=0.0, seed=0)


async def measure(provider: LocalProvider, limit: int) -> dict[str, float]:
    answers = load_possible_answers(CATEGORY)
    results: list[ItemResult] = []
    decode_seconds = 0.0
    decode_tokens = 0
    for entry in load_bfcl(CATEGORY)[:limit]:
        docs = entry["function"]
        tools = [from_bfcl(doc) for doc in docs]
        request = ModelRequest(
            [UserMessage(entry["question"][0][-1]["content"])], tools, "required", settings=SETTINGS
        )
        response = await provider.complete(request)
        started = time.perf_counter()
        again = await provider.complete(request)
        decode_seconds += time.perf_counter() - started
        decode_tokens += again.usage.output_tokens
        results.append(
            score_item(entry["id"], CATEGORY, docs, tools, response.turn.tool_calls, answers)
        )
    items = len(results)
    valid = sum(bool(r.calls) and r.valid_calls == len(r.calls) for r in results)
    return {
        "items": items,
        "valid_call_rate": round(valid / items, 4),
        "ast_accuracy": round(sum(r.correct for r in results) / items, 4),
        "tokens_per_s": round(decode_tokens / decode_seconds, 2),
        "seconds_per_token": decode_seconds / decode_tokens,
        "entries_without_valid_call": [
            r.id for r in results if not r.calls or r.valid_calls < len(r.calls)
        ][:10],
    }


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--limit", type=int, default=50)
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    grammar = await measure(LocalProvider(n_threads=args.threads, grammar=True), args.limit)
    free = await measure(LocalProvider(n_threads=args.threads, grammar=False), args.limit)
    free.pop("entries_without_valid_call")
    cost = grammar.pop("seconds_per_token") / free.pop("seconds_per_token") - 1
    print(
        json.dumps(
            {
                "benchmark": "local_model",
                "category": CATEGORY,
                "model": "SmolLM2-135M-Instruct.Q4_1.gguf",
                "threads": args.threads or os.cpu_count(),
                "machine": platform.machine(),
                "with_grammar": grammar,
                "without_grammar": free,
                "grammar_cost_per_token": round(cost, 4),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
