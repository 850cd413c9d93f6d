"""The provider-neutral conversation: messages, tool calls, results, usage."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any, Literal

ErrorKind = Literal[
    "unknown_tool",
    "unparsable",
    "invalid",
    "raised",
    "timeout",
    "not_started",
    "denied",
    "retries_exhausted",
    "interrupted",
]
"""Why a call failed: each is written up for the model so it can correct itself.

- ``unknown_tool``: no tool has the name the model called.
- ``unparsable``: the arguments are not JSON, even after repair.
- ``invalid``: the arguments do not match the tool's schema.
- ``raised``: the tool raised an exception.
- ``timeout``: the tool (or the whole batch) ran past its time limit.
- ``not_started``: the call's time ran out before it could start (every worker thread was
  busy, or the tool's ``max_concurrency`` calls were running): it never ran.
- ``denied``: a hook or the approval callback refused the call.
- ``retries_exhausted``: the model kept sending failing calls to this tool past its
  ``max_retries``.
- ``interrupted``: the call started, and its result was lost when its run stopped (the
  process was killed, or the run failed): it may have taken effect.
"""


@dataclass(frozen=True, slots=True)
class ToolCall:
    """A model's request to run one tool.

    Attributes:
        id: The provider's id for the call; the result carries it back.
        name: The tool's name, as the model wrote it.
        arguments: The arguments: JSON text as the model wrote it, or a mapping from
            providers that parse it themselves (Anthropic, Gemini).
    """

    id: str
    name: str
    arguments: str | Mapping[str, Any] = "{}"


@dataclass(frozen=True, slots=True)
class TextPart:
    """Text in a tool's result made of parts.

    Attributes:
        text: The text.
    """

    text: str


@dataclass(frozen=True, slots=True)
class ImagePart:
    """An image in a tool's result: its bytes, or its URL.

    Example:
        >>> ImagePart(b"GIF89a...", "image/gif").media_type
        'image/gif'

    Attributes:
        data: The image itself (bytes), or a URL where the provider can fetch it (str).
        media_type: Its IANA media type, e.g. ``"image/png"``.
    """

    data: bytes | str
    media_type: str


@dataclass(frozen=True, slots=True)
class FilePart:
    """A file (a PDF, a text document...) in a tool's result: its bytes, or its URL.

    Attributes:
        data: The file itself (bytes), or a URL where the provider can fetch it (str).
        media_type: Its IANA media type, e.g. ``"application/pdf"``.
        filename: Its name, shown to the model ("" when it has none).
    """

    data: bytes | str
    media_type: str
    filename: str = ""


ContentPart = TextPart | ImagePart | FilePart
"""One part of a tool's result beyond plain text (see `ToolResult.parts`)."""


@dataclass(frozen=True, slots=True)
class ToolResult:
    """The outcome of one call, in the form the model reads.

    Attributes:
        call_id: The id of the call this answers.
        name: The tool's name.
        content: What the model sees: the serialised return value, or the error written
            for the model.
        is_error: Whether the call failed.
        error_kind: Why it failed, when it did.
        repaired: The repairs made to the arguments before they parsed, e.g.
            ``("code_fence", "trailing_comma")``.
        duration: Seconds from the start of the call to its result.
        value: The tool's return value itself (never sent to the model), ``None`` on error
            and for a result made of parts (they are the value).
        parts: What the tool returned when it returned content parts (`TextPart`,
            `ImagePart`, `FilePart`): each provider sends them as its API takes them, and
            ``content`` then describes them in text for those that take text only.
    """

    call_id: str
    name: str
    content: str
    is_error: bool = False
    error_kind: ErrorKind | None = None
    repaired: tuple[str, ...] = ()
    duration: float = 0.0
    value: Any = None
    parts: tuple[ContentPart, ...] = ()


@dataclass(frozen=True, slots=True)
class SystemMessage:
    """Instructions for the model, ahead of the conversation.

    Attributes:
        content: The instructions.
    """

    content: str


