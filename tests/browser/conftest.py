"""A live server (uvicorn on loopback, in a thread) on a seeded store, and Debian's Chromium via Playwright."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
import uvicorn
from playwright.sync_api import Browser, ConsoleMessage, Page, Playwright, sync_playwright
from sqlalchemy import Engine

from tests.conftest import REPO
from tests.web.conftest import make_app
from tests.web.seed import PASSWORD, Seeded, seed

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking", "--disable-component-update",
                 "--disable-sync", "--no-first-run"]
ARTIFACTS = REPO / "artifacts" / "browser"


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


@dataclass
class Live:
    base: str
    seeded: Seeded
    db: str


@pytest.fixture
def live(engine: Engine, database_url: str) -> Iterator[Live]:
    seeded = seed(engine)
    port = _free_port()
    server = uvicorn.Server(uvicorn.Config(make_app(engine), host="127.0.0.1", port=port, log_level="warning"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    deadline = time.monotonic() + 20
    while not server.started:
        if time.monotonic() > deadline:
            raise RuntimeError("the test server did not start within 20 s")
        time.sleep(0.05)
    try:
        yield Live(f"http://127.0.0.1:{port}", seeded, database_url.split(":", 1)[0])
    finally:
        server.should_exit = True
        thread.join(timeout=10)


@pytest.fixture(scope="session")
def playwright_instance() -> Iterator[Playwright]:
    with sync_playwright() as pw:
        yield pw


@pytest.fixture(scope="session")
def browser(playwright_instance: Playwright) -> Iterator[Browser]:
    if not Path(CHROMIUM).exists():
        raise RuntimeError(f"{CHROMIUM} is missing: run `make test` (it installs Debian's chromium)")
    browser = playwright_instance.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS, headless=True)
    yield browser
    browser.close()


@dataclass
class Session:
    """A browser page that records console errors and uncaught exceptions, and takes named screenshots."""

    page: Page
    live: Live
    label: str
    problems: list[str] = field(default_factory=list)
    expected: list[str] = field(default_factory=list)  # pages that are meant to answer 4xx

    def go_expecting_error(self, path: str) -> Page:
        self.expected.append(self.live.base + path)
        return self.go(path)

    def go(self, path: str) -> Page:
        response = self.page.goto(self.live.base + path)
        assert response is not None
        self.page.wait_for_load_state("networkidle")
        return self.page

    def shot(self, name: str) -> Path:
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        target = ARTIFACTS / f"{self.live.db}-{self.label}-{name}.png"
        self.page.screenshot(path=str(target), full_page=True)
        return target

    def login(self, username: str, password: str = PASSWORD) -> None:
        self.go("/login")
        self.page.fill("#username", username)
        self.page.fill("#password", password)
        self.page.click("#login-submit")
        self.page.wait_for_load_state("networkidle")
        assert self.page.locator("#who").count() == 1, f"login as {username} failed"

    def logout(self) -> None:
        self.page.click("#logout")
        self.page.wait_for_load_state("networkidle")


@pytest.fixture
def open_session(browser: Browser, live: Live) -> Iterator[object]:
    made: list[Session] = []

    def factory(label: str) -> Session:
        context = browser.new_context(locale="zh-CN", accept_downloads=True, viewport={"width": 1366, "height": 900})
        session = Session(context.new_page(), live, label)

        def on_console(message: ConsoleMessage) -> None:
            if message.type == "error" and session.page.url not in session.expected:
                session.problems.append(f"console: {message.text} at {session.page.url}")

        session.page.on("console", on_console)
        session.page.on("pageerror",
                        lambda error: session.problems.append(f"page error: {error} at {session.page.url}"))
        made.append(session)
        return session

    yield factory
    problems = [p for s in made for p in s.problems]
    for session in made:
        session.page.context.close()
    assert problems == [], "\n".join(problems)
