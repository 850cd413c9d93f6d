"""Hypothesis strategies for the neutral types and run states, as switchboard produces them."""

from hypothesis import strategies as st

from switchboard.messages import (
    AssistantTurn,
    FilePart,
    ImagePart,
    ModelResponse,
    SystemMessage,
    TextPart,
    ToolCall,
    ToolResult,
    Usage,
    UserMessage,
)
from switchboard.runs.approval import PendingCall
from switchboard.runs.state import RunState

json_values = st.recursive(
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=12,
)
json_objects = st.dictionaries(st.text(max_size=8), json_values, max_size=4)
counts = st.integers(min_value=0, max_value=2**53)
arguments = st.text(max_size=30) | json_objects

tool_calls = st.builds(
    ToolCall, id=st.text(max_size=12), name=st.text(max_size=12), arguments=arguments
)
usages = st.builds(Usage, counts, counts, counts)
assistant_turns = st.builds(
    AssistantTurn,
    text=st.text(max_size=30),
    tool_calls=st.lists(tool_calls, max_size=3).map(tuple),
    provider_state=st.dictionaries(st.sampled_from(["anthropic", "gemini", "openai"]), json_values),
)
sources = st.binary(max_size=12) | st.text(max_size=12)
content_parts = (
    st.builds(TextPart, st.text(max_size=12))
    | st.builds(ImagePart, sources, st.text(max_size=10))
    | st.builds(FilePart, sources, st.text(max_size=10), st.text(max_size=10))
)
tool_results = st.builds(
    ToolResult,
    call_id=st.text(max_size=12),
    name=st.text(max_size=12),
    content=st.text(max_size=30),
    is_error=st.booleans(),
    error_kind=st.none()
    | st.sampled_from(["unknown_tool", "unparsable", "invalid", "raised", "timeout", "denied"]),
    repaired=st.lists(st.sampled_from(["code_fence", "trailing_comma", "quotes"]), max_size=2).map(
        tuple
    ),
    duration=st.floats(min_value=0, max_value=1e6, allow_nan=False),
    value=json_values,
    parts=st.lists(content_parts, max_size=3).map(tuple),
)
messages = (
    st.builds(SystemMessage, st.text(max_size=30))
    | st.builds(UserMessage, st.text(max_size=30))
    | assistant_turns
    | tool_results
)
responses = st.builds(
    ModelResponse,
    turn=assistant_turns,
    usage=usages,
    stop_reason=st.sampled_from(["answer", "tool_calls", "length", "content_filter", "error"]),
    model=st.text(max_size=12),
    cut_calls=st.none() | st.frozensets(st.text(max_size=8), max_size=3),
    response_id=st.none() | st.text(max_size=12),
)
pending_calls = st.builds(
    PendingCall,
    call_id=st.text(max_size=12),
    tool=st.text(max_size=12),
    arguments=arguments,
    reason=st.text(max_size=20),
    kind=st.sampled_from(["approval", "external"]),
)
run_states = st.builds(
    RunState,
    run_id=st.text(min_size=1, max_size=32),
    messages=st.lists(messages, max_size=6).map(tuple),
    pending=st.lists(pending_calls, max_size=3).map(tuple),
    iteration=counts,
    calls_made=counts,
    usage=usages,
    guard=json_objects,
    failures=st.dictionaries(st.text(max_size=8), st.integers(min_value=0, max_value=100)),
    tool_choice=st.sampled_from(["auto", "none", "required", "get_weather"]),
    tools=st.lists(
        st.tuples(st.text(max_size=8), st.text("0123456789abcdef", min_size=64, max_size=64)),
        max_size=3,
    ).map(tuple),
    status=st.sampled_from(["running", "paused", "finished", "failed"]),
    invalid_answers=counts,
)
