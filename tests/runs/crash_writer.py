"""A writer for the crash test, run as a process that forks one writer per round.

Usage: ``python crash_writer.py KIND LOCATION``. Each line ``go`` on stdin forks a child
that opens the store, finds how far the writes got (`crash_plan.done_ops`), and goes on
with the sequence, writing ``pid PID`` first and then ``ack N`` once the N-th operation has
returned, until it is killed (or writes ``end`` when the sequence is done). This process
then writes ``reaped STATUS``. Forking from here, where switchboard is already imported,
makes a round take milliseconds rather than a new interpreter's start.
"""

import asyncio
import os
import sys

from tests.runs import crash_plan, stores


def say(line: str) -> None:
    os.write(1, f"{line}\n".encode())


async def write(kind: str, location: str) -> None:
    store = stores.open_store(kind, location)
    done = crash_plan.done_ops(await crash_plan.stored(store))
    for n in range(done, crash_plan.TOTAL):
        await crash_plan.apply(store, n)
        say(f"ack {n + 1}")
    await store.close()
    say("end")


def main() -> None:
    kind, location = sys.argv[1:3]
    stores.preload(kind)
    while sys.stdin.readline().strip() == "go":
        pid = os.fork()
        if pid == 0:  # the child: never return into this loop
            say(f"pid {os.getpid()}")
            try:
                asyncio.run(write(kind, location))
            except BaseException as error:
                say(f"error {error!r}")
                os._exit(1)
            os._exit(0)
        _, status = os.waitpid(pid, 0)
        say(f"reaped {os.waitstatus_to_exitcode(status)}")


if __name__ == "__main__":
    main()
