import random

import pytest

from switchboard import ConfigurationError, RetryPolicy


def test_delays_are_full_jitter_under_an_exponential_ceiling() -> None:
    """Retry n waits between 0 and min(cap, base * 2**(n-1)), spread over that range."""
    policy = RetryPolicy(attempts=10, base=0.5, cap=3.0)
    rng = random.Random(7)
    for attempt, ceiling in [(1, 0.5), (2, 1.0), (3, 2.0), (4, 3.0), (8, 3.0)]:
        delays = [policy.delay(attempt, rng) for _ in range(500)]
        assert all(0 <= d <= ceiling for d in delays)
        assert max(delays) > 0.9 * ceiling
        assert min(delays) < 0.1 * ceiling


def test_should_retry_only_matching_errors_within_attempts() -> None:
    """Only listed exception types are retried, and only while tries remain."""
    policy = RetryPolicy(attempts=3, retry_on=(ConnectionError,))
    assert policy.should_retry(ConnectionError(), attempt=1)
    assert policy.should_retry(ConnectionResetError(), attempt=2)
    assert not policy.should_retry(ConnectionError(), attempt=3)
    assert not policy.should_retry(ValueError(), attempt=1)


def test_bad_settings_are_refused() -> None:
    """Zero attempts or a negative base is a configuration error."""
    with pytest.raises(ConfigurationError, match="attempts"):
        RetryPolicy(attempts=0)
    with pytest.raises(ConfigurationError, match="base"):
        RetryPolicy(base=-1)
