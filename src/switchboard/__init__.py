"""switchboard: LLM function calling — typed tools, exact provider schemas, validated calls.

Everything public is importable from here; submodules are private. The names a plain
function-calling program does not need (batches, evals, MCP, run stores and replay, routing,
the viewer) are imported on first use, which keeps `import switchboard` short.
"""

import importlib as _importlib
import sys as _sys
import typing as _typing
from types import ModuleType as _ModuleType

from switchboard.agent import Agent
from switchboard.errors import (
    ArgumentProblem,
    ArgumentsError,
    ConfigurationError,
    MaxIterationsError,
    MCPConnectionError,
    OutputValidationError,
    ProviderAuthError,
    ProviderError,
    ProviderRateLimitError,
    ProviderRequestError,
    ProviderResponseError,
    ProviderUnavailableError,
    RunError,
    RunNotFoundError,
    RunStateError,
    RunTimeoutError,
    SchemaDialectError,
    StrictIssue,
    StrictSchemaError,
    SwitchboardError,
    SwitchboardWarning,
    ToolDefinitionError,
    ToolError,
    ToolNotFoundError,
    UntypedParameterWarning,
)
from switchboard.execution.executor import (
    AfterHook,
    Approver,
    BeforeHook,
    CallRecorder,
    Denial,
    ErrorFormatter,
    Executor,
    ExecutorOptions,
    ExecutorState,
)
from switchboard.execution.toolbox import Toolbox
from switchboard.messages import (
    AssistantTurn,
    ContentPart,
    ErrorKind,
    FilePart,
    ImagePart,
    Message,
    ModelResponse,
    StopReason,
    SystemMessage,
    TextPart,
    ToolCall,
    ToolResult,
    Usage,
    UserMessage,
)
from switchboard.outcome import RunResult, RunStopReason, Step
from switchboard.output_schema import OutputSchema
from switchboard.providers.base import (
    AllowedTools,
    ModelRequest,
    ModelSettings,
    Provider,
    ToolChoice,
)
from switchboard.providers.models import resolve_model
from switchboard.retry import RetryPolicy
from switchboard.runs.approval import (
    ApprovalRequired,
    Approve,
    CallDeferred,
    Decision,
    Deny,
    PendingCall,
    Supply,
)
from switchboard.runs.state import RunState, RunStatus
from switchboard.schema.dialects import FORMATS, STRICT_FORMATS, Format
from switchboard.streaming import (
    RunEnd,
    RunEvent,
    StreamEvent,
    TextDelta,
    ToolCallCut,
    ToolCallDelta,
    ToolCallReady,
    ToolCallStart,
    ToolProgressEvent,
    ToolResultEvent,
    TurnEnd,
    TurnRestart,
)
from switchboard.telemetry import InstrumentationSettings
from switchboard.tools.context import ProgressListener, RunContext, ToolProgress
from switchboard.tools.source import ToolSource
from switchboard.tools.tool import Caller, OnStrictIssues, Tool, ToolOptions, tool

if _typing.TYPE_CHECKING:
    from switchboard.batch.conversation import BatchSettings
    from switchboard.batch.engine import RayOptions
    from switchboard.batch.output import BatchResult
    from switchboard.batch.remote import Ray
    from switchboard.batch.run import BatchSummary, batch, batch_sync
    from switchboard.evals.bfcl import from_bfcl
    from switchboard.mcp.client import MCPServer
    from switchboard.providers.scripted import ScriptedModel
    from switchboard.routing import Router, RoutingMode
    from switchboard.runs.compare import Divergence, DivergenceKind
    from switchboard.runs.location import open_run_store
    from switchboard.runs.postgres import PostgresStore
    from switchboard.runs.replay import (
        DivergenceError,
        ReplayReport,
        ToolsMode,
        replay,
        replay_sync,
    )
    from switchboard.runs.sqlite import SQLiteStore
    from switchboard.runs.store import RunStore, RunSummary, StoredCall, StoredRun, StoredStep
    from switchboard.runs.writes import (
        BeginStep,
        CallFinished,
        CallSettled,
        CallStarted,
        CreateRun,
        FinishStep,
        SaveState,
        StoreWrite,
    )
    from switchboard.viewer import viewer_app

