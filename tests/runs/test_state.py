import dataclasses
import json
import re
import uuid
from pathlib import Path

import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard.errors import RunStateError
from switchboard.messages import (
    AssistantTurn,
    Message,
    SystemMessage,
    ToolCall,
    ToolResult,
    Usage,
    UserMessage,
)
from switchboard.runs.approval import PendingCall
from switchboard.runs.state import (
    SCHEMA_VERSION,
    RunState,
    StateEncoder,
    new_run_id,
    schema_hash,
)
from tests.runs.strategies import messages, run_states

FIXTURE = Path(__file__).parents[1] / "fixtures" / "written" / "run_state_v1.json"

WEATHER = {
    "type": "object",
    "properties": {"city": {"type": "string"}},
    "required": ["city"],
    "additionalProperties": False,
}
SEARCH = {
    "type": "object",
    "properties": {"near": {"type": "string"}, "limit": {"type": "integer", "default": 5}},
    "required": ["near"],
}
BOOK = {
    "type": "object",
    "properties": {
        "restaurant": {"type": "string"},
        "time": {"type": "string"},
        "party": {"type": "integer", "minimum": 1},
    },
    "required": ["restaurant", "time", "party"],
}
PARIS = {
    "type": "tool_use",
    "id": "toolu_01Paris",
    "name": "get_weather",
    "input": {"city": "Paris"},
}
TOKYO = {
    "type": "tool_use",
    "id": "toolu_01Tokyo",
    "name": "get_weather",
    "input": {"city": "Tokyo"},
}
SEARCH_CALL = {
    "type": "tool_use",
    "id": "toolu_01Search",
    "name": "search_restaurants",
    "input": {"near": "Paris", "limit": "5"},
}
BOOKING = {"restaurant": "Le Comptoir", "time": "20:00", "party": 2}


def paused_state() -> RunState:
    """A run paused on a booking that needs approval: what run_state_v1.json holds."""
    return RunState(
        run_id="5f0c2b9e8d1a4c6f9e3b7a2d1c0e4f68",
        messages=(
            SystemMessage("You are a travel assistant. Ask before booking anything."),
            UserMessage("Weather in Paris and Tokyo? If Paris is sunny, book Le Comptoir at 8pm."),
            AssistantTurn(
                text="I'll check both cities and look for the restaurant.",
                tool_calls=(
                    ToolCall("toolu_01Paris", "get_weather", {"city": "Paris"}),
                    ToolCall("toolu_01Tokyo", "get_weather", {"city": "Tokyo"}),
                    ToolCall(
                        "toolu_01Search", "search_restaurants", {"near": "Paris", "limit": "5"}
                    ),
                ),
                provider_state={
                    "anthropic": [
                        {
                            "type": "text",
                            "text": "I'll check both cities and look for the restaurant.",
                        },
                        PARIS,
                        TOKYO,
                        SEARCH_CALL,
                    ]
                },
            ),
            ToolResult(
                "toolu_01Paris",
                "get_weather",
                '{"temp_c": 21, "sky": "sunny"}',
                duration=0.0123,
                value={"temp_c": 21, "sky": "sunny"},
            ),
            ToolResult(
                "toolu_01Tokyo",
                "get_weather",
                '{"temp_c": 14.5, "sky": "rain"}',
                duration=0.0119,
                value={"temp_c": 14.5, "sky": "rain"},
            ),
            ToolResult(
                "toolu_01Search",
                "search_restaurants",
                "Invalid arguments for search_restaurants:\n- limit: Input should be a valid "
                'integer (received "5")',
                is_error=True,
                error_kind="invalid",
                repaired=("trailing_comma",),
            ),
            AssistantTurn(
                text="Paris is sunny. Booking Le Comptoir for two at 20:00.",
                tool_calls=(ToolCall("toolu_01Book", "book_table", BOOKING),),
                provider_state={
                    "anthropic": [
                        {
                            "type": "text",
                            "text": "Paris is sunny. Booking Le Comptoir for two at 20:00.",
                        },
                        {
                            "type": "tool_use",
                            "id": "toolu_01Book",
                            "name": "book_table",
                            "input": BOOKING,
                        },
                    ]
                },
            ),
        ),
        pending=(
            PendingCall(
                "toolu_01Book",
                "book_table",
                BOOKING,
                reason="book_table requires approval",
                kind="approval",
            ),
        ),
        iteration=2,
        calls_made=4,
        usage=Usage(input_tokens=2480, output_tokens=161, requests=2),
        guard={
            "calls_made": 4,
            "answer_next": False,
            "seen": [
                {"tool": "get_weather", "arguments": {"city": "Paris"}, "count": 1},
                {"tool": "get_weather", "arguments": {"city": "Tokyo"}, "count": 1},
                {
                    "tool": "search_restaurants",
                    "arguments": {"near": "Paris", "limit": "5"},
                    "count": 1,
                },
            ],
            "answered_tool": "get_weather",
            "answered": [
                {"tool": "get_weather", "arguments": {"city": "Paris"}, "call_id": "toolu_01Paris"},
                {"tool": "get_weather", "arguments": {"city": "Tokyo"}, "call_id": "toolu_01Tokyo"},
            ],
        },
        failures={"search_restaurants": 1},
        tool_choice="auto",
        tools=(
            ("get_weather", schema_hash(WEATHER)),
            ("search_restaurants", schema_hash(SEARCH)),
            ("book_table", schema_hash(BOOK)),
        ),
        status="paused",
    )


