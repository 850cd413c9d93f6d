"""`Tool`: one function the model may call — its name, description, schema and handler."""

from __future__ import annotations

import copy
import functools
import inspect
import json
import logging
import re
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, Literal, TypedDict, TypeVar, Unpack, cast, overload

from switchboard.errors import (
    ArgumentsError,
    ConfigurationError,
    StrictIssue,
    StrictSchemaError,
    ToolDefinitionError,
)
from switchboard.retry import RetryPolicy
from switchboard.schema.canonical import canonical_schema, unresolved_refs, unsatisfiable
from switchboard.schema.dialects import STRICT_FORMATS, Format, render_tool
from switchboard.schema.llama import to_llama_schema
from switchboard.schema.nodes import ref_problem
from switchboard.schema.strict import drop_strict_nulls, make_strict, strict_issues
from switchboard.tools.context import input_and_context
from switchboard.tools.definition import Definition, FunctionDefinition, GivenDefinition
from switchboard.tools.json_object import load_json_object
from switchboard.tools.signature import parse_docstring, read_function

if TYPE_CHECKING:
    from pydantic import BaseModel

    from switchboard.tools.grammar import Syntax, TextInput
    from switchboard.tools.remote import Remote
    from switchboard.tools.validation import ArgumentsValidator, JsonReader

logger = logging.getLogger("switchboard")

OnStrictIssues = Literal["raise", "fallback"]
"""What `Tool.schema` does with ``strict=True`` when the schema has no strict form."""

Caller = Literal["direct", "program"]
"""Who may call a tool: the model itself (``"direct"``), or a program the model wrote and
the provider runs (``"program"``: Anthropic's code execution, OpenAI's programmatic tool
calling). See `ToolOptions.allowed_callers`."""

_CALLERS: frozenset[str] = frozenset({"direct", "program"})

# OpenAI, Anthropic and Gemini all accept this and nothing wider; Gemini also allows
# '.', ':' but a name must work everywhere to be portable.
_NAME = re.compile(r"^[a-zA-Z0-9_-]{1,64}$")

F = TypeVar("F", bound=Callable[..., Any])


class ToolOptions(TypedDict, total=False):
    """How a tool is run, described and offered; every builder of tools takes these as keywords.

    ``defer_loading``, ``input_examples``, ``eager_input_streaming`` and ``allowed_callers``
    say how providers offer the tool: each provider sends what its API has and ignores the
    rest (see the README's "Provider features").

    Attributes:
        timeout: Seconds before a call is cancelled and answered with a timeout error.
        max_retries: How many failing calls (unparsable, invalid or raising) the model may
            send to this tool in a row within a run before it is told to stop (default 2).
        retry: Retry the handler itself when it raises one of ``retry.retry_on``.
        max_concurrency: At most this many calls of this tool run at once in a batch.
        sequential: Calls of this tool in a batch run one at a time, in order, after the
            batch's other calls (for tools that change shared state).
        requires_approval: Each call needs a yes first: from the executor's ``approve=``
            callback when it has one; else the run pauses on the call until the application
            decides (`PendingCall`, ``agent.resume``).
        external: Never run here: each call pauses the run and is handed to the
            application, which runs it elsewhere and resumes the run with its result
            (`Supply`).
        idempotent: Running a call again with the same arguments changes nothing more
            (MCP ``idempotentHint``). A run resumed after a crash runs such a call again
            when its result was lost; any other such call gets an error result saying it
            may have taken effect.
        inline: Run a sync handler on the event loop instead of a worker thread (for
            fast, pure functions: saves the thread hop).
        strict_validation: Validate without Pydantic's lax coercions ("3" is not 3).
        title: A name for people, shown by MCP clients (the model sees ``name``).
        read_only: The tool changes nothing (MCP ``readOnlyHint``).
        destructive: The tool may undo or overwrite what is there, rather than only add
            (MCP ``destructiveHint``; None: unsaid, which MCP clients read as yes).
        open_world: The tool reaches the world outside (the web, other systems) rather
            than a closed domain (MCP ``openWorldHint``; None: unsaid, read as yes).
        defer_loading: Leave the tool out of the model's context until the provider's tool
            search finds it (Anthropic's tool search tool, OpenAI's ``tool_search``); the
            provider adds its search tool when a request offers a deferred tool.
        input_examples: Example argument objects, each valid against the tool's schema
            (Anthropic ``input_examples``).
        eager_input_streaming: Stream this tool's arguments as they are written, without
            the provider buffering them into valid JSON (Anthropic fine-grained tool
            streaming); ``None`` leaves the provider's default.
        allowed_callers: Who may call it: ``"direct"`` (the model) and/or ``"program"``
            (code the model wrote, run by the provider: Anthropic's code execution,
            OpenAI's programmatic tool calling); empty leaves the provider's default
            (the model only).
        remote: Run each call elsewhere, e.g. ``Ray(num_gpus=1)`` as a Ray task with
            those resources; the call is validated, hooked and timed here as any other.
            The handler cannot take a `RunContext` (its deps stay in this process).
    """

    timeout: float | None
    max_retries: int
    retry: RetryPolicy | None
    max_concurrency: int | None
    sequential: bool
    requires_approval: bool
    external: bool
    idempotent: bool
    inline: bool
    strict_validation: bool
    title: str | None
    read_only: bool
    destructive: bool | None
    open_world: bool | None
    # How providers offer it (issue 19).
    defer_loading: bool
    input_examples: Sequence[Mapping[str, Any]]
    eager_input_streaming: bool | None
    allowed_callers: Sequence[Caller]
    remote: Remote | None


