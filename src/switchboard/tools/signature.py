"""A function's signature and docstring -> an argument model -> a neutral JSON Schema.

The argument model is a Pydantic model with one field per parameter the model may
send. Its JSON Schema, with Pydantic's generated titles removed, is the *neutral*
schema that every provider dialect is rendered from.
"""

from __future__ import annotations

import copy
import inspect
import keyword
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any, get_args, get_origin

import docstring_parser
from pydantic import (
    BaseModel,
    ConfigDict,
    Field,
    PydanticInvalidForJsonSchema,
    PydanticSchemaGenerationError,
    PydanticUserError,
    TypeAdapter,
    create_model,
)
from pydantic.fields import FieldInfo
from pydantic.json_schema import PydanticJsonSchemaWarning

from switchboard.errors import ToolDefinitionError, UntypedParameterWarning
from switchboard.tools.context import is_context_annotation

# Keys whose value maps names to subschemas, and keys whose value is one subschema or a
# list of them: the places a JSON Schema nests schemas (draft 2020-12).
_SCHEMA_MAPS = frozenset({"properties", "$defs", "definitions", "patternProperties"})
_SCHEMA_ONE = frozenset(
    {"items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames"}
)
_SCHEMA_LIST = frozenset({"anyOf", "oneOf", "allOf", "prefixItems"})

_JSON_TYPE_NAMES = frozenset({"str", "int", "float", "bool", "list", "dict"})
_PACKAGE_DIR = str(Path(__file__).resolve().parents[1])

_FIX_TYPE = (
    "Use a JSON type (str, int, float, bool, list, dict), an enum or Literal, "
    "a Pydantic model, a dataclass or a TypedDict."
)


@dataclass(frozen=True, slots=True)
class Docstring:
    """What a docstring says about a tool: its summary and each parameter's text."""

    description: str
    parameters: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class FunctionSignature:
    """The model-facing shape of a Python function.

    Attributes:
        description: The docstring's summary and body, without the parameter sections.
        model: The argument model: one field per parameter the model may send.
        parameters: The neutral JSON Schema of ``model``.
        context_parameter: The parameter that receives the run context, if any.
        positional_only: Positional-only parameters, in order: passed by position.
        field_names: Parameter name -> field name, for parameters whose name cannot be a
            Pydantic field name as is (``json``, ``_private``); the schema keeps the
            parameter name.
    """

    description: str
    model: type[BaseModel]
    parameters: dict[str, Any]
    context_parameter: str | None
    positional_only: tuple[str, ...]
    field_names: Mapping[str, str]


def parse_docstring(obj: object) -> Docstring:
    """Read the summary and per-parameter text of a docstring in Google, NumPy or Sphinx style.

    The style is detected automatically.
    """
    text = inspect.getdoc(obj)
    if not text:
        return Docstring(description="", parameters={})
    parsed = docstring_parser.parse(text, style=docstring_parser.DocstringStyle.AUTO)
    summary = "\n\n".join(
        part.strip() for part in (parsed.short_description, parsed.long_description) if part
    )
    params = {p.arg_name: p.description.strip() for p in parsed.params if p.description}
    return Docstring(description=summary, parameters=params)


def inspect_function(
    fn: Callable[..., Any], *, tool_name: str, strict_types: bool = False
) -> FunctionSignature:
    """Build the argument model and neutral schema of a function.

    A parameter without a type annotation takes any JSON value, which tells the model
    nothing: it is warned about (`UntypedParameterWarning`), or refused with
    ``strict_types=True``.

    Args:
        fn: The function, sync or async.
        tool_name: The tool's name, used in error messages.
        strict_types: Refuse parameters without a type annotation instead of warning.

    Raises:
        ToolDefinitionError: A parameter cannot be sent by a model (``*args``, ``**kwargs``,
            a type with no JSON Schema, an unresolvable annotation), or has no annotation
            and ``strict_types`` is set.
    """
    signature = _signature(fn, tool_name)
    docstring = parse_docstring(fn)
    fields: dict[str, Any] = {}
    field_names: dict[str, str] = {}
    positional_only: list[str] = []
    context_parameter: str | None = None
    for param in signature.parameters.values():
        _reject_variadic(param, tool_name)
        if is_context_annotation(param.annotation):
            if context_parameter is not None:
                msg = (
                    f"Tool {tool_name!r}: parameters {context_parameter!r} and {param.name!r} "
                    "both ask for the run context. Keep one."
                )
                raise ToolDefinitionError(msg, tool=tool_name, parameter=param.name)
            context_parameter = param.name
            continue
        if param.annotation is inspect.Parameter.empty:
            _untyped(param, tool_name, strict_types=strict_types)
        if param.kind is inspect.Parameter.POSITIONAL_ONLY:
            positional_only.append(param.name)
        field_name = _field_name(param.name, len(fields))
        if field_name != param.name:
            field_names[param.name] = field_name
        fields[field_name] = _field(param, docstring.parameters.get(param.name))
    model = _create_model(tool_name, fields, signature)
    return FunctionSignature(
        description=docstring.description,
        model=model,
        parameters=model_schema(model, tool_name=tool_name),
        context_parameter=context_parameter,
        positional_only=tuple(positional_only),
        field_names=field_names,
    )


