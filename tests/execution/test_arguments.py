import json
import math
from collections.abc import Callable
from types import MappingProxyType
from typing import Any

import json_repair
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from switchboard.execution.arguments import (
    MAX_REPAIR_CHARS,
    ParsedArguments,
    UnparsableArguments,
    load_json,
    parse_arguments,
)
from switchboard.tools.json_object import load_json_object


def always(arguments: dict[str, Any]) -> bool:
    """Accept any closed object."""
    return True


def never(arguments: dict[str, Any]) -> bool:
    """Refuse any closed object."""
    return False


def requires(*names: str) -> Callable[[dict[str, Any]], bool]:
    """Accept objects that hold every one of ``names``, like a required-parameters check."""
    return lambda arguments: all(name in arguments for name in names)


def unparsable_message(raw: str, accepts: Callable[[dict[str, Any]], bool] | None = None) -> str:
    """The message parse_arguments refuses ``raw`` with."""
    with pytest.raises(UnparsableArguments) as caught:
        parse_arguments(raw, accepts=accepts)
    return caught.value.message


# Input as the providers send it


def test_clean_json_object_has_no_repairs() -> None:
    """A well-formed JSON object comes back as is, with no repairs."""
    parsed = parse_arguments('{"city": "Tokyo", "days": 3, "metric": true}')
    assert parsed == ParsedArguments({"city": "Tokyo", "days": 3, "metric": True}, ())


def test_mapping_comes_back_as_a_dict_without_repairs() -> None:
    """Arguments already decoded (Anthropic, Gemini) come back as a plain dict."""
    parsed = parse_arguments(MappingProxyType({"city": "Tokyo"}))
    assert type(parsed.value) is dict
    assert parsed == ParsedArguments({"city": "Tokyo"}, ())


def test_none_is_an_empty_object() -> None:
    """No arguments at all read as {} with the repair "empty"."""
    assert parse_arguments(None) == ParsedArguments({}, ("empty",))


@pytest.mark.parametrize("raw", ["", "  \n\t"])
def test_blank_string_is_an_empty_object(raw: str) -> None:
    """An empty or whitespace-only string reads as {} with the repair "empty"."""
    assert parse_arguments(raw) == ParsedArguments({}, ("empty",))


# One test per kind of repair


def test_code_fence_is_removed() -> None:
    """A ```json fence around the object is removed and recorded as "code_fence"."""
    raw = '```json\n{\n  "query": "hotels in Lisbon",\n  "max_results": 5\n}\n```'
    parsed = parse_arguments(raw)
    assert parsed == ParsedArguments(
        {"query": "hotels in Lisbon", "max_results": 5}, ("code_fence",)
    )


def test_code_fence_without_language_inside_prose_is_removed() -> None:
    """A bare ``` fence with prose before and after still yields the object inside."""
    raw = 'Here are the arguments:\n```\n{"ticker": "AAPL"}\n```\nLet me know if you need more.'
    assert parse_arguments(raw) == ParsedArguments({"ticker": "AAPL"}, ("code_fence",))


def test_double_encoded_object_is_decoded() -> None:
    """An object sent as a JSON string of JSON is decoded and recorded as "double_encoded"."""
    raw = json.dumps(json.dumps({"path": "/tmp/report.csv", "overwrite": False}))
    parsed = parse_arguments(raw)
    assert parsed == ParsedArguments(
        {"path": "/tmp/report.csv", "overwrite": False}, ("double_encoded",)
    )


def test_python_literals_become_json_literals() -> None:
    """True, False and None outside strings become true, false and null."""
    raw = '{"include_archived": True, "dry_run": False, "since": None, "note": "None"}'
    parsed = parse_arguments(raw)
    assert parsed == ParsedArguments(
        {"include_archived": True, "dry_run": False, "since": None, "note": "None"},
        ("python_literals",),
    )


