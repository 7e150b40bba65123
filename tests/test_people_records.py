"""Issue 13's six failures, each played as users do: edit instead of restart, phones in /profile,
no repeated questions after a roster claim, hamlets compared folded, no roster leak to a typed
phone, import conflicts."""

from __future__ import annotations

import shutil
import sqlite3
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from bot import roster
from bot.app import App, open_app
from bot.clock import FakeClock
from bot.config import Config
from bot.model import Identity
from bot.store import hamlets, people
from bot.store.db import Database, migrations
from tests.chat import Chat

NOW = "2026-12-01T00:00:00.000000Z"
HEADER = "Họ và tên,Số điện thoại,Xã/Phường,Thôn/Tổ dân phố,Chức danh,Năm sinh\n"


async def load_roster(app: App, rows: str) -> None:
    await roster.apply(app.db, app.content, (HEADER + rows).encode(), "ds.csv", 2026, NOW)


async def count_people(app: App) -> int:
    return int(await app.db.fetchval("SELECT count(*) FROM people"))


async def test_edit_at_the_summary_changes_one_field_and_keeps_phone_and_roster_row(app: App, leader: Chat) -> None:
    await load_roster(app, "Lê Văn Cường,0987654321,Hương Đô,Thôn Kim,Trưởng thôn,1970\n")
    listed = await people.by_phone(app.db, "0987654321")
    assert listed is not None
    await leader.send("/start")
    await leader.press("Tôi đồng ý")
    await leader.share_contact("+84987654321")
    assert "kiểm tra lại" in leader.text
    await leader.press("Sửa lại")
    assert {"Họ tên", "Chức danh", "Số điện thoại"} <= set(leader.labels)
    await leader.press("Họ tên")
    await leader.send("Lê Văn Cương")
    assert "Lê Văn Cương" in leader.text and "0987654321" in leader.text and "Thôn Kim" in leader.text
    await leader.press("Đúng")
    assert "Đăng ký xong" in leader.text
    me = await people.by_identity(app.db, leader.identity)
    assert me is not None and me.id == listed.id  # the roster row, not a second person
    assert (me.name, me.phone, me.hamlet, me.birth_year) == ("Lê Văn Cương", "0987654321", "Thôn Kim", 1970)
    assert await count_people(app) == 1


async def test_edit_keeps_a_typed_phone_and_keep_button_restores(app: App) -> None:
    chat = Chat(app, Identity("zalo", "z1"))
    await chat.send("/start")
    await chat.press("Tôi đồng ý")
    await chat.send("Phạm Thị Dung")
    await chat.press("Tổ trưởng")
    await chat.press("Hương Xuân")
    await chat.send("Tổ dân phố 2")
    await chat.send("0912.000-111")
    await chat.press("Sửa lại")
    await chat.press("Thôn/tổ dân phố")
    await chat.press("Giữ như cũ")
    assert "Tổ dân phố 2" in chat.text and "0912000111" in chat.text
    await chat.press("Sửa lại")
    await chat.press("Thôn/tổ dân phố")
    await chat.send("Tổ dân phố 4")
    assert "Tổ dân phố 4" in chat.text and "0912000111" in chat.text
    await chat.press("Đúng")
    me = await people.by_identity(app.db, chat.identity)
    assert me is not None and (me.hamlet, me.phone) == ("Tổ dân phố 4", "0912000111")


async def test_profile_edit_adds_changes_and_removes_the_phone(app: App, leader: Chat, clock: FakeClock) -> None:
    other = Chat(app, Identity("tg", "555"))
    await other.onboard(name="Người Khác")
    other_person = await people.by_identity(app.db, other.identity)
    assert other_person is not None
    await people.update_profile(app.db, other_person.id, phone="0916000000")
    await leader.onboard()

    async def edit_phone(typed: str) -> None:
        clock.advance(timedelta(minutes=2))  # a person types slower than the flood limit
        await leader.send("/profile")
        await leader.press("Sửa thông tin")
        await leader.press("Số điện thoại")
        await leader.send(typed)

    for typed, stored in (("0912 345 678", "0912345678"), ("+84 913.222.333", "0913222333"),
                          ("84914555666", "0914555666"), ("(0239) 385 1234", "02393851234")):
        await edit_phone(typed)
        assert stored in leader.text, leader.text
        await leader.press("Lưu")
        assert "Đã cập nhật" in leader.text and "Đăng ký xong" not in leader.text
        me = await people.by_identity(app.db, leader.identity)
        assert me is not None and me.phone == stored
    await edit_phone("+1 202 555 0143")
    assert "số điện thoại Việt Nam" in leader.text
    await leader.send("0916 000 000")
    assert "đã được một người khác đăng ký" in leader.text
    await leader.press("Xóa số điện thoại")
    await leader.press("Lưu")
    me = await people.by_identity(app.db, leader.identity)
    assert me is not None and me.phone is None and me.name == "Nguyễn Văn An"


