"""`new_request`: the loop's cheap way to build a `ModelRequest`."""

from __future__ import annotations

import dataclasses

import pytest

from switchboard.messages import UserMessage
from switchboard.providers.base import ModelRequest, ModelSettings, new_request


def test_new_request_is_an_ordinary_frozen_model_request() -> None:
    """new_request gives what the ModelRequest constructor gives: equal, frozen, replaceable."""
    fields = ((UserMessage("Hi"),), (), "none", True, True, ModelSettings(seed=1), 5.0, 9.0)
    built, constructed = new_request(*fields), ModelRequest(*fields)
    assert type(built) is ModelRequest
    assert (built, repr(built), hash(built)) == (constructed, repr(constructed), hash(constructed))
    assert dataclasses.replace(built, tool_choice="auto") == ModelRequest(
        *fields[:2], "auto", *fields[3:]
    )
    with pytest.raises(dataclasses.FrozenInstanceError):
        built.tool_choice = "auto"  # type: ignore[misc]
