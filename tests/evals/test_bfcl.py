"""BFCL's own function docs and ground truth, through switchboard tools and the providers' SDKs.

Every function doc of the AST categories in ``CATEGORIES`` and every multi-turn doc
becomes a `Tool`. Each of its exports must be accepted by the provider SDK's own types;
its strict export must pass an independent strict-rules check, or the tool must name
its strict issues; and every ground-truth call of BFCL must pass ``Tool.validate``,
except the entries of ``KNOWN_INVALID``, which must fail: the record cannot rot.
"""

from __future__ import annotations

import ast
import json
from collections.abc import Iterator, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any

import pytest
from anthropic.types import ToolParam as AnthropicToolParam
from google.genai.types import FunctionDeclaration
from jsonschema import Draft202012Validator
from mcp.types import Tool as McpTool
from openai.types.chat import ChatCompletionToolParam
from openai.types.responses import FunctionToolParam
from pydantic import TypeAdapter

from switchboard import Tool
from switchboard.errors import (
    ArgumentsError,
    ConfigurationError,
    SchemaDialectError,
    StrictSchemaError,
    ToolDefinitionError,
)
from switchboard.evals import bfcl
from switchboard.evals.bfcl import (
    bfcl_json_schema,
    bfcl_tool_name,
    from_bfcl,
    load_bfcl,
    load_multi_turn_docs,
    load_possible_answers,
)

CATEGORIES = ("simple_python", "multiple", "parallel", "parallel_multiple", "irrelevance")
ANSWERED = ("simple_python", "multiple", "parallel", "parallel_multiple")  # irrelevance has none
FORMATS = ("openai", "openai-responses", "anthropic", "gemini", "mcp")

# Ground-truth entries that do not validate against their own function docs: BFCL data
# bugs, each checked by hand against the doc and the question. The tests assert that
# exactly these fail, so a fix upstream (or a regression here) shows up.
KNOWN_INVALID: dict[str, str] = {
    "simple_python_307": (
        "game_result.get_winner: 'venue' is a string (\"Default is 'home'\"), but its only "
        "possible value besides omission is the boolean true: the doc's `optional: true` "
        "leaked into the answer."
    ),
    "parallel_multiple_12": (
        "calculate_voltage_difference: the answer gives 'permeability', a parameter of the "
        "other function (calculate_magnetic_field), not of this one."
    ),
    "parallel_multiple_21": (
        "linear_regression_fit: 'x' and 'y' are arrays of floats, but the answer passes the "
        "Python expressions \"data['sales']\" and \"data['future_sales']\" as strings (BFCL's "
        "checker lets a string stand for a variable; JSON arguments have no variables)."
    ),
    "parallel_multiple_26": (
        "bank.calculate_balance: the answer gives 'type' as a top-level parameter; it is a key "
        "of each 'transactions' item, not a parameter."
    ),
    "parallel_multiple_94": (
        "sort_list: 'elements' is declared an array of integers, but the first call sorts the "
        "words ['apple', 'banana', ...] that the question asks for."
    ),
    "multi_turn_base_173": (
        "close_ticket: 'ticket_id' is an integer in the doc (and `ticket_id: int` in BFCL's "
        "TicketAPI), but the answer passes 'ticket_001', the string id of the initial config."
    ),
}

# No skip when the data is missing: the README's test command installs bfcl-eval, and a
# proof that silently skips proves nothing. load_* raise with the pip command to run.
ENTRIES = {category: load_bfcl(category) for category in CATEGORIES}
ANSWERS = {category: load_possible_answers(category) for category in ANSWERED}
MULTI_TURN_DOCS = load_multi_turn_docs()
MULTI_TURN_ANSWERS = load_possible_answers("multi_turn_base")


# --- building each tool once ------------------------------------------------------------


def _key(doc: Mapping[str, Any]) -> str:
    return json.dumps(doc, sort_keys=True)


@cache
def _tool_for_key(key: str) -> Tool:
    return from_bfcl(json.loads(key))


def tool_for(doc: Mapping[str, Any]) -> Tool:
    """The tool of a doc, built once per distinct doc (docs repeat across entries)."""
    return _tool_for_key(_key(doc))


