"""A crash between storing a broadcast and saving the conversation does not send it twice (issue 20 item 9)."""

from __future__ import annotations

import sqlite3
from typing import Any

import pytest

from bot.app import App
from bot.store import conversations
from tests.chat import Chat
from tests.test_broadcast import MESSAGE, compose, leaders


async def test_confirming_the_same_draft_again_only_shows_the_broadcast(
    app: App, staff: Chat, monkeypatch: pytest.MonkeyPatch,
) -> None:
    await leaders(app)
    await compose(staff)
    send = staff.option("Gửi ngay").payload
    real_save = conversations.save_statement

    def lost(*args: Any, **kwargs: Any) -> tuple[str, tuple[Any, ...]]:
        raise sqlite3.OperationalError("disk I/O error")  # the broadcast is stored, the step is not

    monkeypatch.setattr(conversations, "save_statement", lost)  # the dispatcher's one write of the step
    await staff.press_payload(send)
    monkeypatch.setattr(conversations, "save_statement", real_save)
    assert await app.db.fetchval("SELECT COUNT(*) FROM broadcasts") == 1
    first = await app.db.fetchval("SELECT id FROM broadcasts")

    await staff.press_payload(send)  # the conversation still shows the preview: "Gửi ngay" again
    assert await app.db.fetchval("SELECT COUNT(*) FROM broadcasts") == 1
    assert await app.db.fetchval("SELECT COUNT(*) FROM deliveries WHERE kind = 'broadcast'") == 3
    assert f"#{first}" in staff.text and "đã được gửi" in staff.text
    assert any(o.payload == f"bcr:{first}" for r in staff.replies for o in r.options)


async def test_a_new_draft_is_a_new_broadcast(app: App, staff: Chat) -> None:
    await leaders(app)
    await compose(staff)
    await staff.press("Gửi ngay")
    await staff.send(f"/broadcast {MESSAGE}")
    await staff.press("Tất cả")
    await staff.press("Gửi ngay")
    assert await app.db.fetchval("SELECT COUNT(*) FROM broadcasts") == 2