async def test_a_roster_chi_hoi_claim_asks_only_what_the_roster_lacks(app: App, leader: Chat) -> None:
    await load_roster(app, "Trần Thị Bình,0913222333,Phúc Trạch,Thôn Trung,Chi hội trưởng,1980\n")
    await leader.send("/start")
    await leader.press("Tôi đồng ý")
    await leader.share_contact("0913222333")
    assert "hội nào" in leader.text
    await leader.press("Phụ nữ")
    assert "kiểm tra lại" in leader.text and "Thôn Trung" in leader.text and "Xã Phúc Trạch" in leader.text
    await leader.press("Đúng")
    me = await people.by_identity(app.db, leader.identity)
    assert me is not None and (me.association, me.commune, me.hamlet) == ("phu_nu", "Xã Phúc Trạch", "Thôn Trung")


async def test_hamlet_spellings_are_one_hamlet_offered_to_the_next_leader(app: App, staff: Chat) -> None:
    first = Chat(app, Identity("tg", "301"))
    await first.onboard(name="Người Một", commune="Hương Xuân", hamlet="Tổ dân phố 3")
    second = Chat(app, Identity("zalo", "302"))
    await second.send("/start")
    await second.press("Tôi đồng ý")
    await second.send("Người Hai")
    await second.press("Tổ trưởng")
    await second.press("Hương Xuân")
    await second.send("tdp 03")
    assert "Có phải Tổ dân phố 3?" in second.text
    await second.press("Đúng, Tổ dân phố 3")
    await second.press("Bỏ qua")
    await second.press("Đúng")
    rows = await app.db.fetchall("SELECT DISTINCT hamlet FROM people WHERE commune = 'Xã Hương Xuân'")
    assert [r[0] for r in rows] == ["Tổ dân phố 3"]
    assert [h.name for h in await hamlets.proposed(app.db, None)] == ["Tổ dân phố 3"]
    assert await hamlets.approve(app.db, "Xã Hương Xuân", "Tổ dân phố 3")
    third = Chat(app, Identity("tg", "303"))
    await third.send("/start")
    await third.press("Tôi đồng ý")
    await third.send("Người Ba")
    await third.press("Tổ trưởng")
    await third.press("Hương Xuân")
    assert "Tổ dân phố 3" in third.labels


async def test_bad_hamlets_are_refused_politely(app: App, leader: Chat) -> None:
    await leader.send("/start")
    await leader.press("Tôi đồng ý")
    await leader.send("Người Thử")
    await leader.press("Trưởng thôn")
    await leader.press("Hương Khê")
    for bad in ("   ", "x" * 200, "🏠🏠"):
        await leader.send(bad)
        assert "Tên thôn, tổ dân phố cần có chữ cái" in leader.text
    await leader.send("thôn Trung Thủy")
    assert "số điện thoại" in leader.text


async def test_a_typed_roster_phone_reveals_nothing_and_becomes_a_claim(app: App) -> None:
    await load_roster(app, "Lê Văn Cường,0987654321,Hương Đô,Thôn Kim,Trưởng thôn,1970\n")
    chat = Chat(app, Identity("zalo", "z9"))
    await chat.send("/start")
    await chat.press("Tôi đồng ý")
    await chat.send("0987 654 321")
    assert "Số này có trong danh sách của xã" in chat.text
    assert all(secret not in chat.text for secret in ("Cường", "Thôn Kim", "Hương Đô", "Trưởng thôn"))
    assert "họ và tên" in chat.text
    await chat.send("Kẻ Mạo Danh")
    await chat.press("Trưởng thôn")
    await chat.press("Hương Khê")
    await chat.send("Thôn 1")
    assert "Cường" not in chat.text and "Thôn Kim" not in chat.text
    await chat.press("Đúng")
    me = await people.by_identity(app.db, chat.identity)
    listed = await people.by_phone(app.db, "0987654321")
    assert me is not None and listed is not None and me.id != listed.id and me.phone is None
    assert listed.name == "Lê Văn Cường" and not listed.registered
    claim = await app.db.fetchone("SELECT claimant_id, listed_id FROM claims")
    assert claim is not None and tuple(claim) == (me.id, listed.id)


