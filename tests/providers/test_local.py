"""LocalProvider running the real embedded model (SmolLM2-135M-Instruct) in-process.

No mocks: every test decodes with llama.cpp. Replies are kept short (``max_tokens``),
greedy and seeded so that the file runs in well under a minute on two cores.
"""

import asyncio
import json
import os
import subprocess
import sys
from collections.abc import AsyncGenerator
from contextlib import aclosing
from pathlib import Path
from typing import cast

import numpy as np
import pytest

from switchboard.agent import Agent
from switchboard.errors import ConfigurationError, ProviderRequestError
from switchboard.evals.bfcl import from_bfcl, load_bfcl
from switchboard.execution.toolbox import Toolbox
from switchboard.messages import AssistantTurn, Message, ToolCall, ToolResult, UserMessage
from switchboard.providers.base import AllowedTools, ModelRequest, ModelResponse, ModelSettings
from switchboard.providers.embedded import embedded_model_path
from switchboard.providers.local import LocalProvider
from switchboard.providers.local.generation import _LineAfter  # pyright: ignore[reportPrivateUsage]
from switchboard.providers.local.prompt import PROVIDER, parse_reply
from switchboard.providers.local.provider import REPAIR_ATTEMPTS
from switchboard.providers.local.restate import restatement
from switchboard.providers.local.sampling import closing_reserve
from switchboard.providers.local.techniques import LocalTechniques
from switchboard.providers.local.waiting import SPIN_COUNT
from switchboard.providers.models import resolve_model
from switchboard.streaming.events import (
    RunEnd,
    StreamEvent,
    TextDelta,
    ToolCallDelta,
    ToolCallReady,
    ToolCallStart,
    ToolResultEvent,
    TurnEnd,
)
from switchboard.tools.tool import Tool
from switchboard.tools_file import load_toolbox

pytestmark = pytest.mark.anyio

EXAMPLES = Path(__file__).parents[2] / "examples"

SETTINGS = ModelSettings(max_tokens=48, temperature=0.0, seed=1)
"""Short, greedy and seeded: fast and repeatable."""


async def warm_complete(provider: LocalProvider, request: ModelRequest) -> ModelResponse:
    """complete()'s reply to a request made once already.

    A prompt read from llama.cpp's cache (all but its last token kept from the request
    before) can decode a near tie otherwise than a prompt read anew: compare replies
    that were both read from the cache.
    """
    await provider.complete(request)
    return await provider.complete(request)


@pytest.fixture(scope="module")
def provider() -> LocalProvider:
    # One thread: on a shared two-core machine llama.cpp's spinning threads slow each other.
    return LocalProvider(n_threads=1)


@pytest.fixture(scope="module")
def weather() -> Toolbox:
    return load_toolbox(EXAMPLES / "weather.py")


async def test_forced_call_to_get_weather_validates(
    provider: LocalProvider, weather: Toolbox
) -> None:
    """tool_choice naming get_weather yields one call of it whose arguments validate."""
    request = ModelRequest(
        [UserMessage("What is the weather in Paris?")],
        list(weather),
        "get_weather",
        settings=SETTINGS,
    )
    response = await provider.complete(request)
    [call] = response.turn.tool_calls
    assert (call.name, response.stop_reason, response.turn.text) == (
        "get_weather",
        "tool_calls",
        "",
    )
    assert isinstance(call.arguments, str)
    arguments = weather.get("get_weather").validate(json.loads(call.arguments))
    assert isinstance(arguments["city"], str)
    assert response.usage.input_tokens > 0
    assert response.usage.output_tokens > 0
    assert response.usage.requests == 1


async def test_required_allowed_tools_call_only_the_allowed_tool(
    provider: LocalProvider, weather: Toolbox
) -> None:
    """AllowedTools(required) over both weather tools: the one call is of the allowed tool."""
    request = ModelRequest(
        [UserMessage("What is the weather in Paris?")],
        list(weather),
        AllowedTools(["get_forecast"], required=True),
        settings=SETTINGS,
    )
    response = await provider.complete(request)
    assert [call.name for call in response.turn.tool_calls] == ["get_forecast"]