def _unique_docs() -> Iterator[tuple[str, dict[str, Any]]]:
    """(case id, doc) for each distinct doc, named by the first entry that has it."""
    seen: set[str] = set()
    pairs = [
        (entry["id"], doc)
        for category in CATEGORIES
        for entry in ENTRIES[category]
        for doc in entry["function"]
    ]
    pairs += [("multi_turn", doc) for doc in MULTI_TURN_DOCS]
    for case, doc in pairs:
        key = _key(doc)
        if key not in seen:
            seen.add(key)
            yield case, doc


DOCS = list(_unique_docs())
DOC_PARAMS = [pytest.param(doc, id=f"{case}:{doc['name']}") for case, doc in DOCS]


# --- the providers' SDK types -----------------------------------------------------------

_OPENAI_CHAT = TypeAdapter(ChatCompletionToolParam)
_OPENAI_RESPONSES = TypeAdapter(FunctionToolParam)
_ANTHROPIC = TypeAdapter(AnthropicToolParam)


def sdk_round_trip(fmt: str, export: dict[str, Any]) -> Any:
    """Parse an export with the provider SDK's own type, as the SDK would send it.

    The SDKs' TypedDicts drop keys they do not know, so the caller compares the result
    with the export: an unknown key shows up as a difference.
    """
    if fmt == "openai":
        return _OPENAI_CHAT.validate_python(export)
    if fmt == "openai-responses":
        return _OPENAI_RESPONSES.validate_python(export)
    if fmt == "anthropic":
        return _ANTHROPIC.validate_python(export)
    if fmt == "gemini":
        # extra="forbid" in google-genai's models: an unknown key raises.
        declaration = FunctionDeclaration.model_validate(export)
        return declaration.model_dump(mode="json", by_alias=True, exclude_none=True)
    mcp_tool = McpTool.model_validate(export)
    return mcp_tool.model_dump(mode="json", by_alias=True, exclude_none=True)


# --- an independent check of OpenAI's strict-mode rules ---------------------------------

# https://platform.openai.com/docs/guides/structured-outputs#supported-schemas
_STRICT_KEYWORDS = frozenset(
    {
        "type",
        "properties",
        "required",
        "additionalProperties",
        "items",
        "enum",
        "const",
        "anyOf",
        "description",
        "title",
        "$ref",
        "$defs",
        "pattern",
        "format",
        "minimum",
        "maximum",
        "exclusiveMinimum",
        "exclusiveMaximum",
        "multipleOf",
        "minItems",
        "maxItems",
    }
)
_STRICT_FORMATS = frozenset(
    {"date-time", "time", "date", "duration", "email", "hostname", "ipv4", "ipv6", "uuid"}
)
_STRICT_MAX_DEPTH = 10
_STRICT_MAX_PROPERTIES = 5000
_STRICT_MAX_ENUM_VALUES = 1000


def _subschemas(schema: Mapping[str, Any], path: str) -> Iterator[tuple[str, Mapping[str, Any]]]:
    for name, sub in schema.get("properties", {}).items():
        yield f"{path}/properties/{name}", sub
    if isinstance(schema.get("items"), Mapping):
        yield f"{path}/items", schema["items"]
    for index, sub in enumerate(schema.get("anyOf", [])):
        yield f"{path}/anyOf/{index}", sub
    for name, sub in schema.get("$defs", {}).items():
        yield f"{path}/$defs/{name}", sub


def _node_violations(schema: Mapping[str, Any], path: str) -> Iterator[str]:
    for keyword in sorted(set(schema) - _STRICT_KEYWORDS):
        yield f"{path or '/'}: keyword {keyword!r} is not supported in strict mode"
    if "format" in schema and schema["format"] not in _STRICT_FORMATS:
        yield f"{path or '/'}: format {schema['format']!r} is not supported in strict mode"
    types = schema.get("type")
    is_object = types == "object" or (isinstance(types, list) and "object" in types)
    if not is_object and "properties" not in schema:
        return
    if schema.get("additionalProperties") is not False:
        yield f"{path or '/'}: object without additionalProperties: false"
    properties = list(schema.get("properties", {}))
    if sorted(schema.get("required", [])) != sorted(properties):
        yield f"{path or '/'}: required {schema.get('required')} is not every property"


