"""Takes the README's screenshot of the timeline: ``python -m tests.viewer.screenshot PATH``.

A run is written to a new store as `stored_runs.write_parallel` writes it, with waits as
long as a model's and tools' would be, then shown in chromium and captured.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from pathlib import Path

from selenium.webdriver.common.by import By
from selenium.webdriver.support.ui import WebDriverWait

from switchboard.runs.sqlite import SQLiteStore
from switchboard.viewer import viewer_app
from tests.viewer import stored_runs
from tests.viewer.browser import chromium
from tests.viewer.serving import served


async def _write(path: Path) -> None:
    async with SQLiteStore(path) as store:
        await stored_runs.write_parallel(store, "3f9c2a7e41d84b0c9a61f0d2b7e5c8a1", asyncio.sleep)


def main(target: str) -> None:
    """Write the run, show it, and save the screenshot at ``target``."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "runs.sqlite3"
        asyncio.run(_write(path))
        store = SQLiteStore(path)
        browser = chromium(1100, 1000)
        try:
            with served(viewer_app(store)) as url:
                browser.get(f"{url}#/runs/3f9c2a7e41d84b0c9a61f0d2b7e5c8a1")
                WebDriverWait(browser, 10).until(
                    lambda b: b.find_elements(By.CSS_SELECTOR, ".bar.call")
                )
                browser.find_element(
                    By.CSS_SELECTOR, '.call[data-call-id="w2"] details[data-key$="/arguments"]'
                ).click()
                height = browser.execute_script("return document.body.scrollHeight")
                browser.set_window_size(1100, height + 40)
                browser.find_element(By.CSS_SELECTOR, "body").screenshot(target)
        finally:
            browser.quit()
            asyncio.run(store.close())


if __name__ == "__main__":
    main(sys.argv[1])
