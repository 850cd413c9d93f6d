"""How llama.cpp's threads are set to wait: spin only while they fit in the free cores."""

from __future__ import annotations

import os

import pytest

from switchboard.providers.local.waiting import SPIN_COUNT, choose_waiting, runnable_tasks

VARIABLES = ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")


@pytest.fixture
def unset(monkeypatch: pytest.MonkeyPatch) -> pytest.MonkeyPatch:
    """Neither setting in the environment (both restored after the test)."""
    for name in VARIABLES:
        monkeypatch.delenv(name, raising=False)
    monkeypatch.setattr(os, "cpu_count", lambda: 4)
    return monkeypatch


def test_threads_spin_briefly_when_they_fit_in_the_free_cores(unset: pytest.MonkeyPatch) -> None:
    """One other task runnable, 3 threads, 4 cores: a bounded spin, no policy set."""
    assert choose_waiting(3, lambda: 2) == "spin"
    assert os.environ.get("GOMP_SPINCOUNT") == str(SPIN_COUNT)
    assert "OMP_WAIT_POLICY" not in os.environ


def test_threads_sleep_when_other_tasks_hold_the_cores(unset: pytest.MonkeyPatch) -> None:
    """Two other tasks runnable, 3 threads, 4 cores: the threads would not fit, so they sleep."""
    assert choose_waiting(3, lambda: 3) == "sleep"
    assert os.environ.get("OMP_WAIT_POLICY") == "PASSIVE"
    assert "GOMP_SPINCOUNT" not in os.environ


def test_threads_sleep_when_the_load_is_unknown(unset: pytest.MonkeyPatch) -> None:
    """No runnable count (not Linux): the safe choice, sleeping."""
    assert choose_waiting(1, lambda: None) == "sleep"
    assert os.environ.get("OMP_WAIT_POLICY") == "PASSIVE"


@pytest.mark.parametrize("name", VARIABLES)
def test_a_setting_the_user_made_is_kept(unset: pytest.MonkeyPatch, name: str) -> None:
    """Either variable set by the user: nothing is changed."""
    unset.setenv(name, "7")
    assert choose_waiting(1, lambda: 1) == "user"
    assert os.environ[name] == "7"
    assert all(other not in os.environ for other in VARIABLES if other != name)


def test_runnable_tasks_counts_this_one() -> None:
    """On Linux the count read from /proc/loadavg includes the reading process itself."""
    count = runnable_tasks()
    if not os.path.exists("/proc/loadavg"):
        assert count is None
    else:
        assert count is not None
        assert count >= 1
