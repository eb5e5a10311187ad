"""Browser tests: keep each test's outcome on its node so a failing page can be photographed."""

from __future__ import annotations

from collections.abc import Generator
from typing import Any

import pytest

# one demo server, one browser for every browser test module (see harness.py)
from tests.browser.harness import chromium, demo_server, page, shots  # noqa: F401


@pytest.hookimpl(hookwrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[Any]) -> Generator[None, Any, None]:
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
