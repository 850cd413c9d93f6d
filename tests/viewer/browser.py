"""Debian's chromium, headless, driven by selenium through Debian's chromedriver.

Nothing is downloaded: the driver's path is given, so Selenium Manager never runs. Without
chromium the browser tests fail (never skip), saying what to install.
"""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest
from selenium import webdriver
from selenium.webdriver.chrome.service import Service

CHROMIUM = Path(
    os.environ.get("SWITCHBOARD_CHROMIUM") or shutil.which("chromium") or "/usr/bin/chromium"
)
CHROMEDRIVER = Path(
    os.environ.get("SWITCHBOARD_CHROMEDRIVER")
    or shutil.which("chromedriver")
    or "/usr/bin/chromedriver"
)
INSTALL = "sudo apt-get install chromium chromium-driver"


def chromium(width: int = 1200, height: int = 900) -> webdriver.Chrome:
    """A headless chromium with a window of ``width`` x ``height`` CSS pixels."""
    missing = [str(path) for path in (CHROMIUM, CHROMEDRIVER) if not path.is_file()]
    if missing:
        pytest.fail(
            f"The viewer's browser tests need Debian's chromium and its driver, and "
            f"{', '.join(missing)} is missing: install them ({INSTALL}), or name them in "
            "SWITCHBOARD_CHROMIUM and SWITCHBOARD_CHROMEDRIVER.",
            pytrace=False,
        )
    options = webdriver.ChromeOptions()
    options.binary_location = str(CHROMIUM)
    for argument in (
        "--headless=new",
        "--no-sandbox",  # as root in a container, chromium's sandbox cannot start
        "--disable-dev-shm-usage",
        "--disable-gpu",
        "--no-first-run",
        "--disable-extensions",
        f"--window-size={width},{height}",
    ):
        options.add_argument(argument)
    return webdriver.Chrome(service=Service(executable_path=str(CHROMEDRIVER)), options=options)