async def test_auto_loop_completes_on_the_weather_example(
    provider: LocalProvider, weather: Toolbox
) -> None:
    """With tool_choice auto, a run over examples/weather.py ends with an answer."""
    agent = Agent(provider, tools=weather, settings=SETTINGS, max_iterations=4)
    result = await agent.run("What's the weather in Tokyo and Paris?")
    assert result.stop_reason == "answer"
    assert result.output
    assert result.usage.requests == len(result.steps)


async def test_streamed_run_on_the_weather_example_completes(
    provider: LocalProvider, weather: Toolbox
) -> None:
    """Agent.run_stream over examples/weather.py ends with an answer, its text streamed.

    Each reply's events end as the step records it, and every call made is run.
    """
    agent = Agent(provider, tools=weather, settings=SETTINGS, max_iterations=4)
    events = [event async for event in agent.run_stream("What's the weather in Tokyo and Paris?")]
    end = events[-1]
    assert isinstance(end, RunEnd)
    result = end.result
    # How long the answer runs depends on what llama.cpp's cache kept from the tests before.
    assert result.stop_reason in ("answer", "length")
    assert result.output
    assert "".join(e.text for e in events if isinstance(e, TextDelta)) == result.output
    ends = [e.response for e in events if isinstance(e, TurnEnd)]
    assert ends == [step.response for step in result.steps]
    ready = [e.call.id for e in events if isinstance(e, ToolCallReady)]
    assert ready == [
        r.call_id for e in events if isinstance(e, ToolResultEvent) for r in [e.result]
    ]


async def test_every_call_of_the_first_20_bfcl_simple_python_tools_validates(
    provider: LocalProvider,
) -> None:
    """Under required, each of BFCL simple_python's first 20 tools gets a call that validates."""
    invalid: list[str] = []
    for entry in load_bfcl("simple_python")[:20]:
        tool = from_bfcl(entry["function"][0])
        question = entry["question"][0][-1]["content"]
        request = ModelRequest(
            [UserMessage(question)],
            [tool],
            "required",
            settings=ModelSettings(max_tokens=96, temperature=0.0, seed=1),
        )
        response = await provider.complete(request)
        calls = response.turn.tool_calls
        if len(calls) != 1 or calls[0].name != tool.name:
            invalid.append(f"{entry['id']}: {response.turn}")
            continue
        assert isinstance(calls[0].arguments, str)
        if not tool.accepts(json.loads(calls[0].arguments)):
            invalid.append(f"{entry['id']}: {calls[0].arguments}")
    assert invalid == []


async def test_none_gives_plain_text_without_calls(
    provider: LocalProvider, weather: Toolbox
) -> None:
    """tool_choice none decodes without the grammar: text, no calls."""
    request = ModelRequest([UserMessage("Say hello.")], list(weather), "none", settings=SETTINGS)
    response = await provider.complete(request)
    assert response.turn.tool_calls == ()
    assert response.turn.text
    assert response.stop_reason in ("answer", "length")


async def test_same_seed_and_prompt_give_the_same_reply(
    provider: LocalProvider, weather: Toolbox
) -> None:
    """Sampling at temperature 0.8 with one seed twice yields the same text."""
    settings = ModelSettings(max_tokens=16, temperature=0.8, seed=7)
    request = ModelRequest([UserMessage("Name a city.")], [], "auto", settings=settings)
    first = await provider.complete(request)
    second = await provider.complete(request)
    assert first.turn.text == second.turn.text


async def test_max_tokens_stops_with_length(provider: LocalProvider) -> None:
    """A reply cut by max_tokens reports stop reason length and that many output tokens."""
    request = ModelRequest(
        [UserMessage("Write a long story about a dragon.")],
        settings=ModelSettings(max_tokens=4, temperature=0.0),
    )
    response = await provider.complete(request)
    assert (response.stop_reason, response.usage.output_tokens) == ("length", 4)


