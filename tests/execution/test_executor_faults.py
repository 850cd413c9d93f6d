"""The executor under faults: blocked sync tools, exits, failing hooks, odd return values."""

from __future__ import annotations

import asyncio
import itertools
import json
import sys
import threading
from collections.abc import Callable, Iterator
from typing import Any

import pytest

from switchboard import Executor, ExecutorState, Tool, Toolbox, ToolCall, ToolResult
from switchboard.execution.threads import ToolThreads

pytestmark = pytest.mark.anyio

# Generous bounds for work that must finish: if one is hit, the test fails instead of hanging.
GUARD = 30.0


def call(name: str, arguments: str = "{}", id: str = "c1") -> ToolCall:
    return ToolCall(id=id, name=name, arguments=arguments)


def in_thread(work: Callable[[], Any]) -> Any:
    """Run ``work`` in a thread and return what it returned; fail if it has not within GUARD."""
    box: list[Any] = []
    thread = threading.Thread(target=lambda: box.append(work()), daemon=True)
    thread.start()
    thread.join(GUARD)
    assert not thread.is_alive(), "the call did not return: it hangs on the blocked tool"
    return box[0]


@pytest.fixture
def release() -> Iterator[threading.Event]:
    """An event blocked tools wait on; set at the end so their threads finish."""
    event = threading.Event()
    yield event
    event.set()


def test_execute_sync_returns_on_time_with_a_blocked_sync_tool(release: threading.Event) -> None:
    """A sync tool that never returns times out, and execute_sync returns with the result."""

    def blocked() -> str:
        """Blocks until released."""
        release.wait()
        return "late"

    tools = Toolbox()
    tools.register(blocked, timeout=0.1)
    (result,) = in_thread(lambda: tools.execute_sync([call("blocked")]))
    assert result.error_kind == "timeout"
    assert "did not finish within its 0.1 s time limit" in result.content


def test_execute_sync_returns_on_time_under_a_batch_timeout(release: threading.Event) -> None:
    """The batch timeout holds for execute_sync too: the asyncio.run exit does not wait."""

    def blocked() -> None:
        """Blocks until released."""
        release.wait()

    tools = Toolbox([blocked, lambda_free_add])
    results = in_thread(
        lambda: tools.execute_sync(
            [call("blocked"), call("lambda_free_add", '{"a": 1, "b": 2}', "c2")], timeout=0.1
        )
    )
    assert [r.error_kind for r in results] == ["timeout", None]
    assert results[1].content == "3"


def lambda_free_add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


async def test_sync_tools_reach_max_concurrency_whatever_the_machine(
    release: threading.Event,
) -> None:
    """Ten sync calls with max_concurrency=10 all run at once (a default pool would cap them)."""
    barrier = threading.Barrier(10, timeout=GUARD)

    def meet() -> int:
        """Waits until ten run at once."""
        return barrier.wait()

    tools = Toolbox([meet])
    results = await tools.execute(
        [call("meet", "{}", str(i)) for i in range(10)], max_concurrency=10
    )
    assert not any(r.is_error for r in results), [r.content for r in results]
    assert sorted(r.value for r in results) == list(range(10))


async def test_threads_held_by_timed_out_calls_do_not_starve_healthy_calls(
    release: threading.Event,
) -> None:
    """Four calls stuck past their timeout leave full concurrency to the calls after them."""

    def stuck() -> None:
        """Blocks until released."""
        release.wait()

    barrier = threading.Barrier(4, timeout=GUARD)

    def meet() -> int:
        """Waits until four run at once."""
        return barrier.wait()

    tools = Toolbox([meet])
    tools.register(stuck, timeout=0.05)
    executor = Executor(max_concurrency=4)
    first = await executor.execute(tools, [call("stuck", "{}", str(i)) for i in range(4)])
    assert {r.error_kind for r in first} == {"timeout"}
    assert executor.threads.abandoned == 4
    second = await executor.execute(tools, [call("meet", "{}", str(i)) for i in range(4)])
    assert not any(r.is_error for r in second), [r.content for r in second]


