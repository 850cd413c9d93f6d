"""`run_summary` and `run_detail`: stored runs (real SQLite files) as the page shows them."""

import time
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from switchboard.messages import ToolCall, ToolResult, UserMessage
from switchboard.runs.codec import message_to_json, response_to_json
from switchboard.runs.sqlite import SQLiteStore
from switchboard.viewer.shape import run_detail, run_fingerprint, run_summary
from tests.viewer import stored_runs

pytestmark = pytest.mark.anyio


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with SQLiteStore(tmp_path / "runs.sqlite3") as opened:
        yield opened


async def _detail(store: SQLiteStore, run_id: str) -> dict[str, Any]:
    return run_detail(await store.load(run_id), time.time())


def _calls(detail: dict[str, Any]) -> dict[str, dict[str, Any]]:
    return {call["call_id"]: call for step in detail["timeline"] for call in step["calls"]}


def _labels(call: dict[str, Any]) -> list[str]:
    return [mark["label"] for mark in call["marks"]]


async def test_the_summary_counts_steps_calls_errors_and_tokens(store: SQLiteStore) -> None:
    """A run's summary: its model, prompt, tools, and its steps, calls, errors and tokens."""
    await stored_runs.write_parallel(store)
    summary = run_summary(await store.load("parallel"))
    assert summary["model"] == "openai:gpt-4.1-mini"
    assert summary["prompt"].startswith("Weather in Tokyo, Paris and Lima")
    assert (summary["steps"], summary["calls"], summary["errors"]) == (4, 7, 1)
    assert (summary["input_tokens"], summary["output_tokens"]) == (480, 120)
    assert summary["tools"] == sorted(stored_runs.TOOLS)


async def test_the_model_comes_from_the_responses_when_the_meta_has_none(
    store: SQLiteStore,
) -> None:
    """A run created with no model in its meta is listed under its responses' model."""
    await stored_runs.write_failed(store)
    assert run_summary(await store.load("failed"))["model"] == "claude-haiku-4-5"


async def test_parallel_calls_have_overlapping_bars(store: SQLiteStore) -> None:
    """Calls started before any of them finished have bars whose spans overlap."""
    await stored_runs.write_parallel(store)
    calls = _calls(await _detail(store, "parallel"))
    spans = [
        (b["left"], b["left"] + b["width"]) for b in (calls[c]["bar"] for c in ("w1", "w2", "w3"))
    ]
    assert all(left < right for left, right in spans)
    assert max(left for left, _ in spans) < min(right for _, right in spans)


async def test_calls_run_in_turn_have_bars_one_after_the_other(store: SQLiteStore) -> None:
    """A call started after another finished has its bar after the other's."""
    await stored_runs.write_parallel(store)
    calls = _calls(await _detail(store, "parallel"))
    first, second = calls["f1"]["bar"], calls["c1"]["bar"]
    assert first["left"] + first["width"] <= second["left"]


async def test_model_turns_carry_latency_and_tokens(store: SQLiteStore) -> None:
    """Each step shows its model's latency (request to response) and its tokens."""
    await stored_runs.write_parallel(store)
    loaded = await store.load("parallel")
    step = run_detail(loaded, time.time())["timeline"][0]
    stored = loaded.steps[0]
    assert stored.finished_at is not None
    assert step["latency"] == stored.finished_at - stored.started_at
    assert (step["input_tokens"], step["output_tokens"], step["model"]) == (120, 30, "gpt-4.1-mini")


async def test_repairs_errors_retries_and_cut_calls_are_marked(store: SQLiteStore) -> None:
    """Repaired arguments, a raised error, the model's retry and a cut-off call each get a mark."""
    await stored_runs.write_parallel(store)
    detail = await _detail(store, "parallel")
    calls = _calls(detail)
    assert _labels(calls["w2"]) == ["repaired: trailing_comma"]
    assert (calls["f1"]["status"], _labels(calls["f1"])) == ("error", ["raised"])
    assert _labels(calls["f2"]) == ["retry of f1"]
    assert (calls["c2"]["status"], calls["c2"]["bar"], _labels(calls["c2"])) == (
        "cut",
        None,
        ["cut off"],
    )
    assert [m["label"] for m in detail["timeline"][2]["marks"]] == ["token limit"]
    assert detail["answer"].startswith("Tokyo 18 C")


async def test_arguments_that_are_not_json_are_kept_as_text(store: SQLiteStore) -> None:
    """A call's arguments come parsed when they are JSON, else as the text the model wrote."""
    await stored_runs.write_parallel(store)
    calls = _calls(await _detail(store, "parallel"))
    assert calls["w1"]["arguments"] == {"json": {"city": "Tokyo"}, "text": '{"city": "Tokyo"}'}
    assert calls["c2"]["arguments"] == {"json": None, "text": '{"celsius": 2'}


async def test_a_paused_run_lists_its_pending_calls(store: SQLiteStore) -> None:
    """A paused run's pending call is marked in its step and listed with its arguments."""
    await stored_runs.write_paused(store)
    detail = await _detail(store, "paused")
    calls = _calls(detail)
    assert (calls["d1"]["status"], _labels(calls["d1"])) == ("pending", ["waits for approval"])
    assert calls["w1"]["status"] == "finished"
    (pending,) = detail["pending_calls"]
    assert (pending["call_id"], pending["tool"], pending["reason"]) == (
        "d1",
        "delete_file",
        "deletes a file",
    )
    assert pending["arguments"]["json"] == {"path": "report.txt"}


