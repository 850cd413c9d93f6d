import asyncio
import threading
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, Field

from switchboard import (
    ConfigurationError,
    Denial,
    ExecutorState,
    RetryPolicy,
    RunContext,
    Tool,
    Toolbox,
    ToolCall,
    ToolError,
    ToolResult,
)
from switchboard.execution import executor as executor_module

pytestmark = pytest.mark.anyio


def add(a: int, b: int) -> int:
    """Add two integers."""
    return a + b


def call(name: str, arguments: Any = "{}", id: str = "c1") -> ToolCall:
    return ToolCall(id=id, name=name, arguments=arguments)


async def test_results_come_back_in_call_order_when_calls_finish_out_of_order() -> None:
    """The first call finishes last, yet results keep the calls' order and ids."""
    second_done = asyncio.Event()
    finished: list[str] = []

    async def slow(tag: str) -> str:
        """Finishes after 'fast'."""
        await second_done.wait()
        finished.append(tag)
        return tag

    async def fast(tag: str) -> str:
        """Finishes first."""
        finished.append(tag)
        second_done.set()
        return tag

    tools = Toolbox([slow, fast])
    results = await tools.execute(
        [call("slow", '{"tag": "s"}', "a"), call("fast", '{"tag": "f"}', "b")]
    )
    assert finished == ["f", "s"]
    assert [(r.call_id, r.content) for r in results] == [("a", "s"), ("b", "f")]


async def test_one_call_hanging_past_its_timeout_does_not_affect_fifty_others() -> None:
    """A hung call gets a timeout result; the 50 others all succeed."""

    async def hang() -> None:
        """Never returns."""
        await asyncio.Event().wait()

    tools = Toolbox([add])
    tools.register(hang, timeout=0.05)
    calls = [call("hang", "{}", "hang")] + [
        call("add", f'{{"a": {i}, "b": 1}}', f"c{i}") for i in range(50)
    ]
    results = await tools.execute(calls, max_concurrency=100)
    assert results[0].error_kind == "timeout"
    assert "within its 0.05 s time limit" in results[0].content
    assert [r.content for r in results[1:]] == [str(i + 1) for i in range(50)]
    assert not any(r.is_error for r in results[1:])


async def test_batch_timeout_stops_only_the_calls_still_running() -> None:
    """Past the batch's limit, unfinished calls time out and finished ones keep results."""

    async def hang() -> None:
        """Never returns."""
        await asyncio.Event().wait()

    tools = Toolbox([add, hang])
    results = await tools.execute(
        [call("hang"), call("add", '{"a": 1, "b": 2}', "c2")], timeout=0.05
    )
    assert (results[0].error_kind, results[1].content) == ("timeout", "3")
    assert "batch's time limit" in results[0].content


async def test_cancelling_the_run_propagates_and_is_not_swallowed() -> None:
    """Cancelling execute() cancels the tools and raises CancelledError to the caller."""
    started = asyncio.Event()
    cancelled = asyncio.Event()

    async def wait_forever() -> None:
        """Waits until cancelled."""
        started.set()
        try:
            await asyncio.Event().wait()
        except asyncio.CancelledError:
            cancelled.set()
            raise

    tools = Toolbox([wait_forever, add])
    task = asyncio.create_task(
        tools.execute([call("wait_forever"), call("add", '{"a": 1, "b": 1}', "c2")])
    )
    await started.wait()
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert cancelled.is_set()


def test_keyboard_interrupt_from_a_tool_propagates() -> None:
    """KeyboardInterrupt is never turned into an error result."""

    def interrupt() -> None:
        """Raises KeyboardInterrupt."""
        raise KeyboardInterrupt

    tools = Toolbox()
    tools.register(interrupt, inline=True)
    with pytest.raises(KeyboardInterrupt):
        tools.execute_sync([call("interrupt")])


class PeakCounter:
    """A tool body that records how many copies run at once.

    The first ``expected`` callers wait until all of them are running, so a correct cap
    is reached exactly, and an exceeded one shows as a higher peak.
    """

    def __init__(self, expected: int) -> None:
        self.expected = expected
        self.active = self.peak = 0
        self.gate = asyncio.Event()

    async def work(self) -> None:
        """Counts how many run at once."""
        self.active += 1
        self.peak = max(self.peak, self.active)
        if self.active == self.expected:
            self.gate.set()
        await self.gate.wait()
        await asyncio.sleep(0)
        self.active -= 1


