"""/broadcast through the real router and store, delivered by the outbox to an in-process fake channel."""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import timedelta

import pytest

from bot.app import App
from bot.clock import FakeClock, iso
from bot.model import Identity
from bot.outbox import ChannelSettings, Outbox
from bot.store import broadcasts, people
from handlers.broadcast import progress_job
from tests.chat import Chat
from tests.test_outbox_fakes import FakeChannel, add_leader, statuses

FAST = ChannelSettings(rate=0, per_chat=0, concurrency=4, idle_poll=0.02)
MESSAGE = "Mời các đồng chí dự hội nghị lúc 8 giờ sáng thứ Hai tại hội trường xã. 🙏"


@pytest.fixture
async def tg(app: App) -> AsyncIterator[FakeChannel]:
    """A fake Telegram channel with a running outbox."""
    channel = FakeChannel("tg")
    outbox = Outbox(app.services, {"tg": channel}, {"tg": FAST})
    await outbox.start()
    channel.outbox = outbox  # type: ignore[attr-defined]
    yield channel
    await outbox.stop()


async def drain(channel: FakeChannel) -> None:
    assert await channel.outbox.drain()  # type: ignore[attr-defined]


async def leaders(app: App) -> list[int]:
    return [
        await add_leader(app, 101, commune="Xã Hương Khê", role="truong_thon"),
        await add_leader(app, 102, commune="Xã Hương Khê", role="chi_doan"),
        await add_leader(app, 103, commune="Xã Phúc Trạch", role="truong_thon"),
    ]


async def compose(staff: Chat, audience: str = "Tất cả") -> None:
    await staff.send(f"/broadcast {MESSAGE}")
    await staff.press(audience)


async def test_non_staff_is_refused_and_nothing_is_sent(app: App, tg: FakeChannel) -> None:
    await leaders(app)
    leader = Chat(app, Identity("tg", "101"))
    await leader.send(f"/broadcast {MESSAGE}")
    assert "chỉ dành cho cán bộ" in leader.text
    await leader.send("thong bao")
    assert "chỉ dành cho cán bộ" in leader.text
    await leader.press_payload("bc:send")
    await drain(tg)
    assert await app.db.fetchval("SELECT COUNT(*) FROM broadcasts") == 0
    assert await app.db.fetchval("SELECT COUNT(*) FROM deliveries") == 0
    assert tg.sent == []


async def test_compose_preview_send_ack_and_report(app: App, staff: Chat, tg: FakeChannel) -> None:
    ids = await leaders(app)
    await staff.send("/broadcast")
    assert "gõ nội dung" in staff.text
    await staff.send(MESSAGE)
    assert "Gửi thông báo này cho ai" in staff.text
    await staff.press("Tất cả")
    assert MESSAGE in staff.text and "3 người" in staff.text
    await staff.press("Gửi ngay")
    assert "#1" in staff.text and "3 người" in staff.text
    await drain(tg)
    got = {s.address: s for s in tg.sent}
    assert {"101", "102", "103", "9000"} == set(got)
    assert got["101"].reply.text == MESSAGE
    assert [(o.label, o.payload) for o in got["101"].reply.options] == [("Đã nhận ✅", "ack:1")]
    assert "Thông báo #1" in got["9000"].reply.text  # the progress message, edited in place later

    first = Chat(app, Identity("tg", "101"))
    await first.press_payload("ack:1")
    assert "Cảm ơn" in first.text
    await first.press_payload("ack:1")
    assert "xác nhận thông báo này rồi" in first.text

    await progress_job(app.services)
    item = await broadcasts.get(app.db, 1)
    assert item is not None and item.finished_at is not None
    address, message_id, edited = tg.edits[-1]
    assert address == "9000" and message_id and "đã gửi xong" in edited.text and "Đã gửi: 3/3" in edited.text
    assert "Đã bấm “Đã nhận”: 1" in edited.text
    await drain(tg)
    done = tg.sent[-1]
    assert done.address == "9000" and "đã gửi xong" in done.reply.text
    await staff.press_payload(done.reply.options[0].payload)  # "Xem danh sách", a durable button
    assert "chưa bấm “Đã nhận” (2 người)" in staff.text
    unacked, acked = staff.text.split("chưa bấm “Đã nhận”")[1].split("✅ Đã bấm “Đã nhận” (1 người)")
    assert "Người 102" in unacked and "Người 103" in unacked and "Người 101" not in unacked
    assert "Người 101" in acked
    edits_before = len(tg.edits)
    await progress_job(app.services)  # finished: nothing more to edit
    assert len(tg.edits) == edits_before
    assert ids


