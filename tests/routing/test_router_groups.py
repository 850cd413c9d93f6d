from switchboard import Tool, Toolbox
from switchboard.routing import MiniLM, Router


def _tool(name: str, description: str, *tags: str) -> Tool:
    return Tool.from_schema(name, description, {"type": "object", "properties": {}}, tags=tags)


def _grouped() -> Toolbox:
    return Toolbox(
        [
            _tool("get_weather", "Current weather in a city, in celsius or fahrenheit.", "weather"),
            _tool("get_forecast", "Daily forecast for a city.", "weather"),
            _tool("convert_temperature", "Convert between celsius and fahrenheit.", "units"),
            _tool("convert_length", "Convert between metres and feet.", "units"),
            _tool("search_notes", "Search my notes for a phrase, e.g. 'celsius'."),
        ]
    )


def _names(tools: list[Tool]) -> list[str]:
    return [tool.name for tool in tools]


def test_flat_routing_mixes_groups() -> None:
    """Without groups, every tool sharing words with the query competes."""
    ranked = Router().rank(_grouped(), "convert 100 fahrenheit to celsius")
    assert _names(ranked) == [
        "convert_temperature",
        "convert_length",
        "get_weather",
        "search_notes",
    ]


def test_two_stage_routing_keeps_to_the_best_groups() -> None:
    """group_top_k=1 picks the units group first; the weather tool is left out."""
    ranked = Router(group_top_k=1).rank(_grouped(), "convert 100 fahrenheit to celsius")
    assert _names(ranked) == ["convert_temperature", "convert_length", "search_notes"]


def test_untagged_tools_pass_the_group_stage() -> None:
    """A tool in no group is never filtered out by the choice of groups."""
    ranked = Router(group_top_k=1).rank(_grouped(), "search my notes")
    assert _names(ranked) == ["search_notes"]


def test_group_descriptions_steer_the_choice_of_group() -> None:
    """A group's description is matched too: it can make that group win."""
    toolbox = _grouped()
    query = "fahrenheit today in Oslo"
    assert _names(Router(group_top_k=1).rank(toolbox, query)) == ["convert_temperature"]
    described = Router(group_top_k=1, group_descriptions={"weather": "Conditions today."})
    assert _names(described.rank(toolbox, query)) == ["get_weather"]


def test_select_in_two_stages_keeps_always_and_called_tools_of_other_groups() -> None:
    """Groups filter only the routed tools: always and called tools stay offered."""
    router = Router(top_k=1, group_top_k=1, always=["get_forecast"])
    chosen = router.select(_grouped(), "convert 3 metres to feet", called=["get_weather"])
    assert _names(chosen) == ["get_weather", "get_forecast", "convert_length"]


def test_two_stage_hybrid_routing_picks_the_group_by_meaning(minilm: MiniLM) -> None:
    """With embeddings, a query sharing no word with a group still lands in it."""
    router = Router(mode="hybrid", embed=minilm, group_top_k=1)
    ranked = _names(router.rank(_grouped(), "Will it be sunny in Oslo tomorrow?"))
    assert set(ranked) == {"get_weather", "get_forecast", "search_notes"}
    assert ranked[0] in {"get_weather", "get_forecast"}


def test_two_stage_routing_without_any_tags_ranks_all_tools() -> None:
    """With no groups at all, every tool is untagged and passes the group stage."""
    toolbox = Toolbox([_tool("get_weather", "Weather."), _tool("get_forecast", "Forecast.")])
    assert _names(Router(group_top_k=1).rank(toolbox, "weather forecast")) == [
        "get_weather",
        "get_forecast",
    ]