async def test_a_call_refused_before_it_ran_takes_its_result_from_the_next_request(
    store: SQLiteStore,
) -> None:
    """A call with no row (an unknown tool) shows the error result the next request carried."""
    await stored_runs.write_xss(store)
    call = _calls(await _detail(store, "xss"))["x2"]
    assert (call["status"], call["bar"], _labels(call)) == ("error", None, ["unknown_tool"])
    assert call["result"]["content"] == f"No tool {stored_runs.XSS_TOOL}."


async def test_a_step_the_model_never_answered_is_marked(store: SQLiteStore) -> None:
    """A failed run's last step, begun and never answered, is marked so."""
    await stored_runs.write_failed(store)
    step = (await _detail(store, "failed"))["timeline"][1]
    assert (step["latency"], [m["label"] for m in step["marks"]]) == (None, ["no reply"])


async def test_a_running_step_is_drawn_up_to_now(store: SQLiteStore) -> None:
    """A running run's step waiting on the model reaches the axis's end (now)."""
    await stored_runs.write_live_start(store, "live")
    loaded = await store.load("live")
    step = run_detail(loaded, loaded.steps[0].started_at + 2.0)["timeline"][0]
    assert step["bar"] == {"left": 0.0, "width": 1.0}
    assert [m["label"] for m in step["marks"]] == ["waiting"]


async def test_a_call_started_and_never_finished_in_a_stopped_run_is_interrupted(
    store: SQLiteStore,
) -> None:
    """A call row still "started" in a run no longer running is marked interrupted."""
    await stored_runs.write_live_start(store, "crashed")
    await stored_runs.write_live_step(store, "crashed")
    await store.call_started("crashed", 0, "r2", "get_weather", '{"city": "Bari"}')
    await stored_runs.save(store, "crashed", [UserMessage(stored_runs.LIVE_PROMPT)], "failed")
    detail = await _detail(store, "crashed")
    call = _calls(detail)["r2"]
    assert (call["status"], _labels(call)) == ("interrupted", ["interrupted"])


async def test_a_call_started_again_after_a_crash_is_marked_as_re_run(store: SQLiteStore) -> None:
    """A call whose row was started twice shows how many times it ran."""
    await stored_runs.write_live_start(store, "rerun")
    await stored_runs.write_live_step(store, "rerun")
    await store.call_started("rerun", 0, "r2", "get_weather", "{}")
    await store.call_started("rerun", 0, "r2", "get_weather", "{}")
    result = {**message_to_json(ToolResult("r2", "get_weather", "1"))}
    await store.call_finished("rerun", 0, "r2", result)
    call = _calls(await _detail(store, "rerun"))["r2"]
    assert (call["attempts"], _labels(call)) == (2, ["re-run x2"])


async def test_a_state_of_a_newer_version_is_reported_not_raised(store: SQLiteStore) -> None:
    """A state this switchboard cannot read shows its reason; the steps still show."""
    await stored_runs.write_failed(store)
    await store.save_state("failed", '{"version": 99}', "failed")
    detail = await _detail(store, "failed")
    assert "version 99" in detail["state_error"]
    assert len(detail["timeline"]) == 2


async def test_the_fingerprint_changes_with_each_write(store: SQLiteStore) -> None:
    """Each write the loop makes changes the run's fingerprint (the live page's trigger)."""
    await stored_runs.write_live_start(store, "live")
    seen = {run_fingerprint(await store.load("live"))}
    turn = stored_runs.reply(calls=[ToolCall("r1", "get_weather", "{}")])
    await store.finish_step("live", 0, response_to_json(turn))
    seen.add(run_fingerprint(await store.load("live")))
    await store.call_started("live", 0, "r1", "get_weather", "{}")
    seen.add(run_fingerprint(await store.load("live")))
    await store.call_finished("live", 0, "r1", message_to_json(ToolResult("r1", "x", "1")))
    seen.add(run_fingerprint(await store.load("live")))
    assert len(seen) == 4


async def test_two_calls_of_one_tool_in_one_turn_are_no_retry_of_each_other(
    store: SQLiteStore,
) -> None:
    """When one of two parallel calls of a tool fails, the other is not marked a retry."""
    await stored_runs.write_live_start(store, "twice")
    calls = [ToolCall("t1", "convert", "{}"), ToolCall("t2", "convert", "{}")]
    await store.finish_step("twice", 0, response_to_json(stored_runs.reply(calls=calls)))
    results = [
        ToolResult("t1", "convert", "ValueError: no", True, "raised"),
        ToolResult("t2", "convert", "1.0"),
    ]
    await stored_runs.run_calls(store, "twice", 0, calls, results, parallel=True)
    marked = _calls(await _detail(store, "twice"))
    assert (_labels(marked["t1"]), _labels(marked["t2"])) == (["raised"], [])


async def test_a_result_stored_before_the_next_request_counts_as_an_error(
    store: SQLiteStore,
) -> None:
    """A failed call's stored result counts in the summary at once, before the next step."""
    await stored_runs.write_live_start(store, "failing")
    call = ToolCall("t1", "convert", "{}")
    await store.finish_step("failing", 0, response_to_json(stored_runs.reply(calls=[call])))
    failed = ToolResult("t1", "convert", "ValueError: no", True, "raised")
    await stored_runs.run_calls(store, "failing", 0, [call], [failed], parallel=False)
    assert run_summary(await store.load("failing"))["errors"] == 1
