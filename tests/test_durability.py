"""The outbox's claims and results commit with synchronous=FULL; other writes stay NORMAL."""

from __future__ import annotations

from typing import Any

from bot.app import App
from bot.outbox import GroupWriter


async def _synchronous(conn: Any) -> int:
    async with conn.execute("PRAGMA synchronous") as cursor:
        row = await cursor.fetchone()
    return int(row[0])


async def test_outbox_writes_are_fsynced_and_others_are_not(app: App) -> None:
    writer = GroupWriter(app.db)
    assert await writer.run(_synchronous) == 2  # FULL: the WAL is fsynced at this commit
    async with app.db.write() as conn:
        assert await _synchronous(conn) == 1  # NORMAL again for the rest
    writer.durable = False
    assert await writer.run(_synchronous) == 1
