import asyncio
from collections.abc import Callable, Iterator
from typing import cast

import pytest

from switchboard import ConfigurationError, Tool, Toolbox
from switchboard.routing import EmbeddingCache, MiniLM, Router, RoutingMode

CLEAR_QUERIES = [
    ("What's the weather in Tokyo right now?", "get_weather"),
    ("Give me the forecast for Paris over the next 5 days.", "get_forecast"),
    ("Convert 10 km to mi.", "convert_length"),
    ("How many kg is 3 lb?", "convert_mass"),
    ("Convert a temperature of 100 F to Celsius.", "convert_temperature"),
    ("Evaluate the expression (2 + 3) * 4 exactly.", "calculate"),
    ("What is the square root of 2?", "square_root"),
]


def _names(tools: list[Tool]) -> list[str]:
    return [tool.name for tool in tools]


def _tool(name: str, description: str, tags: tuple[str, ...] = ()) -> Tool:
    return Tool.from_schema(name, description, {"type": "object", "properties": {}}, tags=tags)


def _router(mode: RoutingMode, minilm: MiniLM) -> Router:
    return Router(mode=mode, embed=None if mode == "lexical" else minilm)


@pytest.mark.parametrize("mode", ["lexical", "embedding", "hybrid"])
@pytest.mark.parametrize(("query", "expected"), CLEAR_QUERIES)
def test_a_clear_query_ranks_the_right_example_tool_first(
    examples: Toolbox, minilm: MiniLM, mode: RoutingMode, query: str, expected: str
) -> None:
    """Each example tool comes first for a plain request for it, in every mode."""
    assert _names(_router(mode, minilm).rank(examples, query, k=1)) == [expected]


def test_select_offers_top_k_tools_in_registration_order(examples: Toolbox) -> None:
    """Routed tools come in the toolbox's order (stable prompts), top_k of them."""
    chosen = Router(top_k=2).select(examples, "Convert 3 lb to kg, then 10 km to mi.")
    assert _names(chosen) == ["convert_length", "convert_mass"]


def test_a_registered_tool_is_routed_on_the_next_call(examples: Toolbox) -> None:
    """The index follows register: a tool added after the first call is found."""
    router = Router(top_k=1)
    assert _names(router.select(examples, "Translate 'hello' into French")) == []
    examples.add(_tool("translate_text", "Translate text into another language."))
    assert _names(router.select(examples, "Translate 'hello' into French")) == ["translate_text"]


def test_an_unregistered_tool_is_never_offered(examples: Toolbox) -> None:
    """The index follows unregister: a removed tool drops out of the ranking."""
    router = Router(top_k=1)
    assert _names(router.select(examples, "square root of 2")) == ["square_root"]
    examples.unregister("square_root")
    assert "square_root" not in _names(router.rank(examples, "square root of 2"))


def test_a_tool_replaced_under_the_same_name_is_routed_by_its_new_text(examples: Toolbox) -> None:
    """Same names, different tool: the snapshot compares tools, not names."""
    router = Router(top_k=1)
    assert _names(router.select(examples, "exchange rate for euros")) == []
    examples.unregister("calculate")
    examples.add(_tool("calculate", "Convert money between currencies at today's exchange rate."))
    assert _names(router.select(examples, "exchange rate for euros")) == ["calculate"]


def test_always_tools_are_offered_on_every_turn(examples: Toolbox) -> None:
    """An always tool is offered whatever the query, on top of top_k routed tools."""
    router = Router(top_k=1, always=["calculate"])
    assert _names(router.select(examples, "weather in Tokyo")) == ["get_weather", "calculate"]
    assert _names(router.select(examples, "")) == ["calculate"]


def test_an_always_tool_missing_from_the_toolbox_is_a_configuration_error(
    examples: Toolbox,
) -> None:
    """A misspelt always name is reported with the names that exist."""
    with pytest.raises(ConfigurationError, match=r"\['calculator'\] are not in the toolbox"):
        Router(always=["calculator"]).select(examples, "weather")


def test_tools_called_in_the_run_stay_offered(examples: Toolbox) -> None:
    """Called tools stay available on later turns; top_k more are still routed."""
    chosen = Router(top_k=1).select(examples, "weather in Tokyo", called=["square_root", "nope"])
    assert _names(chosen) == ["get_weather", "square_root"]


def test_routed_tools_are_counted_besides_always_and_called_tools(examples: Toolbox) -> None:
    """A tool both called and top-ranked does not use up a routed slot."""
    chosen = Router(top_k=1).select(examples, "weather forecast", called=["get_forecast"])
    assert _names(chosen) == ["get_weather", "get_forecast"]


def test_a_lexical_query_sharing_no_word_offers_no_routed_tool(examples: Toolbox) -> None:
    """Nothing matched means nothing offered, not k arbitrary tools."""
    assert Router().select(examples, "Tell me a joke about cats") == []


def test_an_empty_query_routes_nothing_in_any_mode(examples: Toolbox, minilm: MiniLM) -> None:
    """Without a query there is nothing to rank by, even for the embedding model."""
    assert Router(mode="hybrid", embed=minilm).select(examples, "  ") == []


def test_an_empty_toolbox_offers_nothing(minilm: MiniLM) -> None:
    """No tools, no ranking, and no error, in every mode."""
    assert Router(mode="hybrid", embed=minilm).select(Toolbox(), "weather") == []


