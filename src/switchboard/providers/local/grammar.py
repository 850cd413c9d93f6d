"""Tool schemas to a GBNF grammar that admits only valid calls: pure, no model needed.

A call is written as JSON: ``{"name": "<tool>", "arguments": {...}}``, or with parallel
calls allowed a list of those. The grammar is llama.cpp's JSON-Schema-to-grammar
conversion of a schema that is a ``oneOf`` over the offered tools, each with its name as a
``const`` and its own parameters schema as ``arguments``. Under ``"auto"`` the root also
admits plain text, provided its first character is not ``{``, ``[`` or whitespace, so that
a reply is either a valid call or an answer, never a broken call.

Each tool's parameters are first rewritten into the form llama.cpp's converter reads as
meant (`switchboard.schema.llama`); what the grammar cannot enforce is listed by
`grammar_issues` (and `Tool.local_issues`), and those tools fall back to
validate-and-retry. Every valid call stays writable: the grammar is built for every tool.
"""

from __future__ import annotations

import functools
import json
import re
from collections.abc import Mapping, Sequence
from typing import Any, Final, cast

from switchboard.errors import ToolDefinitionError
from switchboard.schema.llama import to_llama_schema
from switchboard.tools.tool import Tool

CallShape = tuple[bool, bool]
"""(text allowed, several calls allowed): what the root of a grammar admits."""

# The characters a GBNF literal escapes (llama.cpp's grammar parser reads these escapes).
_LITERAL_ESCAPE: Final = re.compile(r'[\\\r\n"]')
_LITERAL_ESCAPES: Final = {"\\": "\\\\", "\r": "\\r", "\n": "\\n", '"': '\\"'}

# Where a custom tool's grammar stands in `tools_key` (no JSON Schema keyword has the name).
_CUSTOM: Final = "x-switchboard-custom-input"

# GBNF for the answer branch of "auto": text whose first character cannot open a call.
_TEXT_RULES: Final = "text ::= [^{[ \\t\\n\\r] [^\\x00]*\n"

# GBNF for a plain answer: as above, with no brace or backtick anywhere, so a small model
# can neither echo a call's JSON ("The weather is: {"name": ...}") nor drift into code.
_PLAIN_TEXT_RULES: Final = "text ::= [^{[ `\\t\\n\\r] [^{}`\\x00]*\n"


def answer_grammar(lead: str = "") -> str:
    """GBNF of a reply under ``tool_choice="none"`` when tools are in play: a plain answer.

    Args:
        lead: Text the answer must begin with (see `switchboard.providers.local.restate`).
    """
    return "root ::= text\n" + _text_rules(plain=True, lead=lead)


def _text_rules(*, plain: bool, lead: str) -> str:
    if not lead:
        return _PLAIN_TEXT_RULES if plain else _TEXT_RULES
    rest = "[^{}`\\x00]*" if plain else "[^\\x00]*"
    escaped = _LITERAL_ESCAPE.sub(lambda m: _LITERAL_ESCAPES[m.group(0)], lead)
    return f'text ::= "{escaped}" {rest}\n'


def grammar_issues(schema: Mapping[str, Any]) -> list[str]:
    """The parts of a JSON Schema that the call grammar does not enforce.

    Args:
        schema: A tool's parameters schema.

    Returns:
        One line per issue, e.g. ``"/properties/age: numeric bounds are not enforced"``;
        empty when every valid output of the grammar is valid against the schema.

    Example:
        >>> grammar_issues({"type": "object", "properties": {"n": {"type": "integer",
        ...     "minimum": 1}}})
        ['/properties/n: numeric bounds are not enforced']
    """
    return list(to_llama_schema(schema).issues)


def grammar_schema(schema: Mapping[str, Any]) -> dict[str, Any]:
    """A copy of a parameters schema in the form llama.cpp's converter reads as meant.

    References are inlined (recursive ones excepted, see `call_schema`), patterns it
    cannot translate are dropped (validation enforces them), and a node with no type (BFCL's
    "any") becomes a union of every JSON type, which the converter would read as an object.
    """
    return to_llama_schema(schema).schema


