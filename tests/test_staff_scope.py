"""The staff rights rule (bot/staff.py) and the audit log it is accountable to."""

from __future__ import annotations

from pathlib import Path

from bot.model import Identity
from bot.staff import Staff, province_admin
from bot.store import audit
from bot.store.db import Database

ME = Identity("tg", "1")


def test_province_admin_covers_every_commune_and_sees_aspirations() -> None:
    admin = province_admin(ME)
    assert admin.covers("Hương Khê") and admin.covers(None)
    assert admin.commune_filter is None and admin.sensitive
    assert admin.narrow(["Hà Linh"]) == frozenset({"Hà Linh"})


def test_commune_staff_covers_only_their_communes() -> None:
    staff = Staff(ME, province=False, communes=frozenset({"Hương Khê", "Hà Linh"}))
    assert staff.covers("Hương Khê") and not staff.covers("Phúc Trạch") and not staff.covers(None)
    assert staff.commune_filter == frozenset({"Hương Khê", "Hà Linh"})
    assert staff.narrow(None) == staff.communes
    assert staff.narrow(["Hà Linh", "Phúc Trạch"]) == frozenset({"Hà Linh"})
    assert not staff.sensitive


async def test_audit_entries_survive_in_order(tmp_path: Path) -> None:
    async with Database(tmp_path / "a.sqlite3") as db:
        await audit.record(db, "2026-12-06T01:00:00", "tg:1", "export", audit.scope_label(None))
        await audit.record(db, "2026-12-06T02:00:00", "tg:2", "aspiration.view",
                           audit.scope_label(["Hà Linh", "Hương Khê"]), "person:7")
        newest = await audit.recent(db, limit=1)
        assert [(e.actor, e.action, e.scope, e.subject) for e in newest] == [
            ("tg:2", "aspiration.view", "Hà Linh,Hương Khê", "person:7")]
        assert [e.action for e in await audit.all_entries(db)] == ["export", "aspiration.view"]
