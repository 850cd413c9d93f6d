from __future__ import annotations

import pytest

from switchboard import Agent, Router, ScriptedModel, Toolbox, ToolCall

pytestmark = pytest.mark.anyio


def make_toolbox() -> Toolbox:
    tools = Toolbox()

    @tools.register
    def get_weather(city: str) -> str:
        """Get the current weather forecast for a city."""
        return f"Sunny in {city}"

    @tools.register
    def convert_length(value: float, to_unit: str) -> float:
        """Convert a length between metres, feet and miles."""
        return value

    @tools.register
    def send_email(to: str, subject: str, body: str) -> str:
        """Send an email message to a recipient."""
        return "sent"

    @tools.register
    def search_flights(origin: str, destination: str) -> str:
        """Search for airline flights between two airports."""
        return "none"

    return tools


def offered(model: ScriptedModel) -> list[list[str]]:
    return [[tool.name for tool in request.tools] for request in model.requests]


async def test_agent_sends_only_the_routed_tools() -> None:
    """With a router, the request holds the tools it picks, not the whole toolbox."""
    model = ScriptedModel(["Sunny."])
    agent = Agent(model, tools=make_toolbox(), router=Router(top_k=1))
    result = await agent.run("What is the weather forecast in Tokyo?")
    assert offered(model) == [["get_weather"]]
    assert result.steps[0].tools == ("get_weather",)


async def test_called_tools_stay_offered_when_the_topic_moves_on() -> None:
    """A tool called earlier in the run is still offered after the query has moved on."""
    model = ScriptedModel([ToolCall("c1", "get_weather", '{"city": "Oslo"}'), "Sunny.", "Sent."])
    agent = Agent(model, tools=make_toolbox(), router=Router(top_k=1))
    first = await agent.run("What is the weather forecast in Oslo?")
    await agent.run("Now send an email to Ann about it.", messages=first.messages)
    assert offered(model)[0] == ["get_weather"]
    assert set(offered(model)[2]) == {"get_weather", "send_email"}


async def test_always_tools_are_offered_every_turn() -> None:
    """Tools named in the router's `always` are in every request."""
    model = ScriptedModel(["Found none."])
    router = Router(top_k=1, always=["send_email"])
    await Agent(model, tools=make_toolbox(), router=router).run("Find flights to Paris")
    assert offered(model) == [["send_email", "search_flights"]]


async def test_without_a_router_every_tool_is_offered() -> None:
    """No router: the whole toolbox, in registration order."""
    model = ScriptedModel(["Hi."])
    await Agent(model, tools=make_toolbox()).run("Hello")
    assert offered(model) == [["get_weather", "convert_length", "send_email", "search_flights"]]