def test_single_quoted_strings_become_json_strings() -> None:
    """Single-quoted keys and values are requoted, keeping apostrophes and double quotes."""
    raw = """{'title': 'Don\\'t panic', 'quote': 'she said "hi"', 'author': "O'Brien"}"""
    parsed = parse_arguments(raw)
    assert parsed == ParsedArguments(
        {"title": "Don't panic", "quote": 'she said "hi"', "author": "O'Brien"},
        ("single_quotes",),
    )


def test_trailing_commas_are_dropped() -> None:
    """Commas before a closing brace or bracket are dropped and recorded."""
    raw = '{\n  "recipients": ["ana@example.com", "bo@example.com",],\n  "subject": "Hi",\n}'
    parsed = parse_arguments(raw)
    assert parsed == ParsedArguments(
        {"recipients": ["ana@example.com", "bo@example.com"], "subject": "Hi"},
        ("trailing_comma",),
    )


def test_truncated_object_is_closed_when_accepted() -> None:
    """An object cut off between two properties is closed, recorded as "truncated"."""
    raw = '{"city": "Paris", "units": ["metric", "kelvin"], '
    parsed = parse_arguments(raw, accepts=always)
    assert parsed == ParsedArguments(
        {"city": "Paris", "units": ["metric", "kelvin"]}, ("truncated",)
    )


def test_object_missing_only_its_closing_brace_is_closed() -> None:
    """The last value complete, only the brace missing: the object is closed."""
    parsed = parse_arguments('{"city": "Tokyo", "metric": true', accepts=always)
    assert parsed == ParsedArguments({"city": "Tokyo", "metric": True}, ("truncated",))


@pytest.mark.parametrize(
    ("raw", "where"),
    [
        ('{"account": "ACC-12', "inside a string"),
        ("{'account': 'ACC-12", "inside a string"),
        ('{"amount": 10', "inside the value '10', which may go on"),
        ('{"amount": 10.5', "inside the value '10.5', which may go on"),
        ('{"confirm": tru', "inside the value 'tru', which may go on"),
        ('{"to": ["ana", "bo"', "inside a list, whose remaining items are unknown"),
        ('{"to": ["ana", "bo"], ', None),
        ('{"city": "Paris", "unit": ', 'after the key "unit", before its value'),
        ('{"city": "Paris", "unit"', 'after the key "unit", before its value'),
        ('{"city": "Paris", "filters": {', "before the first property of an object"),
        ("{", "before the first property of an object"),
    ],
)
def test_cut_inside_a_value_is_unparsable_never_closed(raw: str, where: str | None) -> None:
    """A cut inside a string, number, word, list or before a value is never closed over."""
    if where is None:  # the control: cut between two properties, closed
        assert parse_arguments(raw, accepts=always).repairs == ("truncated",)
        return
    message = unparsable_message(raw, accepts=always)
    assert message.startswith(f"Arguments were cut off after {len(raw)} character")
    assert f", {where} (they end with" in message
    assert message.endswith("Nothing was run: send the complete arguments as one JSON object.")


def test_truncated_object_is_refused_when_accepts_returns_false() -> None:
    """A cut-off object that the caller's validator refuses is unparsable."""
    message = unparsable_message('{"city": "Paris", ', accepts=requires("unit"))
    assert message.startswith("Arguments were cut off after 18 characters, before the object")


def test_truncated_object_is_refused_without_accepts() -> None:
    """Without accepts, a cut-off object is unparsable and the message says it was cut off."""
    assert unparsable_message('{"city": "Paris",', accepts=None) == (
        "Arguments were cut off after 17 characters, before the object was closed, and what "
        """came before is not a valid call (they end with '{"city": "Paris",'). """
        "Nothing was run: send the complete arguments as one JSON object."
    )


@pytest.mark.parametrize(
    ("raw", "named"),
    [
        ('{"x": NaN}', "NaN"),
        ('{"x": Infinity}', "Infinity"),
        ('{"x": [1, -Infinity]}', "-Infinity"),
        ("{'x': NaN}", "NaN"),
        ('```json\n{"x": NaN}\n```', "NaN"),
    ],
)
def test_nan_and_infinity_are_refused(raw: str, named: str) -> None:
    """NaN and Infinity are not JSON numbers: refused, naming the value, never passed on."""
    assert unparsable_message(raw) == (
        f"Arguments hold {named}, which is not a JSON number. Send a finite number instead "
        "(or null for none)."
    )


