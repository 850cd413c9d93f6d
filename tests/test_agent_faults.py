"""The loop under faults: cut replies, filtered replies, failing providers, time limits."""

from __future__ import annotations

import asyncio
import threading
from collections.abc import AsyncIterator, Iterator

import pytest

from switchboard import (
    Agent,
    AssistantTurn,
    ConfigurationError,
    ModelRequest,
    ModelResponse,
    ProviderRequestError,
    ProviderUnavailableError,
    RunError,
    RunTimeoutError,
    ScriptedModel,
    StreamEvent,
    SwitchboardError,
    TextDelta,
    Tool,
    ToolCall,
    ToolCallReady,
    ToolCallStart,
    ToolResult,
    Usage,
    UserMessage,
)
from switchboard.streaming import RunEnd, ToolCallCut, ToolResultEvent

pytestmark = pytest.mark.anyio


class Bank:
    """Tools with side effects, recording every call that ran."""

    def __init__(self) -> None:
        self.transfers: list[tuple[str, int]] = []

    def transfer(self, account: str, amount: int) -> str:
        """Move money to an account."""
        self.transfers.append((account, amount))
        return f"sent {amount} to {account}"


def reply(*calls: ToolCall, stop: str = "tool_calls", text: str = "") -> ModelResponse:
    return ModelResponse(AssistantTurn(text, calls), Usage(1, 1, 1), stop)  # type: ignore[arg-type]


def transfer(call_id: str, arguments: str) -> ToolCall:
    return ToolCall(call_id, "transfer", arguments)


async def test_a_call_cut_at_the_token_limit_never_runs() -> None:
    """A whole reply stopped by length: its last call is cut, never run, and the model told."""
    bank = Bank()
    model = ScriptedModel(
        [
            reply(
                transfer("c1", '{"account": "ACC-1", "amount": 5}'),
                transfer("c2", '{"account": "ACC-12'),  # ACC-1234, cut
                stop="length",
            ),
            "Done.",
        ]
    )
    result = await Agent(model, tools=[bank.transfer]).run("Pay both.")
    assert bank.transfers == [("ACC-1", 5)]
    results = [m for m in model.requests[1].messages if isinstance(m, ToolResult)]
    assert [r.content for r in results] == [
        "sent 5 to ACC-1",
        "Not run: your reply reached the output token limit before this call's arguments "
        "were complete. Make the call again, with shorter arguments.",
    ]
    turn = result.messages[1]
    assert isinstance(turn, AssistantTurn)
    assert turn.tool_calls[1].arguments == {}  # nothing made up is kept in the history
    assert result.stop_reason == "answer"


async def test_a_number_cut_at_the_token_limit_is_not_read_as_a_smaller_one() -> None:
    """An amount of 1000 cut to 10 never runs, and the history does not say 10."""
    bank = Bank()
    model = ScriptedModel(
        [reply(transfer("c1", '{"account": "ACC-1", "amount": 10'), stop="length"), "ok"]
    )
    result = await Agent(model, tools=[bank.transfer]).run("Pay.")
    assert bank.transfers == []
    turn = result.messages[1]
    assert isinstance(turn, AssistantTurn)
    assert turn.tool_calls[0].arguments == {"account": "ACC-1"}


async def test_on_cut_off_stop_ends_the_run_after_a_cut_whole_reply() -> None:
    """With on_cut_off='stop' a whole reply with a cut call ends the run as 'length'."""
    bank = Bank()
    model = ScriptedModel([reply(transfer("c1", '{"account": "A'), stop="length")])
    result = await Agent(model, tools=[bank.transfer], on_cut_off="stop").run("Pay.")
    assert (result.stop_reason, bank.transfers) == ("length", [])


async def test_calls_of_a_reply_that_ended_in_an_error_never_run() -> None:
    """A whole reply stopped by 'error' may hold any half-written call: none runs."""
    bank = Bank()
    model = ScriptedModel(
        [reply(transfer("c1", '{"account": "A", "amount": 1}'), stop="error"), "ok"]
    )
    await Agent(model, tools=[bank.transfer]).run("Pay.")
    assert bank.transfers == []


async def test_a_provider_that_says_which_calls_are_cut_is_believed() -> None:
    """cut_calls given: a length reply's other calls run, whatever their position."""
    bank = Bank()
    cut = reply(
        transfer("c1", '{"account": "A", "amount": 1}'),
        transfer("c2", '{"account": "B", "amount": 2}'),
        stop="length",
    )
    model = ScriptedModel(
        [ModelResponse(cut.turn, cut.usage, "length", cut_calls=frozenset()), "ok"]
    )
    await Agent(model, tools=[bank.transfer]).run("Pay.")
    assert bank.transfers == [("A", 1), ("B", 2)]


