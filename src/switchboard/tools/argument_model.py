"""A function's argument model, built with Pydantic, and its neutral JSON Schema.

The argument model is a Pydantic model with one field per parameter the model may send.
Its JSON Schema, with Pydantic's generated titles removed, is the *neutral* schema that
every provider dialect is rendered from. This module imports Pydantic: it is imported
when the first tool is built, not with switchboard.
"""

from __future__ import annotations

import copy
import inspect
import keyword
import warnings
from collections.abc import Callable, Mapping
from typing import Annotated, Any, get_args, get_origin

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
from pydantic_core import SchemaError

from switchboard.errors import ToolDefinitionError
from switchboard.tools.context import is_context_annotation
from switchboard.tools.signature import (
    FunctionShape,
    FunctionSignature,
    parse_docstring,
    strip_titles,
)

_FIX_TYPE = (
    "Use a JSON type (str, int, float, bool, list, dict), an enum or Literal, "
    "a Pydantic model, a dataclass or a TypedDict."
)


def build_signature(
    fn: Callable[..., Any], shape: FunctionShape, *, tool_name: str
) -> FunctionSignature:
    """The argument model and neutral schema of a function already read by `read_function`.

    Raises:
        ToolDefinitionError: A parameter's type has no JSON Schema, or a default is not JSON.
    """
    docstring = parse_docstring(fn)
    fields: dict[str, Any] = {}
    field_names: dict[str, str] = {}
    for param in shape.parameters:
        field_name = _field_name(param.name, len(fields))
        if field_name != param.name:
            field_names[param.name] = field_name
        fields[field_name] = _field(param, docstring.parameters.get(param.name))
    model = _create_model(tool_name, fields, shape.signature)
    return FunctionSignature(
        description=docstring.description,
        model=model,
        parameters=model_schema(model, tool_name=tool_name),
        context_parameter=shape.context_parameter,
        positional_only=shape.positional_only,
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


def _field_name(name: str, index: int) -> str:
    # Pydantic rejects leading underscores and warns on names that shadow BaseModel
    # attributes (json, copy, schema, ...): such parameters get a private field name and
    # keep their own name as the alias, which the schema and validation use.
    if name.startswith("_") or hasattr(BaseModel, name) or keyword.iskeyword(name):
        return f"param_{index}"
    return name


def _field(param: inspect.Parameter, doc: str | None) -> tuple[Any, Any]:
    annotation: Any = Any if param.annotation is inspect.Parameter.empty else param.annotation
    if param.default is inspect.Parameter.empty:
        default: Any = ...
    else:
        default = param.default
    if isinstance(default, FieldInfo):
        # A copy: the user's FieldInfo may be shared by other functions.
        field = copy.copy(default)
        field.alias = field.alias or param.name
        return (_with_description(annotation, doc) if doc else annotation), field
    if doc and get_origin(annotation) is Annotated:
        return _with_description(annotation, doc), Field(default, alias=param.name)
    # With no Field of its own to give way to, the field carries the docstring's text: the
    # same schema as through Annotated, for a third of what building the Annotated costs.
    if doc:
        return annotation, Field(default, alias=param.name, description=doc)
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
    # SchemaError: pydantic-core refuses a constraint for its type (a bound of 0.5 on an int).
    except (PydanticUserError, SchemaError) as e:
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
        except SchemaError as e:
            # pydantic-core nests the reason under one line per level: the last one says it.
            reason = str(e).strip().splitlines()[-1].strip()
            msg = (
                f"Tool {tool_name!r}: parameter {name!r} has type {_type_name(annotation)}, "
                f"which Pydantic cannot validate ({reason}). Give the constraint a value "
                "of the parameter's type."
            )
            return ToolDefinitionError(msg, tool=tool_name, parameter=name)
    msg = f"Tool {tool_name!r}: its parameters have no JSON Schema ({error}). {_FIX_TYPE}"
    return ToolDefinitionError(msg, tool=tool_name)


def _type_name(annotation: Any) -> str:
    if isinstance(annotation, type):
        return f"{annotation.__module__}.{annotation.__qualname__}".removeprefix("builtins.")
    return repr(annotation)
