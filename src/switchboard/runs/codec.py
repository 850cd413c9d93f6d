"""Exact JSON forms of the neutral types: messages, tool calls, model responses and usage.

A message or a response becomes a dict of JSON values tagged by its ``"type"``
(``"system"``, ``"user"``, ``"assistant"``, ``"tool_result"``, ``"model_response"``), and
comes back equal: ``message_from_json(message_to_json(m)) == m``. A tool call and a usage are
always nested or known from their place, so they carry no tag.

What comes back as its JSON form rather than itself:

- `ToolResult.value` (any Python value; the model only ever reads ``content``) is stored as
  pydantic-core writes it: JSON values (dicts with string keys, lists, strings, numbers,
  booleans, ``None``) come back equal; tuples and sets come back as lists, dates as ISO text,
  bytes as base64 text, NaN and infinities as ``None``, any other object as its ``repr``.
- A `ToolResult`'s ``parts`` are written only when it has some (``"parts"``, a list of
  parts tagged ``"text"``, ``"image"`` or ``"file"``; bytes as base64 under ``"data"``, a
  URL under ``"url"``), so results without parts keep the form of version 1.
- A `ModelResponse`'s ``response_id`` is written only when it has one (``"response_id"``),
  so responses without one keep the form of version 1, and a response of that form reads
  with ``response_id`` ``None``.
- ``ToolCall.arguments`` given as a mapping, and ``AssistantTurn.provider_state``, hold JSON
  values (providers parse them from JSON): a tuple in them comes back as a list.

Reading checks every field: an unknown tag, a missing, unexpected or mistyped field raises
`RunStateError` naming where it is (``messages[3].tool_calls[0].name``).
"""

from __future__ import annotations

import base64
import binascii
import json
import math
from typing import Any, Final, NoReturn, cast, get_args

from switchboard.errors import RunStateError
from switchboard.messages import (
    AssistantTurn,
    ContentPart,
    ErrorKind,
    FilePart,
    ImagePart,
    Message,
    ModelResponse,
    StopReason,
    SystemMessage,
    TextPart,
    ToolCall,
    ToolResult,
    Usage,
    UserMessage,
)

__all__ = [
    "call_from_json",
    "call_to_json",
    "dumps",
    "loads",
    "message_from_json",
    "message_to_json",
    "part_from_json",
    "part_to_json",
    "response_from_json",
    "response_to_json",
    "usage_from_json",
    "usage_to_json",
    "value_to_json",
]

JsonObject = dict[str, Any]
"""A JSON object as Python holds it."""

_ERROR_KINDS: Final = frozenset(get_args(ErrorKind))
_STOP_REASONS: Final = frozenset(get_args(StopReason))
_PLAIN: Final = (str, int, bool, type(None))
# The keys json.dumps writes (as strings); any other key type is an error.
_KEYS: Final = (str, int, float, bool, type(None))


def dumps(value: Any, what: str) -> str:
    """``value`` as compact JSON text.

    Args:
        value: JSON values (dicts with string keys, lists, strings, numbers, booleans, None).
        what: What the value is, for the error message (``"The state of run 'r1'"``).

    Raises:
        RunStateError: Something in ``value`` has no JSON form, or is NaN or infinite.
    """
    try:
        return json.dumps(value, ensure_ascii=False, allow_nan=False, separators=(",", ":"))
    except (TypeError, ValueError) as error:
        found = _first_non_json(value, "")
        where, culprit = found if found is not None else ("", value)
        message = (
            f"{what} cannot be written as JSON: {where or 'the value'} holds "
            f"{type(culprit).__name__} {culprit!r:.60}, which JSON cannot hold. Keep only "
            "JSON values there (dicts with string keys, lists, strings, finite numbers, "
            "booleans, None)."
        )
        raise RunStateError(message) from error


def loads(text: str | bytes, what: str) -> Any:
    """The JSON value of ``text``.

    Raises:
        RunStateError: ``text`` is not JSON (NaN and infinities are not JSON either).
    """
    try:
        return json.loads(text, parse_constant=_reject_constant)
    except ValueError as error:
        message = f"{what} is not valid JSON: {error}. Was it written by switchboard?"
        raise RunStateError(message) from error


