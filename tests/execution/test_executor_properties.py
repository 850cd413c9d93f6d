import asyncio
import dataclasses
import json
from typing import Annotated, Any, Literal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel, Field, ValidationError, model_validator

from switchboard import ArgumentsError, ExecutorState, Tool, Toolbox, ToolCall
from switchboard.tools.signature import inspect_function
from switchboard.tools.validation import FunctionArguments

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


class Point(BaseModel):
    x: int
    y: Annotated[int, Field(ge=0)] = 0


class Branch(BaseModel):
    name: str
    children: list["Branch"] = []


def shaped(
    json: str,
    point: Point,
    tags: list[str] | None = None,
    limit: Annotated[int, Field(ge=0)] = 5,
    _flag: bool = False,
    tree: Branch | None = None,
) -> int:
    """Awkward names, nested and recursive models, constraints and defaults."""
    return limit


SHAPED = Tool.from_function(shaped)
SHAPED_SIGNATURE = inspect_function(shaped, tool_name="shaped")
SHAPED_MODEL = SHAPED_SIGNATURE.model


def mostly(valid: st.SearchStrategy[Any]) -> st.SearchStrategy[Any]:
    """Values that are ``valid``'s four times in five, and otherwise any JSON value."""
    return st.integers(0, 4).flatmap(lambda draw: valid if draw else json_values)


shaped_objects = st.fixed_dictionaries(
    {
        "json": mostly(st.text(max_size=5)),
        "point": mostly(
            st.fixed_dictionaries(
                {"x": mostly(st.integers())}, optional={"y": mostly(st.integers(min_value=0))}
            )
        ),
    },
    optional={
        "tags": mostly(st.lists(st.text(max_size=3), max_size=2)),
        "limit": mostly(st.integers(min_value=0)),
        "_flag": mostly(st.booleans()),
        "tree": mostly(
            st.recursive(
                st.fixed_dictionaries({"name": mostly(st.text(max_size=3))}),
                lambda children: st.fixed_dictionaries(
                    {"name": st.text(max_size=3), "children": st.lists(children, max_size=2)}
                ),
                max_leaves=4,
            )
        ),
    },
) | st.dictionaries(st.sampled_from(["json", "point", "limit", "other"]), json_values)


@settings(max_examples=300, deadline=None)
@given(shaped_objects)
def test_validation_gives_the_argument_models_values_and_problems(obj: dict[str, Any]) -> None:
    """Validating a function's arguments gives what its argument model gives, or its errors."""
    validator = FunctionArguments(SHAPED_SIGNATURE)
    try:
        instance = SHAPED_MODEL.model_validate(obj)
    except ValidationError as e:
        with pytest.raises(ArgumentsError) as caught:
            validator.validate("shaped", obj)
        expected = [(".".join(map(str, err["loc"])), err["msg"]) for err in e.errors()]
        assert [(p.path, p.message) for p in caught.value.problems] == expected
        return
    fields = SHAPED_MODEL.model_fields
    names = {field: info.alias or field for field, info in fields.items()}
    assert validator.validate("shaped", obj) == {names[f]: getattr(instance, f) for f in fields}


class Normalised(BaseModel):
    word: str

    @model_validator(mode="after")
    def lower(self) -> "Normalised":
        self.word = self.word.lower()
        return self


def test_an_argument_model_with_its_own_validators_is_validated_whole() -> None:
    """A model-level validator still runs: such models are not validated field by field."""
    signature = dataclasses.replace(SHAPED_SIGNATURE, model=Normalised, field_names={})
    assert FunctionArguments(signature).validate("t", {"word": "LOUD"}) == {"word": "loud"}


def strict_double(n: int) -> int:
    """Doubles, refusing "3" for 3."""
    return 2 * n


FORMS = Toolbox([typed, nested, nothing, Tool.from_schema("raw", "Raw.", RAW_SCHEMA, raw)])
FORMS.add(SHAPED)
FORMS.add(Tool.from_model(Item, lambda item: item.qty, name="item"))
FORMS.register(strict_double, strict_validation=True)
FORM_OBJECTS: dict[str, st.SearchStrategy[dict[str, Any]]] = {
    "typed": st.fixed_dictionaries(
        {"n": mostly(st.integers())},
        optional={"label": mostly(st.sampled_from(["a", "b"])), "ratio": mostly(st.floats())},
    ),
    "nested": st.fixed_dictionaries(
        {
            "items": mostly(
                st.lists(
                    st.fixed_dictionaries({"name": st.text(), "qty": mostly(st.integers())}),
                    max_size=2,
                )
            )
        },
        optional={"tags": mostly(st.dictionaries(st.text(max_size=3), st.text(max_size=3)))},
    ),
    "nothing": st.dictionaries(st.text(max_size=3), json_values, max_size=1),
    "raw": st.fixed_dictionaries({"x": mostly(st.integers())}, optional={"s": mostly(st.text())}),
    "shaped": shaped_objects,
    "item": st.fixed_dictionaries(
        {"name": mostly(st.text()), "qty": mostly(st.integers(min_value=1))}
    ),
    "strict_double": st.fixed_dictionaries({"n": st.integers() | st.integers().map(str)}),
}
forms = st.sampled_from(sorted(FORM_OBJECTS)).flatmap(
    lambda name: st.tuples(st.just(name), FORM_OBJECTS[name])
)


@settings(max_examples=300, deadline=None)
@given(forms)
def test_arguments_as_json_text_give_the_result_they_give_as_a_mapping(
    form: tuple[str, dict[str, Any]],
) -> None:
    """JSON text (the short way when clean) and the same object as a mapping agree."""
    name, obj = form

    def run(arguments: str | dict[str, Any]) -> tuple[Any, ...]:
        (result,) = FORMS.execute_sync([ToolCall("id", name, arguments)], state=ExecutorState())
        return (result.content, result.is_error, result.error_kind, result.repaired, result.value)

    assert run(json.dumps(obj)) == run(obj)


@settings(max_examples=300, deadline=None)
@given(forms)
def test_reading_json_text_gives_what_validating_its_object_gives(
    form: tuple[str, dict[str, Any]],
) -> None:
    """A tool's one-pass JSON reader gives the arguments `validate` gives, defaults too."""
    name, obj = form
    tool = FORMS.get(name)
    try:
        expected = tool.validate(obj)
    except ArgumentsError as e:
        expected = e.problems
    try:
        read = tool.validate_json(json.dumps(obj))
    except ArgumentsError as e:
        read = e.problems
    if read is not None:  # None: the text is left to the long way, which validates as above
        assert read == expected
