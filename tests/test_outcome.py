"""`new_step`: the loop's cheap way to build a `Step`."""

from __future__ import annotations

import dataclasses
import inspect
import pickle

import pytest

from switchboard.messages import AssistantTurn, ModelResponse, ToolResult, Usage
from switchboard.outcome import Step, new_step


def test_new_step_is_an_ordinary_frozen_step() -> None:
    """new_step gives what the Step constructor gives: equal, frozen, picklable."""
    response = ModelResponse(AssistantTurn("Done."), Usage(requests=1), "answer")
    fields = (response, (ToolResult("c1", "add", "3"),), ("add",))
    built, constructed = new_step(*fields), Step(*fields)
    assert type(built) is Step
    assert (built, repr(built)) == (constructed, repr(constructed))
    assert pickle.loads(pickle.dumps(built)) == constructed
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.tools = ()  # type: ignore[misc]


def test_new_step_takes_every_field_of_step() -> None:
    """A field added to Step is a parameter of new_step too: no slot left unset."""
    fields = [field.name for field in dataclasses.fields(Step)]
    assert list(inspect.signature(new_step).parameters) == fields