@dataclass(frozen=True, eq=False, init=False)
class Tool:
    """A function the model may call: name, description, neutral JSON Schema and handler.

    Build one with `Tool.from_function` (or the `tool` decorator), `Tool.from_model` or
    `Tool.from_schema`; register it in a `Toolbox`. Provider schemas are rendered once per
    format and cached: treat what `schema` returns as read-only.

    A tool made from a function whose parameters are plain JSON types builds its
    description, schema and validator when first used (`description`, `parameters`, a
    call), which makes registering it about thirty times cheaper.

    Attributes:
        name: The name the model calls it by (``^[a-zA-Z0-9_-]{1,64}$``).
        handler: The callable that runs it; ``None`` for a schema-only tool.
        text_input: For a custom tool (`Tool.custom`), what its input text must be;
            ``None`` for a tool that takes JSON arguments.
        tags: Labels for grouping and routing.
        context_parameter: The handler parameter that receives the `RunContext`, if any.
        positional_only: Handler parameters that must be passed by position.

    The remaining attributes are the `ToolOptions`; `description` and `parameters` are
    properties.
    """

    name: str
    handler: Callable[..., Any] | None
    tags: frozenset[str]
    context_parameter: str | None
    positional_only: tuple[str, ...]
    timeout: float | None
    max_retries: int
    retry: RetryPolicy | None
    max_concurrency: int | None
    sequential: bool
    requires_approval: bool
    external: bool
    idempotent: bool
    inline: bool
    strict_validation: bool
    title: str | None
    read_only: bool
    destructive: bool | None
    open_world: bool | None
    # How providers offer it (issue 19).
    defer_loading: bool
    input_examples: tuple[Mapping[str, Any], ...]
    eager_input_streaming: bool | None
    allowed_callers: tuple[Caller, ...]
    text_input: TextInput | None
    remote: Remote | None
    _definition: Definition = field(repr=False)
    _validator: ArgumentsValidator | None = field(repr=False)
    _schemas: dict[tuple[str, bool, str], dict[str, Any]] = field(repr=False)

    def __init__(
        self,
        name: str,
        description: str,
        parameters: Mapping[str, Any],
        handler: Callable[..., Any] | None,
        tags: frozenset[str] = frozenset(),
        context_parameter: str | None = None,
        positional_only: tuple[str, ...] = (),
        timeout: float | None = None,
        max_retries: int = 2,
        retry: RetryPolicy | None = None,
        max_concurrency: int | None = None,
        sequential: bool = False,
        requires_approval: bool = False,
        external: bool = False,
        idempotent: bool = False,
        inline: bool = False,
        strict_validation: bool = False,
        title: str | None = None,
        read_only: bool = False,
        destructive: bool | None = None,
        open_world: bool | None = None,
        defer_loading: bool = False,
        input_examples: Sequence[Mapping[str, Any]] = (),
        eager_input_streaming: bool | None = None,
        allowed_callers: Sequence[Caller] = (),
        text_input: TextInput | None = None,
        remote: Remote | None = None,
        _validator: ArgumentsValidator | None = None,
        _definition: Definition | None = None,
    ) -> None:
        """A tool from its parts (``_definition``, when given, stands for the two it describes)."""
        problems: list[str] = []
        if timeout is not None and timeout <= 0:
            problems.append(f"timeout must be a positive number of seconds (got {timeout!r})")
        if max_retries < 0:
            problems.append(f"max_retries must be 0 or more (got {max_retries!r})")
        if max_concurrency is not None and max_concurrency < 1:
            problems.append(f"max_concurrency must be at least 1 (got {max_concurrency!r})")
        if read_only and destructive:
            problems.append(
                "read_only=True and destructive=True contradict each other (a tool that "
                "changes nothing destroys nothing); drop one"
            )
        problems.extend(_offer_problems(input_examples, allowed_callers))
        if remote is not None:
            problems.extend(_remote_problems(handler, context_parameter))
        if problems:
            msg = f"Tool {name!r}: {'; '.join(problems)}."
            raise ConfigurationError(msg)
        # Frozen: the fields are set the way dataclasses' own __init__ sets them.
        self.__dict__.update(
            name=name,
            handler=handler,
            tags=tags,
            context_parameter=context_parameter,
            positional_only=positional_only,
            timeout=timeout,
            max_retries=max_retries,
            retry=retry,
            max_concurrency=max_concurrency,
            sequential=sequential,
            requires_approval=requires_approval,
            external=external,
            idempotent=idempotent,
            inline=inline,
            strict_validation=strict_validation,
            title=title,
            read_only=read_only,
            destructive=destructive,
            open_world=open_world,
            defer_loading=defer_loading,
            input_examples=tuple(dict(example) for example in input_examples),
            eager_input_streaming=eager_input_streaming,
            allowed_callers=tuple(dict.fromkeys(allowed_callers)),
            text_input=text_input,
            remote=remote,
            _definition=_definition or GivenDefinition(description, parameters),
            _validator=_validator,
            _schemas={},
        )
        if input_examples:
            self._check_examples()

    @property
    def description(self) -> str:
        """What it does, for the model."""
        return self._definition.description

    @property
    def parameters(self) -> Mapping[str, Any]:
        """The neutral JSON Schema (draft 2020-12) of its arguments."""
        return self._definition.parameters

    @classmethod
    def from_function(
        cls,
        fn: Callable[..., Any],
        *,
        name: str | None = None,
        description: str | None = None,
        tags: Iterable[str] = (),
        strict_types: bool = False,
        **options: Unpack[ToolOptions],
    ) -> Tool:
        """Make a tool from a typed function, sync or async.

        The schema comes from the type hints and defaults; the description and each
        parameter's text from the docstring (Google, NumPy or Sphinx style). A parameter
        annotated `RunContext` is injected at run time and left out of the schema. A
        parameter without annotation takes any value, and is warned about
        (`UntypedParameterWarning`).

        Args:
            fn: The function.
            name: The tool's name; defaults to the function's.
            description: The tool's description; defaults to the docstring's summary.
            tags: Labels for grouping and routing.
            strict_types: Refuse a parameter without a type annotation instead of warning.
            **options: How the executor runs it: see `ToolOptions`.

        Raises:
            ToolDefinitionError: The name breaks provider rules, a parameter cannot be
                sent by a model, or (with ``strict_types``) has no annotation.
        """
        tool_name = check_name(name if name is not None else _callable_name(fn))
        shape = read_function(fn, tool_name=tool_name, strict_types=strict_types)
        definition = FunctionDefinition(fn, shape, tool_name=tool_name, description=description)
        if not shape.plain:
            definition.signature()  # a type with no JSON Schema is refused here, not on use
        return cls(
            name=tool_name,
            description="",  # given by the definition
            parameters={},
            handler=fn,
            tags=frozenset(tags),
            context_parameter=shape.context_parameter,
            positional_only=shape.positional_only,
            _validator=definition,
            _definition=definition,
            **options,
        )

    @classmethod
    def from_model(
        cls,
        model: type[BaseModel],
        handler: Callable[..., Any] | None = None,
        *,
        name: str | None = None,
        description: str | None = None,
        tags: Iterable[str] = (),
        **options: Unpack[ToolOptions],
    ) -> Tool:
        """Make a tool whose argument object is a Pydantic model.

        Args:
            model: The model; its docstring is the description, its fields the parameters.
            handler: Called with the validated model instance as its one argument (and the
                `RunContext`, if it has a parameter annotated so).
            name: The tool's name; defaults to the model's class name.
            description: The tool's description; defaults to the model's docstring.
            tags: Labels for grouping and routing.
            **options: How the executor runs it: see `ToolOptions`.

        Raises:
            ToolDefinitionError: The name breaks provider rules, a field has no JSON Schema,
                or the handler does not take exactly one argument besides the context.
        """
        from switchboard.tools.argument_model import model_schema
        from switchboard.tools.validation import ModelArguments

        tool_name = check_name(name if name is not None else model.__name__)
        # inspect.getdoc would fall back to BaseModel's own docstring.
        docstring = parse_docstring(model) if model.__doc__ else None
        parameters = model_schema(model, tool_name=tool_name)
        if docstring is not None:
            parameters = _describe_properties(parameters, docstring.parameters)
        parameter, context = (
            _model_handler_parameters(handler, tool_name) if handler else ("arguments", None)
        )
        return cls(
            name=tool_name,
            description=description
            if description is not None
            else (docstring.description if docstring else ""),
            parameters=parameters,
            handler=handler,
            tags=frozenset(tags),
            context_parameter=context,
            _validator=ModelArguments(model, parameter),
            **options,
        )

    @classmethod
    def from_schema(
        cls,
        name: str,
        description: str,
        parameters: Mapping[str, Any],
        handler: Callable[..., Any] | None = None,
        *,
        tags: Iterable[str] = (),
        context_parameter: str | None = None,
        **options: Unpack[ToolOptions],
    ) -> Tool:
        """Make a tool from a raw JSON Schema; arguments are validated with ``jsonschema``.

        Args:
            name: The tool's name.
            description: What it does, for the model.
            parameters: A JSON Schema whose top level is an object.
            handler: Called with the validated arguments as keyword arguments.
            tags: Labels for grouping and routing.
            context_parameter: The keyword under which the handler also receives the
                `RunContext`; it must not be a property of the schema.
            **options: How the executor runs it: see `ToolOptions`.

        References through ``$id``, ``$anchor`` or a URN are followed, as ``jsonschema``
        follows them, by every format.

        Raises:
            ToolDefinitionError: The name breaks provider rules, or the schema is invalid,
                not an object schema, has a ``$ref`` that resolves to nothing in it, or
                requires a property whose schema is ``false`` (no arguments are valid).
        """
        tool_name = check_name(name)
        given = cast(object, parameters)  # users pass `true` or `false` schemas too
        if not isinstance(given, Mapping):
            shown = json.dumps(given) if isinstance(given, bool) else repr(given)
            msg = (
                f"Tool {tool_name!r}: its parameters must be an object schema, with "
                f'"type": "object" at the top (got the schema {shown}). Describe the arguments '
                'as an object, e.g. {"type": "object", "properties": {...}}.'
            )
            raise ToolDefinitionError(msg, tool=tool_name)
        if parameters.get("type") != "object":
            msg = (
                f'Tool {tool_name!r}: its parameters schema must have "type": "object" at '
                f"the top (got {parameters.get('type')!r}). Wrap the value in an object property."
            )
            raise ToolDefinitionError(msg, tool=tool_name)
        if context_parameter is not None and context_parameter in parameters.get("properties", {}):
            msg = (
                f"Tool {tool_name!r}: context_parameter={context_parameter!r} is also a property "
                "of its parameters schema. Pass the context under another name."
            )
            raise ToolDefinitionError(msg, tool=tool_name, parameter=context_parameter)
        from switchboard.tools.validation import SchemaArguments

        validator = SchemaArguments(parameters, tool=tool_name)
        _check_resolvable(canonical_schema(parameters), tool_name)
        return cls(
            name=tool_name,
            description=description,
            parameters=copy.deepcopy(dict(parameters)),
            handler=handler,
            tags=frozenset(tags),
            context_parameter=context_parameter,
            _validator=validator,
            **options,
        )

    @classmethod
    def custom(
        cls,
        name: str,
        description: str,
        *,
        grammar: str | None = None,
        syntax: Syntax = "lark",
        handler: Callable[..., Any] | None = None,
        tags: Iterable[str] = (),
        **options: Unpack[ToolOptions],
    ) -> Tool:
        """Make a custom tool: its input is one free text, bound by a grammar if given.

        OpenAI (Responses and Chat Completions) offers it as a custom tool whose format is
        the grammar; the local model can write only texts the grammar admits; the other
        providers are offered a function with one string parameter, ``input``, whose
        description holds the grammar. Every call's text is checked against the grammar:
        one that does not match is an error result for the model saying what was expected.
        See `switchboard.tools.grammar`.

        Args:
            name: The tool's name.
            description: What it does, for the model.
            grammar: A Lark grammar (its start rule named ``start``) or a regular
                expression the whole text must match; ``None`` for any text.
            syntax: ``"lark"`` or ``"regex"``.
            handler: Called with the text as its one argument (and the `RunContext`, if
                it has a parameter annotated so).
            tags: Labels for grouping and routing.
            **options: How the executor runs it: see `ToolOptions`.

        Raises:
            ToolDefinitionError: The name breaks provider rules, the grammar does not
                compile, or the handler does not take exactly one argument.

        Example:
            >>> tool = Tool.custom("run_sql", "Run a query.", grammar="SELECT [a-z]+ FROM t",
            ...                    syntax="regex")
            >>> tool.schema("openai-responses")["format"]["syntax"]
            'regex'
        """
        from switchboard.tools.grammar import (
            TextArguments,
            handler_parameters,
            input_schema,
            text_input,
        )

        tool_name = check_name(name)
        given = text_input(tool_name, grammar, syntax)
        parameter, context = handler_parameters(handler, tool_name) if handler else ("input", None)
        return cls(
            name=tool_name,
            description=description,
            parameters=input_schema(given),
            handler=handler,
            tags=frozenset(tags),
            context_parameter=context,
            text_input=given,
            _validator=TextArguments(given, parameter),
            **options,
        )

    @functools.cached_property
    def is_async(self) -> bool:
        """Whether the handler is a coroutine function."""
        return inspect.iscoroutinefunction(self.handler)

    @functools.cached_property
    def direct(self) -> bool:
        """Whether a call needs nothing but validation and the handler.

        That is: no approval, not external, no time limit or concurrency slot, not run
        remotely, and the handler takes exactly its validated arguments (no `RunContext`, none
        positional-only). The executor runs such calls a shorter way.
        """
        return (
            not self.requires_approval
            and not self.external
            and self.remote is None
            and self.timeout is None
            and self.max_concurrency is None
            and self.context_parameter is None
            and not self.positional_only
        )

    def schema(
        self,
        fmt: Format,
        *,
        strict: bool = False,
        on_strict_issues: OnStrictIssues = "raise",
    ) -> dict[str, Any]:
        """The tool as one provider's API accepts it.

        Args:
            fmt: ``"openai"`` (Chat Completions), ``"openai-responses"``, ``"anthropic"``,
                ``"gemini"`` or ``"mcp"``.
            strict: Render the strict-mode form (formats in ``STRICT_FORMATS``).
            on_strict_issues: With ``strict=True`` and a schema that has no strict form:
                ``"raise"`` a `StrictSchemaError`, or ``"fallback"`` to the non-strict form.

        Returns:
            The provider's tool definition, built once and cached (do not mutate it).

        Raises:
            ConfigurationError: Unknown format, or strict mode for a format without one.
            StrictSchemaError: The schema has no strict form and ``on_strict_issues="raise"``.
            SchemaDialectError: The schema uses a feature the format cannot express.
        """
        key = (fmt, strict, on_strict_issues)
        cached = self._schemas.get(key)
        if cached is None:
            cached = self._schemas[key] = self._render(fmt, strict, on_strict_issues)
        return cached

    def strict_issues(self) -> tuple[StrictIssue, ...]:
        """Every reason this tool's schema has no OpenAI strict-mode form (empty if it has one)."""
        return self._strict[1]

    def local_issues(self) -> tuple[str, ...]:
        """What the local model's call grammar cannot enforce of this tool's schema.

        Each entry names a path and a keyword (``"/properties/n: numeric bounds are not
        enforced"``). Calls of a tool with issues are validated after decoding and asked
        for again when invalid; an empty tuple means every decoded call is valid.
        """
        return to_llama_schema(self.parameters).issues

    def validate(self, arguments: Mapping[str, Any]) -> dict[str, Any]:
        """Check arguments against the schema and return the handler's keyword arguments.

        ``null`` for a parameter that is optional and does not accept ``null`` (as strict
        mode makes models send) means "use the default".

        Raises:
            ArgumentsError: The arguments do not match; ``problems`` lists each with its path.
        """
        # Walking the schema for nulls costs more than validating: skip it when none is sent.
        normalised = (
            drop_strict_nulls(arguments, self._canonical_parameters)
            if _contains_null(arguments)
            else arguments
        )
        validator = self._arguments
        if validator is None:
            return dict(normalised)
        return validator.validate(self.name, normalised, strict=self.strict_validation)

    @functools.cached_property
    def validate_json(self) -> JsonReader:
        """Reads clean JSON text into the handler's keyword arguments; None: the long way.

        The executor's short way for the common call: ``tool.validate_json(text)`` equals
        `validate` on the object the text holds when the text is one strict JSON object with
        no ``null`` in it. For any other text (one to repair, or with a ``null`` that may
        stand for a default) it returns None without validating, and the caller goes
        through `parse_arguments` and `validate`. It raises `ArgumentsError` when the object
        does not match the schema.

        A callable attribute rather than a method: made once per tool, it spares the
        executor a call on every call (see `ArgumentsValidator.json_reader`).
        """
        validator = self._arguments
        if validator is None:
            return _unvalidated_json
        return validator.json_reader(self.name, strict=self.strict_validation)

    def accepts(self, arguments: Mapping[str, Any]) -> bool:
        """Whether `validate` would accept these arguments."""
        try:
            self.validate(arguments)
        except ArgumentsError:
            return False
        return True

    def deferred(self) -> Tool:
        """This tool offered with ``defer_loading`` (itself when it already is).

        A copy that shares the tool's definition, validator and rendered schemas: the
        provider finds it through its own tool search (see `Router`'s ``native``).
        """
        if self.defer_loading:
            return self
        copied = copy.copy(self)
        copied.__dict__["defer_loading"] = True  # frozen: set as __init__ sets fields
        return copied

    def _check_examples(self) -> None:
        for index, example in enumerate(self.input_examples):
            try:
                self.validate(example)
            except ArgumentsError as e:
                problems = "; ".join(str(problem) for problem in e.problems)
                msg = (
                    f"Tool {self.name!r}: input_examples[{index}] does not match the tool's "
                    f"schema ({problems}). Correct the example, or leave it out."
                )
                raise ToolDefinitionError(msg, tool=self.name) from e

    @functools.cached_property
    def _arguments(self) -> ArgumentsValidator | None:
        """The validator; a function tool's own, built on first use, without the extra hop."""
        validator = self._validator
        if isinstance(validator, FunctionDefinition):
            return validator.arguments()
        return validator

    @functools.cached_property
    def _canonical_parameters(self) -> Mapping[str, Any]:
        """The parameters with local references only (see `canonical_schema`)."""
        return canonical_schema(self.parameters)

    @functools.cached_property
    def _strict(self) -> tuple[dict[str, Any] | None, tuple[StrictIssue, ...]]:
        issues = strict_issues(self.parameters)
        return (None if issues else make_strict(self.parameters)), issues

    def _render(self, fmt: Format, strict: bool, on_strict_issues: str) -> dict[str, Any]:
        if not strict:
            return self._render_with(fmt, self.parameters, strict=False)
        if on_strict_issues not in ("raise", "fallback"):
            msg = f"on_strict_issues must be 'raise' or 'fallback', not {on_strict_issues!r}."
            raise ConfigurationError(msg)
        if fmt not in STRICT_FORMATS:
            allowed = ", ".join(sorted(STRICT_FORMATS))
            msg = f"Format {fmt!r} has no strict mode; use strict=False, or one of: {allowed}."
            raise ConfigurationError(msg)
        strict_parameters, issues = self._strict
        if strict_parameters is None:
            if on_strict_issues == "raise":
                raise StrictSchemaError(self.name, issues)
            logger.warning("Tool %r is sent non-strict: %s", self.name, "; ".join(map(str, issues)))
            return self._render_with(fmt, self.parameters, strict=False)
        return self._render_with(fmt, strict_parameters, strict=True)

    def _render_with(
        self, fmt: Format, parameters: Mapping[str, Any], *, strict: bool
    ) -> dict[str, Any]:
        if self.text_input is not None and fmt in ("openai", "openai-responses"):
            from switchboard.tools.grammar import custom_tool_schema

            return custom_tool_schema(fmt, self.name, self.description, self.text_input)  # pyright: ignore[reportArgumentType]
        return render_tool(
            fmt, name=self.name, description=self.description, parameters=parameters, strict=strict
        )


