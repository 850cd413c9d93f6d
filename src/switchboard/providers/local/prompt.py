"""The conversation as chat-template messages, and the model's reply read back: pure.

Two ways to show tools to a model, chosen by its chat template:

- **native**: the template renders tools itself (it reads a ``tools`` variable, as
  Qwen's, Llama 3.1's and Mistral's do). Tools are passed to it in the OpenAI form,
  calls as ``tool_calls`` of assistant messages, results as ``tool`` messages.
- **generic** (SmolLM2's template, and any other without tools): the system message
  lists each tool as one line of JSON ``{"name", "description", "parameters"}`` (the
  parameters as JSON Schema) and says how to call them: reply with only
  ``{"name": "<tool>", "arguments": {...}}``, or with parallel calls a JSON list of
  those. A turn's calls are written back the same way, and the results of a turn
  follow in one ``tool`` message, one line per result: ``<tool> returned: <content>``
  (``<tool> failed: <content>`` for an error). (With SmolLM2, results in a ``user``
  message made it call tool after tool; in a ``tool`` message it answers.)

Either way a reply is read the same way (`parse_reply`): JSON text that is a call or a
list of calls becomes `ToolCall`s; anything else is the answer.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, cast

from switchboard.messages import (
    AssistantTurn,
    Message,
    SystemMessage,
    ToolCall,
    ToolResult,
    UserMessage,
)
from switchboard.tools.tool import Tool

PROVIDER: Final = "local"

CALL_INSTRUCTIONS: Final = (
    "To call a tool, reply with only a JSON object: "
    '{"name": "<tool name>", "arguments": {<arguments>}}.'
)
PARALLEL_INSTRUCTIONS: Final = (
    " To call several tools at once, reply with a JSON list of such objects."
)
ANSWER_INSTRUCTIONS: Final = " Otherwise, answer in plain text."

# Models tuned for tools often wrap a call in tags or a code fence even when asked not to.
_OPENERS: Final = ("<tool_call>", "```json", "```")
_CLOSERS: Final = ("</tool_call>", "```")


def template_renders_tools(template: str) -> bool:
    """Whether a Jinja chat template renders tools itself (reads a ``tools`` variable)."""
    return re.search(r"\btools\b", template) is not None


def tool_listing(tools: Sequence[Tool], *, parallel: bool, answer: bool) -> str:
    """The generic format's system text: the tools as JSON lines, then how to call them."""
    lines = [
        json.dumps(
            {"name": t.name, "description": t.description, "parameters": t.parameters},
            separators=(",", ":"),
            ensure_ascii=False,
        )
        for t in tools
    ]
    instructions = CALL_INSTRUCTIONS
    if parallel:
        instructions += PARALLEL_INSTRUCTIONS
    if answer:
        instructions += ANSWER_INSTRUCTIONS
    return "You can call these tools:\n" + "\n".join(lines) + "\n" + instructions


def render_generic(messages: Sequence[Message], listing: str | None) -> list[dict[str, str]]:
    """The conversation in the generic format, as ``{"role", "content"}`` messages.

    Args:
        messages: The neutral conversation.
        listing: `tool_listing` text to put in the system message (None: no tools shown).
    """
    rendered: list[dict[str, str]] = []
    results: list[str] = []
    for message in messages:
        if isinstance(message, ToolResult):
            verb = "failed" if message.is_error else "returned"
            results.append(f"{message.name} {verb}: {message.content}")
            continue
        if results:
            rendered.append({"role": "tool", "content": "\n".join(results)})
            results = []
        match message:
            case SystemMessage(content=content):
                rendered.append({"role": "system", "content": content})
            case UserMessage(content=content):
                rendered.append({"role": "user", "content": content})
            case AssistantTurn():
                rendered.append({"role": "assistant", "content": _turn_text(message)})
    if results:
        rendered.append({"role": "tool", "content": "\n".join(results)})
    if listing is None:
        return rendered
    if rendered and rendered[0]["role"] == "system":
        first = rendered[0]
        rendered[0] = {"role": "system", "content": f"{first['content']}\n\n{listing}"}
    else:
        rendered.insert(0, {"role": "system", "content": listing})
    return rendered


