"""A run that goes on from its `RunState`: after a pause, or after its process died.

`ResumedLoop` is the loop (`RunLoop`) of such a run, started where the state left it, the
loop guard rebuilt from its conversation. Before it asks the model again it does what its
`ResumePlan` says: it settles the turn the run paused on (each pending call's result from
its decision, or from the store if a resumed run died after settling it), or, for a run
that died mid-step, takes the step's stored reply instead of asking the model, with the
stored results of its calls, and `interrupted_result` for the calls whose results were
lost that may not run again.
"""

from __future__ import annotations

from collections.abc import Awaitable, Iterable, Mapping, Sequence
from dataclasses import replace
from typing import TYPE_CHECKING, Any, Final, cast

from switchboard.guard import GuardMemory
from switchboard.messages import ModelResponse, ToolCall, ToolResult
from switchboard.outcome import RunResult, RunStopReason
from switchboard.resume_plan import ResumePlan, interrupted_result, paused_turn
from switchboard.run import RunLoop
from switchboard.runs.approval import PendingCall
from switchboard.runs.recorder import RunRecorder
from switchboard.runs.request import choice_from_json

if TYPE_CHECKING:
    from switchboard.agent import Agent

__all__ = ["ResumedLoop"]

# Failures the executor counts towards a tool's max_retries (see executor._COUNTED).
_COUNTED: Final = frozenset({"unparsable", "invalid", "raised", "retries_exhausted"})


class ResumedLoop(RunLoop):
    """The loop of a run going on from ``plan.state`` (see the module's doc).

    Args:
        agent: The agent whose settings the run follows from here on.
        plan: What to do first (`plan_resume`).
        deps: Passed to tools as ``RunContext.deps``.
        recorder: Checkpoints the run to the agent's store; ``None``: no store.
    """

    def __init__(
        self, agent: Agent, plan: ResumePlan, deps: Any, recorder: RunRecorder | None
    ) -> None:
        state = plan.state
        super().__init__(agent, list(state.messages), deps, run_id=state.run_id, recorder=recorder)
        self.iteration = state.iteration
        self.tool_choice = choice_from_json(state.tool_choice)
        self.calls.failures = dict(state.failures)
        self._tools = state.tools
        self._guard = GuardMemory.from_json(state.guard)
        self._usage = state.usage
        if self.output is not None:
            self.output.invalid = state.invalid_answers
        self._plan = plan
        self._recovery: ResumePlan | None = None  # while the stored reply's calls run

    def _prologue(self) -> Awaitable[tuple[RunResult | None, ModelResponse | None]]:
        return self._go_on(self._plan)

    async def _go_on(self, plan: ResumePlan) -> tuple[RunResult | None, ModelResponse | None]:
        """Settle the paused turn, or hand over the stored reply of the step that died."""
        recorder = self.recorder
        if recorder is not None and plan.create:
            await recorder.create(self.meta, plan.state)
        if plan.state.pending:
            return await self._settle(plan), None
        self.guard.replay(self.messages[self._guard.start :], set(self._guard.unadmitted))
        if plan.reply is not None:
            self._recovery = plan
            self._rerun = self._run_stored
            if recorder is not None:  # the stored step's request held the whole state
                recorder.step, recorder.recorded = self.iteration, len(self.messages)
        return None, plan.reply

    async def _run_reply(
        self, response: ModelResponse
    ) -> tuple[ModelResponse, list[ToolResult], RunStopReason | None]:
        try:
            return await super()._run_reply(response)
        finally:
            self._recovery = self._rerun = None  # only the stored reply has stored results

    async def _run_stored(self, calls: Sequence[ToolCall]) -> list[ToolResult]:
        """The calls of a reply stored before a crash: what was stored is not run again."""
        plan = self._recovery
        assert plan is not None  # set with _rerun
        results: dict[str, ToolResult] = {}
        known: list[ToolResult] = []
        run: list[ToolCall] = []
        toolbox = self.agent.toolbox
        for call in calls:
            stored = plan.stored.get(call.id)
            tool = toolbox.find(call.name)
            if stored is not None:
                results[call.id] = stored
                known.append(stored)
            elif call.id in plan.lost and (tool is None or not tool.idempotent):
                results[call.id] = await self._interrupted(call)
            else:
                run.append(call)
        _count_failures(self.calls.failures, known)
        if run:
            results.update((r.call_id, r) for r in await self._run_batch(run))
        return [results[call.id] for call in calls]

    async def _interrupted(self, call: ToolCall) -> ToolResult:
        """The result of a call lost in a crash that may not run again, recorded."""
        result = interrupted_result(call)
        self.interrupted.append(call.id)
        if self.recorder is not None:
            await self.recorder.finished(call, result)
        return result

    async def _settle(self, plan: ResumePlan) -> RunResult | None:
        """Give each call of the paused turn its result; a result if the run ends here."""
        self._waiting = plan.state.pending
        recorder = self.calls.recorder = None if plan.create else self.recorder
        try:
            ended = await self._settle_calls(plan, recorder)
        finally:
            self.calls.recorder = self.recorder
        self._waiting = ()
        return ended

    async def _settle_calls(
        self, plan: ResumePlan, recorder: RunRecorder | None
    ) -> RunResult | None:
        """`_settle`; ``recorder``: where the paused step's calls are recorded, if anywhere."""
        at, turn = paused_turn(self.messages)
        results = {m.call_id: m for m in self.messages[at + 1 :] if isinstance(m, ToolResult)}
        # A resumed run that died before it saved its state may have settled some already.
        waited = {call.call_id for call in plan.state.pending}
        results.update((i, r) for i, r in plan.stored.items() if i in waited)
        if recorder is not None:
            recorder.step = self.iteration - 1
        for call in plan.interrupted:
            results[call.id] = await self._interrupted(call)
        for call_id, result in plan.decided.items():
            if recorder is not None:  # no code runs: the call is settled, not started
                call = ToolCall(call_id, result.name, _arguments(plan.state.pending, call_id))
                recorder.settled(call, result)
            results[call_id] = result
        if plan.approved:
            self.calls.approved = frozenset(call.id for call in plan.approved)
            ran = await self._run_batch(plan.approved)
            self.calls.approved = frozenset()
            results.update((r.call_id, r) for r in ran)
        if self.recorder is not None:
            self.recorder.check()
        waiting = cast("dict[str, PendingCall]", self.calls.pending)
        for call_id in waiting:
            del results[call_id]
        del self.messages[at + 1 :]
        self.messages.extend(results[c.id] for c in turn.tool_calls if c.id in results)
        if waiting:  # a call approved asked again, or was handed to the application
            pending = tuple(waiting[c.id] for c in turn.tool_calls if c.id in waiting)
            return await self._end("paused", pending)
        self.guard.replay(self.messages[self._guard.start :], set(self._guard.unadmitted))
        stop = self._guard.stop
        self._guard = replace(self._guard, stop=None)
        if stop is not None:
            return await self._end(stop)
        self._after_turn()
        if self.recorder is not None:
            await self.recorder.save(self._state("running"))
        return None


def _count_failures(failures: dict[str, int], results: Iterable[ToolResult]) -> None:
    """Count stored results as the executor counted them when they were made (once a turn)."""
    counted: set[str] = set()
    for result in results:
        if not result.is_error:
            failures.pop(result.name, None)
        elif result.error_kind in _COUNTED and result.name not in counted:
            counted.add(result.name)
            failures[result.name] = failures.get(result.name, 0) + 1


def _arguments(pending: Sequence[PendingCall], call_id: str) -> str | Mapping[str, Any]:
    return next(call.arguments for call in pending if call.call_id == call_id)