async def test_staff_decide_to_send_again_where_delivery_is_unknown(app: App, staff: Chat, tg: FakeChannel) -> None:
    # A crash left two messages in doubt (`unknown`); one of those leaders pressed "Đã nhận" (so it
    # arrived). The report lists the other and offers to send again; the outbox never does alone.
    ids = await leaders(app)
    await compose(staff)
    await staff.press("Gửi ngay")
    await drain(tg)
    await app.db.execute("UPDATE deliveries SET status = 'unknown' WHERE kind = 'broadcast' AND person_id IN (?, ?)",
                         (ids[1], ids[2]))
    await Chat(app, Identity("tg", "103")).press_payload("ack:1")
    await progress_job(app.services)
    await staff.press_payload("bcr:1")
    assert "Chưa rõ tin đã đến hay chưa (1 người)" in staff.text
    doubtful = staff.text.split("❓")[1].split("⏳")[0]
    assert "Người 102" in doubtful and "Người 103" not in doubtful
    sent_before = len(tg.sent)
    await staff.press("Gửi lại cho 1 người")
    assert "1 người chưa rõ" in staff.text
    await drain(tg)
    again = [s.address for s in tg.sent[sent_before:] if s.reply.text == MESSAGE]
    assert again == ["102"]
    assert await statuses(app, "broadcast") == {"sent": 2, "unknown": 1}  # 103's stays: "Đã nhận" proves it
    await staff.press_payload("bcu:1")  # pressed again later: nothing left to send
    assert "không còn người nào chưa rõ" in staff.text
    await drain(tg)
    assert [s.address for s in tg.sent[sent_before:] if s.reply.text == MESSAGE] == ["102"]
    leader = Chat(app, Identity("tg", "101"))
    await leader.press_payload("bcu:1")
    assert "chỉ dành cho cán bộ" in leader.text


async def test_acks_are_checked_against_what_the_person_was_sent(app: App, staff: Chat, tg: FakeChannel) -> None:
    await leaders(app)
    outsider = await add_leader(app, 200, commune="Xã Hương Đô")
    await compose(staff, "Theo xã")
    await staff.press("Phúc Trạch")
    assert "1 người" in staff.text
    await staff.press("Gửi ngay")
    await drain(tg)
    assert sorted(s.address for s in tg.sent) == ["103", "9000"]
    other = Chat(app, Identity("tg", "200"))
    for forged in ("ack:1", "ack:999", "ack:abc", "ack:"):
        await other.press_payload(forged)
        assert "không tìm thấy" in other.text.lower()
    assert await app.db.fetchval("SELECT COUNT(*) FROM broadcast_acks") == 0
    assert outsider


async def test_audiences_select_the_right_people(app: App, clock: FakeClock) -> None:
    a, b, c = await leaders(app)
    unregistered, _ = await people.touch(app.db, Identity("tg", "300"), "X", iso(clock.now()))
    stopped = await add_leader(app, 104)
    await people.set_stopped(app.db, stopped, True)
    now = clock.now()

    async def chosen(audience: dict[str, str]) -> list[int]:
        return (await broadcasts.select(app.db, audience, now)).ids

    everyone = await broadcasts.select(app.db, {"kind": "all"}, now)
    assert everyone.ids == [a, b, c] and everyone.stopped == 1 and unregistered.id not in everyone.ids
    assert await chosen({"kind": "commune", "value": "Xã Hương Khê"}) == [a, b]
    assert await chosen({"kind": "role", "value": "truong_thon"}) == [a, c]
    await app.db.execute(
        "INSERT INTO quiz_attempts (person_id, quiz, questions, total, status, started_at)"
        " VALUES (?, 'mix', '[]', 5, 'done', ?), (?, 'mix', '[]', 5, 'open', ?)", (a, iso(now), b, iso(now)))
    assert await chosen({"kind": "no_quiz"}) == [b, c]
    later = iso(now + timedelta(days=3))
    class_id = await app.db.execute(
        "INSERT INTO classes (title, place, starts_at, reminders_from, created_at, updated_at)"
        " VALUES ('Lớp 1', 'Hội trường', ?, ?, ?, ?)", (later, iso(now), iso(now), iso(now)))
    await app.db.execute(
        "INSERT INTO class_invitees (class_id, person_id, rsvp, invited_at) VALUES (?, ?, NULL, ?), (?, ?, 'yes', ?)",
        (class_id, a, iso(now), class_id, c, iso(now)))
    assert await chosen({"kind": "no_rsvp"}) == [a]
    assert await broadcasts.audience_kinds(app.db) == ["all", "commune", "role", "no_quiz", "no_rsvp"]


async def test_role_audience_through_the_buttons(app: App, staff: Chat, tg: FakeChannel) -> None:
    await leaders(app)
    await compose(staff, "Theo chức danh")
    await staff.press("Bí thư/Trưởng chi đoàn")
    assert "1 người" in staff.text
    await staff.press("Gửi ngay")
    await drain(tg)
    assert sorted(s.address for s in tg.sent) == ["102", "9000"]


