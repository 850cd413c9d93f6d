"""A call the run already has the result of (``on_repeat``), and the last answer turn."""

from __future__ import annotations

import pytest

from switchboard import (
    Agent,
    AssistantTurn,
    ConfigurationError,
    ModelResponse,
    RunEnd,
    RunResult,
    ScriptedModel,
    Toolbox,
    ToolCall,
    ToolResult,
    Usage,
)

pytestmark = pytest.mark.anyio


def make_toolbox(log: list[tuple[str, str]]) -> Toolbox:
    tools = Toolbox()
    items: list[str] = []

    @tools.register
    def get_weather(city: str) -> str:
        """Get the weather for a city."""
        log.append(("get_weather", city))
        if city == "Atlantis":
            msg = f"No weather station for {city}."
            raise ValueError(msg)
        return f"Sunny in {city}"

    @tools.register
    def add_item(title: str) -> str:
        """Add an item to the list."""
        log.append(("add_item", title))
        items.append(title)
        return f"Added {title}"

    @tools.register
    def list_items() -> list[str]:
        """The list."""
        log.append(("list_items", ""))
        return list(items)

    @tools.register(requires_approval=True)
    def delete_all() -> str:
        """Delete everything."""
        log.append(("delete_all", ""))
        return "deleted"

    return tools


def weather(call_id: str, city: str = "Rome") -> ToolCall:
    return ToolCall(call_id, "get_weather", f'{{"city": "{city}"}}')


def results(result: RunResult) -> list[ToolResult]:
    return [m for m in result.messages if isinstance(m, ToolResult)]


async def test_a_repeat_is_answered_with_the_earlier_result_and_not_run() -> None:
    """By default a repeated call does not run: it gets the earlier result and a reminder."""
    log: list[tuple[str, str]] = []
    model = ScriptedModel([weather("a"), weather("b"), "Sunny in Rome."])
    result = await Agent(model, tools=make_toolbox(log)).run("Rome?")
    assert log == [("get_weather", "Rome")]
    repeat = results(result)[1]
    assert repeat.call_id == "b"
    assert not repeat.is_error
    assert "already called get_weather" in repeat.content
    assert repeat.content.endswith("Result: Sunny in Rome")


async def test_after_a_repeat_the_next_request_forbids_calls() -> None:
    """The request after an answered repeat has tool_choice 'none', so the run ends answered."""
    model = ScriptedModel([weather("a"), weather("b"), "Sunny in Rome."])
    result = await Agent(model, tools=make_toolbox([])).run("Rome?")
    assert [r.tool_choice for r in model.requests] == ["auto", "auto", "none"]
    assert result.stop_reason == "answer"
    assert result.output == "Sunny in Rome."


async def test_a_repeated_failure_is_answered_as_that_failure() -> None:
    """A call that failed is not run again either: the reminder carries its error."""
    log: list[tuple[str, str]] = []
    calls = [weather("a", "Atlantis"), weather("b", "Atlantis"), "No data."]
    result = await Agent(ScriptedModel(calls), tools=make_toolbox(log)).run("Atlantis?")
    assert log == [("get_weather", "Atlantis")]
    repeat = results(result)[1]
    assert repeat.is_error
    assert "It failed: " in repeat.content
    assert "No weather station for Atlantis" in repeat.content


async def test_a_model_that_repeats_under_none_is_stopped_by_the_loop_guard() -> None:
    """A model that ignores tool_choice 'none' and repeats on is stopped: loop_guard."""
    log: list[tuple[str, str]] = []
    model = ScriptedModel(lambda request: weather(f"c{len(request.messages)}"))
    result = await Agent(model, tools=make_toolbox(log), max_iterations=10).run("Rome?")
    assert log == [("get_weather", "Rome")]
    assert result.stop_reason == "loop_guard"
    assert len(model.requests) == 4


