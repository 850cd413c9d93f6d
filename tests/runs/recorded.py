"""Writes a run to a store as the agent's ``store=`` does, for the replay tests.

The agent runs on a `ScriptedModel`, which keeps every request; the run's steps give the
replies and the results. Each step is written in the stored form of issue 16's addendum
(RUNS.md): ``begin_step`` with the request (the messages added since the step before, the
tools as ``[name, schema_hash]``, the tool choice, the settings), ``finish_step`` with the
reply's codec form, a ``call_started`` and ``call_finished`` for each call that ran, and
the state at the end. Written out here rather than with `request_json`, so the tests pin
the stored form and not only what that function writes.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from switchboard import Agent, RunResult, ScriptedModel
from switchboard.messages import ToolCall
from switchboard.providers.base import ModelRequest
from switchboard.runs.codec import message_to_json, response_to_json
from switchboard.runs.state import RunState, schema_hash
from switchboard.runs.store import RunStore


def stored_request(request: ModelRequest, since: int) -> dict[str, Any]:
    """A request in the stored form, its messages from index ``since``."""
    settings, output = request.settings, request.output
    return {
        "messages": [message_to_json(m) for m in request.messages[since:]],
        "tools": [[tool.name, schema_hash(tool.parameters)] for tool in request.tools],
        "tool_choice": request.tool_choice,
        "settings": {
            "max_tokens": settings.max_tokens,
            "temperature": settings.temperature,
            "seed": settings.seed,
            "parallel_tool_calls": request.parallel_tool_calls,
            "strict": request.strict,
        },
        "output": output and {"name": output.name, "schema": schema_hash(output.json_schema)},
    }


async def record_run(
    store: RunStore,
    agent: Agent,
    prompt: str,
    *,
    run_id: str = "r1",
    meta: Mapping[str, Any] | None = None,
) -> RunResult:
    """Run ``agent`` (on a ScriptedModel) on ``prompt`` and write the run to ``store``."""
    model = agent.provider
    assert isinstance(model, ScriptedModel)
    model.requests.clear()
    result = await agent.run(prompt)
    await store.create_run(run_id, meta if meta is not None else {"model": "scripted"})
    sent = 0
    for index, (request, step) in enumerate(zip(model.requests, result.steps, strict=True)):
        await store.begin_step(run_id, index, stored_request(request, sent))
        sent = len(request.messages)
        await store.finish_step(run_id, index, response_to_json(step.response))
        calls: dict[str, ToolCall] = {c.id: c for c in step.response.turn.tool_calls}
        for tool_result in step.results:
            call = calls[tool_result.call_id]
            await store.call_started(run_id, index, call.id, call.name, call.arguments)
            await store.call_finished(run_id, index, call.id, message_to_json(tool_result))
    state = RunState(
        run_id=run_id,
        messages=result.messages,
        iteration=len(result.steps),
        usage=result.usage,
        status="finished",
    )
    await store.save_state(run_id, state.to_json(), "finished")
    return result