@pytest.mark.parametrize("streaming", [False, True])
async def test_a_reply_stopped_by_the_content_filter_runs_none_of_its_calls(
    streaming: bool,
) -> None:
    """content_filter: every call is answered 'not run', and the run ends so."""
    bank = Bank()
    model = ScriptedModel(
        [reply(transfer("c1", '{"account": "A", "amount": 1}'), stop="content_filter")]
    )
    agent = Agent(model, tools=[bank.transfer], early_execution=False)
    if streaming:
        events = [event async for event in agent.run_stream("Pay.")]
        end = events[-1]
        assert isinstance(end, RunEnd)
        result = end.result
    else:
        result = await agent.run("Pay.")
    assert bank.transfers == []
    assert result.stop_reason == "content_filter"
    assert result.messages[-1] == ToolResult(
        "c1",
        "transfer",
        "Not run: the provider's content filter stopped this reply, so none of its calls were run.",
        is_error=True,
        error_kind="denied",
    )


async def test_a_cut_call_streams_as_cut_from_a_whole_reply() -> None:
    """The scripted model streams the same rule: the cut call is ToolCallCut, never run."""
    bank = Bank()
    model = ScriptedModel(
        [reply(transfer("c1", '{"account": "ACC-1", "amount": 1000}'), stop="length"), "ok"]
    )
    events = [e async for e in Agent(model, tools=[bank.transfer]).run_stream("Pay.")]
    assert [e.call.id for e in events if isinstance(e, ToolCallCut)] == ["c1"]
    assert bank.transfers == []
    assert [e.result.error_kind for e in events if isinstance(e, ToolResultEvent)] == ["unparsable"]


class FailsOnSecondRequest:
    """A script: a call first, then the provider fails (or anything else raises)."""

    def __init__(self, error: Exception) -> None:
        self.error = error
        self.seen = 0

    def __call__(self, request: ModelRequest) -> ModelResponse:
        self.seen += 1
        if self.seen == 1:
            return reply(transfer("c1", '{"account": "A", "amount": 7}'))
        raise self.error


async def test_a_provider_error_after_calls_ran_carries_the_run_so_far() -> None:
    """The error raised out of the run holds the calls that ran and their results."""
    bank = Bank()
    failure = ProviderUnavailableError("scripted", "down", status_code=503)
    model = ScriptedModel(FailsOnSecondRequest(failure))
    agent = Agent(model, tools=[bank.transfer])
    with pytest.raises(ProviderUnavailableError) as caught:
        await agent.run("Pay A 7.")
    partial = caught.value.result
    assert partial.stop_reason == "error"
    assert partial.messages[-1] == ToolResult(
        "c1", "transfer", "sent 7 to A", duration=partial.messages[-1].duration, value="sent 7 to A"
    )
    assert len(partial.steps) == 1
    # Continuing from it does not repeat the transfer.
    again = ScriptedModel(["Sent."])
    final = await Agent(again, tools=[bank.transfer]).run(messages=partial.messages)
    assert (final.output, bank.transfers) == ("Sent.", [("A", 7)])


async def test_an_unexpected_exception_in_a_run_is_a_run_error_with_the_run_so_far() -> None:
    """A non-switchboard exception is raised as RunError from it, result attached."""
    bank = Bank()
    model = ScriptedModel(FailsOnSecondRequest(KeyError("boom")))
    with pytest.raises(RunError) as caught:
        await Agent(model, tools=[bank.transfer]).run("Pay.")
    assert isinstance(caught.value.__cause__, KeyError)
    assert isinstance(caught.value, SwitchboardError)
    assert [type(m).__name__ for m in caught.value.result.messages] == [
        "UserMessage",
        "AssistantTurn",
        "ToolResult",
    ]


async def test_a_streamed_run_that_fails_carries_its_results_too() -> None:
    """run_stream raising mid-run holds the run so far as run does."""
    bank = Bank()
    failure = ProviderUnavailableError("scripted", "down")
    model = ScriptedModel(FailsOnSecondRequest(failure))
    with pytest.raises(ProviderUnavailableError) as caught:
        async for _ in Agent(model, tools=[bank.transfer]).run_stream("Pay."):
            pass
    assert caught.value.result.messages[-1].content == "sent 7 to A"


def test_run_sync_inside_a_running_loop_says_to_await_run() -> None:
    """run_sync from async code is a clear ConfigurationError, not asyncio's RuntimeError."""
    agent = Agent(ScriptedModel(["hi"]))

    async def inside() -> None:
        with pytest.raises(ConfigurationError, match=r"use `await agent\.run\(\.\.\.\)`"):
            agent.run_sync("hi")

    asyncio.run(inside())


def test_agent_timeout_is_refused_as_ambiguous() -> None:
    """Agent(timeout=...) names the three limits instead of silently meaning one."""
    with pytest.raises(ConfigurationError, match=r"tool_timeout=.*request_timeout=.*run_timeout="):
        Agent(ScriptedModel(["hi"]), timeout=5)  # type: ignore[call-arg]


