"""Browser tests of the web dashboard: the real aiohttp app on loopback, driven by Debian's chromium
through Playwright (the system browser; Playwright's own download is never used)."""

from __future__ import annotations

import os
import shutil
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest

from bot.app import App
from bot.model import Identity
from bot.store import web as web_store
from bot.web.server import WebServer
from bot.web.settings import WebSettings

CHROMIUM = "/usr/bin/chromium"
ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
        "--disable-background-networking", "--disable-component-update", "--disable-sync"]


def require_browser() -> Any:
    """The Playwright async API, or a skip naming what is missing. Under CI (`CI` set, as `.ci/run`
    runs) a missing browser fails instead: .ci/run installs both, so a skip there would hide that
    the browser tests never ran."""
    missing = None
    if not Path(CHROMIUM).exists() and shutil.which("chromium") is None:
        missing = "chromium is not installed (apt-get install chromium; .ci/run does it)"
    else:
        try:
            import playwright.async_api as api
        except ImportError:
            missing = "playwright is not installed (pip install -e '.[test]')"
        else:
            return api
    if os.environ.get("CI"):
        pytest.fail(f"CI: {missing}")
    pytest.skip(missing)


@dataclass
class Site:
    """The dashboard under test: its address, the app behind it, where screenshots go."""

    app: App
    server: WebServer
    shots: Path
    browser: Any

    @property
    def base(self) -> str:
        """http://127.0.0.1:PORT"""
        return f"http://127.0.0.1:{self.server.port}"

    async def link(self, identity: Identity) -> str:
        """A one-time login link, as /web or `caunoi web-login` makes it."""
        token = await web_store.create_link(self.app.db, str(identity), self.app.clock.now())
        return f"{self.base}/login/{token}"

    async def new_page(self) -> Any:
        """A page in a fresh browser context (no cookies)."""
        context = await self.browser.new_context(viewport={"width": 1100, "height": 800}, locale="vi-VN")
        return await context.new_page()

    async def login(self, identity: Identity) -> Any:
        """A page logged in as `identity` through a one-time link."""
        page = await self.new_page()
        await page.goto(await self.link(identity))
        await page.click("#login-button")
        await page.wait_for_url(f"{self.base}/")
        return page

    async def shot(self, page: Any, name: str) -> Path:
        """Save a full-page screenshot under the test's tmp folder."""
        path = self.shots / f"{name}.png"
        await page.screenshot(path=str(path), full_page=True)
        return path


@pytest.fixture
async def site(app: App, tmp_path: Path) -> AsyncIterator[Site]:
    """The dashboard on a free loopback port and a headless chromium."""
    api = require_browser()
    settings = WebSettings("127.0.0.1", 0, "http://127.0.0.1", timedelta(minutes=30))
    server = WebServer(app.services, settings)
    await server.start()
    shots = tmp_path / "screens"
    shots.mkdir()
    async with api.async_playwright() as playwright:
        # launch() gives chromium a fresh temporary profile (user-data dir) of its own each time.
        browser = await playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS)
        try:
            yield Site(app, server, shots, browser)
        finally:
            await browser.close()
            await server.stop()
