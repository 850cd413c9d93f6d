"""Progress reports: a tool's RunContext.report_progress reaches the batch's listener."""

import threading

import pytest

from switchboard import RunContext, Toolbox, ToolCall, ToolProgress

pytestmark = pytest.mark.anyio


def _toolbox() -> Toolbox:
    toolbox = Toolbox()

    @toolbox.register
    async def fetch(pages: int, ctx: RunContext) -> int:
        for page in range(1, pages + 1):
            ctx.report_progress(page, pages, f"page {page}")
        return pages

    @toolbox.register
    def crunch(ctx: RunContext) -> int:
        ctx.report_progress(threading.get_ident())
        return threading.get_ident()

    return toolbox


async def test_an_async_tool_reports_reach_the_listener_with_the_call() -> None:
    """Each report carries the call's id and tool name, in the order made."""
    reports: list[ToolProgress] = []
    calls = [ToolCall("c1", "fetch", '{"pages": 2}')]
    await _toolbox().execute(calls, on_progress=reports.append)
    assert reports == [
        ToolProgress("c1", "fetch", 1, 2, "page 1"),
        ToolProgress("c1", "fetch", 2, 2, "page 2"),
    ]


async def test_a_sync_tool_reports_from_its_worker_thread() -> None:
    """A sync tool's report is made, and heard, in the thread the tool runs in."""
    heard_in: list[int] = []

    def listen(report: ToolProgress) -> None:
        heard_in.append(threading.get_ident())

    (result,) = await _toolbox().execute([ToolCall("c1", "crunch", "{}")], on_progress=listen)
    assert heard_in == [result.value]
    assert result.value != threading.get_ident()


async def test_reports_with_no_listener_go_nowhere() -> None:
    """Without a listener, report_progress does nothing and the call succeeds."""
    (result,) = await _toolbox().execute([ToolCall("c1", "fetch", '{"pages": 3}')])
    assert (result.is_error, result.content) == (False, "3")


def test_execute_sync_passes_the_listener_on() -> None:
    """execute_sync takes on_progress as execute does."""
    reports: list[ToolProgress] = []
    _toolbox().execute_sync([ToolCall("c1", "fetch", '{"pages": 1}')], on_progress=reports.append)
    assert [report.message for report in reports] == ["page 1"]
