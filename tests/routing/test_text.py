from switchboard import Tool
from switchboard.routing.text import identifier_words, intents, terms, tool_terms, tool_text

WEATHER = Tool.from_schema(
    "getWeather",
    "Get the current weather for a city.",
    {
        "type": "object",
        "properties": {
            "city_name": {"type": "string", "description": "The city, e.g. Tokyo."},
            "unit": {"type": "string", "enum": ["celsius", "fahrenheit"]},
            "where": {
                "type": "object",
                "properties": {"countryCode": {"type": "string", "description": "ISO code."}},
            },
        },
    },
)


def test_identifier_words_split_snake_camel_dots_hyphens_and_acronyms() -> None:
    """Every identifier style splits into its lower-case words."""
    assert identifier_words("math.factorial") == "math factorial"
    assert identifier_words("get_user-byId") == "get user by id"
    assert identifier_words("parseHTTPResponse2") == "parse http response2"


def test_terms_drop_stop_words_and_single_letters() -> None:
    """Query words like 'the', 'is' and 'a' carry no evidence and are dropped."""
    assert terms("What is the weather in a city, e.g. Tokyo?") == ["weather", "city", "tokyo"]


def test_tool_terms_weigh_the_name_and_read_parameters_and_choices() -> None:
    """Name words count twice; parameter names, descriptions, enums and nested ones count."""
    words = tool_terms(WEATHER)
    assert words[:4] == ["get", "weather", "get", "weather"]
    assert {"city", "name", "tokyo", "unit", "fahrenheit", "country", "code", "iso"} <= set(words)


def test_tool_text_is_name_words_and_description() -> None:
    """The embedded passage reads as a sentence, with the parameter names after it."""
    assert tool_text(WEATHER) == (
        "get weather: Get the current weather for a city. (city name, unit, where)"
    )


def test_intents_split_sentences_and_linked_clauses() -> None:
    """Sentences, line breaks and linking words end a request; a plain "and" does not."""
    text = (
        "Find the area and perimeter of a circle of radius 5, and also its diameter in cm. "
        "Then convert 3 miles to km\nweather in Oslo; additionally the time in Rome"
    )
    assert intents(text) == [
        "Find the area and perimeter of a circle of radius 5",
        "its diameter in cm.",
        "convert 3 miles to km",
        "weather in Oslo;",
        "the time in Rome",
    ]


def test_intents_drop_fragments_of_fewer_than_two_terms() -> None:
    """A fragment such as 'Thanks.' is no request of its own; a one-request text stays whole."""
    assert intents("Convert 3 lb to kg. Thanks.") == ["Convert 3 lb to kg."]
    assert intents("  ") == []
