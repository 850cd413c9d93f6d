"""The names switchboard's spans and metrics use: the OpenTelemetry GenAI semantic conventions.

Copied as strings, not imported from ``opentelemetry-semantic-conventions``: the ``otel`` extra
depends on ``opentelemetry-api`` alone, and the GenAI names there are still in the package's
incubating module. ``tests/telemetry/test_conventions.py`` checks each name against that
package. Names of switchboard's own (events, the tool-duration metric, run attributes) are
under ``switchboard.``, as the conventions ask of names they do not define.

See https://opentelemetry.io/docs/specs/semconv/gen-ai/ (spans, metrics, attributes).
"""

from __future__ import annotations

from typing import Final

OPERATION_NAME: Final = "gen_ai.operation.name"
PROVIDER_NAME: Final = "gen_ai.provider.name"
AGENT_NAME: Final = "gen_ai.agent.name"
CONVERSATION_ID: Final = "gen_ai.conversation.id"
REQUEST_MODEL: Final = "gen_ai.request.model"
REQUEST_MAX_TOKENS: Final = "gen_ai.request.max_tokens"
REQUEST_TEMPERATURE: Final = "gen_ai.request.temperature"
REQUEST_SEED: Final = "gen_ai.request.seed"
REQUEST_STREAM: Final = "gen_ai.request.stream"
RESPONSE_ID: Final = "gen_ai.response.id"
RESPONSE_MODEL: Final = "gen_ai.response.model"
RESPONSE_FINISH_REASONS: Final = "gen_ai.response.finish_reasons"
USAGE_INPUT_TOKENS: Final = "gen_ai.usage.input_tokens"
USAGE_OUTPUT_TOKENS: Final = "gen_ai.usage.output_tokens"
TOKEN_TYPE: Final = "gen_ai.token.type"
TOOL_NAME: Final = "gen_ai.tool.name"
TOOL_CALL_ID: Final = "gen_ai.tool.call.id"
TOOL_DESCRIPTION: Final = "gen_ai.tool.description"
TOOL_TYPE: Final = "gen_ai.tool.type"
TOOL_CALL_ARGUMENTS: Final = "gen_ai.tool.call.arguments"
TOOL_CALL_RESULT: Final = "gen_ai.tool.call.result"
INPUT_MESSAGES: Final = "gen_ai.input.messages"
OUTPUT_MESSAGES: Final = "gen_ai.output.messages"
ERROR_TYPE: Final = "error.type"

CHAT: Final = "chat"
INVOKE_AGENT: Final = "invoke_agent"
EXECUTE_TOOL: Final = "execute_tool"

TOKEN_USAGE: Final = "gen_ai.client.token.usage"
OPERATION_DURATION: Final = "gen_ai.client.operation.duration"

TOKEN_BUCKETS: Final = (
    1, 4, 16, 64, 256, 1024, 4096, 16384, 65536, 262144, 1048576, 4194304, 16777216, 67108864,
)  # fmt: skip
"""The bucket boundaries the conventions advise for ``gen_ai.client.token.usage``."""
DURATION_BUCKETS: Final = (
    0.01, 0.02, 0.04, 0.08, 0.16, 0.32, 0.64, 1.28, 2.56, 5.12, 10.24, 20.48, 40.96, 81.92,
)  # fmt: skip
"""The bucket boundaries the conventions advise for ``gen_ai.client.operation.duration``."""

# switchboard's own names.
TOOL_DURATION: Final = "switchboard.tool.duration"
RUN_ID: Final = "switchboard.run.id"
RUN_STOP_REASON: Final = "switchboard.run.stop_reason"
RUN_STEPS: Final = "switchboard.run.steps"
EVENT_REQUEST_RETRY: Final = "switchboard.request.retry"
EVENT_TOOL_RETRY: Final = "switchboard.tool.retry"
EVENT_REPAIRED: Final = "switchboard.arguments.repaired"
EVENT_GUARD: Final = "switchboard.guard"
EVENT_CUT_OFF: Final = "switchboard.call.cut_off"
EVENT_PAUSED: Final = "switchboard.call.paused"
EVENT_APPROVAL: Final = "switchboard.approval"

PROVIDER_NAMES: Final = {
    "openai": "openai",
    "openai-responses": "openai",
    "anthropic": "anthropic",
    "gemini": "gcp.gemini",
}
"""switchboard's provider names -> the conventions' ``gen_ai.provider.name`` values; the others
(``local``, ``scripted``, a user's own) are sent as they are, as the conventions allow."""

FINISH_REASONS: Final = {
    "answer": "stop",
    "tool_calls": "tool_calls",
    "length": "length",
    "content_filter": "content_filter",
    "error": "error",
}
"""A reply's `StopReason` -> the conventions' finish reason."""
