"""A unit converter for lengths, masses and temperatures."""

from typing import Literal

from switchboard import Toolbox

tools = Toolbox()

Length = Literal["mm", "cm", "m", "km", "in", "ft", "mi"]
Mass = Literal["g", "kg", "lb", "oz"]

_METRES = {
    "mm": 0.001,
    "cm": 0.01,
    "m": 1.0,
    "km": 1000.0,
    "in": 0.0254,
    "ft": 0.3048,
    "mi": 1609.344,
}
_GRAMS = {"g": 1.0, "kg": 1000.0, "lb": 453.59237, "oz": 28.349523125}


@tools.register
def convert_length(value: float, from_unit: Length, to_unit: Length) -> float:
    """Convert a length between metric and imperial units.

    Args:
        value: The length to convert.
        from_unit: The unit of `value`.
        to_unit: The unit to convert to.
    """
    return value * _METRES[from_unit] / _METRES[to_unit]


@tools.register
def convert_mass(value: float, from_unit: Mass, to_unit: Mass) -> float:
    """Convert a mass between metric and imperial units.

    Args:
        value: The mass to convert.
        from_unit: The unit of `value`.
        to_unit: The unit to convert to.
    """
    return value * _GRAMS[from_unit] / _GRAMS[to_unit]


@tools.register
def convert_temperature(
    value: float, from_unit: Literal["C", "F", "K"], to_unit: Literal["C", "F", "K"]
) -> float:
    """Convert a temperature between Celsius, Fahrenheit and Kelvin.

    Args:
        value: The temperature to convert.
        from_unit: The scale of `value`.
        to_unit: The scale to convert to.
    """
    celsius = {"C": value, "F": (value - 32) * 5 / 9, "K": value - 273.15}[from_unit]
    return {"C": celsius, "F": celsius * 9 / 5 + 32, "K": celsius + 273.15}[to_unit]
