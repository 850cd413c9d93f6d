"""The agent of ``switchboard run``: its settings, kept with a stored run to build it again.

`RunOptions` are the settings ``switchboard run`` builds its agent from. A run recorded
with ``--store`` keeps them in its meta (``meta["cli"]``, `RunOptions.to_meta`), as each
run of ``switchboard batch --store`` does (`switchboard.batch.resumable`), so that
``switchboard runs resume`` (and the replay) can build the same agent again
(`RunOptions.from_meta`). `make_agent` is that agent's one recipe, which ``eval tasks``
measures as it is.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, cast

from switchboard.agent import Agent
from switchboard.batch.models import ModelSpec
from switchboard.command_agent import MAX_ITERATIONS, MAX_TOKENS, TOOL_CHOICE
from switchboard.command_agent import command_agent as make_agent
from switchboard.errors import ConfigurationError
from switchboard.execution.executor import Approver
from switchboard.output_type_file import load_output_type
from switchboard.providers.models import LOCAL
from switchboard.runs.store import RunStore
from switchboard.tools_file import load_toolbox

__all__ = ["MAX_ITERATIONS", "MAX_TOKENS", "TOOL_CHOICE", "RunOptions", "make_agent"]


@dataclass(frozen=True, slots=True)
class RunOptions:
    """The settings of ``switchboard run`` (see its options).

    Attributes:
        model: The model string.
        tools: The tools files, as absolute paths.
        system: Instructions for the model.
        tool_choice: The first request's tool choice.
        max_iterations: The most model requests.
        max_tokens: The most tokens per reply.
        temperature: Sampling temperature.
        seed: Sampling seed.
        threads: CPU threads for a local model.
        tool_timeout: Seconds for each turn's tool calls.
        run_timeout: Seconds for the whole run.
        approve: Ask on the terminal before each call of a ``requires_approval`` tool.
        output_type: The Pydantic model class the answer must be, as ``FILE.py:Model``
            (the file's path absolute) or ``module:Model``; ``None``: a text answer.
        max_tool_calls: The most tool calls (``None``: no limit).
        request_timeout: Seconds for each try of a model request.
        answer_at_limit: Make the last request forbid calls, so the run ends with an answer.
    """

    model: str = LOCAL
    tools: tuple[str, ...] = ()
    system: str | None = None
    tool_choice: str = TOOL_CHOICE
    max_iterations: int = MAX_ITERATIONS
    max_tokens: int | None = MAX_TOKENS
    temperature: float | None = None
    seed: int | None = None
    threads: int | None = None
    tool_timeout: float | None = None
    run_timeout: float | None = None
    approve: bool = False
    output_type: str | None = None
    max_tool_calls: int | None = None
    request_timeout: float | None = None
    answer_at_limit: bool = True

    def to_meta(self) -> dict[str, Any]:
        """The settings as JSON values, for a stored run's meta."""
        data = dataclasses.asdict(self)
        data["tools"] = list(self.tools)
        return data

    @classmethod
    def from_meta(cls, data: Mapping[str, Any]) -> RunOptions:
        """The settings `to_meta` wrote.

        Raises:
            ConfigurationError: ``data`` is not what `to_meta` writes.
        """
        unknown = sorted(set(data) - set(_KINDS))
        if unknown:
            msg = (
                f"The stored run's command-line settings have unknown fields {unknown}: was it "
                "recorded by a newer switchboard?"
            )
            raise ConfigurationError(msg)
        for name, value in data.items():
            if not _KINDS[name](value):
                msg = f"The stored run's command-line setting {name} is wrong: {value!r}."
                raise ConfigurationError(msg)
        values: dict[str, Any] = {**data, "tools": tuple(data.get("tools", ()))}
        return cls(**values)

    def agent(self, *, store: RunStore | None = None, approve: Approver | None = None) -> Agent:
        """The agent these settings describe: its tools loaded, its model made.

        Raises:
            ConfigurationError: A tools file or the output type cannot be loaded, or the
                model string is wrong.
        """
        toolboxes = [load_toolbox(Path(file)) for file in self.tools]
        output = self.output_type
        output_type = None if output is None else load_output_type(output)
        return make_agent(
            ModelSpec.parse(self.model, threads=self.threads).create(),
            [tool for toolbox in toolboxes for tool in toolbox],
            system=self.system,
            tool_choice=self.tool_choice,
            max_iterations=self.max_iterations,
            max_tokens=self.max_tokens,
            temperature=self.temperature,
            seed=self.seed,
            tool_timeout=self.tool_timeout,
            run_timeout=self.run_timeout,
            max_tool_calls=self.max_tool_calls,
            request_timeout=self.request_timeout,
            answer_at_limit=self.answer_at_limit,
            store=store,
            approve=approve,
            output_type=output_type,
        )


def _text(value: Any) -> bool:
    return isinstance(value, str)


def _count(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _number(value: Any) -> bool:
    return isinstance(value, int | float) and not isinstance(value, bool)


def _flag(value: Any) -> bool:
    return isinstance(value, bool)


def _or_none(check: Callable[[Any], bool]) -> Callable[[Any], bool]:
    return lambda value: value is None or check(value)


def _paths(value: Any) -> bool:
    return isinstance(value, list) and all(isinstance(p, str) for p in cast("list[Any]", value))


_KINDS: Final[dict[str, Callable[[Any], bool]]] = {
    "model": _text,
    "tools": _paths,
    "system": _or_none(_text),
    "tool_choice": _text,
    "max_iterations": _count,
    "max_tokens": _or_none(_count),
    "temperature": _or_none(_number),
    "seed": _or_none(_count),
    "threads": _or_none(_count),
    "tool_timeout": _or_none(_number),
    "run_timeout": _or_none(_number),
    "approve": _flag,
    "output_type": _or_none(_text),
    "max_tool_calls": _or_none(_count),
    "request_timeout": _or_none(_number),
    "answer_at_limit": _flag,
}
"""Each setting's check of its JSON value."""
