"""`RunRecorder`: one run's checkpoints, written to a `RunStore` as the loop goes.

The loop tells it, for each step: `RunRecorder.begin_step` before the model is asked,
`RunRecorder.finish_step` with the reply, `RunRecorder.started` just before each call's code
runs and `RunRecorder.finished` with its result (the executor tells it: see
``CallRecorder``), and `RunRecorder.save` with the run's state after the step.

A step's request is stored as this JSON object (what ``switchboard replay`` compares)::

    {"messages": [the codec JSON of the messages added since the previous step's request],
     "tools": [[name, schema_hash(parameters)], ...],   # the tools offered, in order
     "tool_choice": "auto" | "none" | "required" | a tool's name,   # as sent
     "settings": {"max_tokens": ..., "temperature": ..., "seed": ...,
                  "parallel_tool_calls": ..., "strict": ...}}

Step 0's messages are the system message and the prompt (with any earlier conversation
given), step i's the previous reply's turn and its results: the conversation a step's
request holds is the concatenation of the messages of steps 0 to i. Its response is
`codec.response_to_json` of the reply, and a call's result `codec.message_to_json` of it.
"""

from __future__ import annotations

import weakref
from collections.abc import Iterable, Mapping
from typing import Any

from switchboard.messages import ModelResponse, ToolCall, ToolResult
from switchboard.providers.base import ModelRequest
from switchboard.runs.codec import message_to_json, response_to_json
from switchboard.runs.state import RunState, StateEncoder, schema_hash
from switchboard.runs.store import RunStore
from switchboard.tools.tool import Tool

__all__ = ["RunRecorder", "request_to_json", "tool_hashes"]

_HASHES: weakref.WeakKeyDictionary[Tool, str] = weakref.WeakKeyDictionary()
# The last tools asked about and their pairs: the loop asks about the same tuple each run.
_last: tuple[object, tuple[tuple[str, str], ...]] = ((), ())


def tool_hashes(tools: Iterable[Tool]) -> tuple[tuple[str, str], ...]:
    """Each tool's name and `schema_hash` of its parameters, each hash made once per tool."""
    global _last
    if tools is _last[0]:
        return _last[1]
    pairs: list[tuple[str, str]] = []
    for tool in tools:
        digest = _HASHES.get(tool)
        if digest is None:
            digest = _HASHES[tool] = schema_hash(tool.parameters)
        pairs.append((tool.name, digest))
    found = tuple(pairs)
    if isinstance(tools, tuple):  # immutable: safe to know again by identity
        _last = (tools, found)
    return found


def request_to_json(request: ModelRequest, since: int = 0) -> dict[str, Any]:
    """A request as a step records it (see the module's doc): its messages from ``since`` on."""
    settings = request.settings
    return {
        "messages": [message_to_json(m) for m in request.messages[since:]],
        "tools": [[name, digest] for name, digest in tool_hashes(request.tools)],
        "tool_choice": request.tool_choice,
        "settings": {
            "max_tokens": settings.max_tokens,
            "temperature": settings.temperature,
            "seed": settings.seed,
            "parallel_tool_calls": request.parallel_tool_calls,
            "strict": request.strict,
        },
    }


class RunRecorder:
    """Writes the checkpoints of one run to a store (see the module's doc).

    A write that fails is kept in `failure`, for the loop to raise (`check`) once the calls
    running beside it have ended: a call whose start could not be recorded does not run.

    Args:
        store: Where the run is recorded.
        run_id: The run's id in it.
        recorded: How many of the run's messages the requests of its earlier steps hold.
    """

    __slots__ = ("_encoder", "failure", "recorded", "run_id", "step", "store")

    def __init__(self, store: RunStore, run_id: str, *, recorded: int = 0) -> None:
        self.store = store
        self.run_id = run_id
        self.step = 0
        """The step whose calls are being recorded."""
        self.failure: Exception | None = None
        self.recorded = recorded
        """How many of the run's messages the requests of its steps so far hold."""
        self._encoder = StateEncoder()

    async def create(self, meta: Mapping[str, Any], state: RunState) -> None:
        """Record a new run, and its state before its first step."""
        await self.store.create_run(self.run_id, dict(meta))
        await self.save(state)

    async def begin_step(self, index: int, request: ModelRequest) -> None:
        """Record step ``index``'s request, before the model is asked."""
        recorded = request_to_json(request, self.recorded)
        await self.store.begin_step(self.run_id, index, recorded)
        self.recorded = len(request.messages)
        self.step = index

    async def finish_step(self, response: ModelResponse) -> None:
        """Record the reply of the step begun last."""
        await self.store.finish_step(self.run_id, self.step, response_to_json(response))

    async def started(self, call: ToolCall, tool: object) -> None:
        """Record that ``call`` starts; raises (and keeps the error) if that fails."""
        try:
            await self.store.call_started(
                self.run_id, self.step, call.id, call.name, call.arguments
            )
        except Exception as error:
            self._fail(error)
            raise

    async def finished(self, call: ToolCall, result: ToolResult) -> None:
        """Record ``call``'s result; a failure is kept for `check`, not raised."""
        try:
            await self.store.call_finished(self.run_id, self.step, call.id, message_to_json(result))
        except Exception as error:
            self._fail(error)

    async def save(self, state: RunState) -> None:
        """Record the run's state (only what changed is encoded again)."""
        await self.store.save_state(self.run_id, self._encoder.to_json(state), state.status)

    def check(self) -> None:
        """Raise the first write that failed, if one did."""
        if self.failure is not None:
            raise self.failure

    def _fail(self, error: Exception) -> None:
        if self.failure is None:
            self.failure = error
