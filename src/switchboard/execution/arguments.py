"""Parse a tool call's arguments, repairing the JSON mistakes models commonly make.

OpenAI, OpenAI-compatible servers and local models send a call's arguments as a JSON string;
Anthropic and Gemini send them already decoded. Clean JSON costs one parse (`load_json`).
Anything else goes through targeted repairs, each recorded by kind so that the executor can
report them, with `json_repair` as the general fallback. A repair never invents a value: text
that holds no argument object, an object cut off anywhere but between two of its properties,
or one the caller does not accept once closed, raises `UnparsableArguments`, whose message
tells the model how to fix its call. What JSON does not have is refused, not guessed at:
``NaN`` and ``Infinity``, and a key given twice in one object.

Repair work is linear in the text and bounded: text longer than `MAX_REPAIR_CHARS` is read
only if it is clean JSON, and `json_repair` (superlinear on some inputs) only sees text up to
`_MAX_GENERAL_REPAIR_CHARS`.

The targeted repairs are made by `Scan`, in `switchboard.execution.scan`; `Repair` lives
there too and is importable from here.
"""

from __future__ import annotations

import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, cast

from pydantic_core import from_json

from switchboard.execution.scan import Repair as Repair
from switchboard.execution.scan import Scan
from switchboard.tools.json_object import may_repeat_keys

_SEND_INSTEAD = 'Send the arguments as one JSON object, e.g. {"param": "value"}.'
_MAX_REPAIR_DEPTH = 200

MAX_REPAIR_CHARS = 1_000_000
"""Arguments longer than this are not repaired: they are read only if they are clean JSON."""

# json_repair takes quadratic time on long unquoted values (0.5 s for 100 kB): past this it is
# not asked, and the text is unparsable.
_MAX_GENERAL_REPAIR_CHARS = 32_000
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
            inventing one; it was cut off inside a value, or ``accepts`` refused the closed
            object; it holds ``NaN``, ``Infinity`` or a key given twice; or it needs repair
            and is longer than `MAX_REPAIR_CHARS`.

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
    arguments = dict(raw)
    # Providers that send parsed arguments decoded them with json.loads, which reads NaN.
    _refuse_non_finite(arguments)
    return ParsedArguments(arguments, ())


def load_json(text: str) -> Any:
    """Decode strict JSON (RFC 8259) as `json.loads` does, several times faster on small objects.

    Unlike ``json.loads``, it refuses what JSON does not have: ``NaN``, ``Infinity`` and a
    key given twice in one object (``json.loads`` keeps the last value silently). A number
    too large for a float (``1e400``) reads as infinity, as in ``json.loads``; a parameter
    typed as a number refuses it when validated.
    pydantic-core's parser reads every other text it accepts as ``json.loads`` reads it
    (same values, same types); the few texts it refuses and ``json.loads`` reads (lone
    surrogates, nesting deeper than 200) go to ``json.loads``, so errors are always
    ``json.loads``'s own.

    Raises:
        UnparsableArguments: ``text`` holds ``NaN``, ``Infinity`` or a repeated key.
        ValueError: ``text`` is not JSON (a `json.JSONDecodeError`).
        RecursionError: It is nested too deeply for ``json.loads``.
    """
    try:
        value = from_json(text, allow_inf_nan=False)
    except (ValueError, TypeError):  # TypeError: a str that cannot be encoded as UTF-8
        return strict_loads(text)
    if may_repeat_keys(text, value):
        return strict_loads(text)
    return value


def strict_loads(text: str) -> Any:
    """``json.loads``, refusing ``NaN``, ``Infinity`` and a key given twice in one object.

    Raises:
        UnparsableArguments: ``text`` holds one of those; the message says which.
        ValueError: ``text`` is not JSON (a `json.JSONDecodeError`).
        RecursionError: It is nested too deeply.
    """
    return json.loads(
        text,
        parse_constant=_refuse_constant,
        parse_float=_finite_float,
        object_pairs_hook=_unique_keys,
    )


