"""The run viewer: a local web page over a run store (``switchboard view``).

- `axis`: where a moment falls on a run's timeline (idle stretches drawn short).
- `shape`: a stored run as the page shows it (summary, steps, calls, marks), as JSON.
- `decisions`: the page's decisions on pending calls, and the hook that resumes a run.
- `app`: the Starlette app (imports Starlette, uvicorn's peers: the ``viewer`` extra).
- `command`: the ``switchboard view`` command.
- ``static/``: the page itself, plain HTML, CSS and JavaScript modules (no build step).

Importing this package imports no web framework: only `viewer_app` and the command do.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import TYPE_CHECKING, Final

from switchboard.runs.store import RunStore
from switchboard.viewer.decisions import ResumeHook

if TYPE_CHECKING:
    from starlette.applications import Starlette

__all__ = ["viewer_app"]

LOOPBACK_HOSTS: Final = ("127.0.0.1", "localhost")
"""The ``Host`` names a viewer served on loopback answers to."""

_EXTRA = 'The run viewer needs its extra: pip install "switchboard[viewer]"'


def viewer_app(
    store: RunStore,
    *,
    resume: ResumeHook | None = None,
    allowed_hosts: Sequence[str] = LOOPBACK_HOSTS,
    poll: float = 0.5,
) -> Starlette:
    """The run viewer as an ASGI app (Starlette), to serve with any ASGI server.

    Args:
        store: The runs to show. The app reads it and never writes to it.
        resume: Resumes a paused run with the decisions made on its page (an awaitable
            called with the run id and a mapping from call id to `Approve`, `Deny` or
            `Supply`); ``agent.resume`` fits. ``None``: the page shows pending calls but
            cannot decide them.
        allowed_hosts: The ``Host`` names the app answers (``["*"]`` for any). The page has
            no login: serve it on loopback, or behind something that has one.
        poll: Seconds between looks at the store while a run shown live goes on.

    Serve it as ``uvicorn.run(viewer_app(SQLiteStore("runs.sqlite3")))``, or mount it in
    an app of your own.

    Raises:
        ImportError: The ``viewer`` extra (Starlette, sse-starlette) is not installed.
    """
    try:
        from switchboard.viewer.app import create_app
    except ImportError as error:  # pragma: no cover - exercised only without the extra
        raise ImportError(_EXTRA) from error
    return create_app(store, resume=resume, allowed_hosts=allowed_hosts, poll=poll)
