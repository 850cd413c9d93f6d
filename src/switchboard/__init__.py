"""switchboard: LLM function calling — typed tools, exact provider schemas, validated calls.

Everything public is importable from here; submodules are private.
"""

from switchboard.agent import Agent
from switchboard.errors import (
    ArgumentProblem,
    ArgumentsError,
    ConfigurationError,
    MaxIterationsError,
    ProviderAuthError,
    ProviderError,
    ProviderRateLimitError,
    ProviderRequestError,
    ProviderUnavailableError,
    SchemaDialectError,
    StrictIssue,
    StrictSchemaError,
    SwitchboardError,
    SwitchboardWarning,
    ToolDefinitionError,
    ToolNotFoundError,
    UntypedParameterWarning,
)
from switchboard.evals.bfcl import from_bfcl
from switchboard.execution.executor import (
    AfterHook,
    Approver,
    BeforeHook,
    Denial,
    ErrorFormatter,
    Executor,
    ExecutorOptions,
    RunState,
)
from switchboard.execution.retry import RetryPolicy
from switchboard.messages import (
    AssistantTurn,
    ErrorKind,
    Message,
    StopReason,
    SystemMessage,
    ToolCall,
    ToolResult,
    Usage,
    UserMessage,
)
from switchboard.providers.base import (
    ModelRequest,
    ModelResponse,
    ModelSettings,
    Provider,
    ToolChoice,
)
from switchboard.providers.models import resolve_model
from switchboard.providers.scripted import ScriptedModel
from switchboard.routing import Router, RoutingMode
from switchboard.run import RunResult, RunStopReason, Step
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
    ToolResultEvent,
    TurnEnd,
)
from switchboard.tools.context import RunContext
from switchboard.tools.tool import OnStrictIssues, Tool, ToolOptions, tool
from switchboard.tools.toolbox import Toolbox

__all__ = [
    "FORMATS",
    "STRICT_FORMATS",
    "AfterHook",
    "Agent",
    "Approver",
    "ArgumentProblem",
    "ArgumentsError",
    "AssistantTurn",
    "BeforeHook",
    "ConfigurationError",
    "Denial",
    "ErrorFormatter",
    "ErrorKind",
    "Executor",
    "ExecutorOptions",
    "Format",
    "MaxIterationsError",
    "Message",
    "ModelRequest",
    "ModelResponse",
    "ModelSettings",
    "OnStrictIssues",
    "Provider",
    "ProviderAuthError",
    "ProviderError",
    "ProviderRateLimitError",
    "ProviderRequestError",
    "ProviderUnavailableError",
    "RetryPolicy",
    "Router",
    "RoutingMode",
    "RunContext",
    "RunEnd",
    "RunEvent",
    "RunResult",
    "RunState",
    "RunStopReason",
    "SchemaDialectError",
    "ScriptedModel",
    "Step",
    "StopReason",
    "StreamEvent",
    "StrictIssue",
    "StrictSchemaError",
    "SwitchboardError",
    "SwitchboardWarning",
    "SystemMessage",
    "TextDelta",
    "Tool",
    "ToolCall",
    "ToolCallCut",
    "ToolCallDelta",
    "ToolCallReady",
    "ToolCallStart",
    "ToolChoice",
    "ToolDefinitionError",
    "ToolNotFoundError",
    "ToolOptions",
    "ToolResult",
    "ToolResultEvent",
    "Toolbox",
    "TurnEnd",
    "UntypedParameterWarning",
    "Usage",
    "UserMessage",
    "from_bfcl",
    "resolve_model",
    "tool",
]
