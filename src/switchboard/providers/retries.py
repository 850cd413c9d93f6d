"""Time limits and retries for model requests, the same for every provider.

Every attempt of a request has a deadline of its own (``request_timeout``: the whole reply,
a streamed one included, so a server that trickles keep-alive bytes still ends), and no
attempt and no wait between attempts passes the run's deadline (``run_timeout``).
Transient failures (429, 5xx, timeouts, resets, broken streams, malformed bodies) are retried
with backoff and full jitter, or after the wait the server asked for, unless it asked for
longer than ``max_retry_wait``: then its error is raised at once, rather than the run sleeping
for an hour. The SDKs' own retries are switched off, so nothing is retried twice over.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import TypeVar

from switchboard.errors import ProviderError, ProviderUnavailableError, RunTimeoutError
from switchboard.retry import RetryPolicy
from switchboard.telemetry import notes

logger = logging.getLogger("switchboard")

T = TypeVar("T")

DEFAULT_RETRY = RetryPolicy(attempts=4, base=0.5, cap=30.0)
"""Provider retries: 4 tries in all, delays drawn up to 0.5, 1, 2 s (or ``Retry-After``)."""

DEFAULT_REQUEST_TIMEOUT = 600.0
"""Seconds one attempt of a model request may take, its whole reply included."""

DEFAULT_MAX_RETRY_WAIT = 60.0
"""The longest ``Retry-After`` honoured; a server asking for more fails the request at once."""


@dataclass(frozen=True, slots=True)
class Retrying:
    """How one request is retried, and the time it has.

    Attributes:
        provider: The provider's name, for messages.
        policy: How many tries, and the backoff between them.
        max_retry_wait: The longest wait a server may ask for between tries.
        request_timeout: Seconds for each try, its whole reply included (``None``: no limit).
        deadline: The event loop's time (``loop.time()``) at which the run must be over
            (``None``: no limit).
    """

    provider: str
    policy: RetryPolicy = DEFAULT_RETRY
    max_retry_wait: float = DEFAULT_MAX_RETRY_WAIT
    request_timeout: float | None = DEFAULT_REQUEST_TIMEOUT
    deadline: float | None = None

    def attempt_deadline(self) -> float | None:
        """The loop time by which a try starting now must be over, or ``None``."""
        if self.request_timeout is None:
            return self.deadline
        ends = asyncio.get_running_loop().time() + self.request_timeout
        return ends if self.deadline is None else min(ends, self.deadline)

    def timed_out(self) -> ProviderUnavailableError | RunTimeoutError:
        """The error for a try that ran out of time: the run's deadline, or the try's own."""
        if self.deadline is not None and asyncio.get_running_loop().time() >= self.deadline:
            message = (
                f"The run's time limit (run_timeout) ran out while waiting for {self.provider}. "
                "Raise run_timeout, or continue the run from error.result."
            )
            return RunTimeoutError(message)
        return ProviderUnavailableError(
            self.provider,
            f"no complete reply within request_timeout={self.request_timeout:g} s",
        )

    def delay(self, error: ProviderError, attempt: int) -> float:
        """Seconds to wait before the next try after ``error`` ended try ``attempt``.

        Raises:
            ProviderError: ``error`` itself (or, when the server asked for too long a wait,
                the same kind of error saying so): not transient, the last try, or no time
                left in the run for the wait.
        """
        if not error.transient or attempt >= self.policy.attempts:
            raise error
        asked = error.retry_after
        if asked is not None and asked > self.max_retry_wait:
            message = (
                f"{error.message} (it asked to retry in {asked:g} s, longer than "
                f"max_retry_wait={self.max_retry_wait:g} s; raise max_retry_wait to wait)"
            )
            raise type(error)(
                error.provider, message, status_code=error.status_code, retry_after=asked
            ) from error
        wait = asked if asked is not None else self.policy.delay(attempt)
        if self.deadline is not None and asyncio.get_running_loop().time() + wait >= self.deadline:
            raise error
        logger.warning(
            "%s; retrying in %.2f s (try %d of %d)", error, wait, attempt + 1, self.policy.attempts
        )
        notes.request_retried(error, attempt, wait)
        return wait


async def within(attempt: Awaitable[T], retrying: Retrying, deadline: float | None) -> T:
    """Await ``attempt``, raising ``retrying.timed_out()`` if ``deadline`` passes first."""
    if deadline is None:
        return await attempt
    scope = asyncio.timeout_at(deadline)
    try:
        async with scope:
            return await attempt
    except TimeoutError:
        if scope.expired():
            raise retrying.timed_out() from None
        raise


async def call_with_retries(
    send: Callable[[], Awaitable[T]],
    retrying: Retrying,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> T:
    """Run ``send`` within each try's time limit, retrying transient `ProviderError`s.

    Raises:
        ProviderError: A failure that is not transient, the last try's, or one whose retry
            would wait past ``max_retry_wait`` or the run's deadline.
        RunTimeoutError: The run's deadline passed during a try.
    """
    attempt = 1
    while True:
        try:
            return await within(send(), retrying, retrying.attempt_deadline())
        except ProviderError as e:
            wait = retrying.delay(e, attempt)
        await sleep(wait)
        attempt += 1
