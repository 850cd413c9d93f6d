"""Run a check in a forked child process, for what must hold after ``os.fork``."""

from __future__ import annotations

import os
import signal
import time
import warnings
from collections.abc import Callable

# Generous bound for the child: if it is hit, the child is killed and the check fails.
GUARD = 30.0


def in_forked_child(work: Callable[[], bool]) -> int:
    """Run ``work`` in a forked child; its exit status: 0 if it returned True, 1 or 2 if not.

    A child that hangs is killed once GUARD has passed, and the status says so (-9).
    """
    with warnings.catch_warnings():  # Python 3.12+ warns that forking a threaded process
        warnings.simplefilter("ignore", DeprecationWarning)
        pid = os.fork()
    if pid == 0:  # the child: never return into pytest
        try:
            os._exit(0 if work() else 1)
        except BaseException:
            os._exit(2)
    deadline = time.monotonic() + GUARD
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.01)  # polling for the child's exit, not timing anything
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return -9
