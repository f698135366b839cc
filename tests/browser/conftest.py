"""The agent desktop in a real browser: `callcenter desktop` in a subprocess (its own moto backend), Debian's
chromium driven by Playwright (headless). Every test here is in one xdist group, so one worker starts one server
and one browser for them all. Screenshots go to .callcenter/screenshots/<test>-<state>.png."""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]
CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
SCREENSHOTS = REPO / ".callcenter" / "screenshots"
#: Generous: a loaded two-core machine. Playwright's auto-waiting polls up to this, it never sleeps it.
WAIT_MS = 20_000


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.xdist_group("browser"))


def start_desktop_server() -> tuple[subprocess.Popen[str], str]:
    """`callcenter desktop --port 0`; its URL from the first line it prints."""
    if not (REPO / "desktop" / "dist" / "index.html").is_file():
        pytest.fail("the desktop page is not built: run `make desktop`")
    command = [sys.executable, "-c", "import sys; from callcenter.cli import main; sys.exit(main())"]
    process = subprocess.Popen([*command, "desktop", "--port", "0"], cwd=REPO,
                               stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                               env={**os.environ, "PYTHONUNBUFFERED": "1"})
    assert process.stdout is not None
    said = []
    for line in process.stdout:
        found = re.search(r"http://127\.0\.0\.1:\d+/", line)
        if found:
            return process, found[0]
        said.append(line)
    process.wait(timeout=10)
    pytest.fail(f"callcenter desktop did not start (exit {process.returncode}): {''.join(said)[-2000:]}")


def launch_chromium(playwright: Any) -> Any:
    if not os.access(CHROMIUM, os.X_OK):
        pytest.fail(f"{CHROMIUM} is missing: `make browser` installs Debian's chromium")
    return playwright.chromium.launch(executable_path=CHROMIUM, headless=True, args=CHROMIUM_ARGS)


@pytest.fixture(scope="module")
def desktop_url() -> Iterator[str]:
    process, url = start_desktop_server()
    try:
        yield url
    finally:
        process.terminate()
        try:
            process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            process.kill()


@pytest.fixture(scope="module")
def chromium() -> Iterator[Any]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch_chromium(playwright)
        yield browser
        browser.close()


class Desk:
    """One browser page on the desktop, with what it logged to the console and helpers for the local API."""

    def __init__(self, page: Any, url: str, name: str) -> None:
        self.page = page
        self.url = url
        self.name = name
        self.console_errors: list[str] = []
        page.on("console", lambda m: self.console_errors.append(m.text) if m.type == "error" else None)
        page.on("pageerror", lambda e: self.console_errors.append(f"page error: {e}"))
        page.set_default_timeout(WAIT_MS)

    def shot(self, state: str) -> Path:
        SCREENSHOTS.mkdir(parents=True, exist_ok=True)
        path = SCREENSHOTS / f"{self.name}-{state}.png"
        self.page.screenshot(path=str(path), full_page=True)
        return path

    def sign_in(self, name: str, team: str = "", supervisor: bool = False) -> None:
        self.page.goto(self.url)
        self.page.fill("#signin-name", name)
        self.page.select_option("#signin-team", team)
        if supervisor:
            self.page.check("#signin-supervisor")
        self.page.click("#signin-submit")
        self.page.wait_for_selector("#signin", state="hidden")

    def local(self, path: str, body: dict[str, Any]) -> Any:
        response = self.page.request.post(self.url + "local/" + path, data=body)
        assert response.ok, response.text()
        return response.json()

    def token(self, name: str, teams: list[str], supervisor: bool = False) -> str:
        return str(self.local("sign-in", {"username": name, "teams": teams, "supervisor": supervisor})["token"])

    def api(self, method: str, path: str, token: str, body: dict[str, Any] | None = None) -> Any:
        response = self.page.request.fetch(self.url + "api" + path, method=method, data=body,
                                           headers={"Authorization": token})
        assert response.ok, response.text()
        return response.json()

    def ring_and_accept(self, caller: str) -> str:
        self.page.select_option("#caller", caller)
        self.page.click("#ring")
        self.page.click("#accept")
        self.page.wait_for_selector("#screen-pop[data-state=connected]")
        return str(self.page.get_attribute("#screen-pop", "data-contact"))


@pytest.fixture
def desk(chromium: Any, desktop_url: str, request: pytest.FixtureRequest) -> Iterator[Desk]:
    context = chromium.new_context(viewport={"width": 1280, "height": 900})
    page = context.new_page()
    yield Desk(page, desktop_url, request.node.name.removeprefix("test_"))
    context.close()
