"""The agent of the crash test, and its worker: a process that forks one run process a round.

The agent: a scripted model that replies `TURNS` (the reply depends only on how many
replies the conversation holds, so a model in a new process goes on where the run is), then
an answer; its tools write one line ``RUN CALL_ID`` to a counting file of their own
(``counts/<tool>.txt``) when their code starts, before they do anything else. Two of them
are ``idempotent``. Sync tools run in worker threads, so a batch's calls run in parallel.

Usage: ``python crash_agent.py FOLDER``. The run to work on is named in ``FOLDER/current``.
Each line ``go K MODE [WHAT]`` on stdin forks a child that opens the SQLite store in FOLDER
and starts that run (if the store does not have it) or resumes it, writing ``pid PID``
first, then ``event N WHAT`` at each event: before and after each store write (a batch
named by its writes: ``after call_finished+save_state``), and when a tool's code runs
(after its counting line) and returns. At its Kth event (of those whose name holds WHAT,
if given) the child, with MODE ``hold``, writes ``hold N WHAT`` and stops there for good
(in the event loop's thread for a store write, in the tool's thread for a tool), to be
killed exactly there; with ``race`` it goes on, and is killed wherever it has got to by
then. A child whose run has finished writes ``done RUN``. This process writes ``reaped
STATUS`` once the child has ended. Forking from here, where switchboard is already
imported, makes a round take milliseconds rather than a new interpreter's start.
"""

from __future__ import annotations

import asyncio
import os
import sys
import threading
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

from switchboard import (
    Agent,
    AssistantTurn,
    ModelRequest,
    RunContext,
    RunStateError,
    ScriptedModel,
    SQLiteStore,
    Toolbox,
    ToolCall,
)
from switchboard.runs.writes import StoreWrite
from tests.crashing import CrashingStore

PROMPT = "Do the jobs."
ANSWER = "All done."
IDEMPOTENT = frozenset({"fetch", "add"})
# Each turn's calls: (tool, argument). Ids and arguments differ, so no call repeats another.
PLAN = (
    (("charge", 1), ("fetch", 2), ("add", 3)),
    (("note", 4), ("charge", 5)),
    (("fetch", 6), ("fetch", 7), ("note", 8)),
    (("charge", 9),),
    (("add", 10), ("note", 11), ("charge", 12)),
    (("fetch", 13), ("charge", 14)),
)
TURNS = tuple(
    tuple(ToolCall(f"s{step}c{i}", tool, f'{{"n": {n}}}') for i, (tool, n) in enumerate(turn))
    for step, turn in enumerate(PLAN)
)

Event = Callable[[str], None]
"""Told of each event, by name."""


def make_agent(folder: Path, store: Any, event: Event) -> Agent:
    """The crash test's agent on ``store``; its tools count into ``folder / "counts"``."""
    counts = folder / "counts"
    counts.mkdir(exist_ok=True)
    tools = Toolbox()

    def counted(tool: str, ctx: RunContext[str], n: int) -> str:
        line = f"{ctx.deps} {ctx.call_id}\n".encode()
        fd = os.open(counts / f"{tool}.txt", os.O_WRONLY | os.O_CREAT | os.O_APPEND)
        try:
            os.write(fd, line)  # one short write: whole, or not at all
        finally:
            os.close(fd)
        event(f"{tool} {ctx.call_id} running")
        result = f"{tool} did {n}"
        event(f"{tool} {ctx.call_id} returning")
        return result

    @tools.register
    def charge(ctx: RunContext[str], n: int) -> str:
        """Charge n cents (sync, not idempotent)."""
        return counted("charge", ctx, n)

    @tools.register(idempotent=True)
    def fetch(ctx: RunContext[str], n: int) -> str:
        """Fetch page n (sync, idempotent)."""
        return counted("fetch", ctx, n)

    @tools.register
    async def note(ctx: RunContext[str], n: int) -> str:
        """Write note n (async, not idempotent)."""
        return counted("note", ctx, n)

    @tools.register(idempotent=True)
    async def add(ctx: RunContext[str], n: int) -> str:
        """Add n (async, idempotent)."""
        return counted("add", ctx, n)

    def reply(request: ModelRequest) -> Any:
        done = sum(isinstance(m, AssistantTurn) for m in request.messages)
        return list(TURNS[done]) if done < len(TURNS) else ANSWER

    return Agent(ScriptedModel(reply), tools=tools, store=store, max_iterations=len(TURNS) + 1)


class Told(CrashingStore):
    """A store that tells of each write before and after it."""

    def __init__(self, store: Any, event: Event) -> None:
        super().__init__(store)
        self.event = event

    async def _op(self, name: str, *args: Any) -> Any:
        self.event(f"before {name}")
        result = await getattr(self.store, name)(*args)
        self.event(f"after {name}")
        return result

    async def write(self, run_id: str, writes: Sequence[StoreWrite]) -> None:
        named = "+".join(write.operation for write in writes)
        self.event(f"before {named}")
        await self.store.write(run_id, writes)
        self.event(f"after {named}")


def set_current(folder: Path, run_id: str) -> None:
    """Name the run to work on: written whole or not at all, whenever the writer dies."""
    (folder / "current.new").write_text(run_id)
    os.replace(folder / "current.new", folder / "current")


def say(line: str) -> None:
    os.write(1, f"{line}\n".encode())


class Events:
    """Counts a child's events, and stops it at its ``stop``-th (see the module's doc)."""

    def __init__(self, stop: int, hold: bool, named: str = "") -> None:
        self.stop = stop
        self.hold = hold
        self.named = named
        self.count = self.matched = 0
        self.lock = threading.Lock()

    def __call__(self, what: str) -> None:
        with self.lock:
            self.count += 1
            n = self.count
            if self.named in what:
                self.matched += 1
                stop = self.matched == self.stop
            else:
                stop = False
        say(f"event {n} {what}")
        if stop and self.hold:
            say(f"hold {n} {what}")
            threading.Event().wait()  # never set: stopped here until killed


async def work(folder: Path, events: Events) -> None:
    """Start or resume the current run until it has finished."""
    run_id = (folder / "current").read_text().strip()
    store = SQLiteStore(folder / "runs.sqlite3")
    agent = make_agent(folder, Told(store, events), events)
    try:
        try:
            stored = await store.load(run_id)
        except RunStateError:  # killed before the run was created: start it
            await agent.run(PROMPT, run_id=run_id, deps=run_id)
        else:
            if stored.state is None:  # killed before its first state: nothing of it ran
                run_id += "+"
                set_current(folder, run_id)
                await agent.run(PROMPT, run_id=run_id, deps=run_id)
            elif stored.status != "finished":
                await agent.resume(run_id, deps=run_id)
    finally:
        await store.close()
    say(f"done {run_id}")


def main() -> None:
    folder = Path(sys.argv[1])
    while line := sys.stdin.readline().split():
        if line[0] != "go":
            break
        stop, mode, named = int(line[1]), line[2], " ".join(line[3:])
        pid = os.fork()
        if pid == 0:  # the child: never return into this loop
            say(f"pid {os.getpid()}")
            try:
                asyncio.run(work(folder, Events(stop, mode == "hold", named)))
            except BaseException as error:
                say(f"error {error!r}")
                os._exit(1)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        say(f"reaped {os.waitstatus_to_exitcode(status)}")


if __name__ == "__main__":
    main()