async def test_observed_concurrency_never_exceeds_the_batch_cap() -> None:
    """With 40 calls and max_concurrency=5, at most 5 run at once, and 5 do."""
    counter = PeakCounter(5)
    tools = Toolbox()
    tools.register(name="work")(counter.work)
    results = await tools.execute(
        [call("work", "{}", str(i)) for i in range(40)], max_concurrency=5
    )
    assert len(results) == 40
    assert counter.peak == 5


async def test_calls_that_never_wait_run_in_the_callers_task() -> None:
    """A batch of calls that never wait starts no worker task: each runs in the caller's."""
    tasks: list[asyncio.Task[Any] | None] = []

    async def whose() -> None:
        """Records the task it runs in."""
        tasks.append(asyncio.current_task())

    tools = Toolbox([whose])
    await tools.execute([call("whose", "{}", str(i)) for i in range(20)], max_concurrency=4)
    assert tasks == [asyncio.current_task()] * 20


async def test_per_tool_concurrency_limit_applies_within_the_batch() -> None:
    """A tool with max_concurrency=2 never runs more than 2 at once, while others run freely."""
    counter = PeakCounter(2)
    tools = Toolbox([add])
    tools.register(name="limited", max_concurrency=2)(counter.work)
    calls = [call("limited", "{}", f"l{i}") for i in range(10)] + [
        call("add", '{"a": 1, "b": 1}', "x")
    ]
    results = await tools.execute(calls, max_concurrency=50)
    assert counter.peak == 2
    assert not any(r.is_error for r in results)


async def test_sequential_calls_run_one_at_a_time_in_order_after_the_others() -> None:
    """Sequential tools run in call order, after the batch's concurrent calls finish."""
    log: list[str] = []

    async def write(key: str) -> str:
        """Changes shared state."""
        log.append(f"write:{key}")
        await asyncio.sleep(0)
        log.append(f"done:{key}")
        return key

    async def read() -> int:
        """Reads."""
        log.append("read")
        return len(log)

    tools = Toolbox([read])
    tools.register(write, sequential=True)
    calls = [
        call("write", '{"key": "1"}', "w1"),
        call("read", "{}", "r"),
        call("write", '{"key": "2"}', "w2"),
    ]
    results = await tools.execute(calls)
    assert log == ["read", "write:1", "done:1", "write:2", "done:2"]
    assert [r.call_id for r in results] == ["w1", "r", "w2"]


async def test_a_batch_of_only_sequential_calls_runs_each_call_once_in_order() -> None:
    """With no concurrent calls beside them, sequential calls still run once each, in order."""
    log: list[str] = []

    async def write(key: str) -> str:
        """Changes shared state."""
        log.append(key)
        await asyncio.sleep(0)
        return key

    tools = Toolbox()
    tools.register(write, sequential=True)
    results = await tools.execute([call("write", f'{{"key": "{k}"}}', k) for k in "abc"])
    assert log == ["a", "b", "c"]
    assert [r.content for r in results] == ["a", "b", "c"]


async def test_unknown_tool_is_an_error_result_naming_close_matches() -> None:
    """An unknown name lists the closest names and all tools, without raising."""
    tools = Toolbox([add])
    (result,) = await tools.execute([call("ad", '{"a": 1}')])
    assert result.error_kind == "unknown_tool"
    assert (
        result.content == "There is no tool named 'ad'. Did you mean 'add'? Available tools: add."
    )


async def test_unparsable_arguments_are_an_error_result_for_the_model() -> None:
    """Arguments that are not JSON give an 'unparsable' result saying what to send."""
    (result,) = await Toolbox([add]).execute([call("add", "a equals one")])
    assert result.error_kind == "unparsable"
    assert "one JSON object" in result.content


async def test_repaired_arguments_run_and_record_each_repair() -> None:
    """A fenced object with a trailing comma runs, and the repairs are on the result."""
    raw = '```json\n{"a": 2, "b": 3,}\n```'
    (result,) = await Toolbox([add]).execute([call("add", raw)])
    assert (result.content, result.repaired) == ("5", ("code_fence", "trailing_comma"))


