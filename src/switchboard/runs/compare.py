"""Where a replayed run first differs from its recording: `Divergence`, and the comparisons.

A replay compares each request the run makes with the recorded one (`compare_requests`),
in this order: the tools offered (``tool_schema``), then the output type asked for, the
conversation sent, the tool choice and the settings (``request``). It compares each call's
result with the recorded one (`compare_results`, ``call``), and the number of steps
(``length``). Each comparison names the first difference it finds, in words a person can
act on.
"""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any, Final, Literal, cast

from switchboard.messages import ToolResult
from switchboard.runs.request import sent_form

__all__ = ["INVALID_CALL", "Divergence", "DivergenceKind", "compare_requests", "compare_results"]

DivergenceKind = Literal["tool_schema", "request", "call", "length"]
"""How a replay first differs from its recording.

- ``tool_schema``: a tool offered was added or removed, or its parameters schema changed.
- ``request``: the request sent differs (the output type, a message, the tool choice or a
  setting).
- ``call``: a recorded call is no longer valid for the current tools, or its result
  differs when it runs again.
- ``length``: the run ended earlier, or went on later, than the recorded one.
"""

INVALID_CALL: Final = frozenset({"unknown_tool", "unparsable", "invalid"})
"""The error kinds of a call the tools refused: no such tool, or arguments they cannot take."""

_SHOWN: Final = 80


@dataclass(frozen=True, slots=True)
class Divergence:
    """The first place where a replayed run differs from its recording.

    Attributes:
        kind: What differs (see `DivergenceKind`).
        step: The step where it differs: the index of the model request, from 0.
        explanation: What differs, recorded and now, in words.
        message_index: For a ``request`` divergence in the conversation: the index of the
            first message that differs.
        call_id: For a ``call`` divergence: the call's id.
    """

    kind: DivergenceKind
    step: int
    explanation: str
    message_index: int | None = None
    call_id: str | None = None

    def __str__(self) -> str:
        return f"step {self.step} ({self.kind}): {self.explanation}"


def compare_requests(
    step: int, recorded: Mapping[str, Any], replayed: Mapping[str, Any], *, start: int = 0
) -> Divergence | None:
    """The first difference between two requests, or ``None``.

    Both are in the form of `request_json`, with the whole conversation in ``messages``
    (for a recorded one: the messages of its run's steps up to ``step``, one after another).
    Settings are compared on the keys both name, so that a setting added by a later
    switchboard does not count as a difference; the output type likewise only when both
    have an ``output`` key (recordings made before it was recorded have none).

    Args:
        step: The step the requests were made at, for the divergence.
        recorded: The recorded request.
        replayed: The request made now.
        start: The messages before this index are known to be equal (compared at an
            earlier step): only those after are compared, so that a replay costs time in
            proportion to its messages, not to their square.
    """
    tools = _tools_difference(recorded.get("tools", []), replayed.get("tools", []))
    if tools is not None:
        return Divergence("tool_schema", step, tools)
    if "output" in recorded and "output" in replayed:
        output = _output_difference(recorded["output"], replayed["output"])
        if output is not None:
            return Divergence("request", step, output)
    found = _conversation_difference(
        step, recorded.get("messages", []), replayed["messages"], start
    )
    if found is not None:
        return found
    was, now = recorded.get("tool_choice"), replayed.get("tool_choice")
    if was != now:
        return Divergence("request", step, f"tool_choice differs: recorded {was!r}, now {now!r}.")
    return _settings_difference(step, recorded.get("settings", {}), replayed.get("settings", {}))


def compare_results(step: int, recorded: ToolResult, replayed: ToolResult) -> Divergence | None:
    """The difference between a call's recorded result and its result now, or ``None``.

    Only what the model reads counts: the content, and whether it is an error.
    """
    if recorded.content == replayed.content and recorded.is_error == replayed.is_error:
        return None
    call = f"Call {recorded.call_id!r} to {recorded.name!r}"
    refused_now = replayed.is_error and replayed.error_kind in INVALID_CALL
    if refused_now and not (recorded.is_error and recorded.error_kind in INVALID_CALL):
        explanation = (
            f"{call} is no longer valid for the current tools ({replayed.error_kind}): "
            f"{_cut(replayed.content)}"
        )
    else:
        explanation = (
            f"{call} returned {_outcome(replayed)} when run again; the recording has "
            f"{_outcome(recorded)}."
        )
    return Divergence("call", step, explanation, call_id=recorded.call_id)


def _tools_difference(recorded: Sequence[Any], replayed: Sequence[Any]) -> str | None:
    was = [(str(pair[0]), str(pair[1])) for pair in recorded]
    now = [(str(pair[0]), str(pair[1])) for pair in replayed]
    if was == now:
        return None
    was_hashes, now_hashes = dict(was), dict(now)
    changes = [f"tool {name!r} was added" for name, _ in now if name not in was_hashes]
    changes += [f"tool {name!r} was removed" for name, _ in was if name not in now_hashes]
    changes += [
        f"tool {name!r} has another parameters schema (hash {digest[:12]} recorded, "
        f"{now_hashes[name][:12]} now)"
        for name, digest in was
        if name in now_hashes and now_hashes[name] != digest
    ]
    if not changes:
        names = [name for name, _ in was], [name for name, _ in now]
        return f"The tools are offered in another order: recorded {names[0]}, now {names[1]}."
    return "The tools offered changed: " + "; ".join(changes) + "."


