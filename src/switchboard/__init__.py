"""switchboard: LLM function calling — typed tools, exact provider schemas, validated calls.

Everything public is importable from here; submodules are private.
"""

from switchboard.errors import (
    ArgumentProblem,
    ArgumentsError,
    ConfigurationError,
    SchemaDialectError,
    StrictIssue,
    StrictSchemaError,
    SwitchboardError,
    ToolDefinitionError,
    ToolNotFoundError,
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
from switchboard.messages import ErrorKind, ToolCall, ToolResult
from switchboard.schema.dialects import FORMATS, STRICT_FORMATS, Format
from switchboard.tools.context import RunContext
from switchboard.tools.tool import OnStrictIssues, Tool, ToolOptions, tool
from switchboard.tools.toolbox import Toolbox

__all__ = [
    "FORMATS",
    "STRICT_FORMATS",
    "AfterHook",
    "Approver",
    "ArgumentProblem",
    "ArgumentsError",
    "BeforeHook",
    "ConfigurationError",
    "Denial",
    "ErrorFormatter",
    "ErrorKind",
    "Executor",
    "ExecutorOptions",
    "Format",
    "OnStrictIssues",
    "RetryPolicy",
    "RunContext",
    "RunState",
    "SchemaDialectError",
    "StrictIssue",
    "StrictSchemaError",
    "SwitchboardError",
    "Tool",
    "ToolCall",
    "ToolDefinitionError",
    "ToolNotFoundError",
    "ToolOptions",
    "ToolResult",
    "Toolbox",
    "from_bfcl",
    "tool",
]