async def test_a_call_that_could_not_start_is_reported_as_not_started(
    release: threading.Event,
) -> None:
    """With every thread held by stuck calls, a new call never runs and says why."""
    ran: list[str] = []

    def stuck() -> None:
        """Blocks until released."""
        release.wait()

    def healthy() -> str:
        """Returns at once."""
        ran.append("healthy")
        return "ok"

    tools = Toolbox()
    tools.register(stuck, timeout=0.05)
    tools.register(healthy, timeout=0.2)
    executor = Executor(max_concurrency=1)  # one thread, and one to stand in for a stuck one
    for i in range(2):
        (result,) = await executor.execute(tools, [call("stuck", "{}", str(i))])
        assert result.error_kind == "timeout"
    (refused,) = await executor.execute(tools, [call("healthy")])
    assert refused.error_kind == "not_started"
    assert refused.content == (
        "Not run: healthy could not start within its 0.2 s time limit, because all 1 worker "
        "threads for sync tools were busy, 2 of them with calls that timed out and are still "
        "running. Call it again later."
    )
    assert ran == []
    release.set()
    (later,) = await executor.execute(tools, [call("healthy")])
    assert (later.content, ran) == ("ok", ["healthy"])


async def test_a_call_waiting_for_its_tool_slot_past_the_deadline_is_not_started() -> None:
    """A call queued behind its tool's max_concurrency when the batch's time runs out never ran."""
    gate = asyncio.Event()
    started: list[str] = []

    async def slow(tag: str) -> str:
        """Waits for the gate."""
        started.append(tag)
        await gate.wait()
        return tag

    tools = Toolbox()
    tools.register(slow, max_concurrency=1)
    results = await tools.execute(
        [call("slow", '{"tag": "a"}', "a"), call("slow", '{"tag": "b"}', "b")], timeout=0.1
    )
    assert [r.error_kind for r in results] == ["timeout", "not_started"]
    assert "because 1 calls of it were already running" in results[1].content
    assert started == ["a"]


def test_thread_pool_runs_exactly_its_size_at_once() -> None:
    """The pool runs ``size`` calls at once, on ``size`` threads: never fewer, never more.

    Each call waits until three run together, so a pool of fewer threads never gets past
    the first calls (the wait times out, the test fails); thirty queued calls would start
    more threads in a pool that let more run.
    """
    threads = ToolThreads(3)
    together = threading.Condition()
    active = peak = 0

    def work() -> None:
        nonlocal active, peak
        with together:
            active += 1
            peak = max(peak, active)
            together.notify_all()
            assert together.wait_for(lambda: peak >= 3, timeout=GUARD), "never 3 at once"
            active -= 1

    async def many() -> None:
        await asyncio.gather(*(threads.run(work, (), {}) for _ in range(30)))

    asyncio.run(many())
    assert peak == 3
    assert threads.alive == 3


@pytest.mark.parametrize("inline", [True, False])
async def test_sys_exit_in_a_tool_fails_only_its_call(inline: bool) -> None:
    """A tool calling sys.exit gets an error result; the batch's other calls keep theirs."""

    def quit_now() -> None:
        """Exits the program."""
        sys.exit(3)

    tools = Toolbox([lambda_free_add])
    tools.register(quit_now, inline=inline)
    results = await tools.execute(
        [call("lambda_free_add", '{"a": 1, "b": 1}', "a"), call("quit_now", "{}", "b")]
    )
    assert results[0].content == "2"
    assert (results[1].error_kind, results[1].content) == (
        "raised",
        "quit_now raised SystemExit: 3",
    )


