"""The viewer's web app (Starlette): the page, and JSON endpoints over a run store.

- ``GET /``: the page (``static/``: plain HTML, CSS and JavaScript modules).
- ``GET /api/runs?status=&model=&tool=&limit=``: the runs, newest first (`run_summary`).
- ``GET /api/runs/{run_id}``: one run's timeline (`run_detail`).
- ``GET /api/runs/{run_id}/events``: server-sent events: ``run`` with the timeline each
  time the store records something of the run, while it is running or being resumed;
  then ``end``.
- ``POST /api/runs/{run_id}/resume``: decisions for a paused run's pending calls
  (`decisions_from_json`); the run is resumed in the background by the resume hook.

The page is local and has no login, so the app refuses what another web site could make
a visitor's browser send it: a request naming a host other than the allowed ones (DNS
rebinding), and a resume that is not JSON or comes from another origin (a form posted
across sites cannot send JSON without a preflight, which the app never grants).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import time
from collections.abc import AsyncGenerator, AsyncIterator, Mapping, Sequence
from typing import Any, Final, cast, get_args
from urllib.parse import urlsplit

from sse_starlette import EventSourceResponse
from starlette.applications import Starlette
from starlette.middleware import Middleware
from starlette.middleware.trustedhost import TrustedHostMiddleware
from starlette.requests import Request
from starlette.responses import JSONResponse, Response
from starlette.routing import Mount, Route
from starlette.staticfiles import StaticFiles
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from switchboard.errors import RunStateError
from switchboard.runs.approval import Decision
from switchboard.runs.state import RunStatus
from switchboard.runs.store import RunStore, StoredRun
from switchboard.viewer import LOOPBACK_HOSTS
from switchboard.viewer.decisions import DecisionsError, ResumeHook, decisions_from_json
from switchboard.viewer.shape import Json, run_detail, run_fingerprint, run_pending, run_summary

__all__ = ["LOOPBACK_HOSTS", "create_app"]

_STATUSES: Final = frozenset(get_args(RunStatus))
_LIMIT: Final = 100
_MAX_LIMIT: Final = 1000
_SCANNED: Final = 1000
"""Newest runs looked through for a model or tool filter (the store lists, then filters)."""

_HEADERS: Final = (
    (
        b"content-security-policy",
        b"default-src 'self'; img-src 'self' data:; object-src 'none'; base-uri 'none'; "
        b"frame-ancestors 'none'; form-action 'none'",
    ),
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
)

logger = logging.getLogger("switchboard.viewer")


def create_app(
    store: RunStore,
    *,
    resume: ResumeHook | None = None,
    allowed_hosts: Sequence[str] = LOOPBACK_HOSTS,
    poll: float = 0.5,
) -> Starlette:
    """The viewer's app over ``store`` (see `switchboard.viewer_app`)."""
    viewer = _Viewer(store, resume, poll)
    routes = [
        Route("/api/runs", viewer.runs),
        Route("/api/runs/{run_id:str}", viewer.run),
        Route("/api/runs/{run_id:str}/events", viewer.events),
        Route("/api/runs/{run_id:str}/resume", viewer.resume, methods=["POST"]),
        Mount("/", StaticFiles(packages=[("switchboard.viewer", "static")], html=True)),
    ]
    middleware = [
        Middleware(_SecurityHeaders),
        Middleware(TrustedHostMiddleware, allowed_hosts=list(allowed_hosts)),
    ]
    return Starlette(routes=routes, middleware=middleware, lifespan=viewer.lifespan)


