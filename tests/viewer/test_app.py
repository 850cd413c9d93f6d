"""The viewer's JSON endpoints and its guards, over a real SQLite store (httpx, in process)."""

import json
from collections.abc import AsyncIterator, Mapping
from pathlib import Path
from typing import Any

import anyio
import httpx
import pytest

from switchboard.runs.approval import Approve, Decision, Deny
from switchboard.runs.sqlite import SQLiteStore
from switchboard.runs.store import StoredRun
from switchboard.viewer import viewer_app
from switchboard.viewer.decisions import ResumeHook
from tests.viewer import stored_runs

pytestmark = pytest.mark.anyio

JSON = {"content-type": "application/json"}
APPROVE = {"decisions": {"d1": {"decision": "approve"}}}


@pytest.fixture
async def store(tmp_path: Path) -> AsyncIterator[SQLiteStore]:
    async with SQLiteStore(tmp_path / "runs.sqlite3") as opened:
        await stored_runs.write_parallel(opened)
        await stored_runs.write_paused(opened)
        await stored_runs.write_failed(opened)
        yield opened


def _client(store: SQLiteStore, resume: ResumeHook | None = None) -> httpx.AsyncClient:
    transport = httpx.ASGITransport(app=viewer_app(store, resume=resume))
    return httpx.AsyncClient(transport=transport, base_url="http://127.0.0.1:8765")


async def _listed(store: SQLiteStore, query: str) -> list[str]:
    async with _client(store) as client:
        response = await client.get(f"/api/runs{query}")
    assert response.status_code == 200, response.text
    return [run["run_id"] for run in response.json()["runs"]]


async def test_the_runs_are_listed_newest_first(store: SQLiteStore) -> None:
    """GET /api/runs lists every run, the newest first."""
    assert await _listed(store, "") == ["failed", "paused", "parallel"]


async def test_the_runs_are_filtered_by_status(store: SQLiteStore) -> None:
    """?status= keeps the runs of that status."""
    assert await _listed(store, "?status=paused") == ["paused"]


async def test_the_runs_are_filtered_by_model(store: SQLiteStore) -> None:
    """?model= keeps the runs whose model holds the text, in any case."""
    assert await _listed(store, "?model=CLAUDE") == ["failed"]
    assert await _listed(store, "?model=gpt-4.1") == ["paused", "parallel"]


async def test_the_runs_are_filtered_by_tool(store: SQLiteStore) -> None:
    """?tool= keeps the runs that offered or called a tool of that name."""
    await stored_runs.write_xss(store)
    assert await _listed(store, f"?tool={stored_runs.XSS_TOOL}") == ["xss"]


async def test_a_status_that_is_none_names_the_statuses(store: SQLiteStore) -> None:
    """An unknown status is a 400 that lists the statuses there are."""
    async with _client(store) as client:
        response = await client.get("/api/runs?status=done")
    assert response.status_code == 400
    assert "'failed', 'finished', 'paused', 'running'" in response.json()["error"]


async def test_an_unknown_run_is_a_404_that_names_it(store: SQLiteStore) -> None:
    """GET of a run id the store does not hold is a 404 naming the id."""
    async with _client(store) as client:
        response = await client.get("/api/runs/nope")
    assert response.status_code == 404
    assert "'nope'" in response.json()["error"]


async def test_a_run_is_served_with_its_timeline(store: SQLiteStore) -> None:
    """GET /api/runs/ID has the run's steps and whether it can be resumed here."""
    async with _client(store) as client:
        response = await client.get("/api/runs/paused")
    run = response.json()
    assert [call["call_id"] for call in run["pending_calls"]] == ["d1"]
    assert run["resume"] == {"available": False, "in_flight": False, "error": None}


async def test_every_response_forbids_inline_scripts(store: SQLiteStore) -> None:
    """The page and the API are served with a content security policy of 'self' only."""
    async with _client(store) as client:
        for path in ("/", "/api/runs", "/main.js"):
            response = await client.get(path)
            assert response.status_code == 200, path
            assert "default-src 'self'" in response.headers["content-security-policy"]
            assert response.headers["x-content-type-options"] == "nosniff"


async def test_a_request_for_another_host_name_is_refused(store: SQLiteStore) -> None:
    """A Host header other than loopback's (DNS rebinding) is refused."""
    async with _client(store) as client:
        response = await client.get("/api/runs", headers={"host": "attacker.example"})
    assert response.status_code == 400


class Hook:
    """A resume hook that records its decisions and lets the test see it ran."""

    def __init__(self, fail: bool = False) -> None:
        self.seen: list[tuple[str, dict[str, Decision]]] = []
        self.ran = anyio.Event()
        self.fail = fail

    async def __call__(self, run_id: str, decisions: Mapping[str, Decision]) -> None:
        self.seen.append((run_id, dict(decisions)))
        self.ran.set()
        if self.fail:
            message = "the model is not loaded"
            raise RuntimeError(message)


async def _resume(
    store: SQLiteStore, hook: ResumeHook | None, body: Any, **headers: str
) -> httpx.Response:
    async with _client(store, hook) as client:
        return await client.post("/api/runs/paused/resume", json=body, headers={**JSON, **headers})


async def test_approving_calls_the_resume_hook_with_the_decisions(store: SQLiteStore) -> None:
    """A posted approval is answered 202, and the hook gets the run id and Approve()."""
    hook = Hook()
    response = await _resume(store, hook, APPROVE)
    assert response.status_code == 202
    await hook.ran.wait()
    assert hook.seen == [("paused", {"d1": Approve()})]


