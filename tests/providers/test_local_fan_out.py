"""fan_out and items_beside: one call per item the user listed; pure, no model."""

import json

from switchboard.messages import ToolCall
from switchboard.providers.local.fan_out import fan_out, items_beside


def _weather(city: str, call_id: str = "call-0-0") -> ToolCall:
    return ToolCall(call_id, "get_weather", json.dumps({"city": city}))


def _cities(calls: tuple[ToolCall, ...]) -> list[str]:
    cities: list[str] = []
    for call in calls:
        assert isinstance(call.arguments, str)
        cities.append(json.loads(call.arguments)["city"])
    return cities


def test_two_items_joined_by_and_are_listed() -> None:
    """'Tokyo and Paris' lists both, whichever of them the value is."""
    assert items_beside("What's the weather in Tokyo and Paris?", "Paris") == ["Tokyo", "Paris"]


def test_three_items_with_commas_are_listed_in_order() -> None:
    """'Tokyo, Paris and London' lists all three in the message's order."""
    message = "Weather in Tokyo, Paris and London please"
    assert items_beside(message, "Paris") == ["Tokyo", "Paris", "London"]


def test_capitalized_multi_word_items_are_kept_whole() -> None:
    """A capitalized value takes whole runs of capitalized words: 'New York' stays one item."""
    assert items_beside("Is it colder in New York or London?", "London") == ["New York", "London"]


def test_lowercase_items_take_as_many_words_as_the_value() -> None:
    """A lowercase value of one word lists single words: 'eggs, milk and bread'."""
    assert items_beside("Add eggs, milk and bread to my list", "milk") == ["eggs", "milk", "bread"]


def test_quoted_items_are_read_between_their_quotes() -> None:
    """A quoted value lists the other quoted items, spaces and all."""
    message = 'Add "buy eggs" and "call mom" to my todos'
    assert items_beside(message, "buy eggs") == ["buy eggs", "call mom"]


def test_a_sentence_start_word_is_not_part_of_an_item() -> None:
    """'Compare London and Sydney' lists London, not 'Compare London'."""
    assert items_beside("Compare London and Sydney", "Sydney") == ["London", "Sydney"]


def test_and_then_a_new_request_is_no_list() -> None:
    """'milk and then show my list' joins two requests, not two items."""
    assert items_beside("Add milk and then show my list", "milk") == []


def test_a_value_standing_alone_lists_nothing() -> None:
    """'Tokyo weather?' names one city: no list."""
    assert items_beside("Tokyo weather?", "Tokyo") == []


def test_a_value_not_in_the_message_lists_nothing() -> None:
    """A value the message does not hold lists nothing."""
    assert items_beside("Weather in Tokyo and Paris?", "Berlin") == []


def test_fan_out_adds_a_call_for_the_other_item() -> None:
    """A call for Tokyo gets a call for Paris, the same tool and arguments otherwise."""
    calls = fan_out([_weather("Tokyo")], "Weather in Tokyo and Paris?", id_prefix="call-0")
    assert [c.name for c in calls] == ["get_weather", "get_weather"]
    assert _cities(calls) == ["Tokyo", "Paris"]


def test_fan_out_keeps_the_other_arguments_of_the_call() -> None:
    """The added call keeps the arguments the model wrote besides the listed one."""
    call = ToolCall("call-0-0", "get_weather", '{"city": "Tokyo", "unit": "fahrenheit"}')
    [_, added] = fan_out([call], "Tokyo and Paris in fahrenheit", id_prefix="call-0")
    assert isinstance(added.arguments, str)
    assert json.loads(added.arguments) == {"city": "Paris", "unit": "fahrenheit"}


def test_calls_covering_every_item_are_left_as_they_are() -> None:
    """A reply with a call per item gets nothing added (case aside)."""
    calls = (_weather("Tokyo", "call-0-0"), _weather("paris", "call-0-1"))
    assert fan_out(calls, "Weather in Tokyo and Paris?", id_prefix="call-0") == calls


def test_added_calls_get_ids_after_those_of_the_reply() -> None:
    """Added calls are numbered <prefix>-<n> after the reply's own calls."""
    calls = fan_out([_weather("Tokyo", "call-2-0")], "Tokyo, Paris and London?", id_prefix="call-2")
    assert [c.id for c in calls] == ["call-2-0", "call-2-1", "call-2-2"]


def test_a_tool_that_takes_a_list_is_not_fanned_out() -> None:
    """A tool named in listing= keeps its one call: the items may belong in its list."""
    call = ToolCall("call-0-0", "plan_trip", '{"start": "Santa Barbara"}')
    message = "Plan a trip with stops at Santa Barbara and Monterey"
    assert fan_out([call], message, id_prefix="call-0", listing={"plan_trip"}) == (call,)


def test_added_calls_follow_the_order_of_the_message() -> None:
    """A call for the middle item gets the first item's call, then the last's."""
    calls = fan_out([_weather("Paris")], "Tokyo, Paris and London?", id_prefix="call-0")
    assert _cities(calls) == ["Paris", "Tokyo", "London"]


def test_a_message_with_one_item_adds_no_call() -> None:
    """'Tokyo weather?' leaves the one call alone."""
    call = _weather("Tokyo")
    assert fan_out([call], "Tokyo weather?", id_prefix="call-0") == (call,)
