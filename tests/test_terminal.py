"""How commands end on an error: one line on stderr, status 1."""

from __future__ import annotations

import pytest
import typer

from switchboard.terminal import fail


def test_an_error_is_printed_as_written_brackets_and_all(
    capsys: pytest.CaptureFixture[str],
) -> None:
    """Square brackets in a message are text, not Rich markup: none is lost, none breaks."""
    with pytest.raises(typer.Exit) as ended:
        fail("Unknown tool 'x' (tools: ['a', 'b']); [red] and [/x] stay.")
    assert ended.value.exit_code == 1
    assert capsys.readouterr().err == (
        "error: Unknown tool 'x' (tools: ['a', 'b']); [red] and [/x] stay.\n"
    )


def test_an_error_of_many_lines_is_printed_on_one(capsys: pytest.CaptureFixture[str]) -> None:
    """Line breaks and runs of spaces in a message become single spaces."""
    with pytest.raises(typer.Exit):
        fail("first\n  second\tthird")
    assert capsys.readouterr().err == "error: first second third\n"
