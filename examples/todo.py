"""A todo list whose state later calls see, for the task-success evals."""

from dataclasses import dataclass

from switchboard import Toolbox

tools = Toolbox()


@dataclass
class _Todo:
    title: str
    done: bool = False


# One list per import of this file: each eval task loads the file afresh, so it starts empty.
_todos: list[_Todo] = []


def _find(title: str) -> _Todo:
    key = title.strip().casefold()
    for todo in _todos:
        if todo.title.casefold() == key:
            return todo
    msg = f"{title!r} is not on the todo list."
    raise ValueError(msg)


@tools.register
def add_todo(title: str) -> dict[str, object]:
    """Add an item to the todo list.

    Args:
        title: What to do, e.g. "Buy milk".
    """
    title = title.strip()
    if not title:
        msg = "The title is empty: say what to do, e.g. 'Buy milk'."
        raise ValueError(msg)
    if any(todo.title.casefold() == title.casefold() for todo in _todos):
        msg = f"{title!r} is already on the todo list."
        raise ValueError(msg)
    _todos.append(_Todo(title))
    return {"added": title}


@tools.register
def list_todos() -> dict[str, object]:
    """Show the todo list: the open items and the done ones."""
    listing: dict[str, object] = {
        "open": [todo.title for todo in _todos if not todo.done],
        "done": [todo.title for todo in _todos if todo.done],
    }
    if not _todos:
        listing["note"] = "The todo list is empty."
    return listing


@tools.register
def complete_todo(title: str) -> dict[str, object]:
    """Mark an item of the todo list as done.

    Args:
        title: The item's title, e.g. "Buy milk" (case does not matter).
    """
    todo = _find(title)
    todo.done = True
    return {"completed": todo.title}


@tools.register
def remove_todo(title: str) -> dict[str, object]:
    """Remove an item from the todo list.

    Args:
        title: The item's title, e.g. "Buy milk" (case does not matter).
    """
    todo = _find(title)
    _todos.remove(todo)
    return {"removed": todo.title}