async def test_truncated_arguments_are_closed_only_when_they_validate() -> None:
    """A cut-off object runs when closing it gives valid arguments, and fails otherwise."""

    def greet(name: str, punctuation: str = "!") -> str:
        """Greet."""
        return name + punctuation

    tools = Toolbox([greet])
    ok, bad = await tools.execute(
        [call("greet", '{"name": "Ada", "punctuation": "?"', "1"), call("greet", '{"na', "2")]
    )
    assert (ok.content, ok.repaired) == ("Ada?", ("truncated",))
    assert bad.error_kind == "unparsable"


async def test_invalid_arguments_list_path_expectation_and_value() -> None:
    """Validation failures give the path, what was expected and what was received."""
    (result,) = await Toolbox([add]).execute([call("add", '{"a": "one"}')])
    assert result.error_kind == "invalid"
    assert result.content == (
        "Invalid arguments for add:\n"
        "- a: Input should be a valid integer, unable to parse string as an integer "
        '(received "one")\n'
        "- b: missing, but required\n"
        "Call add again with these fixed."
    )


async def test_lax_numbers_as_strings_are_accepted_unless_strict_validation() -> None:
    """'3' passes as 3 by Pydantic's lax rules; strict_validation refuses it."""

    def double(n: int) -> int:
        """Double."""
        return 2 * n

    tools = Toolbox([double])
    tools.register(name="double_strict", strict_validation=True)(double)
    lax, strict = await tools.execute(
        [call("double", '{"n": "3"}', "1"), call("double_strict", '{"n": "3"}', "2")]
    )
    assert lax.content == "6"
    assert strict.error_kind == "invalid"


async def test_a_key_given_twice_in_clean_json_is_refused_not_read_as_the_last() -> None:
    """A repeated key is unparsable, though one-pass parsers keep its last value."""
    (result,) = await Toolbox([add]).execute([call("add", '{"a": 1, "a": 2, "b": 3}')])
    assert result.error_kind == "unparsable"
    assert "'a'" in result.content


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
async def test_nan_and_infinity_are_refused_for_a_parameter_of_any_type(literal: str) -> None:
    """NaN and Infinity are not JSON: refused even where the parameter takes any value."""

    def echo(value: Any) -> str:
        """Echo."""
        return repr(value)

    (result,) = await Toolbox([echo]).execute([call("echo", f'{{"value": {literal}}}')])
    assert result.error_kind == "unparsable"


async def test_colons_in_strings_and_nested_objects_are_read_as_sent() -> None:
    """Colons inside strings and keys of nested objects are not taken for repeated keys."""

    def visit(url: str, at: dict[str, int]) -> str:
        """Visit."""
        return f"{url} {at}"

    arguments = '{"url": "http://example.com:80/a", "at": {"h": 9, "m": 30}}'
    (result,) = await Toolbox([visit]).execute([call("visit", arguments)])
    assert (result.is_error, result.content) == (False, "http://example.com:80/a {'h': 9, 'm': 30}")


async def test_an_unknown_key_in_clean_json_is_invalid_as_in_a_mapping() -> None:
    """A key the tool does not take is refused, with the message a mapping gets."""
    text, mapping = await Toolbox([add]).execute(
        [call("add", '{"a": 1, "b": 2, "c": 3}', "1"), call("add", {"a": 1, "b": 2, "c": 3}, "2")]
    )
    assert text.error_kind == "invalid"
    assert text.content == mapping.content


async def test_a_parameter_renamed_for_its_model_reaches_the_handler_by_its_own_name() -> None:
    """A parameter whose name cannot be a field name (``json``) gets its value."""

    def dump(json: str) -> str:
        """Dump."""
        return json.upper()

    (result,) = await Toolbox([dump]).execute([call("dump", '{"json": "x"}')])
    assert result.content == "X"


async def test_null_for_an_optional_parameter_runs_with_its_default() -> None:
    """Strict-mode null for an omitted optional runs the tool with the default."""

    def power(base: int, exp: int = 2) -> int:
        """Power."""
        return base**exp

    (result,) = await Toolbox([power]).execute([call("power", '{"base": 3, "exp": null}')])
    assert result.content == "9"


async def test_dict_arguments_from_providers_that_parse_them_are_accepted() -> None:
    """Anthropic and Gemini send arguments as objects: they run as they are."""
    (result,) = await Toolbox([add]).execute([call("add", {"a": 4, "b": 4})])
    assert (result.content, result.repaired) == ("8", ())


