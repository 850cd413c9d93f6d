"""named_tools and ground_choices: what the user's own words settle; pure, no model."""

import json
from typing import Annotated, Any, Literal

from pydantic import Field

from switchboard.messages import ToolCall
from switchboard.providers.local.grounding import ground_choices, ground_strings, named_tools
from switchboard.tools.tool import Tool


def get_weather(city: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> str:
    """Weather now."""
    return city + unit


def get_forecast(city: str, days: Annotated[int, Field(ge=1, le=7)] = 1) -> str:
    """Weather ahead."""
    return city * days


def fetch_todos() -> str:
    """The todo list."""
    return ""


def get_weather_forecast(city: str) -> str:
    """Weather now and ahead."""
    return city


def convert(value: int, unit: str) -> str:
    """Convert a value to a unit."""
    return f"{value}{unit}"


def repeat(times: int, count: int) -> str:
    """Repeat."""
    return str(times * count)


WEATHER, FORECAST, TODOS = (Tool.from_function(f) for f in (get_weather, get_forecast, fetch_todos))


def _names(tools: list[Tool]) -> list[str]:
    return [t.name for t in tools]


def _arguments(calls: tuple[ToolCall, ...]) -> dict[str, Any]:
    [call] = calls
    assert isinstance(call.arguments, str)
    return json.loads(call.arguments)


def _call(name: str, **arguments: Any) -> ToolCall:
    return ToolCall("call-0-0", name, json.dumps(arguments))


def test_a_shared_word_narrows_the_tools() -> None:
    """'Tokyo weather?' keeps get_weather, not get_forecast."""
    assert _names(named_tools([WEATHER, FORECAST], "Tokyo weather?")) == ["get_weather"]


def test_a_plural_s_is_dropped_before_comparing() -> None:
    """'forecasts' matches get_forecast."""
    assert _names(named_tools([WEATHER, FORECAST], "Any forecasts for Oslo?")) == ["get_forecast"]


def test_singular_message_word_matches_a_plural_tool_word() -> None:
    """'my todo list' matches fetch_todos."""
    assert _names(named_tools([WEATHER, TODOS], "Show my todo list")) == ["fetch_todos"]


def test_generic_words_of_tool_names_do_not_count() -> None:
    """'get' in the message does not pick the get_ tools over fetch_todos."""

    def get_news() -> str:
        """Headlines."""
        return ""

    tools = [WEATHER, Tool.from_function(get_news), TODOS]
    assert _names(named_tools(tools, "get me something")) == [
        "get_weather",
        "get_news",
        "fetch_todos",
    ]


def test_no_shared_word_keeps_every_tool() -> None:
    """A message naming no tool's subject leaves the choice to the model."""
    assert _names(named_tools([WEATHER, TODOS], "Hello there")) == ["get_weather", "fetch_todos"]


def test_a_tie_keeps_every_tool_with_the_best_score() -> None:
    """'weather forecast' shares one word with each of two tools: both stay."""
    tools = [WEATHER, FORECAST, TODOS]
    assert _names(named_tools(tools, "weather forecast")) == ["get_weather", "get_forecast"]


def test_the_tool_sharing_more_words_wins() -> None:
    """'weather forecast' picks get_weather_forecast, which shares both words."""
    both = Tool.from_function(get_weather_forecast)
    tools = [WEATHER, FORECAST, both]
    assert _names(named_tools(tools, "weather forecast")) == ["get_weather_forecast"]


def test_an_enum_takes_the_one_choice_the_message_names() -> None:
    """'in Fahrenheit' turns unit celsius into fahrenheit."""
    calls = ground_choices(
        [_call("get_weather", city="Oslo", unit="celsius")], [WEATHER], "Oslo in Fahrenheit?"
    )
    assert _arguments(calls) == {"city": "Oslo", "unit": "fahrenheit"}


def test_an_enum_is_left_when_two_choices_are_named() -> None:
    """A message naming celsius and fahrenheit leaves the model's choice."""
    call = _call("get_weather", city="Oslo", unit="celsius")
    message = "Oslo in celsius or fahrenheit?"
    assert ground_choices([call], [WEATHER], message) == (call,)


def test_an_enum_is_left_when_no_choice_is_named() -> None:
    """A message naming no choice leaves the model's choice."""
    call = _call("get_weather", city="Oslo", unit="fahrenheit")
    assert ground_choices([call], [WEATHER], "Oslo weather?") == (call,)


def test_a_string_without_choices_is_left() -> None:
    """A free string argument is not grounded, even if the message names a word of it."""
    call = _call("convert", value=3, unit="km")
    tool = Tool.from_function(convert)
    assert ground_choices([call], [tool], "Convert 3 miles") == (call,)


def test_an_integer_takes_the_one_number_of_the_message() -> None:
    """'the 3-day forecast' turns days 1 into days 3."""
    calls = ground_choices(
        [_call("get_forecast", city="Paris", days=1)], [FORECAST], "The 3-day forecast for Paris"
    )
    assert _arguments(calls) == {"city": "Paris", "days": 3}


def test_an_integer_out_of_bounds_is_left() -> None:
    """A number past the argument's maximum (7) is not taken."""
    call = _call("get_forecast", city="Paris", days=1)
    assert ground_choices([call], [FORECAST], "The 10-day forecast for Paris") == (call,)


def test_two_free_numbers_leave_the_integer() -> None:
    """A message with two numbers no argument holds leaves the integer alone."""
    call = _call("get_forecast", city="Paris", days=1)
    assert ground_choices([call], [FORECAST], "Forecast for 2 or 4 days in Paris") == (call,)


def test_an_integer_the_message_holds_is_left() -> None:
    """An argument days 2, written in the message, stays though another number is there."""
    call = _call("get_forecast", city="Paris", days=2)
    assert ground_choices([call], [FORECAST], "Forecast for 2 days, 5 cities") == (call,)


def test_a_number_another_argument_holds_is_not_free() -> None:
    """repeat(times=3, count=1) for '3 times, 5 each' takes 5 for count, not 3."""
    call = _call("repeat", times=3, count=1)
    tool = Tool.from_function(repeat)
    assert _arguments(ground_choices([call], [tool], "3 times, 5 each")) == {
        "times": 3,
        "count": 5,
    }


def convert_units(
    value: float,
    from_unit: Literal["km", "mi", "m", "in", "celsius", "fahrenheit"],
    to_unit: Literal["km", "mi", "m", "in", "celsius", "fahrenheit"],
) -> str:
    """Convert a value between units."""
    return f"{value}{from_unit}{to_unit}"


def converted(message: str, **arguments: Any) -> dict[str, Any]:
    call = ToolCall("c", "convert_units", json.dumps(arguments))
    (grounded,) = ground_choices([call], [Tool.from_function(convert_units)], message)
    assert isinstance(grounded.arguments, str)
    return json.loads(grounded.arguments)


def test_arguments_sharing_choices_are_not_all_set_to_the_one_choice_named() -> None:
    """'5 km to miles' names km only: from and to keep what the model wrote, not km, km."""
    arguments = converted("Convert 5 km to miles.", value=5, from_unit="km", to_unit="mi")
    assert (arguments["from_unit"], arguments["to_unit"]) == ("km", "mi")


def test_arguments_sharing_choices_take_the_choices_named_in_order() -> None:
    """One choice named per argument: they are assigned in the message's order."""
    message = "Convert 100 degrees Fahrenheit to Celsius."
    arguments = converted(message, value=100, from_unit="celsius", to_unit="fahrenheit")
    assert (arguments["from_unit"], arguments["to_unit"]) == ("fahrenheit", "celsius")


def test_a_common_word_or_a_letter_does_not_name_a_choice() -> None:
    """'in' and the 'm' of "I'm" are not units named: nothing is reassigned."""
    message = "I'm curious: what is 25 celsius in fahrenheit?"
    arguments = converted(message, value=25, from_unit="km", to_unit="mi")
    assert (arguments["from_unit"], arguments["to_unit"]) == ("celsius", "fahrenheit")


def test_a_number_argument_takes_the_messages_one_free_number() -> None:
    """A float the message does not hold becomes the one number it does."""
    arguments = converted("Convert 8 km to miles.", value=2.2, from_unit="km", to_unit="mi")
    assert arguments["value"] == 8


def add_todo(title: str) -> str:
    """Add an item to the todo list."""
    return title


def list_todos() -> str:
    """Show the todo list."""
    return ""


def complete_todo(title: str) -> str:
    """Mark an item of the todo list as done."""
    return title


def remove_todo(title: str) -> str:
    """Remove an item from the todo list."""
    return title


def set_unit(title: str, unit: Literal["celsius", "fahrenheit"]) -> str:
    """Set a unit."""
    return title + unit


TODO_TOOLS = [Tool.from_function(f) for f in (add_todo, list_todos, complete_todo, remove_todo)]


def test_an_opening_verb_picks_the_tool_whose_description_opens_with_it() -> None:
    """'Mark ... done and show me my list' asks for complete_todo first, not list_todos."""
    message = "Mark 'Fix the bike' as done and show me my list."
    assert _names(named_tools(TODO_TOOLS, message)) == ["complete_todo"]


def test_an_opening_verb_picks_the_tool_whose_name_opens_with_it() -> None:
    """'Remove ... from my todo list' ties remove and list by name words; the verb decides."""
    message = "Remove 'Call mom' and 'Pay rent' from my todo list."
    assert _names(named_tools(TODO_TOOLS, message)) == ["remove_todo"]


def test_a_polite_opening_is_skipped_to_find_the_verb() -> None:
    """'Please add ...' opens with add."""
    assert _names(named_tools(TODO_TOOLS, "Please add 'Buy eggs'.")) == ["add_todo"]


def grounded_strings(message: str, *calls: tuple[str, dict[str, Any]]) -> list[dict[str, Any]]:
    tools = [*TODO_TOOLS, Tool.from_function(set_unit)]
    made = [ToolCall(f"c{i}", name, json.dumps(args)) for i, (name, args) in enumerate(calls)]
    return [json.loads(str(c.arguments)) for c in ground_strings(made, tools, message)]


def test_a_made_up_value_takes_the_first_span_no_call_has() -> None:
    """A title the message does not hold becomes the quoted span no other call took."""
    message = "Add 'Book dentist', mark 'Call mom' as done."
    grounded = grounded_strings(
        message,
        ("add_todo", {"title": "Book dentist"}),
        ("complete_todo", {"title": "Complete a task"}),
    )
    assert grounded == [{"title": "Book dentist"}, {"title": "Call mom"}]


def test_a_value_the_message_holds_is_kept_though_a_span_is_free() -> None:
    """A value written in the message (unquoted) is the user's: it stays."""
    message = "Add milk, and 'Call mom' later."
    assert grounded_strings(message, ("add_todo", {"title": "milk"})) == [{"title": "milk"}]


def test_an_argument_with_fixed_choices_never_takes_a_span() -> None:
    """An enum value need not be in the message: it is not replaced by a quoted span."""
    message = "Set 'Paris' please."
    grounded = grounded_strings(message, ("set_unit", {"title": "Paris", "unit": "celsius"}))
    assert grounded == [{"title": "Paris", "unit": "celsius"}]


def test_a_unit_named_by_its_full_name_takes_its_symbol_choice() -> None:
    """'5 km to miles': miles is the choice mi, so to_unit m becomes mi."""
    arguments = converted("Convert 5 km to miles.", value=5, from_unit="km", to_unit="m")
    assert (arguments["from_unit"], arguments["to_unit"]) == ("km", "mi")


def test_the_unit_converted_to_goes_to_the_target_argument_wherever_it_stands() -> None:
    """'How many inches is 3 km?' names inches first, yet inches is what it converts to."""
    arguments = converted("How many inches is 3 km?", value=3, from_unit="in", to_unit="km")
    assert (arguments["from_unit"], arguments["to_unit"]) == ("km", "in")


def test_a_scale_letter_names_its_temperature_choice() -> None:
    """'in °F' and 'in degrees F' name fahrenheit."""
    for message in ("Oslo in °F?", "Oslo weather in degrees F"):
        call = _call("get_weather", city="Oslo", unit="celsius")
        assert _arguments(ground_choices([call], [WEATHER], message))["unit"] == "fahrenheit"


def test_a_message_converting_twice_leaves_the_shared_choices() -> None:
    """'1 mile to km and 1 km to m' names four units for two arguments: nothing changes."""
    message = "Convert 1 mile to km and 1 km to m."
    arguments = converted(message, value=1, from_unit="mi", to_unit="km")
    assert (arguments["from_unit"], arguments["to_unit"]) == ("mi", "km")


def test_a_plural_name_takes_a_choice_pint_reads_several_ways() -> None:
    """'3 feet to m': feet is ft, which pint also reads as a femto-tonne."""

    def to_length(value: float, from_unit: Literal["ft", "m"], to_unit: Literal["ft", "m"]) -> str:
        """Convert a length."""
        return f"{value}{from_unit}{to_unit}"

    call = _call("to_length", value=3, from_unit="m", to_unit="m")
    calls = ground_choices([call], [Tool.from_function(to_length)], "Convert 3 feet to m")
    assert _arguments(calls) == {"value": 3, "from_unit": "ft", "to_unit": "m"}


def test_a_message_naming_no_tool_about_now_asks_for_the_tools_of_now() -> None:
    """'Is it raining in Paris?' names neither tool: it asks for the weather now."""
    assert _names(named_tools([WEATHER, FORECAST], "Is it raining in Paris?")) == ["get_weather"]


def test_a_message_about_time_ahead_asks_for_the_tools_of_time_ahead() -> None:
    """'flying to London tomorrow' asks for the forecast."""
    message = "I'm flying to London tomorrow, what should I expect?"
    assert _names(named_tools([WEATHER, FORECAST], message)) == ["get_forecast"]


def test_time_does_not_split_tools_the_message_names() -> None:
    """'weather now and the forecast for the next days' names both: both stay."""
    message = "Weather in Tokyo now, and the forecast for the next 3 days?"
    assert _names(named_tools([WEATHER, FORECAST], message)) == ["get_weather", "get_forecast"]


def test_time_does_not_split_tools_none_of_which_tell_of_time_ahead() -> None:
    """Tools none of which tell of time ahead all stay for a message about tomorrow."""
    tools = [WEATHER, TODOS]
    assert _names(named_tools(tools, "What about tomorrow?")) == ["get_weather", "fetch_todos"]


def test_the_amount_given_with_the_unit_converted_from_is_the_value() -> None:
    """'Convert 5 km to miles and double it': the value is the 5 of '5 km', not the 2."""
    message = "Convert 5 km to miles and then multiply the result by 2."
    arguments = converted(message, value=2, from_unit="km", to_unit="mi")
    assert arguments == {"value": 5, "from_unit": "km", "to_unit": "mi"}


def test_a_call_takes_the_quoted_title_of_its_own_tools_clause() -> None:
    """'Add 'Book dentist', mark 'Call mom' as done': complete_todo gets 'Call mom'."""
    message = "Add 'Book dentist', mark 'Call mom' as done, and then show me the list."
    calls = ground_strings(
        [
            _call("add_todo", title="Book dentist"),
            _call("complete_todo", title="Book dentist"),
        ],
        TODO_TOOLS,
        message,
    )
    assert [json.loads(str(c.arguments))["title"] for c in calls] == ["Book dentist", "Call mom"]


def test_a_piece_of_the_opening_verbs_object_becomes_the_whole_object() -> None:
    """'mark buy MILK done': complete_todo('Milk') becomes complete_todo('buy MILK')."""
    calls = ground_strings([_call("complete_todo", title="Milk")], TODO_TOOLS, "mark buy MILK done")
    assert _arguments(calls) == {"title": "buy MILK"}


def test_the_object_drops_its_determiner() -> None:
    """'Remove the milk from my list': the object is 'milk', so 'milk' stays."""
    call = _call("remove_todo", title="milk")
    assert ground_strings([call], TODO_TOOLS, "Remove the milk from my list") == (call,)


def test_an_argument_with_fixed_choices_is_not_widened_to_the_verbs_object() -> None:
    """'Convert 5 km to miles': from_unit km stays km, not the object '5 km'."""
    tool = Tool.from_function(convert_units)
    call = ToolCall("c", "convert_units", '{"value": 5, "from_unit": "km", "to_unit": "mi"}')
    assert ground_strings([call], [tool], "Convert 5 km to miles") == (call,)
