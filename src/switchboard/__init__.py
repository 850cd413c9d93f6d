"""switchboard: LLM function calling — typed tools, exact provider schemas, validated calls.

Everything public is importable from here; submodules are private.
"""

from switchboard.agent import Agent
from switchboard.batch.conversation import BatchSettings
from switchboard.batch.engine import RayOptions
from switchboard.batch.output import BatchResult
from switchboard.batch.remote import Ray
from switchboard.batch.run import BatchSummary, batch, batch_sync
from switchboard.errors import (
    ArgumentProblem,
    ArgumentsError,
    ConfigurationError,
    MaxIterationsError,
    MCPConnectionError,
    ProviderAuthError,
    ProviderError,
    ProviderRateLimitError,
    ProviderRequestError,
    ProviderResponseError,
    ProviderUnavailableError,
    RunError,
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
from switchboard.evals.bfcl import from_bfcl
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
from switchboard.mcp.client import MCPServer
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
from switchboard.providers.base import (
    AllowedTools,
    ModelRequest,
    ModelSettings,
    Provider,
    ToolChoice,
)
from switchboard.providers.models import resolve_model
from switchboard.providers.scripted import ScriptedModel
from switchboard.retry import RetryPolicy
from switchboard.routing import Router, RoutingMode
from switchboard.runs.approval import (
    ApprovalRequired,
    Approve,
    CallDeferred,
    Decision,
    Deny,
    PendingCall,
    Supply,
)
from switchboard.runs.compare import Divergence, DivergenceKind
from switchboard.runs.location import open_run_store
from switchboard.runs.postgres import PostgresStore
from switchboard.runs.replay import DivergenceError, ReplayReport, ToolsMode, replay, replay_sync
from switchboard.runs.sqlite import SQLiteStore
from switchboard.runs.state import RunState, RunStatus
from switchboard.runs.store import RunStore, RunSummary, StoredCall, StoredRun, StoredStep
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
    "CallDeferred",
    "CallRecorder",
    "Caller",
    "ConfigurationError",
    "ContentPart",
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
    "RunResult",
    "RunState",
    "RunStateError",
    "RunStatus",
    "RunStopReason",
    "RunStore",
    "RunSummary",
    "RunTimeoutError",
    "SQLiteStore",
    "SchemaDialectError",
    "ScriptedModel",
    "Step",
    "StopReason",
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
