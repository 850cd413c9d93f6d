"""Validate a call's arguments against a tool's schema and turn them into handler arguments.

Three kinds of tool, three validators, one contract: ``validate(arguments)`` returns the
keyword arguments for the handler, or raises `ArgumentsError` listing every problem.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import TYPE_CHECKING, Any, Protocol, cast

from pydantic import BaseModel, ValidationError
from pydantic_core import CoreSchema, SchemaValidator, core_schema

from switchboard.errors import ArgumentProblem, ArgumentsError, ToolDefinitionError
from switchboard.tools.json_object import load_json_object
from switchboard.tools.schema_accept import acceptor
from switchboard.tools.signature import FunctionSignature

if TYPE_CHECKING:
    from jsonschema.protocols import Validator

JsonReader = Callable[[str], "dict[str, Any] | None"]
"""Reads clean JSON argument text into the handler's keyword arguments (see `json_reader`)."""


class ArgumentsValidator(Protocol):
    """Checks a call's arguments and returns the handler's keyword arguments."""

    def validate(
        self, tool: str, arguments: Mapping[str, Any], *, strict: bool = False
    ) -> dict[str, Any]:
        """Return the handler's keyword arguments, or raise `ArgumentsError`."""
        ...

    def json_reader(self, tool: str, *, strict: bool = False) -> JsonReader:
        """A function from JSON text to the handler's keyword arguments, for the common call.

        It returns what `validate` returns for the object the text holds, when the text is
        one strict JSON object with no ``null`` in it; for any other text (one to repair,
        or with a ``null`` that may stand for a default) it returns None without deciding,
        and the caller parses and validates the text the long way. It raises
        `ArgumentsError` as `validate` does.
        """
        ...


def clean_json_reader(validator: ArgumentsValidator, tool: str, *, strict: bool) -> JsonReader:
    """The `ArgumentsValidator.json_reader` that parses the text, then validates the object."""

    def read(text: str) -> dict[str, Any] | None:
        # No "null" in the text, no None in the object: no null may stand for a default.
        if "null" in text:
            return None
        arguments = load_json_object(text)
        if arguments is None:
            return None
        return validator.validate(tool, arguments, strict=strict)

    return read


class FunctionArguments:
    """Validates with a function's argument model; values come back typed, by parameter name."""

    def __init__(self, signature: FunctionSignature) -> None:
        self._model = signature.model
        self._fields = _fields_validator(signature.model)
        # Parameters whose names cannot be field names (`json`, `_x`) are renamed back.
        self._parameters = {field: param for param, field in signature.field_names.items()}

    def validate(
        self, tool: str, arguments: Mapping[str, Any], *, strict: bool = False
    ) -> dict[str, Any]:
        """Return the handler's keyword arguments, or raise `ArgumentsError`."""
        if self._fields is None:
            values = dict(_validate_model(self._model, tool, arguments, strict).__dict__)
        else:
            try:
                # A model-fields validator returns (values, extras, names set).
                values, _, _ = self._fields.validate_python(arguments, strict=strict or None)
            except ValidationError as e:
                raise _arguments_error(tool, e) from e
        if not self._parameters:
            return values
        return {self._parameters.get(field, field): value for field, value in values.items()}

    def json_reader(self, tool: str, *, strict: bool = False) -> JsonReader:
        """See `ArgumentsValidator.json_reader`: here parsing and validating in one pass.

        One call of pydantic-core that parses and validates costs half of parsing to a
        dict and validating that, which is most of a trivial call's cost (see
        benchmarks/dispatch.py). Its parser reads ``NaN``, ``Infinity`` and a key given
        twice (keeping the last), which switchboard refuses: text naming the first two is
        read the other way, and so is text with more colons than keys given (a repeated key
        adds a colon; so do unknown keys, nested objects and colons in strings, which the
        other way reads exactly). Strict validation of JSON text accepts what strict
        validation of a dict refuses (an ISO date string for a datetime), so strict tools
        and models with their own validators are always read the other way.
        """
        other_way = clean_json_reader(self, tool, strict=strict)
        if self._fields is None or strict:
            return other_way
        exact = _exact_reader(self._model)
        if exact is None:
            return self._fields_reader(other_way)
        one_pass, defaults = exact
        size = len(self._model.model_fields)

        def read(text: str) -> dict[str, Any] | None:
            if "null" in text:
                return None
            if "NaN" not in text and "Infinity" not in text:
                try:
                    kwargs = one_pass(text)
                except ValueError:  # invalid, or not JSON: the other way explains
                    return other_way(text)
                # One entry per key given, known and valid: every key adds a colon.
                if text.count(":") == len(kwargs):
                    return {**defaults, **kwargs} if len(kwargs) < size else kwargs
            return other_way(text)

        return read

    def _fields_reader(self, other_way: JsonReader) -> JsonReader:
        """The one-pass reader through the model's fields validator (see `json_reader`)."""
        fields = self._fields
        assert fields is not None  # the caller checked
        one_pass = fields.validate_json
        renamed = self._parameters

        def read(text: str) -> dict[str, Any] | None:
            if "null" in text:
                return None
            if "NaN" not in text and "Infinity" not in text:
                try:
                    # A model-fields validator returns (values, extras, names given).
                    values: dict[str, Any]
                    values, _, given = one_pass(text)
                except ValueError:  # invalid, or not JSON: the other way explains
                    return other_way(text)
                if text.count(":") == len(given):
                    if not renamed:
                        return values
                    return {renamed.get(field, field): value for field, value in values.items()}
            return other_way(text)

        return read


