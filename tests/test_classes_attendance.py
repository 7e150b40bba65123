"""Attendance: the check-in window with a code (right code accepted, wrong code refused, closed
window), staff marking per commune, and the attendance list with absentees."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from bot.app import App
from bot.clock import FakeClock
from bot.store import classes
from tests.chat import Chat
from tests.test_classes import make_class, onboarded

START = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)


async def open_checkin(staff: Chat) -> str:
    """Staff open the check-in window of the first class; return the code shown."""
    await staff.send("/classes")
    await staff.press("1. Xem lớp")
    await staff.press("Mở điểm danh bằng mã")
    match = re.search(r"Mã điểm danh: (\d{4})", staff.text)
    assert match, staff.text
    return match.group(1)


async def test_check_in_with_the_code(app: App, staff: Chat, clock: FakeClock) -> None:
    a = await onboarded(app, 1)
    b = await onboarded(app, 2)
    class_id = await make_class(staff)
    clock.current = START - timedelta(hours=3)
    await staff.send("/classes")
    await staff.press("1. Xem lớp")
    await staff.press("Mở điểm danh bằng mã")
    assert "1 giờ trước giờ học" in staff.text  # too early
    await a.send("/checkin")
    assert "không có lớp nào" in a.text

    clock.current = START - timedelta(minutes=20)
    code = await open_checkin(staff)
    await a.send("/classes")
    assert "Tôi đã có mặt" in " ".join(a.labels)
    await a.press("Tôi đã có mặt")
    assert "mã số điểm danh" in a.text
    wrong = str(int(code) + 1 if code != "9999" else 1000)
    await a.send(wrong)
    assert "Mã chưa đúng" in a.text and "còn 4 lần" in a.text
    await a.send(" ".join(code))  # "1 2 3 4" typed with spaces still counts
    assert "Đã điểm danh" in a.text
    await a.send("/checkin")
    assert "đã điểm danh có mặt" in a.text

    # b guesses from home: five wrong codes lock them out
    await b.send("điểm danh")
    for attempt in range(5):
        await b.send(str(1000 + (int(code) - 1000 + attempt + 1) % 9000))
    assert "sai mã nhiều lần" in b.text
    await b.send(code)  # no longer in the check-in step
    invitee = await classes.invitation_of(app.db, class_id, (await classes.invitees(app.db, class_id))[1].person_id)
    assert invitee is not None and not invitee.attended

    # the window closes after the class
    clock.current = START + timedelta(hours=5)
    await b.send("/checkin")
    assert "không có lớp nào" in b.text
    counts = await classes.counts(app.db, class_id)
    assert counts.attended == 1


async def test_a_forged_check_in_needs_an_open_window(app: App, staff: Chat, clock: FakeClock) -> None:
    a = await onboarded(app, 1)
    class_id = await make_class(staff)
    clock.current = START
    await a.press_payload(f"cls:in:{class_id}")
    assert "chưa mở điểm danh" in a.text
    code = await open_checkin(staff)
    await a.press_payload(f"cls:in:{class_id}")
    await staff.press("Đóng điểm danh")
    await a.send(code)  # staff closed the window in between
    assert "chưa mở điểm danh" in a.text


async def test_staff_mark_attendance_by_commune_and_see_absentees(app: App, staff: Chat, clock: FakeClock) -> None:
    await onboarded(app, 1, commune="Hương Khê", name="Lê Văn Một")
    await onboarded(app, 2, commune="Hương Khê", name="Lê Văn Hai")
    c = await onboarded(app, 3, commune="Phúc Trạch", name="Trần Thị Ba")
    class_id = await make_class(staff)
    await c.press_payload(f"cls:n:{class_id}")
    await c.send("Đi công tác")
    clock.current = START + timedelta(hours=1)
    await staff.send("/classes")
    await staff.press("1. Xem lớp")
    await staff.press("Điểm danh theo xã")
    assert "Xã Hương Khê (0/2)" in staff.labels and "Xã Phúc Trạch (0/1)" in staff.labels
    await staff.press("Xã Hương Khê")
    await staff.press("Lê Văn Một")
    assert "☑️ Lê Văn Một (Thôn 1)" in staff.labels and "⬜ Lê Văn Hai (Thôn 2)" in staff.labels
    await staff.press("Lê Văn Hai")
    await staff.press("Lê Văn Hai")  # pressed twice by mistake: unmarked again
    await staff.press("Chọn xã khác")
    assert "Xã Hương Khê (1/2)" in staff.labels
    await staff.press_payload(f"att:t:{class_id}:99999:0:0")  # forged: not among the buttons shown
    assert "đã cũ" in staff.text
    await staff.send("/classes")
    await staff.press("1. Xem lớp")
    await staff.press("Danh sách có mặt")
    assert "Có mặt 1/3" in staff.text and "Có mặt (1)" in staff.text and "Vắng (2)" in staff.text
    assert "Lê Văn Hai" in staff.text and "Trần Thị Ba" in staff.text and "Đi công tác" in staff.text


async def test_leaders_cannot_reach_attendance(app: App, staff: Chat) -> None:
    a = await onboarded(app, 1)
    class_id = await make_class(staff)
    await a.press_payload(f"att:t:{class_id}:1:0:0")
    assert "chỉ dành cho cán bộ" in a.text or "đã cũ" in a.text
    assert (await classes.counts(app.db, class_id)).attended == 0