async def test_empty_string_is_accepted_for_a_tool_without_parameters() -> None:
    """An empty argument string calls a no-parameter tool, recording the repair."""

    def now() -> str:
        """The time."""
        return "noon"

    (result,) = await Toolbox([now]).execute([call("now", "")])
    assert (result.content, result.repaired) == ("noon", ("empty",))


async def test_exception_from_a_tool_is_an_error_result_with_type_and_message() -> None:
    """A raising tool gives a 'raised' result; the exception does not escape."""

    def boom(x: int) -> None:
        """Fails."""
        msg = f"bad x={x}"
        raise ValueError(msg)

    (result,) = await Toolbox([boom]).execute([call("boom", '{"x": 1}')])
    assert (result.error_kind, result.content) == ("raised", "boom raised ValueError: bad x=1")


async def test_tool_error_message_reaches_the_model_as_written() -> None:
    """A tool raising ToolError fails its call with exactly that message, no type around it."""

    def refuse(city: str) -> str:
        """Refuses."""
        message = f"{city} is not served. Try a capital."
        raise ToolError(message)

    (result,) = await Toolbox([refuse]).execute([call("refuse", '{"city": "Gotham"}')])
    assert (result.error_kind, result.content) == ("raised", "Gotham is not served. Try a capital.")


async def test_error_formatter_sees_a_tool_error_first() -> None:
    """format_error still writes the message of a ToolError when it returns one."""

    def refuse() -> None:
        """Refuses."""
        message = "no"
        raise ToolError(message)

    (result,) = await Toolbox([refuse]).execute(
        [call("refuse")], format_error=lambda error, tool: f"custom: {error}"
    )
    assert result.content == "custom: no"


async def test_error_formatter_hook_writes_the_message() -> None:
    """format_error maps exceptions to the model's message; None keeps the default."""

    def boom() -> None:
        """Fails."""
        raise PermissionError

    def fmt(error: Exception, tool: Tool) -> str | None:
        return "Not allowed: ask the user." if isinstance(error, PermissionError) else None

    (result,) = await Toolbox([boom]).execute([call("boom")], format_error=fmt)
    assert result.content == "Not allowed: ask the user."


async def test_retryable_exceptions_are_retried_until_success() -> None:
    """A tool failing twice with a retryable error succeeds on its third try."""
    tries = 0

    def flaky() -> str:
        """Fails twice."""
        nonlocal tries
        tries += 1
        if tries < 3:
            raise ConnectionError
        return "ok"

    tools = Toolbox()
    tools.register(flaky, retry=RetryPolicy(attempts=3, base=0, retry_on=(ConnectionError,)))
    (result,) = await tools.execute([call("flaky")])
    assert (result.content, tries) == ("ok", 3)


async def test_non_retryable_exceptions_fail_at_once() -> None:
    """An exception outside retry_on is returned after one try."""
    tries = 0

    def broken() -> None:
        """Fails."""
        nonlocal tries
        tries += 1
        raise ValueError

    tools = Toolbox()
    tools.register(broken, retry=RetryPolicy(attempts=5, base=0, retry_on=(ConnectionError,)))
    (result,) = await tools.execute([call("broken")])
    assert (result.error_kind, tries) == ("raised", 1)


async def test_model_failures_past_max_retries_are_exhausted_and_success_resets() -> None:
    """The third failing call in a row with max_retries=1 says stop; a success resets."""
    tools = Toolbox()
    tools.register(add, max_retries=1)
    state = ExecutorState()
    bad = [call("add", '{"a": "x"}')]
    first = (await tools.execute(bad, state=state))[0]
    second = (await tools.execute(bad, state=state))[0]
    assert (first.error_kind, second.error_kind) == ("invalid", "retries_exhausted")
    assert "Do not call it again" in second.content
    await tools.execute([call("add", '{"a": 1, "b": 1}')], state=state)
    assert (await tools.execute(bad, state=state))[0].error_kind == "invalid"


async def test_before_hook_denies_a_call() -> None:
    """A before-hook returning Denial gives a 'denied' result and the tool never runs."""
    ran = False

    def delete(path: str) -> None:
        """Deletes."""
        nonlocal ran
        ran = True

    def guard(c: ToolCall, tool: Tool) -> Denial | None:
        assert isinstance(c.arguments, dict)
        return Denial("system paths are off limits") if c.arguments["path"] == "/" else None

    (result,) = await Toolbox([delete]).execute([call("delete", '{"path": "/"}')], before=[guard])
    assert (result.error_kind, ran) == ("denied", False)
    assert result.content == "The call was denied: system paths are off limits"


