"""A typed answer (``Agent(output_type=...)``) on each provider's wire, and read back.

Each request goes through the provider's SDK (its real HTTP layer, answered by `Replay`
with a recorded or documented reply); the body the SDK sent is checked against the SDK's
own request types (`wire.assert_sdk_accepts`), or for Gemini read back into its models.
"""

from __future__ import annotations

import json
from typing import Any, Literal

import pytest
from anthropic.types.message_create_params import MessageCreateParamsNonStreaming
from google.genai import types as genai_types
from openai.types.chat.completion_create_params import CompletionCreateParamsNonStreaming
from openai.types.responses.response_create_params import ResponseCreateParamsNonStreaming
from pydantic import BaseModel

from switchboard.agent import Agent
from switchboard.errors import ConfigurationError, OutputValidationError
from switchboard.providers.anthropic import AnthropicProvider
from switchboard.providers.base import Provider
from switchboard.providers.gemini import GeminiProvider
from switchboard.providers.openai_chat import OpenAIChatProvider
from switchboard.providers.openai_responses import OpenAIResponsesProvider
from switchboard.retry import RetryPolicy
from switchboard.streaming.events import RunEnd
from switchboard.tools.tool import tool

from .conftest import Replay, fixture_path
from .wire import assert_sdk_accepts

pytestmark = pytest.mark.anyio

ONCE = RetryPolicy(attempts=1)


class Location(BaseModel):
    """openai-python's model in its recorded structured-output tests."""

    city: str
    temperature: float
    units: Literal["c", "f"]


LOCATION_STRICT = {
    "type": "object",
    "properties": {
        "city": {"type": "string"},
        "temperature": {"type": "number"},
        "units": {"type": "string", "enum": ["c", "f"]},
    },
    "required": ["city", "temperature", "units"],
    "additionalProperties": False,
}


class CalendarEvent(BaseModel):
    """An event on the calendar."""

    name: str
    date: str
    participants: list[str]


class Ingredient(BaseModel):
    name: str
    amount: str


class Recipe(BaseModel):
    name: str
    ingredients: list[Ingredient]
    steps: list[str]


class RecipeAnswer(BaseModel):
    """The Vercel AI SDK's recorded structured-output request: one recipe."""

    recipe: Recipe


class GeminiRecipe(BaseModel):
    recipe_name: str
    ingredients: list[str]


class Recipes(BaseModel):
    """Cookie recipes."""

    recipes: list[GeminiRecipe]


class Tally(BaseModel):
    """Counts by name: an open-ended object, which has no strict form."""

    counts: dict[str, int]


@tool
def get_weather(city: str) -> str:
    """Get the weather in a city."""
    return f"Sunny in {city}"


def recorded_chat(test: str) -> dict[str, Any]:
    """The response openai-python recorded for one of its tests."""
    lines = fixture_path("openai-chat/nonstreaming-recorded.jsonl").read_text().splitlines()
    found = [json.loads(line) for line in lines if json.loads(line)["test"] == test]
    return found[0]["response"]


def written(name: str) -> Any:
    return json.loads(fixture_path(f"written/{name}").read_text())


def chat(replay: Replay) -> Provider:
    return OpenAIChatProvider("gpt-4o", api_key="sk-test", http_client=replay.client(), retry=ONCE)


# Chat Completions


async def test_chat_asks_for_a_strict_json_schema_response_format(replay: Replay) -> None:
    """Chat: response_format is a strict json_schema of the output model; the SDK takes it."""
    replay.queue_json(recorded_chat("test_parse_pydantic_model"))
    await Agent(chat(replay), output_type=Location).run("Weather in SF?")
    body = replay.bodies[-1]
    assert_sdk_accepts(body, CompletionCreateParamsNonStreaming)
    assert body["response_format"] == {
        "type": "json_schema",
        "json_schema": {
            "name": "Location",
            "description": "openai-python's model in its recorded structured-output tests.",
            "schema": LOCATION_STRICT,
            "strict": True,
        },
    }


