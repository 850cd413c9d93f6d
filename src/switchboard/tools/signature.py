"""A function's signature and docstring, read for a tool; the argument model built on demand.

Reading a function (`read_function`) is cheap and done at registration: it refuses what a
model could never send (``*args``, ``**kwargs``, unresolvable annotations) and warns about
untyped parameters. Building its *argument model* (a Pydantic model with one field per
parameter the model may send) and the model's JSON Schema, with Pydantic's generated titles
removed, costs about a millisecond a function (`inspect_function`, in
`switchboard.tools.argument_model`); that schema is the *neutral* one every provider
dialect is rendered from.
"""

from __future__ import annotations

import functools
import inspect
import math
import types
import warnings
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any, Literal, Union, get_args, get_origin

from switchboard.errors import ToolDefinitionError, UntypedParameterWarning
from switchboard.tools.context import is_context_annotation

if TYPE_CHECKING:
    from pydantic import BaseModel

# Keys whose value maps names to subschemas, and keys whose value is one subschema or a
# list of them: the places a JSON Schema nests schemas (draft 2020-12).
_SCHEMA_MAPS = frozenset({"properties", "$defs", "definitions", "patternProperties"})
_SCHEMA_ONE = frozenset(
    {"items", "additionalProperties", "not", "if", "then", "else", "contains", "propertyNames"}
)
_SCHEMA_LIST = frozenset({"anyOf", "oneOf", "allOf", "prefixItems"})

_JSON_TYPE_NAMES = frozenset({"str", "int", "float", "bool", "list", "dict"})
_PACKAGE_DIR = str(Path(__file__).resolve().parents[1])

# Types Pydantic turns into a JSON Schema and a validator in every case (see `_is_plain`).
_PLAIN_TYPES: tuple[object, ...] = (str, int, float, bool, type(None), Any, list, dict)
_PLAIN_LITERALS = (str, int, bool, type(None))


@dataclass(frozen=True, slots=True)
class Docstring:
    """What a docstring says about a tool: its summary and each parameter's text."""

    description: str
    parameters: Mapping[str, str]


@dataclass(frozen=True, slots=True)
class FunctionShape:
    """What a function's signature says, read without building anything.

    Attributes:
        signature: The signature, string annotations evaluated.
        parameters: The parameters the model sends, in order (the run context left out).
        context_parameter: The parameter that receives the run context, if any.
        positional_only: Positional-only parameters, in order: passed by position.
        plain: Every parameter's type is a plain JSON type and its default a JSON scalar,
            so the argument model surely builds: it may be built on first use.
    """

    signature: inspect.Signature
    parameters: tuple[inspect.Parameter, ...]
    context_parameter: str | None
    positional_only: tuple[str, ...]
    plain: bool


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
    import docstring_parser  # imported on first use: `import switchboard` stays cheap

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
    from switchboard.tools.argument_model import build_signature  # Pydantic: on first build

    shape = read_function(fn, tool_name=tool_name, strict_types=strict_types)
    return build_signature(fn, shape, tool_name=tool_name)


def read_function(
    fn: Callable[..., Any], *, tool_name: str, strict_types: bool = False
) -> FunctionShape:
    """Read what a function's signature says, refusing what a model could never send.

    Args and warnings as in `inspect_function`, but nothing is built: a type with no JSON
    Schema is found when the argument model is built (see `FunctionShape.plain`).

    Raises:
        ToolDefinitionError: ``*args`` or ``**kwargs``, an unresolvable annotation, two
            run-context parameters, or (with ``strict_types``) a parameter without annotation.
    """
    signature = _signature(fn, tool_name)
    parameters: list[inspect.Parameter] = []
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
        parameters.append(param)
    return FunctionShape(
        signature=signature,
        parameters=tuple(parameters),
        context_parameter=context_parameter,
        positional_only=tuple(positional_only),
        plain=all(_is_plain_parameter(param) for param in parameters),
    )


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
        # eval_str costs four times a plain read: only string annotations need it.
        annotations = getattr(fn, "__annotations__", None)
        if isinstance(annotations, dict) and not any(
            isinstance(value, str)
            for value in annotations.values()  # pyright: ignore[reportUnknownVariableType]
        ):
            return inspect.signature(fn)
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


def _is_plain_parameter(param: inspect.Parameter) -> bool:
    """Whether the argument model surely builds for this parameter (see `_is_plain`)."""
    annotation: object = param.annotation
    if annotation is inspect.Parameter.empty:
        annotation = Any
    return _is_plain(annotation) and _is_plain_default(param.default)


def _is_plain(annotation: object) -> bool:
    """Whether Pydantic surely builds a schema and a validator for a type.

    True for JSON scalars, ``Any``, literals of them, lists, string-keyed dicts and unions
    of such types, and ``Annotated`` with a Pydantic ``Field`` that only describes the type
    or bounds its size. Anything else (models, enums, dates...) is built at registration,
    so that a type with no JSON Schema is refused there.
    """
    # By identity: an annotation may not be hashable (Annotated with a list in it).
    if any(annotation is plain for plain in _PLAIN_TYPES):
        return True
    origin, args = get_origin(annotation), get_args(annotation)
    if origin is Literal:
        return all(type(value) in _PLAIN_LITERALS for value in args)
    if origin is list:
        return all(_is_plain(arg) for arg in args)
    if origin is dict:
        return len(args) == 2 and args[0] is str and _is_plain(args[1])
    if origin is Union or origin is types.UnionType:
        return all(_is_plain(arg) for arg in args)
    if origin is Annotated:
        base, *metadata = args
        return _is_plain(base) and all(_is_plain_field(item, base) for item in metadata)
    return False


def _is_plain_field(item: object, base: object) -> bool:
    """Whether ``Annotated`` metadata is a ``Field`` of description, title and size bounds."""
    from annotated_types import Ge, Gt, Le, Lt, MaxLen, MinLen, MultipleOf
    from pydantic.fields import FieldInfo

    if not isinstance(item, FieldInfo):
        return False
    blank = _blank_field()
    if any(
        getattr(item, name) != getattr(blank, name)
        for name in FieldInfo.__slots__
        if not name.startswith("_") and name not in ("description", "title", "metadata")
    ):
        return False
    for constraint in item.metadata:
        match constraint:
            case (
                Ge(ge=bound)
                | Gt(gt=bound)
                | Le(le=bound)
                | Lt(lt=bound)
                | MultipleOf(multiple_of=bound)
            ):
                if not _is_bound_of(bound, base):
                    return False
            case MinLen() | MaxLen():
                if base is not str and base is not list and get_origin(base) is not list:
                    return False
            case _:
                return False
    return True


def _is_bound_of(bound: object, base: object) -> bool:
    """Whether a numeric bound suits an ``int`` or ``float`` type."""
    if isinstance(bound, bool) or not isinstance(bound, int | float):
        return False
    if base is int:
        return isinstance(bound, int)
    return base is float and math.isfinite(bound)


@functools.cache
def _blank_field() -> Any:
    """A ``Field()`` with nothing set, to compare others with."""
    from pydantic.fields import FieldInfo

    return FieldInfo()


def _is_plain_default(default: object) -> bool:
    """Whether a default surely has a JSON form: none, or a JSON scalar."""
    if default is inspect.Parameter.empty or default is None:
        return True
    if isinstance(default, float):
        return math.isfinite(default)
    return type(default) in (str, int, bool)
