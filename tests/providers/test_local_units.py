"""The units a message names, by any of their names (`providers.local.units`)."""

from switchboard.providers.local import units
from switchboard.providers.local.units import named_units


def _named(message: str) -> list[tuple[str, bool]]:
    return [(m.unit, m.target) for m in named_units(message)]


def test_units_after_a_number_and_after_to_are_named_in_order() -> None:
    """'5 km to miles' names kilometer, then mile as the target."""
    assert _named("Convert 5 km to miles.") == [("kilometer", False), ("mile", True)]


def test_how_many_marks_the_target() -> None:
    """'How many centimeters is 12 inches?' converts to centimeters."""
    assert _named("How many centimeters is 12 inches?") == [
        ("centimeter", True),
        ("inch", False),
    ]


def test_scale_letters_name_temperature_scales() -> None:
    """'°F', '25 °C' and 'degrees K' are Fahrenheit, Celsius and kelvin."""
    assert _named("It is 25 °C, in °F or degrees K?") == [
        ("degree_Celsius", False),
        ("degree_Fahrenheit", True),
        ("kelvin", False),
    ]


def test_a_place_after_in_is_not_a_unit() -> None:
    """'in Tokyo' is a place; pint would not know it, and it is never asked."""
    assert _named("What's the weather in Tokyo?") == []


def test_an_article_after_to_is_not_a_unit() -> None:
    """Pint reads 'a' as a year: 'Send 5 km to a friend' names kilometers only."""
    assert _named("Send 5 km to a friend") == [("kilometer", False)]


def test_a_message_with_no_place_for_a_unit_does_not_load_the_registry() -> None:
    """'Is it raining in Paris?' asks pint nothing, so its registry is not built."""
    units._registry.cache_clear()  # pyright: ignore[reportPrivateUsage]
    assert _named("Is it raining in Paris?") == []
    assert units._registry.cache_info().currsize == 0  # pyright: ignore[reportPrivateUsage]


def test_a_name_read_several_ways_is_the_unprefixed_unit() -> None:
    """'ft' is a foot or a femto-tonne to pint: it is the foot."""
    assert units.unit_of("ft") == "foot"


def test_a_unit_carries_the_amount_just_before_it() -> None:
    """'212 °F' and '3.5 kg' carry 212 and 3.5; 'to miles' carries none."""
    assert [m.amount for m in named_units("Convert 212 °F to miles, or 3.5 kg")] == [
        212.0,
        None,
        3.5,
    ]


def test_a_capitalised_unit_name_is_read() -> None:
    """'to Celsius': pint spells it lower-case, and the message's capital does not hide it."""
    assert _named("Convert 212 °F to Celsius") == [
        ("degree_Fahrenheit", False),
        ("degree_Celsius", True),
    ]


def test_in_degrees_marks_the_scale_as_the_target() -> None:
    """'in degrees F' converts to Fahrenheit."""
    assert ("degree_Fahrenheit", True) in _named("Weather in Oslo in degrees F")
