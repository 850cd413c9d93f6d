"""Any JSON Schema a tool accepts: every format converts or refuses, and keeps every valid call.

The strategy below writes JSON Schemas the way people do by hand — nested objects and
arrays, tuples, ``true``/``false`` subschemas, ``$ref``s into ``$defs`` (by pointer, by
``$anchor``, by URN ``$id``, and recursive ones), ``anyOf``/``oneOf``/``allOf``, properties
beside a union, type lists, untyped nodes, required names never declared — and with each
schema a strategy of the instances valid under it. hypothesis-jsonschema would draw those
instances, but its last release (0.23.1) fails on objects with this hypothesis
(``'many' object has no attribute 'more'``), so each schema is built together with its own
instance strategy, and every instance is checked against the original with ``jsonschema``
before it is used.

The instances keep to the readings every dialect documents: an object holds only the keys
its schema (or its union's branches) names, unless ``additionalProperties`` allows more; a
tuple holds its positions (see `switchboard.schema.nodes.tuple_shape`); a node without type
holds the type its keywords imply. Numbers stay within 16 digits, the most llama.cpp's
number rule writes, and strings to the characters the embedded model's vocabulary can write
(it has no token for the UTF-8 lead bytes of planes 4 to 11, where no character is assigned).

For every schema: `Tool.from_schema` accepts it, every export either builds or raises a
`SwitchboardError`, and each instance is accepted by the strict form (with ``null`` for the
properties it leaves out, as strict mode makes a model write them, and back through
`Tool.validate`), by the Anthropic strict form, by the Gemini form, and by the local call
grammar (llama.cpp's own grammar sampler, token by token).
"""

from __future__ import annotations

import functools
import json
import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from jsonschema import Draft202012Validator

from switchboard import SchemaDialectError, StrictSchemaError, SwitchboardError, Tool
from switchboard.providers.local.grammar import call_grammar, call_schema, tools_key
from tests.providers.gbnf import grammar_accepts

LIMIT = 10**15  # llama.cpp's number rule writes at most 16 digits per part
NAMES = ["a", "b", "$ref", "two words", "é", "id"]
EXTRA_KEYS = ["k1", "k2"]
FORMAT_CHECKER = Draft202012Validator.FORMAT_CHECKER
Values = st.SearchStrategy[Any]


@dataclass(frozen=True)
class Node:
    """A JSON Schema and a strategy of values valid under it."""

    schema: Any
    values: Values


def _text(**sizes: int) -> Values:
    return st.text(st.characters(max_codepoint=0x3FFFF, exclude_categories=["Cs"]), **sizes)


def _floats(**bounds: Any) -> Values:
    return st.floats(allow_nan=False, allow_infinity=False, **bounds)


NUMBERS = st.integers(-LIMIT, LIMIT) | _floats(min_value=-1e15, max_value=1e15)
ANY_VALUES: Values = st.recursive(
    st.none() | st.booleans() | NUMBERS | _text(max_size=4),
    lambda inner: (
        st.lists(inner, max_size=2)
        | st.dictionaries(st.sampled_from(EXTRA_KEYS), inner, max_size=2)
    ),
    max_leaves=4,
)
# Leaves strict mode has a form for, then the others.
STRICT_LEAVES: list[Node] = [
    Node({"type": "string"}, _text(max_size=6)),
    Node({"type": "string", "minLength": 2, "maxLength": 3}, _text(min_size=2, max_size=3)),
    Node({"type": "string", "pattern": "^[a-c]{2}$"}, st.from_regex(r"[a-c]{2}", fullmatch=True)),
    Node({"type": "string", "format": "date"}, st.dates().map(lambda d: d.isoformat())),
    Node({"type": "string", "enum": ["x", "y z"]}, st.sampled_from(["x", "y z"])),
    Node({"type": "integer"}, st.integers(-LIMIT, LIMIT)),
    Node({"type": "integer", "minimum": 0, "maximum": 9}, st.integers(0, 9)),
    Node({"type": "number"}, NUMBERS),
    Node(
        {"type": "number", "exclusiveMinimum": 0},
        _floats(min_value=0, max_value=1e15, exclude_min=True),
    ),
    Node({"type": "boolean"}, st.booleans()),
    Node({"type": "null"}, st.none()),
    Node({"const": "fixed"}, st.just("fixed")),
    Node({"enum": [1, "one", None]}, st.sampled_from([1, "one", None])),
    Node({"type": ["string", "null"], "maxLength": 2}, _text(max_size=2) | st.none()),
]
OTHER_LEAVES: list[Node] = [
    Node({"type": ["integer", "boolean"]}, st.integers(-9, 9) | st.booleans()),
    Node({}, ANY_VALUES),
    Node(True, ANY_VALUES),
    Node({"description": "Anything."}, ANY_VALUES),
    Node({"minimum": 5}, ANY_VALUES.filter(lambda v: not _is_number(v)) | st.integers(5, 99)),
    Node({"not": {"type": "string"}}, ANY_VALUES.filter(lambda v: not isinstance(v, str))),
    Node({"type": "integer", "not": {"const": 3}}, st.integers(-9, 9).filter(lambda v: v != 3)),
    Node({"type": "string", "enum": ["s", 1]}, st.just("s")),
    Node({"const": {"k": [1, "x"]}}, st.just({"k": [1, "x"]})),
    Node(
        {"type": "array", "items": {"type": "integer"}, "contains": {"const": 1}},
        st.lists(st.integers(-9, 9), max_size=2).map(lambda v: [*v, 1]),
    ),
    Node(
        {"type": "array", "items": {"type": "integer"}, "uniqueItems": True},
        st.lists(st.integers(-9, 9), max_size=3, unique=True),
    ),
]
LEAVES = STRICT_LEAVES + OTHER_LEAVES


