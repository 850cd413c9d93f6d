"""Runs written to a real store as the loop writes them (RUNS.md's addendum), for the viewer.

Each step's request holds the messages added since the previous request, its response is
`response_to_json` of a `ModelResponse`, each call row's result is `message_to_json` of
its `ToolResult`, and the state is `RunState.to_json`. The times are the store's own: the
calls of a parallel turn are all started before any is finished, so they overlap.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from typing import Any

from switchboard.messages import (
    AssistantTurn,
    Message,
    ModelResponse,
    StopReason,
    SystemMessage,
    ToolCall,
    ToolResult,
    Usage,
    UserMessage,
)
from switchboard.runs.approval import PendingCall
from switchboard.runs.codec import message_to_json, response_to_json
from switchboard.runs.state import RunState, RunStatus, schema_hash
from switchboard.runs.store import RunStore

TOOLS = {
    name: schema_hash(
        {"type": "object", "properties": {"x": {"type": "string"}, "n": {"const": i}}}
    )
    for i, name in enumerate(["get_weather", "get_forecast", "convert", "delete_file", "lookup"])
}
MODEL = "gpt-4.1-mini"

Wait = Callable[[float], Awaitable[None]]
"""Waits the seconds given: what a model or a tool would take (for a screenshot)."""


async def no_wait(seconds: float) -> None:
    """Takes no time: the store's own writes space the events."""
    del seconds


def request(messages: Sequence[Message], tools: Sequence[str] = tuple(TOOLS)) -> dict[str, Any]:
    """A step's request: the messages added since the last one, and the tools offered."""
    return {
        "messages": [message_to_json(m) for m in messages],
        "tools": [[name, TOOLS.get(name, "0" * 64)] for name in tools],
        "tool_choice": "auto",
        "settings": {"max_tokens": 256},
    }


def reply(
    text: str = "",
    calls: Sequence[ToolCall] = (),
    stop: StopReason = "tool_calls",
    *,
    model: str = MODEL,
    tokens: tuple[int, int] = (120, 30),
) -> ModelResponse:
    """A model's response."""
    return ModelResponse(AssistantTurn(text, tuple(calls)), Usage(*tokens, 1), stop, model)


async def run_calls(
    store: RunStore,
    run_id: str,
    step: int,
    calls: Sequence[ToolCall],
    results: Sequence[ToolResult],
    *,
    parallel: bool,
    wait: Wait = no_wait,
) -> None:
    """Record ``calls`` as run: all started before any finishes, or one after the other."""
    by_id = {c.id: c for c in calls}
    if parallel:
        for result in results:
            arguments = by_id[result.call_id].arguments
            await store.call_started(run_id, step, result.call_id, result.name, arguments)
            await wait(0.05)
        for result in results:
            await wait(0.2)
            await store.call_finished(run_id, step, result.call_id, message_to_json(result))
        return
    for result in results:
        arguments = by_id[result.call_id].arguments
        await store.call_started(run_id, step, result.call_id, result.name, arguments)
        await wait(0.25)
        await store.call_finished(run_id, step, result.call_id, message_to_json(result))


def call(call_id: str, name: str, arguments: str) -> ToolCall:
    """A tool call."""
    return ToolCall(call_id, name, arguments)


async def step(
    store: RunStore,
    run_id: str,
    index: int,
    added: Sequence[Message],
    response: ModelResponse,
    wait: Wait = no_wait,
) -> None:
    """Record one step's request and response."""
    await store.begin_step(run_id, index, request(added))
    await wait(0.6)
    await store.finish_step(run_id, index, response_to_json(response))


async def save(
    store: RunStore,
    run_id: str,
    messages: Sequence[Message],
    status: RunStatus,
    pending: Sequence[PendingCall] = (),
) -> None:
    """Save the run's state."""
    state = RunState(
        run_id=run_id,
        messages=tuple(messages),
        pending=tuple(pending),
        iteration=sum(1 for m in messages if isinstance(m, AssistantTurn)),
        status=status,
    )
    await store.save_state(run_id, state.to_json(), status)


async def write_parallel(store: RunStore, run_id: str = "parallel", wait: Wait = no_wait) -> None:
    """A finished run of four steps, each with its own marks.

    Three parallel calls (one repaired); two calls one after the other (one raised); the
    failed tool retried beside a call cut off at the token limit; an answer.
    """
    await store.create_run(run_id, {"model": f"openai:{MODEL}"})
    system = SystemMessage("You report the weather.")
    user = UserMessage("Weather in Tokyo, Paris and Lima, and Lima's forecast in fahrenheit?")
    weather = [
        call(f"w{i}", "get_weather", f'{{"city": "{city}"}}')
        for i, city in enumerate(["Tokyo", "Paris", "Lima"], 1)
    ]
    turn0 = reply(calls=weather)
    await step(store, run_id, 0, [system, user], turn0, wait)
    results0 = [
        ToolResult("w1", "get_weather", '{"temp": 18}', duration=0.01, value={"temp": 18}),
        ToolResult("w2", "get_weather", '{"temp": 12}', repaired=("trailing_comma",)),
        ToolResult("w3", "get_weather", '{"temp": 21}', value={"temp": 21}),
    ]
    await run_calls(store, run_id, 0, weather, results0, parallel=True, wait=wait)

    turn1 = reply(
        calls=[
            call("f1", "get_forecast", '{"city": "Lima"}'),
            call("c1", "convert", '{"celsius": 21}'),
        ]
    )
    await step(store, run_id, 1, [turn0.turn, *results0], turn1, wait)
    results1 = [
        ToolResult(
            "f1", "get_forecast", "ValueError: no forecast for Lima", True, "raised", value=None
        ),
        ToolResult("c1", "convert", "69.8", value=69.8),
    ]
    await run_calls(store, run_id, 1, turn1.turn.tool_calls, results1, parallel=False, wait=wait)

    turn2 = reply(
        calls=[
            call("f2", "get_forecast", '{"city": "Lima", "days": 1}'),
            call("c2", "convert", '{"celsius": 2'),
        ],
        stop="length",
    )
    await step(store, run_id, 2, [turn1.turn, *results1], turn2, wait)
    results2 = [ToolResult("f2", "get_forecast", '"sunny"', value="sunny")]
    await run_calls(store, run_id, 2, turn2.turn.tool_calls, results2, parallel=False, wait=wait)

    answer = reply("Tokyo 18 C, Paris 12 C, Lima 21 C (69.8 F), sunny tomorrow.", stop="answer")
    await step(store, run_id, 3, [turn2.turn, *results2], answer, wait)
    conversation = [system, user, turn0.turn, *results0, turn1.turn, *results1, turn2.turn]
    await save(store, run_id, [*conversation, *results2, answer.turn], "finished")


