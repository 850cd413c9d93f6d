"""The units a user's message names, by any of their names: pure, pint loaded on first use.

"5 km to miles" names the choices ``km`` and ``mi`` of a tool whose units are symbols;
"in °F" names ``fahrenheit``. A small model copies the first unit it sees, so
`switchboard.providers.local.grounding.ground_choices` asks this module which of an
argument's choices the message names when it names none of them word for word.

pint's registry knows each unit's names, plurals, spellings and symbols (``miles``,
``mile``, ``mi``; ``pounds``, ``lbs``, ``lb``): a table of our own would know fewer. It
loads in about a quarter of a second, so it loads only when a message names a unit the
choices do not spell out.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from typing import TYPE_CHECKING, Final

if TYPE_CHECKING:
    from pint import UnitRegistry

__all__ = ["UnitMention", "amount_before", "converts_to", "named_units", "unit_of"]

_WORD: Final = re.compile(r"°?[A-Za-z][A-Za-z_]*")
# A temperature scale by its letter: "°F", "25 °C", "degrees F", "100F".
_SCALES: Final = frozenset("CFK")
_SCALE_BEFORE: Final = re.compile(r"(?:\bdeg(?:ree)?s?\s+|\d\s*)$")
# A word is a unit only where the message puts a unit: after a number ("5 km"), after
# "to", "into", "in" or "how many" ("to miles", "in kelvin"), or as a scale ("°F").
# Elsewhere pint reads ordinary words as units ("a" is a year, "C" a coulomb).
_DEGREES: Final = re.compile(r"\bdeg(?:ree)?s?\s+$")
_ARTICLES: Final = frozenset(("a", "an", "i"))
_AFTER_NUMBER: Final = re.compile(r"\d\s*$")
_TARGET: Final = re.compile(r"\b(?:to|into|in|how many)\s+$", re.IGNORECASE)
_AMOUNT: Final = re.compile(r"(?<![\w.])(-?\d+(?:\.\d+)?)\s*(?:°\s*|deg(?:ree)?s?\s+)?$")


@dataclass(frozen=True, slots=True)
class UnitMention:
    """A unit the message names.

    Attributes:
        start: Where the name starts in the message.
        unit: pint's name of the unit (``mile``, ``degree_Fahrenheit``).
        target: The message converts to it ("to miles", "in kelvin", "how many
            centimeters").
        amount: The number just before it ("5" of "5 km", "212" of "212 °F"), if any.
    """

    start: int
    unit: str
    target: bool
    amount: float | None


def named_units(message: str) -> list[UnitMention]:
    """The units ``message`` names where a unit goes, in its order.

    Example:
        >>> [(m.unit, m.target, m.amount) for m in named_units("Convert 5 km to miles.")]
        [('kilometer', False, 5.0), ('mile', True, None)]
    """
    mentions: list[UnitMention] = []
    for word in _WORD.finditer(message):
        name, before = word.group(), message[: word.start()]
        letter = name.lstrip("°")
        if letter in _SCALES and (name.startswith("°") or _SCALE_BEFORE.search(before)):
            unit = unit_of(f"deg{letter}")
            before = _DEGREES.sub("", before)  # "in degrees F" converts to F
        elif name.startswith("°") or name.casefold() in _ARTICLES:
            continue  # "to a friend": pint reads "a" as a year
        elif not converts_to(before) and _AFTER_NUMBER.search(before) is None:
            continue
        elif before.rstrip().lower().endswith(" in") and name[0].isupper():
            continue  # "in Tokyo": a place, not a unit
        else:
            unit = unit_of(name) or (unit_of(name.lower()) if name.istitle() else "")
        if unit:
            target = converts_to(before)
            mentions.append(
                UnitMention(word.start(), unit, target, amount_before(message, word.start()))
            )
    return mentions


def converts_to(before: str) -> bool:
    """Whether the text ``before`` a unit says the message converts to it ("5 km to ")."""
    return _TARGET.search(before) is not None


def amount_before(message: str, start: int) -> float | None:
    """The number that ends just before ``start`` in ``message`` ("5 " of "5 km"), if any."""
    found = _AMOUNT.search(message, 0, start)
    return None if found is None else float(found.group(1))


def unit_of(name: str) -> str:
    """Pint's name of the unit ``name`` names (``"mi"`` → ``"mile"``), or "".

    A name pint reads several ways counts as the plain unit among them: ``ft`` is a foot,
    not a femto-tonne.
    """
    try:
        parsed: Sequence[tuple[str, str, str]] = _registry().parse_unit_name(name)
    except (ValueError, AttributeError):
        return ""
    if len(parsed) > 1:
        parsed = [p for p in parsed if not p[0]]
    if len(parsed) != 1:
        return ""
    prefix, unit, _ = parsed[0]
    return prefix + unit


@cache
def _registry() -> UnitRegistry[float]:
    from pint import UnitRegistry

    return UnitRegistry[float]()