def _is_number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


# --- composite nodes: each takes the strategy of its children ---------------------------


@st.composite
def objects(
    draw: st.DrawFn, children: st.SearchStrategy[Node], min_size: int = 0, strict: bool = False
) -> Node:
    """An object: properties (some `false`), required names, maybe undeclared ones and extras.

    ``strict``: only what strict mode has a form for (declared keys, no undeclared names).
    """
    names = draw(st.lists(st.sampled_from(NAMES), min_size=min_size, max_size=3, unique=True))
    properties = {name: draw(children) for name in names}
    falses = [n for n in names if draw(st.booleans()) and draw(st.booleans())]
    required = [n for n in names if n not in falses and draw(st.booleans())]
    extras = ["closed", "absent"] if strict else ["closed", "absent", "true", "schema", "pattern"]
    extra = draw(st.sampled_from(extras))
    if strict and not names:
        extra = "closed"
    # A required name without a property: any value, where the object does not forbid it.
    undeclared = [] if strict or extra == "closed" else draw(st.sampled_from([[], [], ["u"]]))
    schema: dict[str, Any] = {}
    if not names or draw(st.booleans()):
        schema["type"] = "object"
    if names or extra == "absent":
        schema["properties"] = {n: (False if n in falses else properties[n].schema) for n in names}
    if required or undeclared:
        schema["required"] = required + undeclared
    extras: Values = st.just({})
    others = ANY_VALUES  # the values of keys the properties do not name
    if extra == "closed":
        schema["additionalProperties"] = False
    elif extra == "true" or (extra == "absent" and not names and not undeclared):
        schema.pop("properties", None)
        if extra == "true":
            schema["additionalProperties"] = True
        extras = st.dictionaries(st.sampled_from(EXTRA_KEYS), ANY_VALUES, max_size=2)
    elif extra == "schema":
        additional = draw(children)
        schema["additionalProperties"] = additional.schema
        others = additional.values
        extras = st.dictionaries(st.sampled_from(EXTRA_KEYS), others, max_size=2)
    elif extra == "pattern":
        patterned = draw(children)
        schema["patternProperties"] = {"^k": patterned.schema}
        extras = st.dictionaries(st.sampled_from(EXTRA_KEYS), patterned.values, max_size=2)
    mandatory = {n: properties[n].values for n in required} | {n: others for n in undeclared}
    optional = {n: properties[n].values for n in names if n not in required and n not in falses}
    declared = st.fixed_dictionaries(mandatory, optional=optional)
    return Node(schema, st.tuples(declared, extras).map(lambda pair: {**pair[1], **pair[0]}))


