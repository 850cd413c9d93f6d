"""Calls that wait (for a human, for the application), and the recorder told of each call."""

import pytest

from switchboard import (
    ApprovalRequired,
    CallDeferred,
    ExecutorState,
    PendingCall,
    RunContext,
    Tool,
    Toolbox,
    ToolCall,
    ToolResult,
)

pytestmark = pytest.mark.anyio


def tools(log: list[str]) -> Toolbox:
    box = Toolbox()

    @box.register
    def add(a: int, b: int) -> int:
        """Add."""
        log.append("add")
        return a + b

    @box.register(requires_approval=True)
    def pay(cents: int) -> str:
        """Pay."""
        log.append("pay")
        return "paid"

    @box.register(external=True)
    def mail(to: str) -> str:
        """Mail (run by the application)."""
        log.append("mail")
        return "mailed"

    @box.register
    async def check(ctx: RunContext[None], n: int) -> str:
        """Asks unless approved."""
        if not ctx.approved:
            reason = "check needs a yes"
            raise ApprovalRequired(reason)
        log.append("check")
        return "checked"

    @box.register
    def render(job: str) -> str:
        """Hands its call over."""
        reason = "rendered elsewhere"
        raise CallDeferred(reason)

    return box


class Recorder:
    def __init__(self) -> None:
        self.heard: list[tuple[str, str]] = []

    async def started(self, call: ToolCall, tool: Tool) -> None:
        self.heard.append(("started", call.id))

    async def finished(self, call: ToolCall, result: ToolResult) -> None:
        self.heard.append(("finished", call.id))


async def test_calls_that_wait_go_to_the_pending_calls_and_do_not_run() -> None:
    """With a place for pending calls, each waiting call is put there; the others run."""
    log: list[str] = []
    state = ExecutorState(pending={})
    calls = [
        ToolCall("a", "add", '{"a": 1, "b": 2}'),
        ToolCall("p", "pay", '{"cents": 5}'),
        ToolCall("m", "mail", '{"to": "ada"}'),
        ToolCall("c", "check", '{"n": 1}'),
        ToolCall("r", "render", '{"job": "x"}'),
    ]
    results = await tools(log).execute(calls, state=state)
    assert log == ["add"]
    assert results[0].content == "3"
    assert state.pending == {
        "p": PendingCall("p", "pay", '{"cents": 5}', "", "approval"),
        "m": PendingCall("m", "mail", '{"to": "ada"}', "", "external"),
        "c": PendingCall("c", "check", '{"n": 1}', "check needs a yes", "approval"),
        "r": PendingCall("r", "render", '{"job": "x"}', "rendered elsewhere", "external"),
    }


async def test_an_approved_call_runs_without_asking_again() -> None:
    """A call whose id is in ExecutorState.approved runs; RunContext.approved says so."""
    log: list[str] = []
    state = ExecutorState(pending={}, approved=frozenset({"p", "c"}))
    calls = [ToolCall("p", "pay", '{"cents": 5}'), ToolCall("c", "check", '{"n": 1}')]
    results = await tools(log).execute(calls, state=state)
    assert ([r.content for r in results], state.pending) == (["paid", "checked"], {})


async def test_an_external_call_outside_a_run_is_refused() -> None:
    """With no place for pending calls (a plain execute), an external call is refused."""
    log: list[str] = []
    (result,) = await tools(log).execute([ToolCall("m", "mail", '{"to": "ada"}')])
    assert (result.error_kind, log) == ("denied", [])
    assert "run by the application" in result.content


async def test_a_tool_asking_for_approval_outside_a_run_is_refused_with_its_reason() -> None:
    """ApprovalRequired from a tool with no place for pending calls: denied, with the reason."""
    (result,) = await tools([]).execute([ToolCall("c", "check", '{"n": 1}')])
    assert (result.error_kind, result.is_error) == ("denied", True)
    assert result.content.endswith("check needs a yes")


async def test_the_recorder_hears_of_each_call_that_runs_before_and_after() -> None:
    """The recorder is told a call starts and finishes, only for calls whose code runs."""
    recorder = Recorder()
    state = ExecutorState(pending={}, recorder=recorder)
    calls = [
        ToolCall("a", "add", '{"a": 1, "b": 2}'),
        ToolCall("bad", "add", '{"a": "x"}'),
        ToolCall("p", "pay", '{"cents": 5}'),
    ]
    await tools([]).execute(calls, state=state, max_concurrency=1)
    assert recorder.heard == [("started", "a"), ("finished", "a")]


async def test_a_call_whose_start_the_recorder_refuses_does_not_run() -> None:
    """A recorder that raises on a call's start keeps the call from running."""
    log: list[str] = []

    class Refusing(Recorder):
        async def started(self, call: ToolCall, tool: Tool) -> None:
            message = "no room on disk"
            raise OSError(message)

    state = ExecutorState(pending={}, recorder=Refusing())
    (result,) = await tools(log).execute([ToolCall("a", "add", '{"a": 1, "b": 2}')], state=state)
    assert (result.is_error, log) == (True, [])
    assert "no room on disk" in result.content