async def test_streamed_call_arrives_in_fragments_and_ends_as_complete_gives_it(
    provider: LocalProvider, weather: Toolbox
) -> None:
    """A forced call streams: start, several argument fragments, complete()'s call and reply."""
    request = ModelRequest(
        [UserMessage("Weather in London?")], list(weather), "get_weather", settings=SETTINGS
    )
    expected = await warm_complete(provider, request)
    events = [event async for event in provider.stream(request, partial_args=True)]
    [call] = expected.turn.tool_calls
    assert events[0] == ToolCallStart(call.id, "get_weather")
    deltas = [e for e in events if isinstance(e, ToolCallDelta)]
    assert len(deltas) > 1
    assert {e.id for e in deltas} == {call.id}
    assert all(e.partial_args is not None for e in deltas)
    assert isinstance(call.arguments, str)
    assert json.loads("".join(e.fragment for e in deltas)) == json.loads(call.arguments)
    assert [e for e in events if isinstance(e, ToolCallReady)] == [ToolCallReady(call)]
    end = events[-1]
    assert isinstance(end, TurnEnd)
    assert (end.response, end.usage, end.stop_reason) == (
        expected,
        expected.usage,
        expected.stop_reason,
    )


@pytest.mark.parametrize("tool_choice", ["none", "auto"])
async def test_streamed_text_arrives_token_by_token_and_ends_as_complete_gives_it(
    provider: LocalProvider, weather: Toolbox, tool_choice: str
) -> None:
    """A text reply streams as many deltas that join to complete()'s text."""
    request = ModelRequest(
        [UserMessage("Write a story about a dragon.")],
        list(weather) if tool_choice == "auto" else [weather.get("get_weather")],
        tool_choice,
        settings=ModelSettings(max_tokens=12, temperature=0.0, seed=1),
    )
    expected = await warm_complete(provider, request)
    events = [event async for event in provider.stream(request)]
    deltas = [e.text for e in events if isinstance(e, TextDelta)]
    assert len(deltas) > 1
    assert "".join(deltas) == expected.turn.text
    assert [type(e) for e in events[len(deltas) :]] == [TurnEnd]
    end = events[-1]
    assert isinstance(end, TurnEnd)
    assert end.response == expected


async def test_leaving_a_stream_early_stops_it_and_frees_the_model(
    provider: LocalProvider, weather: Toolbox
) -> None:
    """Closing a stream after its first fragment ends the generation; the next request runs."""
    request = ModelRequest(
        [UserMessage("Weather in Paris?")], list(weather), "get_weather", settings=SETTINGS
    )
    # LocalProvider.stream is an async generator, which aclosing closes.
    stream = cast("AsyncGenerator[StreamEvent, None]", provider.stream(request))
    async with aclosing(stream) as events:
        async for event in events:
            if isinstance(event, ToolCallDelta):
                break
    assert not provider._lock.locked()  # pyright: ignore[reportPrivateUsage]
    async for event in provider.stream(request):
        if isinstance(event, ToolCallStart):
            break  # left without closing it: closed when collected
    response = await provider.complete(request)
    assert [c.name for c in response.turn.tool_calls] == ["get_weather"]


async def test_stream_of_a_prompt_longer_than_the_context_raises() -> None:
    """llama.cpp's refusal reaches the stream's reader as ProviderRequestError."""
    small = LocalProvider(n_threads=1, n_ctx=64)
    request = ModelRequest([UserMessage("Hello there. " * 40)], settings=SETTINGS)
    with pytest.raises(ProviderRequestError):
        async for _ in small.stream(request):
            pass
    small.close()


def test_local_model_strings_resolve_to_the_local_provider(tmp_path: Path) -> None:
    """'local' is the embedded model; 'local:<path>' a GGUF file, which must exist."""
    embedded = resolve_model("local")
    assert (embedded.name, embedded.model) == ("local", "SmolLM2-135M-Instruct.Q4_1.gguf")
    with pytest.raises(ConfigurationError, match="No model file at"):
        resolve_model(f"local:{tmp_path / 'missing.gguf'}")


