import json
from typing import Any

import pydantic_core
import pytest
from hypothesis import given
from hypothesis import strategies as st

from switchboard.streaming import partial
from switchboard.streaming.partial import GROWTH, ArgumentBuffer

TEXT = '{"city": "Paris", "days": [1, 2, 3], "note": "sunny and warm"}'


def fed(fragments: list[str], **options: Any) -> ArgumentBuffer:
    buffer = ArgumentBuffer(**options)
    for fragment in fragments:
        buffer.append(fragment)
    return buffer


def split(text: str, size: int) -> list[str]:
    return [text[i : i + size] for i in range(0, len(text), size)]


def test_text_is_the_fragments_joined() -> None:
    """The buffer's text is its fragments, in order, joined."""
    assert fed(split(TEXT, 7)).text == TEXT


def test_partial_keeps_a_string_being_written_cut() -> None:
    """Live partial arguments show a string still being written, as far as it goes."""
    assert fed(['{"city": "Paris", "note": "sun']).partial == {"city": "Paris", "note": "sun"}


def test_partial_drops_other_unfinished_values() -> None:
    """An unfinished literal or a key without its value is left out of partial arguments."""
    assert fed(['{"city": "Paris", "warm": tr']).partial == {"city": "Paris"}
    assert fed(['{"city": "Paris", "note"']).partial == {"city": "Paris"}


def test_partial_without_trailing_strings_drops_the_string() -> None:
    """With trailing_strings off, a string being written is left out."""
    buffer = fed(['{"city": "Paris", "note": "sun'], trailing_strings=False)
    assert buffer.partial == {"city": "Paris"}


def test_settled_drops_the_unfinished_string() -> None:
    """As the Anthropic SDK reads a truncated call, settled values leave the string out."""
    assert fed(['{"city": "Paris", "note": "sun']).settled() == {"city": "Paris"}


def test_text_that_stops_being_json_keeps_the_last_partial_value() -> None:
    """Text that stops being JSON leaves the partial arguments as they last parsed."""
    buffer = fed(['{"city": "Paris", '])
    assert buffer.partial == {"city": "Paris"}
    buffer.append("}}}" * 10)
    assert buffer.partial == {"city": "Paris"}
    assert buffer.settled() == {}


def test_reparsing_is_amortised_linear(monkeypatch: pytest.MonkeyPatch) -> None:
    """`partial` read after each of 10,000 fragments parses at most (1 + 1/GROWTH) texts.

    And the number of parses is logarithmic in the text's length.
    """
    parsed: list[int] = []
    from_json = pydantic_core.from_json

    def counting(text: str, **options: Any) -> Any:
        parsed.append(len(text))
        return from_json(text, **options)

    monkeypatch.setattr(partial.pydantic_core, "from_json", counting)
    text = json.dumps({"rows": [{"id": i, "name": f"row {i}"} for i in range(2000)]})
    buffer = ArgumentBuffer()
    for fragment in split(text, max(1, len(text) // 10_000)):
        buffer.append(fragment)
        assert isinstance(buffer.partial, dict)
    assert sum(parsed) <= (1 + 1 / GROWTH) * len(text)
    assert len(parsed) < 80


def test_partial_lags_the_text_by_less_than_the_growth_share() -> None:
    """`partial` always reflects at least 1 / (1 + GROWTH) of the text so far."""
    text = json.dumps({"values": list(range(3000))})
    buffer = ArgumentBuffer()
    for fragment in split(text, 5):
        buffer.append(fragment)
        seen = len(buffer.partial.get("values", []))
        done = len(pydantic_core.from_json(buffer.text, allow_partial=True).get("values", []))
        assert seen >= done / (1 + GROWTH) - 1


json_objects = st.dictionaries(
    st.text(max_size=8),
    st.recursive(
        st.none() | st.booleans() | st.integers() | st.text(max_size=12),
        lambda inner: (
            st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=5), inner, max_size=4)
        ),
        max_leaves=10,
    ),
    max_size=5,
)


@given(json_objects, st.lists(st.integers(min_value=1, max_value=9), min_size=1))
def test_any_split_reads_back_the_whole_arguments(value: dict[str, Any], sizes: list[int]) -> None:
    """However the text is cut into fragments, the buffer's arguments are the whole value."""
    text = json.dumps(value)
    fragments: list[str] = []
    start = 0
    while start < len(text):
        size = sizes[len(fragments) % len(sizes)]
        fragments.append(text[start : start + size])
        start += size
    buffer = ArgumentBuffer()
    for fragment in fragments:
        buffer.append(fragment)
        assert isinstance(buffer.partial, dict)
    assert buffer.text == text
    assert buffer.settled() == value


def test_deltas_give_each_fragment_its_event_with_the_arguments_so_far() -> None:
    """The buffer's per-fragment step adds the fragment and gives its delta, partial included."""
    buffer = ArgumentBuffer()
    step = buffer.deltas("c1")
    events = [event for fragment in split(TEXT, 9) for event in step(fragment)]
    assert [event.fragment for event in events] == split(TEXT, 9)
    assert {event.id for event in events} == {"c1"}
    assert events[-1].partial_args == json.loads(TEXT)
    assert buffer.text == TEXT


def test_deltas_without_partial_args_give_none_and_skip_empty_fragments() -> None:
    """Without partial arguments a delta carries None; an empty fragment gives no delta."""
    buffer = ArgumentBuffer()
    step = buffer.deltas("c1", partial_args=False)
    assert step("") == []
    assert [(e.fragment, e.partial_args) for e in step('{"a": 1}')] == [('{"a": 1}', None)]
    assert len(buffer) == len('{"a": 1}')