@given(run_states)
def test_every_run_state_round_trips_through_json(state: RunState) -> None:
    """Every run state comes back equal from its JSON text."""
    assert RunState.from_json(state.to_json()) == state


def test_state_written_by_version_1_is_read() -> None:
    """The committed state written by version 1 reads back as the run it was."""
    assert RunState.from_json(FIXTURE.read_text(encoding="utf-8")) == paused_state()


def test_this_version_writes_the_committed_version_1_form() -> None:
    """Writing the same run gives the committed JSON: the form changed only with the version."""
    assert SCHEMA_VERSION == 1
    committed = json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert json.loads(paused_state().to_json()) == committed


def test_state_of_a_newer_version_is_refused_naming_both_versions() -> None:
    """A state of version 2 raises, saying it is version 2, that 1 is read, and to upgrade."""
    data = json.loads(paused_state().to_json())
    data["version"] = 2
    with pytest.raises(RunStateError, match=r"version 2 .* up to 1\. Upgrade switchboard"):
        RunState.from_json(json.dumps(data))


def test_state_without_version_is_refused() -> None:
    """JSON without a version is no run state: it raises saying so."""
    data = json.loads(paused_state().to_json())
    del data["version"]
    with pytest.raises(RunStateError, match="no 'version' field"):
        RunState.from_json(json.dumps(data))


@pytest.mark.parametrize("version", [0, "1", True, 1.0])
def test_state_with_a_malformed_version_is_refused(version: object) -> None:
    """A version that is not a positive integer raises, showing the value."""
    data = json.loads(paused_state().to_json())
    data["version"] = version
    with pytest.raises(RunStateError, match="version should be a positive integer"):
        RunState.from_json(json.dumps(data))


def test_state_that_is_not_an_object_is_refused() -> None:
    """A JSON list is no run state."""
    with pytest.raises(RunStateError, match="not a JSON object"):
        RunState.from_json("[1, 2]")


def test_state_that_is_not_json_is_refused() -> None:
    """Text that is not JSON raises RunStateError, not a bare JSONDecodeError."""
    with pytest.raises(RunStateError, match="not valid JSON"):
        RunState.from_json('{"version": 1,')


def test_state_missing_a_field_is_refused_by_name() -> None:
    """A state without its pending calls raises, naming the field."""
    data = json.loads(paused_state().to_json())
    del data["pending"]
    with pytest.raises(RunStateError, match="no 'pending' field"):
        RunState.from_json(json.dumps(data))


def test_state_with_an_unexpected_field_is_refused_by_name() -> None:
    """A top-level field this version does not know raises rather than being dropped."""
    data = json.loads(paused_state().to_json())
    data["deadline"] = 12.5
    with pytest.raises(RunStateError, match=r"unexpected fields \['deadline'\]"):
        RunState.from_json(json.dumps(data))


def test_bad_message_in_a_state_is_refused_with_its_index() -> None:
    """A message with an unknown tag raises, naming its index in the conversation."""
    data = json.loads(paused_state().to_json())
    data["messages"][4]["type"] = "function_output"
    with pytest.raises(RunStateError, match=r"messages\[4\]\.type is 'function_output'"):
        RunState.from_json(json.dumps(data))


def test_pending_call_of_unknown_kind_is_refused() -> None:
    """A pending call's kind must be approval or external."""
    data = json.loads(paused_state().to_json())
    data["pending"][0]["kind"] = "later"
    with pytest.raises(
        RunStateError, match=r"pending\[0\]\.kind should be 'approval' or 'external'"
    ):
        RunState.from_json(json.dumps(data))


def test_unknown_status_is_refused() -> None:
    """A status outside running, paused, finished and failed raises, listing them."""
    data = json.loads(paused_state().to_json())
    data["status"] = "sleeping"
    with pytest.raises(RunStateError, match="status should be one of"):
        RunState.from_json(json.dumps(data))


def test_negative_iteration_is_refused() -> None:
    """Counters are integers of 0 or more."""
    data = json.loads(paused_state().to_json())
    data["iteration"] = -1
    with pytest.raises(RunStateError, match="iteration should be an integer of 0 or more"):
        RunState.from_json(json.dumps(data))