def test_making_a_provider_imports_no_llama_cpp() -> None:
    """resolve_model('local') loads nothing: llama_cpp is imported by the first request."""
    script = (
        "import sys; from switchboard.providers.models import resolve_model; "
        "resolve_model('local'); print('llama_cpp' in sys.modules)"
    )
    shown = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert shown.stdout.strip() == "False"


async def test_call_the_grammar_cannot_make_valid_is_asked_for_again(
    provider: LocalProvider,
) -> None:
    """A tool whose schema no value satisfies gets REPAIR_ATTEMPTS new tries, then its call."""
    impossible = Tool.from_schema(
        name="pick",
        description="Pick a number.",
        parameters={
            "type": "object",
            "properties": {"n": {"type": "integer", "not": {"type": "integer"}}},
            "required": ["n"],
        },
    )
    assert impossible.local_issues() == ("/properties/n: 'not' is not enforced",)
    request = ModelRequest(
        [UserMessage("Pick a number.")], [impossible], "required", settings=SETTINGS
    )
    response = await provider.complete(request)
    [call] = response.turn.tool_calls
    assert call.name == "pick"
    assert response.usage.requests == 1 + REPAIR_ATTEMPTS
    # Streamed, the call comes whole once it is validated (and repaired).
    events = [event async for event in provider.stream(request)]
    end = events[-1]
    assert isinstance(end, TurnEnd)
    [call] = end.response.turn.tool_calls
    assert events[:-1] == [
        ToolCallStart(call.id, "pick"),
        ToolCallDelta(call.id, str(call.arguments)),
        ToolCallReady(call),
    ]
    assert end.usage.requests == 1 + REPAIR_ATTEMPTS


def test_first_load_chooses_how_openmp_threads_wait_unless_the_user_did() -> None:
    """Loading sets GOMP_SPINCOUNT or OMP_WAIT_POLICY when neither is set; a user's is kept."""
    script = (
        "import asyncio, os; from switchboard.providers.local import LocalProvider; "
        "from switchboard.providers.base import ModelRequest, ModelResponse, ModelSettings; "
        "from switchboard.messages import UserMessage; "
        "request = ModelRequest([UserMessage('Hi')], settings=ModelSettings(max_tokens=1)); "
        "asyncio.run(LocalProvider(n_threads=1).complete(request)); "
        "print(os.environ.get('OMP_WAIT_POLICY'), os.environ.get('GOMP_SPINCOUNT'))"
    )
    shown = []
    for setting in ({}, {"OMP_WAIT_POLICY": "ACTIVE"}):
        env = {
            k: v for k, v in os.environ.items() if k not in ("OMP_WAIT_POLICY", "GOMP_SPINCOUNT")
        } | setting
        done = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
            env=env,
        )
        shown.append(done.stdout.strip())
    assert shown[0] in ("PASSIVE None", f"None {SPIN_COUNT}")
    assert shown[1] == "ACTIVE None"


def bfcl_request(index: int, settings: ModelSettings) -> tuple[Tool, ModelRequest]:
    """BFCL simple_python entry ``index``'s tool, and its question asked under required."""
    entry = load_bfcl("simple_python")[index]
    tool = from_bfcl(entry["function"][0])
    question = UserMessage(entry["question"][0][-1]["content"])
    return tool, ModelRequest([question], [tool], "required", settings=settings)


def only_arguments(response: ModelResponse, tool: Tool) -> dict[str, object]:
    """The arguments of the reply's one call, checked against the tool's schema."""
    (call,) = response.turn.tool_calls
    assert isinstance(call.arguments, str)
    arguments = json.loads(call.arguments)
    assert tool.accepts(arguments), call.arguments
    return arguments


