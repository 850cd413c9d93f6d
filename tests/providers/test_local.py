"""LocalProvider running the real embedded model (SmolLM2-135M-Instruct) in-process.

No mocks: every test decodes with llama.cpp. Replies are kept short (``max_tokens``),
greedy and seeded so that the file runs in well under a minute on two cores.
"""

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from switchboard.agent import Agent
from switchboard.errors import ConfigurationError
from switchboard.evals.bfcl import from_bfcl, load_bfcl
from switchboard.messages import UserMessage
from switchboard.providers.base import ModelRequest, ModelSettings
from switchboard.providers.local import LocalProvider
from switchboard.providers.local.provider import REPAIR_ATTEMPTS
from switchboard.providers.models import resolve_model
from switchboard.streaming.events import ToolCallReady, TurnEnd
from switchboard.tools.loader import load_toolbox
from switchboard.tools.tool import Tool
from switchboard.tools.toolbox import Toolbox

pytestmark = pytest.mark.anyio

EXAMPLES = Path(__file__).parents[2] / "examples"

SETTINGS = ModelSettings(max_tokens=48, temperature=0.0, seed=1)
"""Short, greedy and seeded: fast and repeatable."""


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


async def test_auto_loop_completes_on_the_weather_example(
    provider: LocalProvider, weather: Toolbox
) -> None:
    """With tool_choice auto, a run over examples/weather.py ends with an answer."""
    agent = Agent(provider, tools=weather, settings=SETTINGS, max_iterations=4)
    result = await agent.run("What's the weather in Tokyo and Paris?")
    assert result.stop_reason == "answer"
    assert result.output
    assert result.usage.requests == len(result.steps)


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


async def test_stream_relays_the_call_and_ends_with_the_response(
    provider: LocalProvider, weather: Toolbox
) -> None:
    """stream() yields a ToolCallReady for the forced call and a TurnEnd carrying the reply."""
    request = ModelRequest(
        [UserMessage("Weather in London?")], list(weather), "get_weather", settings=SETTINGS
    )
    events = [event async for event in provider.stream(request)]
    end = events[-1]
    assert isinstance(end, TurnEnd)
    ready = [e.call for e in events if isinstance(e, ToolCallReady)]
    assert ready == list(end.response.turn.tool_calls)
    assert [c.name for c in ready] == ["get_weather"]


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


def test_first_load_makes_idle_openmp_workers_sleep_unless_the_user_chose() -> None:
    """Loading sets OMP_WAIT_POLICY=PASSIVE when unset, and keeps a value the user set."""
    script = (
        "import asyncio, os; from switchboard.providers.local import LocalProvider; "
        "from switchboard.providers.base import ModelRequest, ModelSettings; "
        "from switchboard.messages import UserMessage; "
        "request = ModelRequest([UserMessage('Hi')], settings=ModelSettings(max_tokens=1)); "
        "asyncio.run(LocalProvider(n_threads=1).complete(request)); "
        "print(os.environ['OMP_WAIT_POLICY'])"
    )
    shown = []
    for setting in ({}, {"OMP_WAIT_POLICY": "ACTIVE"}):
        env = {k: v for k, v in os.environ.items() if k != "OMP_WAIT_POLICY"} | setting
        done = subprocess.run(
            [sys.executable, "-c", script],
            capture_output=True,
            text=True,
            check=True,
            timeout=120,
            env=env,
        )
        shown.append(done.stdout.strip())
    assert shown == ["PASSIVE", "ACTIVE"]