def test_number_too_large_for_a_float_is_refused_in_repaired_text() -> None:
    """In text that needed repair, a number that overflows a float is refused, not inf."""
    assert unparsable_message("{'x': 1e400}").startswith(
        "Arguments hold the number 1e400, which is too large for a 64-bit float."
    )


def test_nan_in_already_decoded_arguments_is_refused() -> None:
    """A provider's decoded arguments holding NaN (json.loads reads it) are refused too."""
    message = unparsable_message({"x": {"y": [1.0, float("nan")]}})  # type: ignore[arg-type]
    assert message.startswith("Arguments hold NaN, which is not a JSON number.")


@pytest.mark.parametrize(
    "raw",
    [
        '{"a": 1, "a": 2}',
        '{"a": {"b": 1, "b": 1}}',
        '{"when": "10:30", "a": 1, "a": 1}',
        '{"list": [{"k": "x"}, {"k": "y", "k": "z"}]}',
        "{'a': 1, 'a': 2}",
    ],
)
def test_a_key_given_twice_is_refused(raw: str) -> None:
    """Duplicate keys would silently keep the last value: refused, naming the key."""
    message = unparsable_message(raw)
    assert message.startswith("Arguments give the key ")
    assert "more than once in the same object" in message


@pytest.mark.parametrize("raw", ['{"when": "10:30", "url": "http://x"}', '{"a": {"b": "c:d"}}'])
def test_colons_inside_strings_are_not_taken_for_repeated_keys(raw: str) -> None:
    """Colons in values send the text to the key-by-key check, which finds nothing wrong."""
    assert parse_arguments(raw) == ParsedArguments(json.loads(raw), ())
    assert load_json_object(raw) is None or load_json_object(raw) == json.loads(raw)


def test_text_too_long_to_repair_is_unparsable_with_the_limit() -> None:
    """Past MAX_REPAIR_CHARS only clean JSON is read; the message gives size and limit."""
    raw = '{"a": ' + "x" * MAX_REPAIR_CHARS + "}"
    message = unparsable_message(raw)
    assert message.startswith("Arguments are not valid JSON: Expecting value at line 1 column 7")
    assert f"at {len(raw):,} characters they are too long to repair" in message
    clean = json.dumps({"a": "x" * MAX_REPAIR_CHARS})
    assert parse_arguments(clean).value == {"a": "x" * MAX_REPAIR_CHARS}


def test_long_unquoted_value_is_not_handed_to_json_repair() -> None:
    """json_repair is quadratic on unquoted values: past its bound the text is unparsable."""
    short = '{"a": ' + "x" * 100 + "}"
    assert parse_arguments(short).value == {"a": "x" * 100}
    assert unparsable_message('{"a": ' + "x" * 40_000 + "}").startswith(
        "Arguments are not valid JSON"
    )


def test_accepts_is_not_asked_about_complete_arguments() -> None:
    """Arguments that were not cut off never go through accepts."""
    assert parse_arguments('{"a": 1,}', accepts=never) == ParsedArguments(
        {"a": 1}, ("trailing_comma",)
    )


def test_unclassified_repair_is_recorded_as_other() -> None:
    """A repair json_repair makes that has no name of its own (a missing comma) is "other"."""
    parsed = parse_arguments('{"city": "Tokyo" "unit": "celsius"}')
    assert parsed == ParsedArguments({"city": "Tokyo", "unit": "celsius"}, ("other",))


def test_prose_around_an_unfenced_object_is_recorded_as_other() -> None:
    """Text before and after a bare object is dropped and recorded as "other"."""
    raw = 'Calling the tool now: {"id": 42} Hope that helps!'
    assert parse_arguments(raw) == ParsedArguments({"id": 42}, ("other",))


def test_doubled_comma_is_not_read_into_a_value() -> None:
    """A doubled comma is dropped, where json_repair alone would read 1,, as the string "1,"."""
    assert parse_arguments('{"a": 1,, "b": 2}') == ParsedArguments({"a": 1, "b": 2}, ("other",))