def model_schema(model: type[BaseModel], *, tool_name: str) -> dict[str, Any]:
    """The neutral JSON Schema of an argument model: Pydantic's, without generated titles.

    Raises:
        ToolDefinitionError: A field has no JSON Schema, or a default is not JSON.
    """
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", PydanticJsonSchemaWarning)
            schema = model.model_json_schema()
    except PydanticJsonSchemaWarning as e:
        msg = f"Tool {tool_name!r}: {e}. Use a default that is a JSON value, or None."
        raise ToolDefinitionError(msg, tool=tool_name) from e
    except PydanticUserError as e:
        raise _schema_error(tool_name, _field_types(model), e) from e
    schema.pop("title", None)
    schema.pop("description", None)
    return strip_titles(schema)


def strip_titles(schema: dict[str, Any]) -> dict[str, Any]:
    """Remove ``title`` from every schema node (not from property *names* called "title").

    Pydantic titles each field after its name: tokens the model pays for and learns nothing from.
    """
    out: dict[str, Any] = {}
    for key, value in schema.items():
        if key == "title" and isinstance(value, str):
            continue
        if key in _SCHEMA_MAPS and isinstance(value, dict):
            out[key] = {name: _strip_node(sub) for name, sub in value.items()}  # pyright: ignore[reportUnknownVariableType]
        elif key in _SCHEMA_ONE:
            out[key] = _strip_node(value)
        elif key in _SCHEMA_LIST and isinstance(value, list):
            out[key] = [_strip_node(sub) for sub in value]  # pyright: ignore[reportUnknownVariableType]
        else:
            out[key] = value
    return out


def _strip_node(node: Any) -> Any:
    return strip_titles(node) if isinstance(node, dict) else node  # pyright: ignore[reportUnknownArgumentType]


def _signature(fn: Callable[..., Any], tool_name: str) -> inspect.Signature:
    try:
        return inspect.signature(fn, eval_str=True)
    except (NameError, SyntaxError) as e:
        msg = (
            f"Tool {tool_name!r}: an annotation of {fn!r} cannot be resolved ({e}). "
            "Import the type at module level so the annotation can be evaluated."
        )
        raise ToolDefinitionError(msg, tool=tool_name) from e
    except ValueError as e:
        msg = f"Tool {tool_name!r}: {fn!r} has no inspectable signature ({e}). Wrap it in a def."
        raise ToolDefinitionError(msg, tool=tool_name) from e


def _reject_variadic(param: inspect.Parameter, tool_name: str) -> None:
    if param.kind is inspect.Parameter.VAR_POSITIONAL:
        msg = (
            f"Tool {tool_name!r}: parameter '*{param.name}' cannot be sent by a model, which "
            f"only sends named arguments. Replace it with a list, e.g. '{param.name}: list[str]'."
        )
        raise ToolDefinitionError(msg, tool=tool_name, parameter=param.name)
    if param.kind is inspect.Parameter.VAR_KEYWORD:
        msg = (
            f"Tool {tool_name!r}: parameter '**{param.name}' has no schema a model could follow. "
            f"Name each parameter, or take one dict, e.g. '{param.name}: dict[str, str]'."
        )
        raise ToolDefinitionError(msg, tool=tool_name, parameter=param.name)


