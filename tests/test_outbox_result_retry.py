"""A result that cannot be written at once (disk full after the send) is written later, never left
`sending` (issue 20 item 6)."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from bot.app import App
from bot.model import Reply
from bot.outbox import ChannelSettings, Outbox
from bot.store import deliveries
from bot.store import outbox as store
from tests.test_outbox_fakes import FakeChannel, add_leader


async def test_a_failed_result_write_is_retried_until_it_succeeds(
    app: App, monkeypatch: pytest.MonkeyPatch,
) -> None:
    ids = [await add_leader(app, 300 + i) for i in range(3)]
    await deliveries.enqueue(app.db, "broadcast", "1", ids, Reply("Họp lúc 8 giờ"), now=app.clock.now())
    real = store.mark_sent_in
    failures = {"left": 4}

    async def disk_full_then_fine(*args: Any, **kwargs: Any) -> None:
        if failures["left"] > 0:
            failures["left"] -= 1
            raise sqlite3.OperationalError("database or disk is full")
        await real(*args, **kwargs)

    monkeypatch.setattr(store, "mark_sent_in", disk_full_then_fine)
    tg = FakeChannel("tg")
    outbox = Outbox(app.services, {"tg": tg}, {"tg": ChannelSettings(rate=0, per_chat=0, idle_poll=0.02)})
    await outbox.start()
    try:
        assert await outbox.drain(within=20)
    finally:
        await outbox.stop()
    assert failures["left"] == 0
    assert len(tg.sent) == 3  # each message went out once
    rows = await app.db.fetchall("SELECT status FROM deliveries WHERE kind = 'broadcast'")
    assert [r["status"] for r in rows] == ["sent", "sent", "sent"]
