"""OpenTelemetry spans and metrics of runs, under the GenAI semantic conventions (optional).

Switched on per agent with ``Agent(instrument=True)`` or an `InstrumentationSettings`; off,
nothing of OpenTelemetry is imported and the loop does nothing more. The spans of a run::

    invoke_agent {agent}            the run (INTERNAL)
      chat {model}                  each model request (CLIENT)
        execute_tool {tool}         each call it asked for, parallel ones side by side

Modules: `settings` (the switch), `conventions` (the names), `tracing` (tracer and metric
instruments), `run_trace` (one run's spans), `provider` (the ``chat`` spans), `calls` (the
``execute_tool`` spans), `content` (opt-in message contents), `notes` (events from below
the loop).
"""

from switchboard.telemetry.settings import InstrumentationSettings

__all__ = ["InstrumentationSettings"]
