"""restatement and sentences_within: the results an answer begins with; pure, no model."""

import json
from typing import Any

from switchboard.messages import AssistantTurn, Message, ToolCall, ToolResult, UserMessage
from switchboard.providers.local.restate import cut_answer, restatement, sentences_within


def _turn(
    call_id: str, name: str, arguments: dict[str, Any], content: Any, **result: Any
) -> list[Message]:
    """A call and its result: the model's turn, then the tool's answer."""
    text = content if isinstance(content, str) else json.dumps(content)
    return [
        AssistantTurn(tool_calls=(ToolCall(call_id, name, json.dumps(arguments)),)),
        ToolResult(call_id, name, text, **result),
    ]


def test_the_subject_is_the_argument_the_message_names() -> None:
    """Of city and unit, only Tokyo, named in the message, starts the line."""
    messages = [
        UserMessage("Weather in Tokyo?"),
        *_turn("c0", "get_weather", {"city": "Tokyo", "unit": "celsius"}, {"sky": "clear"}),
    ]
    assert restatement(messages) == "Tokyo: sky clear.\n"


def test_the_subject_is_every_argument_when_the_message_names_none() -> None:
    """Arguments the message does not name all start the line, in order."""
    messages = [
        UserMessage("How is it there?"),
        *_turn("c0", "get_weather", {"city": "Oslo", "unit": "celsius"}, {"sky": "clear"}),
    ]
    assert restatement(messages) == "Oslo, celsius: sky clear.\n"


def test_the_subject_is_the_tool_name_without_arguments() -> None:
    """A call with no arguments is named by its tool."""
    messages = [UserMessage("My todos?"), *_turn("c0", "list_todos", {}, ["milk"])]
    assert restatement(messages) == "list_todos: milk.\n"


def test_an_object_is_key_value_pairs_without_the_argument_values() -> None:
    """The result's city (the argument) is left out; the rest are 'key value' pairs."""
    result = {"city": "Tokyo", "temperature": 18.0, "unit": "celsius", "sky": "clear"}
    messages = [
        UserMessage("Weather in Tokyo?"),
        *_turn("c0", "get_weather", {"city": "Tokyo"}, result),
    ]
    assert restatement(messages) == "Tokyo: temperature 18.0, unit celsius, sky clear.\n"


def test_a_list_is_said_item_by_item() -> None:
    """A list's items are joined by semicolons, each object as its pairs."""
    days = [{"day": 1, "high": 13}, {"day": 2, "high": 14}]
    messages = [
        UserMessage("Forecast for Paris?"),
        *_turn("c0", "get_forecast", {"city": "Paris"}, days),
    ]
    assert restatement(messages) == "Paris: day 1, high 13; day 2, high 14.\n"


def test_an_empty_list_is_said_as_none() -> None:
    """An empty list result reads 'none', not an empty line."""
    messages = [UserMessage("My todos?"), *_turn("c0", "list_todos", {}, [])]
    assert restatement(messages) == "list_todos: none.\n"


def test_an_error_is_its_first_sentence_without_the_raised_prefix() -> None:
    """'get_weather raised ValueError: No station... Known cities: ...' keeps the first sentence."""
    content = (
        "get_weather raised ValueError: No weather station for 'Berlin'. "
        "Known cities: Tokyo, Paris."
    )
    messages = [
        UserMessage("Weather in Berlin?"),
        *_turn(
            "c0", "get_weather", {"city": "Berlin"}, content, is_error=True, error_kind="raised"
        ),
    ]
    assert restatement(messages) == "Berlin: failed, no weather station for 'Berlin'.\n"


def test_errors_the_model_made_are_left_out() -> None:
    """invalid, unknown_tool and unparsable results are no answer to the user."""
    messages: list[Message] = [UserMessage("Weather in Tokyo?")]
    for i, kind in enumerate(("invalid", "unknown_tool", "unparsable")):
        messages += _turn(
            f"c{i}", "get_weather", {"city": "x"}, "Bad.", is_error=True, error_kind=kind
        )
    messages += _turn("c9", "get_weather", {"city": "Tokyo"}, {"sky": "clear"})
    assert restatement(messages) == "Tokyo: sky clear.\n"