def _untyped(param: inspect.Parameter, tool_name: str, *, strict_types: bool) -> None:
    """Warn about (or refuse) a parameter without annotation: the model may send anything."""
    has_default = param.default is not inspect.Parameter.empty
    example_type = type(param.default).__name__ if has_default else "str"
    if example_type not in _JSON_TYPE_NAMES:
        example_type = "str"
    example = f"{param.name}: {example_type}" + (f" = {param.default!r}" if has_default else "")
    if strict_types:
        msg = (
            f"Tool {tool_name!r}: parameter {param.name!r} has no type annotation "
            f"(strict_types=True). Annotate it, e.g. '{example}'."
        )
        raise ToolDefinitionError(msg, tool=tool_name, parameter=param.name)
    msg = (
        f"Tool {tool_name!r}: parameter {param.name!r} has no type annotation, so the model is "
        f"told it may send any value. Annotate it, e.g. '{example}' (or register with "
        "strict_types=True to refuse untyped parameters)."
    )
    warnings.warn(msg, UntypedParameterWarning, stacklevel=_caller_outside_switchboard())


def _caller_outside_switchboard() -> int:
    """The ``stacklevel`` that points a warning at the first caller outside this package."""
    frame, level = inspect.currentframe(), 0
    while frame is not None and frame.f_code.co_filename.startswith(_PACKAGE_DIR):
        frame, level = frame.f_back, level + 1
    return level


def _field_name(name: str, index: int) -> str:
    # Pydantic rejects leading underscores and warns on names that shadow BaseModel
    # attributes (json, copy, schema, ...): such parameters get a private field name and
    # keep their own name as the alias, which the schema and validation use.
    if name.startswith("_") or hasattr(BaseModel, name) or keyword.iskeyword(name):
        return f"param_{index}"
    return name


def _field(param: inspect.Parameter, doc: str | None) -> tuple[Any, Any]:
    annotation: Any = Any if param.annotation is inspect.Parameter.empty else param.annotation
    if doc:
        annotation = _with_description(annotation, doc)
    if param.default is inspect.Parameter.empty:
        default: Any = ...
    else:
        default = param.default
    if isinstance(default, FieldInfo):
        # A copy: the user's FieldInfo may be shared by other functions.
        field = copy.copy(default)
        field.alias = field.alias or param.name
        return annotation, field
    return annotation, Field(default, alias=param.name)


def _with_description(annotation: Any, doc: str) -> Any:
    # The docstring's text goes *first*, so that a description given explicitly in
    # Annotated[..., Field(description=...)] or a Field default overrides it.
    if get_origin(annotation) is Annotated:
        base, *metadata = get_args(annotation)
        return Annotated[base, Field(description=doc), *metadata]  # pyright: ignore[reportInvalidTypeArguments]
    return Annotated[annotation, Field(description=doc)]


def _create_model(
    tool_name: str, fields: dict[str, Any], signature: inspect.Signature
) -> type[BaseModel]:
    try:
        return create_model(
            tool_name,
            # allow_inf_nan: a number too large for a float (1e400) must not reach a tool as inf.
            __config__=ConfigDict(extra="forbid", populate_by_name=False, allow_inf_nan=False),
            **fields,
        )
    except PydanticUserError as e:
        types = {
            name: param.annotation
            for name, param in signature.parameters.items()
            if param.annotation is not inspect.Parameter.empty
        }
        raise _schema_error(tool_name, types, e) from e


def _field_types(model: type[BaseModel]) -> dict[str, Any]:
    return {info.alias or name: info.annotation for name, info in model.model_fields.items()}


def _schema_error(
    tool_name: str, types: Mapping[str, Any], error: Exception
) -> ToolDefinitionError:
    """Name the parameter whose type has no JSON Schema, by trying each type on its own."""
    for name, annotation in types.items():
        if is_context_annotation(annotation):
            continue
        try:
            TypeAdapter(annotation).json_schema()
        except (PydanticSchemaGenerationError, PydanticInvalidForJsonSchema):
            msg = (
                f"Tool {tool_name!r}: parameter {name!r} has type {_type_name(annotation)}, "
                f"which has no JSON Schema. {_FIX_TYPE}"
            )
            return ToolDefinitionError(msg, tool=tool_name, parameter=name)
        except PydanticUserError as e:
            msg = (
                f"Tool {tool_name!r}: parameter {name!r} has type {_type_name(annotation)}, "
                f"which Pydantic rejects: {e.message}"
            )
            return ToolDefinitionError(msg, tool=tool_name, parameter=name)
    msg = f"Tool {tool_name!r}: its parameters have no JSON Schema ({error}). {_FIX_TYPE}"
    return ToolDefinitionError(msg, tool=tool_name)


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type):
        return f"{annotation.__module__}.{annotation.__qualname__}".removeprefix("builtins.")
    return repr(annotation)
