"""The options that describe a tool to people and clients: title and behaviour hints."""

import pytest

from switchboard import ConfigurationError, Tool, Toolbox, tool


def test_hints_default_to_unsaid() -> None:
    """A tool with no hints is not read-only or idempotent, and says nothing of the rest."""

    @tool
    def ping() -> str:
        return "pong"

    assert (ping.title, ping.read_only, ping.destructive, ping.idempotent, ping.open_world) == (
        None,
        False,
        None,
        False,
        None,
    )


def test_every_builder_takes_the_hints() -> None:
    """register, from_schema and from_function keep title and hints as given."""
    toolbox = Toolbox()

    @toolbox.register(title="Erase", destructive=True, idempotent=True, open_world=False)
    def erase(name: str) -> None:
        del name

    schema_tool = Tool.from_schema(
        "lookup", "Look up a code.", {"type": "object"}, read_only=True, title="Lookup"
    )
    erased = toolbox.get("erase")
    assert (erased.title, erased.destructive, erased.idempotent, erased.open_world) == (
        "Erase",
        True,
        True,
        False,
    )
    assert (schema_tool.title, schema_tool.read_only) == ("Lookup", True)


def test_read_only_and_destructive_together_are_refused() -> None:
    """A tool cannot both change nothing and destroy: the error names both options."""
    with pytest.raises(ConfigurationError, match="read_only=True and destructive=True"):

        @tool(read_only=True, destructive=True)
        def wipe() -> None: ...
