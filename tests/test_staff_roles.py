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


async def test_province_admin_manages_staff_in_chat(app: App, staff: Chat) -> None:
    await staff.send("/staff")
    assert "tg:9000" in staff.text and "CAUNOI_ADMINS" in staff.text
    await staff.press("Thêm theo mã")
    await staff.send("tg:abc")
    assert "chưa đúng dạng" in staff.text
    await staff.send("tg:7001")
    await staff.press("Hương Khê")
    await staff.press("Hà Linh")
    await staff.press("Hà Linh")  # off again
    await staff.press("Xong")
    assert "Xã Hương Khê" in staff.text and "Hà Linh" not in staff.text.split("Xem được")[0]
    await staff.press("Cho xem nguyện vọng")
    member = await stored.get(app.db, "tg:7001")
    assert member is not None and member.communes == frozenset({KHE}) and member.sensitive
    found = await rights.lookup(app.db, app.config, A_STAFF)
    assert found is not None and found.communes == frozenset({KHE})
    await staff.press("Thu hồi")
    await staff.press("Xóa khỏi")
    await staff.press("🗑 Xóa")
    assert "Đã xóa tg:7001" in staff.text
    assert await rights.lookup(app.db, app.config, A_STAFF) is None
    actions = [e.action for e in await audit.all_entries(app.db)]
    assert actions == ["staff.add", "staff.communes", "staff.communes", "staff.communes", "staff.sensitive_grant",
                       "staff.sensitive_revoke", "staff.remove"]
    assert "staff.remove" in staff.text  # /staff shows the last audit entries


async def test_commune_staff_cannot_manage_staff(app: App) -> None:
    chat = await add_staff(app, A_STAFF, KHE, sensitive=True)
    await chat.send("/staff")
    assert "quản trị viên cấp tỉnh" in chat.text and "tg:9000" not in chat.text
    await chat.press_payload("stf:add")
    assert "tg:9000" not in chat.text and "mã người dùng" not in chat.text


async def test_invitation_code_is_single_use_and_expires(app: App, staff: Chat, clock: FakeClock) -> None:
    await staff.send("/staff")
    await staff.press("Tạo mã mời")
    await staff.press("Tạo mã")
    assert "ít nhất một xã" in staff.text
    await staff.press("Phúc Trạch")
    await staff.press("Tạo mã")
    code = staff.text.split("/staff_join ")[1].split()[0]
    assert len(code) == 12
    newcomer = Chat(app, Identity("zalo", "newcomer"))
    await newcomer.send("/staff_join WRONGCODE123")
    assert "không đúng" in newcomer.text
    await newcomer.send(f"/staff_join {code.lower()}")
    assert "Xã Phúc Trạch" in newcomer.text
    member = await stored.get(app.db, "zalo:newcomer")
    assert member is not None and member.communes == frozenset({"Xã Phúc Trạch"}) and not member.sensitive
    other = Chat(app, Identity("tg", "555"))
    await other.send(f"/staff_join {code}")
    assert "không đúng" in other.text and await stored.get(app.db, "tg:555") is None
    await staff.send("/staff")
    await staff.press("Tạo mã mời")
    await staff.press("Hà Linh")
    await staff.press("Tạo mã")
    late = staff.text.split("/staff_join ")[1].split()[0]
    from datetime import timedelta
    clock.advance(timedelta(hours=49))
    await other.send(f"/staff_join {late}")
    assert "hết hạn" in other.text and await stored.get(app.db, "tg:555") is None


async def test_last_stored_province_admin_refused_in_chat(config: Config, clock: FakeClock) -> None:
    app = await open_app(replace(config, admins=frozenset()), clock=clock)
    try:
        admin = await add_staff(app, Identity("tg", "1"), province=True, sensitive=True)
        await admin.send("/staff")
        await admin.press("tg:1")
        await admin.press("Xóa khỏi")
        await admin.press("🗑 Xóa")
        assert "cuối cùng" in admin.text
        assert await stored.get(app.db, "tg:1") is not None
    finally:
        await app.close()


async def test_staff_in_two_communes_see_and_reach_both(app: App, staff: Chat) -> None:
    for address, name, commune in (("101", "Nguyễn Văn An", "Hương Khê"), ("102", "Trần Thị Bình", "Hà Linh"),
                                   ("103", "Lê Văn Cường", "Phúc Trạch")):
        await Chat(app, Identity("tg", address)).onboard(name=name, commune=commune)
    chat = await add_staff(app, A_STAFF, KHE, LINH)
    await chat.send("/followup")
    await chat.press("Tất cả")
    assert "Nguyễn Văn An" in chat.text and "Trần Thị Bình" in chat.text and "Lê Văn Cường" not in chat.text
    await chat.send("/broadcast Họp liên xã")
    await chat.press("Theo xã")
    assert sorted(label for label in chat.labels if label.startswith("Xã")) == [LINH, KHE]
    await chat.send("/broadcast Họp liên xã")
    await chat.press("Tất cả")
    assert "2 người" in chat.text