def test_non_json_guard_memory_is_refused_on_writing_with_its_path() -> None:
    """A guard memory holding a non-JSON value raises on to_json, naming the run and where."""
    state = RunState(run_id="r1", guard={"seen": [{"arguments": {1, 2}}]})
    with pytest.raises(
        RunStateError, match=r"state of run 'r1'.*guard\.seen\[0\]\.arguments holds set"
    ):
        state.to_json()


def test_schema_hash_ignores_key_order() -> None:
    """Two schemas equal as JSON have one hash, however their keys are ordered."""
    reordered = {key: WEATHER[key] for key in reversed(list(WEATHER))}
    assert schema_hash(reordered) == schema_hash(WEATHER)
    assert schema_hash({**WEATHER, "required": []}) != schema_hash(WEATHER)


def test_new_run_ids_are_distinct_hex() -> None:
    """Run ids are 32 hex digits, a new one each time."""
    first, second = new_run_id(), new_run_id()
    assert re.fullmatch("[0-9a-f]{32}", first)
    assert first != second


def test_new_run_ids_are_version_4_uuids() -> None:
    """A run id is the hex of a random UUID: version 4, the RFC 4122 variant."""
    parsed = uuid.UUID(hex=new_run_id())
    assert (parsed.version, parsed.variant) == (4, uuid.RFC_4122)


def test_default_state_has_a_fresh_run_id_and_runs() -> None:
    """A state made with no arguments has its own run id and status running."""
    assert RunState().run_id != RunState().run_id
    assert RunState().status == "running"


@given(
    run_states, st.lists(st.tuples(st.integers(0, 3), st.lists(messages, max_size=3)), max_size=6)
)
def test_encoder_writes_each_state_of_a_run_as_to_json_does(
    state: RunState, changes: list[tuple[int, list[Message]]]
) -> None:
    """Step after step, dropping or adding messages, the encoder writes what to_json writes."""
    encoder = StateEncoder()
    assert encoder.to_json(state) == state.to_json()
    for dropped, added in changes:
        kept = state.messages[: max(0, len(state.messages) - dropped)]
        state = dataclasses.replace(
            state, messages=kept + tuple(added), iteration=state.iteration + 1
        )
        assert encoder.to_json(state) == state.to_json()


def test_encoder_rewrites_a_message_replaced_by_an_equal_looking_one() -> None:
    """A message replaced by another object is written anew, even at the same length."""
    encoder = StateEncoder()
    first = RunState(run_id="r1", messages=(UserMessage("a"), ToolResult("c1", "f", "1", value=1)))
    encoder.to_json(first)
    second = dataclasses.replace(
        first, messages=(UserMessage("a"), ToolResult("c1", "f", "1", value=True))
    )
    assert json.loads(encoder.to_json(second))["messages"][1]["value"] is True


def test_encoder_error_names_the_message_from_the_top_of_the_state() -> None:
    """A non-JSON value in a newly added message is named by its index in the whole state."""
    encoder = StateEncoder()
    state = RunState(run_id="r1", messages=(UserMessage("a"), UserMessage("b")))
    encoder.to_json(state)
    bad = AssistantTurn("", (), {"gemini": b"raw"})
    with pytest.raises(RunStateError, match=r"messages\[2\]\.provider_state\.gemini holds bytes"):
        encoder.to_json(dataclasses.replace(state, messages=(*state.messages, bad)))


def test_encoder_after_a_refused_state_writes_the_next_one_whole() -> None:
    """A state refused for a non-JSON message leaves the encoder writing correct text after."""
    encoder = StateEncoder()
    state = RunState(run_id="r1", messages=(UserMessage("a"),))
    encoder.to_json(state)
    with pytest.raises(RunStateError):
        encoder.to_json(RunState(run_id="r1", messages=(AssistantTurn("", (), {"x": b"raw"}),)))
    following = dataclasses.replace(state, messages=(*state.messages, UserMessage("b")))
    assert encoder.to_json(following) == following.to_json()


def test_invalid_answers_sent_back_are_written_and_read_back() -> None:
    """A typed run's count of invalid answers sent back survives the JSON form."""
    state = dataclasses.replace(paused_state(), invalid_answers=2)
    assert json.loads(state.to_json())["invalid_answers"] == 2
    assert RunState.from_json(state.to_json()).invalid_answers == 2


def test_a_state_without_invalid_answers_reads_as_none_sent_back() -> None:
    """A state with no invalid_answers key (the version 1 form) reads as 0 sent back."""
    assert "invalid_answers" not in json.loads(FIXTURE.read_text(encoding="utf-8"))
    assert RunState.from_json(FIXTURE.read_text(encoding="utf-8")).invalid_answers == 0


def test_a_negative_count_of_invalid_answers_is_refused_by_name() -> None:
    """invalid_answers below 0 raises, naming the field and the value."""
    data = json.loads(paused_state().to_json())
    data["invalid_answers"] = -1
    with pytest.raises(RunStateError, match=r"invalid_answers should be an integer of 0 or more"):
        RunState.from_json(json.dumps(data))