@dataclass(frozen=True, slots=True)
class UserMessage:
    """What the user said.

    Attributes:
        content: The user's text.
    """

    content: str


@dataclass(frozen=True, slots=True)
class AssistantTurn:
    """One reply of the model: text, tool calls, or both.

    Attributes:
        text: The text the model wrote ("" when it only called tools).
        tool_calls: The calls it made, in its order.
        provider_state: Opaque data one provider needs back to continue the conversation
            (Anthropic's content blocks, Gemini's thought signatures, Responses reasoning
            items, the ``reasoning_content`` of DeepSeek's thinking mode), keyed by the
            provider's name. Other providers ignore it, so a conversation can move from
            one provider to another.
    """

    text: str = ""
    tool_calls: tuple[ToolCall, ...] = ()
    provider_state: Mapping[str, Any] = field(default_factory=dict[str, Any])


Message = SystemMessage | UserMessage | AssistantTurn | ToolResult
"""An entry of a conversation. Tool results follow the turn whose calls they answer."""

StopReason = Literal["answer", "tool_calls", "length", "content_filter", "error"]
"""Why the model stopped, the same for every provider.

- ``answer``: it finished its reply.
- ``tool_calls``: it wants the calls of its turn run.
- ``length``: it hit the output token limit; text or calls may be cut off (or, on the
  local model, calls steered to close early: valid, but their tails may be shorter).
- ``content_filter``: the provider withheld or cut the reply (safety, recitation, refusal).
- ``error``: the provider reported a failure while generating.
"""


@dataclass(frozen=True, slots=True)
class Usage:
    """Tokens spent, summed with ``+`` over the requests of a run.

    Attributes:
        input_tokens: Tokens sent to the model (prompt, history and tool schemas).
        output_tokens: Tokens the model wrote.
        requests: Model requests made.

    Example:
        >>> Usage(10, 2, 1) + Usage(30, 5, 1)
        Usage(input_tokens=40, output_tokens=7, requests=2)
    """

    input_tokens: int = 0
    output_tokens: int = 0
    requests: int = 0

    @property
    def total_tokens(self) -> int:
        """Input and output tokens together."""
        return self.input_tokens + self.output_tokens

    def __add__(self, other: Usage) -> Usage:
        return Usage(
            self.input_tokens + other.input_tokens,
            self.output_tokens + other.output_tokens,
            self.requests + other.requests,
        )


@dataclass(frozen=True, slots=True)
class ModelResponse:
    """A model's reply, with every provider difference removed.

    Attributes:
        turn: What the model said and which calls it made.
        usage: Tokens this request spent (``requests`` is 1).
        stop_reason: Why the model stopped.
        model: The model that answered, as the provider names it.
        cut_calls: The ids of the calls the reply ended inside, when the provider can tell
            (a stream, an item status); ``None`` when it cannot, and `unfinished_calls`
            then judges by the stop reason.
        response_id: The provider's id for this reply (a Chat Completions or Responses API
            ``id``, an Anthropic message ``id``, Gemini's ``responseId``), for finding it in
            the provider's logs and traces; ``None`` when the provider gave none (the local
            model, and `ScriptedModel` unless its scripted reply gives one).
    """

    turn: AssistantTurn
    usage: Usage
    stop_reason: StopReason
    model: str = ""
    cut_calls: frozenset[str] | None = None
    response_id: str | None = None

    def unfinished_calls(self) -> frozenset[str]:
        """The ids of the calls the model did not finish writing: they must never run.

        What the provider said (`cut_calls`) if it said; else, for a reply stopped at the
        token limit, its last call (calls are written one after another, so only the last
        can have been cut), and for a reply that ended in an error, every call.
        """
        if self.cut_calls is not None:
            return self.cut_calls
        calls = self.turn.tool_calls
        if not calls:
            return frozenset()
        if self.stop_reason == "length":
            return frozenset({calls[-1].id})
        if self.stop_reason == "error":
            return frozenset(call.id for call in calls)
        return frozenset()