def call_schema(
    tools: Sequence[tuple[str, Mapping[str, Any]]], *, parallel: bool
) -> dict[str, Any]:
    """The JSON Schema of one call (or a list of calls) of the given tools.

    Args:
        tools: (name, parameters schema) of each tool the call may name.
        parallel: Also admit a non-empty list of calls.

    Returns:
        The schema; with ``$defs`` at the root when a tool's parameters are recursive.
    """
    converted = [
        to_llama_schema(parameters, prefix=f"t{i}-") for i, (_, parameters) in enumerate(tools)
    ]
    branches = [
        {
            "type": "object",
            "properties": {"name": {"const": name}, "arguments": llama.schema},
            "required": ["name", "arguments"],
        }
        for (name, _), llama in zip(tools, converted, strict=True)
    ]
    one: dict[str, Any] = branches[0] if len(branches) == 1 else {"oneOf": branches}
    schema = {"oneOf": [one, {"type": "array", "items": one, "minItems": 1}]} if parallel else one
    definitions = {name: d for llama in converted for name, d in llama.definitions.items()}
    return {**schema, "$defs": definitions} if definitions else schema


def call_grammar(
    tools_key: str, *, text: bool, parallel: bool, plain: bool = False, lead: str = ""
) -> str:
    """The GBNF grammar of a reply; its calls' rules are cached per tool set and shape.

    Args:
        tools_key: `tools_key` of the tools the reply may call.
        text: Also admit plain text (``tool_choice="auto"``).
        parallel: Admit a list of calls as well as one call.
        plain: The text admitted has no braces or backticks (see `answer_grammar`).
        lead: Text the admitted text must begin with.

    Returns:
        GBNF text whose ``root`` rule admits the reply.

    Raises:
        ToolDefinitionError: llama.cpp's converter failed on the tools' schemas.
    """
    calls = _call_rules(tools_key, parallel=parallel, text=text)
    if not text:
        return calls
    # The text rules differ from reply to reply (`lead`); the calls' rules are the costly part.
    return f"root ::= call | text\n{calls}\n{_text_rules(plain=plain, lead=lead)}"


def tools_grammar(
    tools: Sequence[Tool], *, text: bool, parallel: bool, plain: bool = False, lead: str = ""
) -> str:
    """`call_grammar` of ``tools``, their `tools_key` kept per tool set (by identity).

    A request then costs no pass over every tool's schema: a run offers the same tools
    turn after turn, and the key's own hash is kept with it.
    """
    return call_grammar(
        _tools_key_of(tuple(tools)), text=text, parallel=parallel, plain=plain, lead=lead
    )


def tools_key(tools: Sequence[tuple[str, Mapping[str, Any]]]) -> str:
    """A canonical text of (name, parameters) pairs: the cache key of `call_grammar`."""
    return json.dumps([[name, parameters] for name, parameters in tools], sort_keys=True)


@functools.lru_cache(maxsize=64)
def _tools_key_of(tools: tuple[Tool, ...]) -> str:
    return tools_key([(tool.name, _keyed(tool)) for tool in tools])


def _keyed(tool: Tool) -> Mapping[str, Any]:
    """A tool's parameters in the key; for a custom tool, its grammar under `_CUSTOM`."""
    given = tool.text_input
    if given is None:
        return tool.parameters
    return {_CUSTOM: {"grammar": given.grammar, "syntax": given.syntax}}


@functools.lru_cache(maxsize=64)
def _call_rules(tools_key: str, *, parallel: bool, text: bool) -> str:
    """The rules of a call of the tools, under ``root``; with ``text``, under ``call``."""
    pairs = cast("list[tuple[str, dict[str, Any]]]", [tuple(t) for t in json.loads(tools_key)])
    if any(_CUSTOM in parameters for _, parameters in pairs):
        gbnf = _custom_call_rules(pairs, parallel=parallel)
    else:
        gbnf = _gbnf(call_schema(pairs, parallel=parallel), [name for name, _ in pairs])
    if not text:
        return gbnf
    return re.sub(r"^root ::=", "call ::=", gbnf, count=1, flags=re.MULTILINE).rstrip()