class ModelArguments:
    """Validates with a Pydantic model that *is* the argument object, passed whole."""

    def __init__(self, model: type[BaseModel], parameter: str) -> None:
        self._model = model
        self._parameter = parameter

    def validate(
        self, tool: str, arguments: Mapping[str, Any], *, strict: bool = False
    ) -> dict[str, Any]:
        """Return ``{parameter: model instance}``, or raise `ArgumentsError`."""
        return {self._parameter: _validate_model(self._model, tool, arguments, strict)}

    def json_reader(self, tool: str, *, strict: bool = False) -> JsonReader:
        """See `ArgumentsValidator.json_reader`."""
        return clean_json_reader(self, tool, strict=strict)


class SchemaArguments:
    """Validates with a raw JSON Schema (the ``jsonschema`` library); values pass as sent."""

    def __init__(self, schema: Mapping[str, Any], *, tool: str) -> None:
        # Imported here: only schema tools need jsonschema, and it costs ~30 ms to import.
        from jsonschema import Draft202012Validator, SchemaError
        from jsonschema.validators import validator_for

        cls: type[Validator] = validator_for(schema, default=Draft202012Validator)
        try:
            cls.check_schema(dict(schema))
        except SchemaError as e:
            where = "/" + "/".join(str(part) for part in e.absolute_path)
            msg = (
                f"Tool {tool!r}: its parameters are not a valid JSON Schema at {where}: "
                f"{e.message}. Fix the schema there."
            )
            raise ToolDefinitionError(msg, tool=tool) from e
        self._validator: Validator = cls(schema, format_checker=cls.FORMAT_CHECKER)
        self._accepts = acceptor(schema)  # None: jsonschema judges every call

    def validate(
        self, tool: str, arguments: Mapping[str, Any], *, strict: bool = False
    ) -> dict[str, Any]:
        """Return the arguments as a new dict, or raise `ArgumentsError` (always strict)."""
        del strict  # JSON Schema validation has no lax mode
        accepts = self._accepts
        if accepts is not None and arguments.__class__ is dict and accepts(arguments):
            return dict(arguments)
        errors = sorted(self._validator.iter_errors(arguments), key=lambda e: list(e.absolute_path))
        if errors:
            problems = [
                ArgumentProblem(
                    path=".".join(str(part) for part in error.absolute_path),
                    message=error.message,
                    received=error.instance,
                )
                for error in errors
            ]
            raise ArgumentsError(tool, problems)
        return dict(arguments)

    def json_reader(self, tool: str, *, strict: bool = False) -> JsonReader:
        """See `ArgumentsValidator.json_reader`."""
        return clean_json_reader(self, tool, strict=strict)


