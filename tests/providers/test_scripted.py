"""ScriptedModel: replies from a script, and the requests it keeps for a test to read."""

from __future__ import annotations

import gc
import weakref

import pytest

from switchboard import Agent, ConfigurationError, ScriptedModel, UserMessage
from switchboard.providers.base import ModelRequest

pytestmark = pytest.mark.anyio


class Conversation(list[UserMessage]):
    """A request's messages that a weak reference can follow, to see when they are let go."""


def prompts(model: ScriptedModel) -> list[str]:
    """The user's message of each request the model kept."""
    last = [request.messages[-1] for request in model.requests]
    return [m.content for m in last if isinstance(m, UserMessage)]


async def ask(model: ScriptedModel, count: int) -> None:
    """Send the model ``count`` requests, numbered from 0."""
    for i in range(count):
        await model.complete(ModelRequest((UserMessage(f"question {i}"),)))


async def test_a_reused_model_keeps_only_its_latest_requests() -> None:
    """Reused across runs, the model keeps its last max_recorded requests, not every one."""
    model = ScriptedModel(lambda request: "ok", max_recorded=3)
    agent = Agent(model)
    for i in range(10):
        await agent.run(f"question {i}")
    assert prompts(model) == ["question 7", "question 8", "question 9"]


async def test_the_default_bound_keeps_a_thousand_requests() -> None:
    """Without max_recorded, the model keeps its 1,000 latest requests."""
    model = ScriptedModel(lambda request: "ok")
    await ask(model, 1_005)
    assert len(model.requests) == 1_000
    assert prompts(model)[0] == "question 5"


async def test_a_model_holds_no_request_past_its_bound() -> None:
    """The requests before the latest max_recorded are let go, not only hidden."""
    model = ScriptedModel(lambda request: "ok", max_recorded=3)
    sent: list[weakref.ref[Conversation]] = []
    for i in range(20):
        messages = Conversation([UserMessage(f"question {i}")])
        sent.append(weakref.ref(messages))
        await model.complete(ModelRequest(messages))
    gc.collect()
    assert [i for i, ref in enumerate(sent) if ref() is not None] == [17, 18, 19]


async def test_max_recorded_none_keeps_every_request() -> None:
    """max_recorded=None keeps every request, for a test that reads them all."""
    model = ScriptedModel(lambda request: "ok", max_recorded=None)
    await ask(model, 1_005)
    assert len(model.requests) == 1_005


async def test_clearing_the_requests_starts_the_record_afresh() -> None:
    """requests.clear() forgets what was kept; the next request is recorded as the first."""
    model = ScriptedModel(lambda request: "ok", max_recorded=3)
    agent = Agent(model)
    await agent.run("first")
    model.requests.clear()
    await agent.run("second")
    assert prompts(model) == ["second"]


def test_a_bound_below_one_is_refused() -> None:
    """max_recorded must keep at least one request, and the error says what to pass."""
    with pytest.raises(ConfigurationError, match="max_recorded must be at least 1, or None"):
        ScriptedModel(["ok"], max_recorded=0)