@st.composite
def arrays(draw: st.DrawFn, children: st.SearchStrategy[Node], strict: bool = False) -> Node:
    """A list of one item type (sometimes `false` items), with bounds."""
    item = draw(children)
    low = draw(st.integers(0, 1))
    high = draw(st.sampled_from([None, 2]))
    if not strict and draw(st.integers(0, 5)) == 0:
        return Node({"type": "array", "items": False}, st.just([]))
    schema: dict[str, Any] = {"items": item.schema, "minItems": low}
    if draw(st.booleans()):
        schema = {"type": "array", **schema}
    if high is not None:
        schema["maxItems"] = high
    return Node(schema, st.lists(item.values, min_size=low, max_size=high or 3))


@st.composite
def tuples(draw: st.DrawFn, children: st.SearchStrategy[Node]) -> Node:
    """A tuple: prefixItems, then `items` (a schema or `false`) or nothing, maybe minItems."""
    positions = draw(st.lists(children, min_size=1, max_size=3))
    tail = draw(st.sampled_from(["absent", "false", "schema"]))
    schema: dict[str, Any] = {"type": "array", "prefixItems": [p.schema for p in positions]}
    low = len(positions)
    if draw(st.booleans()):
        low = draw(st.integers(0, len(positions)))
        schema["minItems"] = low
    lists = [
        st.tuples(*(p.values for p in positions[:n])).map(list)
        for n in range(low, len(positions) + 1)
    ]
    values: Values = st.one_of(lists)
    if tail == "false":
        schema["items"] = False
    elif tail == "schema":
        rest = draw(children)
        schema["items"] = rest.schema
        full = st.tuples(*(p.values for p in positions)).map(list)
        values = values | st.tuples(full, st.lists(rest.values, min_size=1, max_size=2)).map(
            lambda pair: pair[0] + pair[1]
        )
    return Node(schema, values)


@st.composite
def unions(draw: st.DrawFn, children: st.SearchStrategy[Node], strict: bool = False) -> Node:
    """AnyOf (some branches `false`), a nullable union with a default, or an allOf."""
    branches = draw(st.lists(children, min_size=1, max_size=3))
    kinds = ["anyOf", "nullable", "allOf"] + ([] if strict else ["allOf-true", "allOf-objects"])
    kind = draw(st.sampled_from(kinds))
    if kind == "nullable":
        schema = {"anyOf": [branches[0].schema, {"type": "null"}], "default": None}
        return Node(schema, branches[0].values | st.none())
    if kind == "allOf-objects":
        first, second = draw(children), draw(children)
        parts = [
            {"type": "object", "properties": {"a": first.schema}, "required": ["a"]},
            {"properties": {"b": second.schema}},
        ]
        values = st.fixed_dictionaries({"a": first.values}, optional={"b": second.values})
        return Node({"allOf": parts}, values)
    if kind.startswith("allOf"):
        entries = [branches[0].schema, *([True] if kind == "allOf-true" else [])]
        return Node({"allOf": entries, "description": "All of it."}, branches[0].values)
    listed = [b.schema for b in branches] + ([False] if draw(st.booleans()) else [])
    return Node({"anyOf": listed}, st.one_of([b.values for b in branches]))


@st.composite
def exclusive_unions(draw: st.DrawFn, children: st.SearchStrategy[Node]) -> Node:
    """OneOf of two leaves: its values are those exactly one branch takes."""
    del children  # leaves only: their values are checked against each branch alone
    first, second = draw(st.sampled_from(LEAVES)), draw(st.sampled_from(LEAVES))
    schema = {"oneOf": [first.schema, second.schema]}
    checks = [Draft202012Validator(s, format_checker=FORMAT_CHECKER) for s in schema["oneOf"]]
    values = (first.values | second.values).filter(
        lambda v: sum(check.is_valid(v) for check in checks) == 1
    )
    return Node(schema, values)


