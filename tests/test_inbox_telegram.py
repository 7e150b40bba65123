"""End to end on Telegram (fake Bot API over loopback): a leader sends a voice note as feedback;
staff open it from /inbox and the bot passes the same file on to them by its file id."""

from __future__ import annotations

from bot.clock import FakeClock
from bot.config import Config
from tests.telegram_rig import telegram_rig


async def test_staff_hear_a_leaders_voice_note(config: Config, clock: FakeClock) -> None:
    async with telegram_rig(config, clock) as rig:
        an = rig.user(100, "An")
        await an.onboard()
        await an.send("/feedback")
        await an.press("Khó khăn")
        await an.send_update(rig.tg.voice(100))
        await an.press("Gửi")
        assert "Đã gửi (mã số #1)" in an.text

        staff = rig.user(9000, "Cán bộ")
        await staff.send("/inbox")
        await staff.press("Mở #1")
        assert "Kèm theo: 1" in staff.text
        await staff.press("Xem tệp 1")
        voices = [c for c in rig.tg.calls if c.method == "sendVoice" and c.status == 200]
        assert len(voices) == 1 and voices[0].params["chat_id"] == 9000
        assert voices[0].params["voice"] in rig.tg.files  # the leader's own file, passed on by id
        assert "Tệp 1 của mục #1" in staff.text