def _fields_validator(model: type[BaseModel]) -> SchemaValidator | None:
    """A validator of the model's fields alone, which returns their values as a dict.

    Building the model instance and reading its fields back costs twice what validating
    the fields does, on every call. For a plain model (no custom ``__init__``, post-init
    hook or root), the fields' own core schema, under the model's config and definitions,
    validates exactly as the model does. None for any other model.
    """
    found = _plain_fields(model)
    if found is None:
        return None
    fields, definitions, config = found
    schema: CoreSchema = fields
    if definitions:
        schema = core_schema.definitions_schema(fields, definitions)
    return SchemaValidator(schema, config)


def _plain_fields(
    model: type[BaseModel],
) -> tuple[core_schema.ModelFieldsSchema, list[CoreSchema], core_schema.CoreConfig | None] | None:
    """A plain model's fields schema, definitions and config (see `_fields_validator`)."""
    schema: CoreSchema = model.__pydantic_core_schema__
    definitions: list[CoreSchema] = []
    if schema["type"] == "definitions":
        definitions, schema = schema["definitions"], schema["schema"]
    if schema["type"] != "model":
        return None
    outer = cast(core_schema.ModelSchema, schema)
    fields = outer["schema"]
    hooks = outer.get("custom_init") or outer.get("root_model") or outer.get("post_init")
    if fields["type"] != "model-fields" or hooks:
        return None
    return cast(core_schema.ModelFieldsSchema, fields), definitions, outer.get("config")


# The keys of a field default that the exact reader puts in itself (see `_exact_reader`).
_PLAIN_DEFAULT_KEYS = frozenset({"type", "schema", "default", "metadata", "serialization"})


def _exact_reader(
    model: type[BaseModel],
) -> tuple[Callable[[str], dict[str, Any]], dict[str, Any]] | None:
    """A one-pass validator of JSON text to exactly the keyword arguments given, and the defaults.

    The model's fields as a typed dict keyed by parameter name, which ignores unknown keys
    and leaves out what was not given, so that its result has one entry per key the text
    names validly (`FunctionArguments.json_reader` counts them). Without the model's own
    refusal of unknown keys, and with no tuple of field names to build, it costs two thirds
    of the fields validator. The defaults, added afterwards, are the model's own objects,
    as its validator gives them. None when a default is not a plain value given once (a
    factory, one validated or copied per call, one used on error), or the model is not plain.
    """
    found = _plain_fields(model)
    if found is None:
        return None
    fields, definitions, config = found
    typed: dict[str, core_schema.TypedDictField] = {}
    defaults: dict[str, Any] = {}
    for name, field in fields["fields"].items():
        alias = field.get("validation_alias", name)
        parameter = alias if isinstance(alias, str) else name
        schema = field["schema"]
        if schema["type"] == "default":
            default = cast(core_schema.WithDefaultSchema, schema)
            if not _PLAIN_DEFAULT_KEYS.issuperset(default) or "default" not in default:
                return None
            try:
                hash(default["default"])
            except TypeError:  # pydantic-core copies an unhashable default for each call
                return None
            defaults[parameter] = default["default"]
            schema = default["schema"]
        typed[parameter] = core_schema.typed_dict_field(
            schema,
            required=parameter not in defaults,
            validation_alias=None if alias == parameter else alias,
        )
    # A typed dict validates its fields under its own config, not the validator's.
    schema: CoreSchema = core_schema.typed_dict_schema(
        typed, strict=fields.get("strict"), extra_behavior="ignore", config=config
    )
    if definitions:
        schema = core_schema.definitions_schema(schema, definitions)
    return SchemaValidator(schema, config).validate_json, defaults


def _validate_model(
    model: type[BaseModel], tool: str, arguments: Mapping[str, Any], strict: bool
) -> BaseModel:
    try:
        # The core validator itself: model_validate's wrapper doubles the cost on this
        # per-call path (see benchmarks/dispatch.py).
        return model.__pydantic_validator__.validate_python(arguments, strict=strict or None)
    except ValidationError as e:
        raise _arguments_error(tool, e) from e


def _arguments_error(tool: str, error: ValidationError) -> ArgumentsError:
    problems = [
        ArgumentProblem(
            path=".".join(str(part) for part in problem["loc"]),
            message=problem["msg"],
            received=None if problem["type"] == "missing" else problem["input"],
            missing=problem["type"] == "missing",
        )
        for problem in error.errors(include_url=False)
    ]
    return ArgumentsError(tool, problems)