def strict_violations(parameters: Mapping[str, Any]) -> list[str]:
    """Every way a strict export breaks OpenAI's published strict-mode rules."""
    found: list[str] = []
    if parameters.get("type") != "object":
        found.append("/: the root is not an object")
    counts = {"properties": 0, "enum": 0}
    stack: list[tuple[str, Mapping[str, Any], int]] = [("", parameters, 1)]
    while stack:
        path, schema, depth = stack.pop()
        found.extend(_node_violations(schema, path))
        if depth > _STRICT_MAX_DEPTH:
            found.append(f"{path}: nested deeper than {_STRICT_MAX_DEPTH} levels")
        counts["properties"] += len(schema.get("properties", {}))
        counts["enum"] += len(schema.get("enum", []))
        stack.extend((sub_path, sub, depth + 1) for sub_path, sub in _subschemas(schema, path))
    if counts["properties"] > _STRICT_MAX_PROPERTIES:
        found.append(f"/: {counts['properties']} properties, over {_STRICT_MAX_PROPERTIES}")
    if counts["enum"] > _STRICT_MAX_ENUM_VALUES:
        found.append(f"/: {counts['enum']} enum values, over {_STRICT_MAX_ENUM_VALUES}")
    return found


# --- ground truth -> concrete arguments -------------------------------------------------

_OMITTED = object()


@dataclass(frozen=True)
class Call:
    """One ground-truth call: where it is, the doc it calls, its concrete arguments."""

    label: str
    doc: dict[str, Any] | None
    arguments: dict[str, Any]


def _first_possible(options: list[Any]) -> Any:
    """The first possible value that is not "" (BFCL's "may be omitted"), or _OMITTED."""
    return next((option for option in options if option != ""), _OMITTED)


def _concrete(raw_schema: Mapping[str, Any], value: Any) -> Any:
    """Resolve the possible values nested in a dict answer, the way BFCL's checker reads them.

    BFCL writes the answer of a ``dict`` parameter as ``{key: [possible values]}``
    (``dict_checker``) and a list of dicts as a list of those (``list_dict_checker``),
    in bfcl_eval/eval_checker/ast_eval/ast_checker.py: one level deep, as there.
    """
    items = raw_schema.get("items", {})
    if raw_schema.get("type") == "dict" and isinstance(value, dict):
        return _concrete_arguments(value)
    if items.get("type") == "dict" and isinstance(value, list):
        return [_concrete_arguments(each) if isinstance(each, dict) else each for each in value]
    return value


def _concrete_arguments(possible: Mapping[str, list[Any]]) -> dict[str, Any]:
    chosen = {name: _first_possible(options) for name, options in possible.items()}
    return {name: value for name, value in chosen.items() if value is not _OMITTED}


def ground_truth_arguments(doc: Mapping[str, Any], possible: Mapping[str, Any]) -> dict[str, Any]:
    """Concrete arguments from a ground-truth call: ``{param: [possible values...]}``."""
    properties = doc["parameters"]["properties"]
    arguments = _concrete_arguments(possible)
    return {name: _concrete(properties.get(name, {}), value) for name, value in arguments.items()}


def _ast_calls(category: str, entry_id: str) -> list[Call]:
    entry = ENTRY_BY_ID[entry_id]
    docs = {doc["name"]: doc for doc in entry["function"]}
    calls: list[Call] = []
    for index, call in enumerate(ANSWERS[category][entry_id]):
        for name, possible in call.items():
            doc = docs.get(name)
            arguments = ground_truth_arguments(doc, possible) if doc else {}
            calls.append(Call(f"call {index}: {name}", doc, arguments))
    return calls


# --- multi-turn: Python call strings ----------------------------------------------------


def _docs_by_name(docs: list[dict[str, Any]]) -> dict[str, dict[str, Any] | None]:
    """Docs by name; None for a name whose docs differ (the memory APIs share names)."""
    by_name: dict[str, dict[str, Any] | None] = {}
    for doc in docs:
        earlier = by_name.get(doc["name"], doc)
        by_name[doc["name"]] = doc if earlier == doc else None
    return by_name


MULTI_TURN_BY_NAME = _docs_by_name(MULTI_TURN_DOCS)