async def test_chat_reads_the_recorded_answer_into_the_model(replay: Replay) -> None:
    """Chat: openai-python's recorded structured answer is validated into the model."""
    replay.queue_json(recorded_chat("test_parse_pydantic_model"))
    result = await Agent(chat(replay), output_type=Location).run("Weather in SF?")
    assert result.parsed == Location(city="San Francisco", temperature=65, units="f")
    assert result.stop_reason == "answer"


async def test_chat_sends_a_schema_with_no_strict_form_non_strict(replay: Replay) -> None:
    """Chat: a model with an open-ended object goes as a non-strict json_schema, as it is."""
    replay.queue_json(recorded_chat("test_parse_pydantic_model"))
    with pytest.raises(OutputValidationError):  # the recorded answer is no Tally
        await Agent(chat(replay), output_type=Tally, output_retries=0).run("Count.")
    body = replay.bodies[-1]
    assert_sdk_accepts(body, CompletionCreateParamsNonStreaming)
    format_ = body["response_format"]["json_schema"]
    assert format_["strict"] is False
    assert format_["schema"]["properties"]["counts"]["additionalProperties"] == {"type": "integer"}


async def test_chat_json_object_form_sends_the_schema_beside_the_type(replay: Replay) -> None:
    """Chat, response_format_type="json_object": the schema as it is, beside the type."""
    replay.queue_json(recorded_chat("test_parse_pydantic_model"))
    provider = OpenAIChatProvider(
        "smollm2",
        base_url="http://127.0.0.1:8080/v1",
        http_client=replay.client(),
        retry=ONCE,
        response_format_type="json_object",
    )
    result = await Agent(provider, output_type=Location).run("Weather in SF?")
    schema = replay.bodies[-1]["response_format"]["schema"]
    assert replay.bodies[-1]["response_format"]["type"] == "json_object"
    assert schema["required"] == ["city", "temperature", "units"]
    assert "additionalProperties" not in schema
    assert result.parsed == Location(city="San Francisco", temperature=65, units="f")


def test_chat_refuses_an_unknown_response_format_type() -> None:
    """An unknown response_format_type is a ConfigurationError naming the two there are."""
    with pytest.raises(ConfigurationError, match="'json_schema' or 'json_object'"):
        OpenAIChatProvider("gpt-4o", api_key="sk-test", response_format_type="xml")  # pyright: ignore[reportArgumentType]


async def test_chat_refusal_ends_a_typed_run_with_no_parsed_answer(replay: Replay) -> None:
    """Chat: the recorded refusal ends the run as content_filter, nothing parsed or re-asked."""
    replay.queue_json(recorded_chat("test_parse_pydantic_model_refusal"))
    result = await Agent(chat(replay), output_type=Location).run("Something refused.")
    assert (result.stop_reason, result.parsed) == ("content_filter", None)
    assert len(replay.requests) == 1


async def test_chat_sends_the_format_beside_the_tools(replay: Replay) -> None:
    """Chat: with tools, the request carries both: the model may call or answer."""
    replay.queue_json(recorded_chat("test_parse_pydantic_model"))
    await Agent(chat(replay), tools=[get_weather], output_type=Location).run("SF?")
    body = replay.bodies[-1]
    assert_sdk_accepts(body, CompletionCreateParamsNonStreaming)
    assert [t["function"]["name"] for t in body["tools"]] == ["get_weather"]
    assert body["response_format"]["json_schema"]["name"] == "Location"


async def test_chat_streamed_run_reads_the_recorded_streamed_answer(replay: Replay) -> None:
    """Chat, streamed: the request asks for the format; the recorded stream's JSON is parsed."""
    stream = (
        "openai-chat/text-only/7e5ea4d12e7cc064399b6631415e65923f182256b6e6b752950a3aaa2ad2320a.bin"
    )
    replay.queue_bytes(fixture_path(stream).read_bytes(), "text/event-stream")
    agent = Agent(chat(replay), output_type=Location)
    events = [event async for event in agent.run_stream("Weather in SF?")]
    body = replay.bodies[-1]
    assert body["stream"] is True
    assert body["response_format"]["json_schema"]["schema"] == LOCATION_STRICT
    end = events[-1]
    assert isinstance(end, RunEnd)
    assert end.result.parsed == Location(city="San Francisco", temperature=61, units="f")


