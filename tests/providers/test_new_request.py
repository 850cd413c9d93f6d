"""`new_request`: the loop's cheap way to build a `ModelRequest`."""

from __future__ import annotations

import dataclasses
import inspect

import pytest
from pydantic import BaseModel

from switchboard import OutputSchema
from switchboard.messages import UserMessage
from switchboard.providers.base import ModelRequest, ModelSettings, new_request


def test_new_request_is_an_ordinary_frozen_model_request() -> None:
    """new_request gives what the ModelRequest constructor gives: equal, frozen, replaceable."""
    output = OutputSchema[BaseModel].of(_City)
    fields = (
        (UserMessage("Hi"),), (), "none", True, True, ModelSettings(seed=1), 5.0, 9.0, output
    )  # fmt: skip
    built, constructed = new_request(*fields), ModelRequest(*fields)
    assert type(built) is ModelRequest
    assert (built, repr(built), hash(built)) == (constructed, repr(constructed), hash(constructed))
    assert dataclasses.replace(built, tool_choice="auto") == ModelRequest(
        *fields[:2], "auto", *fields[3:]
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.tool_choice = "auto"  # type: ignore[misc]


def test_new_request_takes_every_field_of_model_request() -> None:
    """A field added to ModelRequest is a parameter of new_request too: no slot left unset."""
    fields = [field.name for field in dataclasses.fields(ModelRequest)]
    assert list(inspect.signature(new_request).parameters) == fields


class _City(BaseModel):
    name: str