@overload
def tool(fn: Callable[..., Any], /) -> Tool: ...
@overload
def tool(
    fn: None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    tags: Iterable[str] = (),
    strict_types: bool = False,
    **options: Unpack[ToolOptions],
) -> Callable[[Callable[..., Any]], Tool]: ...
def tool(
    fn: Callable[..., Any] | None = None,
    /,
    *,
    name: str | None = None,
    description: str | None = None,
    tags: Iterable[str] = (),
    strict_types: bool = False,
    **options: Unpack[ToolOptions],
) -> Tool | Callable[[Callable[..., Any]], Tool]:
    """Make a `Tool` from a function; use bare (``@tool``) or called (``@tool(name=...)``).

    Explicit ``name`` and ``description`` win over what is read from the function;
    ``strict_types`` refuses untyped parameters (see `Tool.from_function`); ``options``
    are the `ToolOptions`.

    Example:
        >>> @tool
        ... def add(a: int, b: int) -> int:
        ...     '''Add two integers.'''
        ...     return a + b
        >>> add.schema("anthropic")["input_schema"]["required"]
        ['a', 'b']
    """

    def decorate(f: Callable[..., Any]) -> Tool:
        return Tool.from_function(
            f, name=name, description=description, tags=tags, strict_types=strict_types, **options
        )

    return decorate if fn is None else decorate(fn)


