"""The tools of a request: rendered once per tool, not once per request, in every dialect."""

from __future__ import annotations

from collections import Counter
from collections.abc import Callable, Mapping
from typing import Any, cast

import pytest

from switchboard import ModelRequest, Tool, UserMessage
from switchboard.providers import anthropic, gemini, openai_chat, openai_responses
from switchboard.providers.local.generation import listed_tools
from switchboard.providers.local.grammar import call_grammar, tools_grammar, tools_key
from switchboard.providers.local.prompt import tool_listing
from switchboard.schema.dialects import Format


def _tools(calls: Counter[tuple[str, str]], count: int = 3) -> list[Tool]:
    """``count`` new tools that count their renderings and the reads of their schema."""

    class Counted(Tool):
        def schema(self, fmt: Format, **options: Any) -> dict[str, Any]:
            calls[("schema", self.name)] += 1
            return super().schema(fmt, **options)

        @property
        def parameters(self) -> Mapping[str, Any]:
            calls[("parameters", self.name)] += 1
            return super().parameters

    def lookup(city: str, unit: str = "celsius") -> str:
        """Look a city up."""
        return city

    built = [Tool.from_function(lookup, name=f"lookup_{i}") for i in range(count)]
    return [Counted(t.name, t.description, t.parameters, t.handler) for t in built]


def _request(tools: list[Tool]) -> ModelRequest:
    return ModelRequest([UserMessage("Weather in Paris?")], tools)


def _gemini_tools(request: ModelRequest) -> Any:
    return gemini.render_request(request)["config"].tools


RENDERERS: dict[str, Callable[[ModelRequest], Any]] = {
    "openai": lambda r: openai_chat.render_request(r)["tools"],
    "openai-responses": lambda r: openai_responses.render_request(r, "gpt-4.1")["tools"],
    "anthropic": lambda r: anthropic.render_request(r)["tools"],
    "gemini": _gemini_tools,
}


@pytest.mark.parametrize("dialect", RENDERERS)
def test_each_tool_is_rendered_once_however_many_requests(dialect: str) -> None:
    """Three requests with the same tools render each tool once: later ones are lookups."""
    calls: Counter[tuple[str, str]] = Counter()
    tools = _tools(calls)
    for _ in range(3):
        RENDERERS[dialect](_request(tools))
    renders = Counter({key: n for key, n in calls.items() if key[0] == "schema"})
    assert renders == Counter({("schema", tool.name): 1 for tool in tools})


@pytest.mark.parametrize("dialect", RENDERERS)
def test_a_request_with_other_tools_gets_its_own(dialect: str) -> None:
    """A kept tool set is never served for another: a subset, or the same tools reordered."""
    tools = _tools(Counter())
    render = RENDERERS[dialect]
    first = render(_request(tools))
    subset = render(_request(tools[1:]))
    reordered = render(_request(tools[::-1]))
    assert subset == render(_request(list(tools[1:])))
    assert str(first) != str(subset)
    assert str(reordered) == str(render(_request(tools[::-1])))
    assert str(reordered) != str(first)


@pytest.mark.parametrize("dialect", ["openai", "openai-responses", "anthropic"])
def test_a_kept_tool_set_renders_as_each_tool_does(dialect: str) -> None:
    """The rendering of a tool set is each tool's own schema, in the request's order."""
    tools = _tools(Counter())
    RENDERERS[dialect](_request(tools))  # kept
    strict = dialect != "openai"
    request = ModelRequest([UserMessage("hi")], tools, strict=strict)
    fmt = cast(Format, dialect)
    assert RENDERERS[dialect](request) == [t.schema(fmt, strict=strict) for t in tools]


def test_gemini_validates_each_tool_declaration_once() -> None:
    """A tool's Gemini declaration is built on its first request, and reused by any later one."""
    tools = _tools(Counter())
    (first,) = _gemini_tools(_request(tools))
    (later,) = _gemini_tools(_request([tools[2], tools[0]]))
    assert later.function_declarations[0] is first.function_declarations[2]
    assert later.function_declarations[1] is first.function_declarations[0]


def test_local_listing_and_grammar_read_each_tool_once() -> None:
    """The local model's listing and grammar read the tools' schemas on the first request only."""
    calls: Counter[tuple[str, str]] = Counter()
    tools = _tools(calls)
    for lead in ("", "It is 20 degrees.", ""):
        listed_tools(tools, parallel=True, answer=True)
        tools_grammar(tools, text=True, parallel=True, plain=True, lead=lead)
    assert all(calls[("parameters", tool.name)] == 2 for tool in tools)  # listing, grammar key


@pytest.mark.parametrize(("text", "parallel", "lead"), [(False, False, ""), (True, True, "It is.")])
def test_local_grammar_of_tools_is_the_grammar_of_their_key(
    text: bool, parallel: bool, lead: str
) -> None:
    """tools_grammar gives exactly what call_grammar gives for the same tools' key."""
    tools = _tools(Counter())
    key = tools_key([(t.name, t.parameters) for t in tools])
    expected = call_grammar(key, text=text, parallel=parallel, plain=True, lead=lead)
    assert tools_grammar(tools, text=text, parallel=parallel, plain=True, lead=lead) == expected


def test_local_listing_is_the_prompt_listing() -> None:
    """listed_tools gives exactly what tool_listing gives, on every request."""
    tools = _tools(Counter())
    expected = tool_listing(tools, parallel=False, answer=True)
    for _ in range(2):
        assert listed_tools(tools, parallel=False, answer=True) == expected