class _Viewer:
    """The endpoints, and the resumes they started."""

    def __init__(self, store: RunStore, resume: ResumeHook | None, poll: float) -> None:
        self.store = store
        self.hook = resume
        self.poll = poll
        self.resuming: dict[str, asyncio.Task[None]] = {}
        self.failures: dict[str, str] = {}

    @contextlib.asynccontextmanager
    async def lifespan(self, app: Starlette) -> AsyncGenerator[None]:
        del app
        try:
            yield
        finally:
            # A resume cut short here is checkpointed: it can be resumed again.
            tasks = list(self.resuming.values())
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)

    async def runs(self, request: Request) -> Response:
        query = request.query_params
        status = query.get("status") or None
        if status is not None and status not in _STATUSES:
            return _error(400, f"status={status!r} is none of {sorted(_STATUSES)}.")
        status = cast("RunStatus | None", status)
        try:
            limit = int(query.get("limit", _LIMIT))
        except ValueError:
            limit = -1
        if not 1 <= limit <= _MAX_LIMIT:
            return _error(400, f"limit must be a whole number from 1 to {_MAX_LIMIT}.")
        model = query.get("model", "").strip().lower()
        tool = query.get("tool", "").strip()
        filtered = bool(model or tool)
        listed = await self.store.list_runs(status, limit=_SCANNED if filtered else limit)
        found: list[Json] = []
        for entry in listed:
            try:
                summary = run_summary(await self.store.load(entry.run_id))
            except RunStateError:  # deleted since it was listed, or unreadable: leave it out
                continue
            if model and model not in summary["model"].lower():
                continue
            if tool and tool not in summary["tools"]:
                continue
            found.append(summary)
            if len(found) == limit:
                break
        return JSONResponse({"runs": found, "scanned": len(listed) if filtered else None})

    async def run(self, request: Request) -> Response:
        run_id: str = request.path_params["run_id"]
        try:
            resume = self._resume_state(run_id)  # before the load: see _follow
            return JSONResponse(self._detail(await self.store.load(run_id), resume))
        except RunStateError as error:
            return _error(404, str(error))

    async def events(self, request: Request) -> Response:
        run_id: str = request.path_params["run_id"]
        resume = self._resume_state(run_id)  # before the load: see _follow
        try:
            first = await self.store.load(run_id)
        except RunStateError as error:
            return _error(404, str(error))
        return EventSourceResponse(self._follow(first, resume), ping=15)

    async def resume(self, request: Request) -> Response:
        run_id: str = request.path_params["run_id"]
        refused = _cross_site(request)
        if refused is not None:
            return refused
        if self.hook is None:
            return _error(
                501,
                "This viewer cannot resume runs: start it with the tools the run uses "
                "(switchboard view --tools FILE --model MODEL).",
            )
        try:
            body = await request.json()
        except ValueError:
            return _error(400, "The body is not JSON.")
        try:
            run = await self.store.load(run_id)
        except RunStateError as error:
            return _error(404, str(error))
        if run.status != "paused" or run_id in self.resuming:
            doing = "being resumed" if run_id in self.resuming else run.status
            return _error(409, f"Run {run_id!r} is {doing}: only a paused run can be resumed.")
        try:
            decisions = decisions_from_json(body, run_pending(run))
        except DecisionsError as error:
            return _error(400, str(error))
        self.failures.pop(run_id, None)
        self.resuming[run_id] = asyncio.create_task(self._resume(run_id, decisions))
        return JSONResponse({"resuming": run_id}, status_code=202)

    async def _resume(self, run_id: str, decisions: Mapping[str, Decision]) -> None:
        assert self.hook is not None
        try:
            await self.hook(run_id, decisions)
        except Exception as error:  # shown on the run's page: the viewer itself goes on
            logger.exception("Resuming run %s failed", run_id)
            self.failures[run_id] = f"{type(error).__name__}: {error}"
        finally:
            del self.resuming[run_id]

    async def _follow(self, run: StoredRun, resume: Json) -> AsyncIterator[dict[str, str]]:
        """The run's timeline each time it changes, while it runs or is being resumed.

        ``resume`` (`_resume_state`) is read before each load of the run: a resume that
        ends in between has written the run by then, so the run read is never older than
        the resume state sent with it. Read after, a resume ending during the load made a
        paused run look settled, and the page stopped following it.
        """
        last: tuple[Any, ...] | None = None
        shown = 0.0
        while True:
            fingerprint = (run_fingerprint(run), resume)
            live = run.status == "running" or resume["in_flight"]
            # A run going on is sent again now and then, so that its open bars grow.
            if fingerprint != last or (live and time.monotonic() - shown >= 1.0):
                yield {"event": "run", "data": json.dumps(self._detail(run, resume))}
                last, shown = fingerprint, time.monotonic()
            if not live:
                yield {"event": "end", "data": ""}
                return
            # The store tells no one of its writes (another process makes them): look again.
            await asyncio.sleep(self.poll)
            resume = self._resume_state(run.run_id)
            try:
                run = await self.store.load(run.run_id)
            except RunStateError as error:  # the run or the store went away meanwhile
                yield {"event": "end", "data": json.dumps({"error": str(error)})}
                return

    def _detail(self, run: StoredRun, resume: Json) -> Json:
        """The run's page, with the resume state read before the run was (see `_follow`)."""
        return {**run_detail(run, time.time()), "resume": resume}

    def _resume_state(self, run_id: str) -> Json:
        return {
            "available": self.hook is not None,
            "in_flight": run_id in self.resuming,
            "error": self.failures.get(run_id),
        }


def _cross_site(request: Request) -> Response | None:
    """The refusal of a write another site's page could have sent, if it could have."""
    if request.headers.get("content-type", "").split(";")[0].strip() != "application/json":
        return _error(415, "Send the decisions as application/json.")
    origin = request.headers.get("origin")
    if origin is not None and urlsplit(origin).netloc != request.headers.get("host"):
        return _error(403, f"Resumes come only from this viewer's own page, not {origin!r}.")
    return None


def _error(status: int, message: str) -> Response:
    return JSONResponse({"error": message}, status_code=status)


class _SecurityHeaders:
    """Adds the page's security headers to every response.

    Hand-written: Starlette has no middleware for fixed response headers, and these are
    three lines.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                message["headers"] = [*message.get("headers", ()), *_HEADERS]
            await send(message)

        await self.app(scope, receive, send_with_headers)
