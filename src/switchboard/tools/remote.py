"""`Remote`: where a tool's calls run when not in this process (``remote=Ray(...)``).

The tools layer only holds the option: the executor hands each validated call to it, and
its result or exception comes back as a local handler's would. The one implementation is
`switchboard.batch.remote.Ray`, which runs the call as a Ray task.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, Protocol


class Remote(Protocol):
    """Runs a tool's handler somewhere else, and gives back what it returned or raised."""

    async def call(
        self,
        name: str,
        handler: Callable[..., Any],
        args: tuple[Any, ...],
        kwargs: dict[str, Any],
    ) -> Any:
        """Run ``handler(*args, **kwargs)`` remotely; return its value or raise its exception.

        Cancelling the awaiting task (a timeout) must stop the remote work.
        """
        ...