def _unvalidated_json(text: str) -> dict[str, Any] | None:
    """`Tool.validate_json` of a tool with no validator: the object, as is."""
    return None if "null" in text else load_json_object(text)


def check_name(name: str) -> str:
    """Return ``name`` if every provider accepts it as a tool name.

    Raises:
        ToolDefinitionError: It does not match ``^[a-zA-Z0-9_-]{1,64}$``; the message
            suggests one that does.
    """
    if _NAME.fullmatch(name):
        return name
    suggestion = re.sub(r"[^a-zA-Z0-9_-]", "_", name)[:64] or "tool"
    msg = (
        f"Tool name {name!r} is not accepted by providers: names must match "
        f"^[a-zA-Z0-9_-]{{1,64}}$ (letters, digits, '_', '-'; 1 to 64 characters). "
        f"Pass name={suggestion!r}."
    )
    raise ToolDefinitionError(msg, tool=name)


def _check_resolvable(schema: Mapping[str, Any], tool_name: str) -> None:
    """Refuse a schema whose references or required properties leave no valid arguments."""
    for path, ref in unresolved_refs(schema):
        msg = f"Tool {tool_name!r}: its parameters schema at {path or '/'}: {ref_problem(ref)}"
        raise ToolDefinitionError(msg, tool=tool_name)
    found = unsatisfiable(schema)
    if found is not None:
        path, why = found
        msg = (
            f"Tool {tool_name!r}: its parameters schema at {path} {why}, so no arguments are "
            "valid. Remove that requirement, or declare what it needs."
        )
        raise ToolDefinitionError(msg, tool=tool_name)


