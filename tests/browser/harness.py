"""The browser-test harness: ``mulu demo`` on a free port (a session fixture) and headless
Debian Chromium driven by Playwright's sync API through ``executable_path`` (Playwright's own
browser download is never used), a page per test with numbered screenshots in
``artifacts/browser/``, and the sign-in steps. The fixtures are registered once, in
``conftest.py``, so every browser test module shares one server and one browser (two
Playwright instances cannot run in one process). Without Chromium or the ``playwright``
package the tests skip, except under ``CI=true``, where they fail.
"""

from __future__ import annotations

import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from pathlib import Path
from typing import Any, NoReturn

import pytest

ROOT = Path(__file__).resolve().parents[2]
ARTIFACTS = ROOT / "artifacts" / "browser"
CHROMIUM_FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                  "--disable-background-networking", "--disable-component-update",
                  "--disable-sync"]
STARTUP_SECONDS = 60
ACTION_TIMEOUT_MS = 10_000

USERS = {"steward": "mulu-steward-2026", "reviewer": "mulu-review-2026",
         "staff": "mulu-staff-2026"}


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


# -- the server ---------------------------------------------------------------------------------


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _mulu_command() -> list[str]:
    script = Path(sys.executable).parent / "mulu"
    if script.is_file():
        return [str(script)]
    return [sys.executable, "-c", "from catalog.cli import main; main()"]


@pytest.fixture(scope="session")
def demo_server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    """``mulu demo`` on a free port with its own data dir; yields the base URL."""
    data_dir = tmp_path_factory.mktemp("mulu-demo")
    port = _free_port()
    env = {k: v for k, v in os.environ.items() if not k.startswith("MULU_")}  # embedded store
    log_path = data_dir.parent / f"{data_dir.name}-server.log"
    with log_path.open("wb") as log:
        proc = subprocess.Popen(
            [*_mulu_command(), "demo", "--port", str(port), "--data-dir", str(data_dir)],
            cwd=data_dir, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + STARTUP_SECONDS
        while True:
            if proc.poll() is not None:
                pytest.fail(f"mulu demo exited with {proc.returncode}:\n"
                            f"{log_path.read_text(errors='replace')}", pytrace=False)
            try:
                with urllib.request.urlopen(f"{base}/api/health", timeout=2) as response:
                    if response.status == 200:
                        break
            except (urllib.error.URLError, OSError):
                pass
            if time.monotonic() > deadline:
                pytest.fail(f"mulu demo not healthy after {STARTUP_SECONDS}s:\n"
                            f"{log_path.read_text(errors='replace')}", pytrace=False)
            time.sleep(0.2)
        started = log_path.read_text(errors="replace")
        if started.count("succeeded") != 3 or started.count("failed 0") != 3:
            pytest.fail(f"mulu demo did not harvest its three simulated sources cleanly:\n"
                        f"{started}", pytrace=False)
        yield base
    finally:
        proc.terminate()
        try:
            proc.wait(timeout=10)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait(timeout=10)


# -- the browser --------------------------------------------------------------------------------


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


def tab(browser: Any, base_url: str, request: pytest.FixtureRequest,
        width: int = 1280) -> Iterator[Any]:
    """A fresh browser context and page on ``base_url`` for one test (its screenshots on the
    test's node; a failing test's last page photographed)."""
    context = browser.new_context(base_url=base_url, locale="zh-CN",
                                  timezone_id="Asia/Shanghai", accept_downloads=True,
                                  viewport={"width": width, "height": 900})
    context.set_default_timeout(ACTION_TIMEOUT_MS)
    tab = context.new_page()
    request.node.shots = Shots(tab, request.node.name)
    try:
        yield tab
    finally:
        report = getattr(request.node, "rep_call", None)
        if report is not None and report.failed:
            request.node.shots.take("FAILED")
        context.close()


@pytest.fixture
def page(chromium: Any, demo_server: str, request: pytest.FixtureRequest) -> Iterator[Any]:
    yield from tab(chromium, demo_server, request)


class Shots:
    """Numbered full-page screenshots of one test in artifacts/browser/."""

    def __init__(self, page: Any, test_name: str):
        self.page = page
        self.prefix = re.sub(r"[^\w-]+", "_", test_name.removeprefix("test_"))
        self.count = 0
        ARTIFACTS.mkdir(parents=True, exist_ok=True)

    def take(self, step: str) -> Path:
        self.count += 1
        path = ARTIFACTS / f"{self.prefix}-{self.count:02d}-{step}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
def shots(page: Any, request: pytest.FixtureRequest) -> Shots:
    return request.node.shots


# -- steps --------------------------------------------------------------------------------------


def login(page: Any, shots: Shots, username: str) -> None:
    from playwright.sync_api import expect

    page.goto("/")
    page.locator("header").get_by_role("link", name="登录", exact=True).click()
    expect(page.get_by_role("heading", name="用户登录")).to_be_visible()
    page.locator("#username").fill(username)
    page.locator("#password").fill(USERS[username])
    shots.take(f"{username}-login")
    page.locator("form.stacked").get_by_role("button", name="登录").click()
    expect(page.locator("header .user")).to_contain_text(username)
    expect(page.locator(".notice.ok")).to_have_text("登录成功。")


def logout(page: Any, shots: Shots, username: str) -> None:
    from playwright.sync_api import expect

    page.locator("header").get_by_role("button", name="退出").click()
    expect(page.locator(".notice.ok")).to_have_text("已退出登录。")
    expect(page.locator("header .user")).to_have_count(0)
    shots.take(f"{username}-logged-out")
