"""The comparisons that find a replay's divergence, the stored request form, the recording."""

from typing import Any

from pydantic import BaseModel

from switchboard import (
    Agent,
    AssistantTurn,
    ModelResponse,
    ModelSettings,
    ScriptedModel,
    SystemMessage,
    ToolCall,
    ToolResult,
    Usage,
    UserMessage,
)
from switchboard.output_schema import OutputSchema
from switchboard.providers.base import ModelRequest
from switchboard.runs.codec import message_to_json, response_to_json
from switchboard.runs.compare import compare_requests, compare_results
from switchboard.runs.recording import recording_of_steps
from switchboard.runs.request import request_json
from switchboard.runs.state import schema_hash
from tests.runs.recorded import stored_request


def request(messages: list[Any], tools: list[list[str]] | None = None, **rest: Any) -> dict:
    """A request in the stored form, its whole conversation in ``messages``."""
    return {
        "messages": [message_to_json(m) for m in messages],
        "tools": tools if tools is not None else [["get_weather", "aaa"]],
        "tool_choice": rest.get("tool_choice", "auto"),
        "settings": rest.get("settings", {"temperature": None}),
    }


OPENING = [SystemMessage("Be brief."), UserMessage("Weather in Paris?")]
CALL = ToolCall("c1", "get_weather", '{"city": "Paris"}')
TURN = AssistantTurn("", (CALL,))


def test_same_requests_have_no_divergence() -> None:
    """Two equal requests compare equal."""
    assert compare_requests(0, request(OPENING), request(OPENING)) is None


def test_tools_offered_in_another_order_are_a_tool_schema_divergence() -> None:
    """The same tools in another order are named with both orders."""
    was = request(OPENING, [["a", "1"], ["b", "2"]])
    now = request(OPENING, [["b", "2"], ["a", "1"]])
    found = compare_requests(3, was, now)
    assert found is not None
    assert (found.kind, found.step) == ("tool_schema", 3)
    assert found.explanation == (
        "The tools are offered in another order: recorded ['a', 'b'], now ['b', 'a']."
    )


def test_removed_tool_is_named() -> None:
    """A tool the recording offered and the run does not is named as removed."""
    found = compare_requests(
        0, request(OPENING, [["a", "1"], ["b", "2"]]), request(OPENING, [["a", "1"]])
    )
    assert found is not None
    assert found.explanation == "The tools offered changed: tool 'b' was removed."


def test_difference_inside_a_turn_names_its_path() -> None:
    """A call's arguments that differ are named by their path in the message."""
    other = AssistantTurn("", (ToolCall("c1", "get_weather", '{"city": "Lyon"}'),))
    found = compare_requests(1, request([*OPENING, TURN]), request([*OPENING, other]))
    assert found is not None
    assert found.message_index == 2
    assert found.explanation == (
        "Message 2 (assistant turn): tool_calls[0].arguments differs: recorded "
        '"{\\"city\\": \\"Paris\\"}", now "{\\"city\\": \\"Lyon\\"}".'
    )


def test_tool_result_duration_and_value_are_not_compared() -> None:
    """What the model never reads (duration, value, error kind, repairs) is no difference."""
    was = ToolResult("c1", "get_weather", "21 C", duration=0.5, value=21)
    now = ToolResult("c1", "get_weather", "21 C", duration=0.1, value={"t": 21}, repaired=("x",))
    assert (
        compare_requests(1, request([*OPENING, TURN, was]), request([*OPENING, TURN, now])) is None
    )


def test_longer_conversation_names_the_first_message_past_the_recording() -> None:
    """A conversation with messages after the recorded ones names the first new one."""
    longer = [*OPENING, UserMessage("And Lyon?"), UserMessage("And Nice?")]
    found = compare_requests(0, request(OPENING), request(longer))
    assert found is not None
    assert found.message_index == 2
    assert found.explanation == (
        "The conversation has 4 messages, the recording 2: message 2 (user message) is new."
    )


def test_message_left_out_is_named_as_missing() -> None:
    """A conversation with one recorded message left out names that message."""
    found = compare_requests(0, request(OPENING), request(OPENING[1:]))
    assert found is not None
    assert found.explanation == "Message 0 (system message) of the recording is missing."


def test_setting_named_on_one_side_only_is_not_compared() -> None:
    """A setting only one request names (another version's) is no difference."""
    was = request(OPENING, settings={"temperature": 0.0})
    now = request(OPENING, settings={"temperature": 0.0, "top_k": 5})
    assert compare_requests(0, was, now) is None


