"""switchboard's copies of the GenAI conventions' names match the conventions' own package."""

from opentelemetry.semconv._incubating.attributes import error_attributes, gen_ai_attributes
from opentelemetry.semconv._incubating.metrics import gen_ai_metrics

from switchboard.telemetry import conventions as c

GEN_AI = gen_ai_attributes
ATTRIBUTES = {
    c.OPERATION_NAME: GEN_AI.GEN_AI_OPERATION_NAME,
    c.PROVIDER_NAME: GEN_AI.GEN_AI_PROVIDER_NAME,
    c.AGENT_NAME: GEN_AI.GEN_AI_AGENT_NAME,
    c.CONVERSATION_ID: GEN_AI.GEN_AI_CONVERSATION_ID,
    c.REQUEST_MODEL: GEN_AI.GEN_AI_REQUEST_MODEL,
    c.REQUEST_MAX_TOKENS: GEN_AI.GEN_AI_REQUEST_MAX_TOKENS,
    c.REQUEST_TEMPERATURE: GEN_AI.GEN_AI_REQUEST_TEMPERATURE,
    c.REQUEST_SEED: GEN_AI.GEN_AI_REQUEST_SEED,
    c.REQUEST_STREAM: GEN_AI.GEN_AI_REQUEST_STREAM,
    c.RESPONSE_ID: GEN_AI.GEN_AI_RESPONSE_ID,
    c.RESPONSE_MODEL: GEN_AI.GEN_AI_RESPONSE_MODEL,
    c.RESPONSE_FINISH_REASONS: GEN_AI.GEN_AI_RESPONSE_FINISH_REASONS,
    c.USAGE_INPUT_TOKENS: GEN_AI.GEN_AI_USAGE_INPUT_TOKENS,
    c.USAGE_OUTPUT_TOKENS: GEN_AI.GEN_AI_USAGE_OUTPUT_TOKENS,
    c.TOKEN_TYPE: GEN_AI.GEN_AI_TOKEN_TYPE,
    c.TOOL_NAME: GEN_AI.GEN_AI_TOOL_NAME,
    c.TOOL_CALL_ID: GEN_AI.GEN_AI_TOOL_CALL_ID,
    c.TOOL_DESCRIPTION: GEN_AI.GEN_AI_TOOL_DESCRIPTION,
    c.TOOL_TYPE: GEN_AI.GEN_AI_TOOL_TYPE,
    c.TOOL_CALL_ARGUMENTS: GEN_AI.GEN_AI_TOOL_CALL_ARGUMENTS,
    c.TOOL_CALL_RESULT: GEN_AI.GEN_AI_TOOL_CALL_RESULT,
    c.INPUT_MESSAGES: GEN_AI.GEN_AI_INPUT_MESSAGES,
    c.OUTPUT_MESSAGES: GEN_AI.GEN_AI_OUTPUT_MESSAGES,
    c.ERROR_TYPE: error_attributes.ERROR_TYPE,
}


def test_attribute_names_are_the_conventions() -> None:
    """Every attribute name switchboard copied is the conventions' name for it."""
    assert {ours: theirs for ours, theirs in ATTRIBUTES.items() if ours != theirs} == {}


def test_operation_names_are_the_conventions() -> None:
    """chat, invoke_agent and execute_tool are values of gen_ai.operation.name."""
    values = {member.value for member in GEN_AI.GenAiOperationNameValues}
    assert {c.CHAT, c.INVOKE_AGENT, c.EXECUTE_TOOL} <= values


def test_provider_names_are_the_conventions() -> None:
    """Each provider name switchboard maps to is a value of gen_ai.provider.name."""
    values = {member.value for member in GEN_AI.GenAiProviderNameValues}
    assert set(c.PROVIDER_NAMES.values()) <= values


def test_metric_names_are_the_conventions() -> None:
    """The token-usage and operation-duration histograms have the conventions' names."""
    assert c.TOKEN_USAGE == gen_ai_metrics.GEN_AI_CLIENT_TOKEN_USAGE
    assert c.OPERATION_DURATION == gen_ai_metrics.GEN_AI_CLIENT_OPERATION_DURATION


def test_token_type_values_are_the_conventions() -> None:
    """Input and output are values of gen_ai.token.type."""
    values = {member.value for member in GEN_AI.GenAiTokenTypeValues}
    assert {"input", "output"} <= values