# Responses


async def test_responses_asks_for_a_strict_json_schema_text_format(replay: Replay) -> None:
    """Responses: text.format is the strict json_schema; the documented reply is parsed."""
    replay.queue_json(written("openai-responses-structured-output.json"))
    provider = OpenAIResponsesProvider(
        "gpt-4o", api_key="sk-test", http_client=replay.client(), retry=ONCE
    )
    result = await Agent(provider, output_type=CalendarEvent).run("Alice and Bob, Friday?")
    body = replay.bodies[-1]
    assert_sdk_accepts(body, ResponseCreateParamsNonStreaming)
    assert body["text"] == {
        "format": {
            "type": "json_schema",
            "name": "CalendarEvent",
            "description": "An event on the calendar.",
            "schema": {
                "type": "object",
                "properties": {
                    "name": {"type": "string"},
                    "date": {"type": "string"},
                    "participants": {"type": "array", "items": {"type": "string"}},
                },
                "required": ["name", "date", "participants"],
                "additionalProperties": False,
            },
            "strict": True,
        }
    }
    assert result.parsed == CalendarEvent(
        name="Science Fair", date="Friday", participants=["Alice", "Bob"]
    )


# Anthropic


async def test_anthropic_asks_through_output_config_and_reads_the_recorded_answer(
    replay: Replay,
) -> None:
    """Anthropic: output_config.format is the json_schema; the recorded reply is parsed."""
    recorded = fixture_path("anthropic/vercel-anthropic-json-output-format.json")
    replay.queue_json(json.loads(recorded.read_text()))
    provider = AnthropicProvider(
        "claude-sonnet-4-5", api_key="sk-ant-test", http_client=replay.client(), retry=ONCE
    )
    result = await Agent(provider, output_type=RecipeAnswer).run("A lasagna recipe.")
    body = replay.bodies[-1]
    assert_sdk_accepts(body, MessageCreateParamsNonStreaming)
    schema = body["output_config"]["format"]["schema"]
    assert body["output_config"]["format"]["type"] == "json_schema"
    assert schema["additionalProperties"] is False
    assert schema["required"] == ["recipe"]
    assert result.parsed is not None
    assert result.parsed.recipe.name == "Classic Lasagna"
    assert result.parsed.recipe.ingredients[0] == Ingredient(
        name="lasagna noodles", amount="12 sheets"
    )
    assert len(result.parsed.recipe.steps) == 15


# Gemini


def gemini(replay: Replay) -> Provider:
    return GeminiProvider(
        "gemini-2.5-flash", api_key="test-key", http_client=replay.client(), retry=ONCE
    )


async def test_gemini_asks_for_json_with_a_response_schema(replay: Replay) -> None:
    """Gemini: responseMimeType JSON and the schema; the documented reply is parsed."""
    replay.queue_json(written("gemini-structured-output.json"))
    result = await Agent(gemini(replay), output_type=Recipes).run("Cookie recipes?")
    sent = replay.bodies[-1]["generationConfig"]
    config = genai_types.GenerationConfig.model_validate(sent)
    assert config.response_mime_type == "application/json"
    assert config.response_schema is not None
    recipes = (config.response_schema.properties or {})["recipes"]
    assert recipes.type == genai_types.Type.ARRAY
    assert result.parsed is not None
    assert [r.recipe_name for r in result.parsed.recipes] == [
        "Chocolate Chip Cookies",
        "Peanut Butter Cookies",
    ]


async def test_gemini_sends_no_response_schema_when_a_call_is_forced(replay: Replay) -> None:
    """Gemini: a request that forces a call (ANY) goes without it, which the API refuses."""
    replay.queue_json(written("gemini-structured-output.json"))
    agent = Agent(gemini(replay), tools=[get_weather], tool_choice="required", output_type=Recipes)
    await agent.run("Cookie recipes?", run_id="forced")
    sent = replay.bodies[-1]
    assert sent["toolConfig"]["functionCallingConfig"]["mode"] == "ANY"
    assert "responseMimeType" not in sent.get("generationConfig", {})
    assert "responseSchema" not in sent.get("generationConfig", {})
