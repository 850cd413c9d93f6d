"""The requests of a message, clause by clause, and the tools they ask for (`clauses`)."""

from switchboard.messages import AssistantTurn, Message, ToolCall, ToolResult, UserMessage
from switchboard.providers.local.clauses import clauses, pending_tools, tool_for_verb
from switchboard.tools.tool import Tool


def add_todo(title: str) -> str:
    """Add an item to the todo list."""
    return title


def list_todos() -> str:
    """Show the todo list."""
    return ""


def complete_todo(title: str) -> str:
    """Mark an item of the todo list as done."""
    return title


def add_note(text: str) -> str:
    """Add a note."""
    return text


TOOLS = [Tool.from_function(f) for f in (add_todo, list_todos, complete_todo)]
ASKING = "Mark 'Fix the bike' as done and show me my list."


def test_clauses_split_at_punctuation_and_conjunctions_not_inside_quotes() -> None:
    """'Add 'Milk, eggs', mark 'Call mom' as done, and then show me the list' is three."""
    message = "Add 'Milk, eggs', mark 'Call mom' as done, and then show me the list."
    assert [c.verb for c in clauses(message)] == ["add", "mark", "show"]


def test_a_polite_opening_is_not_the_verb() -> None:
    """'Please could you show me the list' opens with show."""
    assert [c.verb for c in clauses("Please could you show me the list")] == ["show"]


def test_a_verb_opening_one_tools_description_names_it() -> None:
    """'mark' opens complete_todo's description, 'show' list_todos'."""
    assert [tool_for_verb(TOOLS, v).name for v in ("mark", "show")] == [  # type: ignore[union-attr]
        "complete_todo",
        "list_todos",
    ]


def test_a_verb_opening_two_tools_names_none() -> None:
    """'add' opens add_todo and add_note: it names neither."""
    tools = [*TOOLS, Tool.from_function(add_note)]
    assert tool_for_verb(tools, "add") is None


def test_nothing_is_pending_before_the_first_reply() -> None:
    """The first reply to a message makes its own choice."""
    assert pending_tools([UserMessage(ASKING)], TOOLS) == []


def _after(*calls: ToolCall) -> list[Message]:
    results = [ToolResult(c.id, c.name, "ok") for c in calls]
    return [UserMessage(ASKING), AssistantTurn(tool_calls=calls), *results]


def test_a_clause_whose_tool_was_not_called_is_pending() -> None:
    """After complete_todo ran, 'show me my list' still asks for list_todos."""
    done = ToolCall("c1", "complete_todo", '{"title": "Fix the bike"}')
    assert [t.name for t in pending_tools(_after(done), TOOLS)] == ["list_todos"]


def test_nothing_is_pending_once_each_clause_has_its_call() -> None:
    """Once complete_todo and list_todos ran, nothing is pending."""
    done = ToolCall("c1", "complete_todo", '{"title": "Fix the bike"}')
    listed = ToolCall("c2", "list_todos", "{}")
    assert pending_tools(_after(done, listed), TOOLS) == []
