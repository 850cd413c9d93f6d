"""One reply decoded by llama.cpp: the prompt, the grammar, and the completion, whole or streamed.

`generate` renders the conversation with the model's chat template, builds the call
grammar of the tools the reply may call, and runs ``create_completion``; `LocalProvider`
holds the model, the lock and the repair loop around it.
"""

from __future__ import annotations

import contextlib
import functools
import threading
from collections.abc import Callable, Generator, Sequence
from dataclasses import dataclass, replace
from typing import TYPE_CHECKING, Any, Final, cast

from switchboard.errors import ProviderRequestError
from switchboard.messages import Message, Usage, UserMessage
from switchboard.providers.base import AllowedTools, ModelRequest, allowed_tools
from switchboard.providers.local.clauses import pending_tools
from switchboard.providers.local.grammar import answer_grammar, tools_grammar
from switchboard.providers.local.grounding import named_tools
from switchboard.providers.local.prompt import (
    PROVIDER,
    render_generic,
    render_native,
    template_renders_tools,
    tool_listing,
)
from switchboard.providers.local.restate import cut_answer, restatement, sentences_within
from switchboard.providers.local.techniques import LocalTechniques
from switchboard.tools.rendering import tool_schemas
from switchboard.tools.tool import Tool

if TYPE_CHECKING:
    from llama_cpp import Llama

    from switchboard.providers.local.runtime import CountingLlama
    from switchboard.providers.local.sampling import TopTokenGrammar

__all__ = [
    "DEFAULT_MAX_TOKENS",
    "DEFAULT_TEMPERATURE",
    "Decoding",
    "Reply",
    "Stopped",
    "callable_tools",
    "generate",
    "listed_tools",
    "opening_message",
]

DEFAULT_MAX_TOKENS: Final = 512
"""The output limit when the request's settings give none."""

DEFAULT_TEMPERATURE: Final = 0.0
"""Greedy decoding unless the request asks otherwise: the same prompt, the same reply."""

# For a GGUF file with no chat template: ChatML, which most small instruct models use.
_CHATML: Final = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)


@dataclass(frozen=True, slots=True)
class Decoding:
    """The provider's settings that shape every reply.

    Attributes:
        grammar: Constrain calls with the tools' grammar.
        seed: The sampling seed when a request sets none.
        techniques: The small-model techniques in use.
    """

    grammar: bool
    seed: int | None
    techniques: LocalTechniques


@dataclass(frozen=True, slots=True)
class Reply:
    """A decoded reply: its raw text, token counts, and llama.cpp's finish reason.

    ``shortened``: a call of the reply was closed early, in its closing reserve (see
    `switchboard.providers.local.sampling`).
    """

    text: str
    usage: Usage
    finish_reason: str
    shortened: bool = False


class Stopped(Exception):
    """The stream's reader went away: the generation stops."""


def callable_tools(request: ModelRequest) -> Sequence[Tool]:
    """The tools a reply may call: the one named by ``tool_choice``, else all offered."""
    if request.tool_choice in ("auto", "required"):
        return request.tools
    return [tool for tool in request.tools if tool.name == request.tool_choice]


def only_allowed(request: ModelRequest) -> ModelRequest:
    """The request with an `AllowedTools` choice made plain: only those tools offered.

    The grammar then admits calls of the allowed tools only (and an answer unless a call
    is required); any other choice is left as it is.
    """
    choice = request.tool_choice
    if not isinstance(choice, AllowedTools):
        return request
    return replace(
        request,
        tools=tuple(allowed_tools(choice, request.tools)),
        tool_choice="required" if choice.required else "auto",
    )


def opening_message(request: ModelRequest) -> str | None:
    """The user's message, when the reply is the first to it (no tool result since)."""
    last = request.messages[-1] if request.messages else None
    return last.content if isinstance(last, UserMessage) else None


def listed_tools(tools: Sequence[Tool], *, parallel: bool, answer: bool) -> str:
    """`tool_listing` of ``tools``, kept per tool set: a run lists the same tools every turn."""
    return _tool_listing(tuple(tools), parallel, answer)


@functools.lru_cache(maxsize=32)
def _tool_listing(tools: tuple[Tool, ...], parallel: bool, answer: bool) -> str:
    return tool_listing(tools, parallel=parallel, answer=answer)