def _contains_null(value: Any) -> bool:
    # Plain loops and concrete types: this runs on every call (see benchmarks/dispatch.py).
    if isinstance(value, dict):
        items: Iterable[Any] = cast(dict[str, Any], value).values()
    elif isinstance(value, list):
        items = cast(list[Any], value)
    elif isinstance(value, Mapping):
        items = cast(Mapping[str, Any], value).values()
    else:
        return False
    for item in items:
        if item is None or (isinstance(item, dict | list) and _contains_null(item)):
            return True
    return False


def _offer_problems(
    input_examples: Sequence[Mapping[str, Any]], allowed_callers: Sequence[str]
) -> list[str]:
    """What is wrong with the options that say how providers offer a tool."""
    problems: list[str] = []
    given = cast(object, input_examples)  # users pass one dict, or JSON text, by mistake
    if isinstance(given, str | Mapping):
        problems.append("input_examples must be a list of argument objects (got one value)")
    else:
        problems.extend(
            f"input_examples[{index}] must be an object of arguments (got {example!r})"
            for index, example in enumerate(cast(Sequence[object], input_examples))
            if not isinstance(example, Mapping)
        )
    callers = cast(object, allowed_callers)
    if isinstance(callers, str):
        problems.append(f"allowed_callers must be a list, e.g. [{callers!r}] (got {callers!r})")
    else:
        problems.extend(
            f"allowed_callers has {caller!r}: use 'direct' and/or 'program'"
            for caller in cast(Sequence[object], allowed_callers)
            if caller not in _CALLERS
        )
    return problems


