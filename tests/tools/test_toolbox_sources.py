"""Tool sources in a toolbox: another toolbox (or an MCP server) whose tools it follows."""

from __future__ import annotations

import pytest

from switchboard import (
    Agent,
    ConfigurationError,
    ScriptedModel,
    Tool,
    Toolbox,
    ToolCall,
    ToolDefinitionError,
)


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def double(x: int) -> int:
    """Double a number."""
    return 2 * x


def halve(x: int) -> float:
    """Halve a number."""
    return x / 2


def test_toolbox_in_the_tools_given_is_included() -> None:
    """Toolbox([toolbox, fn]) holds the inner toolbox's tools and the function."""
    inner = Toolbox([add])
    assert Toolbox([inner, double]).names == ["add", "double"]


def test_later_registrations_reach_the_including_toolbox() -> None:
    """A tool registered in an included toolbox afterwards appears in the outer one."""
    inner = Toolbox([add])
    outer = Toolbox([inner])
    inner.register(double)
    assert outer.names == ["add", "double"]


def test_unregistering_in_the_source_removes_from_the_outer() -> None:
    """A tool removed from the included toolbox leaves the outer one too."""
    inner = Toolbox([add, double])
    outer = Toolbox([inner])
    inner.unregister("add")
    assert outer.names == ["double"]


def test_outer_version_changes_when_the_source_changes() -> None:
    """What is derived from the outer toolbox (routers, schemas) sees the source's change."""
    inner = Toolbox([add])
    outer = Toolbox([inner])
    before = outer.version
    inner.register(double)
    assert outer.version != before
    assert [s["function"]["name"] for s in outer.schemas("openai")] == ["add", "double"]


def test_including_a_toolbox_with_a_taken_name_is_refused() -> None:
    """Including tools whose names are taken raises, and leaves the toolbox as it was."""
    outer = Toolbox([add])
    with pytest.raises(ToolDefinitionError, match=r"its tools \['add'\] have the names"):
        outer.include(Toolbox([add, double]))
    assert outer.names == ["add"]


def test_a_name_taken_later_is_left_out_of_the_outer_toolbox() -> None:
    """A tool the source gains under a name the outer toolbox has stays out of it."""
    inner = Toolbox([double])
    outer = Toolbox([inner, add])
    inner.add(Tool.from_function(halve, name="add"))
    assert sorted(outer.names) == ["add", "double"]
    assert outer.get("add").handler is add  # the outer toolbox's own, still


def test_including_a_toolbox_that_includes_this_one_is_refused() -> None:
    """A cycle of inclusions is refused rather than followed for ever."""
    first = Toolbox([add])
    second = Toolbox([first])
    with pytest.raises(ConfigurationError, match="already includes this one"):
        first.include(second)


def test_exclude_removes_the_sources_tools_and_stops_following() -> None:
    """After exclude, the source's tools are gone and its changes no longer arrive."""
    inner = Toolbox([add])
    outer = Toolbox([inner, double])
    outer.exclude(inner)
    inner.register(halve)
    assert outer.names == ["double"]


def test_something_that_is_no_tool_is_refused_by_name() -> None:
    """A value that is neither a function, a Tool nor a source is refused, saying what it was."""
    with pytest.raises(ToolDefinitionError, match="42 is not a tool"):
        Toolbox([42])  # pyright: ignore[reportArgumentType]


def test_agent_takes_a_toolbox_among_its_tools() -> None:
    """Agent(tools=[toolbox, fn]) runs calls of both."""
    model = ScriptedModel(
        [[ToolCall("c1", "add", '{"a": 1, "b": 2}'), ToolCall("c2", "double", '{"x": 3}')], "ok"]
    )
    result = Agent(model, tools=[Toolbox([add]), double]).run_sync("go")
    assert [r.content for r in result.steps[0].results] == ["3", "6"]
