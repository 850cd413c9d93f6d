"""Golden transcripts: switchboard's loop replays the Anthropic SDK tool runner's recordings.

Each recording (anthropic-sdk-python, tests/lib/tools/, recorded from the live API) is a
list of (request, response) pairs: each next request is the previous messages plus the
assistant turn plus a user message of ``tool_result`` blocks. Here the same tools are
defined in switchboard (same names, descriptions and parameters; handlers that return
what the recorded tools returned, or raise what they raised), the recorded responses are
served through the SDK's own HTTP layer, and an `Agent` runs the loop.

What is compared: every JSON body switchboard sends, key for key (model, max_tokens,
messages, tools), against the recorded one, with two loosenings of the recorded tools,
both from the generators differing: their ``input_schema`` has a ``title`` on every
property, which the SDK's generator (Pydantic's ``model_json_schema``) adds and
switchboard's leaves out; and a tool with no docstring is sent with ``"description": ""``
by the SDK and with no description by switchboard. Those titles and empty descriptions
are removed from the recording before comparing. The error text of a raising tool is the
SDK runner's, ``repr(exception)``, reproduced with the executor's ``format_error`` hook.

Recordings not replayed, each for a feature switchboard does not have (``EXCLUDED`` is
asserted against the folder, so none is skipped silently):

- 092be1de: programmatic tool calling: ``get_weather`` is called from Anthropic's
  server-side code_execution tool (``allowed_callers``, a container id carried from
  request to request); switchboard offers client tools only. test_anthropic.py checks
  that its turn parses and renders back as the recorded next request.
- 32da0815: the server-side ``web_search`` tool alone: no client tool, one request.
  test_anthropic.py parses its response.
- 555fb399, 771c64ff: streamed runs (``stream: true``, SSE responses); the provider
  sends non-streaming requests. Their messages are those of b38bbf6c and 64fe7974.
- 956fa2fe: the runner's client-side compaction (``compaction_control``), which replaces
  the history with a summary request; switchboard has no compaction (and SDK 1.0 removed
  it).
- f59a9391: the SDK's ``test_custom_message_handling``, xfail in its own suite ("bug in
  append messages"): its second request holds a ``tool_result`` with no ``tool_use``,
  which the API refused with a 400. switchboard's pairing repair cannot send that request;
  test_anthropic.py runs its conversation through the repair and maps its recorded 400.
"""

import json
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Literal

import pytest

from switchboard.agent import Agent
from switchboard.execution.toolbox import Toolbox
from switchboard.outcome import RunResult
from switchboard.providers.anthropic import AnthropicProvider
from switchboard.retry import RetryPolicy
from switchboard.tools.tool import Tool

from .conftest import Replay, fixture_path

pytestmark = pytest.mark.anyio

RECORDINGS = fixture_path(
    "anthropic/tool_runner_recordings/b38bbf6c-9a76-40ca-b09d-7a3911776e0f.json"
).parent


def weather(location: str, units: Literal["c", "f"]) -> str:
    """What the SDK tests' ``_get_weather`` returns, as its tools serialise it."""
    temperature = "20°C" if units == "c" else "68°F"
    return json.dumps({"location": location, "temperature": temperature, "condition": "Sunny"})


def get_weather_tool(handler: Callable[..., Any], *, documented: bool = True) -> Tool:
    """``get_weather`` as the SDK tests declare it (their docstring, verbatim), over ``handler``.

    ``documented=False``: as test_tool_call_caching declares it, where a statement before
    the docstring makes it no docstring, so the tool has no description.
    """

    def get_weather(location: str, units: Literal["c", "f"]) -> str:
        """Lookup the weather for a given city in either celsius or fahrenheit

        Args:
            location: The city and state, e.g. San Francisco, CA
            units: Unit for the output, either 'c' for celsius or 'f' for fahrenheit
        Returns:
            A dictionary containing the location, temperature, and weather condition.
        """  # noqa: D415 - the recorded description has no final period
        return handler(location, units)

    if not documented:
        get_weather.__doc__ = None
    return Tool.from_function(get_weather)