def parse_call(source: str) -> tuple[str, list[Any], dict[str, Any]]:
    """``"cd(folder='document')"`` -> ``("cd", [], {"folder": "document"})``."""
    call = ast.parse(source, mode="eval").body
    assert isinstance(call, ast.Call), source
    assert isinstance(call.func, ast.Name), source
    assert all(keyword.arg is not None for keyword in call.keywords), source
    positional = [ast.literal_eval(arg) for arg in call.args]
    keywords = {str(keyword.arg): ast.literal_eval(keyword.value) for keyword in call.keywords}
    return call.func.id, positional, keywords


def call_arguments(
    doc: Mapping[str, Any], positional: list[Any], keywords: dict[str, Any]
) -> dict[str, Any]:
    """Name the positional arguments by the doc's parameter order.

    For every function that BFCL's ground truth calls positionally
    (``sort('final_report.pdf')``), the doc lists its parameters in the order of the
    Python method BFCL runs (bfcl_eval/eval_checker/multi_turn_eval/func_source_code/);
    checked by hand.
    """
    order = list(doc["parameters"]["properties"])
    return {**dict(zip(order, positional, strict=False)), **keywords}


def _multi_turn_calls(entry_id: str) -> list[Call]:
    calls: list[Call] = []
    for turn, sources in enumerate(MULTI_TURN_ANSWERS[entry_id]):
        for source in sources:
            name, positional, keywords = parse_call(source)
            doc = MULTI_TURN_BY_NAME.get(name)
            arguments = call_arguments(doc, positional, keywords) if doc else {}
            calls.append(Call(f"turn {turn}: {name}", doc, arguments))
    return calls


ENTRY_BY_ID = {entry["id"]: entry for category in ANSWERED for entry in ENTRIES[category]}
CALLS: dict[str, list[Call]] = {
    entry_id: _ast_calls(category, entry_id)
    for category in ANSWERED
    for entry_id in ANSWERS[category]
}
CALLS |= {entry_id: _multi_turn_calls(entry_id) for entry_id in MULTI_TURN_ANSWERS}
CALL_PARAMS = [pytest.param(entry_id, id=entry_id) for entry_id in CALLS]
VALID_CALL_PARAMS = [
    pytest.param(entry_id, id=entry_id) for entry_id in CALLS if entry_id not in KNOWN_INVALID
]


# --- checking one call --------------------------------------------------------------------


def call_problems(call: Call) -> list[str]:
    """Why a call does not validate against its doc's tool (empty when it does)."""
    if call.doc is None:
        return [f"{call.label}: no function doc of that name"]
    tool = tool_for(call.doc)
    # BFCL's checker rejects a parameter the doc does not declare ("Unexpected
    # parameter"); the tool's schema leaves objects open, as BFCL's docs do, so ask here.
    unknown = sorted(set(call.arguments) - set(tool.parameters["properties"]))
    problems = [f"{call.label}: {param!r} is not a parameter" for param in unknown]
    try:
        tool.validate(call.arguments)
    except ArgumentsError as e:
        problems += [f"{call.label}: {problem}" for problem in e.problems]
    return problems


def _with_nulls(schema: Mapping[str, Any], value: Any) -> Any:
    """A value as a strict-mode model sends it: every omitted optional key as null."""
    properties = schema.get("properties")
    if isinstance(value, dict) and isinstance(properties, Mapping):
        sent = {key: _with_nulls(properties.get(key, {}), each) for key, each in value.items()}
        return {key: sent.get(key) for key in properties} | sent
    if isinstance(value, list) and isinstance(schema.get("items"), Mapping):
        return [_with_nulls(schema["items"], each) for each in value]
    return value


def strict_problems(call: Call) -> list[str]:
    """Why a strict export rejects a call (empty when it accepts it, or has no strict form)."""
    assert call.doc is not None
    tool = tool_for(call.doc)
    if tool.strict_issues():
        return []
    parameters = tool.schema("openai", strict=True)["function"]["parameters"]
    validator = Draft202012Validator(parameters, format_checker=Draft202012Validator.FORMAT_CHECKER)
    sent = _with_nulls(parameters, call.arguments)
    return [f"{call.label}: {error.message}" for error in validator.iter_errors(sent)]


# --- the tests over BFCL's data ---------------------------------------------------------