def _refuse_constant(name: str) -> Any:
    message = (
        f"Arguments hold {name}, which is not a JSON number. Send a finite number instead "
        "(or null for none)."
    )
    raise UnparsableArguments(message)


def _finite_float(text: str) -> float:
    value = float(text)
    if not math.isfinite(value):
        message = (
            f"Arguments hold the number {text[:40]}, which is too large for a 64-bit float. "
            "Send a smaller number, or the value as a string."
        )
        raise UnparsableArguments(message)
    return value


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    value = dict(pairs)
    if len(value) != len(pairs):
        seen: set[str] = set()
        repeated = next(key for key, _ in pairs if key in seen or seen.add(key))
        message = (
            f"Arguments give the key {repeated!r} more than once in the same object, so "
            f"which value is meant is unclear. Send {repeated!r} once, with the value you mean."
        )
        raise UnparsableArguments(message)
    return value


def _refuse_non_finite(value: Any) -> None:
    """Raise `UnparsableArguments` if a float in ``value`` is NaN or infinite."""
    if isinstance(value, float):
        if not math.isfinite(value):
            _refuse_constant(repr(value).replace("inf", "Infinity").replace("nan", "NaN"))
    elif isinstance(value, Mapping):
        for item in cast(Mapping[str, Any], value).values():
            _refuse_non_finite(item)
    elif isinstance(value, list | tuple):
        for item in cast(list[Any], value):
            _refuse_non_finite(item)


def _parse_repaired(
    text: str, error: Exception, accepts: Callable[[dict[str, Any]], bool] | None
) -> ParsedArguments:
    if not text.strip():
        return ParsedArguments({}, ("empty",))
    if len(text) > MAX_REPAIR_CHARS:
        raise _too_long(text, error)
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
        raise _cut_off(
            text, "before the object was closed, and what came before is not a valid call"
        )
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
        return strict_loads(text), []
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
            return strict_loads(body), repairs
        except (ValueError, RecursionError):
            pass
    if "{" not in body:
        raise _invalid_json(text, error)
    scan = Scan(body)
    # Of several values json_repair would keep one or merge them: both guess at the call
    # meant. It also recurses per level, slowly: runaway nesting takes it seconds.
    if scan.several or scan.depth > _MAX_REPAIR_DEPTH:
        raise _invalid_json(text, error)
    if scan.unsafe_cut is not None:
        if scan.tokens == ["{"] and "other" in scan.found:  # prose ending in "{": no call
            raise _invalid_json(text, error)
        raise _cut_off(text, scan.unsafe_cut)
    if scan.tokens is not None:
        try:
            value = strict_loads(" ".join(scan.tokens))
        except (ValueError, RecursionError):
            pass
        else:
            # "{}" found in prose is no evidence of an argument object.
            if value == {} and "other" in scan.found:
                raise _invalid_json(text, error)
            return value, repairs + scan.kinds()
    # json_repair closes whatever is open, cut-off strings included: it only sees text the
    # model closed itself, and not too much of it.
    if not body.rstrip().endswith("}") or len(body) > _MAX_GENERAL_REPAIR_CHARS:
        raise _invalid_json(text, error)
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
    import json_repair  # ~10 ms to import, and only text that needs repair gets here

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


def _cut_off(text: str, where: str) -> UnparsableArguments:
    size = f"{len(text)} character" + ("" if len(text) == 1 else "s")
    return UnparsableArguments(
        f"Arguments were cut off after {size}, {where} (they end with {text[-30:]!r}). "
        "Nothing was run: send the complete arguments as one JSON object."
    )


def _too_long(text: str, error: Exception) -> UnparsableArguments:
    problem = _invalid_json(text, error).message.removesuffix(" " + _SEND_INSTEAD)
    return UnparsableArguments(
        f"{problem}; at {len(text):,} characters they are too long to repair (the limit is "
        f"{MAX_REPAIR_CHARS:,}). Send the arguments as valid JSON."
    )


def _excerpt(text: str, position: int) -> str:
    return text[max(0, position - 20) : position + 10]