async def test_after_hook_that_raises_keeps_every_other_result() -> None:
    """An after-hook failing on one result withholds that result only, saying the call ran."""
    ran: list[int] = []

    def record(a: int, b: int) -> int:
        """Adds and remembers that it ran."""
        ran.append(a)
        return a + b

    def picky(call: ToolCall, result: ToolResult) -> None:
        if call.id == "bad":
            message = "redaction failed"
            raise RuntimeError(message)

    results = await Toolbox([record]).execute(
        [
            call("record", '{"a": 1, "b": 1}', "ok1"),
            call("record", '{"a": 2, "b": 2}', "bad"),
            call("record", '{"a": 3, "b": 3}', "ok2"),
        ],
        after=[picky],
    )
    assert sorted(ran) == [1, 2, 3]
    assert [r.content for r in (results[0], results[2])] == ["2", "6"]
    withheld = results[1]
    assert (withheld.is_error, withheld.error_kind, withheld.value) == (True, "raised", None)
    assert withheld.content == (
        "record ran, and its call took effect: do not repeat it. Its result cannot be shown: "
        "checking it raised RuntimeError. Answer with what you have, or tell the user."
    )


async def test_a_value_json_cannot_hold_is_still_a_successful_result() -> None:
    """Bytes inside a dict, a cycle, NaN: the call succeeded, and the result says what it can."""

    def odd() -> dict[str, Any]:
        """Returns awkward values."""
        value: dict[str, Any] = {"raw": b"\xff\x00", "ratio": float("nan"), "text": b"hi"}
        value["self"] = value
        return value

    (result,) = await Toolbox([odd]).execute([call("odd")])
    assert not result.is_error
    assert json.loads(result.content) == {
        "raw": "base64:/wA=",
        "ratio": "NaN",
        "text": "hi",
        "self": "<cycle>",
    }


async def test_an_endless_iterator_result_is_read_only_up_to_the_size_limit() -> None:
    """A tool returning itertools.count() gets a bounded result, marked as cut."""

    def forever() -> Iterator[int]:
        """Counts without end."""
        return itertools.count()

    (result,) = await Toolbox([forever]).execute([call("forever")], max_result_chars=100)
    assert not result.is_error
    text, marker = result.content.split("\n")
    assert len(text) == 100
    assert text.startswith("[0,1,2,3,")
    assert marker == "[truncated: the first 100 characters shown]"


async def test_failing_calls_of_one_turn_count_as_one_try() -> None:
    """Three bad calls in one batch are one failed turn, not three in a row."""
    tools = Toolbox([lambda_free_add])
    state = ExecutorState()
    bad = [call("lambda_free_add", '{"a": "x"}', str(i)) for i in range(3)]
    first = await tools.execute(bad, state=state)
    assert {r.error_kind for r in first} == {"invalid"}
    assert state.failures == {"lambda_free_add": 1}
    await tools.execute(bad, state=state)
    third = await tools.execute(bad, state=state)  # max_retries=2: the third turn is one too many
    assert {r.error_kind for r in third} == {"retries_exhausted"}
    assert "has now failed in 3 turns in a row" in third[0].content


class RecordingTool(Tool):
    """A tool that records the thread its cut-off arguments are judged on."""

    threads: list[int]

    def accepts(self, arguments: Any) -> bool:
        self.threads.append(threading.get_ident())
        return super().accepts(arguments)


async def test_large_arguments_are_repaired_off_the_event_loop() -> None:
    """Repairing arguments of over 64 kB happens in a worker thread, not on the loop."""
    base = Tool.from_function(lambda_free_add)
    tool = RecordingTool(base.name, base.description, base.parameters, base.handler)
    object.__setattr__(tool, "_validator", base._validator)  # pyright: ignore[reportPrivateUsage]
    object.__setattr__(tool, "threads", [])
    padding = "x" * 70_000
    raw = f'{{"a": 1, "b": 2, "note": "{padding}", '  # cut between two properties
    (result,) = await Toolbox([tool]).execute([call("lambda_free_add", raw)])
    assert result.error_kind == "unparsable"  # closed, 'note' is no parameter: refused
    assert tool.threads
    assert threading.get_ident() not in tool.threads


async def test_a_number_too_large_for_a_float_parameter_is_invalid() -> None:
    """1e400 would reach a float parameter as inf: the validator refuses it."""

    def scale(factor: float) -> float:
        """Scale."""
        return factor

    (result,) = await Toolbox([scale]).execute([call("scale", '{"factor": 1e400}')])
    assert result.error_kind == "invalid"
    assert "finite number" in result.content
