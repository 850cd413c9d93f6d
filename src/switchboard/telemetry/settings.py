"""`InstrumentationSettings`: whether and how an agent's runs are traced and measured."""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

from switchboard.errors import ConfigurationError

if TYPE_CHECKING:
    from opentelemetry.metrics import MeterProvider
    from opentelemetry.trace import TracerProvider

INSTRUMENTATION_NAME = "switchboard"
"""The instrumentation scope of switchboard's tracer and meter."""


@dataclass(frozen=True, slots=True)
class InstrumentationSettings:
    """How an agent's runs emit OpenTelemetry spans and metrics (``Agent(instrument=...)``).

    Spans follow the GenAI semantic conventions: ``invoke_agent`` for a run, ``chat {model}``
    for each model request, ``execute_tool {tool}`` for each call, under the request that
    asked for it. Needs the extra: ``pip install "switchboard[otel]"``.

    Attributes:
        tracer_provider: Where spans go (default: OpenTelemetry's global provider, which
            drops them until the application sets one).
        meter_provider: Where metrics go (default: the global one).
        include_content: Record the messages, the calls' arguments and their results on the
            spans. Off by default: they may hold private data.
        agent_name: ``gen_ai.agent.name``, and the run span's name ``invoke_agent {name}``.
    """

    tracer_provider: TracerProvider | None = None
    meter_provider: MeterProvider | None = None
    include_content: bool = False
    agent_name: str | None = None


def instrumentation(
    setting: bool | InstrumentationSettings | None,
) -> InstrumentationSettings | None:
    """The settings ``Agent(instrument=...)`` means: ``True`` the defaults; off: ``None``.

    Raises:
        ConfigurationError: Instrumentation is asked for and ``opentelemetry-api`` is not
            installed.
    """
    if setting is None or setting is False:
        return None
    settings = InstrumentationSettings() if setting is True else setting
    # Checked at run time too: an untyped caller may pass anything.
    if not isinstance(settings, InstrumentationSettings):  # pyright: ignore[reportUnnecessaryIsInstance]
        msg = (
            f"instrument must be True, False or an InstrumentationSettings (got {_kind(settings)})."
        )
        raise ConfigurationError(msg)
    try:
        import opentelemetry.trace  # noqa: F401  # pyright: ignore[reportUnusedImport]
    except ImportError as e:
        msg = (
            "Agent(instrument=...) needs OpenTelemetry's API: "
            'pip install "switchboard[otel]" (and an SDK or exporter to send the spans to).'
        )
        raise ConfigurationError(msg) from e
    return settings


def _kind(value: Any) -> str:
    return type(value).__name__