async def test_one_line_newclass_asks_which_communes_and_names_the_place(app: App, staff: Chat) -> None:
    line = "/newclass 2026-12-20 08:00 | Lớp bồi dưỡng | Hội trường xã"
    await staff.send(line)  # a province admin: seven communes would be invited
    assert "xã, phường nào" in staff.text and "Tạo lớp" not in " ".join(staff.labels)
    await staff.press("Hà Linh")
    await staff.press("Xong")
    assert "Hội trường xã, Xã Hà Linh" in staff.text
    chat = await add_staff(app, A_STAFF, KHE)  # one commune: nothing to ask
    await chat.send(line)
    assert "Hội trường xã, Xã Hương Khê" in chat.text and "Hà Linh" not in chat.text
    await chat.send(line + " | Hà Linh")  # not theirs
    assert "Các xã, phường: Xã Hương Khê." in chat.text  # only theirs are offered
    await chat.send("/newclass 2026-12-20 08:00 | Lớp bồi dưỡng | Nhà văn hóa Hương Khê")
    assert "Nhà văn hóa Hương Khê" in chat.text and "Nhà văn hóa Hương Khê, Xã" not in chat.text


async def test_roster_upload_refuses_other_communes_rows_with_the_reason(app: App) -> None:
    from tests.test_roster import HEADER, csv_bytes, document

    await Chat(app, Identity("tg", "102")).onboard(name="Trần Thị Bình", commune="Hà Linh")
    leader_b = await app.db.fetchval("SELECT id FROM people WHERE name = 'Trần Thị Bình'")
    await app.db.execute("UPDATE people SET phone = '0912000002' WHERE id = ?", (leader_b,))
    chat = await add_staff(app, A_STAFF, KHE)
    rows = ("Nguyễn Văn Mới,0912000001,Hương Khê,Thôn 1,Trưởng thôn,1970\n"
            "Lê Văn Khác,0912000003,Hà Linh,Thôn 2,Trưởng thôn,1971\n"
            "Trần Thị Bình,0912000002,Hương Khê,Thôn 3,Trưởng thôn,1972\n")  # B's leader, moved by a roster?
    await chat.send("/import")
    chat.replies = await app.dispatch(document(chat, csv_bytes(HEADER + rows), "ds.csv"))
    assert "không thuộc phạm vi anh/chị phụ trách (Xã Hương Khê)" in chat.text
    assert "0912000002 là của một người thuộc xã/phường khác" in chat.text
    await chat.press("Áp dụng")
    communes = {r[0]: r[1] for r in await app.db.fetchall("SELECT name, commune FROM people WHERE name IS NOT NULL")}
    assert communes == {"Nguyễn Văn Mới": KHE, "Trần Thị Bình": LINH}


async def test_staff_menu_shows_what_the_rights_allow(app: App, staff: Chat) -> None:
    await staff.send("/admin")
    assert app.content.texts("staff.menu_label") in staff.labels
    chat = await add_staff(app, A_STAFF, KHE)
    await chat.send("/admin")
    assert app.content.texts("staff.menu_label") not in chat.labels
    assert app.content.texts("inbox.followup_menu_label") not in chat.labels
    await stored.set_sensitive(app.db, str(A_STAFF), True, by="tg:9000", at="t")
    await chat.send("/admin")
    assert app.content.texts("inbox.followup_menu_label") in chat.labels
    assert app.content.texts("staff.menu_label") not in chat.labels


async def test_commune_staff_follow_the_province_broadcast_to_their_commune(app: App, staff: Chat) -> None:
    await Chat(app, Identity("tg", "101")).onboard(name="Nguyễn Văn An", commune="Hương Khê")
    await Chat(app, Identity("tg", "102")).onboard(name="Trần Thị Bình", commune="Hà Linh")
    for commune in ("Hương Khê", "Hà Linh"):
        await staff.send(f"/broadcast Thông báo cho {commune}")
        await staff.press("Theo xã")
        await staff.press(commune)
        await staff.press("Gửi ngay")
    chat = await add_staff(app, A_STAFF, KHE)
    await chat.send("/broadcast status")
    assert any("#1" in label for label in chat.labels) and not any("#2" in label for label in chat.labels)
    await chat.press("#1")
    assert "Thông báo cho Hương Khê" in chat.text
    await chat.press_payload("bcr:2")
    assert "chỉ dành cho cán bộ" in chat.text and "Hà Linh" not in chat.text
