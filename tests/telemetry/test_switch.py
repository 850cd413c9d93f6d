"""The switch: off by default, nothing of OpenTelemetry loaded then; clear errors when misused."""

import subprocess
import sys
from pathlib import Path

import pytest

import switchboard
from switchboard import Agent, ConfigurationError, InstrumentationSettings, ScriptedModel

SOURCE = str(Path(switchboard.__file__).resolve().parents[1])

RUN_UNTRACED = """
import sys
from switchboard import Agent, ScriptedModel, ToolCall, RetryPolicy, Toolbox

tries = []

def flaky() -> str:
    '''Fail once.'''
    tries.append(1)
    if len(tries) == 1:
        raise ConnectionError("reset")
    return "ok"

tools = Toolbox()
tools.register(flaky, retry=RetryPolicy(attempts=2, base=0, retry_on=(ConnectionError,)))
model = ScriptedModel([ToolCall("c1", "flaky", "{}"), "Done."])
result = Agent(model, tools=tools, approve=lambda call, tool: True).run_sync("Go.")
assert result.output == "Done.", result
print(sorted(name for name in sys.modules if name.split(".")[0] == "opentelemetry"))
"""


def test_a_run_without_instrument_imports_no_opentelemetry() -> None:
    """An agent left untraced runs, retries included, without loading OpenTelemetry."""
    done = subprocess.run(
        [sys.executable, "-c", RUN_UNTRACED],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": SOURCE},
    )
    assert done.stdout.strip() == "[]"


def test_instrument_without_opentelemetry_says_which_extra_to_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """instrument=True without opentelemetry-api: a ConfigurationError naming the extra."""
    monkeypatch.setitem(sys.modules, "opentelemetry.trace", None)
    with pytest.raises(ConfigurationError, match=r"switchboard\[otel\]"):
        Agent(ScriptedModel(["Hi."]), instrument=True)


def test_instrument_of_another_type_is_refused() -> None:
    """instrument="yes": a ConfigurationError saying what it takes."""
    with pytest.raises(ConfigurationError, match="instrument must be True, False or an"):
        Agent(ScriptedModel(["Hi."]), instrument="yes")  # pyright: ignore[reportArgumentType]


def test_instrument_true_means_the_default_settings() -> None:
    """instrument=True: the global providers, no contents; False: off."""
    assert Agent(ScriptedModel(["Hi."]), instrument=True).instrument == InstrumentationSettings()
    assert Agent(ScriptedModel(["Hi."])).instrument is None
