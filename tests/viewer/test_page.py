"""The viewer's page in a real headless browser (Debian's chromium), over a real SQLite store.

One browser and one server for the module. The runs are written through the store's API
as the loop writes them (`stored_runs`); the server reads the same file with its own
store. Waits poll the page (WebDriverWait) for what a test expects, never for a time.
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from selenium.webdriver.common.by import By
from selenium.webdriver.remote.webdriver import WebDriver
from selenium.webdriver.remote.webelement import WebElement
from selenium.webdriver.support.ui import Select, WebDriverWait

from switchboard.runs.approval import Approve, Decision
from switchboard.runs.sqlite import SQLiteStore
from switchboard.viewer import viewer_app
from tests.viewer import stored_runs
from tests.viewer.browser import chromium
from tests.viewer.serving import served

WAIT = 15  # seconds before a wait for the page fails: generous for a busy machine


def _write(path: Path, write: Callable[[SQLiteStore], Awaitable[None]]) -> None:
    """Run ``write`` on a store of its own on ``path``, as another process would."""

    async def main() -> None:
        async with SQLiteStore(path) as store:
            await write(store)

    asyncio.run(main())


class Resumes:
    """The viewer's resume hook in these tests: records the decisions, writes the answer.

    It writes what resuming the run records (`stored_runs.write_resumed`), as the agent's
    ``resume`` would (the loop's side of issue 16 is built apart from the viewer).
    """

    def __init__(self, path: Path) -> None:
        self.path = path
        self.seen: list[tuple[str, dict[str, Decision]]] = []

    async def __call__(self, run_id: str, decisions: Mapping[str, Decision]) -> None:
        self.seen.append((run_id, dict(decisions)))
        async with SQLiteStore(self.path) as store:
            await stored_runs.write_resumed(store, run_id)


@pytest.fixture(scope="module")
def store_path(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("viewer") / "runs.sqlite3"

    async def write(store: SQLiteStore) -> None:
        await stored_runs.write_parallel(store)
        await stored_runs.write_paused(store)
        await stored_runs.write_xss(store)
        await stored_runs.write_failed(store)

    _write(path, write)
    return path


@pytest.fixture(scope="module")
def resumes(store_path: Path) -> Resumes:
    return Resumes(store_path)


@pytest.fixture(scope="module")
def url(store_path: Path, resumes: Resumes) -> Iterator[str]:
    store = SQLiteStore(store_path)
    with served(viewer_app(store, resume=resumes, poll=0.1)) as base:
        yield base
    asyncio.run(store.close())


@pytest.fixture(scope="module")
def module_browser() -> Iterator[WebDriver]:
    browser = chromium()
    try:
        yield browser
    finally:
        browser.quit()


@pytest.fixture
def browser(module_browser: WebDriver) -> Iterator[WebDriver]:
    """The module's browser, back to a desktop window in light mode after each test."""
    yield module_browser
    module_browser.execute_cdp_cmd("Emulation.clearDeviceMetricsOverride", {})
    module_browser.execute_cdp_cmd("Emulation.setEmulatedMedia", {"features": []})


def _open(browser: WebDriver, url: str, run_id: str) -> None:
    browser.get(f"{url}#/runs/{run_id}")
    _wait_for(browser, ".timeline")


def _wait_for(browser: WebDriver, selector: str, count: int = 1) -> list[WebElement]:
    def found(b: WebDriver) -> list[WebElement] | bool:
        elements = b.find_elements(By.CSS_SELECTOR, selector)
        return elements if len(elements) >= count else False

    return WebDriverWait(browser, WAIT).until(found)


def _span(bar: WebElement) -> tuple[float, float]:
    rect: dict[str, Any] = bar.rect
    return rect["x"], rect["x"] + rect["width"]


def test_the_list_shows_every_stored_run_with_its_status(browser: WebDriver, url: str) -> None:
    """The page at / lists each run in the store, with its status."""
    browser.get(url)
    cards = _wait_for(browser, ".run-card", 4)
    shown = {
        card.get_attribute("data-run-id"): card.find_element(By.CSS_SELECTOR, ".badge").text
        for card in cards
    }
    assert {run: shown.get(run) for run in ("parallel", "paused", "xss", "failed")} == {
        "parallel": "finished",
        "paused": "paused",
        "xss": "finished",
        "failed": "failed",
    }


def test_filtering_by_status_lists_only_runs_of_that_status(browser: WebDriver, url: str) -> None:
    """Choosing a status in the filters lists only the runs of that status."""
    browser.get(url)
    _wait_for(browser, ".run-card", 4)
    Select(browser.find_element(By.CSS_SELECTOR, 'select[name="status"]')).select_by_value("failed")
    WebDriverWait(browser, WAIT).until(lambda b: "status=failed" in b.current_url)

    def only_failed(b: WebDriver) -> bool:
        cards = b.find_elements(By.CSS_SELECTOR, ".run-card")
        return bool(cards) and all(c.get_attribute("data-run-id") == "failed" for c in cards)

    WebDriverWait(browser, WAIT).until(only_failed)


def test_three_parallel_calls_are_three_overlapping_bars(browser: WebDriver, url: str) -> None:
    """The three calls started together are bars whose spans on the axis all overlap."""
    _open(browser, url, "parallel")
    spans = [
        _span(browser.find_element(By.CSS_SELECTOR, f'.bar.call[data-call-id="{call}"]'))
        for call in ("w1", "w2", "w3")
    ]
    assert all(right > left for left, right in spans)
    # Spans overlap pairwise, so all three share the stretch from the last start to the
    # first end.
    assert max(left for left, _ in spans) < min(right for _, right in spans), spans


def test_calls_run_one_after_another_are_bars_that_do_not_overlap(
    browser: WebDriver, url: str
) -> None:
    """Two calls run in turn are bars side by side on the axis, the second after the first."""
    _open(browser, url, "parallel")
    first = _span(browser.find_element(By.CSS_SELECTOR, '.bar.call[data-call-id="f1"]'))
    second = _span(browser.find_element(By.CSS_SELECTOR, '.bar.call[data-call-id="c1"]'))
    assert first[1] <= second[0] + 0.5, (first, second)  # half a pixel of rounding


def test_approving_a_pending_call_resumes_the_run_and_shows_its_answer(
    browser: WebDriver, url: str, store_path: Path, resumes: Resumes
) -> None:
    """Approve on a paused run's pending call calls the resume hook; the page shows the answer."""
    _write(store_path, lambda store: stored_runs.write_paused(store, "to-approve"))
    _open(browser, url, "to-approve")
    pending = _wait_for(browser, '.pending-call[data-call-id="d1"]')[0]
    assert "delete_file" in pending.text
    pending.find_element(By.CSS_SELECTOR, "button.approve").click()
    answer = _wait_for(browser, ".answer-text")[0]
    assert answer.text == stored_runs.RESUMED_ANSWER
    assert resumes.seen == [("to-approve", {"d1": Approve()})]
    assert browser.find_element(By.CSS_SELECTOR, "main").get_attribute("data-run-status") == (
        "finished"
    )
    assert not browser.find_elements(By.CSS_SELECTOR, ".pending")


def test_markup_in_a_run_is_shown_as_text_and_never_run(browser: WebDriver, url: str) -> None:
    """A run's <script>, <img onerror> and <svg onload> show as text; none of them runs."""
    _open(browser, url, "xss")
    for details in browser.find_elements(By.CSS_SELECTOR, "details"):
        browser.execute_script("arguments[0].open = true", details)
    text = browser.find_element(By.CSS_SELECTOR, "main").text
    for shown in (
        stored_runs.XSS_PROMPT,
        stored_runs.XSS_ANSWER,
        stored_runs.XSS_TOOL,
        stored_runs.XSS_RESULT,
        "<i>model</i>",
    ):
        assert shown in text
    assert browser.execute_script("return window.__xss") is None
    markup = browser.find_elements(By.CSS_SELECTOR, "main script, main img, main svg, main i")
    assert markup == []


def test_a_running_run_shows_what_the_store_records_next(
    browser: WebDriver, url: str, store_path: Path
) -> None:
    """A running run's page shows the step appended to the store while it is open."""
    _write(store_path, lambda store: stored_runs.write_live_start(store, "live"))
    _open(browser, url, "live")
    _wait_for(browser, ".live")
    assert not browser.find_elements(By.CSS_SELECTOR, ".bar.call")
    _write(store_path, lambda store: stored_runs.write_live_step(store, "live"))
    bar = _wait_for(browser, '.bar.call[data-call-id="r1"]')[0]
    assert bar.get_attribute("class") is not None
    assert "get_weather" in browser.find_element(By.CSS_SELECTOR, ".call-row").text


def test_the_timeline_fits_a_phone_sized_window(browser: WebDriver, url: str) -> None:
    """At 390 CSS pixels wide nothing scrolls sideways, and the bars keep a usable track."""
    browser.execute_cdp_cmd(
        "Emulation.setDeviceMetricsOverride",
        {"width": 390, "height": 844, "deviceScaleFactor": 3, "mobile": True},
    )
    _open(browser, url, "paused")
    sideways = browser.execute_script(
        "return document.documentElement.scrollWidth - document.documentElement.clientWidth"
    )
    assert sideways == 0
    track = browser.find_element(By.CSS_SELECTOR, ".call-row .track").rect
    assert track["width"] >= 300
    approve = browser.find_element(By.CSS_SELECTOR, "button.approve").rect
    assert approve["x"] >= 0
    assert approve["x"] + approve["width"] <= 390


def _luminance(css: str) -> float:
    """The relative luminance (WCAG 2) of a computed ``rgb(...)`` colour."""
    values = css[css.index("(") + 1 : css.index(")")].split(",")
    channels = [int(v) / 255 for v in values[:3]]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def test_dark_mode_draws_light_text_on_a_dark_page(browser: WebDriver, url: str) -> None:
    """With prefers-color-scheme: dark, the page is dark and its text contrasts at 7:1 or more."""
    browser.execute_cdp_cmd(
        "Emulation.setEmulatedMedia",
        {"features": [{"name": "prefers-color-scheme", "value": "dark"}]},
    )
    _open(browser, url, "parallel")
    style = "return getComputedStyle(arguments[0])[arguments[1]]"
    body = browser.find_element(By.CSS_SELECTOR, "body")
    background = _luminance(browser.execute_script(style, body, "backgroundColor"))
    for selector in ("body", ".run-prompt", ".answer-text", ".call-row .tool"):
        element = browser.find_element(By.CSS_SELECTOR, selector)
        text = _luminance(browser.execute_script(style, element, "color"))
        assert (text + 0.05) / (background + 0.05) >= 7, selector
    assert background < 0.05
