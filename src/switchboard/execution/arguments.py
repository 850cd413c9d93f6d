"""Parse a tool call's arguments, repairing the JSON mistakes models commonly make.

OpenAI, OpenAI-compatible servers and local models send a call's arguments as a JSON string;
Anthropic and Gemini send them already decoded. Clean JSON costs one parse (`load_json`).
Anything else goes through targeted repairs, each recorded by kind so that the executor can
report them, with `json_repair` as the general fallback. A repair never invents an argument
object: text that holds none, or only a cut-off one the caller does not accept, raises
`UnparsableArguments`, whose message tells the model how to fix its call.

The targeted repairs are made by `Scan`, in `switchboard.execution.scan`; `Repair` lives
there too and is importable from here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

import json_repair
from pydantic_core import from_json

from switchboard.execution.scan import Repair as Repair
from switchboard.execution.scan import Scan

_SEND_INSTEAD = 'Send the arguments as one JSON object, e.g. {"param": "value"}.'
_MAX_REPAIR_DEPTH = 200
_JSON_KINDS: dict[type[Any], str] = {
    list: "an array",
    str: "a string",
    bool: "a boolean",
    type(None): "null",
}

# A block fence closes on a line of its own: JSON strings cannot hold a raw newline, so a
# "```" inside a string value never ends the block. An unclosed fence runs to the end.
_BLOCK_FENCE = re.compile(r"```[\w+.-]*[ \t]*\r?\n(.*?)(?:\r?\n[ \t]*```|```\s*\Z|\Z)", re.S)
_INLINE_FENCE = re.compile(r"```(?:json)?[ \t]*(\{.*\})[ \t]*```", re.S | re.I)


@dataclass(frozen=True, slots=True)
class ParsedArguments:
    """A call's argument object and the repairs it needed.

    Attributes:
        value: The argument object.
        repairs: What was repaired, in the order applied; ``()`` for clean JSON.
    """

    value: dict[str, Any]
    repairs: tuple[Repair, ...]


class UnparsableArguments(Exception):
    """Arguments that hold no JSON object, even after repair.

    Not public API: the executor turns it into an error result for the model.

    Attributes:
        message: What was wrong, where, and what to send instead, written for the model.
    """

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def parse_arguments(
    raw: str | Mapping[str, Any] | None,
    *,
    accepts: Callable[[dict[str, Any]], bool] | None = None,
) -> ParsedArguments:
    r"""Read a tool call's arguments as a JSON object, repairing common model mistakes.

    Args:
        raw: The arguments as the provider sent them: a JSON string, an already decoded
            mapping, or ``None`` for none at all.
        accepts: Judges the object closed from cut-off arguments (usually the tool's
            argument validator). Without it, cut-off arguments are refused.

    Returns:
        The argument object and the repairs made; ``("empty",)`` for no arguments at all.

    Raises:
        UnparsableArguments: ``raw`` holds no JSON object that can be read without
            inventing one, or it was cut off and ``accepts`` refused the closed object.

    Example:
        >>> parse_arguments('{"city": "Paris"}')
        ParsedArguments(value={'city': 'Paris'}, repairs=())
        >>> parse_arguments("```json\n{'city': 'Paris', 'metric': True,}\n```").repairs
        ('code_fence', 'python_literals', 'single_quotes', 'trailing_comma')
    """
    if isinstance(raw, str):
        try:
            value = load_json(raw)
        except (ValueError, RecursionError) as error:
            return _parse_repaired(raw, error, accepts)
        if isinstance(value, dict):
            # json.loads gives str keys; a cast() would add a call to this hot path.
            return ParsedArguments(value, ())  # pyright: ignore[reportUnknownArgumentType]
        return _to_object(raw, value, [], accepts)
    if raw is None:
        return ParsedArguments({}, ("empty",))
    return ParsedArguments(dict(raw), ())


def load_json(text: str) -> Any:
    """Decode strict JSON exactly as `json.loads` does, several times faster on small objects.

    pydantic-core's parser reads every text it accepts as ``json.loads`` reads it (same
    values, same types, the last of duplicate keys, ``NaN`` and ``Infinity``); the few
    texts it refuses and ``json.loads`` reads (lone surrogates, nesting deeper than 200)
    go to ``json.loads``, so errors are always ``json.loads``'s own.

    Raises:
        ValueError: ``text`` is not JSON (a `json.JSONDecodeError`).
        RecursionError: It is nested too deeply for ``json.loads``.
    """
    try:
        return from_json(text)
    except (ValueError, TypeError):  # TypeError: a str that cannot be encoded as UTF-8
        return json.loads(text)


def load_json_object(text: str) -> dict[str, Any] | None:
    """The object that ``text`` is as strict JSON; None when it is anything else.

    The executor's fast path: None sends the text to `parse_arguments`, which repairs
    what it can and explains what it cannot.
    """
    try:
        value = from_json(text)
    except (ValueError, TypeError):
        return None
    return value if value.__class__ is dict else None


def _parse_repaired(
    text: str, error: Exception, accepts: Callable[[dict[str, Any]], bool] | None
) -> ParsedArguments:
    if not text.strip():
        return ParsedArguments({}, ("empty",))
    value, repairs = _decode_repaired(text, error)
    return _to_object(text, value, repairs, accepts)


def _to_object(
    text: str,
    value: Any,
    repairs: list[Repair],
    accepts: Callable[[dict[str, Any]], bool] | None,
) -> ParsedArguments:
    """Check that decoded arguments are an object, decoding a double-encoded one."""
    if isinstance(value, str):
        value, repairs = _decode_inner(value, repairs)
    if not isinstance(value, dict):
        raise _not_an_object(value)
    arguments = cast("dict[str, Any]", value)
    if "truncated" in repairs and (accepts is None or not accepts(arguments)):
        raise _cut_off(text)
    return ParsedArguments(arguments, tuple(repairs))


def _decode_inner(text: str, repairs: list[Repair]) -> tuple[Any, list[Repair]]:
    """Decode the string that a double-encoded object was sent as."""
    try:
        value, inner_repairs = _decode(text)
    except UnparsableArguments:
        raise _not_an_object(text) from None
    if not isinstance(value, dict):
        raise _not_an_object(text)
    return cast("dict[str, Any]", value), [*repairs, "double_encoded", *inner_repairs]


def _decode(text: str) -> tuple[Any, list[Repair]]:
    try:
        return json.loads(text), []
    except (ValueError, RecursionError) as error:
        return _decode_repaired(text, error)


def _decode_repaired(text: str, error: Exception) -> tuple[Any, list[Repair]]:
    """Decode JSON that ``json.loads`` refused with ``error``, recording each repair."""
    repairs: list[Repair] = []
    body = _unfence(text)
    if body is None:
        body = text
    else:
        repairs.append("code_fence")
        try:
            return json.loads(body), repairs
        except (ValueError, RecursionError):
            pass
    if "{" not in body:
        raise _invalid_json(text, error)
    scan = Scan(body)
    # Of several values json_repair would keep one or merge them: both guess at the call
    # meant. It also recurses per level, slowly: runaway nesting takes it seconds.
    if scan.several or scan.depth > _MAX_REPAIR_DEPTH:
        raise _invalid_json(text, error)
    if scan.tokens is not None:
        try:
            value = json.loads(" ".join(scan.tokens))
        except (ValueError, RecursionError):
            pass
        else:
            # "{}" found in prose is no evidence of an argument object.
            if value == {} and "other" in scan.found:
                raise _invalid_json(text, error)
            return value, repairs + scan.kinds()
    value = _repair_generally(body)
    if not isinstance(value, dict) or not value:
        raise _invalid_json(text, error)
    scan.found.add("other")
    return cast("dict[str, Any]", value), repairs + scan.kinds()


def _unfence(text: str) -> str | None:
    """Return what a markdown code fence around the JSON holds, or None without one."""
    if "```" not in text or text.lstrip().startswith("{"):
        return None
    match = _BLOCK_FENCE.search(text) or _INLINE_FENCE.search(text)
    return match[1] if match else None


def _repair_generally(text: str) -> Any:
    """Repair ``text`` with json_repair; None when it cannot."""
    try:
        return json_repair.loads(text)
    # json_repair is best effort on arbitrary text: any failure means nothing was readable.
    except Exception:
        return None


def _invalid_json(text: str, error: Exception) -> UnparsableArguments:
    if isinstance(error, json.JSONDecodeError):
        near = _excerpt(text, error.pos)
        where = f"{error.msg} at line {error.lineno} column {error.colno} (near {near!r})"
    elif isinstance(error, RecursionError):
        where = "it is nested too deeply"
    else:
        where = str(error)
    return UnparsableArguments(f"Arguments are not valid JSON: {where}. {_SEND_INSTEAD}")


def _not_an_object(value: object) -> UnparsableArguments:
    kind = _JSON_KINDS.get(type(value), "a number")
    shown = json.dumps(value)
    if len(shown) > 40:
        shown = shown[:37] + "..."
    return UnparsableArguments(
        f"Arguments must be a JSON object, but they were {kind}: {shown}. {_SEND_INSTEAD}"
    )


def _cut_off(text: str) -> UnparsableArguments:
    return UnparsableArguments(
        f"Arguments were cut off after {len(text)} characters, before the JSON object was "
        f"closed (they end with {text[-30:]!r}). Send the complete arguments as one JSON "
        "object."
    )


def _excerpt(text: str, position: int) -> str:
    return text[max(0, position - 20) : position + 10]
