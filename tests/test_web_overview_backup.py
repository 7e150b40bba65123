"""The overview / shows when the last backup ran: the very line chat's /stats ends with
(handlers/backup_info.py), for every staff member, as /stats shows it to every staff member."""

from __future__ import annotations

from dataclasses import replace
from datetime import timedelta

from bot.app import App
from bot.clock import iso
from bot.model import Identity
from bot.store import backups
from bot.store import staff as stored
from tests import web_rig
from tests.chat import Chat
from tests.conftest import STAFF
from tests.web_rig import Site

site = web_rig.site  # the fixture
KHE = Identity("tg", "7001")  # commune staff of Xã Hương Khê


async def stats_line(staff: Chat) -> str:
    """The backup line of /stats in chat."""
    await staff.send("/stats")
    return next(line for line in staff.text.splitlines() if line.startswith("💾"))


async def test_the_overview_shows_the_last_backup_as_stats_does(site: Site, app: App, staff: Chat) -> None:
    page = await site.login(STAFF)
    assert await page.text_content("#last-backup") == await stats_line(staff)
    assert "Chưa có bản sao lưu nào" in await page.text_content("#last-backup")
    daily = app.services.config
    app.services.config = replace(daily, backup_dir=None)  # CAUNOI_BACKUP_DIR=off, nothing backed up yet
    await page.reload()
    assert "Sao lưu tự động đang tắt" in await page.text_content("#last-backup")
    assert await page.text_content("#last-backup") == await stats_line(staff)
    app.services.config = daily

    now = app.clock.now()
    await backups.record(app.db, iso(now - timedelta(minutes=31)), iso(now - timedelta(minutes=30)), True,
                         "/srv/backups/caunoi-1.sqlite3", 2 * 1_048_576, "")
    await backups.record(app.db, iso(now - timedelta(minutes=5)), iso(now - timedelta(minutes=4)), False,
                         None, None, "disk full")  # a failed attempt is not the last backup
    await page.reload()
    await site.shot(page, "overview-backup")
    line = await page.text_content("#last-backup")
    assert line == "💾 Sao lưu gần nhất: 07:30 01/12/2026 (2.0 MB)."  # local time (UTC+7)
    assert line == await stats_line(staff)

    await stored.add(app.db, str(KHE), communes=frozenset({"Xã Hương Khê"}), sensitive=False, province=False,
                     by=str(STAFF), at=iso(now))
    commune_page = await site.login(KHE)
    assert await commune_page.text_content("#last-backup") == line