PAUSED_PROMPT = "Delete report.txt, then tell me the weather in Oslo."


async def write_paused(store: RunStore, run_id: str = "paused") -> None:
    """A paused run: one call ran, the other waits for approval."""
    await store.create_run(run_id, {"model": f"openai:{MODEL}"})
    user = UserMessage(PAUSED_PROMPT)
    turn = reply(
        calls=[
            call("d1", "delete_file", '{"path": "report.txt"}'),
            call("w1", "get_weather", '{"city": "Oslo"}'),
        ]
    )
    await step(store, run_id, 0, [user], turn)
    weather = ToolResult("w1", "get_weather", '{"temp": 3}', value={"temp": 3})
    await run_calls(store, run_id, 0, turn.turn.tool_calls, [weather], parallel=True)
    pending = PendingCall("d1", "delete_file", '{"path": "report.txt"}', "deletes a file")
    await save(store, run_id, [user, turn.turn, weather], "paused", [pending])


RESUMED_ANSWER = "Deleted report.txt. Oslo is at 3 C."


async def write_resumed(store: RunStore, run_id: str) -> None:
    """What resuming the paused run records once its call is approved: the call, an answer."""
    deleted = ToolResult("d1", "delete_file", '"deleted report.txt"', value="deleted report.txt")
    delete = call("d1", "delete_file", '{"path": "report.txt"}')
    await run_calls(store, run_id, 0, [delete], [deleted], parallel=False)
    loaded = await store.load(run_id)
    state = RunState.from_json(loaded.state or "")
    answer = reply(RESUMED_ANSWER, stop="answer")
    await step(store, run_id, 1, [*state.messages[1:], deleted], answer)
    await save(store, run_id, [*state.messages, deleted, answer.turn], "finished")


XSS = "<script>window.__xss = 1</script>"
XSS_PROMPT = f"Look up {XSS} please"
XSS_RESULT = '<img src=x onerror="window.__xss = 3"><b>bold</b>'
XSS_ANSWER = "<script>window.__xss = 4</script>Done"
XSS_TOOL = "<svg onload=window.__xss=5>"


async def write_xss(store: RunStore, run_id: str = "xss") -> None:
    """A finished run whose prompt, arguments, results, tool names and answer hold markup."""
    await store.create_run(run_id, {"model": "<i>model</i>"})
    user = UserMessage(XSS_PROMPT)
    turn = reply(
        calls=[
            call("x1", "lookup", '{"q": "<img src=x onerror=\\"window.__xss = 2\\">"}'),
            call("x2", XSS_TOOL, "{}"),
        ]
    )
    await step(store, run_id, 0, [user], turn)
    found = ToolResult("x1", "lookup", XSS_RESULT, value=XSS_RESULT)
    await run_calls(store, run_id, 0, turn.turn.tool_calls, [found], parallel=False)
    unknown = ToolResult("x2", XSS_TOOL, f"No tool {XSS_TOOL}.", True, "unknown_tool")
    answer = reply(XSS_ANSWER, stop="answer")
    await step(store, run_id, 1, [turn.turn, found, unknown], answer)
    await save(store, run_id, [user, turn.turn, found, unknown, answer.turn], "finished")


async def write_failed(store: RunStore, run_id: str = "failed") -> None:
    """A failed run, its model only in its responses: the provider never answered step 2."""
    await store.create_run(run_id, {})
    user = UserMessage("Convert 10 km to miles")
    turn = reply(calls=[call("k1", "convert", '{"km": 10}')], model="claude-haiku-4-5")
    await step(store, run_id, 0, [user], turn)
    converted = ToolResult("k1", "convert", "6.21", value=6.21)
    await run_calls(store, run_id, 0, turn.turn.tool_calls, [converted], parallel=False)
    await store.begin_step(run_id, 1, request([turn.turn, converted]))
    await save(store, run_id, [user, turn.turn, converted], "failed")


LIVE_PROMPT = "What is the weather in Rome?"


async def write_live_start(store: RunStore, run_id: str) -> None:
    """A running run: its first request is sent, its model has not answered yet."""
    await store.create_run(run_id, {"model": f"openai:{MODEL}"})
    await save(store, run_id, [UserMessage(LIVE_PROMPT)], "running")
    await store.begin_step(run_id, 0, request([UserMessage(LIVE_PROMPT)]))


async def write_live_step(store: RunStore, run_id: str) -> None:
    """The running run's model answers with a call, which runs."""
    turn = reply(calls=[call("r1", "get_weather", '{"city": "Rome"}')])
    await store.finish_step(run_id, 0, response_to_json(turn))
    rome = ToolResult("r1", "get_weather", '{"temp": 24}', value={"temp": 24})
    await run_calls(store, run_id, 0, turn.turn.tool_calls, [rome], parallel=False)