def value_to_json(value: Any) -> Any:
    """The JSON form of a tool's return value, as `ToolResult.value` is stored."""
    if isinstance(value, _PLAIN) or (isinstance(value, float) and math.isfinite(value)):
        return value
    # Imported here: it is already loaded by the loop's guard, but the codec needs it only
    # for values that are not plain scalars.
    from pydantic_core import to_jsonable_python

    return to_jsonable_python(value, fallback=repr, bytes_mode="base64", inf_nan_mode="null")


def call_to_json(call: ToolCall) -> JsonObject:
    """The JSON form of a tool call: its arguments as text or as an object, as written."""
    arguments = call.arguments
    return {
        "id": call.id,
        "name": call.name,
        "arguments": arguments if isinstance(arguments, str) else dict(arguments),
    }


def usage_to_json(usage: Usage) -> JsonObject:
    """The JSON form of a usage."""
    return {
        "input_tokens": usage.input_tokens,
        "output_tokens": usage.output_tokens,
        "requests": usage.requests,
    }


def part_to_json(part: ContentPart) -> JsonObject:
    """The JSON form of a content part, tagged by its ``"type"``; bytes as base64 text."""
    if isinstance(part, TextPart):
        return {"type": "text", "text": part.text}
    data: JsonObject = (
        {"url": part.data}
        if isinstance(part.data, str)
        else {"data": base64.b64encode(part.data).decode("ascii")}
    )
    if isinstance(part, ImagePart):
        return {"type": "image", **data, "media_type": part.media_type}
    return {"type": "file", **data, "media_type": part.media_type, "filename": part.filename}


def message_to_json(message: Message) -> JsonObject:
    """The JSON form of a message, tagged by its ``"type"``."""
    if isinstance(message, ToolResult):
        result: JsonObject = {
            "type": "tool_result",
            "call_id": message.call_id,
            "name": message.name,
            "content": message.content,
            "is_error": message.is_error,
            "error_kind": message.error_kind,
            "repaired": list(message.repaired),
            "duration": message.duration,
            "value": value_to_json(message.value),
        }
        if message.parts:
            result["parts"] = [part_to_json(part) for part in message.parts]
        return result
    if isinstance(message, AssistantTurn):
        return {
            "type": "assistant",
            "text": message.text,
            "tool_calls": [call_to_json(call) for call in message.tool_calls],
            "provider_state": dict(message.provider_state),
        }
    if isinstance(message, UserMessage):
        return {"type": "user", "content": message.content}
    return {"type": "system", "content": message.content}


def response_to_json(response: ModelResponse) -> JsonObject:
    """The JSON form of a model response, its turn untagged; ``cut_calls`` sorted.

    ``response_id`` is written only when the response has one (see the module's notes).
    """
    cut = response.cut_calls
    data: JsonObject = {
        "type": "model_response",
        "turn": _turn_fields(message_to_json(response.turn)),
        "usage": usage_to_json(response.usage),
        "stop_reason": response.stop_reason,
        "model": response.model,
        "cut_calls": None if cut is None else sorted(cut),
    }
    if response.response_id is not None:
        data["response_id"] = response.response_id
    return data


def call_from_json(data: Any, where: str = "tool call") -> ToolCall:
    """The tool call of `call_to_json`'s form.

    Raises:
        RunStateError: A field is missing, unexpected or of the wrong type.
    """
    fields = _Fields(data, where)
    arguments = fields.take("arguments")
    if not isinstance(arguments, str | dict):
        _wrong(f"{where}.arguments", "JSON text or an object", arguments)
    call = ToolCall(fields.text("id"), fields.text("name"), cast("str | JsonObject", arguments))
    fields.done()
    return call


def usage_from_json(data: Any, where: str = "usage") -> Usage:
    """The usage of `usage_to_json`'s form.

    Raises:
        RunStateError: A field is missing, unexpected or of the wrong type.
    """
    fields = _Fields(data, where)
    usage = Usage(
        fields.integer("input_tokens"), fields.integer("output_tokens"), fields.integer("requests")
    )
    fields.done()
    return usage


