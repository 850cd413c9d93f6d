"""What a batch records with each run so that ``switchboard runs resume`` can go on with it.

``runs resume`` builds a stored run's agent again from the command-line settings in its
meta (``meta["cli"]``, `switchboard.cli_agent.RunOptions`). A batch records them for each
line's run: the model's spec, the tools file's path, the output type, and the batch's
settings with the line's own over them. A batch given a `Provider` or a `Toolbox` object
(the Python API) names neither by a string, so its runs carry none: they are resumed from
the application (``agent.resume``).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping
from typing import TYPE_CHECKING, Any

from switchboard.batch.models import ModelSpec
from switchboard.batch.output_type import OutputTypeSpec
from switchboard.batch.sources import SourceFile
from switchboard.cli_agent import RunOptions

if TYPE_CHECKING:
    from switchboard.batch.conversation import BatchSettings
    from switchboard.execution.toolbox import Toolbox
    from switchboard.providers.base import Provider

__all__ = ["command_options"]


def command_options(
    tools: SourceFile | Toolbox | None,
    model: ModelSpec | Provider,
    settings: BatchSettings,
    overrides: Mapping[str, Any],
    output_type: OutputTypeSpec | None = None,
) -> dict[str, Any] | None:
    """The settings a line's run is resumed with (`RunOptions.to_meta`), if they have names.

    Args:
        tools: The batch's tools file (``None``: no tools).
        model: The batch's model.
        settings: The batch's settings.
        overrides: The line's own settings, over the batch's.
        output_type: The batch's output type (``None``: text answers).

    Returns:
        The settings as JSON values, or ``None`` where the model or the tools are objects.
    """
    if not isinstance(model, ModelSpec) or not isinstance(tools, SourceFile | None):
        return None
    line = dataclasses.replace(settings, **overrides)
    return RunOptions(
        model=model.name,
        tools=() if tools is None else (tools.path,),
        system=line.system,
        tool_choice=line.tool_choice,
        max_iterations=line.max_iterations,
        max_tokens=line.max_tokens,
        temperature=line.temperature,
        seed=line.seed,
        threads=model.threads,
        tool_timeout=line.tool_timeout,
        run_timeout=line.run_timeout,
        max_tool_calls=line.max_tool_calls,
        request_timeout=line.request_timeout,
        answer_at_limit=line.answer_at_limit,
        output_type=None if output_type is None else output_type.name,
    ).to_meta()
