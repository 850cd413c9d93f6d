import asyncio
import json
from typing import Annotated, Any, Literal

from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field

from switchboard import Tool, Toolbox, ToolCall

# What each tool actually received: checked against its schema after every run.
received: list[tuple[str, dict[str, Any]]] = []


class Item(BaseModel):
    name: str
    qty: Annotated[int, Field(ge=1)]


def typed(n: int, label: Literal["a", "b"] = "a", ratio: float | None = None) -> int:
    """Typed scalars."""
    received.append(("typed", {"n": n, "label": label, "ratio": ratio}))
    return n


def nested(items: list[Item], tags: dict[str, str] | None = None) -> int:
    """Nested objects."""
    received.append(("nested", {"items": items, "tags": tags}))
    return len(items)


def nothing() -> str:
    """No parameters."""
    received.append(("nothing", {}))
    return "ok"


def raw(**kwargs: Any) -> int:
    received.append(("raw", kwargs))
    return len(kwargs)


RAW_SCHEMA = {
    "type": "object",
    "properties": {"x": {"type": "integer", "minimum": 0}, "s": {"type": "string"}},
    "required": ["x"],
    "additionalProperties": False,
}
TOOLS = Toolbox([typed, nested, nothing, Tool.from_schema("raw", "Raw.", RAW_SCHEMA, raw)])

json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=8),
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.text(max_size=6), children, max_size=3)
    ),
    max_leaves=12,
)
names = st.sampled_from(["typed", "nested", "nothing", "raw", "missing", ""])
arguments = (
    st.text(max_size=40)
    | json_values.map(json.dumps)
    | st.dictionaries(st.sampled_from(["n", "label", "ratio", "items", "x", "s"]), json_values)
    | st.fixed_dictionaries(
        {"items": st.lists(st.fixed_dictionaries({"name": st.text(), "qty": json_values}))}
    ).map(json.dumps)
)
calls = st.lists(st.tuples(names, arguments), max_size=8)


def _valid(name: str, kwargs: dict[str, Any]) -> bool:
    """Whether what a tool received satisfies its own signature's promises."""
    if name == "typed":
        return (
            isinstance(kwargs["n"], int)
            and kwargs["label"] in ("a", "b")
            and (kwargs["ratio"] is None or isinstance(kwargs["ratio"], float))
        )
    if name == "nested":
        return all(isinstance(i, Item) and i.qty >= 1 for i in kwargs["items"])
    if name == "raw":
        return isinstance(kwargs.get("x"), int) and kwargs["x"] >= 0 and set(kwargs) <= {"x", "s"}
    return kwargs == {}


@settings(max_examples=300, deadline=None)
@given(calls)
def test_arbitrary_arguments_never_raise_and_give_one_result_per_call(
    batch: list[tuple[str, Any]],
) -> None:
    """Any names and arguments: no exception, one result per call in order, ids kept."""
    received.clear()
    tool_calls = [ToolCall(f"id{i}", name, args) for i, (name, args) in enumerate(batch)]
    results = asyncio.run(TOOLS.execute(tool_calls, max_concurrency=4))
    assert [r.call_id for r in results] == [c.id for c in tool_calls]
    for result in results:
        assert isinstance(result.content, str)
        assert result.is_error == (result.error_kind is not None)


@settings(max_examples=300, deadline=None)
@given(calls)
def test_tools_are_never_called_with_arguments_that_fail_validation(
    batch: list[tuple[str, Any]],
) -> None:
    """Every call that reached a handler carried arguments matching the schema."""
    received.clear()
    tool_calls = [ToolCall(f"id{i}", name, args) for i, (name, args) in enumerate(batch)]
    results = asyncio.run(TOOLS.execute(tool_calls))
    assert all(_valid(name, kwargs) for name, kwargs in received)
    assert len(received) == sum(not r.is_error for r in results)