def plain_tools() -> Toolbox:
    """test_basic_call_sync, test_max_iterations: get_weather answers every call."""
    return Toolbox([get_weather_tool(weather)])


def async_tools() -> Toolbox:
    """test_basic_call_async: get_weather is a coroutine function."""

    async def get_weather(location: str, units: Literal["c", "f"]) -> str:
        """Lookup the weather for a given city in either celsius or fahrenheit

        Args:
            location: The city and state, e.g. San Francisco, CA
            units: Unit for the output, either 'c' for celsius or 'f' for fahrenheit
        Returns:
            A dictionary containing the location, temperature, and weather condition.
        """  # noqa: D415 - the recorded description has no final period
        return weather(location, units)

    return Toolbox([get_weather])


def failing_first_tools() -> Toolbox:
    """test_tool_call_error: the first call raises RuntimeError, later ones answer."""
    calls: list[str] = []

    def handler(location: str, units: Literal["c", "f"]) -> str:
        calls.append(location)
        if len(calls) == 1:
            msg = "Unexpected error, try again"
            raise RuntimeError(msg)
        return weather(location, units)

    return Toolbox([get_weather_tool(handler)])


def once_only_tools() -> Toolbox:
    """test_tool_call_caching: an undocumented get_weather; a second call would raise."""
    calls: list[str] = []

    def handler(location: str, units: Literal["c", "f"]) -> str:
        calls.append(location)
        if len(calls) > 1:
            msg = "This tool should not be called again"
            raise RuntimeError(msg)
        return weather(location, units)

    return Toolbox([get_weather_tool(handler, documented=False)])


@dataclass(frozen=True)
class Case:
    """How the SDK test behind a recording ran: its tools, iteration limit, and outcome.

    Attributes:
        tools: Builds fresh tools for one run.
        stop_reason: How switchboard's run must end.
        max_iterations: The runner's ``max_iterations``, where the test set one.
        last_results: The results of the last turn's calls, which no recorded request
            carries (the run stopped), as the SDK test's own snapshot gives them.
    """

    tools: Callable[[], Toolbox]
    stop_reason: str = "answer"
    max_iterations: int = 10
    last_results: list[str] = field(default_factory=list[str])


COVERED = {
    "b38bbf6c-9a76-40ca-b09d-7a3911776e0f": Case(plain_tools),
    "64fe7974-681a-4023-9848-b32ba39c8664": Case(async_tools),
    "a8ac789b-f856-48cd-9ff3-d5f36799e432": Case(once_only_tools),
    "10e53c1d-51be-4c64-b5bf-99adb3fa4719": Case(failing_first_tools),
    "e075a6c2-de4d-4125-9709-f0e178058190": Case(
        plain_tools,
        stop_reason="max_iterations",
        max_iterations=2,
        last_results=[
            '{"location": "New York, NY", "temperature": "68\\u00b0F", "condition": "Sunny"}'
        ],
    ),
}

EXCLUDED = {
    "092be1de-d3f8-4c22-a4ea-a7ad54689836": "programmatic calls from server-side code_execution",
    "32da0815-2270-4d29-87be-3b5b63ab42e2": "server-side web_search only, no client tool",
    "555fb399-a54c-455b-9ac5-2c9673f18e12": "streamed (SSE)",
    "771c64ff-a0af-4cd9-8080-a5a539da7cb9": "streamed (SSE)",
    "956fa2fe-8752-4f7c-8f9a-33735e62b898": "the runner's client-side compaction",
    "f59a9391-643b-422c-96dc-1f28bc7ea4d7": "a request the API refused: result without tool_use",
}


def recording(name: str) -> list[dict[str, Any]]:
    pairs: list[dict[str, Any]] = json.loads((RECORDINGS / f"{name}.json").read_text())
    return pairs


