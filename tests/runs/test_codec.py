import base64
import datetime
import json
from typing import Any

import pytest
from hypothesis import given

from switchboard.errors import RunStateError
from switchboard.messages import (
    AssistantTurn,
    FilePart,
    ImagePart,
    Message,
    ModelResponse,
    SystemMessage,
    TextPart,
    ToolCall,
    ToolResult,
    Usage,
    UserMessage,
)
from switchboard.runs.codec import (
    call_from_json,
    call_to_json,
    dumps,
    loads,
    message_from_json,
    message_to_json,
    response_from_json,
    response_to_json,
    usage_from_json,
    usage_to_json,
)
from tests.runs.strategies import messages, responses, tool_calls, usages


def _through_text(data: dict[str, Any]) -> Any:
    """``data`` written as JSON text and read back, as a store does."""
    return loads(dumps(data, "test data"), "test data")


@given(messages)
def test_every_message_round_trips_through_json_text(message: Message) -> None:
    """Every message comes back equal from its JSON text."""
    assert message_from_json(_through_text(message_to_json(message))) == message


@given(responses)
def test_every_model_response_round_trips_through_json_text(response: ModelResponse) -> None:
    """Every model response, its cut calls and id included, comes back equal from its JSON text."""
    assert response_from_json(_through_text(response_to_json(response))) == response


def test_response_written_before_response_ids_reads_with_none() -> None:
    """A response in the form written before replies kept their id reads, its id None."""
    stored = {
        "type": "model_response",
        "turn": {"text": "Hi.", "tool_calls": [], "provider_state": {}},
        "usage": {"input_tokens": 3, "output_tokens": 2, "requests": 1},
        "stop_reason": "answer",
        "model": "m",
        "cut_calls": None,
    }
    response = response_from_json(stored)
    assert response == ModelResponse(AssistantTurn("Hi."), Usage(3, 2, 1), "answer", "m")
    assert response.response_id is None


def test_response_without_an_id_keeps_the_earlier_form() -> None:
    """No id, no ``response_id`` field: what is written reads in a switchboard without ids."""
    data = response_to_json(ModelResponse(AssistantTurn("Hi."), Usage(), "answer"))
    assert "response_id" not in data


def test_response_id_of_the_wrong_type_is_refused_by_name() -> None:
    """A ``response_id`` that is not a string raises, naming the field."""
    data = response_to_json(ModelResponse(AssistantTurn(), Usage(), "answer", response_id="r1"))
    data["response_id"] = 7
    with pytest.raises(RunStateError, match=r"response\.response_id should be a string"):
        response_from_json(data)


@given(tool_calls)
def test_every_tool_call_round_trips_through_json_text(call: ToolCall) -> None:
    """Every tool call, its arguments text or mapping, comes back equal from its JSON text."""
    assert call_from_json(_through_text(call_to_json(call))) == call


@given(usages)
def test_every_usage_round_trips_through_json_text(usage: Usage) -> None:
    """Every usage comes back equal from its JSON text."""
    assert usage_from_json(_through_text(usage_to_json(usage))) == usage


def test_arguments_text_and_mapping_stay_apart() -> None:
    """Arguments given as text come back as that text, not parsed; a mapping as a mapping."""
    as_text = ToolCall("c1", "f", '{"a": 1}')
    as_mapping = ToolCall("c1", "f", {"a": 1})
    assert call_from_json(_through_text(call_to_json(as_text))).arguments == '{"a": 1}'
    assert call_from_json(_through_text(call_to_json(as_mapping))).arguments == {"a": 1}


def test_provider_state_comes_back_verbatim() -> None:
    """A turn's provider state (here Anthropic's blocks and a Gemini signature) is kept as is."""
    state = {
        "anthropic": [{"type": "thinking", "thinking": "…", "signature": "EqQBCgIYAh"}],
        "gemini": [{"thoughtSignature": "Y2lwaGVy", "functionCall": {"name": "f", "args": {}}}],
    }
    turn = AssistantTurn("", (ToolCall("c1", "f", {}),), state)
    back = message_from_json(_through_text(message_to_json(turn)))
    assert isinstance(back, AssistantTurn)
    assert back.provider_state == state


@pytest.mark.parametrize(
    ("value", "stored"),
    [
        ((1, 2), [1, 2]),
        ({"b": (3, {"c": (4,)})}, {"b": [3, {"c": [4]}]}),
        ({3, 1, 2}, [1, 2, 3]),
        (datetime.date(2024, 5, 1), "2024-05-01"),
        (b"\xff\x00", base64.urlsafe_b64encode(b"\xff\x00").decode()),
        (float("nan"), None),
        (float("inf"), None),
        ({1: "one"}, {"1": "one"}),
    ],
    ids=["tuple", "nested-tuples", "set", "date", "bytes", "nan", "infinity", "int-key"],
)
def test_tool_result_value_comes_back_as_its_json_form(value: Any, stored: Any) -> None:
    """A return value that is not JSON comes back as the JSON pydantic-core writes for it."""
    result = ToolResult("c1", "f", "text", value=value)
    back = message_from_json(_through_text(message_to_json(result)))
    assert isinstance(back, ToolResult)
    assert back.value == stored
    assert back.content == "text"


def test_tool_result_value_of_unknown_type_comes_back_as_its_repr() -> None:
    """An object with no JSON form is stored as its repr, never an error in the run."""

    class Handle:
        def __repr__(self) -> str:
            return "<Handle 7>"

    result = ToolResult("c1", "f", "text", value={"handle": Handle()})
    back = message_from_json(_through_text(message_to_json(result)))
    assert isinstance(back, ToolResult)
    assert back.value == {"handle": "<Handle 7>"}


