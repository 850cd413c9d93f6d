"""What a router reads of a tool: its words, for BM25, and its text, for an embedding model.

A tool is found by its name (``get_weather``, ``math.factorial``, ``listFiles`` split into
words), its description, and its parameters' names, descriptions and string choices.

Example:
    >>> terms("getWeatherForecast for the_city of Tokyo")
    ['get', 'weather', 'forecast', 'city', 'tokyo']
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from typing import Any, Final, cast

from switchboard.routing.stopwords import STOPWORDS_EN_PLUS
from switchboard.tools.tool import Tool

__all__ = ["identifier_words", "intents", "terms", "tool_terms", "tool_text"]

# Lower-to-upper ("getWeather") and acronym-to-word ("HTTPServer") boundaries.
_CAMEL: Final = re.compile(r"(?<=[a-z0-9])(?=[A-Z])|(?<=[A-Z])(?=[A-Z][a-z])")
_WORD: Final = re.compile(r"[a-z0-9]+")
_STOPWORDS: Final = frozenset(STOPWORDS_EN_PLUS)

# Where one request ends and the next begins: a sentence end, a line break, or a linking
# word ("..., and also ...", "... Then ..."). A plain "and" is not one: it joins the
# parts of a single request ("the area and perimeter of a circle") as often as two.
_LINK: Final = (
    r"(?:and also|also|additionally|and then|then|as well as|after that|furthermore|moreover|plus)"
)
_INTENT_BREAK: Final = re.compile(
    rf"(?:(?<=[.?!;])\s+|\n+)(?:{_LINK}\b,?\s*)?|,?\s+{_LINK}\b,?\s+", re.IGNORECASE
)

# Deeply nested schemas repeat their words; the first levels say what a tool is about.
_MAX_DEPTH: Final = 3


def identifier_words(name: str) -> str:
    """Split an identifier into lower-case words.

    Example:
        >>> identifier_words("math.factorial_HTTPRequest-v2")
        'math factorial http request v2'
    """
    return " ".join(_WORD.findall(_CAMEL.sub(" ", name).lower()))


def terms(text: str) -> list[str]:
    """The BM25 terms of a text: lower-case words, identifiers split, stop words dropped."""
    words = _WORD.findall(_CAMEL.sub(" ", text).lower())
    return [word for word in words if word not in _STOPWORDS and len(word) > 1]


def intents(text: str) -> list[str]:
    """The separate requests in a text: its sentences and linked clauses of two terms or more.

    Example:
        >>> intents("Find the area of a circle of radius 5. Then convert 3 miles to km.")
        ['Find the area of a circle of radius 5.', 'convert 3 miles to km.']
        >>> intents("What's the weather in Paris?")
        ["What's the weather in Paris?"]
    """
    parts = (part.strip() for part in _INTENT_BREAK.split(text))
    return [part for part in parts if part and len(terms(part)) >= 2]


def tool_terms(tool: Tool) -> list[str]:
    """The BM25 terms of a tool: its name's words twice (a name says most), then the rest."""
    name = terms(tool.name)
    return [*name, *name, *terms(tool.description), *terms(" ".join(_parameter_words(tool)))]


def tool_text(tool: Tool) -> str:
    """A tool as one short passage for a sentence-embedding model.

    Its name's words, its description and its parameters' names. On BFCL this ranks as
    well as adding the parameters' descriptions, at under half the tokens to embed.

    Example:
        >>> t = Tool.from_schema(
        ...     "get_weather",
        ...     "Current weather.",
        ...     {"type": "object", "properties": {"city": {"description": "City name."}}},
        ... )
        >>> tool_text(t)
        'get weather: Current weather. (city)'
    """
    text = f"{identifier_words(tool.name)}: {tool.description.strip()}"
    names = ", ".join(
        identifier_words(name) for name in _mapping(tool.parameters.get("properties"))
    )
    return f"{text} ({names})" if names else text


def _parameter_words(tool: Tool) -> Iterator[str]:
    """Each parameter's name (split into words), description and string choices, in order."""
    yield from _schema_words(tool.parameters, depth=0)


def _schema_words(schema: Mapping[str, Any], *, depth: int) -> Iterator[str]:
    if depth > _MAX_DEPTH:
        return
    properties = _mapping(schema.get("properties"))
    for name, raw in properties.items():
        sub = _mapping(raw)
        words = identifier_words(name)
        description = sub.get("description")
        if isinstance(description, str) and description.strip():
            yield f"{words}, {description.strip()}"
        else:
            yield words
        yield from _choices(sub)
        yield from _schema_words(sub, depth=depth + 1)
    items = _mapping(schema.get("items"))
    if items:
        yield from _schema_words(items, depth=depth + 1)


def _choices(schema: Mapping[str, Any]) -> Iterator[str]:
    enum = schema.get("enum")
    if isinstance(enum, list):
        yield from (value for value in cast(list[Any], enum) if isinstance(value, str))


def _mapping(value: object) -> Mapping[str, Any]:
    return cast(Mapping[str, Any], value) if isinstance(value, Mapping) else {}
