"""Exponential backoff with full jitter, shared by tool retries and provider retries."""

from __future__ import annotations

import random
from dataclasses import dataclass

from switchboard.errors import ConfigurationError


@dataclass(frozen=True, slots=True)
class RetryPolicy:
    """Retry a failing operation with exponential backoff and full jitter.

    The delay before retry ``n`` (1-based) is drawn uniformly from
    ``[0, min(cap, base * 2 ** (n - 1))]``: "full jitter", which spreads retries of many
    clients apart best (https://aws.amazon.com/blogs/architecture/exponential-backoff-and-jitter/).

    A short policy object rather than tenacity or stamina: the executor and the provider
    adapters drive their own async loops (timeouts, cancellation, ``Retry-After``) and need
    only these two answers, "retry this?" and "how long to wait?".

    Attributes:
        attempts: Tries in all, the first included (1 means no retry).
        base: Seconds: the upper bound of the first delay.
        cap: Seconds: no delay is drawn above this.
        retry_on: Exception types worth retrying; others fail at once.

    Example:
        >>> policy = RetryPolicy(attempts=3, base=0.5, retry_on=(TimeoutError,))
        >>> policy.should_retry(TimeoutError(), attempt=1), policy.should_retry(ValueError(), 1)
        (True, False)
        >>> 0 <= policy.delay(2) <= 1.0
        True
    """

    attempts: int = 3
    base: float = 0.5
    cap: float = 30.0
    retry_on: tuple[type[BaseException], ...] = (Exception,)

    def __post_init__(self) -> None:
        if self.attempts < 1:
            msg = f"RetryPolicy.attempts must be at least 1 (got {self.attempts})."
            raise ConfigurationError(msg)
        if self.base < 0 or self.cap < 0:
            msg = f"RetryPolicy.base and .cap must be >= 0 (got {self.base}, {self.cap})."
            raise ConfigurationError(msg)

    def should_retry(self, error: BaseException, attempt: int) -> bool:
        """Whether to try again after ``error`` ended try number ``attempt`` (1-based)."""
        return attempt < self.attempts and isinstance(error, self.retry_on)

    def delay(self, attempt: int, rng: random.Random | None = None) -> float:
        """Seconds to wait before retry number ``attempt`` (1-based)."""
        ceiling = min(self.cap, self.base * 2 ** (attempt - 1))
        return (rng or _RNG).uniform(0.0, ceiling)


_RNG = random.Random()
