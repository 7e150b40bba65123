"""Onboarding and the basics through the real router and a real SQLite file (no network)."""

from __future__ import annotations

from bot import roster
from bot.app import App, open_app
from bot.config import Config
from bot.model import Identity
from bot.store import people
from tests.chat import Chat


async def test_onboarding_saves_profile_and_shows_menu(app: App, leader: Chat) -> None:
    await leader.onboard(name="  Nguyễn   Văn An ", commune="huong khe", hamlet="Thôn 3")
    person = await people.by_identity(app.db, leader.identity)
    assert person is not None and person.registered
    assert (person.name, person.role, person.commune, person.hamlet) == (
        "Nguyễn Văn An", "truong_thon", "Xã Hương Khê", "Thôn 3")
    assert "Menu chính" in leader.text
    await leader.send("/start")
    assert "quay lại" in leader.text and "Menu chính" in leader.text


async def test_restart_in_the_middle_of_onboarding_continues(config: Config, clock: object) -> None:
    first = await open_app(config, clock=clock)  # type: ignore[arg-type]
    chat = Chat(first, Identity("tg", "200"))
    await chat.send("/start")
    await chat.press("Tôi đồng ý")
    await chat.send("Trần Thị Bình")
    assert "chức danh" in chat.text
    await first.close()

    second = await open_app(config, clock=clock)  # type: ignore[arg-type]
    try:
        chat.app = second
        await chat.press("Chi hội trưởng")
        assert "hội nào" in chat.text
        await chat.press("Phụ nữ")
        await chat.press("Phúc Trạch")
        await chat.send("Thôn Trung")
        await chat.send("+84 912 345 678")
        assert "0912345678" in chat.text and "Chi hội Phụ nữ" in chat.text
        await chat.press("Đúng")
        person = await people.by_identity(second.db, chat.identity)
        assert person is not None and person.phone == "0912345678" and person.association == "phu_nu"
    finally:
        await second.close()


async def test_stale_and_forged_buttons_get_the_current_menu(app: App, leader: Chat) -> None:
    await leader.onboard()
    await leader.press_payload("ob:role:truong_thon")  # an old onboarding button
    assert "đã cũ" in leader.text and "Menu chính" in leader.text
    await leader.press_payload("zz:💥" * 3)
    assert "đã cũ" in leader.text


async def test_bad_names_are_refused_politely(app: App, leader: Chat) -> None:
    await leader.send("/start")
    await leader.press("Tôi đồng ý")
    for bad in ("😀😀😀", "\x00\x07", "x" * 200, "1234"):
        await leader.send(bad)
        assert "Họ tên cần có chữ cái" in leader.text
    await leader.send("Robert'); DROP TABLE people;-- <b>x</b>")
    assert "chức danh" in leader.text
    assert await app.db.fetchval("SELECT count(*) FROM people") == 1


async def test_unknown_command_and_unexpected_media(app: App, leader: Chat) -> None:
    await leader.onboard()
    await leader.send("/khong_co")
    assert "chưa hiểu lệnh /khong_co" in leader.text
    await leader.send_media("sticker")
    assert "chưa cần" in leader.text
    await leader.send("x" * 5000)  # a long paste at the menu is kept and offered to staff (handlers/menu.py)
    assert "Gửi cho cán bộ phụ trách?" in leader.text
    await leader.send("/menu")
    await leader.send("x" * 30_000)
    assert "dài quá" in leader.text


async def test_staff_menu_is_refused_to_leaders(app: App, leader: Chat, staff: Chat) -> None:
    await leader.onboard()
    await leader.send("/admin")
    assert "chỉ dành cho cán bộ" in leader.text
    await staff.send("/admin")
    assert "Việc của cán bộ" in staff.text


async def test_stop_and_delete_me(app: App, leader: Chat) -> None:
    await leader.onboard()
    await leader.send("/stop")
    person = await people.by_identity(app.db, leader.identity)
    assert person is not None and person.stopped
    await leader.send("/start")
    person = await people.by_identity(app.db, leader.identity)
    assert person is not None and not person.stopped
    await leader.send("/delete_me")
    await leader.press("Xóa hết")
    assert "Đã xóa" in leader.text
    assert await app.db.fetchval("SELECT count(*) FROM people") == 0
    assert await app.db.fetchval("SELECT count(*) FROM identities") == 0


async def test_a_phone_given_first_finds_the_roster_row_and_skips_its_questions(app: App, leader: Chat) -> None:
    csv = ("Họ và tên,Số điện thoại,Xã/Phường,Thôn/Tổ dân phố,Chức danh\n"
           "Lê Văn Cường,0987654321,Hương Đô,Thôn Kim,Trưởng thôn\n")
    plan = await roster.apply(app.db, app.content, csv.encode(), "ds.csv", 2026, "2026-12-01T00:00:00.000000Z")
    assert len(plan.add) == 1
    await leader.send("/start")
    await leader.press("Tôi đồng ý")
    assert "Chia sẻ số điện thoại" in leader.text and leader.replies[-1].ask_contact
    await leader.share_contact("+84987654321")
    assert "Lê Văn Cường" in leader.text and "Thôn Kim" in leader.text and "Trưởng thôn" in leader.text
    await leader.press("Đúng")
    person = await people.by_identity(app.db, leader.identity)
    assert person is not None and person.registered and person.phone == "0987654321"
    assert await app.db.fetchval("SELECT count(*) FROM people") == 1


async def test_a_phone_not_on_the_roster_is_kept_and_not_asked_again(app: App) -> None:
    chat = Chat(app, Identity("zalo", "z1"))
    await chat.send("/start")
    await chat.press("Tôi đồng ý")
    await chat.send("0912 000 111")
    assert "đã ghi số điện thoại" in chat.text and "họ và tên" in chat.text
    await chat.send("Phạm Thị Dung")
    await chat.press("Tổ trưởng")
    await chat.press("Hương Xuân")
    await chat.send("Tổ dân phố 2")
    assert "0912000111" in chat.text and "kiểm tra lại" in chat.text
