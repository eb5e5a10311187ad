"""Browser tests: one headless Chromium for the session (Debian's ``/usr/bin/chromium``, or
``MULU_CHROMIUM``, through Playwright's ``executable_path``; never Playwright's own download),
and each test's outcome kept on its node so a failing page can be photographed. Without
Chromium or the ``playwright`` package the tests skip, except under ``CI=true``, where they
fail."""

from __future__ import annotations

import os
import shutil
from collections.abc import Generator, Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]


def _unavailable(reason: str) -> NoReturn:
    """Skip on a developer machine; under CI a missing browser is a broken setup."""
    if os.environ.get("CI", "").lower() == "true":
        pytest.fail(f"{reason} (CI=true: browser tests must run)", pytrace=False)
    pytest.skip(reason)


def _chromium_path() -> str | None:
    chosen = os.environ.get("MULU_CHROMIUM")
    candidates = [chosen] if chosen else ["/usr/bin/chromium", shutil.which("chromium"),
                                          shutil.which("chromium-browser")]
    for candidate in candidates:
        if candidate and Path(candidate).is_file() and os.access(candidate, os.X_OK):
            return candidate
    return None

@pytest.fixture(scope="session")
def chromium() -> Iterator[Any]:
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        _unavailable("the playwright package is not installed (pip install -e '.[test]')")
    executable = _chromium_path()
    if executable is None:
        _unavailable(f"Chromium not found at {os.environ.get('MULU_CHROMIUM') or '/usr/bin/chromium'}"
                     " (apt-get install chromium fonts-noto-cjk)")
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=executable, headless=True,
                                             args=CHROMIUM_FLAGS)
        try:
            yield browser
        finally:
            browser.close()



@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