async def test_a_runaway_list_ends_at_a_whole_item_when_the_budget_runs_low(
    provider: LocalProvider,
) -> None:
    """simple_python_130 makes the model count on through a list: the call still ends valid.

    In its closing reserve the call starts no new item: the list ends where the model
    would write a comma. The items kept are whole, the first ones of what a bigger budget
    gives, and the reply is flagged ``length``.
    """
    tool, short = bfcl_request(130, ModelSettings(max_tokens=128, temperature=0.0, seed=0))
    _, longer = bfcl_request(130, ModelSettings(max_tokens=256, temperature=0.0, seed=0))
    kept, more = await provider.complete(short), await provider.complete(longer)
    assert (kept.stop_reason, more.stop_reason) == ("length", "length")
    assert 128 - closing_reserve(128) < kept.usage.output_tokens <= 128
    flows, more_flows = (
        only_arguments(kept, tool)["cash_flows"],
        only_arguments(more, tool)["cash_flows"],
    )
    assert isinstance(flows, list)
    assert isinstance(more_flows, list)
    assert len(flows) > 5  # the five flows asked for, and the run
    assert len(more_flows) > len(flows)
    assert flows == more_flows[: len(flows)]


async def test_a_string_repeating_itself_is_ended() -> None:
    """A string value whose tokens loop is closed: the call ends valid, before the limit.

    The decoder's own output is checked: grounding would turn the value into the quoted
    'Batman' it holds.
    """

    def shout(message: str) -> str:
        """Shout a message to the room.

        Args:
            message: What to shout.
        """
        return message

    tool = Tool.from_function(shout)
    request = ModelRequest(
        [UserMessage("Shout the word 'na' 50 times then 'Batman'.")],
        [tool],
        "required",
        settings=ModelSettings(max_tokens=128, temperature=0.0, seed=0),
    )
    provider = LocalProvider(n_threads=1, techniques=LocalTechniques(ground_strings=False))
    try:
        response = await provider.complete(request)
    finally:
        provider.close()
    message = only_arguments(response, tool)["message"]
    assert isinstance(message, str)
    assert "Shout Batman. " * 3 in message  # the loop, left off early
    assert response.stop_reason == "length"
    assert response.usage.output_tokens < 128 - closing_reserve(128)  # not for the limit


async def test_a_string_repeating_a_long_sentence_is_ended(provider: LocalProvider) -> None:
    """BFCL live_simple_35 loops on a 46-token sentence inside a string: it is closed valid.

    A block that long repeats only a few times within the limit: the loop is found by its
    third time, not by the limit, which would cut the call.
    """
    entry = load_bfcl("live_simple")[35]
    tool = from_bfcl(entry["function"][0])
    request = ModelRequest(
        [UserMessage(entry["question"][0][-1]["content"])],
        [tool],
        "required",
        settings=ModelSettings(max_tokens=256, temperature=0.0, seed=0),
    )
    response = await provider.complete(request)
    answer = only_arguments(response, tool)["answer"]
    assert isinstance(answer, str)
    assert response.stop_reason == "length"
    assert response.usage.output_tokens < 256 - closing_reserve(256)  # not for the limit


@pytest.mark.parametrize("index", [305, 384])
async def test_required_strings_that_run_on_still_end_valid_by_the_limit(
    provider: LocalProvider, index: int
) -> None:
    """Three required strings, each run on (305: a player, 384: hotel dates): the call fits.

    Looping strings are closed, and in the reserve each value ends where the model gives
    ending a fair chance, so the last required properties are written in time.
    """
    tool, request = bfcl_request(index, ModelSettings(max_tokens=128, temperature=0.0, seed=0))
    response = await provider.complete(request)
    arguments = only_arguments(response, tool)
    assert response.stop_reason == "length"
    assert set(tool.parameters["required"]) <= set(arguments)


async def test_a_stream_of_a_shortened_call_ends_as_complete_gives_it(
    provider: LocalProvider,
) -> None:
    """The shortened call streams whole, ToolCallReady, then TurnEnd with length."""
    tool, request = bfcl_request(37, ModelSettings(max_tokens=64, temperature=0.0, seed=0))
    expected = await warm_complete(provider, request)
    events = [event async for event in provider.stream(request)]
    (ready,) = [e for e in events if isinstance(e, ToolCallReady)]
    end = events[-1]
    assert isinstance(end, TurnEnd)
    assert end.stop_reason == "length"
    assert ready.call == expected.turn.tool_calls[0]
    assert isinstance(ready.call.arguments, str)
    assert tool.accepts(json.loads(ready.call.arguments))