def _output_difference(recorded: Any, replayed: Any) -> str | None:
    if recorded == replayed:
        return None
    if recorded is None:
        return f"The output type differs: the recording asked for none, now {_output(replayed)}."
    if replayed is None:
        return f"The output type differs: recorded {_output(recorded)}, none now."
    return f"The output type differs: recorded {_output(recorded)}, now {_output(replayed)}."


def _output(output: Mapping[str, Any]) -> str:
    return f"{output.get('name')} (schema hash {str(output.get('schema'))[:12]})"


def _conversation_difference(
    step: int,
    recorded: Sequence[Mapping[str, Any]],
    replayed: Sequence[Mapping[str, Any]],
    start: int,
) -> Divergence | None:
    for index in range(start, min(len(recorded), len(replayed))):
        was, now = sent_form(recorded[index]), sent_form(replayed[index])
        if was == now:
            continue
        label = f"Message {index} ({_label(was)})"
        added = _one_added(recorded, replayed, index)
        if added is not None:
            explanation = added
        elif was.get("type") != now.get("type"):
            explanation = f"{label} is now a {_label(now)}."
        else:
            where, old, new = _first_difference(was, now, "")
            explanation = f"{label}: {where} differs: recorded {_json(old)}, now {_json(new)}."
        return Divergence("request", step, explanation, message_index=index)
    if len(recorded) == len(replayed):
        return None
    index = min(len(recorded), len(replayed))
    if len(replayed) > len(recorded):
        extra = f"message {index} ({_label(replayed[index])}) is new"
    else:
        extra = f"message {index} ({_label(recorded[index])}) is missing"
    explanation = (
        f"The conversation has {len(replayed)} messages, the recording {len(recorded)}: {extra}."
    )
    return Divergence("request", step, explanation, message_index=index)


def _one_added(
    recorded: Sequence[Mapping[str, Any]], replayed: Sequence[Mapping[str, Any]], index: int
) -> str | None:
    """Says so when the conversations differ by one message added or left out at ``index``."""
    if len(replayed) == len(recorded) + 1 and _same(replayed[index + 1 :], recorded[index:]):
        return f"Message {index} ({_label(replayed[index])}) is new: the recording has none there."
    if len(recorded) == len(replayed) + 1 and _same(recorded[index + 1 :], replayed[index:]):
        return f"Message {index} ({_label(recorded[index])}) of the recording is missing."
    return None


def _same(was: Sequence[Mapping[str, Any]], now: Sequence[Mapping[str, Any]]) -> bool:
    return [sent_form(m) for m in was] == [sent_form(m) for m in now]


def _settings_difference(
    step: int, recorded: Mapping[str, Any], replayed: Mapping[str, Any]
) -> Divergence | None:
    for key, was in recorded.items():
        if key in replayed and replayed[key] != was:
            now = replayed[key]
            return Divergence(
                "request", step, f"Setting {key} differs: recorded {was!r}, now {now!r}."
            )
    return None


def _first_difference(was: Any, now: Any, where: str) -> tuple[str, Any, Any]:
    """The path of the first value that differs between two unequal JSON values, and both."""
    if isinstance(was, dict) and isinstance(now, dict):
        was_map, now_map = cast("dict[str, Any]", was), cast("dict[str, Any]", now)
        for key in [*was_map, *(k for k in now_map if k not in was_map)]:
            if was_map.get(key) != now_map.get(key):
                path = f"{where}.{key}" if where else key
                return _first_difference(was_map.get(key), now_map.get(key), path)
    if isinstance(was, list) and isinstance(now, list):
        was_list, now_list = cast("list[Any]", was), cast("list[Any]", now)
        for i, (a, b) in enumerate(zip(was_list, now_list, strict=False)):
            if a != b:
                return _first_difference(a, b, f"{where}[{i}]")
        if len(was_list) != len(now_list):
            return f"{where} (length)", len(was_list), len(now_list)
    return where, cast("Any", was), cast("Any", now)


def _label(message: Mapping[str, Any]) -> str:
    kind = message.get("type")
    if kind == "tool_result":
        return f"tool result of call {message.get('call_id')!r} to {message.get('name')!r}"
    names = {"system": "system message", "user": "user message", "assistant": "assistant turn"}
    return names.get(str(kind), f"{kind} message")


def _outcome(result: ToolResult) -> str:
    return f"error {_json(result.content)}" if result.is_error else _json(result.content)


def _json(value: Any) -> str:
    return _cut(json.dumps(value, ensure_ascii=False, default=repr))


def _cut(text: str) -> str:
    return text if len(text) <= _SHOWN else text[: _SHOWN - 3] + "..."
