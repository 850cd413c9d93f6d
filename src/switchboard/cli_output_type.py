"""The command line's ``--output-type`` option, of ``run``, ``replay`` and ``batch``.

Apart from `switchboard.output_type_file` (which loads the type) so that loading an output
type, as a stored run's settings do, does not import typer.
"""

from __future__ import annotations

from typing import Annotated

import typer

from switchboard.output_type_file import FORMS

__all__ = ["OutputTypeOption"]

OutputTypeOption = Annotated[
    str | None,
    typer.Option(
        "--output-type",
        metavar="FILE.py:Model",
        help="The answer must be this Pydantic model ("
        + FORMS
        + "), validated (an invalid one is sent back); JSON output (run --json, batch lines) "
        "carries it as parsed.",
        show_default=False,
    ),
]
"""The ``--output-type`` option (``output_type: OutputTypeOption = None``)."""