async def test_scheduled_broadcast_waits_and_can_be_cancelled(
    app: App, staff: Chat, tg: FakeChannel, clock: FakeClock,
) -> None:
    await leaders(app)
    await compose(staff)
    await staff.press("Hẹn giờ")
    await staff.send("25 giờ")
    assert "chưa hiểu" in staff.text
    await staff.send("07:30 05/12")  # the clock says 08:00 on 01/12 (Asia/Ho_Chi_Minh)
    assert "07:30 05/12/2026" in staff.text and MESSAGE in staff.text
    await staff.send("ok")  # typed on the preview: the preview again, time kept
    assert "bấm một nút" in staff.text and "07:30 05/12/2026" in staff.text
    await staff.press("Hẹn gửi lúc")
    assert "Đã hẹn gửi thông báo #1" in staff.text
    await drain(tg)
    assert tg.sent == []
    clock.advance(timedelta(days=4))
    await drain(tg)
    assert sorted(s.address for s in tg.sent) == ["101", "102", "103", "9000"]

    await compose(staff)
    await staff.press("Hẹn giờ")
    await staff.send("20:00")
    await staff.press("Hẹn gửi lúc")
    await staff.send("/broadcast status")
    assert any("#2" in label for label in staff.labels)
    await staff.press("Hủy hẹn #2")
    assert "Đã hủy thông báo #2" in staff.text and "4 tin" in staff.text
    clock.advance(timedelta(days=1))
    await drain(tg)
    assert len(tg.sent) == 4
    assert await statuses(app, "broadcast") == {"sent": 3, "skipped": 3}


async def test_stop_during_a_broadcast_is_honoured(app: App, staff: Chat, clock: FakeClock) -> None:
    await leaders(app)
    await compose(staff)
    await staff.press("Gửi ngay")
    leader = Chat(app, Identity("tg", "102"))
    await leader.send("/stop")  # after the broadcast was queued, before it is sent
    channel = FakeChannel("tg")
    outbox = Outbox(app.services, {"tg": channel}, {"tg": FAST})
    await outbox.start()
    try:
        assert await outbox.drain()
    finally:
        await outbox.stop()
    assert sorted(s.address for s in channel.sent) == ["101", "103", "9000"]
    assert await statuses(app, "broadcast") == {"sent": 2, "skipped": 1}


async def test_bad_input_gets_a_polite_answer(app: App, staff: Chat) -> None:
    await staff.send("/broadcast")
    await staff.send("🎉🎉🎉")
    assert "cần có chữ" in staff.text
    await staff.send_media("photo")
    assert "bằng chữ" in staff.text
    await staff.send("a" * 3001)
    assert "3001 ký tự" in staff.text
    await staff.send("Họp chi bộ")
    await staff.press_payload("bc:aud:nonsense")  # forged: not among the buttons shown
    assert "cũ" in staff.text
    await staff.send("/broadcast Họp chi bộ")
    await staff.send("gửi luôn đi")  # typed instead of pressing a button
    assert "bấm một nút" in staff.text and "Tất cả" in " ".join(staff.labels)
    await staff.press("Tất cả")
    assert "Hiện không có ai" in staff.text  # no registered leader yet
    await staff.press("Hủy")
    assert "không gửi" in staff.text
    await staff.press_payload("bc:send")  # a stale button after cancelling
    assert "cũ" in staff.text
    assert await app.db.fetchval("SELECT COUNT(*) FROM broadcasts") == 0


async def test_a_double_press_of_send_sends_once(app: App, staff: Chat, tg: FakeChannel) -> None:
    await leaders(app)
    await compose(staff)
    send = staff.option("Gửi ngay").payload
    await staff.press_payload(send)
    await staff.press_payload(send)
    await drain(tg)
    assert await app.db.fetchval("SELECT COUNT(*) FROM broadcasts") == 1
    assert sorted(s.address for s in tg.sent) == ["101", "102", "103", "9000"]


async def test_schedule_times_typed_in_vietnamese(app: App, staff: Chat) -> None:
    """The clock says 08:00 on Tuesday 01/12/2026 (Asia/Ho_Chi_Minh); one shared parser reads every form."""
    await leaders(app)
    cases = {
        "2026-12-05 08:00": "08:00 05/12/2026",
        "2 giờ chiều 05/12": "14:00 05/12/2026",
        "lúc 7 giờ tối": "19:00 01/12/2026",
        "7 gio toi mai": "19:00 02/12/2026",
        "thứ bảy 8h30": "08:30 05/12/2026",
        "05/12/26 8h": "08:00 05/12/2026",
    }
    for typed, shown in cases.items():
        await compose(staff)
        await staff.press("Hẹn giờ")
        await staff.send(typed)
        assert shown in staff.text, (typed, staff.text)
    for typed, expected in {"01/11/2026 8h": "đã qua", "31/02 8h": "chưa hiểu", "   ": "chưa hiểu",
                            "25:00": "chưa hiểu"}.items():
        await compose(staff)
        await staff.press("Hẹn giờ")
        await staff.send(typed)
        assert expected in staff.text, (typed, staff.text)