def untitled(schema: Any) -> Any:
    """A JSON Schema without its ``title`` annotations (a property named "title" stays)."""
    if isinstance(schema, list):
        return [untitled(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    return {
        key: (
            {name: untitled(sub) for name, sub in value.items()}
            if key in ("properties", "$defs", "definitions")
            else untitled(value)
        )
        for key, value in schema.items()
        if not (key == "title" and isinstance(value, str))
    }


def comparable(recorded: dict[str, Any]) -> dict[str, Any]:
    """A recorded request body, its tools without the titles and empty descriptions."""
    tools = [
        {
            **{k: v for k, v in tool.items() if not (k == "description" and v == "")},
            "input_schema": untitled(tool["input_schema"]),
        }
        for tool in recorded["tools"]
    ]
    return {**recorded, "tools": tools}


async def replay_run(replay: Replay, name: str) -> RunResult:
    """Run switchboard's loop over the recording's responses, served through the SDK."""
    pairs = recording(name)
    for pair in pairs:
        replay.queue_json(pair["response"]["body"], status=pair["response"]["status_code"])
    first = pairs[0]["request"]["body"]
    case = COVERED[name]
    provider = AnthropicProvider(
        first["model"],
        api_key="sk-ant-test",
        http_client=replay.client(),
        retry=RetryPolicy(attempts=1),
        max_tokens=first["max_tokens"],
    )
    agent = Agent(
        provider,
        tools=case.tools(),
        max_iterations=case.max_iterations,
        format_error=lambda error, tool: repr(error),
    )
    return await agent.run(first["messages"][0]["content"])


def test_every_recording_is_replayed_or_excluded_with_a_reason() -> None:
    """The covered and excluded recordings are disjoint and together all of the folder."""
    names = {path.stem for path in RECORDINGS.glob("*.json")}
    assert set(COVERED).isdisjoint(EXCLUDED)
    assert set(COVERED) | set(EXCLUDED) == names
    assert all(EXCLUDED.values())


@pytest.mark.parametrize("name", sorted(COVERED))
async def test_loop_sends_exactly_the_recorded_requests(replay: Replay, name: str) -> None:
    """Every request body switchboard's loop sends equals the recorded one, in order."""
    await replay_run(replay, name)
    recorded = [comparable(pair["request"]["body"]) for pair in recording(name)]
    assert replay.bodies == recorded


@pytest.mark.parametrize("name", sorted(COVERED))
async def test_loop_ends_as_the_recorded_run_did(replay: Replay, name: str) -> None:
    """The run ends for the recorded reason, with the recorded steps and final answer."""
    result = await replay_run(replay, name)
    case = COVERED[name]
    pairs = recording(name)
    last = pairs[-1]["response"]["body"]["content"]
    answer = "".join(b["text"] for b in last if b["type"] == "text")
    assert result.stop_reason == case.stop_reason
    # A run stopped by a limit has no answer: its output is "" (see RunResult).
    assert result.output == (answer if case.stop_reason == "answer" else "")
    assert len(result.steps) == len(pairs)
    assert [r.content for r in result.steps[-1].results] == case.last_results


async def test_raising_tool_is_sent_as_the_recorded_error_result(replay: Replay) -> None:
    """test_tool_call_error's RuntimeError reaches the model as the recorded is_error result."""
    result = await replay_run(replay, "10e53c1d-51be-4c64-b5bf-99adb3fa4719")
    (failed,) = result.steps[0].results
    assert (failed.is_error, failed.error_kind) == (True, "raised")
    assert replay.bodies[1]["messages"][-1]["content"] == [
        {
            "type": "tool_result",
            "tool_use_id": "toolu_01A9HHF5Ezy3oBrKmSgfASm9",
            "content": "RuntimeError('Unexpected error, try again')",
            "is_error": True,
        }
    ]
