"""End to end: a roster row claimed by Telegram's contact button on the fake Bot API, and a roster
phone typed on Zalo (fake Zalo Bot API) becoming a claim that staff confirm."""

from __future__ import annotations

from collections.abc import AsyncIterator

import pytest

from bot import roster
from bot.app import App
from bot.clock import FakeClock
from bot.config import Config
from bot.model import Identity
from bot.store import people
from tests.chat import Chat
from tests.fake_zalo import FakeZalo
from tests.telegram_rig import TelegramRig, telegram_rig
from tests.test_zalo_channel import running

NOW = "2026-12-01T00:00:00.000000Z"
ROSTER = ("Họ và tên,Số điện thoại,Xã/Phường,Thôn/Tổ dân phố,Chức danh,Năm sinh\n"
          "Lê Văn Cường,0987654321,Hương Đô,Thôn Kim,Trưởng thôn,1970\n").encode()


async def load_roster(app: App) -> int:
    await roster.apply(app.db, app.content, ROSTER, "ds.csv", 2026, NOW)
    listed = await people.by_phone(app.db, "0987654321")
    assert listed is not None
    return listed.id


@pytest.fixture
async def rig(config: Config, clock: FakeClock) -> AsyncIterator[TelegramRig]:
    async with telegram_rig(config, clock) as running_rig:
        yield running_rig


async def test_a_contact_shared_with_the_button_claims_the_roster_row(rig: TelegramRig) -> None:
    assert rig.app is not None
    listed = await load_roster(rig.app)
    user = rig.user(321, "Cường")
    await user.send("/start")
    await user.press("Tôi đồng ý")
    assert "📱 Chia sẻ số điện thoại" in user.keyboard
    await user.share_contact("+84987654321")  # the button: the contact's user_id is the sender's
    assert "tìm thấy anh/chị trong danh sách" in user.text and "Lê Văn Cường" in user.text
    await user.press("Đúng")
    assert "Đăng ký xong" in user.text
    me = await people.by_identity(rig.app.db, Identity("tg", "321"))
    assert me is not None and me.id == listed and me.registered and me.birth_year == 1970


async def test_someone_elses_contact_card_claims_nothing(rig: TelegramRig) -> None:
    assert rig.app is not None
    await load_roster(rig.app)
    user = rig.user(322, "Người khác")
    await user.send("/start")
    await user.press("Tôi đồng ý")
    card = {"phone_number": "0987654321", "first_name": "Cường", "user_id": 999}  # a forwarded contact
    await user.send_update(rig.tg.inject({"message": rig.tg._user_message(322, "Người khác", contact=card)}))
    assert "Số này có trong danh sách của xã" in user.text
    assert "Lê Văn Cường" not in user.text and "Thôn Kim" not in user.text


async def test_a_roster_phone_typed_on_zalo_becomes_a_claim_staff_confirm(config: Config, clock: FakeClock) -> None:
    async with FakeZalo(poll_cap=0.2) as zalo:
        bot = await running(config, zalo, clock)
        try:
            listed = await load_roster(bot.app)
            await bot.say("z5", "/start")
            await bot.say("z5", "1")  # Tôi đồng ý
            answer = "\n".join(await bot.say("z5", "0987 654 321"))
            assert "Số này có trong danh sách của xã" in answer and "Cường" not in answer
            await bot.say("z5", "Lê Văn Cường")
            await bot.say("z5", "1")  # Trưởng thôn
            await bot.say("z5", "Hương Đô")
            summary = "\n".join(await bot.say("z5", "Thôn Kim"))
            assert "chờ cán bộ xác nhận" in summary
            assert "Đăng ký xong" in "\n".join(await bot.say("z5", "1"))
            staff = Chat(bot.app, Identity("tg", "9000"), name="Cán bộ")
            await staff.send("/leaders")
            await staff.press("chờ xác nhận (1)")
            await staff.press("#1 đúng người")
            assert "Đã xác nhận và gộp" in staff.text
            me = await people.by_identity(bot.app.db, Identity("zalo", "z5"))
            assert me is not None and me.phone == "0987654321" and me.birth_year == 1970
            assert await people.get(bot.app.db, listed) is None  # merged into the Zalo leader
            assert await bot.app.db.fetchval("SELECT count(*) FROM people WHERE name = 'Lê Văn Cường'") == 1
        finally:
            await bot.app.close()
