"""Run BFCL categories through any switchboard model and score them with BFCL's checker.

Each entry becomes one request: its question (the first turn's messages), its functions
as tools (`from_bfcl`), and a ``tool_choice``: ``"required"`` where BFCL expects calls,
``"auto"`` for the irrelevance categories (which have no possible answers and score
"no call made"). Parallel categories allow several calls per reply. The calls come back
in BFCL's form and go to BFCL's own ``ast_checker`` (`check_calls`).

Example:
    >>> summary = summarize([])
    >>> summary.items, summary.accuracy
    (0, 0.0)
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable, Mapping, Sequence
from dataclasses import asdict, dataclass, replace
from typing import Any, cast

from switchboard.errors import SwitchboardError
from switchboard.evals.ast_check import check_calls
from switchboard.evals.bfcl import from_bfcl, load_bfcl, load_possible_answers
from switchboard.messages import Message, SystemMessage, ToolCall, UserMessage
from switchboard.providers.base import ModelRequest, ModelSettings, Provider, ToolChoice
from switchboard.tools.tool import Tool

__all__ = [
    "ItemResult",
    "Summary",
    "expects_no_call",
    "run_bfcl",
    "run_entry",
    "score_item",
    "summarize",
]


@dataclass(frozen=True, slots=True)
class ItemResult:
    """The outcome of one BFCL entry.

    Attributes:
        id: The entry's id, e.g. ``"simple_python_0"``.
        correct: BFCL's verdict (irrelevance: no call was made).
        calls: The calls made, in BFCL's form ``{"tool": {"param": value}}``.
        valid_calls: How many of them parse and validate against their tool's schema.
        errors: Why the answer is wrong, as BFCL (or the run) explains it.
        seconds: The model's time for the entry.
        input_tokens: Tokens sent.
        output_tokens: Tokens written.
    """

    id: str
    correct: bool
    calls: tuple[dict[str, Any], ...]
    valid_calls: int
    errors: tuple[str, ...]
    seconds: float
    input_tokens: int
    output_tokens: int

    def to_json(self) -> str:
        """The result as one line of JSON."""
        return json.dumps(asdict(self), ensure_ascii=False, default=str)


@dataclass(frozen=True, slots=True)
class Summary:
    """Figures over a category's results.

    Attributes:
        items: Entries run.
        accuracy: Share of entries BFCL scores correct.
        calls: Calls made in all.
        without_call: Entries whose reply made no call.
        schema_valid_rate: Share of calls that parse and validate; ``None`` when no call
            was made (a share of nothing is no figure).
        calls_per_second: Calls made per second of model time.
        output_tokens_per_second: Tokens written per second of model time.
        seconds: Model time in all.
    """

    items: int
    accuracy: float
    calls: int
    without_call: int
    schema_valid_rate: float | None
    calls_per_second: float
    output_tokens_per_second: float
    seconds: float


def expects_no_call(category: str) -> bool:
    """Whether a category is scored "no call made" (BFCL's irrelevance categories)."""
    return "irrelevance" in category


async def run_bfcl(
    provider: Provider,
    category: str,
    *,
    limit: int | None = None,
    settings: ModelSettings | None = None,
    on_item: Callable[[ItemResult], None] | None = None,
) -> list[ItemResult]:
    """Run the entries of one BFCL category through a model and score each.

    Args:
        provider: The model.
        category: A single-turn BFCL category, e.g. ``"simple_python"``, ``"irrelevance"``.
        limit: Run only the first ``limit`` entries.
        settings: Sampling settings (default: 256 tokens, temperature 0).
        on_item: Called with each result as it is scored (progress).

    Raises:
        ConfigurationError: ``bfcl-eval`` is not installed, or has no such category.
        ProviderError: The model failed a request.
    """
    entries = load_bfcl(category)[:limit]
    answers = {} if expects_no_call(category) else load_possible_answers(category)
    results: list[ItemResult] = []
    for entry in entries:
        result = await run_entry(provider, category, entry, answers, settings)
        results.append(result)
        if on_item is not None:
            on_item(result)
    return results


async def run_entry(
    provider: Provider,
    category: str,
    entry: Mapping[str, Any],
    answers: Mapping[str, Sequence[Any]],
    settings: ModelSettings | None = None,
) -> ItemResult:
    """Ask the model one BFCL entry and score its reply (see `run_bfcl`).

    Raises:
        ProviderError: The model failed the request.
    """
    settings = settings or ModelSettings(max_tokens=256, temperature=0.0, seed=0)
    docs = cast("list[dict[str, Any]]", entry["function"])
    tools = [from_bfcl(doc) for doc in docs]
    request = ModelRequest(
        _messages(entry),
        tools,
        _tool_choice(category),
        True if "parallel" in category else None,
        settings=settings,
    )
    started = time.perf_counter()
    response = await provider.complete(request)
    seconds = time.perf_counter() - started
    return replace(
        score_item(str(entry["id"]), category, docs, tools, response.turn.tool_calls, answers),
        seconds=seconds,
        input_tokens=response.usage.input_tokens,
        output_tokens=response.usage.output_tokens,
    )


def score_item(
    entry_id: str,
    category: str,
    docs: Sequence[Mapping[str, Any]],
    tools: Sequence[Tool],
    calls: Sequence[ToolCall],
    answers: Mapping[str, Sequence[Any]],
) -> ItemResult:
    """Score one entry's calls: schema validity per call, and BFCL's verdict.

    Args:
        entry_id: The entry's id.
        category: Its category.
        docs: Its BFCL function docs.
        tools: The same functions as tools.
        calls: The calls the model made.
        answers: The category's possible answers by id (empty for irrelevance).
    """
    by_name = {tool.name: tool for tool in tools}
    written: list[dict[str, Any]] = []
    valid = 0
    for call in calls:
        arguments = _arguments(call)
        tool = by_name.get(call.name)
        if arguments is not None and tool is not None and tool.accepts(arguments):
            valid += 1
        written.append({call.name: arguments if arguments is not None else call.arguments})
    if expects_no_call(category):
        errors = () if not calls else ("A call was made where none should be.",)
        return ItemResult(entry_id, not calls, tuple(written), valid, errors, 0.0, 0, 0)
    if valid < len(calls):
        errors = ("A call does not parse or does not match its schema.",)
        return ItemResult(entry_id, False, tuple(written), valid, errors, 0.0, 0, 0)
    try:
        verdict = check_calls(docs, written, answers[entry_id], category)
    except SwitchboardError:
        raise
    # BFCL's checker raises on output shapes it did not foresee: that answer is wrong.
    except Exception as e:
        return ItemResult(entry_id, False, tuple(written), valid, (repr(e),), 0.0, 0, 0)
    return ItemResult(entry_id, verdict.valid, tuple(written), valid, verdict.errors, 0.0, 0, 0)


def summarize(results: Sequence[ItemResult]) -> Summary:
    """The figures of a run."""
    calls = sum(len(r.calls) for r in results)
    valid = sum(r.valid_calls for r in results)
    seconds = sum(r.seconds for r in results)
    written = sum(r.output_tokens for r in results)
    return Summary(
        items=len(results),
        accuracy=sum(r.correct for r in results) / len(results) if results else 0.0,
        calls=calls,
        without_call=sum(not r.calls for r in results),
        schema_valid_rate=valid / calls if calls else None,
        calls_per_second=calls / seconds if seconds else 0.0,
        output_tokens_per_second=written / seconds if seconds else 0.0,
        seconds=seconds,
    )


def _messages(entry: Mapping[str, Any]) -> list[Message]:
    turns = cast("list[list[dict[str, Any]]]", entry["question"])
    messages: list[Message] = []
    for message in turns[0]:
        content = str(message.get("content", ""))
        role = message.get("role")
        messages.append(SystemMessage(content) if role == "system" else UserMessage(content))
    return messages


def _tool_choice(category: str) -> ToolChoice:
    return "auto" if expects_no_call(category) else "required"


def _arguments(call: ToolCall) -> dict[str, Any] | None:
    if not isinstance(call.arguments, str):
        return dict(call.arguments)
    try:
        value = json.loads(call.arguments)
    except ValueError:
        return None
    return cast("dict[str, Any]", value) if isinstance(value, dict) else None
