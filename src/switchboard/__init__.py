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
from switchboard.schema.dialects import FORMATS, STRICT_FORMATS, Format
from switchboard.tools.context import RunContext
from switchboard.tools.tool import OnStrictIssues, Tool, tool
from switchboard.tools.toolbox import Toolbox

__all__ = [
    "FORMATS",
    "STRICT_FORMATS",
    "ArgumentProblem",
    "ArgumentsError",
    "ConfigurationError",
    "Format",
    "OnStrictIssues",
    "RunContext",
    "SchemaDialectError",
    "StrictIssue",
    "StrictSchemaError",
    "SwitchboardError",
    "Tool",
    "ToolDefinitionError",
    "ToolNotFoundError",
    "Toolbox",
    "from_bfcl",
    "tool",
]
