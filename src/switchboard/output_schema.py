"""The shape a run's final answer must have: `OutputSchema`, made from a Pydantic model.

``Agent(output_type=Model)`` makes one and puts it on every `ModelRequest` (``output``);
each provider asks for it in its own form (OpenAI's ``json_schema`` response format,
Anthropic's ``output_config.format``, Gemini's response schema, the local model's grammar),
and the loop validates the answer with it (`OutputSchema.parse`).

The schema is held as a schema-only `Tool` made from the model (`Tool.from_model`), so the
answer's schema is rendered into each provider's dialect (strict form included) and
validated exactly as a tool's arguments are, ``null`` for an optional field meaning its
default as strict mode makes models send.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any, Generic, TypeVar, cast

from switchboard.errors import ArgumentsError, ConfigurationError
from switchboard.tools.tool import Tool

__all__ = ["OutputProblem", "OutputSchema"]

T = TypeVar("T")

# The characters a tool name (and an OpenAI response format's name) may hold.
_NOT_IN_A_NAME = re.compile(r"[^a-zA-Z0-9_-]")


class OutputProblem(Exception):
    """An answer that is not a valid output: ``str(problem)`` is written for the model."""


@dataclass(frozen=True, slots=True, eq=False)
class OutputSchema(Generic[T]):
    """The final answer of a run: a JSON object of a Pydantic model.

    Attributes:
        model: The Pydantic model the answer is validated into.
        tool: The model as a schema-only tool: ``tool.parameters`` is the answer's JSON
            Schema, ``tool.schema(fmt, strict=...)`` its form in each provider's dialect.

    Example:
        >>> from pydantic import BaseModel
        >>> class City(BaseModel):
        ...     name: str
        ...     population: int
        >>> output = OutputSchema.of(City)
        >>> output.parse('{"name": "Paris", "population": 2100000}')
        City(name='Paris', population=2100000)
        >>> output.parse('{"name": "Paris"}')
        Traceback (most recent call last):
        ...
        switchboard.output_schema.OutputProblem: The answer does not match the City schema:
        - population: missing, but required
    """

    model: type[T]
    tool: Tool

    @classmethod
    def of(cls, model: type[T]) -> OutputSchema[T]:
        """The schema of answers that are ``model`` objects.

        Raises:
            ConfigurationError: ``model`` is not a Pydantic model class.
            ToolDefinitionError: A field of the model has no JSON Schema.
        """
        from pydantic import BaseModel

        given = cast(object, model)  # typed as a class, but given by users at run time
        if not (isinstance(given, type) and issubclass(given, BaseModel)):
            msg = (
                f"output_type={model!r} is not a Pydantic model class. Pass a subclass of "
                "pydantic.BaseModel (wrap a list or a scalar in one, as a field)."
            )
            raise ConfigurationError(msg)
        # A generic model's name ("Page[int]") is no valid tool or response-format name.
        name = _NOT_IN_A_NAME.sub("_", model.__name__)[:64] or "output"
        return cls(model, Tool.from_model(given, name=name))

    @property
    def name(self) -> str:
        """The answer's name, as providers take it (the model's class name)."""
        return self.tool.name

    @property
    def description(self) -> str:
        """The model's docstring ("" without one)."""
        return self.tool.description

    @property
    def json_schema(self) -> dict[str, Any]:
        """The answer's neutral JSON Schema (a copy)."""
        return dict(self.tool.parameters)

    @property
    def strict_schema(self) -> dict[str, Any] | None:
        """The JSON Schema in strict form; ``None`` when the model has none.

        Strict form: every property required, optional ones nullable, no other properties,
        as OpenAI's strict structured outputs take it (see `Tool.strict_issues` for what
        has none). Built once: do not mutate it.
        """
        if self.tool.strict_issues():
            return None
        rendered = self.tool.schema("openai", strict=True)
        return rendered["function"]["parameters"]

    def parse(self, text: str) -> T:
        """The answer's text read as JSON (fenced or lightly broken JSON repaired) and validated.

        Raises:
            OutputProblem: The text holds no JSON object, or one that does not match.
        """
        from switchboard.execution.arguments import UnparsableArguments, parse_arguments

        if not text.strip():
            msg = f"The answer is empty: it must be a JSON object of the {self.name} schema."
            raise OutputProblem(msg)
        try:
            parsed = parse_arguments(text)
        except UnparsableArguments as e:
            msg = f"The answer is not a JSON object of the {self.name} schema: {e}"
            raise OutputProblem(msg) from e
        try:
            validated = self.tool.validate(parsed.value)
        except ArgumentsError as e:
            listed = "\n".join(f"- {problem}" for problem in e.problems)
            msg = f"The answer does not match the {self.name} schema:\n{listed}"
            raise OutputProblem(msg) from e
        return cast("T", validated["arguments"])
