"""End to end through the fake Bot API: staff create a class on Telegram, the outbox delivers the
invitation, the leader answers with its button, the reminder job queues a reminder one day before
and the outbox delivers it once; the calendar button sends an .ics document."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, datetime, timedelta

from bot.clock import FakeClock
from bot.config import Config
from bot.outbox import Outbox, settings_for
from bot.store import classes
from handlers.classes import send_due_reminders
from tests.telegram_rig import TelegramRig, telegram_rig

START = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)


async def deliver_all(rig: TelegramRig, outbox: Outbox) -> None:
    """Let the outbox send everything due now."""
    outbox.wake()
    assert await outbox.drain(within=15)


def bot_texts(rig: TelegramRig, chat_id: int, needle: str) -> list[str]:
    """Texts of the bot's messages in a chat that contain `needle`."""
    return [str(m.get("text", "")) for m in rig.tg.messages_in(chat_id) if needle in str(m.get("text", ""))]


async def test_rsvp_by_button_and_one_reminder_on_telegram(config: Config, clock: FakeClock) -> None:
    async with telegram_rig(config, clock) as rig:
        assert rig.app is not None
        leader = rig.user(100, "An")
        await leader.onboard()
        staff = rig.user(9000, "Cán bộ")
        await staff.send("/newclass 2026-12-05 08:00 | Lớp bồi dưỡng nhận thức về Đảng | Hội trường UBND xã | Tất cả")
        assert "Thứ Bảy, 05/12/2026, 08:00" in staff.text
        await staff.press("Tạo lớp và gửi lời mời")
        assert "Đã tạo lớp" in staff.text

        # No per-chat gap: it is tested in test_outbox.py, here it would only make the test wait a real second.
        outbox = Outbox(rig.app.services, rig.app.channels, {"tg": replace(settings_for(rig.config, "tg"), per_chat=0)})
        rig.app.components.append(outbox)
        await outbox.start()
        await deliver_all(rig, outbox)
        assert len(bot_texts(rig, 100, "Kính mời anh/chị")) == 1

        await leader.press("Tôi sẽ tham dự")  # the button of the delivered invitation
        assert "SẼ THAM DỰ" in leader.text
        counts = await classes.counts(rig.app.db, 1)
        assert (counts.yes, counts.none) == (1, 0)

        clock.current = START - timedelta(days=1)
        await send_due_reminders(rig.app.services)
        await deliver_all(rig, outbox)
        await send_due_reminders(rig.app.services)  # a second run of the job
        await deliver_all(rig, outbox)
        reminders = bot_texts(rig, 100, "Nhắc lịch")
        assert len(reminders) == 1 and "còn 1 ngày nữa" in reminders[0]

        await leader.press("Lưu vào lịch")
        documents = [c for c in rig.tg.calls if c.method == "sendDocument" and c.params.get("chat_id") == 100]
        assert documents and documents[-1].status == 200
        upload = documents[-1].files["document"]
        assert upload.filename == "lop-hoc-1.ics" and b"DTSTART:20261205T010000Z" in upload.data