def _remote_problems(
    handler: Callable[..., Any] | None, context_parameter: str | None
) -> list[str]:
    """What keeps a tool from running remotely."""
    if handler is None:
        return ["remote= needs a handler to run (a schema-only tool has none)"]
    if context_parameter is not None:
        return [
            f"a remote tool cannot take a RunContext (parameter {context_parameter!r}): its "
            "deps and progress reports stay in this process. Pass what the tool needs as "
            "arguments, or run it here (no remote=)"
        ]
    return []


def _callable_name(fn: Callable[..., Any]) -> str:
    target = fn.func if isinstance(fn, functools.partial) else fn  # pyright: ignore[reportUnknownMemberType]
    return getattr(target, "__name__", type(target).__name__)


def _describe_properties(schema: dict[str, Any], docs: Mapping[str, str]) -> dict[str, Any]:
    """Give each top-level property without a description its docstring text."""
    properties: dict[str, Any] = schema.get("properties", {})
    described = {
        name: (
            {"description": docs[name], **sub} if name in docs and "description" not in sub else sub
        )
        for name, sub in properties.items()
    }
    return {**schema, "properties": described} if properties else schema


def _model_handler_parameters(
    handler: Callable[..., Any], tool_name: str
) -> tuple[str, str | None]:
    """The handler parameter that takes the model instance, and the one that takes the context."""
    return input_and_context(
        handler,
        tool_name,
        takes="a model tool's handler takes the model instance",
        fix="Give it a single parameter.",
    )