@pytest.mark.parametrize("seed", [1, 2, 3])
async def test_sampled_calls_validate_too(provider: LocalProvider, seed: int) -> None:
    """At temperature 1 the grammar filters every token: each sampled call validates.

    simple_python_130's runaway list ends at an item when sampling too.
    """
    for index in (0, 1, 2, 3, 130):
        settings = ModelSettings(max_tokens=64, temperature=1.0, seed=seed)
        tool, request = bfcl_request(index, settings)
        only_arguments(await provider.complete(request), tool)


async def test_a_call_still_writing_a_value_at_the_limit_is_cut_not_closed(
    provider: LocalProvider, weather: Toolbox
) -> None:
    """Closing a value mid-way would pass the tool a truncated one: the call is cut instead."""
    request = ModelRequest(
        [UserMessage("What's the weather in Tokyo?")],
        [weather.get("get_weather")],
        "required",
        settings=ModelSettings(max_tokens=8, temperature=0.0, seed=0),
    )
    response = await provider.complete(request)
    assert (response.stop_reason, response.turn.tool_calls) == ("length", ())
    assert response.usage.output_tokens == 8


def test_a_file_that_is_not_a_model_is_refused_naming_it(tmp_path: Path) -> None:
    """A text file given as the model: ConfigurationError naming the file and the fix."""
    notes = tmp_path / "README.md"
    notes.write_text("# Not a model\n")
    with pytest.raises(ConfigurationError, match="is not a GGUF model file") as raised:
        LocalProvider(notes)
    assert str(notes) in str(raised.value)


def test_an_empty_file_is_refused_as_no_model(tmp_path: Path) -> None:
    """An empty .gguf (a download that never started) is refused, naming the file."""
    empty = tmp_path / "model.gguf"
    empty.touch()
    with pytest.raises(ConfigurationError, match="is not a GGUF model file"):
        LocalProvider(empty)


def test_a_directory_is_refused_as_no_model_file(tmp_path: Path) -> None:
    """A folder given as the model says it is a folder, and to pass the .gguf file in it."""
    with pytest.raises(ConfigurationError, match="is a directory"):
        LocalProvider(tmp_path)


def test_a_model_file_that_cannot_be_read_is_refused_naming_it(tmp_path: Path) -> None:
    """A model file without read permission: ConfigurationError with the system's reason."""
    model = tmp_path / "model.gguf"
    model.write_bytes(b"GGUF\x03\x00\x00\x00")
    model.chmod(0)
    script = (
        "from switchboard.providers.local import LocalProvider\n"
        "try:\n"
        f"    LocalProvider({str(model)!r})\n"
        "except Exception as e:\n"
        "    print(type(e).__name__, e)\n"
    )
    # root reads any file: there, the check runs without the capabilities that allow it.
    unprivileged = ["setpriv", "--bounding-set", "-dac_override,-dac_read_search"]
    done = subprocess.run(
        [*(unprivileged if os.geteuid() == 0 else []), sys.executable, "-c", script],
        capture_output=True,
        text=True,
        check=True,
        timeout=120,
    )
    assert done.stdout.startswith("ConfigurationError ")
    assert str(model) in done.stdout
    assert "Permission denied" in done.stdout


def test_a_path_the_system_cannot_look_up_is_refused_with_its_reason(tmp_path: Path) -> None:
    """A name longer than the file system allows: ConfigurationError, not a raw OSError."""
    with pytest.raises(ConfigurationError, match="File name too long"):
        LocalProvider(tmp_path / ("m" * 300 + ".gguf"))


