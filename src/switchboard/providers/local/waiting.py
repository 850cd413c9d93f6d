"""How llama.cpp's threads wait for each other: spin while every thread has a core, else sleep.

llama-cpp-python builds llama.cpp with OpenMP, whose threads meet at a barrier after each
step of the model: hundreds of times per token. How a thread waits there is libgomp's
setting, read once, when ``llama_cpp`` is first imported:

* Sleeping (``OMP_WAIT_POLICY=PASSIVE``) costs a wake-up at every barrier. The README's first
  command took 3.9 s on 2 idle cores this way, against 2.7 s spinning.
* Spinning is the faster only while each thread has a core of its own. With more threads than
  free cores, a spinning thread holds the core the thread it waits for needs: two runs at
  once on 2 cores took 16 to 19 s each spinning briefly, 8 to 12 s sleeping, and a test run on a
  busy machine once took 88 s instead of 6 s with libgomp's default spin.

So the first load looks at how many tasks are runnable now, and spins briefly (a bounded
``GOMP_SPINCOUNT``) only if the model's threads fit in the cores left; otherwise its threads
sleep. A setting the user made (either variable) is kept.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from typing import Final, Literal

__all__ = ["SPIN_COUNT", "choose_waiting", "runnable_tasks"]

SPIN_COUNT: Final = 10_000
"""Spins before a waiting thread sleeps: tens of microseconds, longer than most barriers."""

Waiting = Literal["spin", "sleep", "user"]


def runnable_tasks() -> int | None:
    """Tasks runnable on the machine right now, this one included (``None``: not known).

    The fourth field of Linux's ``/proc/loadavg`` ("2/97": 2 runnable of 97).
    """
    try:
        with open("/proc/loadavg", encoding="ascii") as file:
            return int(file.read().split()[3].split("/")[0])
    except (OSError, ValueError, IndexError):
        return None


def choose_waiting(threads: int, runnable: Callable[[], int | None] = runnable_tasks) -> Waiting:
    """Set how llama.cpp's threads wait, unless the user did; call before importing llama_cpp.

    Args:
        threads: The model's threads.
        runnable: Counts the runnable tasks, the caller included (see `runnable_tasks`).

    Returns:
        What was chosen: ``"spin"``, ``"sleep"``, or ``"user"`` when a setting was there.
    """
    if "OMP_WAIT_POLICY" in os.environ or "GOMP_SPINCOUNT" in os.environ:
        return "user"
    running = runnable()
    others = None if running is None else max(running - 1, 0)
    cores = os.cpu_count() or 1
    if others is not None and others + threads <= cores:
        os.environ["GOMP_SPINCOUNT"] = str(SPIN_COUNT)
        return "spin"
    os.environ["OMP_WAIT_POLICY"] = "PASSIVE"
    return "sleep"