async def test_an_unverified_contact_is_only_a_claim(app: App, leader: Chat) -> None:
    await load_roster(app, "Lê Văn Cường,0987654321,Hương Đô,Thôn Kim,Trưởng thôn,1970\n")
    await leader.send("/start")
    await leader.press("Tôi đồng ý")
    await leader.share_contact("0987654321", verified=False)  # someone else's contact card
    assert "Số này có trong danh sách của xã" in leader.text and "Cường" not in leader.text


async def test_import_lists_conflicts_and_applies_only_safe_rows(app: App, leader: Chat) -> None:
    await leader.onboard(name="Phạm Thị Dung", commune="Hương Bình", hamlet="Thôn 5")
    me = await people.by_identity(app.db, leader.identity)
    assert me is not None
    await people.update_profile(app.db, me.id, phone="0987000111")
    data = (HEADER + "Phạm Văn Dũng,0987000111,Hương Khê,Thôn 9,Trưởng thôn,1975\n"
            "Người Mới,0912000222,Hương Khê,Thôn 1,Trưởng thôn,\n").encode()
    plan = await roster.dry_run(app.db, app.content, data, "ds.csv", 2026)
    assert plan.same == 0 and len(plan.conflict) == 1
    text = roster.render_report(app.content.texts, plan, "ds.csv", note="roster.cli_note")
    assert "Xung đột" in text and "Phạm Thị Dung" in text and "Phạm Văn Dũng" in text
    applied = await roster.apply(app.db, app.content, data, "ds.csv", 2026, NOW)
    text = roster.render_report(app.content.texts, applied, "ds.csv")
    assert "Đã thêm: 1" in text and "Bỏ qua (xung đột): 1" in text and "Sẽ thêm" not in text
    me = await people.get(app.db, me.id)
    assert me is not None and (me.name, me.commune, me.birth_year) == ("Phạm Thị Dung", "Xã Hương Bình", None)
    forced = await roster.apply(app.db, app.content, data, "ds.csv", 2026, NOW, update_conflicts=True)
    assert "Đã cập nhật: 1" in roster.render_report(app.content.texts, forced, "ds.csv")
    me = await people.get(app.db, me.id)
    assert me is not None and (me.name, me.commune) == ("Phạm Văn Dũng", "Xã Hương Khê")


async def test_profile_says_which_roles_see_my_data(app: App, leader: Chat) -> None:
    await leader.onboard(commune="Hương Khê")
    await leader.send("/profile")
    await leader.press("Ai xem được thông tin của tôi?")
    assert "Cán bộ phụ trách của Đảng ủy Xã Hương Khê" in leader.text
    assert "chỉ cán bộ được giao quyền" in leader.text and "tệp Excel" in leader.text and "91/2025/QH15" in leader.text


async def test_migration_merges_hamlet_spellings_and_keys_names(tmp_path: Path) -> None:
    """A database from before 0100: typed spellings of one hamlet become one, names get their key."""
    path = tmp_path / "old.sqlite3"
    with sqlite3.connect(path) as conn:
        last = 0
        for number, _, sql in migrations():
            if number < 100:
                conn.executescript(sql)
                last = number
        conn.execute(f"PRAGMA user_version = {last}")
        conn.execute("INSERT INTO hamlets (commune, name) VALUES ('Xã Hương Khê', 'Tổ dân phố 3')")
        for n, hamlet in enumerate(("tdp 3", "to dan pho 03", "Tổ dân phố 3", "thon trung thuy", "Thôn Trung Thủy",
                                    "Thôn Trung Thủy", "x" * 200)):
            conn.execute("INSERT INTO people (name, commune, hamlet, created_at) VALUES (?, 'Xã Hương Khê', ?, ?)",
                         (f"Người Số {n}", hamlet, NOW))
    async with Database(path) as db:
        rows = await db.fetchall("SELECT hamlet, count(*) FROM people GROUP BY hamlet ORDER BY hamlet")
        assert [tuple(r) for r in rows] == [("Thôn Trung Thủy", 3), ("Tổ dân phố 3", 3), ("x" * 200, 1)]
        statuses = {tuple(r) for r in await db.fetchall("SELECT name, status FROM hamlets")}
        assert statuses == {("Tổ dân phố 3", "approved"), ("Thôn Trung Thủy", "proposed"), ("x" * 200, "proposed")}
        assert await db.fetchval("SELECT name_key FROM people WHERE name = 'Người Số 0'") == "nguoi so 0"


