"""A typed run's answers (``Agent(output_type=...)``): validated, an invalid one sent back.

The provider is asked for the output schema in its own form (see `OutputSchema`), which
makes a valid answer likely but not certain (a schema with no strict form, a server that
ignores the format, a model that refuses). So each answer is validated; an invalid one is
answered with its problems, as a user message, and the model asked again, like a call with
invalid arguments. Past ``output_retries`` such answers, the run raises
`OutputValidationError`, carrying the run so far.
"""

from __future__ import annotations

from typing import Any

from switchboard.errors import OutputValidationError
from switchboard.messages import UserMessage
from switchboard.output_schema import OutputProblem, OutputSchema

ASK_AGAIN = "Answer again with only the corrected JSON object."
"""Ends the message that sends an invalid answer back to the model."""


class OutputCheck:
    """Validates a run's answers into its output type, counting the invalid ones.

    Args:
        schema: The answer's schema.
        retries: How many invalid answers are sent back to be corrected.
    """

    def __init__(self, schema: OutputSchema[Any], retries: int) -> None:
        self.schema = schema
        self.retries = retries
        self.invalid = 0
        """The invalid answers of the run so far."""

    def check(self, text: str) -> tuple[Any, UserMessage | None]:
        """The answer validated and ``None``, or ``None`` and the message that asks again.

        Raises:
            OutputValidationError: The answer is invalid and ``retries`` were spent.
        """
        try:
            return self.schema.parse(text), None
        except OutputProblem as e:
            problem = str(e)
        self.invalid += 1
        if self.invalid > self.retries:
            msg = (
                f"The model gave no valid {self.schema.name} in {self.invalid} answers "
                f"(output_retries={self.retries}); the last: {problem} Raise output_retries, "
                "loosen the output type, or continue from error.result."
            )
            raise OutputValidationError(msg, problem)
        return None, UserMessage(f"{problem}\n{ASK_AGAIN}")