@st.composite
def properties_beside_a_union(draw: st.DrawFn, children: st.SearchStrategy[Node]) -> Node:
    """Untyped properties and required beside anyOf whose branches require or add keys."""
    names = draw(st.lists(st.sampled_from(NAMES[:3]), min_size=1, max_size=2, unique=True))
    shared = {name: draw(children) for name in names}
    added = draw(children)
    branches: list[tuple[dict[str, Any], dict[str, Node], list[str]]] = [
        ({"required": [names[0]]}, {}, [names[0]]),
        ({"properties": {"x": added.schema}, "required": ["x"]}, {"x": added}, ["x"]),
    ]
    schema = {
        "properties": {n: node.schema for n, node in shared.items()},
        "anyOf": [branch for branch, _, _ in branches],
    }

    def values(extra: dict[str, Node], needed: list[str]) -> Values:
        every = {**shared, **extra}
        return st.fixed_dictionaries(
            {n: every[n].values for n in needed},
            optional={n: node.values for n, node in every.items() if n not in needed},
        )

    return Node(schema, st.one_of([values(extra, needed) for _, extra, needed in branches]))


@st.composite
def nullable_objects(draw: st.DrawFn, children: st.SearchStrategy[Node]) -> Node:
    """An object or null, as a type list beside the object's keywords."""
    inner = draw(children)
    schema = {"type": ["object", "null"], "properties": {"v": inner.schema}, "required": ["v"]}
    return Node(schema, st.none() | st.fixed_dictionaries({"v": inner.values}))


def nodes(references: list[Node], *, strict: bool) -> st.SearchStrategy[Node]:
    """Any node, nesting every composite, with ``references`` among the leaves.

    ``strict``: only nodes strict mode has a form for, so that the strict check runs.
    """
    leaves = st.sampled_from(STRICT_LEAVES + ([] if strict else OTHER_LEAVES) + references)
    composites: list[Callable[[st.SearchStrategy[Node]], st.SearchStrategy[Node]]] = [
        functools.partial(objects, strict=strict),
        functools.partial(arrays, strict=strict),
        functools.partial(unions, strict=strict),
        properties_beside_a_union,
        nullable_objects,
    ]
    if not strict:
        composites += [tuples, exclusive_unions]
    return st.recursive(
        leaves, lambda inner: st.one_of([make(inner) for make in composites]), max_leaves=6
    )


@st.composite
def definitions(draw: st.DrawFn, strict: bool) -> tuple[dict[str, Any], list[Node], str | None]:
    """$defs, and a reference to each (by pointer, $anchor or URN $id); maybe a root $id."""
    defs: dict[str, Any] = {}
    references: list[Node] = []
    root_id = draw(st.sampled_from([None, "urn:example:root"]))
    for index in range(draw(st.integers(0, 2))):
        node = draw(nodes(references, strict=strict))
        name = f"D{index}"
        how = draw(st.sampled_from(["pointer", "anchor", "urn"]))
        body = node.schema
        # A $ref inside a subschema with an $id resolves against that $id: one only where
        # there is none (and nothing but a schema object can have an $anchor or an $id).
        if not isinstance(body, dict) or (how == "urn" and "$ref" in json.dumps(body)):
            how = "pointer"
        if how == "anchor":
            body = {**body, "$anchor": f"d{index}"}
            ref = f"#d{index}"
        elif how == "urn":
            body = {**body, "$id": f"urn:example:d{index}"}
            ref = f"urn:example:d{index}"
        else:
            ref = f"#/$defs/{name}"
        defs[name] = body
        described = draw(st.booleans())  # pydantic writes a field's description beside it
        reference = {"$ref": ref, **({"description": "A reference."} if described else {})}
        references.append(Node(reference, node.values))
    if draw(st.booleans()):
        tree, values = _recursive_definition(draw(st.sampled_from(LEAVES[:8])))
        defs["Tree"] = tree
        references.append(Node({"$ref": "#/$defs/Tree"}, values))
    return defs, references, root_id


def _recursive_definition(leaf: Node) -> tuple[dict[str, Any], Values]:
    tree = {
        "type": "object",
        "properties": {
            "v": leaf.schema,
            "kids": {"type": "array", "items": {"$ref": "#/$defs/Tree"}, "maxItems": 2},
        },
        "required": ["v"],
    }
    values: Values = st.deferred(
        lambda: st.fixed_dictionaries(
            {"v": leaf.values}, optional={"kids": st.lists(values, max_size=2)}
        )
    )
    return tree, values


@st.composite
def tool_schemas(draw: st.DrawFn) -> Node:
    """A tool's parameters: an object of nodes, with $defs and references to them."""
    strict = draw(st.booleans())
    defs, references, root_id = draw(definitions(strict))
    root = draw(objects(nodes(references, strict=strict), min_size=1, strict=strict))
    schema = {**root.schema, "type": "object"}
    if defs:
        schema["$defs"] = defs
    if root_id is not None:
        schema["$id"] = root_id
    return Node(schema, root.values)


