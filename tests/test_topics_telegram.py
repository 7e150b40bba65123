"""End to end on Telegram (fake Bot API over loopback): a leader reads a topic, takes its quiz,
sees the score; staff see the attempt in /results."""

from __future__ import annotations

from datetime import timedelta

from bot.clock import FakeClock
from bot.config import Config
from handlers.quiz import questions_by_id
from tests.telegram_rig import TelegramRig, TgUser, telegram_rig


def last_buttons(user: TgUser) -> list[dict[str, str]]:
    """The inline buttons of the user's last message that has some."""
    for message in reversed(user.messages):
        rows = (message.get("reply_markup") or {}).get("inline_keyboard", [])
        if rows:
            return [button for row in rows for button in row]
    raise AssertionError(f"no buttons in {user.text!r}")


async def answer(rig: TelegramRig, user: TgUser, clock: FakeClock, right: bool) -> None:
    """Press the right (or a wrong) option of the question in the last turn."""
    assert rig.app is not None
    question = next(q for q in questions_by_id(rig.app.content.quizzes).values() if q.text in user.text)
    buttons = [b for b in last_buttons(user) if b["callback_data"].startswith("qa:")]
    chosen = next(b for b in buttons if (b["text"] == question.right) == right)
    clock.advance(timedelta(seconds=5))
    await user.press_data(chosen["callback_data"])


async def test_read_quiz_and_results_through_telegram(config: Config, clock: FakeClock) -> None:
    async with telegram_rig(config, clock) as rig:
        assert rig.app is not None
        topic = rig.app.content.topics[0]
        an = rig.user(100, "An")
        await an.onboard()
        await an.press("Đọc 3 chuyên đề")
        await an.press(topic.label)
        await an.press("Đọc từ đầu")
        for _ in range(len(topic.sections) - 1):
            clock.advance(timedelta(seconds=20))
            await an.press("Đọc tiếp")
        assert f"Anh/chị đã đọc {len(topic.sections)}/{len(topic.sections)} phần" in an.text
        assert "đã đọc hết chuyên đề" in an.text
        await an.press("Làm bài kiểm tra chuyên đề này")
        assert "Câu 1/5" in an.text
        assert all(len(b["callback_data"].encode()) <= 64 for b in last_buttons(an))
        for right in (True, False, True, True, True):
            await answer(rig, an, clock, right)
            assert ("✅ Đúng rồi" if right else "❌ Chưa đúng") in an.text
        assert "Kết quả: 4/5 câu đúng" in an.text and "Rất tốt" in an.text
        assert "Mong muốn vào Đảng" in " ".join(an.labels)

        staff = rig.user(9000, "Cán bộ")
        await staff.send("/results")
        assert "1. Về Đảng và chi bộ: 1 lượt làm, 1 người" in staff.text and "đạt 100%" in staff.text
        await staff.press("Theo từng xã")
        assert "Xã Hương Khê: 1 người đăng ký" in staff.text and "Đã đạt: 1" in staff.text
