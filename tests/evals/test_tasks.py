"""Task-success evaluation: loading task files, running tasks on fresh tools, scoring."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import pytest

from switchboard import (
    Agent,
    ConfigurationError,
    ModelRequest,
    ProviderUnavailableError,
    ScriptedModel,
    Toolbox,
    ToolCall,
    ToolResult,
)
from switchboard.evals.tasks import (
    NeededCall,
    Task,
    TaskResult,
    run_tasks,
    score_task,
    summarize_tasks,
)
from switchboard.providers.scripted import Reply

pytestmark = pytest.mark.anyio

TOOLS = '''
"""Tools for the task tests: weather readings, arithmetic, and a stateful todo list."""

_TODOS: list[str] = []


def get_weather(city: str, unit: str = "celsius") -> dict[str, object]:
    """Get the weather for a city."""
    readings = {"tokyo": 18.0, "paris": 12.5}
    if city.strip().lower() not in readings:
        raise ValueError(f"No weather station for {city!r}.")
    return {"city": city, "temperature": readings[city.strip().lower()], "unit": unit}


def add(a: float, b: float) -> float:
    """Add two numbers."""
    return a + b


def total(values: list[float], labels: dict[str, str] | None = None) -> float:
    """Sum numbers."""
    return sum(values)


def is_set(flag: bool) -> bool:
    """Echo a flag."""
    return flag


def add_todo(title: str) -> str:
    """Add a todo."""
    if not title.strip():
        raise ValueError("A todo needs a title.")
    _TODOS.append(title)
    return f"Added {title!r}."


def list_todos() -> list[str]:
    """List the todos."""
    return list(_TODOS)
'''


@pytest.fixture
def tools_file(tmp_path: Path) -> Path:
    path = tmp_path / "task_tools.py"
    path.write_text(TOOLS, encoding="utf-8")
    return path


def call(name: str, **arguments: Any) -> ToolCall:
    return ToolCall("c1", name, json.dumps(arguments))


def task(**fields: Any) -> Task:
    return Task.model_validate({"id": "t1", "prompt": "Question?", **fields})


def needs(name: str, **arguments: Any) -> dict[str, Any]:
    return {"name": name, "arguments": arguments}


def needs_call(name: str, **arguments: Any) -> NeededCall:
    return NeededCall(name=name, arguments=arguments)


async def run_one(
    tools_file: Path,
    the_task: Task,
    replies: Sequence[Reply] | Callable[[ModelRequest], Reply],
    **agent: Any,
) -> TaskResult:
    model = ScriptedModel(replies)

    def make_agent(toolbox: Toolbox) -> Agent:
        return Agent(model, tools=toolbox, **agent)

    [result] = await run_tasks([the_task], tools_file, make_agent)
    return result


def echo_last_result(request: ModelRequest) -> Reply:
    """A script that calls list_todos first, then answers with what the call returned."""
    last = request.messages[-1]
    if isinstance(last, ToolResult):
        return f"Your todos: {last.content}"
    return call("list_todos")


# Matching needed calls


async def test_string_arguments_match_ignoring_case_and_surrounding_spaces(
    tools_file: Path,
) -> None:
    """A made ' tOKYO ' matches a needed 'Tokyo'."""
    the_task = task(calls=[needs("get_weather", city="Tokyo")])
    result = await run_one(tools_file, the_task, [call("get_weather", city=" tOKYO "), "18."])
    assert result.calls_right
    assert result.missing_calls == ()


async def test_a_different_string_leaves_the_needed_call_missing(tools_file: Path) -> None:
    """A call with another value than the one needed is not a match; the call is listed."""
    the_task = task(calls=[needs("get_weather", city="Tokyo")])
    result = await run_one(tools_file, the_task, [call("get_weather", city="Paris"), "12.5."])
    assert not result.calls_right
    assert result.missing_calls == (needs("get_weather", city="Tokyo"),)


async def test_an_int_matches_the_same_float(tools_file: Path) -> None:
    """3 needed matches 3.0 made."""
    the_task = task(calls=[needs("add", a=3, b=4.5)])
    result = await run_one(tools_file, the_task, [call("add", a=3.0, b=4.5), "7.5."])
    assert result.calls_right


async def test_numbers_match_within_one_millionth_relative(tools_file: Path) -> None:
    """0.1 + 0.2 written as 0.30000001 matches 0.3 needed; 0.3001 does not."""
    the_task = task(calls=[needs("add", a=0.3, b=1)])
    close = await run_one(tools_file, the_task, [call("add", a=0.30000001, b=1), "1.3."])
    far = await run_one(tools_file, the_task, [call("add", a=0.3001, b=1), "1.3."])
    assert (close.calls_right, far.calls_right) == (True, False)


async def test_a_number_written_as_a_string_matches_the_number(tools_file: Path) -> None:
    """'"3"' made (which the tool's validation reads as 3) matches 3 needed."""
    the_task = task(calls=[needs("add", a=3, b=4)])
    result = await run_one(tools_file, the_task, [call("add", a="3", b="4"), "7."])
    assert result.calls_right


async def test_a_boolean_does_not_match_a_number(tools_file: Path) -> None:
    """A made true does not match 1 needed, though Python holds True == 1."""
    the_task = task(calls=[needs("is_set", flag=1)])
    result = await run_one(tools_file, the_task, [call("is_set", flag=True), "Yes."])
    assert not result.calls_right


async def test_lists_are_compared_element_by_element(tools_file: Path) -> None:
    """[1, 2.0] made matches [1.0, 2] needed; [2, 1] does not."""
    the_task = task(calls=[needs("total", values=[1.0, 2])])
    same = await run_one(tools_file, the_task, [call("total", values=[1, 2.0]), "3."])
    swapped = await run_one(tools_file, the_task, [call("total", values=[2, 1]), "3."])
    assert (same.calls_right, swapped.calls_right) == (True, False)


async def test_a_list_of_another_length_does_not_match(tools_file: Path) -> None:
    """[1, 2, 3] made does not match [1, 2] needed."""
    the_task = task(calls=[needs("total", values=[1, 2])])
    result = await run_one(tools_file, the_task, [call("total", values=[1, 2, 3]), "6."])
    assert not result.calls_right


async def test_objects_are_compared_key_by_key(tools_file: Path) -> None:
    """{"a": " X "} made matches {"a": "x"} needed; an extra key inside does not."""
    the_task = task(calls=[needs("total", values=[1], labels={"a": "x"})])
    same = await run_one(
        tools_file, the_task, [call("total", values=[1], labels={"a": " X "}), "1."]
    )
    more = await run_one(
        tools_file, the_task, [call("total", values=[1], labels={"a": "x", "b": "y"}), "1."]
    )
    assert (same.calls_right, more.calls_right) == (True, False)


async def test_arguments_the_task_does_not_list_are_not_compared(tools_file: Path) -> None:
    """A call with unit=fahrenheit matches a needed call that lists only the city."""
    the_task = task(calls=[needs("get_weather", city="Tokyo")])
    made = call("get_weather", city="Tokyo", unit="fahrenheit")
    result = await run_one(tools_file, the_task, [made, "64.4 F."])
    assert result.calls_right


async def test_one_made_call_matches_only_one_needed_call(tools_file: Path) -> None:
    """Two needed Tokyo calls are not both matched by one Tokyo call."""
    the_task = task(calls=[needs("get_weather", city="Tokyo")] * 2)
    result = await run_one(tools_file, the_task, [call("get_weather", city="Tokyo"), "18."])
    assert len(result.missing_calls) == 1


async def test_matching_finds_a_full_match_where_a_greedy_one_would_not(
    tools_file: Path,
) -> None:
    """Needed: any get_weather, then Tokyo; made: Tokyo, then Paris. Both are matched."""
    the_task = task(calls=[needs("get_weather"), needs("get_weather", city="Tokyo")])
    made = [call("get_weather", city="Tokyo"), call("get_weather", city="Paris")]
    result = await run_one(tools_file, the_task, [made, "18 and 12.5."])
    assert result.calls_right


async def test_needed_calls_match_in_any_order_and_any_turn(tools_file: Path) -> None:
    """Paris in the first turn and Tokyo in the second match needed Tokyo, Paris."""
    the_task = task(calls=[needs("get_weather", city="Tokyo"), needs("get_weather", city="Paris")])
    replies: list[Reply] = [
        call("get_weather", city="Paris"),
        call("get_weather", city="Tokyo"),
        "12.5 and 18.",
    ]
    result = await run_one(tools_file, the_task, replies)
    assert result.calls_right


async def test_extra_calls_are_allowed_and_counted(tools_file: Path) -> None:
    """A call no task needs still leaves the task right, and is counted as extra."""
    the_task = task(calls=[needs("get_weather", city="Tokyo")])
    made = [call("get_weather", city="Tokyo"), call("add", a=1, b=2)]
    result = await run_one(tools_file, the_task, [made, "18."])
    assert (result.calls_right, result.extra_calls, len(result.calls)) == (True, 1, 2)


async def test_a_call_with_invalid_arguments_matches_nothing(tools_file: Path) -> None:
    """A call with the right city but an argument of the wrong type did not run: no match."""
    the_task = task(calls=[needs("get_weather", city="Tokyo")])
    made = ToolCall("c1", "get_weather", '{"city": "Tokyo", "unit": ["c"]}')
    result = await run_one(tools_file, the_task, [made, "18."])
    assert not result.calls_right
    assert result.extra_calls == 1


async def test_a_call_whose_tool_raised_still_matches(tools_file: Path) -> None:
    """Asking for a city with no data is the right call, though the tool raises."""
    the_task = task(calls=[needs("get_weather", city="Atlantis")])
    result = await run_one(tools_file, the_task, [call("get_weather", city="Atlantis"), "No data."])
    assert result.calls_right


async def test_calls_are_recorded_with_their_arguments_as_read(tools_file: Path) -> None:
    """Repaired arguments are recorded as the tool read them, parsed."""
    made = ToolCall("c1", "get_weather", "{'city': 'Tokyo',}")
    result = await run_one(tools_file, task(), [made, "18."])
    assert result.calls == ({"name": "get_weather", "arguments": {"city": "Tokyo"}},)


# Answer and facts


async def test_a_run_stopped_by_its_limit_has_not_answered(tools_file: Path) -> None:
    """max_iterations reached: not answered, stop reason recorded, no success."""
    the_task = task(calls=[needs("get_weather", city="Tokyo")])
    result = await run_one(
        tools_file, the_task, [call("get_weather", city="Tokyo")], max_iterations=1
    )
    assert (result.answered, result.stop_reason, result.success) == (
        False,
        "max_iterations",
        False,
    )


async def test_an_empty_answer_is_not_answered(tools_file: Path) -> None:
    """A reply of only spaces ends the run as an answer, but answers nothing."""
    result = await run_one(tools_file, task(), ["  "])
    assert (result.stop_reason, result.answered) == ("answer", False)


async def test_a_fact_missing_from_the_answer_is_listed(tools_file: Path) -> None:
    """Each fact is searched in the answer; those not found are listed and fail facts_ok."""
    the_task = task(facts=[r"\b18\b", "(?i)paris"])
    result = await run_one(tools_file, the_task, ["Tokyo is at 18 degrees."])
    assert (result.facts_ok, result.facts_missed) == (False, ("(?i)paris",))


async def test_an_absent_pattern_found_in_the_answer_fails(tools_file: Path) -> None:
    """An answer that states what it must not (the list of known cities) fails facts_ok."""
    the_task = task(facts=["(?i)no weather"], absent=["(?i)known cities"])
    result = await run_one(tools_file, the_task, ["No weather there. Known cities: Tokyo."])
    assert (result.facts_ok, result.absent_matched) == (False, ("(?i)known cities",))


async def test_right_calls_answer_and_facts_make_a_success(tools_file: Path) -> None:
    """The calls needed, an answer, its facts and nothing absent: success."""
    the_task = task(
        calls=[needs("get_weather", city="Tokyo")], facts=[r"\b18\b"], absent=["(?i)paris"]
    )
    result = await run_one(
        tools_file, the_task, [call("get_weather", city="Tokyo"), "It is 18 C in Tokyo."]
    )
    assert result.success


async def test_facts_without_the_needed_calls_are_no_success(tools_file: Path) -> None:
    """An answer that guesses the facts without making the needed call does not succeed."""
    the_task = task(calls=[needs("get_weather", city="Tokyo")], facts=[r"\b18\b"])
    result = await run_one(tools_file, the_task, ["It is 18 C in Tokyo."])
    assert (result.facts_ok, result.answered, result.success) == (True, True, False)


async def test_usage_and_requests_are_recorded(tools_file: Path) -> None:
    """The result counts the run's model requests."""
    result = await run_one(tools_file, task(), [call("add", a=1, b=2), "3."])
    assert result.requests == 2


# Fresh, set-up tools per task


async def test_setup_calls_give_the_run_its_starting_state(tools_file: Path) -> None:
    """A todo added in setup is in the list the model's call returns."""
    the_task = task(setup=[needs("add_todo", title="Buy milk")], facts=["Buy milk"])
    result = await run_one(tools_file, the_task, echo_last_result)
    assert result.facts_ok, result.output


async def test_setup_calls_are_not_recorded_as_calls_made(tools_file: Path) -> None:
    """The model never made the setup calls: they are not among the run's calls."""
    the_task = task(setup=[needs("add_todo", title="Buy milk")])
    result = await run_one(tools_file, the_task, echo_last_result)
    assert [made["name"] for made in result.calls] == ["list_todos"]


async def test_each_task_starts_from_fresh_tools(tools_file: Path) -> None:
    """State one task set up (a todo) is gone in the next task."""
    tasks = [
        Task(id="first", prompt="List.", setup=(needs_call("add_todo", title="Buy milk"),)),
        Task(id="second", prompt="List.", absent=("Buy milk",)),
    ]
    model = ScriptedModel(echo_last_result)
    first, second = await run_tasks(tasks, tools_file, lambda tools: Agent(model, tools=tools))
    assert "Buy milk" in first.output
    assert second.facts_ok, second.output


async def test_a_failing_setup_call_is_a_configuration_error(tools_file: Path) -> None:
    """A setup call whose tool raises stops the run with the task and the call named."""
    the_task = task(setup=[needs("add_todo", title=" ")])
    with pytest.raises(ConfigurationError, match=r"Task 't1': the setup call add_todo"):
        await run_one(tools_file, the_task, ["never asked"])


async def test_a_needed_call_of_a_tool_the_file_lacks_fails_before_any_run(
    tools_file: Path,
) -> None:
    """A later task naming an unknown tool fails before the first task runs."""
    tasks = [
        Task(id="ok", prompt="Hi."),
        Task(id="bad", prompt="Hi.", calls=(needs_call("get_wether", city="Tokyo"),)),
    ]
    model = ScriptedModel(["Hello."])
    with pytest.raises(ConfigurationError, match=r"Task 'bad'.*no tool 'get_wether'"):
        await run_tasks(tasks, tools_file, lambda tools: Agent(model, tools=tools))
    assert model.requests == []


async def test_a_needed_argument_the_tool_does_not_take_fails_before_any_run(
    tools_file: Path,
) -> None:
    """A needed call with an argument its tool lacks is an error naming what it takes."""
    the_task = task(calls=[needs("get_weather", town="Tokyo")])
    with pytest.raises(ConfigurationError, match=r"takes no argument 'town' \(it takes: city"):
        await run_one(tools_file, the_task, ["never asked"])


async def test_setup_arguments_that_do_not_fit_fail_before_any_run(tools_file: Path) -> None:
    """A setup call with arguments of the wrong type is an error before the run."""
    the_task = task(setup=[needs("add_todo", title=["a", "b"])])
    with pytest.raises(ConfigurationError, match=r"do not fit add_todo's parameters"):
        await run_one(tools_file, the_task, ["never asked"])


# Runs that raise


async def test_a_run_that_raises_is_recorded_with_the_calls_it_made(tools_file: Path) -> None:
    """A provider failure after a call: the error is kept and the call still scored."""

    def fail_second(request: ModelRequest) -> Reply:
        if len(request.messages) > 1:
            model, msg = "scripted", "The model server went away."
            raise ProviderUnavailableError(model, msg)
        return call("get_weather", city="Tokyo")

    the_task = task(calls=[needs("get_weather", city="Tokyo")])
    result = await run_one(tools_file, the_task, fail_second)
    assert result.error is not None
    assert "went away" in result.error
    assert (result.calls_right, result.success, result.stop_reason) == (True, False, "error")


async def test_a_configuration_error_in_a_run_propagates(tools_file: Path) -> None:
    """A wrong setup of the program (the script runs out) is raised, not recorded."""
    with pytest.raises(ConfigurationError, match="ran out of replies"):
        await run_one(tools_file, task(), [])


async def test_on_item_sees_each_result_as_it_is_scored(tools_file: Path) -> None:
    """on_item is called once per task, in order."""
    seen: list[str] = []
    model = ScriptedModel(["One.", "Two."])
    tasks = [Task(id="a", prompt="1?"), Task(id="b", prompt="2?")]
    await run_tasks(
        tasks,
        tools_file,
        lambda tools: Agent(model, tools=tools),
        on_item=lambda result: seen.append(result.id),
    )
    assert seen == ["a", "b"]


# Scoring without a run, and the figures


def test_a_run_that_raised_without_a_result_scores_nothing_made() -> None:
    """No result at all: no calls, no answer, the error kept."""
    result = score_task(task(calls=[needs("add", a=1)]), None, "boom", 0.5)
    assert (result.calls, result.answered, result.stop_reason, result.error) == (
        (),
        False,
        None,
        "boom",
    )


def test_summaries_are_per_split_overall_and_per_tag() -> None:
    """Rates and counts per split (train first), for all, and per tag."""
    results = [
        score_task(task(id="a", split="test", tags=["x"]), None, "boom", 1.0),
        score_task(task(id="b", tags=["x", "y"]), None, None, 3.0),
    ]
    report = summarize_tasks(results)
    assert list(report.splits) == ["train", "test"]
    assert (report.overall.tasks, report.overall.errors, report.overall.mean_seconds) == (
        2,
        1,
        2.0,
    )
    assert (report.tags["x"].tasks, report.tags["y"].tasks) == (2, 1)


async def test_summary_rates_are_shares_of_the_tasks(tools_file: Path) -> None:
    """One task of two succeeds, both answer, one makes its call: 50%, 100%, 50%."""
    tasks = [
        Task(id="a", prompt="1?", facts=("One",)),
        Task(id="b", prompt="2?", calls=(needs_call("add", a=1, b=1),)),
    ]
    model = ScriptedModel(["One.", "Two."])
    results = await run_tasks(tasks, tools_file, lambda tools: Agent(model, tools=tools))
    overall = summarize_tasks(results).overall
    assert (overall.success_rate, overall.answered_rate, overall.calls_right_rate) == (
        0.5,
        1.0,
        0.5,
    )


def test_a_result_is_one_line_of_json() -> None:
    """to_json writes one line that reads back to the same fields."""
    result = score_task(task(tags=["x"]), None, "line one\nline two", 1.5)
    line = result.to_json()
    assert "\n" not in line
    assert json.loads(line)["error"] == "line one\nline two"
    assert json.loads(line)["tags"] == ["x"]
