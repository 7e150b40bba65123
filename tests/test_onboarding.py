"""Onboarding and the basics through the real router and a real SQLite file (no network)."""

from __future__ import annotations

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
    await leader.send("x" * 5000)
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
