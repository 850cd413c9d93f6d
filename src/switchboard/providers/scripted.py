"""A deterministic model for testing agents: it replies from a script, with no network."""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence

from switchboard.errors import ConfigurationError
from switchboard.messages import AssistantTurn, ModelResponse, ToolCall, Usage
from switchboard.providers.base import ModelRequest
from switchboard.streaming import StreamEvent, replay_response

Reply = str | ToolCall | Sequence[ToolCall] | AssistantTurn | ModelResponse
"""One scripted reply: text, one call, several calls, a whole turn, or a whole response."""


class ScriptedModel:
    """A model that answers from a list of replies, or from a function of the request.

    The requests it receives are kept in ``requests``, oldest first, so a test can assert
    on what the agent sent (the messages, the tools offered, the tool_choice). It keeps the
    latest ``max_recorded`` of them: a model reused across many runs does not grow without
    end (each request holds the whole conversation). ``requests.clear()`` forgets them.

    Args:
        script: The replies in order (one per request), or a function that gets each
            `ModelRequest` and returns the reply.
        model: The model name it reports.
        fragment_chars: When streaming, the size of the pieces text and arguments come in.
        max_recorded: The most requests kept (``None``: every one).

    Raises:
        ConfigurationError: ``max_recorded`` is below 1.

    Example:
        >>> from switchboard import Agent, ToolCall
        >>> def add(a: int, b: int) -> int:
        ...     "Add two numbers."
        ...     return a + b
        >>> model = ScriptedModel([ToolCall("c1", "add", '{"a": 2, "b": 3}'), "It is 5."])
        >>> result = Agent(model, tools=[add]).run_sync("What is 2 + 3?")
        >>> result.output, result.messages[2].content
        ('It is 5.', '5')
    """

    def __init__(
        self,
        script: Sequence[Reply] | Callable[[ModelRequest], Reply],
        *,
        model: str = "scripted",
        fragment_chars: int = 16,
        max_recorded: int | None = 1_000,
    ) -> None:
        if max_recorded is not None and max_recorded < 1:
            msg = (
                f"max_recorded must be at least 1, or None to keep every request "
                f"(got {max_recorded})."
            )
            raise ConfigurationError(msg)
        self._model = model
        self._max_recorded = max_recorded
        self._fragment_chars = fragment_chars
        self._reply: Callable[[ModelRequest], Reply]
        if callable(script):
            self._reply = script
        else:
            self._reply = _in_order(list(script))
        self.requests: list[ModelRequest] = []

    @property
    def name(self) -> str:
        """Always ``"scripted"``."""
        return "scripted"

    @property
    def model(self) -> str:
        """The model name given."""
        return self._model

    async def complete(self, request: ModelRequest) -> ModelResponse:
        """Record the request and return the next scripted reply."""
        requests = self.requests
        requests.append(request)
        limit = self._max_recorded
        if limit is not None and len(requests) > limit:
            # A list, not a deque: tests compare it with lists and slice it.
            del requests[:-limit]
        return _as_response(self._reply(request), self._model)

    async def stream(
        self, request: ModelRequest, *, partial_args: bool = False
    ) -> AsyncIterator[StreamEvent]:
        """Record the request and yield the next scripted reply as a stream.

        Text and arguments come in pieces of ``fragment_chars``. The calls the reply did not
        finish (`ModelResponse.unfinished_calls`: the last call of a ``length`` reply,
        every call of an ``error`` one, unless ``cut_calls`` says otherwise) stream as cut
        (see `replay_response`).
        """
        response = await self.complete(request)
        async for event in replay_response(
            response, partial_args=partial_args, fragment_chars=self._fragment_chars
        ):
            yield event


def _in_order(replies: list[Reply]) -> Callable[[ModelRequest], Reply]:
    remaining: Iterator[Reply] = iter(replies)

    def next_reply(request: ModelRequest) -> Reply:
        reply = next(remaining, None)
        if reply is None:
            msg = (
                f"ScriptedModel ran out of replies: it was given {len(replies)} and got "
                f"request {len(replies) + 1}. Add a reply for every model request."
            )
            raise ConfigurationError(msg)
        return reply

    return next_reply


def _as_response(reply: Reply, model: str) -> ModelResponse:
    if isinstance(reply, ModelResponse):
        return reply
    if isinstance(reply, str):
        turn = AssistantTurn(text=reply)
    elif isinstance(reply, ToolCall):
        turn = AssistantTurn(tool_calls=(reply,))
    elif isinstance(reply, AssistantTurn):
        turn = reply
    else:
        turn = AssistantTurn(tool_calls=tuple(reply))
    stop = "tool_calls" if turn.tool_calls else "answer"
    return ModelResponse(turn, Usage(requests=1), stop, model)
