"""Voices with the other features: the answer delivered by the outbox; quiz results on /admission."""

from __future__ import annotations

import pytest

from bot.app import App
from bot.store import people
from tests.chat import Chat
from tests.test_inbox import answer_aspiration_yes, send_feedback

outbox = pytest.importorskip("bot.outbox")
learning = pytest.importorskip("bot.store.learning")
fakes = pytest.importorskip("tests.test_outbox_fakes")


async def test_the_leader_receives_the_answer(app: App, leader: Chat, staff: Chat) -> None:
    await leader.onboard()
    await send_feedback(leader, "Khó khăn", "Đường vào thôn bị sạt lở")
    await staff.send("/inbox")
    await staff.press("Mở #1")
    await staff.press("Trả lời")
    await staff.send("Xã đã báo đơn vị sửa trong tuần này.")
    await staff.press("Gửi")
    channel = fakes.FakeChannel("tg")
    settings = outbox.ChannelSettings(rate=0, per_chat=0, concurrency=1, idle_poll=0.02, backoff=5.0)
    box = outbox.Outbox(app.services, {"tg": channel}, {"tg": settings})
    await box.start()
    try:
        assert await box.drain()
    finally:
        await box.stop()
    assert [s.address for s in channel.sent] == [leader.identity.address]
    sent = channel.sent[0].reply
    assert "Xã đã báo đơn vị sửa trong tuần này." in sent.text and "Đường vào thôn bị sạt lở" in sent.text
    assert await app.db.fetchval("SELECT status FROM deliveries WHERE kind = 'answer'") == "sent"
    # The leader's button in that message opens their items with the answer.
    leader.replies = [sent]
    await leader.press("Xem các góp ý của tôi")
    assert "Xã đã báo đơn vị sửa" in leader.text


async def test_admission_list_shows_quiz_results(app: App, leader: Chat, staff: Chat) -> None:
    await leader.onboard()
    await answer_aspiration_yes(leader)
    person = await people.by_identity(app.db, leader.identity)
    assert person is not None
    await staff.send("/admission")
    await staff.press("Xã Hương Khê")
    assert "Bài kiểm tra: chưa làm bài nào" in staff.text
    for score in (3, 4):
        questions = [(f"q{i}", [0, 1, 2]) for i in range(5)]
        attempt = await learning.start_attempt(app.db, person.id, "mix", questions, "2026-12-01T01:00:00.000000Z")
        for position in range(5):
            attempt = await learning.record_answer(app.db, attempt, position, 0, position < score,
                                                   "2026-12-01T01:05:00.000000Z")
    await staff.send("/admission")
    await staff.press("Xã Hương Khê")
    assert "Bài kiểm tra: đã làm 2 lần, cao nhất 4/5 câu đúng" in staff.text
