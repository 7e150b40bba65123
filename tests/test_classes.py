"""Classes through the real router and store: /newclass (one line and guided), invitations in the
outbox, RSVP and reasons, staff counts, edits with a version check, cancellation, .ics, bad input."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from bot.app import App, open_app
from bot.clock import FakeClock
from bot.config import Config
from bot.model import Identity
from bot.store import classes, people
from tests.chat import Chat

PLAIN_LINE = "/newclass 2026-12-05 08:00 | Lớp bồi dưỡng nhận thức về Đảng | Hội trường UBND xã"
ONE_LINE = PLAIN_LINE + " | Tất cả"


async def onboarded(app: App, n: int, commune: str = "Hương Khê", role: str = "Trưởng thôn",
                    name: str | None = None) -> Chat:
    """A registered leader on Telegram (tg:100+n)."""
    chat = Chat(app, Identity("tg", str(100 + n)))
    await chat.onboard(name=name or f"Nguyễn Văn {chr(65 + n)}", commune=commune, hamlet=f"Thôn {n}", role=role)
    return chat


async def make_class(staff: Chat, line: str = ONE_LINE) -> int:
    """Create a class with the one-line form and confirm it; return its id."""
    await staff.send(line)
    assert "Xin kiểm tra lại" in staff.text, staff.text
    await staff.press("Tạo lớp và gửi lời mời")
    assert "Đã tạo lớp" in staff.text, staff.text
    return int(await staff.app.db.fetchval("SELECT max(id) FROM classes"))


async def rows(app: App, kind: str) -> list[dict[str, object]]:
    """Delivery rows of one kind, as dicts with the payload decoded."""
    found = await app.db.fetchall("SELECT * FROM deliveries WHERE kind = ? ORDER BY id", (kind,))
    return [{**dict(r), "payload": json.loads(r["payload"])} for r in found]


async def test_one_line_class_invites_registered_leaders_through_the_outbox(app: App, staff: Chat) -> None:
    a = await onboarded(app, 1)
    b = await onboarded(app, 2, commune="Phúc Trạch")
    await Chat(app, Identity("tg", "555")).send("/start")  # not registered: not invited
    await staff.send(ONE_LINE)
    assert "Thứ Bảy, 05/12/2026, 08:00" in staff.text and "Hội trường UBND xã" in staff.text
    assert "hiện có 2 người" in staff.text
    assert await rows(app, "invitation") == []  # nothing sent before confirming
    await staff.press("Tạo lớp và gửi lời mời")
    assert "2 người" in staff.text
    invitations = await rows(app, "invitation")
    pa, pb = [await people.by_identity(app.db, c.identity) for c in (a, b)]
    assert {r["person_id"] for r in invitations} == {pa.id, pb.id}  # type: ignore[union-attr]
    first = invitations[0]
    assert first["ref"] == "class:1" and first["status"] == "pending"
    payload = first["payload"]
    assert isinstance(payload, dict)
    assert "Thứ Bảy, 05/12/2026, 08:00" in str(payload["text"])
    assert ["✅ Tôi sẽ tham dự", "cls:y:1"] in payload["options"]
    klass = await classes.get(app.db, 1)
    assert klass is not None and klass.starts_at.isoformat() == "2026-12-05T01:00:00+00:00"  # 08:00 in Hà Nội


async def test_rsvp_from_the_invitation_button_changes_the_counts(app: App, staff: Chat) -> None:
    a = await onboarded(app, 1)
    b = await onboarded(app, 2)
    c = await onboarded(app, 3)
    class_id = await make_class(staff)
    await a.send("/menu")
    await a.press_payload(f"cls:y:{class_id}")  # durable: pressed in the outbox message, not the last menu
    assert "SẼ THAM DỰ" in a.text and "Thứ Bảy, 05/12/2026, 08:00" in a.text
    await b.press_payload(f"cls:n:{class_id}")
    assert "lý do" in b.text
    await b.send("Con ốm, phải đưa đi viện 🙏")
    assert "đã ghi lại lý do" in b.text
    counts = await classes.counts(app.db, class_id)
    assert (counts.invited, counts.yes, counts.no, counts.none) == (3, 1, 1, 1)

    await staff.send("/classes")
    assert "Mời 3 · Tham dự 1 · Không 1 · Chưa trả lời 1" in staff.text
    assert "Chưa trả lời: Nguyễn Văn D (Thôn 3)" in staff.text  # who to call, right in the overview
    await staff.press("1. Xem lớp")
    assert "Chưa trả lời (1)" in staff.text and "Nguyễn Văn D" in staff.text  # c: the one to call
    assert "Con ốm, phải đưa đi viện" in staff.text
    # a leader changes their mind before the start
    await a.send("/classes")
    assert "SẼ THAM DỰ" in a.text
    await a.press("Tôi không tham dự được")
    await a.press("Bỏ qua")
    await c.send("/classes")
    await c.press("Tôi sẽ tham dự")
    counts = await classes.counts(app.db, class_id)
    assert (counts.yes, counts.no, counts.none) == (1, 2, 0)


async def test_rsvp_is_closed_at_the_start_and_for_others(app: App, staff: Chat, clock: FakeClock) -> None:
    a = await onboarded(app, 1)
    class_id = await make_class(staff, PLAIN_LINE + " | Phúc Trạch")
    outsider = a  # a lives in Hương Khê; the class is for Phúc Trạch only
    await outsider.press_payload(f"cls:y:{class_id}")
    assert "không dành cho anh/chị" in outsider.text
    for forged in ("cls:y:999", "cls:y:abc", "cls:zz:1", "cls:y:" + "9" * 40, "cls:y:²", "cls:in:-1"):
        await outsider.press_payload(forged)
        assert "lịch" in outsider.text or "đã cũ" in outsider.text
    b = await onboarded(app, 2, commune="Phúc Trạch")
    await b.send("/classes")  # registered after the class was planned: invited when they look
    assert "05/12/2026" in b.text
    clock.advance(timedelta(days=4))  # 05/12 09:00 local: the class has started
    await b.press_payload(f"cls:y:{class_id}")
    assert "đã bắt đầu" in b.text


async def test_guided_newclass_with_topics_and_one_commune(app: App, staff: Chat) -> None:
    a = await onboarded(app, 1, commune="Hương Khê")
    await onboarded(app, 2, commune="Hà Linh")
    await staff.send("/newclass")
    assert "ngày nào" in staff.text
    await staff.press("04/12")  # Friday, a date button
    await staff.send("25:00")
    assert "chưa hiểu giờ" in staff.text
    await staff.send("lúc 7 giờ 30 sáng")
    await staff.press("Lớp bồi dưỡng nhận thức về Đảng")
    await staff.send("🙂")
    assert "Cần gõ chữ" in staff.text
    await staff.send("Nhà văn hóa thôn 1")
    if app.content.topics:
        assert "chuyên đề" in staff.text
        await staff.press(app.content.topics[0].label)
        assert "☑️" in " ".join(staff.labels)
        await staff.press("Xong")
    await staff.press("Chọn một hoặc vài xã")
    await staff.press("Xong")
    assert "chưa chọn xã" in staff.text
    await staff.press("Hương Khê")
    await staff.press("Xong")
    assert "Thứ Sáu, 04/12/2026, 07:30" in staff.text and "Xã Hương Khê" in staff.text
    assert "hiện có 1 người" in staff.text
    await staff.press("Tạo lớp")
    invitations = await rows(app, "invitation")
    pa = await people.by_identity(app.db, a.identity)
    assert [r["person_id"] for r in invitations] == [pa.id]  # type: ignore[union-attr]
    if app.content.topics:
        assert app.content.topics[0].label in str(invitations[0]["payload"]["text"])  # type: ignore[index]


async def test_role_audience(app: App, staff: Chat) -> None:
    await onboarded(app, 1, role="Trưởng thôn")
    b = await onboarded(app, 2, role="Chi hội trưởng")
    await staff.send("/newclass")
    await staff.send("10/12/2026")
    await staff.send("14:00")
    await staff.send("Lớp chi hội trưởng")
    await staff.send("Hội trường xã")
    if app.content.topics:
        await staff.press("Xong")
    await staff.press("Theo chức danh")
    await staff.press("Chi hội trưởng")
    await staff.press("Cả tỉnh")  # a province admin: the role everywhere (or in chosen communes)
    assert "chức danh Chi hội trưởng" in staff.text and "hiện có 1 người" in staff.text
    await staff.press("Tạo lớp")
    pb = await people.by_identity(app.db, b.identity)
    assert [r["person_id"] for r in await rows(app, "invitation")] == [pb.id]  # type: ignore[union-attr]


async def test_bad_class_input_says_what_to_fix(app: App, staff: Chat) -> None:
    cases = {
        "/newclass 2026-11-20 08:00 | Lớp | Hội trường": "đã qua",
        "/newclass 31/02/2027 08:00 | Lớp học | Hội trường": "không có trên lịch",
        "/newclass 2026-12-05 25:00 | Lớp học | Hội trường": "chưa hiểu giờ",
        "/newclass 2026-12-05 08:00 | Lớp học": "thiếu địa điểm",
        "/newclass 2026-12-05 08:00": "thiếu tên lớp",
        "/newclass 2026-12-05 | Lớp học | Hội trường": "thiếu giờ",
        "/newclass hôm nay | Lớp học | Hội trường": "thiếu giờ",
            "/newclass hôm qua 8h | Lớp học | Hội trường": "chưa hiểu ngày",
        "/newclass 2026-12-05 08:00 | Lớp học | Hội trường | Xã Atlantis": "Không có xã, phường “Xã Atlantis”",
    }
    for line, expected in cases.items():
        await staff.send(line)
        assert expected in staff.text, (line, staff.text)
    await staff.send("/newclass")
    await staff.send("31/02/2027")
    assert "không có trên lịch" in staff.text
    await staff.send("30/11/2026")
    assert "đã qua" in staff.text
    await staff.send("01/12/2026")  # today, but 07:00 has passed (it is 08:00 in Hà Nội)
    await staff.send("7:00")
    assert "đã qua" in staff.text and "ngày nào" in staff.text
    assert await app.db.fetchval("SELECT count(*) FROM classes") == 0


async def test_leaders_cannot_create_classes(app: App) -> None:
    a = await onboarded(app, 1)
    await a.send(ONE_LINE)
    assert "chỉ dành cho cán bộ" in a.text
    await a.press_payload("cla:ok")
    assert "chỉ dành cho cán bộ" in a.text or "đã cũ" in a.text
    assert await app.db.fetchval("SELECT count(*) FROM classes") == 0


async def test_edit_notifies_everyone_once_and_a_second_editor_is_told(config: Config, clock: FakeClock) -> None:
    cfg = replace(config, admins=config.admins | {Identity("tg", "9001")})
    app = await open_app(cfg, clock=clock)
    try:
        first, second = Chat(app, Identity("tg", "9000")), Chat(app, Identity("tg", "9001"))
        await onboarded(app, 1)
        class_id = await make_class(first)
        for editor in (first, second):
            await editor.send("/classes")
            await editor.press("1. Xem lớp")
            await editor.press("Đổi địa điểm")
        await first.send("Nhà văn hóa thôn 2")
        await second.send("Hội trường mới")
        await first.press("Lưu và báo mọi người")
        assert "Đã lưu thay đổi" in first.text
        await second.press("Lưu và báo mọi người")
        assert "đã có người sửa" in second.text and "Nhà văn hóa thôn 2" in second.text
        klass = await classes.get(app.db, class_id)
        assert klass is not None and (klass.place, klass.version) == ("Nhà văn hóa thôn 2", 2)
        changes = await rows(app, "class_change")
        assert [r["ref"] for r in changes] == [f"class:{class_id}:v2"]
        # the time: typed in a bad way first, then right
        await first.send("/classes")
        await first.press("1. Xem lớp")
        await first.press("Đổi ngày giờ")
        await first.send("06/12/2026")
        assert "thiếu giờ" in first.text
        await first.send("06/12/2026 1 giờ 30 chiều")
        assert "Chủ Nhật, 06/12/2026, 13:30" in first.text
        await first.press("Lưu")
        assert [r["ref"] for r in await rows(app, "class_change")] == [f"class:{class_id}:v2", f"class:{class_id}:v3"]
    finally:
        await app.close()


async def test_cancel_tells_everyone_and_rsvp_then_gets_a_polite_reply(app: App, staff: Chat) -> None:
    a = await onboarded(app, 1)
    class_id = await make_class(staff)
    await staff.send("/classes")
    await staff.press("1. Xem lớp")
    await staff.press("Hủy lớp")
    assert "chắc chắn HỦY" in staff.text
    await staff.press("Hủy lớp")
    assert "Đã hủy lớp" in staff.text
    assert [r["ref"] for r in await rows(app, "class_cancel")] == [f"class:{class_id}"]
    # the invitation was never sent: it is skipped, not delivered after the cancellation
    assert [r["status"] for r in await rows(app, "invitation")] == ["skipped"]
    await a.press_payload(f"cls:y:{class_id}")
    assert "đã bị hủy" in a.text
    await staff.send("/classes")
    assert "ĐÃ HỦY" in staff.text


async def test_calendar_file(app: App, staff: Chat) -> None:
    a = await onboarded(app, 1)
    class_id = await make_class(staff)
    await a.send("/classes")
    await a.press("Lưu vào lịch")
    attachment = a.replies[0].attachment
    assert attachment is not None and attachment.filename == f"lop-hoc-{class_id}.ics"
    text = attachment.data.decode()
    assert text.startswith("BEGIN:VCALENDAR\r\n") and "DTSTART:20261205T010000Z" in text
    assert "DTEND:20261205T050000Z" in text and "LOCATION:Hội trường UBND xã" in text
    assert all(len(line.encode()) <= 75 for line in text.split("\r\n"))


async def test_delete_me_removes_invitations(app: App, staff: Chat) -> None:
    a = await onboarded(app, 1)
    class_id = await make_class(staff)
    await a.press_payload(f"cls:y:{class_id}")
    await a.send("/delete_me")
    await a.press("Xóa hết")
    assert await app.db.fetchval("SELECT count(*) FROM class_invitees") == 0
    await staff.send("/classes")
    assert "Mời 0" in staff.text


async def test_someone_registering_later_gets_the_invitation_once(app: App, staff: Chat, clock: FakeClock) -> None:
    from handlers.classes import invite_latecomers

    await onboarded(app, 1)
    class_id = await make_class(staff, PLAIN_LINE + " | Hương Khê")
    clock.advance(timedelta(hours=3))
    late = await onboarded(app, 2, commune="Hương Khê")
    await onboarded(app, 3, commune="Hà Linh")  # not in the audience
    await invite_latecomers(app.services)
    await invite_latecomers(app.services)  # the job run twice
    person = await people.by_identity(app.db, late.identity)
    invitations = await rows(app, "invitation")
    assert len(invitations) == 2 and invitations[-1]["person_id"] == person.id  # type: ignore[union-attr]
    assert (await classes.counts(app.db, class_id)).invited == 2
    await late.press_payload(f"cls:y:{class_id}")
    assert "SẼ THAM DỰ" in late.text


def test_ics_escapes_text_and_folds_long_lines_without_cutting_characters() -> None:
    from datetime import UTC, datetime

    from bot.calendar import CalendarEvent, ics

    start = datetime(2026, 12, 5, 1, tzinfo=UTC)
    event = CalendarEvent("class-9@caunoi", start, start + timedelta(hours=4), "Lớp; khóa 1, đợt 2 " * 6,
                          "Hội trường\nUBND xã", cancelled=True, sequence=3)
    data = ics(event, start)
    text = data.decode("utf-8")  # folding never splits a multi-byte character
    assert all(len(line) <= 75 for line in data.split(b"\r\n"))
    unfolded = text.replace("\r\n ", "")
    assert "SUMMARY:" + "Lớp\\; khóa 1\\, đợt 2 " * 6 in unfolded
    assert "LOCATION:Hội trường\\nUBND xã" in unfolded
    assert "METHOD:CANCEL" in text and "STATUS:CANCELLED" in text and "SEQUENCE:3" in text


async def test_date_examples_are_a_week_ahead_of_today(app: App, staff: Chat, clock: FakeClock) -> None:
    # A fixed example ("05/12/2026") would soon name a day that is past, and typing it be refused.
    week_ahead = (clock.now().astimezone(app.config.tz).date() + timedelta(days=7)).strftime("%d/%m/%Y")
    await staff.send("/newclass")
    assert f"ví dụ {week_ahead}" in staff.text
    await staff.send("hôm nào đó")
    assert "chưa hiểu ngày" in staff.text and f"ví dụ {week_ahead}" in staff.text
    clock.advance(timedelta(days=30))
    await staff.send("/newclass")
    later = (clock.now().astimezone(app.config.tz).date() + timedelta(days=7)).strftime("%d/%m/%Y")
    assert later != week_ahead and f"ví dụ {later}" in staff.text
