"""The local model's prompt: tools shown in the generic format, replies read back as calls."""

import json
import re
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from switchboard.messages import AssistantTurn, SystemMessage, ToolCall, ToolResult, UserMessage
from switchboard.providers.local.prompt import (
    parse_reply,
    render_generic,
    render_native,
    template_renders_tools,
    tool_listing,
)
from switchboard.tools.tool import Tool

NAMES = st.from_regex(r"[a-zA-Z_][a-zA-Z0-9_]{0,20}", fullmatch=True)
JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=8,
)
ARGUMENTS = st.dictionaries(st.text(), JSON_VALUES, max_size=4)


def add(a: int, b: int) -> int:
    """Add two numbers."""
    return a + b


@given(st.lists(st.tuples(NAMES, ARGUMENTS), min_size=1, max_size=3))
def test_calls_written_as_json_read_back_in_order(calls: list[tuple[str, dict[str, Any]]]) -> None:
    """One call object, or a list of them, parses to the same names and arguments."""
    objects = [{"name": name, "arguments": arguments} for name, arguments in calls]
    text = json.dumps(objects[0] if len(objects) == 1 else objects)
    answer, parsed = parse_reply(text, call_id_prefix="c")
    assert answer == ""
    assert [(c.name, json.loads(str(c.arguments))) for c in parsed] == calls
    assert [c.id for c in parsed] == [f"c-{i}" for i in range(len(calls))]


@given(st.text())
def test_text_that_does_not_open_json_is_the_answer(text: str) -> None:
    """A reply that does not start with { or [ is returned as text, with no calls."""
    if text.strip().startswith(("{", "[", "<tool_call>", "```")):
        return
    assert parse_reply(text, call_id_prefix="c") == (text.strip(), ())


def test_json_that_is_not_a_call_is_the_answer() -> None:
    """JSON without a string name, or with other keys, stays text."""
    for text in ['{"city": "Paris"}', '[{"name": 1}]', '{"name": "f", "x": 1}', "[]", "{"]:
        assert parse_reply(text, call_id_prefix="c") == (text, ())


def test_call_in_tool_call_tags_or_a_fence_is_read() -> None:
    """Calls wrapped in <tool_call> tags or a ```json fence are unwrapped."""
    for text in [
        '<tool_call>\n{"name": "f", "arguments": {}}\n</tool_call>',
        '```json\n{"name": "f", "arguments": {}}\n```',
    ]:
        assert parse_reply(text, call_id_prefix="c") == ("", (ToolCall("c-0", "f", "{}"),))


# How parse_reply unwrapped a reply when it did so with one regular expression.
WRAPPED = re.compile(
    r"^\s*(?:<tool_call>|```(?:json)?)\s*(?P<body>.*?)\s*(?:</tool_call>|```)?\s*$", re.DOTALL
)
CALL_TEXT = '{"name": "f", "arguments": {}}'
WRAPPERS = ["<tool_call>", "</tool_call>", "```", "```json", "json"]
WRAPPER_PARTS = st.sampled_from([*WRAPPERS, CALL_TEXT])
SPACE = st.text(" \n\t\r\x0b\x0c\u2003", max_size=3)


@given(st.lists(st.one_of(WRAPPER_PARTS, SPACE, st.text(max_size=3)), max_size=8).map("".join))
def test_a_reply_is_unwrapped_as_the_wrapper_pattern_reads_it(text: str) -> None:
    """Tags or a fence, whitespace and text in any order: unwrapped as the pattern unwraps."""
    stripped = text.strip()
    wrapped = WRAPPED.match(stripped)
    body = wrapped.group("body") if wrapped else stripped
    if body.startswith(("{", "[")):
        try:
            expected = parse_reply(body, call_id_prefix="c")
        except ValueError:
            return
        if expected[1]:
            assert parse_reply(text, call_id_prefix="c") == expected
            return
    assert parse_reply(text, call_id_prefix="c") == (stripped, ())


def test_a_wrapped_reply_with_long_runs_of_whitespace_is_read() -> None:
    """Whitespace runs inside a fenced reply are read once each, not once per position."""
    space = " \n" * 20_000
    text = f'```json{space}[{space}{{"name": "f", "arguments": {{}}}}{space}]{space}```'
    assert parse_reply(text, call_id_prefix="c") == ("", (ToolCall("c-0", "f", "{}"),))


def test_raw_control_characters_in_strings_are_accepted() -> None:
    """A newline written raw inside a string (which the grammar allows) still parses."""
    _, [call] = parse_reply('{"name": "f", "arguments": {"s": "a\nb"}}', call_id_prefix="c")
    assert json.loads(str(call.arguments)) == {"s": "a\nb"}


def test_generic_listing_joins_the_system_message_and_results_follow_as_a_tool_message() -> None:
    """The tool listing is appended to the system message; results go in one tool message."""
    tool = Tool.from_function(add)
    listing = tool_listing([tool], parallel=False, answer=True)
    call = ToolCall("c-0", "add", '{"a": 1, "b": 2}')
    messages = [
        SystemMessage("Be brief."),
        UserMessage("1 + 2?"),
        AssistantTurn(tool_calls=(call,)),
        ToolResult("c-0", "add", "3"),
        ToolResult("c-1", "add", "boom", is_error=True),
    ]
    rendered = render_generic(messages, listing)
    assert rendered == [
        {"role": "system", "content": f"Be brief.\n\n{listing}"},
        {"role": "user", "content": "1 + 2?"},
        {"role": "assistant", "content": '{"name": "add", "arguments": {"a": 1, "b": 2}}'},
        {"role": "tool", "content": "add returned: 3\nadd failed: boom"},
    ]
    assert listing.splitlines()[1] == json.dumps(
        {"name": "add", "description": "Add two numbers.", "parameters": tool.parameters},
        separators=(",", ":"),
    )
    assert listing.endswith("Otherwise, answer in plain text.")


def test_turn_made_by_this_provider_is_written_back_verbatim() -> None:
    """A turn's own raw text (provider_state) is rendered as written, so the cache holds."""
    turn = AssistantTurn(
        tool_calls=(ToolCall("c-0", "add", "{}"),), provider_state={"local": '{"name":"add"}'}
    )
    assert render_generic([turn], None) == [{"role": "assistant", "content": '{"name":"add"}'}]


def test_native_form_carries_calls_and_results_for_tool_aware_templates() -> None:
    """Templates that read tools get OpenAI-form tool_calls and tool messages."""
    call = ToolCall("c-0", "add", '{"a": 1, "b": 2}')
    rendered = render_native([AssistantTurn(tool_calls=(call,)), ToolResult("c-0", "add", "3")])
    assert rendered == [
        {
            "role": "assistant",
            "content": "",
            "tool_calls": [
                {
                    "id": "c-0",
                    "type": "function",
                    "function": {"name": "add", "arguments": {"a": 1, "b": 2}},
                }
            ],
        },
        {"role": "tool", "tool_call_id": "c-0", "name": "add", "content": "3"},
    ]


def test_template_tool_support_is_detected_from_its_tools_variable() -> None:
    """A template that reads `tools` renders them natively; SmolLM2's does not."""
    assert template_renders_tools("{% if tools %}{{ tools | tojson }}{% endif %}")
    assert not template_renders_tools("{% for message in messages %}{{ message['content'] }}")