def _custom_call_rules(pairs: list[tuple[str, dict[str, Any]]], *, parallel: bool) -> str:
    """The rules of a call when custom tools are offered: each custom tool's call by hand.

    A custom tool's call is ``{"name": <name>, "arguments": {"input": "<text>"}}`` whose
    text its grammar admits (`switchboard.providers.local.text_grammar`); the function
    tools' call is llama.cpp's conversion, as without custom tools, one branch beside them.
    """
    from switchboard.providers.local.text_grammar import input_rules
    from switchboard.tools.grammar import TextInput

    functions = [(name, parameters) for name, parameters in pairs if _CUSTOM not in parameters]
    rules: list[str] = []
    branches: list[str] = []
    if functions:
        converted = _gbnf(call_schema(functions, parallel=False), [n for n, _ in functions])
        rules.append(re.sub(r"^root ::=", "sbf-call ::=", converted, count=1, flags=re.M).strip())
        branches.append("sbf-call")
    customs = [(name, parameters[_CUSTOM]) for name, parameters in pairs if _CUSTOM in parameters]
    for index, (name, spec) in enumerate(customs):
        given = TextInput(spec["grammar"], spec["syntax"])
        input_gbnf, start = input_rules(given, f"sbc{index}-", tool=name)
        named = _gbnf_literal(json.dumps(name, ensure_ascii=False))
        rules.append(
            f'sbc{index}-call ::= "{{" sbc-ws "\\"name\\"" sbc-ws ":" sbc-ws {named} sbc-ws '
            f'"," sbc-ws "\\"arguments\\"" sbc-ws ":" sbc-ws "{{" sbc-ws "\\"input\\"" sbc-ws '
            f'":" sbc-ws "\\"" {start} "\\"" sbc-ws "}}" sbc-ws "}}" sbc-ws'
        )
        rules.append(input_gbnf.strip())
        branches.append(f"sbc{index}-call")
    many = ' | "[" sbc-ws sbc-one ( "," sbc-ws sbc-one )* "]" sbc-ws' if parallel else ""
    head = [f"root ::= sbc-one{many}", f"sbc-one ::= {' | '.join(branches)}", 'sbc-ws ::= " "?']
    return "\n".join([*head, *rules]) + "\n"


def _gbnf_literal(text: str) -> str:
    escaped = _LITERAL_ESCAPE.sub(lambda m: _LITERAL_ESCAPES[m.group(0)], text)
    return f'"{escaped}"'


def _gbnf(schema: dict[str, Any], names: list[str]) -> str:
    definitions = schema.pop("$defs", {})
    converter = _converter_type()(prop_order={}, allow_fetch=False, dotall=False, raw_pattern=False)
    # llama.cpp's own `resolve_refs` walks every dict of the document as a schema, property
    # maps and const values included, so a property named "$ref" breaks it: the
    # definitions (all "#/$defs/<name>" of this document) are registered directly.
    converter._refs.update({f"#/$defs/{name}": d for name, d in definitions.items()})  # pyright: ignore[reportPrivateUsage]
    try:
        converter.visit(schema, "")
    except (AssertionError, ValueError, KeyError, TypeError, IndexError, RecursionError) as e:
        listed = ", ".join(repr(name) for name in names)
        msg = (
            f"Tools {listed}: llama.cpp could not turn their parameters into a grammar ({e!r}). "
            "Simplify the schema, or run the local model with the grammar off."
        )
        raise ToolDefinitionError(msg, tool=names[0] if names else "") from e
    return converter.format_grammar()


