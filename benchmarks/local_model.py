"""The embedded model on BFCL simple_python, with and without the call grammar.

Workload: BFCL's ``simple_python`` (all 400 entries, or the first ``--limit``), run through
`LocalProvider` (SmolLM2-135M-Instruct Q4_1, greedy, seed 0, at most 128 tokens per reply,
``tool_choice="required"``), once with the grammar and once without
(``LocalProvider(grammar=False)``: same prompt, free decoding).

Figures, per mode:

* ``valid_call_rate``: share of entries whose reply is one or more calls that all parse and
  validate against their tool's schema (the target with the grammar: 1.0).
* ``ast_accuracy``: share of entries BFCL's own ``ast_checker`` scores correct.
* ``tokens_per_s``: output tokens per second of decoding, the prompt and the per-reply set-up
  excluded.
* ``steered_to_close``: replies whose calls the decoder steered to close near the token
  limit (valid calls, stop reason ``length``).
* ``fixed_ms_per_reply``: what a reply costs besides its tokens (the chat template, the
  grammar's set-up, the prompt's last token).
* ``grammar_cost_per_token``: with-grammar decoding seconds per output token over without,
  minus 1 (the target: under 0.15).

Method: each entry is run three times in each mode, the modes taking turns: with
``max_tokens=1`` (which reads the prompt into llama.cpp's cache), with ``max_tokens=1``
again (the fixed cost: the chat template, the grammar's set-up, the prompt's last token),
and whole, the reply that is scored. The whole reply's time minus the fixed cost is the
time of decoding its output tokens but the first. Comparing decoding time per token, not
whole-reply time per token, matters: a call is a few dozen tokens and free text a hundred,
so the fixed cost would otherwise weigh three times more on the grammar. Prints one JSON line.

``entries_without_valid_call`` lists (up to 10) the entries whose reply is not a valid call.

Run: ``python benchmarks/local_model.py [--limit N] [--threads N]``; all 400 entries take
about 35 minutes on two quiet cores.
"""

from __future__ import annotations

import argparse
import asyncio
import dataclasses
import json
import os
import platform
import sys
import time
from typing import Any

from switchboard.evals.bfcl import from_bfcl, load_bfcl, load_possible_answers
from switchboard.evals.harness import ItemResult, score_item
from switchboard.messages import UserMessage
from switchboard.providers.base import ModelRequest, ModelSettings
from switchboard.providers.local import LocalProvider

CATEGORY = "simple_python"
SETTINGS = ModelSettings(max_tokens=128, temperature=0.0, seed=0)
ONE_TOKEN = ModelSettings(max_tokens=1, temperature=0.0, seed=0)


@dataclasses.dataclass
class Mode:
    """One way of decoding, and what it measured so far."""

    provider: LocalProvider
    results: list[ItemResult] = dataclasses.field(default_factory=list[ItemResult])
    decode_seconds: float = 0.0
    decode_tokens: int = 0
    fixed_seconds: float = 0.0
    steered: int = 0

    async def run(self, entry: dict[str, Any], answers: dict[str, Any]) -> None:
        """Score one entry's reply, and time its decoding and its fixed cost."""
        docs = entry["function"]
        tools = [from_bfcl(doc) for doc in docs]
        request = ModelRequest(
            [UserMessage(entry["question"][0][-1]["content"])], tools, "required", settings=SETTINGS
        )
        one_token = dataclasses.replace(request, settings=ONE_TOKEN)
        await self.provider.complete(one_token)  # reads the prompt into llama.cpp's cache
        started = time.perf_counter()
        await self.provider.complete(one_token)
        fixed = time.perf_counter() - started
        started = time.perf_counter()
        response = await self.provider.complete(request)
        whole = time.perf_counter() - started
        self.fixed_seconds += fixed
        self.decode_seconds += whole - fixed
        self.decode_tokens += response.usage.output_tokens - 1
        self.steered += response.stop_reason == "length" and bool(response.turn.tool_calls)
        self.results.append(
            score_item(entry["id"], CATEGORY, docs, tools, response.turn.tool_calls, answers)
        )

    def figures(self) -> dict[str, Any]:
        """The figures over the entries run so far."""
        items = len(self.results)
        valid = sum(bool(r.calls) and r.valid_calls == len(r.calls) for r in self.results)
        return {
            "items": items,
            "valid_call_rate": round(valid / items, 4),
            "ast_accuracy": round(sum(r.correct for r in self.results) / items, 4),
            "steered_to_close": self.steered,
            "tokens_per_s": round(self.decode_tokens / self.decode_seconds, 2),
            "fixed_ms_per_reply": round(self.fixed_seconds / items * 1000, 1),
            "entries_without_valid_call": [
                r.id for r in self.results if not r.calls or r.valid_calls < len(r.calls)
            ][:10],
        }


async def main() -> None:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--limit", type=int, default=None, help="the first N entries only")
    parser.add_argument("--threads", type=int, default=None)
    args = parser.parse_args()
    grammar = Mode(LocalProvider(n_threads=args.threads, grammar=True))
    free = Mode(LocalProvider(n_threads=args.threads, grammar=False))
    answers = load_possible_answers(CATEGORY)
    entries = load_bfcl(CATEGORY)[: args.limit]
    for done, entry in enumerate(entries, 1):
        # Both modes on each entry in turn, so that other work on the machine slows both alike.
        await grammar.run(entry, answers)
        await free.run(entry, answers)
        print(f"{done}/{len(entries)}", file=sys.stderr, flush=True)
    cost = (grammar.decode_seconds / grammar.decode_tokens) / (
        free.decode_seconds / free.decode_tokens
    ) - 1
    unconstrained = free.figures()
    unconstrained.pop("entries_without_valid_call")
    print(
        json.dumps(
            {
                "benchmark": "local_model",
                "category": CATEGORY,
                "model": "SmolLM2-135M-Instruct.Q4_1.gguf",
                "threads": args.threads or os.cpu_count(),
                "load_average_1m": round(os.getloadavg()[0], 2),
                "machine": platform.machine(),
                "with_grammar": grammar.figures(),
                "without_grammar": unconstrained,
                "grammar_cost_per_token": round(cost, 4),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
