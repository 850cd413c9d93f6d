"""`decisions_from_json`: the page's decisions read into Approve, Deny and Supply."""

import re

import pytest

from switchboard.runs.approval import Approve, Deny, Supply
from switchboard.viewer.decisions import DecisionsError, decisions_from_json


def test_each_kind_of_decision_is_read() -> None:
    """approve, deny and supply become Approve, Deny and Supply."""
    posted = {
        "decisions": {
            "a": {"decision": "approve"},
            "b": {"decision": "deny", "message": "No."},
            "c": {"decision": "supply", "result": {"rows": 3}, "is_error": False},
            "d": {"decision": "approve", "arguments": {"path": "x"}},
        }
    }
    assert decisions_from_json(posted, {"a", "b", "c", "d"}) == {
        "a": Approve(),
        "b": Deny("No."),
        "c": Supply({"rows": 3}),
        "d": Approve({"path": "x"}),
    }


@pytest.mark.parametrize(
    ("posted", "expected"),
    [
        ({"decisions": {"a": {"decision": "approve"}, "z": {"decision": "approve"}}}, "['z']"),
        ({"decisions": {"a": {"decision": "deny", "message": " "}}}, "needs a message"),
        ({"decisions": {"a": {"decision": "maybe"}}}, "not 'maybe'"),
        ({"decisions": {"a": {"decision": "supply"}}}, "needs 'result'"),
        ({"decisions": {"a": {"decision": "approve", "arguments": 3}}}, "JSON text or an object"),
        ({"approve": ["a"]}, 'Post {"decisions"'),
    ],
)
def test_a_malformed_decision_is_refused_with_what_to_send(posted: object, expected: str) -> None:
    """Each malformed decision raises DecisionsError saying what is wrong."""
    with pytest.raises(DecisionsError, match=re.escape(expected)):
        decisions_from_json(posted, {"a"})