def test_every_category_has_docs_and_answers() -> None:
    """The data loaded is the data meant: docs in every category, answers where BFCL has them."""
    assert all(ENTRIES[category] for category in CATEGORIES)
    assert all(ANSWERS[category] for category in ANSWERED)
    assert MULTI_TURN_DOCS
    assert MULTI_TURN_ANSWERS


@pytest.mark.parametrize("doc", DOC_PARAMS)
def test_every_dialect_export_is_accepted_by_the_provider_sdk(doc: dict[str, Any]) -> None:
    """Each export round-trips through the provider SDK's own type, or is refused clearly.

    Gemini needs a type on every value, which BFCL's "any" lacks: those docs are refused
    for Gemini, naming the untyped parameter.
    """
    tool = tool_for(doc)
    untyped = _untyped_paths(tool.parameters, "")
    for fmt in FORMATS:
        if fmt == "gemini" and untyped:
            with pytest.raises(SchemaDialectError, match="has no type") as refused:
                tool.schema(fmt)
            assert refused.value.path in untyped
            continue
        export = tool.schema(fmt)
        assert sdk_round_trip(fmt, export) == export, fmt


def _untyped_paths(node: Mapping[str, Any], path: str) -> list[str]:
    """The pointers of the nodes that have no type and nothing a type could be read from."""
    shaped = {"type", "enum", "const", "properties", "items", "anyOf", "oneOf", "$ref"}
    found = [] if shaped & node.keys() else [path]
    for name, sub in node.get("properties", {}).items():
        found += _untyped_paths(sub, f"{path}/properties/{name}")
    if isinstance(node.get("items"), dict):
        found += _untyped_paths(node["items"], f"{path}/items")
    return found


@pytest.mark.parametrize("doc", DOC_PARAMS)
def test_strict_export_follows_openai_rules_or_names_its_issues(doc: dict[str, Any]) -> None:
    """A strict export passes an independent rules check; otherwise the issues are named."""
    tool = tool_for(doc)
    issues = tool.strict_issues()
    if not issues:
        function = tool.schema("openai", strict=True)["function"]
        assert function["strict"] is True
        assert strict_violations(function["parameters"]) == []
        return
    assert all(issue.reason for issue in issues)
    with pytest.raises(StrictSchemaError) as raised:
        tool.schema("openai", strict=True)
    assert raised.value.issues == issues
    assert tool.schema("openai", strict=True, on_strict_issues="fallback") == tool.schema("openai")


@pytest.mark.parametrize("entry_id", CALL_PARAMS)
def test_ground_truth_calls_validate(entry_id: str) -> None:
    """Every ground-truth call (AST categories and multi_turn_base) passes Tool.validate."""
    problems = [problem for call in CALLS[entry_id] for problem in call_problems(call)]
    if entry_id in KNOWN_INVALID:
        assert problems, f"{entry_id} validates now: remove it from KNOWN_INVALID"
        return
    assert not problems, f"{entry_id}: " + "; ".join(problems)


@pytest.mark.parametrize("entry_id", VALID_CALL_PARAMS)
def test_strict_export_accepts_the_ground_truth(entry_id: str) -> None:
    """A strict export keeps the meaning: it accepts each valid ground-truth call."""
    problems = [problem for call in CALLS[entry_id] for problem in strict_problems(call)]
    assert not problems, f"{entry_id}: " + "; ".join(problems)


def test_known_invalid_names_only_real_entries() -> None:
    """A stale KNOWN_INVALID id would never be checked: each must be a real answered entry."""
    assert set(KNOWN_INVALID) <= set(CALLS)


def _every_category() -> list[str]:
    """Every BFCL_v4 category file; format_sensitivity maps categories to ids, it has no docs."""
    data = resources.files("bfcl_eval") / "data"
    names = (item.name for item in data.iterdir())
    return sorted(
        name.removeprefix("BFCL_v4_").removesuffix(".json")
        for name in names
        if name.startswith("BFCL_v4_") and name != "BFCL_v4_format_sensitivity.json"
    )


def test_every_doc_of_every_category_converts() -> None:
    """All of BFCL's docs (live, Java, JavaScript, memory... too) make tools."""
    docs = {
        _key(doc): entry["id"]
        for category in _every_category()
        for entry in load_bfcl(category)
        for doc in entry.get("function", [])
    }
    failures: list[str] = []
    for key, entry_id in docs.items():
        try:
            tool_for(json.loads(key))
        except ToolDefinitionError as e:
            failures.append(f"{entry_id}: {e}")
    assert not failures, "\n".join(failures)
    assert len(docs) > 3000