# --- how each form is read back as JSON Schema -------------------------------------------


def strict_writing(value: Any, node: dict[str, Any], root: dict[str, Any]) -> Any:
    """``value`` as strict mode makes a model write it: ``null`` for each property left out."""
    node = _dereferenced(node, root)
    branches = node.get("anyOf")
    if branches is not None:
        for branch in branches:
            written = strict_writing(value, branch, root)
            if _validator({**branch, "$defs": root.get("$defs", {})}).is_valid(written):
                return written
        return value
    properties = node.get("properties")
    if isinstance(value, dict) and isinstance(properties, dict):
        written = {
            k: strict_writing(v, properties[k], root) for k, v in value.items() if k in properties
        }
        return {**{k: None for k in properties}, **value, **written}
    items = node.get("items")
    if isinstance(value, list) and isinstance(items, dict):
        return [strict_writing(v, items, root) for v in value]
    return value


def gemini_reading(node: dict[str, Any]) -> dict[str, Any]:
    """A Gemini schema as the JSON Schema it stands for (open objects, ``nullable``)."""
    out: dict[str, Any] = {}
    for key in ("enum", "required", "minItems", "maxItems", "minLength", "maxLength"):
        if key in node:
            out[key] = node[key]
    for key in ("pattern", "minimum", "maximum", "minProperties", "maxProperties"):
        if key in node:
            out[key] = node[key]
    if "type" in node:
        out["type"] = node["type"].lower()
    if "properties" in node:
        out["properties"] = {n: gemini_reading(s) for n, s in node["properties"].items()}
    if "items" in node:
        out["items"] = gemini_reading(node["items"])
    if "anyOf" in node:
        out["anyOf"] = [gemini_reading(b) for b in node["anyOf"]]
    if node.get("nullable"):
        if "type" in out:
            out["type"] = [out["type"], "null"]
        if "anyOf" in out:
            out["anyOf"].append({"type": "null"})
        if "enum" in out:
            out["enum"] = [*out["enum"], None]
    return out


def llama_reading(node: Any) -> Any:
    """A schema of the call grammar as llama.cpp's converter reads it, in JSON Schema."""
    if not isinstance(node, dict):
        return node
    out: dict[str, Any] = {}
    for key, value in node.items():
        if key in ("properties", "$defs"):
            out[key] = {n: llama_reading(s) for n, s in value.items()}
        elif key in ("anyOf", "oneOf", "prefixItems"):
            out[key] = [llama_reading(s) for s in value]
        else:
            out[key] = llama_reading(value) if key in ("items", "additionalProperties") else value
    if "properties" in out:
        out.setdefault("additionalProperties", False)
    if "prefixItems" in out:
        out.update(items=False, minItems=len(out["prefixItems"]))
    return out


def llama_text(value: Any, node: dict[str, Any], defs: dict[str, Any]) -> str:
    """``value`` written as the call grammar writes it: its key order, its spacing."""
    if "$ref" in node:
        node = defs[node["$ref"].removeprefix("#/$defs/")]
    union = node.get("anyOf") or node.get("oneOf") or [{"type": t} for t in _types_of(node)]
    if len(union) > 1 or "anyOf" in node or "oneOf" in node:
        root = {"$defs": llama_reading(defs)}
        branch = next(b for b in union if _validator({**llama_reading(b), **root}).is_valid(value))
        return llama_text(value, branch, defs)
    if "enum" in node or "const" in node:
        return json.dumps(value, ensure_ascii=False)
    if isinstance(value, dict):
        properties, required = node.get("properties", {}), node.get("required", [])
        extra = node.get("additionalProperties", {})
        order = [k for k in properties if k in required and k in value]
        order += [k for k in properties if k not in required and k in value]
        order += [k for k in value if k not in properties]
        pairs = (
            f"{json.dumps(k, ensure_ascii=False)}: "
            + llama_text(value[k], properties.get(k, extra), defs)
            for k in order
        )
        return "{" + ", ".join(pairs) + "}"
    if isinstance(value, list):
        positions = node.get("prefixItems") or [node.get("items", {})] * len(value)
        return (
            "["
            + ", ".join(llama_text(v, s, defs) for v, s in zip(value, positions, strict=False))
            + "]"
        )
    return _scalar_text(value)