@pytest.mark.parametrize("name", ["request_timeout", "run_timeout", "tool_timeout"])
def test_time_limits_must_be_positive(name: str) -> None:
    """A zero or negative limit is a ConfigurationError naming it."""
    with pytest.raises(ConfigurationError, match=f"{name} must be a positive number"):
        Agent(ScriptedModel(["hi"]), **{name: 0})  # type: ignore[arg-type]


@pytest.fixture
def release() -> Iterator[threading.Event]:
    event = threading.Event()
    yield event
    event.set()


def test_run_sync_returns_at_the_tool_timeout_with_a_blocked_sync_tool(
    release: threading.Event,
) -> None:
    """A sync tool that never returns: run_sync still ends, the model told of the timeout."""

    def blocked() -> str:
        """Blocks until released."""
        release.wait()
        return "late"

    model = ScriptedModel([ToolCall("c1", "blocked", "{}"), "It timed out."])
    box: list[object] = []
    agent = Agent(model, tools=[blocked], tool_timeout=0.1)
    thread = threading.Thread(target=lambda: box.append(agent.run_sync("Go.")), daemon=True)
    thread.start()
    thread.join(30)
    assert not thread.is_alive(), "run_sync hangs on the blocked tool"
    result = box[0]
    assert result.output == "It timed out."  # type: ignore[attr-defined]


async def test_run_timeout_ends_the_run_with_what_it_did(release: threading.Event) -> None:
    """Past run_timeout the running calls get timeouts and RunTimeoutError carries them."""

    def blocked() -> str:
        """Blocks until released."""
        release.wait()
        return "late"

    model = ScriptedModel([ToolCall("c1", "blocked", "{}"), "never asked"])
    with pytest.raises(RunTimeoutError) as caught:
        await Agent(model, tools=[blocked], run_timeout=0.2).run("Go.")
    assert str(caught.value).startswith("The run passed its run_timeout of 0.2 s.")
    last = caught.value.result.messages[-1]
    assert (last.error_kind, last.content) == (
        "timeout",
        "blocked did not finish within the run's time limit.",
    )
    assert len(model.requests) == 1
    assert isinstance(caught.value, TimeoutError)


async def test_the_run_deadline_reaches_the_provider() -> None:
    """Each request carries the run's deadline and the agent's request_timeout."""
    model = ScriptedModel(["hi"])
    loop = asyncio.get_running_loop()
    before = loop.time()
    await Agent(model, request_timeout=7, run_timeout=60).run("hi")
    request = model.requests[0]
    assert request.request_timeout == 7
    assert request.deadline is not None
    assert before + 60 <= request.deadline <= loop.time() + 60
    assert UserMessage("hi") in request.messages


class BreaksAfterACall:
    """A provider whose stream hands over one whole call, then fails for good."""

    name = "breaking"
    model = "breaking"

    def __init__(self, started: asyncio.Event) -> None:
        self.started = started

    async def complete(self, request: ModelRequest) -> ModelResponse:
        raise NotImplementedError

    async def stream(
        self, request: ModelRequest, *, partial_args: bool = False
    ) -> AsyncIterator[StreamEvent]:
        yield TextDelta("Paying. ")
        yield ToolCallStart("c1", "transfer")
        yield ToolCallReady(transfer("c1", '{"account": "A", "amount": 3}'))
        await self.started.wait()  # the call has started early
        refused = "the request was refused half-way"
        raise ProviderRequestError(self.name, refused)


async def test_a_failure_after_an_early_call_keeps_that_call_in_the_result() -> None:
    """The run so far holds the call that ran early and its result: it will not be repeated."""
    bank = Bank()
    started = asyncio.Event()

    def transfer_and_signal(account: str, amount: int) -> str:
        """Move money to an account."""
        started.set()
        return bank.transfer(account, amount)

    agent = Agent(
        BreaksAfterACall(started),
        tools=[Tool.from_function(transfer_and_signal, name="transfer", inline=True)],
    )
    with pytest.raises(ProviderRequestError) as caught:
        async for _ in agent.run_stream("Pay A 3."):
            pass
    assert bank.transfers == [("A", 3)]
    turn, result = caught.value.result.messages[-2:]
    assert turn == AssistantTurn("Paying. ", (transfer("c1", '{"account": "A", "amount": 3}'),))
    assert (result.call_id, result.content, result.is_error) == ("c1", "sent 3 to A", False)


async def test_a_call_still_running_when_the_run_fails_is_reported_interrupted() -> None:
    """A call the failure stopped mid-way is in the result as interrupted: it may have acted."""
    started = asyncio.Event()

    async def transfer(account: str, amount: int) -> str:
        """Move money to an account."""
        started.set()
        await asyncio.Event().wait()  # still running when the stream fails
        return "never"

    agent = Agent(BreaksAfterACall(started), tools=[transfer])
    with pytest.raises(ProviderRequestError) as caught:
        async for _ in agent.run_stream("Pay A 3."):
            pass
    result = caught.value.result.messages[-1]
    assert (result.call_id, result.is_error, result.error_kind) == ("c1", True, "interrupted")