# --- the converter on hand-written docs -------------------------------------------------


def test_bfcl_tool_name_replaces_dots_like_bfcl() -> None:
    """Dots become underscores, as BFCL's own OpenAI handler sends them."""
    assert bfcl_tool_name("math.factorial") == "math_factorial"
    assert bfcl_tool_name("a.b.c_d-e") == "a_b_c_d-e"
    assert bfcl_tool_name("plain") == "plain"


def test_from_bfcl_converts_types_recursively() -> None:
    """dict/float/tuple/any become object/number/array/unconstrained, nested ones too."""
    doc = {
        "name": "geo.route",
        "description": "Plan a route.",
        "parameters": {
            "type": "dict",
            "properties": {
                "start": {"type": "tuple", "items": {"type": "float"}, "description": "Lat, lon."},
                "extra": {"type": "any", "description": "Anything."},
                "options": {
                    "type": "dict",
                    "properties": {
                        "avoid": {"type": "array", "items": {"type": "string"}},
                        "speed": {"type": "float", "optional": True, "default": 1.5},
                        "legs": {
                            "type": "array",
                            "items": {"type": "dict", "properties": {"n": {"type": "integer"}}},
                        },
                    },
                    "required": ["avoid"],
                },
            },
            "required": ["start"],
        },
        "response": {"type": "dict", "properties": {"km": {"type": "float"}}},
    }
    tool = from_bfcl(doc)
    assert tool.name == "geo_route"
    assert tool.description == "Plan a route."
    assert tool.parameters == {
        "type": "object",
        "properties": {
            "start": {"type": "array", "items": {"type": "number"}, "description": "Lat, lon."},
            "extra": {"description": "Anything."},
            "options": {
                "type": "object",
                "properties": {
                    "avoid": {"type": "array", "items": {"type": "string"}},
                    "speed": {"type": "number", "default": 1.5},
                    "legs": {
                        "type": "array",
                        "items": {"type": "object", "properties": {"n": {"type": "integer"}}},
                    },
                },
                "required": ["avoid"],
            },
        },
        "required": ["start"],
    }
    assert tool.validate({"start": [1, 2.5], "extra": [{"any": None}]})


def test_java_and_javascript_type_names_map_to_json_types() -> None:
    """BFCL's Java/JS type names (String, long, HashMap, Boolean, "") get JSON types."""
    schema = bfcl_json_schema(
        {
            "type": "dict",
            "properties": {
                "s": {"type": "String"},
                "n": {"type": "long"},
                "d": {"type": "double"},
                "c": {"type": "char"},
                "b": {"type": "Boolean"},
                "m": {"type": "HashMap"},
                "a": {"type": "ArrayList", "items": {"type": "String"}},
                "x": {"type": ""},
            },
            "required": [],
        }
    )
    assert schema["properties"] == {
        "s": {"type": "string"},
        "n": {"type": "integer"},
        "d": {"type": "number"},
        "c": {"type": "string"},
        "b": {"type": "boolean"},
        "m": {"type": "object"},
        "a": {"type": "array", "items": {"type": "string"}},
        "x": {},
    }


def test_required_name_without_property_becomes_unconstrained_property() -> None:
    """parallel_29's dict requires keys it never declares: they become ``{}`` properties."""
    schema = bfcl_json_schema(
        {
            "type": "dict",
            "properties": {"population": {"type": "dict", "required": ["adults", "children"]}},
            "required": ["population"],
        }
    )
    assert schema["properties"]["population"] == {
        "type": "object",
        "properties": {"adults": {}, "children": {}},
        "required": ["adults", "children"],
    }


def test_dict_without_properties_stays_free_form() -> None:
    """A BFCL dict with no properties is any dict: no empty "properties" reads as "no keys"."""
    tool = from_bfcl(
        {
            "name": "poker",
            "description": "",
            "parameters": {"type": "dict", "properties": {"cards": {"type": "dict"}}},
        }
    )
    assert tool.parameters["properties"]["cards"] == {"type": "object"}
    assert tool.validate({"cards": {"Alex": ["A of spades"]}})
    assert tool.strict_issues()