def test_result_refused_now_is_no_longer_valid() -> None:
    """A result that is now an invalid-arguments error says the call is no longer valid."""
    was = ToolResult("c1", "get_weather", "21 C")
    now = ToolResult("c1", "get_weather", "Invalid arguments", is_error=True, error_kind="invalid")
    found = compare_results(0, was, now)
    assert found is not None
    assert found.explanation == (
        "Call 'c1' to 'get_weather' is no longer valid for the current tools (invalid): "
        "Invalid arguments"
    )


def test_result_with_the_same_content_and_another_duration_is_no_divergence() -> None:
    """Only content and is_error count for a result."""
    was = ToolResult("c1", "get_weather", "21 C", duration=0.5)
    assert compare_results(0, was, ToolResult("c1", "get_weather", "21 C", duration=2.0)) is None


def test_request_json_writes_the_stored_form() -> None:
    """request_json writes a request as the stored form of RUNS.md's addendum."""

    def get_weather(city: str) -> str:
        """Get the weather."""
        return city

    model = ScriptedModel([CALL, "Sunny."])
    settings = ModelSettings(max_tokens=64, seed=1)
    Agent(model, tools=[get_weather], system="Be brief.", settings=settings).run_sync("Hi")
    first, second = model.requests
    assert request_json(first) == stored_request(first, 0)
    assert request_json(second, len(first.messages)) == stored_request(second, len(first.messages))
    assert [m["type"] for m in request_json(second, 2)["messages"]] == ["assistant", "tool_result"]


def test_recording_puts_the_conversation_back_together_from_the_steps() -> None:
    """Each recorded step's request holds the messages of every step up to it."""
    result = ToolResult("c1", "get_weather", "21 C")
    steps = [
        (request(OPENING), response_to_json(ModelResponse(TURN, Usage(), "tool_calls")), {}),
        (
            request([TURN, result]),
            response_to_json(ModelResponse(AssistantTurn("Sunny."), Usage(), "answer")),
            {},
        ),
    ]
    recording = recording_of_steps("test", [steps])
    assert recording.opening == tuple(OPENING)
    whole = recording.steps[1].whole_request()["messages"]
    assert whole == request([*OPENING, TURN, result])["messages"]


def test_recording_takes_a_result_from_the_next_request_over_the_stored_call() -> None:
    """A call's result is what the model read next; the stored one where nothing followed."""
    read = ToolResult("c1", "get_weather", "21 C (as read)")
    stored = ToolResult("c1", "get_weather", "21 C (as stored)")
    calls = response_to_json(ModelResponse(TURN, Usage(), "tool_calls"))
    steps = [
        (request(OPENING), calls, {"c1": stored}),
        (request([TURN, read]), calls, {"c1": stored}),
    ]
    recording = recording_of_steps("test", [steps])
    assert recording.steps[0].results["c1"].content == "21 C (as read)"
    assert recording.steps[1].results["c1"].content == "21 C (as stored)"


class City(BaseModel):
    """A city."""

    name: str


def typed_requests(output_type: type[BaseModel] | None) -> list[ModelRequest]:
    """The requests of a one-answer run with ``output_type``."""
    model = ScriptedModel(['{"name": "Paris"}'])
    Agent(model, output_type=output_type).run_sync("Paris?")
    return model.requests


def test_request_json_records_the_output_type_by_name_and_schema_hash() -> None:
    """A typed request's stored form names its output type and the hash of its schema."""
    [first] = typed_requests(City)
    assert request_json(first)["output"] == {
        "name": "City",
        "schema": schema_hash(OutputSchema.of(City).json_schema),
    }


def test_request_json_records_no_output_type_as_null() -> None:
    """An untyped request's stored form says it asked for no output type."""
    [first] = typed_requests(None)
    assert request_json(first)["output"] is None


def test_an_output_schema_changed_under_the_same_name_is_a_request_divergence() -> None:
    """Another schema for the output type is a difference naming both hashes."""
    was = {**request(OPENING), "output": {"name": "City", "schema": "a" * 64}}
    now = {**request(OPENING), "output": {"name": "City", "schema": "b" * 64}}
    found = compare_requests(0, was, now)
    assert found is not None
    assert (found.kind, found.step) == ("request", 0)
    assert found.explanation == (
        "The output type differs: recorded City (schema hash aaaaaaaaaaaa), "
        "now City (schema hash bbbbbbbbbbbb)."
    )


def test_a_recording_from_before_output_types_compares_no_output() -> None:
    """A recorded request with no "output" key (an older recording) is no difference."""
    now = {**request(OPENING), "output": {"name": "City", "schema": "b" * 64}}
    assert compare_requests(0, request(OPENING), now) is None