def test_raw_newline_inside_a_string_is_recorded_as_other() -> None:
    """A raw line break inside a string value (invalid JSON) is kept and recorded as "other"."""
    raw = '{"path": "notes.md", "content": "# Title\nFirst line"}'
    parsed = parse_arguments(raw)
    assert parsed == ParsedArguments(
        {"path": "notes.md", "content": "# Title\nFirst line"}, ("other",)
    )


def test_several_repairs_are_recorded_in_order() -> None:
    """A fenced Python-style dict records every repair it needed, fence first."""
    raw = "```python\n{'query': 'rust async', 'exact': False, 'tags': ['lang', 'web',],}\n```"
    parsed = parse_arguments(raw)
    assert parsed == ParsedArguments(
        {"query": "rust async", "exact": False, "tags": ["lang", "web"]},
        ("code_fence", "python_literals", "single_quotes", "trailing_comma"),
    )


def test_double_encoded_python_dict_records_both_repairs() -> None:
    """A Python dict sent as a JSON string records the decoding, then the requoting."""
    parsed = parse_arguments(json.dumps("{'n': 3}"))
    assert parsed == ParsedArguments({"n": 3}, ("double_encoded", "single_quotes"))


def test_fenced_truncated_object_records_both_repairs() -> None:
    """A fence the model never closed around a cut-off object records both repairs."""
    parsed = parse_arguments('```json\n{"q": "weather", "limit": 1,', accepts=always)
    assert parsed == ParsedArguments({"q": "weather", "limit": 1}, ("code_fence", "truncated"))


# What stays unparsable


def test_prose_is_unparsable() -> None:
    """Plain prose holds no arguments; the message quotes the JSON error and its place."""
    assert unparsable_message("I need to know the city first.") == (
        "Arguments are not valid JSON: Expecting value at line 1 column 1 "
        "(near 'I need to '). Send the arguments as one JSON object, "
        'e.g. {"param": "value"}.'
    )


def test_json_error_message_points_at_the_error() -> None:
    """The message keeps json's line, column and an excerpt around the error."""
    assert unparsable_message('{"city": "Tokyo"} and then {"city": "Osaka"}') == (
        "Arguments are not valid JSON: Extra data at line 1 column 19 "
        """(near '{"city": "Tokyo"} and then {'). Send the arguments as one JSON object, """
        'e.g. {"param": "value"}.'
    )


@pytest.mark.parametrize(
    ("raw", "kind"),
    [
        ('["Paris", "metric"]', "an array"),
        ("42", "a number"),
        ("true", "a boolean"),
        ("null", "null"),
        ('"Paris"', "a string"),
        ('"[1, 2]"', "a string"),
    ],
)
def test_non_object_json_is_unparsable(raw: str, kind: str) -> None:
    """A top-level JSON value other than an object is refused, naming what it was."""
    assert unparsable_message(raw) == (
        f"Arguments must be a JSON object, but they were {kind}: {raw}. "
        'Send the arguments as one JSON object, e.g. {"param": "value"}.'
    )


@pytest.mark.parametrize("raw", ["}{", "ok {", "Sure thing: {}"])
def test_garbage_that_json_repair_reads_as_empty_object_is_unparsable(raw: str) -> None:
    """Text that json_repair turns into {} is refused, even when accepts takes {}."""
    assert json_repair.loads(raw) == {}
    assert unparsable_message(raw, accepts=always).startswith("Arguments are not valid JSON")


@pytest.mark.parametrize("raw", ["city = Paris", "get_weather(city='Paris')", "True"])
def test_garbage_that_json_repair_reads_as_string_is_unparsable(raw: str) -> None:
    """Text that json_repair turns into a string or other non-object is refused."""
    assert not isinstance(json_repair.loads(raw), dict)
    assert unparsable_message(raw).startswith("Arguments are not valid JSON")