async def test_on_repeat_error_refuses_the_repeat_and_keeps_the_tool_choice() -> None:
    """'error': the repeat gets an error result, and the model may still call tools."""
    log: list[tuple[str, str]] = []
    model = ScriptedModel([weather("a"), weather("b"), weather("c", "Oslo"), "Done."])
    agent = Agent(model, tools=make_toolbox(log), on_repeat="error")
    result = await agent.run("Rome?")
    assert log == [("get_weather", "Rome"), ("get_weather", "Oslo")]
    repeat = results(result)[1]
    assert repeat.is_error
    assert repeat.error_kind == "denied"
    assert "already called get_weather" in repeat.content
    assert [r.tool_choice for r in model.requests] == ["auto"] * 4
    assert result.stop_reason == "answer"


async def test_on_repeat_stop_ends_the_run_at_the_first_repeat() -> None:
    """'stop': the repeat is not run and the run ends with loop_guard."""
    log: list[tuple[str, str]] = []
    model = ScriptedModel([weather("a"), weather("b"), "never asked"])
    result = await Agent(model, tools=make_toolbox(log), on_repeat="stop").run("Rome?")
    assert log == [("get_weather", "Rome")]
    assert result.stop_reason == "loop_guard"
    assert len(model.requests) == 2
    assert results(result)[1].error_kind == "denied"


async def test_on_repeat_run_runs_the_repeat_again() -> None:
    """'run': a repeat runs again (a tool whose result changes), up to the loop guard."""
    log: list[tuple[str, str]] = []
    model = ScriptedModel([weather("a"), weather("b"), "Done."])
    await Agent(model, tools=make_toolbox(log), on_repeat="run").run("Rome?")
    assert log == [("get_weather", "Rome")] * 2


async def test_a_call_of_another_tool_makes_a_repeat_run_again() -> None:
    """Once another tool has run (it may have changed the state), a repeat runs again."""
    log: list[tuple[str, str]] = []
    model = ScriptedModel(
        [
            ToolCall("a", "list_items", "{}"),
            ToolCall("b", "add_item", '{"title": "milk"}'),
            ToolCall("c", "list_items", "{}"),
            "Milk is on the list.",
        ]
    )
    result = await Agent(model, tools=make_toolbox(log)).run("Add milk and show the list.")
    assert log == [("list_items", ""), ("add_item", "milk"), ("list_items", "")]
    assert results(result)[2].content == '["milk"]'


async def test_calls_of_the_same_tool_keep_each_others_results() -> None:
    """Other calls of the same tool in between do not make a repeat run again."""
    log: list[tuple[str, str]] = []
    calls = [weather("a", "Rome"), weather("b", "Oslo"), weather("c", "Rome"), "Both sunny."]
    await Agent(ScriptedModel(calls), tools=make_toolbox(log)).run("Rome and Oslo?")
    assert log == [("get_weather", "Rome"), ("get_weather", "Oslo")]


async def test_a_denied_call_may_be_made_again() -> None:
    """A denied approval is no answer: the same call later goes to approval again."""
    log: list[tuple[str, str]] = []
    decisions = iter([False, True])
    model = ScriptedModel(
        [ToolCall("a", "delete_all", "{}"), ToolCall("b", "delete_all", "{}"), "Deleted."]
    )
    agent = Agent(model, tools=make_toolbox(log), approve=lambda call, tool: next(decisions))
    result = await agent.run("Delete everything.")
    assert [r.error_kind for r in results(result)] == ["denied", None]
    assert log == [("delete_all", "")]


def cut_off(call: ToolCall) -> ModelResponse:
    """A reply that reached the token limit inside its only call."""
    return ModelResponse(AssistantTurn(tool_calls=(call,)), Usage(requests=1), "length")


# Cut inside the value of "unit": what is complete of it is {"city": "Rome"}.
CUT_ROME = ToolCall("a", "get_weather", '{"city": "Rome", "unit": "cel')


async def test_a_call_cut_off_runs_when_the_model_makes_it_again() -> None:
    """A cut call never ran: the same call made whole is run, not answered with the cut."""
    log: list[tuple[str, str]] = []
    model = ScriptedModel([cut_off(CUT_ROME), weather("b"), "Sunny in Rome."])
    result = await Agent(model, tools=make_toolbox(log)).run("Rome?")
    assert log == [("get_weather", "Rome")]
    assert results(result)[1].content == "Sunny in Rome"


