"""Weather tools with deterministic fake data, for the README and the tests."""

from typing import Annotated, Literal

from pydantic import Field

from switchboard import Toolbox

tools = Toolbox()

# Fixed readings so that every run, and every test, sees the same weather.
_CELSIUS = {"tokyo": 18.0, "paris": 12.5, "london": 9.0, "new york": 15.0, "sydney": 24.0}
_SKIES = {"tokyo": "clear", "paris": "light rain", "london": "overcast", "new york": "windy"}


@tools.register
def get_weather(city: str, unit: Literal["celsius", "fahrenheit"] = "celsius") -> dict[str, object]:
    """Get the current weather for a city.

    Args:
        city: City name, e.g. "Tokyo".
        unit: Temperature unit.
    """
    key = city.strip().lower()
    if key not in _CELSIUS:
        known = ", ".join(name.title() for name in _CELSIUS)
        msg = f"No weather station for {city!r}. Known cities: {known}."
        raise ValueError(msg)
    temperature = _CELSIUS[key] if unit == "celsius" else _CELSIUS[key] * 9 / 5 + 32
    return {"city": city, "temperature": temperature, "unit": unit, "sky": _SKIES.get(key, "sunny")}


@tools.register
def get_forecast(city: str, days: Annotated[int, Field(ge=1, le=7)] = 3) -> list[dict[str, object]]:
    """Get a daily forecast for a city.

    Args:
        city: City name, e.g. "Paris".
        days: How many days ahead.
    """
    base = _CELSIUS.get(city.strip().lower(), 20.0)
    return [
        {"day": day, "high": base + day % 3, "low": base - 5 + day % 2}
        for day in range(1, days + 1)
    ]
