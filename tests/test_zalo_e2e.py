"""End to end on Zalo: the fake Zalo Bot API, the Zalo channel, the real router and store, the outbox.

A leader onboards, reads a topic, finishes a quiz and answers a broadcast, all by typing; a
leader linked on Telegram and Zalo gets one reminder, on the channel last used.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import App
from bot.clock import FakeClock
from bot.config import Config
from bot.model import Identity
from bot.outbox import ChannelSettings, Outbox
from bot.store import people
from handlers.classes import send_due_reminders
from tests.chat import Chat
from tests.fake_zalo import FakeZalo
from tests.test_outbox_fakes import FakeChannel
from tests.test_zalo_channel import Bot, running
from tests.test_zalo_link import confirm

FAST = ChannelSettings(rate=0, per_chat=0, concurrency=4, idle_poll=0.02)
CLASS_LINE = "/newclass 2026-12-05 08:00 | Lớp bồi dưỡng nhận thức về Đảng | Hội trường UBND xã | Tất cả"
CLASS_START = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)  # 08:00 in Hà Nội


@dataclass
class Running:
    """The Zalo bot with its outbox."""

    bot: Bot
    outbox: Outbox
    telegram: FakeChannel  # an in-process Telegram, so staff on Telegram get their messages

    @property
    def app(self) -> App:
        return self.bot.app

    async def drain(self) -> None:
        assert await self.outbox.drain()
        await self.bot.channel.drained()


@pytest.fixture
async def world(config: Config, clock: FakeClock) -> AsyncIterator[Running]:
    """A polling Zalo bot and a running outbox for Zalo."""
    async with FakeZalo(poll_cap=0.2) as zalo:
        bot = await running(config, zalo, clock)
        telegram = FakeChannel("tg")
        outbox = Outbox(bot.app.services, {"zalo": bot.channel, "tg": telegram}, {"zalo": FAST, "tg": FAST})
        await outbox.start()
        try:
            yield Running(bot, outbox, telegram)
        finally:
            await outbox.stop()
            await bot.app.close()


async def onboard_by_typing(bot: Bot, chat_id: str, name: str) -> None:
    """Onboarding on Zalo: numbers and words typed, the phone as text."""
    await bot.say(chat_id, "/start")
    await bot.say(chat_id, "1")  # Tôi đồng ý
    await bot.say(chat_id, name)
    await bot.say(chat_id, "1")  # Trưởng thôn
    await bot.say(chat_id, "1")  # the first commune
    answer = await bot.say(chat_id, "Thôn 2")  # a listed hamlet's name, or a typed one
    assert "điện thoại" in answer[0] and "Chia sẻ" not in answer[0]
    assert "0912345678" in (await bot.say(chat_id, "0912 345 678"))[0]
    assert "Đăng ký xong" in (await bot.say(chat_id, "1"))[0]


async def test_a_zalo_leader_reads_a_topic_takes_the_quiz_and_answers_a_broadcast(
    world: Running, clock: FakeClock,
) -> None:
    bot = world.bot
    await onboard_by_typing(bot, "z1", "Hoàng Văn Nam")
    topics = "\n".join(await bot.say("z1", "chuyen de"))
    assert "1. Về Đảng và chi bộ" in topics and "1. 1." not in topics  # no doubled numbers
    summary = "\n".join(await bot.say("z1", "1"))
    assert "Chuyên đề 1" in summary
    section = "\n".join(await bot.say("z1", "1"))  # ▶ Đọc từ đầu
    assert "Phần 1/" in section and "1. Đọc tiếp ▶" in section

    text = "\n".join(await bot.say("z1", "quiz"))
    for _ in range(8):  # choose the topic if asked, then answer every question with "1"
        if "Kết quả" in text:
            break
        text = "\n".join(await bot.say("z1", "1"))
    assert "Kết quả:" in text and "/5 câu đúng" in text

    staff = Chat(world.app, Identity("tg", "9000"), name="Cán bộ")
    await staff.send("/broadcast Mời các đồng chí dự hội nghị lúc 8 giờ sáng thứ Hai tại hội trường xã.")
    await staff.press("Tất cả")
    await staff.press("Gửi ngay")
    await world.drain()
    message = bot.zalo.sent("z1")[-1]
    assert "hội nghị lúc 8 giờ" in message and "1. Đã nhận ✅" in message
    assert "Cảm ơn anh/chị đã xác nhận" in (await bot.say("z1", "1"))[0]  # typed, not pressed


async def test_a_linked_leader_gets_one_reminder_on_the_channel_last_used(
    world: Running, clock: FakeClock,
) -> None:
    bot = world.bot
    clock.current = CLASS_START - timedelta(days=3)
    telegram = Chat(world.app, Identity("tg", "555"), name="Đinh Văn Hai")
    await telegram.onboard(name="Đinh Văn Hai")
    await telegram.send("/link")
    code = re.search(r"\b(\d{4} \d{4})\b", telegram.text)
    assert code is not None
    assert "Đúng là tôi" in (await bot.say("z2", f"/link {code.group(1)}"))[0]
    await confirm(telegram)  # the code's owner says yes on Telegram
    assert "Đã liên kết Telegram với Zalo" in telegram.text
    person = await people.by_identity(world.app.db, telegram.identity)
    assert person is not None and person.last_channel == "zalo"

    staff = Chat(world.app, Identity("tg", "9000"), name="Cán bộ")
    await staff.send(CLASS_LINE)
    await staff.press("Tạo lớp và gửi lời mời")
    assert "Đã tạo lớp" in staff.text
    await world.drain()
    invitations = [t for t in bot.zalo.sent("z2") if "Lớp bồi dưỡng nhận thức về Đảng" in t]
    assert len(invitations) == 1

    clock.current = CLASS_START - timedelta(days=1)
    await send_due_reminders(world.app.services)
    await send_due_reminders(world.app.services)  # the job may run twice
    await world.drain()
    rows = await world.app.db.fetchall("SELECT channel, status FROM deliveries WHERE kind = 'reminder'"
                                       " AND person_id = ?", (person.id,))
    assert [(r["channel"], r["status"]) for r in rows] == [("zalo", "sent")]
    reminders = [t for t in bot.zalo.sent("z2") if "còn 1 ngày nữa" in t]
    assert len(reminders) == 1
    on_telegram = await world.app.db.fetchall("SELECT kind FROM deliveries WHERE channel = 'tg'"
                                              " AND person_id = ?", (person.id,))
    assert [r["kind"] for r in on_telegram] == ["link_notice"]  # "your account was linked", only


async def test_feedback_and_a_class_answer_by_typing(world: Running) -> None:
    bot = world.bot
    await onboard_by_typing(bot, "z3", "Vũ Thị Lan")
    assert "1. 🧱 Khó khăn" in (await bot.say("z3", "/feedback"))[0]
    await bot.say("z3", "1")
    check = await bot.say("z3", "Đường liên thôn bị sạt lở sau mưa lũ, xin xã hỗ trợ.")
    assert "1. ✅ Gửi" in check[0]
    assert "Đã gửi" in (await bot.say("z3", "1"))[0]
    person = await people.by_identity(world.app.db, Identity("zalo", "z3"))
    assert person is not None
    assert await world.app.db.fetchval("SELECT count(*) FROM voices WHERE person_id = ?", (person.id,)) == 1

    staff = Chat(world.app, Identity("tg", "9000"), name="Cán bộ")
    await staff.send(CLASS_LINE)
    await staff.press("Tạo lớp và gửi lời mời")
    await world.drain()
    invitation = bot.zalo.sent("z3")[-1]
    assert "Lớp bồi dưỡng nhận thức về Đảng" in invitation and "1. " in invitation
    await bot.say("z3", "1")  # the invitation's first choice, typed
    rsvp = await world.app.db.fetchval("SELECT rsvp FROM class_invitees WHERE person_id = ?", (person.id,))
    assert rsvp == "yes"


async def test_an_exhausted_quota_pauses_zalo_and_tells_staff(world: Running) -> None:
    bot = world.bot
    await onboard_by_typing(bot, "z4", "Lý Văn Tư")
    staff = Chat(world.app, Identity("tg", "9000"), name="Cán bộ")
    await staff.send("/start")  # the staff member exists as a person on Telegram
    bot.channel.refusals.quota.seconds = (0.01, 0.02, 0.03)  # the back-off steps, shortened for the test
    bot.zalo.quota = bot.zalo.accepted  # the month's messages are used up
    await staff.send("/broadcast Họp giao ban tháng 12.")
    await staff.press("Tất cả")
    await staff.press("Gửi ngay")
    for _ in range(200):  # the worker meets 429 "Quota exceeded", backs off step by step, then gives up
        if await world.app.db.fetchval("SELECT count(*) FROM deliveries WHERE kind = 'alert'"):
            break
        await asyncio.sleep(0.02)
    alerts = await world.app.db.fetchall("SELECT channel, payload FROM deliveries WHERE kind = 'alert'")
    assert [r["channel"] for r in alerts] == ["tg"] and "zalo" in alerts[0]["payload"].lower()
    assert "CHƯA kiểm chứng" in alerts[0]["payload"]  # what the plans allow, as far as known
    pending = await world.app.db.fetchval(
        "SELECT status FROM deliveries WHERE kind = 'broadcast' AND channel = 'zalo'")
    assert pending == "pending"  # not lost, not retried in a loop: it waits for the pause
    # One refused call per back-off step, and one more that found the quota still exhausted.
    assert len(bot.zalo.calls_of("sendMessage")) - bot.zalo.accepted == 4


async def test_staff_on_zalo_broadcast_by_typing_and_get_no_files(config: Config, clock: FakeClock) -> None:
    staff_config = replace(config, admins=config.admins | {Identity("zalo", "boss")})
    async with FakeZalo(poll_cap=0.2) as zalo:
        bot = await running(staff_config, zalo, clock)
        outbox = Outbox(bot.app.services, {"zalo": bot.channel}, {"zalo": FAST})
        await outbox.start()
        try:
            await onboard_by_typing(bot, "z5", "Mai Văn Sáu")
            admin = "\n".join(await bot.say("boss", "quan tri"))  # the staff menu, by its bare word
            assert "Việc của cán bộ" in admin
            composing = "\n".join(await bot.say("boss", "/broadcast Lịch tiêm phòng cho đàn gia súc."))
            everyone = next(line for line in composing.splitlines() if "Tất cả" in line)
            preview = "\n".join(await bot.say("boss", everyone.split(".", 1)[0]))
            send_now = next(line for line in preview.splitlines() if "Gửi ngay" in line)
            await bot.say("boss", send_now.split(".", 1)[0])
            assert await outbox.drain()
            assert "Lịch tiêm phòng" in zalo.sent("z5")[-1]
            assert "chưa gửi được tệp Excel" in (await bot.say("boss", "/export"))[0]
            stats = await bot.say("boss", "/stats")
            assert not zalo.calls_of("sendPhoto") and any("chưa gửi được qua Zalo" in part for part in stats)
        finally:
            await outbox.stop()
            await bot.app.close()