def message_from_json(data: Any, where: str = "message") -> Message:
    """The message of `message_to_json`'s form.

    Args:
        data: The JSON form.
        where: Where it was found, for error messages (``"messages[3]"``).

    Raises:
        RunStateError: The ``type`` tag is unknown, or a field is missing, unexpected or of
            the wrong type.
    """
    fields = _Fields(data, where)
    kind = fields.text("type")
    message: Message
    if kind == "tool_result":
        message = _tool_result(fields)
    elif kind == "assistant":
        message = _assistant(fields)
    elif kind == "user":
        message = UserMessage(fields.text("content"))
    elif kind == "system":
        message = SystemMessage(fields.text("content"))
    else:
        _fail(
            f"{where}.type is {kind!r}, which is no message type: expected 'system', 'user', "
            "'assistant' or 'tool_result'. Was it written by a newer switchboard?"
        )
    fields.done()
    return message


def part_from_json(data: Any, where: str = "part") -> ContentPart:
    """The content part of `part_to_json`'s form.

    Raises:
        RunStateError: The ``type`` tag is unknown, the data is not base64, or a field is
            missing, unexpected or of the wrong type.
    """
    fields = _Fields(data, where)
    kind = fields.text("type")
    part: ContentPart
    if kind == "text":
        part = TextPart(fields.text("text"))
    elif kind in ("image", "file"):
        source = _part_source(fields)
        if kind == "image":
            part = ImagePart(source, fields.text("media_type"))
        else:
            part = FilePart(source, fields.text("media_type"), fields.text("filename"))
    else:
        _fail(
            f"{where}.type is {kind!r}, which is no content part type: expected 'text', "
            "'image' or 'file'. Was it written by a newer switchboard?"
        )
    fields.done()
    return part


def _part_source(fields: _Fields) -> bytes | str:
    """An image's or a file's URL (``"url"``), or its bytes (``"data"``, base64)."""
    if "url" in fields.data:
        return fields.text("url")
    encoded = fields.text("data")
    try:
        return base64.b64decode(encoded, validate=True)
    except binascii.Error:
        _wrong(f"{fields.where}.data", "base64 text", encoded)


def response_from_json(data: Any, where: str = "response") -> ModelResponse:
    """The model response of `response_to_json`'s form.

    Raises:
        RunStateError: The ``type`` tag is not ``"model_response"``, or a field is missing,
            unexpected or of the wrong type.
    """
    fields = _Fields(data, where)
    kind = fields.text("type")
    if kind != "model_response":
        _fail(f"{where}.type is {kind!r}: expected 'model_response'.")
    turn = _assistant(_Fields(fields.take("turn"), f"{where}.turn"), close=True)
    usage = usage_from_json(fields.take("usage"), f"{where}.usage")
    stop_reason = fields.choice("stop_reason", _STOP_REASONS)
    model = fields.text("model")
    cut = fields.take("cut_calls")
    cut_calls: frozenset[str] | None = None
    if cut is not None:
        cut_calls = frozenset(_texts(cut, f"{where}.cut_calls"))
    # Absent in responses without an id, and in those written before replies kept one.
    response_id = fields.text("response_id") if "response_id" in fields.data else None
    fields.done()
    stop = cast("StopReason", stop_reason)
    return ModelResponse(turn, usage, stop, model, cut_calls, response_id)


def _turn_fields(data: JsonObject) -> JsonObject:
    """A turn's JSON form without its tag (a response's turn is always a turn)."""
    del data["type"]
    return data


def _assistant(fields: _Fields, *, close: bool = False) -> AssistantTurn:
    where = fields.where
    raw_calls = fields.take("tool_calls")
    if not isinstance(raw_calls, list):
        _wrong(f"{where}.tool_calls", "a list", raw_calls)
    calls = tuple(
        call_from_json(call, f"{where}.tool_calls[{i}]")
        for i, call in enumerate(cast("list[Any]", raw_calls))
    )
    turn = AssistantTurn(fields.text("text"), calls, fields.mapping("provider_state"))
    if close:
        fields.done()
    return turn


def _tool_result(fields: _Fields) -> ToolResult:
    where = fields.where
    error_kind = fields.take("error_kind")
    if error_kind is not None and error_kind not in _ERROR_KINDS:
        _wrong(f"{where}.error_kind", f"one of {sorted(_ERROR_KINDS)} or null", error_kind)
    return ToolResult(
        call_id=fields.text("call_id"),
        name=fields.text("name"),
        content=fields.text("content"),
        is_error=fields.boolean("is_error"),
        error_kind=cast("ErrorKind | None", error_kind),
        repaired=tuple(_texts(fields.take("repaired"), f"{where}.repaired")),
        duration=fields.number("duration"),
        value=fields.take("value"),
        parts=_parts(fields),
    )


