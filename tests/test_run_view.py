"""result_json: a RunResult as JSON data for `switchboard run --json`."""

import json
from typing import Any

from switchboard import Agent, ScriptedModel, ToolCall
from switchboard.run_view import result_json


class Reading:
    """A return value JSON cannot write: it must not reach result_json."""


def get_weather(city: str) -> dict[str, Any]:
    """Weather now."""
    return {"city": city, "sky": "clear", "reading": str(Reading())}


def _run_data() -> dict[str, Any]:
    model = ScriptedModel([ToolCall("c1", "get_weather", '{"city": "Oslo"}'), "Clear in Oslo."])
    result = Agent(model, tools=[get_weather]).run_sync("Weather in Oslo?")
    return result_json(result)


def _tool_result(data: dict[str, Any]) -> dict[str, Any]:
    [message] = [m for m in data["messages"] if m["type"] == "ToolResult"]
    return message


def test_result_json_tags_the_run_and_each_message_with_its_type() -> None:
    """The run is tagged RunResult and its messages by their classes, in order."""
    data = _run_data()
    assert data["type"] == "RunResult"
    assert [m["type"] for m in data["messages"]] == [
        "UserMessage",
        "AssistantTurn",
        "ToolResult",
        "AssistantTurn",
    ]


def test_result_json_leaves_out_the_tools_return_value() -> None:
    """A ToolResult keeps what the model read (content) but not its value."""
    message = _tool_result(_run_data())
    assert "value" not in message
    assert json.loads(message["content"])["city"] == "Oslo"


def test_result_json_is_written_by_json_dumps() -> None:
    """The data round-trips through json: nothing in it needs a custom encoder."""
    data = _run_data()
    assert json.loads(json.dumps(data)) == data


def test_result_json_tags_nested_calls() -> None:
    """A call inside an assistant turn is tagged ToolCall, with its arguments."""
    data = _run_data()
    [call] = data["messages"][1]["tool_calls"]
    assert (call["type"], call["name"], call["arguments"]) == (
        "ToolCall",
        "get_weather",
        '{"city": "Oslo"}',
    )
