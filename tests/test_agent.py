from __future__ import annotations

import pytest

from switchboard import (
    Agent,
    AllowedTools,
    AssistantTurn,
    ConfigurationError,
    MaxIterationsError,
    ModelResponse,
    ScriptedModel,
    SystemMessage,
    Toolbox,
    ToolCall,
    ToolResult,
    Usage,
    UserMessage,
)

pytestmark = pytest.mark.anyio


def make_toolbox(log: list[tuple[str, object]]) -> Toolbox:
    tools = Toolbox()

    @tools.register
    def get_weather(city: str) -> str:
        """Get the weather for a city."""
        log.append(("get_weather", city))
        return f"Sunny in {city}"

    @tools.register
    def fail(reason: str) -> str:
        """Always fails."""
        log.append(("fail", reason))
        raise RuntimeError(reason)

    return tools


def call(call_id: str, city: str = "Tokyo") -> ToolCall:
    return ToolCall(call_id, "get_weather", f'{{"city": "{city}"}}')


async def test_answer_without_tools_ends_the_run_in_one_step() -> None:
    """A reply with no calls is the answer: one request, stop_reason 'answer'."""
    model = ScriptedModel(["Hello!"])
    result = await Agent(model, system="Be brief.").run("Hi")
    assert result.output == "Hello!"
    assert result.stop_reason == "answer"
    assert len(result.steps) == 1
    assert result.messages == (
        SystemMessage("Be brief."),
        UserMessage("Hi"),
        AssistantTurn(text="Hello!"),
    )


async def test_calls_run_and_their_results_go_back_to_the_model() -> None:
    """Parallel calls execute; their results, in order, are in the next request."""
    log: list[tuple[str, object]] = []
    model = ScriptedModel(
        [AssistantTurn("Checking.", (call("a", "Tokyo"), call("b", "Paris"))), "Both sunny."]
    )
    result = await Agent(model, tools=make_toolbox(log)).run("Weather?")
    assert sorted(log) == [("get_weather", "Paris"), ("get_weather", "Tokyo")]
    second = model.requests[1].messages
    assert [m.call_id for m in second if isinstance(m, ToolResult)] == ["a", "b"]
    assert [m.content for m in second if isinstance(m, ToolResult)] == [
        "Sunny in Tokyo",
        "Sunny in Paris",
    ]
    assert result.output == "Both sunny."
    assert [len(step.results) for step in result.steps] == [2, 0]
    assert result.steps[0].tools == ("get_weather", "fail")


async def test_usage_is_summed_over_the_run() -> None:
    """Usage adds up the tokens and requests of every model reply."""
    replies = [
        ModelResponse(AssistantTurn(tool_calls=(call("a"),)), Usage(10, 3, 1), "tool_calls"),
        ModelResponse(AssistantTurn("Done."), Usage(25, 4, 1), "answer"),
    ]
    result = await Agent(ScriptedModel(replies), tools=make_toolbox([])).run("Go")
    assert result.usage == Usage(35, 7, 2)


async def test_a_failing_tool_is_an_error_result_and_the_run_goes_on() -> None:
    """A tool that raises gives the model an error result; the run is not broken."""
    model = ScriptedModel([ToolCall("x", "fail", '{"reason": "disk full"}'), "Sorry."])
    result = await Agent(model, tools=make_toolbox([])).run("Try")
    error = result.steps[0].results[0]
    assert error.is_error
    assert "disk full" in error.content
    assert result.output == "Sorry."


async def test_max_iterations_stops_with_the_partial_result() -> None:
    """A model that keeps calling tools is stopped after max_iterations requests."""
    model = ScriptedModel(lambda request: call(f"c{len(request.messages)}", "Oslo"))
    agent = Agent(model, tools=make_toolbox([]), max_iterations=2, repeat_limit=10)
    result = await agent.run("Loop")
    assert result.stop_reason == "max_iterations"
    assert len(model.requests) == 2
    assert result.output == ""
    assert isinstance(result.messages[-1], ToolResult)


async def test_max_iterations_raises_when_asked() -> None:
    """raise_on_limit turns the limit into MaxIterationsError carrying the result."""
    model = ScriptedModel(lambda request: call(f"c{len(request.messages)}", "Oslo"))
    agent = Agent(
        model, tools=make_toolbox([]), max_iterations=1, raise_on_limit=True, repeat_limit=10
    )
    with pytest.raises(MaxIterationsError, match="max_iterations=1") as caught:
        await agent.run("Loop")
    assert caught.value.result.stop_reason == "max_iterations"


async def test_loop_guard_refuses_the_repeated_call_then_stops_the_run() -> None:
    """The 3rd identical call is not run but answered with an error; the 4th stops the run."""
    log: list[tuple[str, object]] = []
    model = ScriptedModel(lambda request: call(f"c{len(request.messages)}", "Rome"))
    agent = Agent(model, tools=make_toolbox(log), max_iterations=10, on_repeat="run")
    result = await agent.run("Rome?")
    assert log == [("get_weather", "Rome")] * 2
    refused = [step.results[0] for step in result.steps[2:]]
    assert all(r.is_error and r.error_kind == "denied" for r in refused)
    assert "same arguments 3 times" in refused[0].content
    assert result.stop_reason == "loop_guard"
    assert len(model.requests) == 4


