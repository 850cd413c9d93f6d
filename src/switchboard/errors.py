"""The exceptions switchboard raises, all catchable as `SwitchboardError`.

```
SwitchboardError
├── ConfigurationError      (also ValueError)  a setting or argument the program got wrong
├── ToolNotFoundError       (also KeyError)    a lookup by a name no tool has
├── ArgumentsError          (also ValueError)  arguments that do not match a tool's schema
├── ToolDefinitionError     (also TypeError)   a function, model or schema that cannot be a tool
│   ├── StrictSchemaError                      a schema with no OpenAI strict-mode form
│   └── SchemaDialectError                     a schema a provider's dialect cannot express
├── ProviderError                              a model provider refused or failed a request
│   ├── ProviderAuthError                      401, 403: the key
│   ├── ProviderRequestError                   400, 404, 422: the request itself
│   ├── ProviderRateLimitError                 429 (transient: retried first)
│   └── ProviderUnavailableError               5xx, timeouts, resets, broken streams
│       │                                      (transient: retried first)
│       └── ProviderResponseError              a 200 whose body is no valid response
├── ToolError                                  raised by a tool: its call fails with this message
├── MCPConnectionError      (also ConnectionError) an MCP server could not be started or reached
├── RunTimeoutError         (also TimeoutError) a run passed its run_timeout
├── RunError                                   a run failed on an unexpected exception
├── MaxIterationsError                         a run hit max_iterations with raise_on_limit
├── OutputValidationError                      a typed run's answers stayed invalid past
│                                              output_retries
├── RunStateError           (also ValueError)  a stored run (state JSON or store file) that
│   │                                          cannot be read, or a store used out of order
│   └── RunNotFoundError                       a run id the store does not hold
└── SwitchboardWarning          (also UserWarning) what works but is likely a mistake
    └── UntypedParameterWarning                a tool parameter without a type annotation
```

`ApprovalRequired` and `CallDeferred` (in ``switchboard.runs.approval``) are
`SwitchboardError`s too: a tool raises them to pause its run for a human or hand its call to
the application, and the run turns them into pending calls. `DivergenceError` (in
``switchboard.runs.replay``) is one too: a replayed run, or a test's cassette, differs from
its recording.

Warnings are `SwitchboardError`s too, so that one ``except SwitchboardError`` still holds
when a warnings filter turns them into exceptions (``-W error``, pytest's
``filterwarnings = error``).

Errors that the *model* causes (an unknown tool name, bad arguments) are never
raised: they become error results fed back to the model.

Any error raised out of a run (`Agent.run`, `run_sync`, `run_stream`) carries the run so
far in ``result`` (a `RunResult`: its messages, the calls that ran and their results), so
nothing that already happened is lost and the run can be continued from it.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any


class SwitchboardError(Exception):
    """Base class of every exception switchboard raises.

    Attributes:
        result: Raised out of a run: the run so far (a `RunResult`), to inspect or to
            continue with ``agent.run(messages=error.result.messages)``; else ``None``.
    """

    result: Any = None


class ConfigurationError(SwitchboardError, ValueError):
    """A setting or argument given to switchboard is wrong; the message says how to fix it."""


class ToolNotFoundError(SwitchboardError, KeyError):
    """A tool was looked up by a name that no registered tool has.

    Attributes:
        name: The name that was looked up.
        available: The names that are registered.
    """

    def __init__(self, name: str, available: Sequence[str]) -> None:
        self.name = name
        self.available = tuple(available)
        shown = ", ".join(repr(n) for n in self.available[:20]) or "none"
        more = f" and {len(self.available) - 20} more" if len(self.available) > 20 else ""
        super().__init__(f"No tool named {name!r}. Registered tools: {shown}{more}.")

    def __str__(self) -> str:
        # KeyError.__str__ would repr() the message and wrap it in quotes.
        return str(self.args[0])


@dataclass(frozen=True, slots=True)
class ArgumentProblem:
    """One way a call's arguments fail a tool's schema.

    Attributes:
        path: Where, as a dotted path into the arguments (``"items.2.name"``); empty for the
            whole object.
        message: What was expected there.
        received: The value found there (``None`` when it is missing).
        missing: Whether a required value is missing there.
    """

    path: str
    message: str
    received: Any = None
    missing: bool = False

    def __str__(self) -> str:
        where = self.path or "arguments"
        if self.missing:
            return f"{where}: missing, but required"
        # JSON, as the model wrote it: null and true, not None and True.
        shown = json.dumps(self.received, ensure_ascii=False, default=repr)
        if len(shown) > 80:
            shown = shown[:77] + "..."
        return f"{where}: {self.message} (received {shown})"


class ArgumentsError(SwitchboardError, ValueError):
    """A call's arguments do not match the tool's schema.

    Attributes:
        tool: The tool's name.
        problems: Every problem found, each with its path.
    """

    def __init__(self, tool: str, problems: Sequence[ArgumentProblem]) -> None:
        self.tool = tool
        self.problems = tuple(problems)
        listed = "\n".join(f"- {problem}" for problem in self.problems)
        super().__init__(f"Invalid arguments for tool {tool!r}:\n{listed}")


class ToolDefinitionError(SwitchboardError, TypeError):
    """A function, model or schema cannot become a tool.

    Attributes:
        tool: The tool's name (or the function's, when no name was settled yet).
        parameter: The offending parameter, when one is to blame.
    """

    def __init__(self, message: str, *, tool: str, parameter: str | None = None) -> None:
        self.tool = tool
        self.parameter = parameter
        super().__init__(message)


@dataclass(frozen=True, slots=True)
class StrictIssue:
    """One reason a schema has no OpenAI strict-mode form.

    Attributes:
        path: A JSON Pointer to the offending schema node, e.g. ``/properties/tags``.
        reason: What is wrong there, and what would fix it.
    """

    path: str
    reason: str

    def __str__(self) -> str:
        return f"{self.path or '/'}: {self.reason}"


class StrictSchemaError(ToolDefinitionError):
    """A tool's schema cannot be made strict; ``issues`` lists every offending path.

    Attributes:
        issues: Each offending path and why.
    """

    def __init__(self, tool: str, issues: Sequence[StrictIssue]) -> None:
        self.issues = tuple(issues)
        listed = "; ".join(str(issue) for issue in self.issues)
        super().__init__(
            f"Tool {tool!r} has no strict-mode schema: {listed}. Change the parameter types, "
            "or pass on_strict_issues='fallback' to send this tool non-strict.",
            tool=tool,
        )


class SchemaDialectError(ToolDefinitionError):
    """A schema uses a feature that a provider's dialect cannot express.

    Attributes:
        dialect: The provider format, e.g. ``"gemini"``.
        path: A JSON Pointer to the offending schema node.
    """

    def __init__(self, message: str, *, tool: str, dialect: str, path: str) -> None:
        self.dialect = dialect
        self.path = path
        super().__init__(message, tool=tool)


class ProviderError(SwitchboardError):
    """A model provider refused or failed a request (after the retries, if it was transient).

    Attributes:
        provider: The provider's name, e.g. ``"anthropic"``.
        status_code: The HTTP status, or ``None`` when no response came (connection, timeout).
        message: The provider's own message.
        retry_after: Seconds the provider asked to wait before retrying, when it said.
    """

    transient = False
    """Whether retrying the same request may succeed (rate limits, outages, timeouts)."""

    def __init__(
        self,
        provider: str,
        message: str,
        *,
        status_code: int | None = None,
        retry_after: float | None = None,
    ) -> None:
        self.provider = provider
        self.status_code = status_code
        self.message = message
        self.retry_after = retry_after
        status = f" (HTTP {status_code})" if status_code is not None else ""
        super().__init__(f"{provider}{status}: {message}")


class ProviderAuthError(ProviderError):
    """The API key is missing, wrong or lacks permission (401, 403)."""


class ProviderRequestError(ProviderError):
    """The provider rejected the request itself (400, 404, 422): fix it, do not retry."""


class ProviderRateLimitError(ProviderError):
    """Too many requests or tokens (429)."""

    transient = True


class ProviderUnavailableError(ProviderError):
    """The provider failed or could not be reached (5xx, timeout, connection reset)."""

    transient = True


class ProviderResponseError(ProviderUnavailableError):
    """The provider answered 200 with a body that is no valid response (HTML, broken JSON).

    Treated as an outage: retried like a 5xx.
    """


class ToolError(SwitchboardError):
    """Raised by a tool to fail its call with a message written for the model.

    The model reads the message as it is, with no "raised ToolError" around it (an
    executor's ``format_error`` still sees it first). The tools of an MCP server raise it
    for an ``isError`` result and for a call the server could not answer.

    Attributes:
        message: What the model reads.
    """

    def __init__(self, message: str) -> None:
        self.message = message
        super().__init__(message)


class MCPConnectionError(SwitchboardError, ConnectionError):
    """An MCP server could not be started, reached, or did not complete the handshake.

    Raised by connecting (``async with server``) and reconnecting (`MCPServer.reconnect`);
    a call to a server that is gone becomes an error result instead.

    Attributes:
        server: The server's name.
    """

    def __init__(self, message: str, *, server: str) -> None:
        self.server = server
        super().__init__(message)


class RunTimeoutError(SwitchboardError, TimeoutError):
    """A run went past its ``run_timeout``; ``result`` holds what it had done."""


class RunError(SwitchboardError):
    """A run failed on an exception that is not switchboard's (raised from ``__cause__``).

    Raised so that the run so far is not lost with it: see ``result``.
    """


class MaxIterationsError(SwitchboardError):
    """A run reached ``max_iterations`` and the agent was asked to raise.

    Attributes:
        result: The run so far (a `RunResult`), messages included, to inspect or continue.
    """

    def __init__(self, message: str, result: Any) -> None:
        self.result = result
        super().__init__(message)


class OutputValidationError(SwitchboardError):
    """A run with an ``output_type`` got no valid answer within its ``output_retries``.

    Each invalid answer was sent back to the model with its problems; this one was the last
    allowed. ``result`` holds the run so far (its state included), to inspect or continue.

    Attributes:
        problem: What was wrong with the last answer, as the model was told.
    """

    def __init__(self, message: str, problem: str) -> None:
        self.problem = problem
        super().__init__(message)


class RunStateError(SwitchboardError, ValueError):
    """A run's saved state or its store cannot be read, or was used out of order.

    Raised for a state JSON with an unknown ``type`` tag, a missing or mistyped field, or a
    newer version than this switchboard reads; for a store file of a newer schema; and for
    store operations on a run, step or call that does not exist, or that would overwrite what
    was recorded (a finished call started again). The message names the run or the field.
    """


class RunNotFoundError(RunStateError):
    """The run store holds no run of this id (the message names it, and the store)."""


class SwitchboardWarning(SwitchboardError, UserWarning):
    """Base class of the warnings switchboard emits: things that work but are likely mistakes."""


class UntypedParameterWarning(SwitchboardWarning):
    """A tool parameter has no type annotation, so the model is told it may send any value.

    Annotate the parameter, or register with ``strict_types=True`` to refuse such functions.
    """
