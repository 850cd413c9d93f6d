"""A provider's stream relayed as neutral events, asked for again when it breaks.

A broken stream is the provider's fault, not the model's: a reset connection, an error
event, a try past its ``request_timeout``, or a stream that ended before the provider said
why it stopped (its reader's `TurnEnd` says ``error``). While no call of the reply is
complete, the request is simply sent again (after backoff, as `Retrying` says), and a
`TurnRestart` tells the consumer that what streamed so far is void; after the last try, the
error is raised. Once a call is complete it may already be running (early execution), so
the reply is not asked for again: the turn ends with what arrived, the calls still open
cut (``error``), and the loop goes on.
"""

from __future__ import annotations

import asyncio
import inspect
import logging
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import AbstractContextManager
from typing import Protocol, TypeVar

from switchboard.errors import (
    ProviderError,
    ProviderResponseError,
    ProviderUnavailableError,
    RunTimeoutError,
)
from switchboard.providers.retries import Retrying, within
from switchboard.streaming.events import StreamEvent, ToolCallReady, TurnEnd, TurnRestart

logger = logging.getLogger("switchboard")

T_contra = TypeVar("T_contra", contravariant=True)
T = TypeVar("T")


class StreamReader(Protocol[T_contra]):
    """Turns one provider's stream items into events (see `stream_with_retries`)."""

    def read(self, item: T_contra, /) -> list[StreamEvent]:
        """The events of one item of the stream."""
        ...

    def finish(self) -> list[StreamEvent]:
        """The last events, `TurnEnd` last."""
        ...


async def stream_with_retries(
    open_stream: Callable[[], Awaitable[AsyncIterator[T]]],
    new_reader: Callable[[], StreamReader[T]],
    errors: Callable[[], AbstractContextManager[None]],
    retrying: Retrying,
    *,
    sleep: Callable[[float], Awaitable[None]] = asyncio.sleep,
) -> AsyncIterator[StreamEvent]:
    """Yield the events of one streamed reply, sending the request again while it breaks.

    Args:
        open_stream: Sends the request; returns the SDK's stream (errors mapped).
        new_reader: A fresh reader for each try.
        errors: Maps the SDK's exceptions raised while the stream is read.
        retrying: Tries, backoff and time limits.
        sleep: Waits between tries.

    Raises:
        ProviderError: The request failed, or every try broke before a call was complete.
        RunTimeoutError: The run's deadline passed.
    """
    attempt = 1
    while True:
        deadline = retrying.attempt_deadline()
        try:
            stream = await within(open_stream(), retrying, deadline)
        except ProviderError as e:
            wait = retrying.delay(e, attempt)
        else:
            reader = new_reader()
            outcome = _Outcome()
            try:
                async for event in _read(stream, reader, errors, retrying, deadline, outcome):
                    yield event
            finally:
                await _close(stream)
            broken = outcome.broken
            if broken is None or (outcome.ready and outcome.last):
                for event in outcome.last:
                    yield event
                return
            if outcome.ready:  # calls may be running, and the reply cannot be read
                raise broken
            wait = retrying.delay(broken, attempt)
            yield TurnRestart(attempt + 1, wait, str(broken))
        await sleep(wait)
        attempt += 1


class _Outcome:
    """How one try ended: its last events, whether a call was complete, what broke it."""

    def __init__(self) -> None:
        self.last: list[StreamEvent] = []
        self.ready = False
        self.broken: ProviderError | None = None


async def _read(
    stream: AsyncIterator[T],
    reader: StreamReader[T],
    errors: Callable[[], AbstractContextManager[None]],
    retrying: Retrying,
    deadline: float | None,
    outcome: _Outcome,
) -> AsyncIterator[StreamEvent]:
    """Yield the events of one try as they come; leave its end and its fault in ``outcome``.

    An item the reader fails on (a malformed event) is logged with its payload and skipped.
    """
    iterator = aiter(stream)
    while True:
        try:
            item = await within(_next(iterator, errors), retrying, deadline)
        except StopAsyncIteration:
            break
        except ProviderError as e:
            logger.warning("The stream broke off: %s", e)
            outcome.broken = e
            break
        except RunTimeoutError:
            raise
        # The SDKs raise their HTTP library's errors unwrapped while a stream is read.
        except Exception as e:
            logger.warning("The stream broke off: %r", e, exc_info=True)
            outcome.broken = ProviderUnavailableError(retrying.provider, f"the stream broke: {e!r}")
            break
        try:
            events = reader.read(item)
        except (ValueError, TypeError, KeyError, AttributeError):
            logger.warning("Stream: malformed event skipped: %r", item, exc_info=True)
            continue
        for event in events:
            if isinstance(event, ToolCallReady):
                outcome.ready = True
            yield event
    try:
        outcome.last = reader.finish()
    # The reply as a whole failed to build from what arrived: what was sent is malformed.
    except (ValueError, TypeError, KeyError, AttributeError) as e:
        logger.warning("The streamed reply could not be read", exc_info=True)
        message = f"the streamed reply could not be read: {e!r}"
        outcome.broken = ProviderResponseError(retrying.provider, message, status_code=200)
        return
    end = outcome.last[-1]
    if outcome.broken is None and isinstance(end, TurnEnd) and end.stop_reason == "error":
        outcome.broken = ProviderUnavailableError(
            retrying.provider, "the stream ended before the provider finished the reply"
        )


async def _next(
    iterator: AsyncIterator[T], errors: Callable[[], AbstractContextManager[None]]
) -> T:
    with errors():
        return await anext(iterator)


async def _close(stream: object) -> None:
    """Close an SDK stream (``close()``) or an async generator (``aclose()``)."""
    close = getattr(stream, "aclose", None) or getattr(stream, "close", None)
    if close is None:
        return
    try:
        closing = close()
        if inspect.isawaitable(closing):
            await closing
    except Exception:  # the stream is done with either way
        logger.debug("Closing the stream failed", exc_info=True)