async def test_a_streamed_call_cut_off_runs_when_the_model_makes_it_again() -> None:
    """run_stream too runs the whole call that follows a cut one with the same values."""
    log: list[tuple[str, str]] = []
    model = ScriptedModel([cut_off(CUT_ROME), weather("b"), "Sunny in Rome."])
    ends = [e async for e in Agent(model, tools=make_toolbox(log)).run_stream("Rome?")]
    assert log == [("get_weather", "Rome")]
    end = ends[-1]
    assert isinstance(end, RunEnd)
    assert results(end.result)[1].content == "Sunny in Rome"


async def test_a_call_cut_off_keeps_the_results_of_other_tools() -> None:
    """A cut call ran nothing, so a repeat of an earlier call of another tool is answered."""
    log: list[tuple[str, str]] = []
    cut = cut_off(ToolCall("b", "add_item", '{"title": "mi'))
    model = ScriptedModel([weather("a"), cut, weather("c"), "Sunny in Rome."])
    result = await Agent(model, tools=make_toolbox(log)).run("Rome?")
    assert log == [("get_weather", "Rome")]
    assert results(result)[2].content.endswith("Result: Sunny in Rome")


class Counted:
    """An argument value that counts how often it is read: hashed or written as text."""

    def __init__(self) -> None:
        self.count = 0

    def __hash__(self) -> int:
        self.count += 1
        return 0

    def __str__(self) -> str:
        self.count += 1
        return "counted"


async def test_the_loop_guard_reads_a_calls_arguments_once() -> None:
    """Guarding and remembering a call write its arguments out once, not once per step."""
    value = Counted()
    tools = Toolbox()

    @tools.register
    def echo(x: object) -> str:
        """Echo."""
        return "ok"

    model = ScriptedModel([ToolCall("a", "echo", {"x": value}), "Done."])
    await Agent(model, tools=tools).run("Echo.")
    assert value.count == 1


async def test_a_streamed_run_answers_a_repeat_the_same_way() -> None:
    """run_stream applies on_repeat as run does."""
    log: list[tuple[str, str]] = []
    model = ScriptedModel([weather("a"), weather("b"), "Sunny in Rome."])
    agent = Agent(model, tools=make_toolbox(log))
    ends = [e async for e in agent.run_stream("Rome?") if isinstance(e, RunEnd)]
    assert log == [("get_weather", "Rome")]
    assert [r.tool_choice for r in model.requests] == ["auto", "auto", "none"]
    assert ends[0].result.stop_reason == "answer"


async def test_answer_at_limit_makes_the_last_request_forbid_calls() -> None:
    """With answer_at_limit the last of max_iterations requests has tool_choice 'none'."""
    model = ScriptedModel(
        lambda request: (
            "Rome is sunny."
            if request.tool_choice == "none"
            else weather(f"c{len(request.messages)}", f"City{len(request.messages)}")
        )
    )
    agent = Agent(model, tools=make_toolbox([]), max_iterations=3, answer_at_limit=True)
    result = await agent.run("Weather everywhere?")
    assert [r.tool_choice for r in model.requests] == ["auto", "auto", "none"]
    assert result.stop_reason == "answer"
    assert result.output == "Rome is sunny."


async def test_without_answer_at_limit_the_last_request_may_call() -> None:
    """By default the last request is like the others, and the run stops at the limit."""
    model = ScriptedModel(lambda request: weather(f"c{len(request.messages)}", "Oslo"))
    agent = Agent(model, tools=make_toolbox([]), max_iterations=2, on_repeat="run")
    result = await agent.run("Oslo?")
    assert [r.tool_choice for r in model.requests] == ["auto", "auto"]
    assert result.stop_reason == "max_iterations"


def test_an_unknown_on_repeat_is_refused() -> None:
    """on_repeat takes one of four modes, and the error lists them."""
    with pytest.raises(ConfigurationError, match="on_repeat must be one of 'answer'"):
        Agent(ScriptedModel([]), on_repeat="ignore")  # type: ignore[arg-type]