@functools.cache
def _converter_type() -> Any:
    """llama.cpp's JSON-Schema converter class, with two of its rules fixed.

    Imported late: ``import switchboard`` does not load llama.cpp.
    """
    from llama_cpp.llama_grammar import PRIMITIVE_RULES, SchemaConverter

    class _Converter(SchemaConverter):
        r"""llama.cpp's converter with its literals and its object rule fixed.

        llama-cpp-python's copy leaves backslashes in literals alone, so the escapes of a
        key or constant's JSON text (``"a\"b"``, ``"\n"``) are read as GBNF escapes: the
        literal ends at the quote, or demands a raw line break, which is not JSON. Keys and
        constants are written here as JSON text with their non-ASCII characters as they
        are (as before, and as a model writes them), escaped for GBNF.

        It also writes extra keys after the optional properties without the comma before
        them, and requires them there (``{"a": 1"b": 2}``, never ``{"a": 1}``), which
        upstream llama.cpp fixed in ``json_schema_to_grammar.py`` (``get_recursive_refs``
        writes ``( "," space kv )*``): `_build_object_rule` is that method as upstream has it.
        """

        def _format_literal(self, literal: str) -> str:
            escaped = _LITERAL_ESCAPE.sub(lambda m: _LITERAL_ESCAPES[m.group(0)], literal)
            return f'"{escaped}"'

        def _generate_constant_rule(self, value: Any) -> str:
            return self._format_literal(json.dumps(value, ensure_ascii=False))

        def _build_object_rule(  # pyright: ignore[reportIncompatibleMethodOverride]
            self,
            properties: list[tuple[str, Any]],
            required: set[str],
            name: str,
            additional_properties: Any,
        ) -> str:
            converter: Any = self  # the vendored converter is untyped
            prop_order: dict[str, int] = converter._prop_order
            sorted_props = [
                kv[0]
                for _, kv in sorted(
                    enumerate(properties),
                    key=lambda ikv: (prop_order.get(ikv[1][0], len(prop_order)), ikv[0]),
                )
            ]
            prefix = f"{name}{'-' if name else ''}"
            kv_rules: dict[str, str] = {}
            for prop_name, prop_schema in properties:
                prop_rule_name = converter.visit(prop_schema, f"{prefix}{prop_name}")
                literal = converter._format_literal(json.dumps(prop_name, ensure_ascii=False))
                kv_rules[prop_name] = converter._add_rule(
                    f"{prefix}{prop_name}-kv", f'{literal} space ":" space {prop_rule_name}'
                )
            required_props = [k for k in sorted_props if k in required]
            optional_props = [k for k in sorted_props if k not in required]
            if additional_properties is True or isinstance(additional_properties, dict):
                value_rule = converter.visit(
                    {} if additional_properties is True else additional_properties,
                    f"{prefix}additional-value",
                )
                string = converter._add_primitive("string", PRIMITIVE_RULES["string"])
                kv_rules["*"] = converter._add_rule(
                    f"{prefix}additional-kv", f'{string} ":" space {value_rule}'
                )
                optional_props.append("*")

            def recursive_refs(keys: list[str], first_is_optional: bool) -> str:
                key, *rest = keys
                kv_rule = kv_rules[key]
                comma_ref = f'( "," space {kv_rule} )'
                if first_is_optional:
                    res = comma_ref + ("*" if key == "*" else "?")
                else:
                    res = kv_rule + (f" {comma_ref}*" if key == "*" else "")
                if rest:
                    res += " " + converter._add_rule(
                        f"{prefix}{key}-rest", recursive_refs(rest, first_is_optional=True)
                    )
                return res

            rule = '"{" space ' + ' "," space '.join(kv_rules[k] for k in required_props)
            if optional_props:
                rule += " ("
                if required_props:
                    rule += ' "," space ( '
                rule += " | ".join(
                    recursive_refs(optional_props[i:], first_is_optional=False)
                    for i in range(len(optional_props))
                )
                if required_props:
                    rule += " )"
                rule += " )?"
            return rule + ' "}" space'

    return _Converter
