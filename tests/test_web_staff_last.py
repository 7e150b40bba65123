"""With no CAUNOI_ADMINS, the last province admin stored in the database cannot remove themselves on
the web (as in chat's /staff): the refusal names why and nothing changes."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest

from bot.app import App
from bot.config import Config, load_config
from bot.model import Identity
from bot.store import staff as stored
from tests.web_rig import Site, site

__all__ = ["site"]  # fixture
PROVINCE = Identity("tg", "8001")


@pytest.fixture
def config(tmp_path: Path) -> Config:
    """A config with no CAUNOI_ADMINS: the province admins are all in the database."""
    base = load_config(env={"CAUNOI_DB": str(tmp_path / "bot.sqlite3"), "CAUNOI_ADMINS": "tg:1"},
                       dotenv=tmp_path / "none.env")
    return replace(base, db_path=tmp_path / "bot.sqlite3", admins=frozenset())


async def test_removing_the_last_province_admin_is_refused(site: Site, app: App) -> None:
    await stored.add(app.db, str(PROVINCE), communes=frozenset(), sensitive=True, province=True,
                     by="caunoi", at="2026-12-01T00:00:00.000000Z")
    page = await site.login(PROVINCE)
    await page.goto(f"{site.base}/audit")
    await page.locator("#staff tr[data-identity='tg:8001'] .remove-staff").click()
    await page.click("#staff-remove-yes")  # the confirmation page first
    assert "quản trị viên cấp tỉnh cuối cùng" in await page.text_content("#form-error")
    await site.shot(page, "staff-last-admin")
    assert await stored.get(app.db, str(PROVINCE)) is not None
    assert await app.db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'staff.remove'") == 0
