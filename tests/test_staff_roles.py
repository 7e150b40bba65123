"""Staff stored in the database: lookup, removal mid-conversation, renamed communes, last province admin."""

from __future__ import annotations

import logging
from dataclasses import replace

import pytest

from bot import staff as rights
from bot.app import App, open_app
from bot.clock import FakeClock
from bot.config import Config
from bot.model import Identity
from bot.store import audit
from bot.store import staff as stored
from tests.chat import Chat

KHE, LINH = "Xã Hương Khê", "Xã Hà Linh"
A_STAFF = Identity("tg", "7001")


async def add_staff(app: App, identity: Identity, *communes: str, sensitive: bool = False,
                    province: bool = False) -> Chat:
    """Store a staff member as a province admin would, and a chat for them."""
    await stored.add(app.db, str(identity), communes=frozenset(communes), sensitive=sensitive, province=province,
                     by="tg:9000", at="2026-12-01T00:00:00")
    return Chat(app, identity, name="Cán bộ xã")


async def test_lookup_reads_stored_staff_with_their_communes(app: App) -> None:
    await add_staff(app, A_STAFF, KHE, LINH, sensitive=True)
    found = await rights.lookup(app.db, app.config, A_STAFF)
    assert found is not None and not found.province and found.sensitive
    assert found.communes == frozenset({KHE, LINH})
    assert await rights.lookup(app.db, app.config, Identity("tg", "7002")) is None
    admin = await rights.lookup(app.db, app.config, Identity("tg", "9000"))
    assert admin is not None and admin.province


async def test_staff_removed_mid_conversation_is_refused_at_next_press(app: App) -> None:
    chat = await add_staff(app, A_STAFF, KHE)
    await chat.send("/broadcast")
    assert "Hủy" in " ".join(chat.labels)
    assert await stored.remove(app.db, str(A_STAFF), by="tg:9000", at="2026-12-02T00:00:00") == "removed"
    await chat.send("Họp chi bộ tối nay")  # the pending step's answer
    assert "cán bộ" in chat.text.lower() and "Họp chi bộ" not in chat.text
    await chat.press_payload("bc:aud:all")
    assert "cán bộ" in chat.text.lower()
    await chat.send("/inbox")
    assert "cán bộ" in chat.text.lower()


async def test_renamed_commune_named_at_start_up(config: Config, clock: FakeClock,
                                                 caplog: pytest.LogCaptureFixture) -> None:
    first = await open_app(config, clock=clock)
    await stored.add(first.db, "tg:7001", communes=frozenset({KHE, "Xã Cũ"}), sensitive=False, province=False,
                     by="cli", at="2026-12-01T00:00:00")
    await stored.add(first.db, "zalo:abc", communes=frozenset({"Xã Cũ"}), sensitive=False, province=False,
                     by="cli", at="2026-12-01T00:00:00")
    await first.close()
    with caplog.at_level(logging.WARNING, logger="bot.staff"):
        second = await open_app(config, clock=clock)
    await second.close()
    lines = [r.getMessage() for r in caplog.records if r.name == "bot.staff"]
    assert len(lines) == 2
    assert any("tg:7001" in line and "Xã Cũ" in line and KHE not in line for line in lines)
    assert any("zalo:abc" in line for line in lines)


async def test_last_province_admin_cannot_be_removed(config: Config, clock: FakeClock) -> None:
    app = await open_app(replace(config, admins=frozenset()), clock=clock)
    try:
        await stored.add(app.db, "tg:1", communes=frozenset(), sensitive=True, province=True, by="cli", at="t")
        assert await stored.remove(app.db, "tg:1", by="tg:1", at="t") == "last"
        assert await stored.get(app.db, "tg:1") is not None
        await stored.add(app.db, "tg:2", communes=frozenset(), sensitive=True, province=True, by="cli", at="t")
        assert await stored.remove(app.db, "tg:1", by="tg:2", at="t") == "removed"
        assert await stored.remove(app.db, "tg:2", by="tg:2", at="t") == "last"
        assert [e.action for e in await audit.all_entries(app.db)] == ["staff.add", "staff.add", "staff.remove"]
    finally:
        await app.close()


def test_identity_forms() -> None:
    assert rights.parse_identity("tg:123") == Identity("tg", "123")
    assert rights.parse_identity("zalo:abc") == Identity("zalo", "abc")
    assert rights.parse_identity("console:an") == Identity("console", "an")
    for bad in ("tg:abc", "123", "fb:1", "zalo:", "console:a b"):
        assert rights.parse_identity(bad) is None, bad