def render_native(messages: Sequence[Message]) -> list[dict[str, Any]]:
    """The conversation in the OpenAI message form that tool-aware templates read."""
    rendered: list[dict[str, Any]] = []
    for message in messages:
        match message:
            case SystemMessage(content=content):
                rendered.append({"role": "system", "content": content})
            case UserMessage(content=content):
                rendered.append({"role": "user", "content": content})
            case AssistantTurn():
                entry: dict[str, Any] = {"role": "assistant", "content": message.text}
                if message.tool_calls:
                    entry["tool_calls"] = [
                        {
                            "id": call.id,
                            "type": "function",
                            "function": {"name": call.name, "arguments": _arguments(call)},
                        }
                        for call in message.tool_calls
                    ]
                rendered.append(entry)
            case ToolResult():
                rendered.append(
                    {
                        "role": "tool",
                        "tool_call_id": message.call_id,
                        "name": message.name,
                        "content": message.content,
                    }
                )
    return rendered


def native_tools(tools: Sequence[Tool]) -> list[dict[str, Any]]:
    """The tools in the OpenAI form that tool-aware templates read."""
    return [tool.schema("openai") for tool in tools]


def parse_reply(text: str, *, call_id_prefix: str) -> tuple[str, tuple[ToolCall, ...]]:
    """Read a reply: (answer text, calls). A reply that is a call or a list of calls has no text.

    Args:
        text: What the model wrote.
        call_id_prefix: The calls get ids ``<prefix>-0``, ``<prefix>-1``, ...

    Example:
        >>> parse_reply('{"name": "f", "arguments": {"x": 1}}', call_id_prefix="c")
        ('', (ToolCall(id='c-0', name='f', arguments='{"x": 1}'),))
        >>> parse_reply("Hello.", call_id_prefix="c")
        ('Hello.', ())
    """
    stripped = text.strip()
    body = _unwrapped(stripped)
    if not body.startswith(("{", "[")):
        return stripped, ()
    try:
        value = json.loads(body, strict=False)
    except ValueError:
        return stripped, ()
    entries = cast("list[Any]", value) if isinstance(value, list) else [value]
    calls: list[ToolCall] = []
    for entry in entries:
        call = _call(entry, f"{call_id_prefix}-{len(calls)}")
        if call is None:
            return stripped, ()
        calls.append(call)
    if not calls:
        return stripped, ()
    return "", tuple(calls)


def _unwrapped(stripped: str) -> str:
    """A reply (with no whitespace around it) without the tags or fence around it, if any.

    Tests of the ends, not a regular expression: a lazy body between runs of whitespace
    made one retry every split of every run, seconds for a reply of a few thousand spaces.
    """
    opener = next((o for o in _OPENERS if stripped.startswith(o)), None)
    if opener is None:
        return stripped
    body = stripped[len(opener) :]
    closer = next((c for c in _CLOSERS if body.endswith(c)), None)
    return (body[: -len(closer)] if closer else body).strip()


def _call(entry: Any, call_id: str) -> ToolCall | None:
    if not isinstance(entry, dict):
        return None
    mapping = cast("dict[str, Any]", entry)
    name = mapping.get("name")
    if not isinstance(name, str) or set(mapping) - {"name", "arguments"}:
        return None
    arguments = mapping.get("arguments", {})
    if isinstance(arguments, str):
        return ToolCall(call_id, name, arguments)
    return ToolCall(call_id, name, json.dumps(arguments, ensure_ascii=False))


def call_arguments(call: ToolCall) -> dict[str, Any] | None:
    """A call's arguments as a dict; ``None`` when they are not a JSON object."""
    if isinstance(call.arguments, Mapping):
        return dict(call.arguments)
    try:
        value = json.loads(call.arguments, strict=False)
    except ValueError:
        return None
    return cast("dict[str, Any]", value) if isinstance(value, dict) else None


def written_calls(calls: Sequence[ToolCall]) -> str:
    """Calls as the generic format writes them: one JSON object, or a list of several."""
    written = [{"name": c.name, "arguments": _arguments(c)} for c in calls]
    return json.dumps(written[0] if len(written) == 1 else written, ensure_ascii=False)


def _arguments(call: ToolCall) -> dict[str, Any]:
    """A call's arguments as a mapping (templates dump them with ``tojson``)."""
    return call_arguments(call) or {}


def _turn_text(turn: AssistantTurn) -> str:
    """A turn as the model wrote it: its own text when this provider made it, else rebuilt.

    Writing back the exact text keeps the prompt a prefix of the next one, so llama.cpp
    reuses its cache instead of reading the conversation again.
    """
    raw = turn.provider_state.get(PROVIDER)
    if isinstance(raw, str):
        return raw
    if not turn.tool_calls:
        return turn.text
    written = written_calls(turn.tool_calls)
    return f"{turn.text}\n{written}" if turn.text else written