def content_with_hamlets(folder: Path) -> Path:
    """A copy of the content whose units.yaml lists two hamlets of Xã Hương Khê."""
    content = folder / "content"
    shutil.copytree(Path(__file__).resolve().parent.parent / "content", content)
    units = (content / "units.yaml").read_text(encoding="utf-8").replace(
        "  - name: Xã Hương Khê\n    hamlets: []",
        "  - name: Xã Hương Khê\n    hamlets: [Thôn Trung Thủy, Tổ dân phố 3]")
    (content / "units.yaml").write_text(units, encoding="utf-8")
    return content


async def test_hamlets_listed_in_units_yaml_are_offered_and_matched(config: Config, clock: FakeClock,
                                                                      tmp_path: Path) -> None:
    content = content_with_hamlets(tmp_path)
    app = await open_app(replace(config, content_dir=content), clock=clock)
    try:
        chat = Chat(app, Identity("zalo", "u1"))
        await chat.send("/start")
        await chat.press("Tôi đồng ý")
        await chat.send("Người Thử")
        await chat.press("Trưởng thôn")
        await chat.press("Hương Khê")
        assert {"Thôn Trung Thủy", "Tổ dân phố 3"} <= set(chat.labels)
        await chat.press("Thôn/tổ khác")
        await chat.send("trung thuỷ")
        assert "Có phải Thôn Trung Thủy?" in chat.text
        await chat.press("Không phải")
        assert "gõ tên thôn" in chat.text
        await chat.send("TRUNG THUY")
        await chat.press("Đúng, Thôn Trung Thủy")
        await chat.press("Bỏ qua")
        assert "Thôn Trung Thủy" in chat.text
        await chat.press("Đúng")
        me = await people.by_identity(app.db, chat.identity)
        assert me is not None and me.hamlet == "Thôn Trung Thủy"
        assert await hamlets.proposed(app.db, None) == []  # a listed hamlet is not proposed again
    finally:
        await app.close()


async def test_a_roster_phone_typed_after_its_owner_proved_it_is_refused(app: App, leader: Chat) -> None:
    await load_roster(app, "Lê Văn Cường,0987654321,Hương Đô,Thôn Kim,Trưởng thôn,1970\n")
    await leader.send("/start")
    await leader.press("Tôi đồng ý")
    await leader.share_contact("0987654321")
    await leader.press("Đúng")
    second = Chat(app, Identity("zalo", "z2"))
    await second.send("/start")
    await second.press("Tôi đồng ý")
    await second.send("0987654321")
    assert "đã được một người khác đăng ký" in second.text and "Cường" not in second.text
    assert await app.db.fetchval("SELECT count(*) FROM claims") == 0


async def test_a_roster_approves_a_proposed_hamlet_under_its_known_spelling(app: App, leader: Chat) -> None:
    await leader.onboard(commune="Hương Khê", hamlet="Thôn 7")
    assert [h.name for h in await hamlets.proposed(app.db, None)] == ["Thôn 7"]
    await load_roster(app, "Người Trong Danh Sách,0912000333,Hương Khê,thon 07,Trưởng thôn,\n")
    listed = await people.by_phone(app.db, "0912000333")
    assert listed is not None and listed.hamlet == "Thôn 7"
    assert await hamlets.proposed(app.db, None) == []
    assert await hamlets.approved(app.db, app.content.units, "Xã Hương Khê") == ["Thôn 7"]