def test_several_objects_are_unparsable() -> None:
    """Two objects in one call are refused rather than one being picked or both merged."""
    assert json_repair.loads('{"a": 1} then {"a": 2}') == {"a": 2}
    assert unparsable_message('{"a": 1} then {"a": 2}').startswith("Arguments are not valid JSON")


@pytest.mark.parametrize("raw", ["[" * 100_000, "{" * 100_000, '{"a": ' * 50_000])
def test_deeply_nested_input_is_unparsable(raw: str) -> None:
    """Runaway nesting is refused quickly, without a RecursionError."""
    assert unparsable_message(raw).startswith("Arguments are not valid JSON")


# Properties

json_scalars = (
    st.none()
    | st.booleans()
    | st.integers()
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text()
)
json_values = st.recursive(
    json_scalars,
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5)
    ),
    max_leaves=20,
)
json_objects = st.dictionaries(st.text(), json_values, max_size=6)
json_dumps_options = st.fixed_dictionaries(
    {"ensure_ascii": st.booleans(), "indent": st.sampled_from([None, 2])}
)
json_like_text = st.text(alphabet="{}[]:,\"'` \n\\TrueFalseNonetrufalsn0123456789.-eEabcu")


@settings(max_examples=200, deadline=None)
@given(json_objects, json_dumps_options)
def test_any_json_object_parses_without_repairs(
    obj: dict[str, Any], options: dict[str, Any]
) -> None:
    """Every JSON object, however dumped, comes back equal, with no repairs."""
    assert parse_arguments(json.dumps(obj, **options)) == ParsedArguments(obj, ())


@settings(max_examples=400, deadline=None)
@given(st.text() | json_like_text, st.sampled_from([None, always]))
def test_any_text_gives_an_object_or_unparsable(
    raw: str, accepts: Callable[[dict[str, Any]], bool] | None
) -> None:
    """Arbitrary text yields a dict or UnparsableArguments, never another outcome."""
    try:
        parsed = parse_arguments(raw, accepts=accepts)
    except UnparsableArguments:
        return
    assert isinstance(parsed.value, dict)


@settings(max_examples=200, deadline=None)
@given(json_objects, json_dumps_options, st.sampled_from(["json", "JSON", ""]))
def test_fenced_json_object_records_only_the_fence(
    obj: dict[str, Any], options: dict[str, Any], language: str
) -> None:
    """Any JSON object in a code fence comes back equal, with repairs ("code_fence",)."""
    raw = f"```{language}\n{json.dumps(obj, **options)}\n```"
    assert parse_arguments(raw) == ParsedArguments(obj, ("code_fence",))


@settings(max_examples=200, deadline=None)
@given(json_objects, json_dumps_options)
def test_double_encoded_json_object_records_only_the_decoding(
    obj: dict[str, Any], options: dict[str, Any]
) -> None:
    """Any JSON object encoded twice comes back equal, with repairs ("double_encoded",)."""
    raw = json.dumps(json.dumps(obj, **options))
    assert parse_arguments(raw) == ParsedArguments(obj, ("double_encoded",))


python_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(),
    lambda children: (
        st.lists(children, max_size=5) | st.dictionaries(st.text(), children, max_size=5)
    ),
    max_leaves=20,
)


@settings(max_examples=200, deadline=None)
@given(st.dictionaries(st.text(), python_values, max_size=6))
def test_python_dict_repr_parses_to_the_same_object(obj: dict[str, Any]) -> None:
    """Any dict of JSON-like values, written as Python's repr(), parses back equal."""
    assert parse_arguments(repr(obj)).value == obj


def is_prefix(closed: Any, original: Any) -> bool:
    """Whether ``closed`` holds the first properties of ``original`` and nothing made up.

    Every value is the original's, but the last, which may be a prefix of an object.
    """
    if not isinstance(closed, dict) or not isinstance(original, dict):
        return same_json(closed, original)
    keys = list(closed)
    if keys != list(original)[: len(keys)]:
        return False
    *whole, last = keys or [None]
    if last is None:
        return True
    return all(same_json(closed[k], original[k]) for k in whole) and is_prefix(
        closed[last], original[last]
    )