async def test_loop_guard_ignores_key_order_and_spacing() -> None:
    """Arguments equal as JSON count as the same call, however they are written."""
    turns = [
        ToolCall("1", "get_weather", '{"city": "Rome"}'),
        ToolCall("2", "get_weather", '{ "city":"Rome" }'),
        ToolCall("3", "get_weather", {"city": "Rome"}),
        "ok",
    ]
    agent = Agent(ScriptedModel(turns), tools=make_toolbox([]), on_repeat="run")
    result = await agent.run("Rome?")
    assert result.steps[2].results[0].error_kind == "denied"


async def test_max_tool_calls_refuses_the_calls_past_the_limit_and_stops() -> None:
    """Calls past max_tool_calls get error results, in order, and the run stops."""
    log: list[tuple[str, object]] = []
    turn = AssistantTurn(tool_calls=(call("a", "A"), call("b", "B"), call("c", "C")))
    model = ScriptedModel([turn])
    result = await Agent(model, tools=make_toolbox(log), max_tool_calls=2).run("Go")
    assert sorted(log) == [("get_weather", "A"), ("get_weather", "B")]
    results = result.steps[0].results
    assert [r.call_id for r in results] == ["a", "b", "c"]
    assert [r.is_error for r in results] == [False, False, True]
    assert result.stop_reason == "max_tool_calls"


async def test_forced_tool_choice_switches_to_auto_after_the_call() -> None:
    """After a forced call, the next request says 'auto', so the force cannot loop."""
    model = ScriptedModel([call("a"), "Done."])
    await Agent(model, tools=make_toolbox([]), tool_choice="get_weather").run("Go")
    assert [r.tool_choice for r in model.requests] == ["get_weather", "auto"]


async def test_forced_tool_choice_is_kept_when_reset_is_off() -> None:
    """reset_tool_choice=False keeps 'required' on every request."""
    model = ScriptedModel([call("a", "X"), call("b", "Y"), "Done."])
    agent = Agent(model, tools=make_toolbox([]), tool_choice="required", reset_tool_choice=False)
    await agent.run("Go")
    assert [r.tool_choice for r in model.requests] == ["required"] * 3


async def test_a_run_continues_from_its_messages() -> None:
    """Passing result.messages back continues the conversation, system message once."""
    model = ScriptedModel(["First.", "Second."])
    agent = Agent(model, system="S")
    first = await agent.run("One")
    second = await agent.run("Two", messages=first.messages)
    assert second.messages == (
        SystemMessage("S"),
        UserMessage("One"),
        AssistantTurn("First."),
        UserMessage("Two"),
        AssistantTurn("Second."),
    )


async def test_model_stop_reasons_end_the_run_with_the_same_reason() -> None:
    """A reply cut at the token limit ends the run with stop_reason 'length'."""
    reply = ModelResponse(AssistantTurn("Half an ans"), Usage(1, 1, 1), "length")
    result = await Agent(ScriptedModel([reply])).run("Long?")
    assert (result.stop_reason, result.output) == ("length", "Half an ans")


def test_run_sync_returns_the_same_result_as_run() -> None:
    """run_sync drives the same loop without an event loop of the caller's."""
    result = Agent(ScriptedModel([call("a"), "Sunny."]), tools=make_toolbox([])).run_sync("W?")
    assert result.output == "Sunny."
    assert result.steps[0].results[0].content == "Sunny in Tokyo"


def test_tool_choice_naming_no_tool_is_a_configuration_error() -> None:
    """A tool_choice that names no tool fails at construction, naming the tools."""
    with pytest.raises(ConfigurationError, match="names no tool of this agent"):
        Agent(ScriptedModel([]), tools=make_toolbox([]), tool_choice="get_wether")


def test_allowed_tools_naming_no_tool_is_a_configuration_error() -> None:
    """An AllowedTools choice that names a tool the agent lacks fails at construction."""
    with pytest.raises(ConfigurationError, match="names no tool of this agent"):
        Agent(ScriptedModel([]), tools=make_toolbox([]), tool_choice=AllowedTools(["get_wether"]))


async def test_allowed_tools_choice_reaches_the_model() -> None:
    """An AllowedTools choice naming the agent's tools is sent with the first request."""
    model = ScriptedModel(["Sunny."])
    choice = AllowedTools(["get_weather"])
    await Agent(model, tools=make_toolbox([]), tool_choice=choice).run("W?")
    assert model.requests[0].tool_choice == choice


def test_unknown_model_string_is_a_configuration_error() -> None:
    """A model string with an unknown provider says how to write one."""
    with pytest.raises(ConfigurationError, match="'anthropic:<model>'"):
        Agent("claude-3")


async def test_nothing_to_answer_is_a_configuration_error() -> None:
    """A run needs a prompt, or messages that end with the user's turn."""
    with pytest.raises(ConfigurationError, match="Nothing to answer"):
        await Agent(ScriptedModel(["x"])).run()


async def test_scripted_model_out_of_replies_says_so() -> None:
    """A script shorter than the run fails with a message naming the count."""
    with pytest.raises(ConfigurationError, match="given 1 and got request 2"):
        await Agent(ScriptedModel([call("a")]), tools=make_toolbox([])).run("Go")