def generate(
    llama: CountingLlama,
    request: ModelRequest,
    messages: Sequence[Message],
    decoding: Decoding,
    on_text: Callable[[str], bool] | None = None,
    stop: threading.Event | None = None,
) -> Reply:
    """Decode one reply to ``messages``; with ``on_text``, streamed to it piece by piece.

    Raises:
        ProviderRequestError: llama.cpp refused the request (e.g. a prompt longer than
            the context window).
        Stopped: ``on_text`` returned ``False``, or ``stop`` was set: the generation was
            stopped (at its next token).
    """
    if stop is not None and stop.is_set():
        raise Stopped
    with _options(llama, request, messages, decoding, stop) as (options, constrained, lead):
        try:
            if on_text is None:
                reply = _whole(llama.create_completion(**options))
            else:
                output = llama.create_completion(**options, stream=True)
                reply = _streamed(llama, output, on_text)
        except (ValueError, RuntimeError) as e:
            raise ProviderRequestError(PROVIDER, str(e)) from e
        if stop is not None and stop.is_set():
            raise Stopped
        shortened = constrained is not None and constrained.shortened
        reply = replace(reply, shortened=shortened)
        if lead and reply.finish_reason == "length" and reply.text.startswith(lead):
            # An answer cut mid-sentence ends at its last whole sentence instead.
            reply = replace(reply, text=cut_answer(reply.text, lead), finish_reason="stop")
        elif _answer_only(request, decoding) and reply.finish_reason == "length":
            # Likewise with nothing to restate (every result was the model's own error).
            whole = sentences_within(reply.text, 0).rstrip()
            if whole.endswith((".", "!", "?")):
                reply = replace(reply, text=whole, finish_reason="stop")
        return reply


def _answer_only(request: ModelRequest, decoding: Decoding) -> bool:
    """The reply can only be an answer, and the techniques end answers whole."""
    techniques = decoding.techniques
    return (
        request.tool_choice == "none"
        and decoding.grammar
        and techniques.plain_answers
        and techniques.restate
    )


@contextlib.contextmanager
def _options(
    llama: Llama,
    request: ModelRequest,
    messages: Sequence[Message],
    decoding: Decoding,
    stop: threading.Event | None,
) -> Generator[tuple[dict[str, Any], TopTokenGrammar | None, str], None, None]:
    """What ``create_completion`` needs for the request, and what an answer begins with.

    That is: its arguments, its grammar (freed after), and the text an answer must begin
    with (`LocalTechniques.restate`; "" for none).

    ``stop``, once set, ends the generation at its next token.
    """
    from llama_cpp import LogitsProcessorList, StoppingCriteriaList
    from llama_cpp.llama_chat_format import Jinja2ChatFormatter

    # Like llama_cpp, only needed once a model is loaded.
    from switchboard.providers.local.sampling import TopTokenGrammar

    template = str(llama.metadata.get("tokenizer.chat_template") or _CHATML)
    # The formatter's parameters are typed as llama_cpp's TypedDicts: plain dicts here.
    formatter: Any = Jinja2ChatFormatter(
        template,
        eos_token=_token_text(llama, llama.token_eos()),
        bos_token=_token_text(llama, llama.token_bos()),
    )
    offered = request.tools if request.tool_choice != "none" else ()
    parallel = bool(request.parallel_tool_calls)
    answer = request.tool_choice == "auto"
    if template_renders_tools(template):
        # What prompt.native_tools gives, kept per tool set.
        tools = tool_schemas(offered, "openai") or None
        prompt = formatter(messages=render_native(messages), tools=tools)
    else:
        listing = listed_tools(offered, parallel=parallel, answer=answer) if offered else None
        prompt = formatter(messages=render_generic(messages, listing))
    settings = request.settings
    temperature = DEFAULT_TEMPERATURE if settings.temperature is None else settings.temperature
    max_tokens = settings.max_tokens or DEFAULT_MAX_TOKENS
    constrained = None
    techniques = decoding.techniques
    plain = decoding.grammar and techniques.plain_answers
    callable_ = callable_tools(request)
    pending = (
        pending_tools(request.messages, callable_)
        if decoding.grammar and offered and techniques.clauses
        else []
    )
    if pending:
        # The user asked for more than the calls made so far: the reply makes the next.
        callable_, answer = pending, False
    may_answer = request.tool_choice in ("auto", "none") and not pending
    lead = restatement(messages) if plain and techniques.restate and may_answer else ""
    if decoding.grammar and offered:
        user = opening_message(request)
        if decoding.techniques.name_match and user is not None:
            callable_ = named_tools(callable_, user)
        gbnf = tools_grammar(callable_, text=answer, parallel=parallel, plain=plain, lead=lead)
        constrained = TopTokenGrammar(llama, gbnf, max_tokens=max_tokens, greedy=temperature == 0)
    elif plain and request.tools:
        constrained = TopTokenGrammar(llama, answer_grammar(lead), greedy=temperature == 0)
    criteria = prompt.stopping_criteria
    if stop is not None:
        criteria = StoppingCriteriaList([*(criteria or ()), lambda _ids, _logits: stop.is_set()])
    if lead:  # after the lines restated, one line of the model's own ends the answer
        criteria = StoppingCriteriaList([*(criteria or ()), _LineAfter(llama, lead)])
    try:
        options = {
            "prompt": prompt.prompt,
            "max_tokens": _with_room(llama, max_tokens, lead),
            "temperature": temperature,
            "seed": settings.seed if settings.seed is not None else decoding.seed,
            "stop": prompt.stop,
            "stopping_criteria": criteria,
            "logits_processor": LogitsProcessorList([constrained]) if constrained else None,
        }
        yield options, constrained, lead
    finally:
        if constrained is not None:
            constrained.close()