def test_a_repeated_call_is_said_once() -> None:
    """The same call made twice, with the same result, gives one line."""
    messages = [
        UserMessage("Weather in Tokyo?"),
        *_turn("c0", "get_weather", {"city": "Tokyo"}, {"sky": "clear"}),
        *_turn("c1", "get_weather", {"city": "Tokyo"}, {"sky": "clear"}),
    ]
    assert restatement(messages) == "Tokyo: sky clear.\n"


def test_only_results_after_the_last_user_message_are_said() -> None:
    """Results answering an earlier question are not restated."""
    messages = [
        UserMessage("Weather in Tokyo?"),
        *_turn("c0", "get_weather", {"city": "Tokyo"}, {"sky": "clear"}),
        AssistantTurn("Clear."),
        UserMessage("And Paris?"),
        *_turn("c1", "get_weather", {"city": "Paris"}, {"sky": "rain"}),
    ]
    assert restatement(messages) == "Paris: sky rain.\n"


def test_no_results_give_an_empty_restatement() -> None:
    """A conversation with no result since the user's message restates nothing."""
    assert restatement([UserMessage("Hello")]) == ""


def test_a_long_restatement_is_cut_at_a_whole_line() -> None:
    """Past 600 characters the lines stop; each line kept is whole."""
    messages: list[Message] = [UserMessage("Notes?")]
    for i in range(20):
        messages += _turn(f"c{i}", "note", {"n": i}, {"text": "x" * 50})
    lines = restatement(messages).splitlines()
    # Lines 0-9 are 59 characters and a line break each: 600 in all; line 10 would pass it.
    assert len(lines) == 10
    assert sum(len(line) + 1 for line in lines) <= 600
    assert lines == [f"{i}: text {'x' * 50}." for i in range(len(lines))]


def test_a_first_line_longer_than_the_cap_is_kept() -> None:
    """One result longer than the cap is still said: the answer needs it."""
    messages = [UserMessage("Note?"), *_turn("c0", "note", {"n": 1}, {"text": "y" * 700})]
    assert restatement(messages) == f"1: text {'y' * 700}.\n"


def test_sentences_within_cuts_after_the_last_sentence_end_past_start() -> None:
    """A text cut mid-sentence ends at its last full stop past the start."""
    text = "Tokyo: clear.\nIt is warm. It is sunn"
    assert sentences_within(text, 14) == "Tokyo: clear.\nIt is warm."


def test_sentences_within_keeps_the_text_when_no_sentence_ends_past_start() -> None:
    """With no sentence end past start, the text is kept whole."""
    text = "Tokyo: clear.\nIt is warm and"
    assert sentences_within(text, 14) == text


def test_sentences_within_ignores_a_dot_inside_a_number() -> None:
    """'18.5' is no sentence end: the cut falls after the sentence."""
    text = "Lead.\nIt is 18.5 degrees. Then 12"
    assert sentences_within(text, 6) == "Lead.\nIt is 18.5 degrees."


def test_a_cut_answer_ends_at_its_last_sentence_past_the_lead() -> None:
    """Cut mid-sentence, an answer keeps its whole sentences after the restatement."""
    assert cut_answer("Tokyo: clear.\nIt is warm. And", "Tokyo: clear.\n") == (
        "Tokyo: clear.\nIt is warm."
    )


def test_a_cut_answer_with_no_sentence_of_its_own_ends_at_the_lead() -> None:
    """No sentence ends past the restatement: the answer is the restatement, whole."""
    assert cut_answer("Tokyo: clear.\nIt is", "Tokyo: clear.\n") == "Tokyo: clear.\n"