def test_enum_on_array_constrains_its_items() -> None:
    """An enum of strings on an array of strings lists the allowed elements."""
    schema = bfcl_json_schema(
        {
            "type": "dict",
            "properties": {"m": {"type": "array", "items": {"type": "string"}, "enum": ["a", "b"]}},
        }
    )
    assert schema["properties"]["m"] == {
        "type": "array",
        "items": {"type": "string", "enum": ["a", "b"]},
    }


def test_enum_of_other_type_retypes_the_node_and_keeps_its_default() -> None:
    """A boolean with enum ["True", "False", "dontcare"] becomes a string enum."""
    schema = bfcl_json_schema(
        {
            "type": "dict",
            "properties": {
                "b": {
                    "type": "boolean",
                    "enum": ["True", "False", "dontcare"],
                    "default": "dontcare",
                }
            },
        }
    )
    assert schema["properties"]["b"] == {
        "type": "string",
        "enum": ["True", "False", "dontcare"],
        "default": "dontcare",
    }


def test_array_size_keywords_on_items_move_to_the_array() -> None:
    """irrelevance_128 puts minItems/maxItems on the integer items: they belong to the array."""
    schema = bfcl_json_schema(
        {
            "type": "dict",
            "properties": {
                "r": {"type": "array", "items": {"type": "integer", "minItems": 5, "maxItems": 9}}
            },
        }
    )
    assert schema["properties"]["r"] == {
        "type": "array",
        "items": {"type": "integer"},
        "minItems": 5,
        "maxItems": 9,
    }


def test_default_its_schema_rejects_is_dropped() -> None:
    """A default of None (or "dontcare") for an integer is dropped; a valid one is kept."""
    schema = bfcl_json_schema(
        {
            "type": "dict",
            "properties": {
                "a": {"type": "integer", "default": None},
                "b": {"type": "integer", "default": "dontcare"},
                "c": {"type": "any", "default": None},
                "d": {"type": "string", "default": "x"},
            },
            "default": "location",
            "optional": ["d"],
        }
    )
    assert schema == {
        "type": "object",
        "properties": {
            "a": {"type": "integer"},
            "b": {"type": "integer"},
            "c": {"default": None},
            "d": {"type": "string", "default": "x"},
        },
    }


def test_unknown_type_name_is_a_definition_error() -> None:
    """A type name BFCL does not define fails loudly, naming the type and the path."""
    with pytest.raises(ToolDefinitionError, match=r"'datetime' at /properties/s"):
        bfcl_json_schema({"type": "dict", "properties": {"s": {"type": "datetime"}}})


def test_unknown_key_is_a_definition_error() -> None:
    """A key with no JSON Schema meaning is not dropped silently."""
    with pytest.raises(ToolDefinitionError, match=r"'oneOf' at /properties/s"):
        bfcl_json_schema({"type": "dict", "properties": {"s": {"type": "string", "oneOf": []}}})


def test_parameters_that_are_not_a_dict_are_a_definition_error() -> None:
    """A function's parameters must be a BFCL dict."""
    with pytest.raises(ToolDefinitionError, match="must be a 'dict'"):
        from_bfcl({"name": "f", "description": "", "parameters": {"type": "string"}})


def test_loading_an_unknown_category_lists_the_known_ones() -> None:
    """A misspelt category names the real ones."""
    with pytest.raises(ConfigurationError, match="simple_python"):
        load_bfcl("simple_pyhton")


def test_irrelevance_has_no_possible_answers() -> None:
    """Irrelevance categories have no ground truth file: the error says so."""
    with pytest.raises(ConfigurationError, match="irrelevance"):
        load_possible_answers("irrelevance")


def test_missing_package_says_how_to_install(monkeypatch: pytest.MonkeyPatch) -> None:
    """Without bfcl_eval, loading names the pip command."""

    def not_installed(name: str) -> None:
        raise ModuleNotFoundError(name=name)

    monkeypatch.setattr(bfcl.resources, "files", not_installed)
    monkeypatch.setattr(bfcl.importlib.util, "find_spec", lambda name: None)
    with pytest.raises(ConfigurationError, match="pip install --no-deps bfcl-eval"):
        load_bfcl("simple_python")
