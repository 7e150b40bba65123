"""Shared fixtures: a real app (real SQLite file, real router and content) with a controllable clock."""

from __future__ import annotations

from collections.abc import AsyncIterator
from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import App, open_app
from bot.clock import FakeClock
from bot.config import Config, load_config
from bot.content import Content
from bot.model import Identity
from tests.chat import Chat
from tests.shared_content import shipped_content as load_shipped_content

STAFF = Identity("tg", "9000")


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """A config on a fresh SQLite file, with one staff member (tg:9000)."""
    base = load_config(env={"CAUNOI_DB": str(tmp_path / "bot.sqlite3"), "CAUNOI_ADMINS": "tg:9000"},
                       dotenv=tmp_path / "none.env")
    return replace(base, db_path=tmp_path / "bot.sqlite3")


@pytest.fixture
def clock() -> FakeClock:
    """A clock that only moves when the test moves it."""
    return FakeClock()


@pytest.fixture(scope="session")
def shipped_content() -> Content:
    """The shipped content, loaded and checked once per test session (nothing changes it at run time)."""
    return load_shipped_content()


@pytest.fixture
async def app(config: Config, clock: FakeClock, shipped_content: Content) -> AsyncIterator[App]:
    """The real application, no channels."""
    # A test with its own content folder gets it loaded; every other app shares the session's.
    shared = shipped_content if config.content_dir in (None, shipped_content.root) else None
    application = await open_app(config, clock=clock, content=shared)
    yield application
    await application.close()


@pytest.fixture
def leader(app: App) -> Chat:
    """A leader on Telegram (not registered yet)."""
    return Chat(app, Identity("tg", "100"))


@pytest.fixture
def staff(app: App) -> Chat:
    """A staff member (in CAUNOI_ADMINS)."""
    return Chat(app, STAFF, name="Cán bộ")