__all__ = [
    "FORMATS",
    "STRICT_FORMATS",
    "AfterHook",
    "Agent",
    "AllowedTools",
    "ApprovalRequired",
    "Approve",
    "Approver",
    "ArgumentProblem",
    "ArgumentsError",
    "AssistantTurn",
    "BatchResult",
    "BatchSettings",
    "BatchSummary",
    "BeforeHook",
    "BeginStep",
    "CallDeferred",
    "CallFinished",
    "CallRecorder",
    "CallSettled",
    "CallStarted",
    "Caller",
    "ConfigurationError",
    "ContentPart",
    "CreateRun",
    "Decision",
    "Denial",
    "Deny",
    "Divergence",
    "DivergenceError",
    "DivergenceKind",
    "ErrorFormatter",
    "ErrorKind",
    "Executor",
    "ExecutorOptions",
    "ExecutorState",
    "FilePart",
    "FinishStep",
    "Format",
    "ImagePart",
    "InstrumentationSettings",
    "MCPConnectionError",
    "MCPServer",
    "MaxIterationsError",
    "Message",
    "ModelRequest",
    "ModelResponse",
    "ModelSettings",
    "OnStrictIssues",
    "OutputSchema",
    "OutputValidationError",
    "PendingCall",
    "PostgresStore",
    "ProgressListener",
    "Provider",
    "ProviderAuthError",
    "ProviderError",
    "ProviderRateLimitError",
    "ProviderRequestError",
    "ProviderResponseError",
    "ProviderUnavailableError",
    "Ray",
    "RayOptions",
    "ReplayReport",
    "RetryPolicy",
    "Router",
    "RoutingMode",
    "RunContext",
    "RunEnd",
    "RunError",
    "RunEvent",
    "RunNotFoundError",
    "RunResult",
    "RunState",
    "RunStateError",
    "RunStatus",
    "RunStopReason",
    "RunStore",
    "RunSummary",
    "RunTimeoutError",
    "SQLiteStore",
    "SaveState",
    "SchemaDialectError",
    "ScriptedModel",
    "Step",
    "StopReason",
    "StoreWrite",
    "StoredCall",
    "StoredRun",
    "StoredStep",
    "StreamEvent",
    "StrictIssue",
    "StrictSchemaError",
    "Supply",
    "SwitchboardError",
    "SwitchboardWarning",
    "SystemMessage",
    "TextDelta",
    "TextPart",
    "Tool",
    "ToolCall",
    "ToolCallCut",
    "ToolCallDelta",
    "ToolCallReady",
    "ToolCallStart",
    "ToolChoice",
    "ToolDefinitionError",
    "ToolError",
    "ToolNotFoundError",
    "ToolOptions",
    "ToolProgress",
    "ToolProgressEvent",
    "ToolResult",
    "ToolResultEvent",
    "ToolSource",
    "Toolbox",
    "ToolsMode",
    "TurnEnd",
    "TurnRestart",
    "UntypedParameterWarning",
    "Usage",
    "UserMessage",
    "batch",
    "batch_sync",
    "from_bfcl",
    "open_run_store",
    "replay",
    "replay_sync",
    "resolve_model",
    "tool",
    "viewer_app",
]

_LAZY: dict[str, str] = {
    "BatchSettings": "switchboard.batch.conversation",
    "RayOptions": "switchboard.batch.engine",
    "BatchResult": "switchboard.batch.output",
    "Ray": "switchboard.batch.remote",
    "BatchSummary": "switchboard.batch.run",
    "batch": "switchboard.batch.run",
    "batch_sync": "switchboard.batch.run",
    "from_bfcl": "switchboard.evals.bfcl",
    "MCPServer": "switchboard.mcp.client",
    "ScriptedModel": "switchboard.providers.scripted",
    "Router": "switchboard.routing",
    "RoutingMode": "switchboard.routing",
    "Divergence": "switchboard.runs.compare",
    "DivergenceKind": "switchboard.runs.compare",
    "open_run_store": "switchboard.runs.location",
    "PostgresStore": "switchboard.runs.postgres",
    "DivergenceError": "switchboard.runs.replay",
    "ReplayReport": "switchboard.runs.replay",
    "ToolsMode": "switchboard.runs.replay",
    "replay": "switchboard.runs.replay",
    "replay_sync": "switchboard.runs.replay",
    "SQLiteStore": "switchboard.runs.sqlite",
    "RunStore": "switchboard.runs.store",
    "RunSummary": "switchboard.runs.store",
    "StoredCall": "switchboard.runs.store",
    "StoredRun": "switchboard.runs.store",
    "StoredStep": "switchboard.runs.store",
    "BeginStep": "switchboard.runs.writes",
    "CallFinished": "switchboard.runs.writes",
    "CallSettled": "switchboard.runs.writes",
    "CallStarted": "switchboard.runs.writes",
    "CreateRun": "switchboard.runs.writes",
    "FinishStep": "switchboard.runs.writes",
    "SaveState": "switchboard.runs.writes",
    "StoreWrite": "switchboard.runs.writes",
    "viewer_app": "switchboard.viewer",
}
"""The names imported on first use, each with the module that defines it."""


def _load(name: str) -> object:
    """The lazy name ``name``, imported, and kept as the package's attribute."""
    value = getattr(_importlib.import_module(_LAZY[name]), name)
    globals()[name] = value
    return value


class _Package(_ModuleType):
    """This package's module, whose ``batch`` is the function, never the subpackage.

    Importing the subpackage ``switchboard.batch`` (a batch, a Ray tool, the command) makes
    the import system set the package's ``batch`` to it, and `__getattr__` is asked only for
    names the package lacks: a property comes before both.
    """

    @property
    def batch(self) -> object:
        value = vars(self).get("batch")
        return _load("batch") if value is None else value

    @batch.setter
    def batch(self, value: object) -> None:
        if not isinstance(value, _ModuleType):  # the subpackage, set by the import system
            vars(self)["batch"] = value


_sys.modules[__name__].__class__ = _Package

if not _typing.TYPE_CHECKING:  # hidden from type checkers, which would take any name then

    def __getattr__(name: str) -> object:
        if name not in _LAZY:
            msg = f"module {__name__!r} has no attribute {name!r}"
            raise AttributeError(msg)
        return _load(name)

    def __dir__() -> list[str]:
        return sorted({*globals(), *_LAZY})