def _types_of(node: dict[str, Any]) -> list[str]:
    types = node.get("type")
    return types if isinstance(types, list) else []


def _scalar_text(value: Any) -> str:
    if isinstance(value, float):
        text = repr(value)
        mantissa, _, exponent = text.partition("e")
        whole, _, decimals = mantissa.partition(".")
        if len(decimals) > 16 or len(whole.lstrip("-")) > 16:
            mantissa, _, exponent = f"{value:.16e}".partition("e")
        # llama.cpp's exponent is an integral part: no leading zero ("1e-7", not "1e-07").
        return mantissa + (f"e{int(exponent)}" if exponent else "")
    return json.dumps(value, ensure_ascii=False)


def _dereferenced(node: dict[str, Any], root: dict[str, Any]) -> dict[str, Any]:
    while "$ref" in node:
        node = root["$defs"][node["$ref"].removeprefix("#/$defs/")]
    return node


def _validator(schema: Any) -> Draft202012Validator:
    return Draft202012Validator(schema, format_checker=FORMAT_CHECKER)


def _exports(tool: Tool) -> dict[str, Any]:
    """Each export by name, or the SwitchboardError it raised; nothing else may escape."""
    out: dict[str, Any] = {}
    for label, fmt, strict in [
        ("openai", "openai", False),
        ("responses", "openai-responses", False),
        ("mcp", "mcp", False),
        ("strict", "openai", True),
        ("responses-strict", "openai-responses", True),
        ("anthropic-strict", "anthropic", True),
        ("gemini", "gemini", False),
    ]:
        try:
            out[label] = tool.schema(fmt, strict=strict)
        except SwitchboardError as error:
            out[label] = error
    return out


# --- the property --------------------------------------------------------------------------


@settings(
    max_examples=400,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.filter_too_much],
)
@given(schema=tool_schemas(), data=st.data())
def test_every_form_of_any_schema_keeps_every_valid_call(schema: Node, data: st.DataObject) -> None:
    """Each export builds or raises a SwitchboardError; each builds a form taking every call."""
    tool = Tool.from_schema("t", "", schema.schema)
    exports = _exports(tool)
    assert isinstance(tool.local_issues(), tuple)
    assert isinstance(exports["strict"], dict | StrictSchemaError)
    assert isinstance(exports["gemini"], dict | SchemaDialectError)
    key = tools_key([(tool.name, tool.parameters)])
    grammar = call_grammar(key, text=False, parallel=False)
    # The grammar is built from the key, whose keys are sorted: so is its property order.
    called = call_schema([tuple(pair) for pair in json.loads(key)], parallel=False)
    original = _validator(schema.schema)
    for instance in data.draw(st.lists(schema.values, min_size=1, max_size=3), label="calls"):
        assert original.is_valid(instance), f"the strategy drew an invalid instance {instance!r}"
        assert tool.accepts(instance)
        for label in ("strict", "anthropic-strict"):
            export = exports[label]
            if isinstance(export, dict):
                form = (
                    export["function"]["parameters"]
                    if label == "strict"
                    else export["input_schema"]
                )
                written = strict_writing(instance, form, form)
                assert _validator(form).is_valid(written), (label, written)
                assert tool.accepts(written), (label, written)
        gemini = exports["gemini"]
        if isinstance(gemini, dict):
            parameters = gemini.get("parameters", {"type": "OBJECT"})
            assert _validator(gemini_reading(parameters)).is_valid(instance), instance
        text = llama_text(instance, called["properties"]["arguments"], called.get("$defs", {}))
        assert grammar_accepts(grammar, f'{{"name": "t", "arguments": {text}}}'), text


def test_scalar_text_writes_every_double_within_llama_number_rule() -> None:
    """A double needing 17 digits is written in 16 decimals of scientific notation, exactly."""
    for value in (0.30000000000000004, 1e-07, -1.5e15, 123.0):
        text = _scalar_text(value)
        assert float(text) == value
        whole, _, rest = text.lstrip("-").partition(".")
        assert len(whole) <= 16
        assert len(rest.partition("e")[0]) <= 16
        assert not math.isnan(float(text))