@settings(max_examples=300, deadline=None)
@given(json_objects.filter(bool), json_dumps_options, st.data())
def test_cut_off_json_object_is_closed_only_over_whole_values(
    obj: dict[str, Any], options: dict[str, Any], data: st.DataObject
) -> None:
    """A JSON object cut anywhere is unparsable, or closes to its first properties, unchanged."""
    text = json.dumps(obj, **options)
    cut = data.draw(st.integers(1, len(text) - 1), label="cut")
    try:
        parsed = parse_arguments(text[:cut], accepts=always)
    except UnparsableArguments as e:
        refusal: str | None = e.message
    else:
        refusal = None
        assert parsed.repairs == ("truncated",)
        assert is_prefix(parsed.value, obj)
    assert refusal is None or refusal.startswith("Arguments were cut off")


@settings(max_examples=200, deadline=None)
@given(json_objects.filter(lambda o: len(o) > 1), st.data())
def test_object_cut_after_a_property_and_its_comma_keeps_exactly_those_properties(
    obj: dict[str, Any], data: st.DataObject
) -> None:
    """Cut right after the k-th property's comma, the object closes to its first k."""
    k = data.draw(st.integers(1, len(obj) - 1), label="k")
    head = list(obj.items())[:k]
    text = json.dumps(dict(head))[:-1] + ", "
    assert parse_arguments(text, accepts=always) == ParsedArguments(dict(head), ("truncated",))


# Strict JSON is read as json.loads reads it


def same_json(a: Any, b: Any) -> bool:
    """Equal, with the same types throughout (1 is not 1.0, -0.0 is not 0.0, NaN is NaN)."""
    if type(a) is not type(b):
        return False
    if isinstance(a, float):
        return repr(a) == repr(b)
    if isinstance(a, dict):
        return list(a) == list(b) and all(same_json(a[k], b[k]) for k in a)
    if isinstance(a, list):
        return len(a) == len(b) and all(same_json(x, y) for x, y in zip(a, b, strict=True))
    return a == b


json_numbers = st.from_regex(r"\A-?(0|[1-9][0-9]{0,30})(\.[0-9]{1,30})?([eE][+-]?[0-9]{1,3})?\Z")


@settings(max_examples=300, deadline=None)
@given(json_values | st.floats() | json_numbers.map(json.loads), json_dumps_options)
def test_load_json_reads_json_as_json_loads_does(value: Any, options: dict[str, Any]) -> None:
    """Any JSON text (big and negative-zero numbers too) decodes to the same values."""
    text = json.dumps(value, **options)
    expected = json.loads(text)
    if isinstance(expected, float) and not math.isfinite(expected):
        with pytest.raises(UnparsableArguments):  # NaN, Infinity, 1e400: not JSON numbers
            load_json(text)
        return
    assert same_json(load_json(text), expected)


@settings(max_examples=500, deadline=None)
@given(st.text() | json_like_text | json_numbers)
def test_load_json_object_reads_only_what_json_loads_reads_as_an_object(text: str) -> None:
    """Whatever the fast reader accepts, json.loads reads the same object from."""
    value = load_json_object(text)
    if value is not None:
        assert same_json(value, json.loads(text))


@pytest.mark.parametrize(
    "text",
    [
        '{"a": "\\ud800"}',  # a lone surrogate, escaped
        '{"a": "\ud800"}',  # a lone surrogate, raw
        '{"a": ' * 300 + "1" + "}" * 300,  # deeper than pydantic-core goes
        '{"a": 1, "b": -0.0, "c": 1e308}',
    ],
)
def test_load_json_reads_edge_cases_as_json_loads_does(text: str) -> None:
    """Lone surrogates, deep nesting and extreme numbers decode as json.loads decodes them."""
    assert same_json(load_json(text), json.loads(text))


@pytest.mark.parametrize("text", ['{"a": 1,}', "{'a': 1}", '{"a": "x\ny"}', "[1]", '"{}"', ""])
def test_load_json_object_refuses_anything_but_a_strict_json_object(text: str) -> None:
    """Text to repair, or JSON that is not an object, is left to parse_arguments."""
    assert load_json_object(text) is None