_ANSWER_ROOM: Final = 48
"""Tokens an answer has past the restatement it begins with, whatever ``max_tokens`` says."""


def _with_room(llama: Llama, max_tokens: int, lead: str) -> int:
    """``max_tokens``, raised so that an answer has room past its restatement to end."""
    if not lead:
        return max_tokens
    return max(max_tokens, len(llama.tokenize(lead.encode("utf-8"), add_bos=False)) + _ANSWER_ROOM)


class _LineAfter:
    """A stopping criterion: the reply has a line break past its first ``len(lead)`` characters.

    llama-cpp-python calls it after sampling each token, with the tokens before that one:
    the prompt first, then one more reply token at each step. Each is read once.
    """

    def __init__(self, llama: Llama, lead: str) -> None:
        self._llama = llama
        self._lead = len(lead.encode("utf-8"))
        self._seen: int | None = None
        self._written = b""

    def __call__(self, input_ids: Any, _logits: Any) -> bool:
        if self._seen is None:
            self._seen = len(input_ids)  # the prompt: nothing of the reply yet
        self._written += self._llama.detokenize([int(t) for t in input_ids[self._seen :]])
        self._seen = len(input_ids)
        return b"\n" in self._written[self._lead :]


def _whole(output: Any) -> Reply:
    """A whole completion's reply."""
    completion = cast("dict[str, Any]", output)
    choice = cast("dict[str, Any]", completion["choices"][0])
    counts = cast("dict[str, int]", completion["usage"])
    return Reply(
        str(choice["text"]),
        Usage(counts["prompt_tokens"], counts["completion_tokens"], 1),
        str(choice.get("finish_reason") or "stop"),
    )


def _streamed(llama: CountingLlama, output: Any, on_text: Callable[[str], bool]) -> Reply:
    """A streamed completion's reply, each piece of text handed to ``on_text`` as it comes.

    Raises:
        Stopped: ``on_text`` returned ``False``.
    """
    chunks = cast("Generator[dict[str, Any], None, None]", output)
    pieces: list[str] = []
    finish_reason = "stop"
    try:
        for chunk in chunks:
            choice = cast("dict[str, Any]", chunk["choices"][0])
            pieces.append(str(choice["text"]))
            if not on_text(pieces[-1]):
                raise Stopped
            finish_reason = str(choice.get("finish_reason") or finish_reason)
    finally:
        chunks.close()  # stops llama.cpp's generation before the grammar is freed
    usage = Usage(llama.prompt_tokens, llama.completion_tokens, 1)
    return Reply("".join(pieces), usage, finish_reason)


def _token_text(llama: Llama, token: int) -> str:
    if token < 0:
        return ""
    return llama.detokenize([token], special=True).decode("utf-8", errors="replace")