def test_unknown_message_type_is_refused_with_the_tag_and_place() -> None:
    """A message tag this version does not know raises, naming the tag and where it was."""
    with pytest.raises(RunStateError, match=r"messages\[2\]\.type is 'image'.*no message type"):
        message_from_json({"type": "image", "content": "x"}, "messages[2]")


def test_response_with_another_tag_is_refused() -> None:
    """A message's form given as a response raises, saying a model_response was expected."""
    with pytest.raises(RunStateError, match="expected 'model_response'"):
        response_from_json(message_to_json(UserMessage("hi")))


def test_missing_field_is_refused_by_name() -> None:
    """A form without a required field raises, naming the field and where."""
    data = message_to_json(ToolResult("c1", "f", "text"))
    del data["content"]
    with pytest.raises(RunStateError, match=r"messages\[0\] has no 'content' field"):
        message_from_json(data, "messages[0]")


def test_unexpected_field_is_refused_by_name() -> None:
    """A field this version does not know raises rather than being dropped in silence."""
    data = message_to_json(UserMessage("hi"))
    data["attachments"] = []
    with pytest.raises(RunStateError, match=r"unexpected fields \['attachments'\]"):
        message_from_json(data)


def test_mistyped_nested_field_is_refused_with_its_path() -> None:
    """A field of the wrong type deep in a turn raises with its dotted path and the value."""
    data = message_to_json(AssistantTurn("", (ToolCall("c1", "f", "{}"),)))
    data["tool_calls"][0]["name"] = 7
    with pytest.raises(
        RunStateError, match=r"messages\[1\]\.tool_calls\[0\]\.name should be a string, but is 7"
    ):
        message_from_json(data, "messages[1]")


def test_unknown_error_kind_is_refused() -> None:
    """A tool result's error kind outside ErrorKind raises, listing the kinds there are."""
    data = message_to_json(ToolResult("c1", "f", "text", is_error=True, error_kind="raised"))
    data["error_kind"] = "exploded"
    with pytest.raises(RunStateError, match="error_kind should be one of"):
        message_from_json(data)


def test_boolean_is_not_taken_for_a_count() -> None:
    """A usage count written as true raises: JSON booleans are not integers."""
    with pytest.raises(RunStateError, match=r"usage\.requests should be an integer"):
        usage_from_json({"input_tokens": 1, "output_tokens": 2, "requests": True})


def test_non_json_provider_state_is_refused_with_its_path() -> None:
    """Bytes in a provider state raise on writing, naming where they are and the fix."""
    turn = AssistantTurn("", (), {"gemini": [{"thoughtSignature": b"\x01"}]})
    with pytest.raises(RunStateError, match=r"gemini\[0\]\.thoughtSignature holds bytes.*JSON"):
        dumps(message_to_json(turn), "The turn")


def test_nan_in_arguments_is_refused_on_writing() -> None:
    """NaN in a call's mapping arguments raises on writing: JSON has no NaN."""
    call = ToolCall("c1", "f", {"x": float("nan")})
    with pytest.raises(RunStateError, match=r"arguments\.x holds float nan"):
        dumps(call_to_json(call), "The call")


def test_nan_literal_is_refused_on_reading() -> None:
    """Text holding NaN is no JSON: reading it raises rather than returning a float."""
    with pytest.raises(RunStateError, match="not valid JSON"):
        loads('{"duration": NaN}', "The state")


def test_system_message_form_is_tagged_and_flat() -> None:
    """A message's JSON form is a flat object tagged by its type (the documented form)."""
    assert json.loads(dumps(message_to_json(SystemMessage("Be brief.")), "m")) == {
        "type": "system",
        "content": "Be brief.",
    }


def test_result_parts_are_written_tagged_with_bytes_as_base64() -> None:
    """A result's parts are written tagged, an image's bytes as base64 and a file's URL as is."""
    parts = (
        TextPart("The chart:"),
        ImagePart(b"\x89PNG", "image/png"),
        FilePart("https://example.com/r.pdf", "application/pdf", "r.pdf"),
    )
    data = json.loads(dumps(message_to_json(ToolResult("c1", "f", "text", parts=parts)), "m"))
    assert data["parts"] == [
        {"type": "text", "text": "The chart:"},
        {"type": "image", "data": "iVBORw==", "media_type": "image/png"},
        {
            "type": "file",
            "url": "https://example.com/r.pdf",
            "media_type": "application/pdf",
            "filename": "r.pdf",
        },
    ]


def test_result_without_parts_keeps_the_version_1_form() -> None:
    """A result without parts has no "parts" field, as version 1 wrote it."""
    assert "parts" not in message_to_json(ToolResult("c1", "f", "text"))


def test_part_data_that_is_not_base64_is_refused_with_its_path() -> None:
    """An image whose data is not base64 raises, naming where it is."""
    data = message_to_json(ToolResult("c1", "f", "t", parts=(ImagePart(b"x", "image/png"),)))
    data["parts"][0]["data"] = "not base64!"
    with pytest.raises(RunStateError, match=r"messages\[4\]\.parts\[0\]\.data should be base64"):
        message_from_json(data, "messages[4]")


def test_unknown_part_type_is_refused_with_the_tag_and_place() -> None:
    """A part tag this version does not know raises, naming the tag and where it was."""
    data = message_to_json(ToolResult("c1", "f", "t", parts=(TextPart("a"),)))
    data["parts"][0] = {"type": "audio", "data": ""}
    with pytest.raises(RunStateError, match=r"parts\[0\]\.type is 'audio'.*no content part"):
        message_from_json(data)