def _parts(fields: _Fields) -> tuple[ContentPart, ...]:
    """A result's parts: none when the field is absent (results without parts, version 1)."""
    if "parts" not in fields.data:
        return ()
    where = f"{fields.where}.parts"
    raw = fields.take("parts")
    if not isinstance(raw, list):
        _wrong(where, "a list", raw)
    return tuple(
        part_from_json(part, f"{where}[{i}]") for i, part in enumerate(cast("list[Any]", raw))
    )


def _texts(value: Any, where: str) -> list[str]:
    if not isinstance(value, list) or not all(isinstance(v, str) for v in cast("list[Any]", value)):
        _wrong(where, "a list of strings", value)
    return cast("list[str]", value)


class _Fields:
    """The fields of one JSON object, read one by one, each checked for its type."""

    __slots__ = ("data", "taken", "where")

    def __init__(self, data: Any, where: str) -> None:
        if not isinstance(data, dict):
            _wrong(where, "a JSON object", data)
        self.data = cast("JsonObject", data)
        self.where = where
        self.taken: set[str] = set()

    def take(self, key: str) -> Any:
        try:
            value = self.data[key]
        except KeyError:
            _fail(f"{self.where} has no {key!r} field, which is required.")
        self.taken.add(key)
        return value

    def text(self, key: str) -> str:
        value = self.take(key)
        if not isinstance(value, str):
            _wrong(f"{self.where}.{key}", "a string", value)
        return value

    def integer(self, key: str) -> int:
        value = self.take(key)
        if not isinstance(value, int) or isinstance(value, bool):
            _wrong(f"{self.where}.{key}", "an integer", value)
        return value

    def number(self, key: str) -> float:
        value = self.take(key)
        if not isinstance(value, int | float) or isinstance(value, bool):
            _wrong(f"{self.where}.{key}", "a number", value)
        return float(value)

    def boolean(self, key: str) -> bool:
        value = self.take(key)
        if not isinstance(value, bool):
            _wrong(f"{self.where}.{key}", "true or false", value)
        return value

    def mapping(self, key: str) -> JsonObject:
        value = self.take(key)
        if not isinstance(value, dict):
            _wrong(f"{self.where}.{key}", "a JSON object", value)
        return cast("JsonObject", value)

    def choice(self, key: str, allowed: frozenset[str]) -> str:
        value = self.take(key)
        if value not in allowed:
            _wrong(f"{self.where}.{key}", f"one of {sorted(allowed)}", value)
        return cast("str", value)

    def done(self) -> None:
        """Refuse fields this version does not know: they would be lost in silence."""
        if len(self.taken) == len(self.data):
            return
        unexpected = [key for key in self.data if key not in self.taken]
        _fail(
            f"{self.where} has unexpected fields {unexpected}. Was it written by a newer "
            "switchboard?"
        )


def _reject_constant(name: str) -> NoReturn:
    message = f"{name} is not a JSON value"
    raise ValueError(message)


def _fail(message: str) -> NoReturn:
    raise RunStateError(message)


def _wrong(where: str, expected: str, value: Any) -> NoReturn:
    shown = json.dumps(value, ensure_ascii=False, default=repr)
    if len(shown) > 60:
        shown = shown[:57] + "..."
    _fail(f"{where} should be {expected}, but is {shown}.")


def _first_non_json(value: Any, where: str) -> tuple[str, Any] | None:
    """Where the first value without a JSON form is in ``value``, and that value."""
    if isinstance(value, _PLAIN):
        return None
    if isinstance(value, float):
        return None if math.isfinite(value) else (where, value)
    if isinstance(value, dict):
        for key, item in cast("dict[Any, Any]", value).items():
            if not isinstance(key, _KEYS):
                return f"{where}[{key!r}]", key
            found = _first_non_json(item, f"{where}.{key}" if where else str(key))
            if found is not None:
                return found
        return None
    if isinstance(value, list | tuple):
        for i, item in enumerate(cast("list[Any]", value)):
            found = _first_non_json(item, f"{where}[{i}]")
            if found is not None:
                return found
        return None
    return where, value
