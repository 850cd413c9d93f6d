"""The switch: off by default, nothing of OpenTelemetry loaded then; clear errors when misused."""

import subprocess
import sys
from pathlib import Path

import pytest
from opentelemetry.sdk.metrics import MeterProvider
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.trace import NoOpTracerProvider

import switchboard
from switchboard import Agent, ConfigurationError, InstrumentationSettings, ScriptedModel
from switchboard.telemetry.tracing import Tracing

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


LATER_PROVIDER = """
import asyncio
from opentelemetry import trace
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from switchboard import Agent, ScriptedModel

agent = Agent(ScriptedModel(["One.", "Two."]), instrument=True)
agent.run_sync("Before the application set up tracing.")
exporter = InMemorySpanExporter()
provider = TracerProvider()
provider.add_span_processor(SimpleSpanProcessor(exporter))
trace.set_tracer_provider(provider)
agent.run_sync("After.")
print(sorted(span.name for span in exporter.get_finished_spans()))
"""


def test_a_global_provider_set_after_the_agent_is_made_gets_its_next_runs() -> None:
    """instrument=True follows the global provider: set later, the runs from then on are traced."""
    done = subprocess.run(
        [sys.executable, "-c", LATER_PROVIDER],
        capture_output=True,
        text=True,
        check=True,
        env={"PYTHONPATH": SOURCE},
    )
    assert done.stdout.strip() == "['chat scripted', 'invoke_agent']"


def test_with_no_provider_set_up_a_run_is_not_traced() -> None:
    """No tracer or meter provider anywhere: nothing would receive the run's spans, so none."""
    assert not Tracing(InstrumentationSettings()).recording()
    noop = InstrumentationSettings(tracer_provider=NoOpTracerProvider())
    assert not Tracing(noop).recording()


def test_a_given_tracer_or_meter_provider_is_traced_to() -> None:
    """A provider passed in the settings, for spans or for metrics, turns tracing on."""
    assert Tracing(InstrumentationSettings(tracer_provider=TracerProvider())).recording()
    assert Tracing(InstrumentationSettings(meter_provider=MeterProvider())).recording()