async def test_before_hook_rewrites_a_call() -> None:
    """A before-hook returning a ToolCall runs that call instead, under the original id."""

    async def clamp(c: ToolCall, tool: Tool) -> ToolCall:
        return ToolCall(c.id, c.name, {"a": 100, "b": 0})

    (result,) = await Toolbox([add]).execute([call("add", '{"a": 1, "b": 2}', "k")], before=[clamp])
    assert (result.call_id, result.content) == ("k", "100")


async def test_after_hook_rewrites_a_result() -> None:
    """An after-hook's result replaces the tool's."""

    def redact(c: ToolCall, r: ToolResult) -> ToolResult:
        return ToolResult(r.call_id, r.name, "[redacted]")

    (result,) = await Toolbox([add]).execute([call("add", '{"a": 1, "b": 2}')], after=[redact])
    assert result.content == "[redacted]"


async def test_hook_that_raises_fails_only_its_call() -> None:
    """A broken hook turns its call into an error result; other calls still run."""

    def hook(c: ToolCall, tool: Tool) -> None:
        if c.id == "bad":
            msg = "hook bug"
            raise RuntimeError(msg)

    results = await Toolbox([add]).execute(
        [call("add", '{"a": 1, "b": 1}', "bad"), call("add", '{"a": 2, "b": 2}', "good")],
        before=[hook],
    )
    assert results[0].is_error
    assert "hook bug" in results[0].content
    assert results[1].content == "4"


async def test_requires_approval_asks_the_approver() -> None:
    """Calls of a requires_approval tool run only when the approver says yes."""

    def pay(amount: int) -> str:
        """Pays."""
        return f"paid {amount}"

    tools = Toolbox()
    tools.register(pay, requires_approval=True)
    calls = [call("pay", '{"amount": 5}', "small"), call("pay", '{"amount": 500}', "big")]

    async def approve(c: ToolCall, tool: Tool) -> bool:
        return isinstance(c.arguments, dict) and c.arguments["amount"] < 100

    small, big = await tools.execute(calls, approve=approve)
    assert small.content == "paid 5"
    assert (big.error_kind, big.content) == ("denied", "The user did not approve this call to pay.")


async def test_requires_approval_without_approver_is_denied() -> None:
    """With no approver configured, a call needing approval is denied, not run."""

    def pay(amount: int) -> str:
        """Pays."""
        return "paid"

    tools = Toolbox()
    tools.register(pay, requires_approval=True)
    (result,) = await tools.execute([call("pay", '{"amount": 1}')])
    assert result.error_kind == "denied"


async def test_run_context_is_injected_with_deps_and_call_id() -> None:
    """A RunContext parameter receives the deps, tool name and call id."""

    def whoami(ctx: RunContext[str], loud: bool = False) -> str:
        """Who."""
        text = f"{ctx.deps}/{ctx.tool_name}/{ctx.call_id}"
        return text.upper() if loud else text

    (result,) = await Toolbox([whoami]).execute([call("whoami", "{}", "id7")], deps="ada")
    assert result.content == "ada/whoami/id7"


async def test_sync_tools_run_in_worker_threads_unless_inline() -> None:
    """Sync handlers leave the event loop's thread by default; inline ones stay on it."""

    def where() -> int:
        """Thread id."""
        return threading.get_ident()

    tools = Toolbox([where])
    tools.register(name="where_inline", inline=True)(where)
    threaded, inline = await tools.execute(
        [call("where", "{}", "1"), call("where_inline", "{}", "2")]
    )
    assert threaded.value != threading.get_ident()
    assert inline.value == threading.get_ident()


async def test_results_are_serialised_compactly_and_truncated() -> None:
    """Models and dicts become compact JSON; long text is cut with a marker."""

    class Reading(BaseModel):
        city: str
        temp: float

    def reading() -> Reading:
        """Reads."""
        return Reading(city="Oslo", temp=-2.5)

    def big() -> str:
        """Big."""
        return "y" * 100

    first, second = await Toolbox([reading, big]).execute(
        [call("reading", "{}", "1"), call("big", "{}", "2")], max_result_chars=10
    )
    assert first.content == '{"city":"Oslo","temp":-2.5}'[:10] + (
        "\n[truncated: 10 of 27 characters shown]"
    )
    assert second.content == "y" * 10 + "\n[truncated: 10 of 100 characters shown]"
    assert first.value == Reading(city="Oslo", temp=-2.5)


