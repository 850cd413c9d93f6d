"""A typed answer (``ModelRequest.output``) from the local model: a call of the output's tool.

The local model has no response format; its grammar is what holds a reply to a schema.
So the answer is offered as one more tool, the output's own (`OutputSchema.tool`, named for
the model class, its docstring the description, listed in the prompt like any tool), and
the reply must be a call: of a real tool, or of that one, whose arguments the call grammar
holds to the output's schema. A call of the output's tool is then read back as the answer,
its arguments the answer's JSON text.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import replace

from switchboard.errors import ConfigurationError
from switchboard.messages import ToolCall
from switchboard.providers.base import AllowedTools, ModelRequest

__all__ = ["answer_of", "with_output_tool"]


def with_output_tool(request: ModelRequest) -> ModelRequest:
    """The request with its output offered as a tool, where the reply may be an answer.

    Under ``"auto"`` the reply must call a tool, the output's among them; under ``"none"``
    it must call the output's tool; with `AllowedTools` that let it answer, the output's tool
    is one of those allowed, and a call is required. A choice that requires a call of a real
    tool (``"required"``, a name, a required `AllowedTools`) is left as it is: the reply
    cannot be an answer.

    Raises:
        ConfigurationError: A tool offered has the output's name.
    """
    output = request.output
    if output is None:
        return request
    choice = request.tool_choice
    tool = output.tool
    if any(offered.name == tool.name for offered in request.tools):
        msg = (
            f"The output type {tool.name!r} has the name of an offered tool: the local model "
            "answers through a tool of that name. Rename the tool or the output model."
        )
        raise ConfigurationError(msg)
    if isinstance(choice, AllowedTools):
        if choice.required:
            return request
        allowed = AllowedTools((*choice.names, tool.name), required=True)
        return replace(request, tools=(*request.tools, tool), tool_choice=allowed)
    if choice == "auto":
        return replace(request, tools=(*request.tools, tool), tool_choice="required")
    if choice == "none":
        return replace(request, tools=(tool,), tool_choice=tool.name)
    return request


def answer_of(
    calls: Sequence[ToolCall], request: ModelRequest
) -> tuple[str, tuple[ToolCall, ...]] | None:
    """The answer a reply's calls give, as (text, the calls left); ``None``: no answer.

    A reply that calls real tools as well is not an answer yet: its call of the output's
    tool is dropped, and the real ones run. A reply that calls only the output's tool
    answers with the first call's arguments.
    """
    output = request.output
    if output is None:
        return None
    name = output.tool.name
    answers = [call for call in calls if call.name == name]
    if not answers:
        return None
    others = tuple(call for call in calls if call.name != name)
    if others:
        return "", others
    arguments = answers[0].arguments
    text = arguments if isinstance(arguments, str) else json.dumps(arguments, ensure_ascii=False)
    return text, ()