def test_one_router_keeps_an_index_per_toolbox(examples: Toolbox) -> None:
    """Two toolboxes routed alternately each get their own tools back."""
    other = Toolbox([_tool("get_weather_alerts", "Severe weather alerts for a region.")])
    router = Router(top_k=1)
    for _ in range(2):
        assert _names(router.select(examples, "weather in Tokyo")) == ["get_weather"]
        assert _names(router.select(other, "weather in Tokyo")) == ["get_weather_alerts"]


class _CountingToolbox(Toolbox):
    """A toolbox that counts how often its whole list of tools is read."""

    listings = 0

    def __iter__(self) -> Iterator[Tool]:
        self.listings += 1
        return super().__iter__()


def test_an_unchanged_toolbox_is_not_read_again_by_each_query(examples: Toolbox) -> None:
    """Once indexed, a toolbox that did not change is not listed again: the check is O(1)."""
    toolbox = _CountingToolbox(examples)
    router = Router(top_k=1)
    router.select(toolbox, "weather in Tokyo")
    indexed = toolbox.listings
    for _ in range(3):
        assert _names(router.select(toolbox, "weather in Tokyo")) == ["get_weather"]
    assert toolbox.listings == indexed


def test_a_changed_toolbox_is_read_once_by_the_next_query(examples: Toolbox) -> None:
    """After register, the next query reads the toolbox once; the queries after, not at all."""
    toolbox = _CountingToolbox(examples)
    router = Router(top_k=1)
    router.select(toolbox, "weather in Tokyo")
    toolbox.add(_tool("translate_text", "Translate text into another language."))
    before = toolbox.listings
    for _ in range(3):
        assert _names(router.select(toolbox, "Translate 'hello'")) == ["translate_text"]
    assert toolbox.listings == before + 1


def test_embedding_mode_uses_the_users_function_and_embeds_each_tool_once(
    examples: Toolbox,
) -> None:
    """A provider's embedding API plugs in as a function; tools are embedded once."""
    batches: list[list[str]] = []

    def embed(texts: list[str]) -> list[list[float]]:
        batches.append(texts)
        return [[1.0, float("forecast" in text.lower())] for text in texts]

    router = Router(top_k=1, mode="embedding", embed=embed)
    assert _names(router.select(examples, "forecast")) == ["get_forecast"]
    assert _names(router.select(examples, "forecast please")) == ["get_forecast"]
    assert [len(batch) for batch in batches] == [1, len(examples), 1]


def test_each_request_of_a_query_gets_its_best_tool() -> None:
    """A short second request is not drowned by a long first one that matches many tools."""
    tools = Toolbox(
        [
            _tool("circle_area", "Area of a circle from its radius."),
            _tool("circle_perimeter", "Perimeter of a circle from its radius."),
            _tool("circle_diameter", "Diameter of a circle from its radius."),
            _tool("convert_length", "Convert a length between units of length."),
        ]
    )
    query = (
        "Area, perimeter and diameter of the circle of radius 5, circle radius in cm? "
        "Then convert units."
    )
    assert _names(Router(top_k=2, split_intents=False).select(tools, query)) == [
        "circle_area",
        "circle_perimeter",
    ]
    assert _names(Router(top_k=2).select(tools, query)) == ["circle_area", "convert_length"]


def test_a_multi_request_query_is_embedded_in_one_call(examples: Toolbox) -> None:
    """The whole query and each request go to the embedding function together."""
    batches: list[list[str]] = []

    def embed(texts: list[str]) -> list[list[float]]:
        batches.append(texts)
        return [[1.0, float("forecast" in text.lower())] for text in texts]

    Router(mode="embedding", embed=embed).select(examples, "Forecast for Oslo. Then 3 lb in kg.")
    assert batches[0] == [
        "Forecast for Oslo. Then 3 lb in kg.",
        "Forecast for Oslo.",
        "3 lb in kg.",
    ]


def test_routers_can_share_an_embedding_cache(examples: Toolbox, minilm: MiniLM) -> None:
    """Two routers over one cache embed the tools once between them."""
    cache = EmbeddingCache(minilm)
    Router(mode="embedding", embed=cache).select(examples, "weather")
    size = len(cache._vectors)  # pyright: ignore[reportPrivateUsage]
    Router(mode="hybrid", embed=cache).select(examples, "weather")
    assert size == len(examples)
    assert len(cache._vectors) == size  # pyright: ignore[reportPrivateUsage]


def test_select_async_gives_what_select_gives(examples: Toolbox, minilm: MiniLM) -> None:
    """The async form (worker thread for embeddings) chooses the same tools."""
    for router in (Router(top_k=2), Router(top_k=2, mode="hybrid", embed=minilm)):
        query = "Convert 3 lb to kg"
        chosen = asyncio.run(router.select_async(examples, query, called=["calculate"]))
        assert chosen == router.select(examples, query, called=["calculate"])


@pytest.mark.parametrize(
    ("build", "message"),
    [
        (lambda: Router(top_k=0), "top_k must be at least 1"),
        (lambda: Router(group_top_k=0), "group_top_k must be at least 1"),
        (lambda: Router(mode=cast("RoutingMode", "semantic")), "mode 'semantic' is unknown"),
    ],
)
def test_bad_settings_are_configuration_errors(build: Callable[[], Router], message: str) -> None:
    """Settings that cannot work fail when the router is built."""
    with pytest.raises(ConfigurationError, match=message):
        build()