async def test_model_and_schema_tools_run() -> None:
    """Model tools get the instance; raw-schema tools get validated keyword arguments."""

    class Query(BaseModel):
        q: Annotated[str, Field(min_length=1)]

    def search(query: Query) -> str:
        return query.q.upper()

    def sql(statement: str) -> str:
        return statement[::-1]

    schema = {"type": "object", "properties": {"statement": {"type": "string"}}}
    tools = Toolbox([Tool.from_model(Query, search, name="search")])
    tools.add(Tool.from_schema("sql", "Run SQL.", schema, sql))
    a, b, c = await tools.execute(
        [
            call("search", '{"q": "hi"}', "1"),
            call("sql", '{"statement": "abc"}', "2"),
            call("sql", '{"statement": 5}', "3"),
        ]
    )
    assert (a.content, b.content, c.error_kind) == ("HI", "cba", "invalid")


async def test_positional_only_parameters_are_passed_by_position() -> None:
    """A function with positional-only parameters is called correctly."""

    def div(a: float, b: float, /) -> float:
        """Divide."""
        return a / b

    (result,) = await Toolbox([div]).execute([call("div", '{"a": 9, "b": 3}')])
    assert result.content == "3.0"


async def test_execute_sync_inside_a_running_loop_is_refused() -> None:
    """execute_sync() in async code says to await execute() instead."""
    with pytest.raises(ConfigurationError, match=r"await toolbox\.execute"):
        Toolbox([add]).execute_sync([call("add")])


def test_executor_settings_are_checked() -> None:
    """A zero concurrency cap or a negative timeout is refused before anything runs."""
    with pytest.raises(ConfigurationError, match="max_concurrency"):
        Toolbox([add]).execute_sync([call("add")], max_concurrency=0)
    with pytest.raises(ConfigurationError, match="timeout"):
        Toolbox([add]).execute_sync([call("add")], timeout=-1)


async def test_a_list_default_reaches_each_call_as_its_own_copy() -> None:
    """A parameter's list default is a fresh copy on every call, as validation gives it."""

    def collect(item: int, seen: list[int] = []) -> int:  # noqa: B006 - sharing is the point
        """Adds an item to its default list."""
        seen.append(item)
        return len(seen)

    results = await Toolbox([collect]).execute(
        [call("collect", '{"item": 1}', "a"), call("collect", '{"item": 2}', "b")]
    )
    assert [result.content for result in results] == ["1", "1"]


class _Clock:
    """A clock that moves only when a tool or hook says so."""

    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def _clocked_tools(clock: _Clock) -> Toolbox:
    async def slow(n: int) -> int:
        """Takes 5 s."""
        clock.now += 5.0
        return n

    async def quick(n: int) -> int:
        """Takes 2 s."""
        clock.now += 2.0
        return n

    return Toolbox([slow, quick])


@pytest.mark.parametrize("arguments", ['{"n": 1}', '{"n": 1,}'], ids=["clean", "repaired"])
async def test_a_calls_duration_is_its_own_run_not_the_call_before_it(
    monkeypatch: pytest.MonkeyPatch, arguments: str
) -> None:
    """Calls run one after another report each its own time, after a clean or a repaired call."""
    clock = _Clock()
    monkeypatch.setattr(executor_module, "_now", clock)
    results = await _clocked_tools(clock).execute(
        [call("slow", arguments, "a"), call("quick", '{"n": 2}', "b")]
    )
    assert [(result.content, result.duration) for result in results] == [("1", 5.0), ("2", 2.0)]


async def test_an_after_hooks_time_is_not_counted_in_the_next_calls_duration(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The time an after-hook takes on one result is no part of the next call's duration."""
    clock = _Clock()
    monkeypatch.setattr(executor_module, "_now", clock)

    def slow_hook(call: ToolCall, result: ToolResult) -> None:
        clock.now += 10.0

    results = await _clocked_tools(clock).execute(
        [call("slow", '{"n": 1}', "a"), call("quick", '{"n": 2}', "b")], after=[slow_hook]
    )
    assert [result.duration for result in results] == [5.0, 2.0]
