import pytest

from switchboard import Tool, Toolbox, ToolCall, ToolDefinitionError, ToolNotFoundError


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def sub(a: int, b: int) -> int:
    """Subtract b from a."""
    return a - b


def test_register_returns_the_function_unchanged() -> None:
    """A decorated function stays a plain, callable function."""
    tools = Toolbox()
    assert tools.register(add) is add
    assert add(2, 3) == 5
    assert tools.get("add").handler is add


def test_register_called_with_options() -> None:
    """register(name=..., description=..., tags=...) applies them."""
    tools = Toolbox()
    tools.register(name="plus", description="Plus.", tags=["math"])(add)
    t = tools.get("plus")
    assert (t.description, t.tags) == ("Plus.", frozenset({"math"}))


def test_register_accepts_a_built_tool() -> None:
    """A ready Tool registers as is."""
    t = Tool.from_schema("ping", "Ping.", {"type": "object", "properties": {}})
    tools = Toolbox([t, add])
    assert tools.names == ["ping", "add"]
    assert tools.get("ping") is t


def test_options_for_a_built_tool_are_refused() -> None:
    """Renaming an already built tool at registration is an error, not silently ignored."""
    t = Tool.from_function(add)
    with pytest.raises(ToolDefinitionError, match="already built"):
        Toolbox().register(name="other")(t)


def test_duplicate_name_is_rejected() -> None:
    """Registering a second tool under a taken name is an error saying how to fix it."""
    tools = Toolbox([add])
    with pytest.raises(ToolDefinitionError, match=r"'add' is already registered.*Pass name="):
        tools.register(name="add")(sub)


def test_unknown_name_lists_the_registered_tools() -> None:
    """get() of an unknown name raises ToolNotFoundError naming what exists."""
    tools = Toolbox([add, sub])
    with pytest.raises(ToolNotFoundError) as info:
        tools.get("mul")
    assert info.value.available == ("add", "sub")
    assert str(info.value) == "No tool named 'mul'. Registered tools: 'add', 'sub'."


def test_unregister_removes_and_returns_the_tool() -> None:
    """unregister() removes the tool; membership and length follow."""
    tools = Toolbox([add, sub])
    removed = tools.unregister("add")
    assert removed.name == "add"
    assert "add" not in tools
    assert len(tools) == 1
    assert [t.name for t in tools] == ["sub"]


def test_version_changes_when_a_tool_is_added_or_removed() -> None:
    """Toolbox.version takes a new value on each register, add and unregister."""
    tools = Toolbox()
    seen = [tools.version]
    tools.register(add)
    seen.append(tools.version)
    tools.add(Tool.from_function(sub))
    seen.append(tools.version)
    tools.unregister("add")
    seen.append(tools.version)
    assert len(set(seen)) == 4


def test_version_stays_while_the_tools_stay() -> None:
    """Reading, rendering, running and a refused duplicate leave version as it was."""
    tools = Toolbox([add])
    version = tools.version
    tools.schemas("openai")
    list(tools)
    tools.get("add")
    tools.execute_sync([ToolCall("c1", "add", '{"a": 1, "b": 2}')])
    with pytest.raises(ToolDefinitionError):
        tools.register(add)
    assert tools.version == version


def test_schemas_are_cached_until_the_tools_change() -> None:
    """schemas() is a lookup until a tool is added or removed."""
    tools = Toolbox([add])
    first = tools.schemas("mcp")
    assert tools.schemas("mcp") is first
    tools.register(sub)
    second = tools.schemas("mcp")
    assert [s["name"] for s in second] == ["add", "sub"]
    tools.unregister("add")
    assert [s["name"] for s in tools.schemas("mcp")] == ["sub"]


def test_schemas_follow_registration_order_for_every_format() -> None:
    """Each format lists the tools in the order they were registered."""
    tools = Toolbox([sub, add])
    assert [s["function"]["name"] for s in tools.schemas("openai")] == ["sub", "add"]
    assert [s["name"] for s in tools.schemas("anthropic")] == ["sub", "add"]
    assert [s["name"] for s in tools.schemas("openai-responses")] == ["sub", "add"]


def test_sequential_names_follow_registration_and_removal() -> None:
    """The names of the sequential tools are kept as tools are added and removed."""
    tools = Toolbox([add])
    tools.register(sub, sequential=True)
    assert tools.sequential_names == {"sub"}
    tools.unregister("sub")
    tools.register(sub)
    assert tools.sequential_names == frozenset()
