"""`Router(native=True)`: every tool offered, deferred, for the provider's own tool search."""

from __future__ import annotations

import pytest

from switchboard import ConfigurationError, Tool, Toolbox
from switchboard.routing import Router


def _tool(name: str, description: str) -> Tool:
    return Tool.from_schema(name, description, {"type": "object", "properties": {}})


@pytest.fixture
def toolbox() -> Toolbox:
    return Toolbox(
        [
            _tool("get_weather", "Get the weather."),
            _tool("send_email", "Send an email."),
            _tool("search_files", "Search the files."),
        ]
    )


def test_native_router_offers_every_tool_deferred_in_order(toolbox: Toolbox) -> None:
    """Every tool is offered, in registration order, each with defer_loading."""
    offered = Router(native=True).select(toolbox, "weather in Paris")
    assert [(t.name, t.defer_loading) for t in offered] == [
        ("get_weather", True),
        ("send_email", True),
        ("search_files", True),
    ]


def test_native_router_loads_the_always_tools(toolbox: Toolbox) -> None:
    """The always tools are offered loaded; the rest stay deferred."""
    offered = Router(native=True, always=["send_email"]).select(toolbox, "anything")
    assert [t.name for t in offered if not t.defer_loading] == ["send_email"]


def test_native_offer_does_not_depend_on_the_query(toolbox: Toolbox) -> None:
    """The same tools come for any query, so the prompt (and its cache) holds across turns."""
    router = Router(native=True)
    first = router.select(toolbox, "weather")
    again = router.select(toolbox, "email my boss", called=["get_weather"])
    assert [id(t) for t in first] == [id(t) for t in again]


def test_deferred_copy_shares_the_tools_definition(toolbox: Toolbox) -> None:
    """A deferred tool renders as the registered one, which stays loaded."""
    registered = toolbox.get("get_weather")
    [deferred] = [t for t in Router(native=True).select(toolbox, "") if t.name == "get_weather"]
    assert deferred is not registered
    assert not registered.defer_loading
    assert deferred.schema("anthropic") == registered.schema("anthropic")


def test_native_offer_follows_a_new_tool(toolbox: Toolbox) -> None:
    """A tool registered after the first turn is offered (deferred) on the next."""
    router = Router(native=True)
    router.select(toolbox, "")
    toolbox.add(_tool("translate", "Translate text."))
    assert [t.name for t in router.select(toolbox, "")][-1] == "translate"


def test_native_router_refuses_an_always_tool_not_in_the_toolbox(toolbox: Toolbox) -> None:
    """An always name that no tool has is a configuration error naming it."""
    with pytest.raises(ConfigurationError, match=r"\['missing'\]"):
        Router(native=True, always=["missing"]).select(toolbox, "")