async def test_a_gguf_file_llama_cpp_cannot_load_is_a_configuration_error(tmp_path: Path) -> None:
    """A model file cut short (a broken download): the first request raises naming the file."""
    cut = tmp_path / "cut.gguf"
    with embedded_model_path().open("rb") as whole:
        cut.write_bytes(whole.read(1 << 20))
    provider = LocalProvider(cut, n_threads=1)
    request = ModelRequest([UserMessage("Hi")], settings=SETTINGS)
    with pytest.raises(ConfigurationError, match=r"llama\.cpp could not load") as raised:
        await provider.complete(request)
    assert str(cut) in str(raised.value)


async def test_a_cancelled_request_stops_generating_and_frees_the_model(
    provider: LocalProvider,
) -> None:
    """Cancelling complete() stops llama.cpp before it returns: nothing runs on behind it."""
    request = ModelRequest(
        [UserMessage("Write a long story about a dragon.")],
        settings=ModelSettings(max_tokens=2048, temperature=0.0, seed=1),
    )
    task = asyncio.ensure_future(provider.complete(request))
    await asyncio.sleep(0)  # the request starts: its worker thread is running
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task
    assert not provider._lock.locked()  # pyright: ignore[reportPrivateUsage]


# --- small-model techniques (LocalTechniques), on the real model ---

TWO_CITIES = "What's the weather in Tokyo and Paris?"

ANSWERED: list[Message] = [
    UserMessage("What's the weather in Tokyo?"),
    AssistantTurn(tool_calls=(ToolCall("call-0-0", "get_weather", '{"city": "Tokyo"}'),)),
    ToolResult(
        "call-0-0",
        "get_weather",
        '{"city": "Tokyo", "temperature": 18.0, "unit": "celsius", "sky": "clear"}',
    ),
]
"""A question, its call and the result: the next reply under "none" is the answer."""


def _cities(response: ModelResponse) -> set[str]:
    cities: set[str] = set()
    for call in response.turn.tool_calls:
        assert isinstance(call.arguments, str)
        cities.add(str(json.loads(call.arguments)["city"]).casefold())
    return cities


async def test_two_cities_under_required_give_a_call_for_each(
    provider: LocalProvider, weather: Toolbox
) -> None:
    """With fan-out on (the default), 'Tokyo and Paris' gives get_weather calls for both."""
    request = ModelRequest([UserMessage(TWO_CITIES)], list(weather), "required", settings=SETTINGS)
    response = await provider.complete(request)
    assert {call.name for call in response.turn.tool_calls} == {"get_weather"}
    assert _cities(response) == {"tokyo", "paris"}


async def test_without_fan_out_the_calls_are_those_the_model_wrote(weather: Toolbox) -> None:
    """With fan_out=False, the reply's calls are exactly what its raw text holds."""
    provider = LocalProvider(n_threads=1, techniques=LocalTechniques(fan_out=False))
    try:
        request = ModelRequest(
            [UserMessage(TWO_CITIES)], list(weather), "required", settings=SETTINGS
        )
        response = await provider.complete(request)
    finally:
        provider.close()
    raw = response.turn.provider_state[PROVIDER]
    assert response.turn.tool_calls
    assert parse_reply(raw, call_id_prefix="call-0")[1] == response.turn.tool_calls


async def test_an_answer_to_a_result_begins_with_it_restated_and_has_no_brace(
    provider: LocalProvider, weather: Toolbox
) -> None:
    """Under tool_choice none after a result, the answer starts with the restatement, no '{'."""
    request = ModelRequest(ANSWERED, list(weather), "none", settings=SETTINGS)
    response = await provider.complete(request)
    lead = restatement(ANSWERED).rstrip()
    assert lead == "Tokyo: temperature 18.0, unit celsius, sky clear."
    assert response.turn.text.startswith(lead)
    assert "{" not in response.turn.text


async def test_without_restate_and_plain_answers_no_lead_is_forced(weather: Toolbox) -> None:
    """With restate and plain_answers off, the answer is free: it does not start restated."""
    techniques = LocalTechniques(restate=False, plain_answers=False)
    provider = LocalProvider(n_threads=1, techniques=techniques)
    try:
        request = ModelRequest(ANSWERED, list(weather), "none", settings=SETTINGS)
        response = await provider.complete(request)
    finally:
        provider.close()
    assert response.turn.text
    assert not response.turn.text.startswith(restatement(ANSWERED).rstrip())


