"""The BFCL harness: BFCL's own checker loaded light, scoring, and a run through a model."""

from __future__ import annotations

import json
import sys
from typing import Any

import pytest

from switchboard.evals.ast_check import check_calls
from switchboard.evals.bfcl import bfcl_tool_name, from_bfcl, load_bfcl, load_possible_answers
from switchboard.evals.harness import run_bfcl, score_item, summarize
from switchboard.messages import ToolCall
from switchboard.providers.base import ModelRequest
from switchboard.providers.scripted import ScriptedModel

pytestmark = pytest.mark.anyio


def first_answer(ground_truth: list[dict[str, dict[str, list[Any]]]]) -> list[dict[str, Any]]:
    """A BFCL possible answer as model calls: each parameter's first listed value.

    ``""`` among a parameter's values means it may be left out; it is left out only when
    it is the one value. A dict value lists possible values per key in turn.
    """
    calls: list[dict[str, Any]] = []
    for call in ground_truth:
        [(name, params)] = call.items()
        calls.append({bfcl_tool_name(name): choose_each(params)})
    return calls


def choose_each(params: dict[str, list[Any]]) -> dict[str, Any]:
    chosen: dict[str, Any] = {}
    for key, values in params.items():
        given = [value for value in values if value != ""]
        if given:
            chosen[key] = choose(given[0])
    return chosen


def choose(value: Any) -> Any:
    if isinstance(value, dict):
        return choose_each(value)
    if isinstance(value, list) and value and all(isinstance(item, dict) for item in value):
        return [choose_each(item) for item in value]
    return value


def test_checker_loads_without_bfcl_model_handlers() -> None:
    """Scoring works with a --no-deps install: BFCL's model_config is never imported."""
    [entry] = load_bfcl("simple_python")[:1]
    answers = load_possible_answers("simple_python")
    verdict = check_calls(
        entry["function"], first_answer(answers[entry["id"]]), answers[entry["id"]], "simple_python"
    )
    assert verdict.valid
    assert "bfcl_eval.constants.model_config" not in sys.modules


@pytest.mark.parametrize("category", ["simple_python", "multiple", "parallel"])
def test_checker_accepts_every_first_possible_answer(category: str) -> None:
    """BFCL's checker, as loaded here, accepts each entry's own first possible answer."""
    answers = load_possible_answers(category)
    rejected = [
        entry["id"]
        for entry in load_bfcl(category)
        if not check_calls(
            entry["function"], first_answer(answers[entry["id"]]), answers[entry["id"]], category
        ).valid
    ]
    assert rejected == []


def test_checker_rejects_a_wrong_value_with_bfcls_reason() -> None:
    """A value outside the possible answers is rejected with BFCL's own error text."""
    entry = load_bfcl("simple_python")[0]
    answers = load_possible_answers("simple_python")[entry["id"]]
    verdict = check_calls(
        entry["function"],
        [{"calculate_triangle_area": {"base": 11, "height": 5}}],
        answers,
        "simple_python",
    )
    assert not verdict.valid
    assert verdict.errors == ("Invalid value for parameter 'base': 11. Expected one of [10].",)


def test_irrelevance_scores_no_call_as_correct() -> None:
    """In an irrelevance category, no call is correct and any call is wrong."""
    entry = load_bfcl("irrelevance")[0]
    tools = [from_bfcl(doc) for doc in entry["function"]]
    call = ToolCall("c", tools[0].name, '{"base": 1, "height": 2}')
    assert score_item(entry["id"], "irrelevance", entry["function"], tools, [], {}).correct
    assert not score_item(entry["id"], "irrelevance", entry["function"], tools, [call], {}).correct


def test_invalid_call_is_wrong_and_counted_invalid() -> None:
    """A call whose arguments fail the schema is scored wrong without asking BFCL."""
    entry = load_bfcl("simple_python")[0]
    tools = [from_bfcl(doc) for doc in entry["function"]]
    call = ToolCall("c", "calculate_triangle_area", '{"base": "ten"}')
    answers = load_possible_answers("simple_python")
    result = score_item(entry["id"], "simple_python", entry["function"], tools, [call], answers)
    assert (result.correct, result.valid_calls, len(result.calls)) == (False, 0, 1)


async def test_run_scores_a_scripted_model_and_summarizes() -> None:
    """run_bfcl sends each entry with tool_choice required and scores the replies."""
    answers = load_possible_answers("simple_python")
    entries = load_bfcl("simple_python")[:3]
    right = {e["id"]: first_answer(answers[e["id"]])[0] for e in entries}

    def reply(request: ModelRequest) -> ToolCall | str:
        [tool] = request.tools
        entry = next(e for e in entries if bfcl_tool_name(e["function"][0]["name"]) == tool.name)
        if entry["id"] == "simple_python_2":
            return "I cannot."
        [(name, arguments)] = right[entry["id"]].items()
        return ToolCall("c", name, json.dumps(arguments))

    model = ScriptedModel(reply)
    seen: list[str] = []
    results = await run_bfcl(model, "simple_python", limit=3, on_item=lambda r: seen.append(r.id))
    assert [r.correct for r in results] == [True, True, False]
    assert seen == ["simple_python_0", "simple_python_1", "simple_python_2"]
    assert {r.tool_choice for r in model.requests} == {"required"}
    summary = summarize(results)
    assert (summary.items, summary.calls, summary.schema_valid_rate) == (3, 2, 1.0)
    assert summary.accuracy == pytest.approx(2 / 3)


def test_summary_counts_replies_without_a_call_and_rates_no_calls() -> None:
    """Entries answered without a call are counted; with no call at all there is no rate."""
    entries = load_bfcl("irrelevance")[:2]
    results = [
        score_item(
            e["id"], "irrelevance", e["function"], [from_bfcl(d) for d in e["function"]], [], {}
        )
        for e in entries
    ]
    summary = summarize(results)
    assert (summary.calls, summary.without_call, summary.schema_valid_rate) == (0, 2, None)
