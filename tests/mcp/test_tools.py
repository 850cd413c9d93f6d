"""An MCP server's listing as switchboard tools: names, filters, schemas and options."""

from __future__ import annotations

from typing import Any

import pytest
from mcp_types import Tool as MCPTool

from switchboard import ConfigurationError, Tool
from switchboard.mcp.tools import Options, Selection, build_tools, portable_name

NO_OPTIONS = Options({}, {})


async def caller(mcp_name: str, context_key: str, /, **arguments: Any) -> Any:
    return (mcp_name, context_key, arguments)


def listed(name: str, schema: dict[str, Any] | None = None) -> MCPTool:
    return MCPTool(
        name=name, description=f"The {name} tool.", input_schema=schema or {"type": "object"}
    )


def build(
    listing: list[MCPTool], selection: Selection | None = None, options: Options = NO_OPTIONS
) -> tuple[list[Tool], list[str]]:
    chosen = selection or Selection()
    return build_tools(listing, server="s", selection=chosen, options=options, caller=caller)


def test_dotted_name_becomes_portable() -> None:
    """Characters providers refuse in names (MCP allows '.') become '_'."""
    assert portable_name("files.read/all") == "files_read_all"


def test_long_names_are_cut_to_64_and_stay_apart() -> None:
    """Names past 64 characters are cut, ending in a hash, so two of them differ."""
    first, second = portable_name("a" * 70 + "x"), portable_name("a" * 70 + "y")
    assert (len(first), len(second)) == (64, 64)
    assert first != second


def test_prefix_with_refused_characters_is_a_configuration_error() -> None:
    """A prefix that would make names unportable is refused, with what to use."""
    with pytest.raises(ConfigurationError, match=r"prefix='time\.'"):
        Selection.of("time.", None, ())


def test_include_given_as_a_string_is_refused() -> None:
    """include='name' (a string, not a list) is refused with the fix."""
    with pytest.raises(ConfigurationError, match=r"include=\['get_time'\]"):
        Selection.of("", "get_time", ())


def test_schema_without_type_is_read_as_an_object() -> None:
    """An input schema that leaves out "type" gets "type": "object", as MCP means."""
    [tool], left_out = build([listed("t", {"properties": {"q": {"type": "string"}}})])
    assert (tool.parameters["type"], left_out) == ("object", [])


def test_tool_whose_schema_is_not_an_object_is_left_out_with_the_reason() -> None:
    """A tool whose arguments are not an object cannot be a tool: it is left out, and why."""
    tools, [reason] = build([listed("bad", {"type": "array"}), listed("good")])
    assert [t.name for t in tools] == ["good"]
    assert reason.startswith(
        "'bad': Tool 'bad': its parameters schema must have \"type\": \"object\""
    )


def test_names_that_become_the_same_keep_the_first() -> None:
    """Two MCP names that become one portable name: the second is left out, and why."""
    tools, [reason] = build([listed("a.b"), listed("a_b")])
    assert [t.name for t in tools] == ["a_b"]
    assert reason == "'a_b': its name 'a_b' is already another tool's"


def test_context_keyword_avoids_the_tools_own_arguments() -> None:
    """A tool with an argument named 'context' gets the RunContext under another keyword."""
    schema = {"type": "object", "properties": {"context": {"type": "string"}}}
    [tool], _ = build([listed("t", schema)])
    assert tool.context_parameter == "_context"


def test_options_by_name_apply_over_the_common_ones() -> None:
    """Options for a name pattern are added to the common options of the tools it matches."""
    options = Options({"timeout": 5.0}, {"delete_*": {"requires_approval": True}})
    tools, _ = build([listed("delete_file"), listed("read_file")], options=options)
    assert [(t.name, t.timeout, t.requires_approval) for t in tools] == [
        ("delete_file", 5.0, True),
        ("read_file", 5.0, False),
    ]