async def test_a_restatement_longer_than_max_tokens_still_ends_as_an_answer(
    provider: LocalProvider, weather: Toolbox
) -> None:
    """max_tokens below the restatement's length: the answer holds it whole, stop 'answer'."""
    settings = ModelSettings(max_tokens=4, temperature=0.0, seed=1)
    request = ModelRequest(ANSWERED, list(weather), "none", settings=settings)
    response = await provider.complete(request)
    assert response.turn.text.startswith(restatement(ANSWERED).rstrip())
    assert response.stop_reason == "answer"


def test_an_answer_stops_after_its_own_line_not_at_the_restatements_end(
    provider: LocalProvider,
) -> None:
    """The line break that ends the restatement does not stop the answer: the model's does.

    llama-cpp-python hands the criterion the tokens before the one just sampled: the
    prompt's last token must not count as the reply's.
    """
    llama = provider._load()  # pyright: ignore[reportPrivateUsage]
    lead = "Tokyo: sky clear.\n"
    prompt = llama.tokenize(b"<|im_start|>assistant\n", add_bos=False, special=True)
    reply = llama.tokenize((lead + "It is clear.\nMore").encode(), add_bos=False)
    criterion = _LineAfter(llama, lead)
    seen = [criterion(np.array(prompt + reply[:n], dtype=np.intc), None) for n in range(len(reply))]
    through_lead = len(llama.tokenize(lead.encode(), add_bos=False))
    assert not any(seen[: through_lead + 1])
    assert seen[-1]


async def test_a_clause_whose_tool_was_not_called_gets_the_next_call(
    provider: LocalProvider,
) -> None:
    """'Mark X as done and show me my list': after complete_todo, the reply calls list_todos."""
    todo = load_toolbox(EXAMPLES / "todo.py")
    done = ToolCall("call-0-0", "complete_todo", '{"title": "Fix the bike"}')
    messages: list[Message] = [
        UserMessage("Mark 'Fix the bike' as done and show me my list."),
        AssistantTurn(tool_calls=(done,)),
        ToolResult(
            "call-0-0", "complete_todo", "'Fix the bike' is not on the todo list.", is_error=True
        ),
    ]
    request = ModelRequest(messages, list(todo), "auto", settings=SETTINGS)
    response = await provider.complete(request)
    assert [call.name for call in response.turn.tool_calls] == ["list_todos"]


CALCULATOR_FAILED: list[Message] = [
    UserMessage("Convert 5 km to miles."),
    AssistantTurn(
        tool_calls=(
            ToolCall(
                "call-0-0", "convert_units", '{"value": 2, "from_unit": "5 km", "to_unit": "km"}'
            ),
        )
    ),
    ToolResult(
        "call-0-0",
        "convert_units",
        "Invalid arguments for convert_units: from_unit: Input should be 'km', 'm' or 'mi' "
        '(received "5 km")',
        is_error=True,
        error_kind="invalid",
    ),
]
"""A call the model got wrong: nothing to restate, so the answer starts free."""


@pytest.mark.parametrize("max_tokens", [12, 26])
async def test_an_answer_with_nothing_to_restate_cut_by_the_limit_ends_whole(
    provider: LocalProvider, max_tokens: int
) -> None:
    """Under 'none' with only a failed call, an answer hitting max_tokens ends at a sentence."""
    calculator = load_toolbox(EXAMPLES / "calculator_units.py")
    settings = ModelSettings(max_tokens=max_tokens, temperature=0.0, seed=1)
    request = ModelRequest(CALCULATOR_FAILED, list(calculator), "none", settings=settings)
    response = await provider.complete(request)
    assert response.stop_reason == "answer"
    assert response.turn.text.rstrip().endswith((".", "!", "?"))