async def test_denying_hands_the_message_to_the_hook(store: SQLiteStore) -> None:
    """A denial reaches the hook as Deny with the message typed on the page."""
    hook = Hook()
    body = {"decisions": {"d1": {"decision": "deny", "message": "Keep the report."}}}
    assert (await _resume(store, hook, body)).status_code == 202
    await hook.ran.wait()
    assert hook.seen == [("paused", {"d1": Deny("Keep the report.")})]


async def test_a_failed_resume_is_shown_with_the_run(store: SQLiteStore) -> None:
    """A resume hook that raises leaves its error on the run's page, for the reader."""
    hook = Hook(fail=True)
    async with _client(store, hook) as client:
        posted = await client.post("/api/runs/paused/resume", json=APPROVE, headers=JSON)
        assert posted.status_code == 202
        await hook.ran.wait()
        resume: dict[str, Any] = {"in_flight": True}
        while resume["in_flight"]:  # the hook's task ends at the loop's next turns
            await anyio.sleep(0)
            resume = (await client.get("/api/runs/paused")).json()["resume"]
    assert resume["error"] == "RuntimeError: the model is not loaded"


async def test_resuming_without_a_hook_says_how_to_start_the_viewer(store: SQLiteStore) -> None:
    """With no resume hook, a resume is a 501 naming --tools."""
    response = await _resume(store, None, APPROVE)
    assert response.status_code == 501
    assert "--tools" in response.json()["error"]


async def test_a_run_that_is_not_paused_cannot_be_resumed(store: SQLiteStore) -> None:
    """Resuming a finished run is a 409 that says it is finished."""
    async with _client(store, Hook()) as client:
        response = await client.post("/api/runs/parallel/resume", json=APPROVE, headers=JSON)
    assert response.status_code == 409
    assert "finished" in response.json()["error"]


async def test_every_pending_call_needs_a_decision(store: SQLiteStore) -> None:
    """Decisions that leave a pending call out are a 400 naming it; the hook is not called."""
    hook = Hook()
    response = await _resume(store, hook, {"decisions": {}})
    assert response.status_code == 400
    assert "['d1']" in response.json()["error"]
    assert hook.seen == []


async def test_a_resume_posted_as_a_form_is_refused(store: SQLiteStore) -> None:
    """A resume that is not application/json (what another site's form can send) is a 415."""
    hook = Hook()
    async with _client(store, hook) as client:
        response = await client.post(
            "/api/runs/paused/resume",
            content="decisions=approve",
            headers={"content-type": "text/plain"},
        )
    assert response.status_code == 415
    assert hook.seen == []


async def test_a_resume_from_another_origin_is_refused(store: SQLiteStore) -> None:
    """A resume whose Origin is another site is a 403."""
    hook = Hook()
    response = await _resume(store, hook, APPROVE, origin="https://attacker.example")
    assert response.status_code == 403
    assert hook.seen == []


class ReadBeforeTheResumeEnds(SQLiteStore):
    """A store whose first armed load reads the run, then lets a resume end, then answers.

    So the run it gives is the paused one, though the resume has ended by the time the
    viewer sees it: the order of a resume that ends while the viewer reads the store.
    """

    armed = False
    reading: anyio.Event
    resumed: anyio.Event

    async def load(self, run_id: str) -> StoredRun:
        run = await super().load(run_id)
        if self.armed:
            self.armed = False
            self.reading.set()
            await self.resumed.wait()
        return run


async def test_a_resume_that_ends_while_the_run_is_read_is_followed_to_its_answer(
    tmp_path: Path,
) -> None:
    """The run's events end with the resumed run, not the paused one read before it ended."""
    async with ReadBeforeTheResumeEnds(tmp_path / "runs.sqlite3") as store:
        store.reading, store.resumed = anyio.Event(), anyio.Event()
        await stored_runs.write_paused(store)

        async def hook(run_id: str, decisions: Mapping[str, Decision]) -> None:
            await store.reading.wait()
            await stored_runs.write_resumed(store, run_id)
            store.resumed.set()

        app = viewer_app(store, resume=hook, poll=0.01)
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(
            transport=transport, base_url="http://127.0.0.1:8765"
        ) as client:
            posted = await client.post("/api/runs/paused/resume", json=APPROVE, headers=JSON)
            assert posted.status_code == 202
            store.armed = True
            events = await client.get("/api/runs/paused/events")
    runs = [
        json.loads(line.removeprefix("data:"))
        for line in events.text.splitlines()
        if line.startswith("data:") and line.removeprefix("data:").strip()
    ]
    assert runs[-1]["status"] == "finished"
    assert runs[-1]["answer"] == stored_runs.RESUMED_ANSWER


async def test_a_run_read_while_its_resume_ends_is_shown_as_still_resuming(
    tmp_path: Path,
) -> None:
    """A paused run read before its resume ended comes with in_flight, so the page follows it."""
    async with ReadBeforeTheResumeEnds(tmp_path / "runs.sqlite3") as store:
        store.reading, store.resumed = anyio.Event(), anyio.Event()
        await stored_runs.write_paused(store)

        async def hook(run_id: str, decisions: Mapping[str, Decision]) -> None:
            await store.reading.wait()
            await stored_runs.write_resumed(store, run_id)
            store.resumed.set()

        async with _client(store, hook) as client:
            posted = await client.post("/api/runs/paused/resume", json=APPROVE, headers=JSON)
            assert posted.status_code == 202
            store.armed = True
            shown = (await client.get("/api/runs/paused")).json()
    assert (shown["status"], shown["resume"]["in_flight"]) == ("paused", True)
