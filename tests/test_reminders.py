"""Reminders with the FakeClock: each offset exactly once, across a second run of the job and a
restart, only those that still make sense, moved by edits, stopped by cancellation."""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

import pytest

from bot.app import App, open_app
from bot.clock import FakeClock
from bot.config import Config
from bot.model import Identity
from bot.store import classes, people
from handlers.classes import send_due_reminders
from tests.chat import Chat
from tests.test_classes import ONE_LINE, make_class, onboarded, rows

START = datetime(2026, 12, 5, 1, 0, tzinfo=UTC)  # 05/12/2026 08:00 in Hà Nội


async def reminder_refs(app: App) -> list[tuple[str, int, str]]:
    """(ref, person id, status) of every reminder row."""
    return [(str(r["ref"]), int(r["person_id"]), str(r["status"]))  # type: ignore[call-overload]
            for r in await rows(app, "reminder")]


async def tick(app: App) -> None:
    """One run of the periodic job, as the scheduler would do it."""
    await send_due_reminders(app.services)


async def test_each_offset_fires_once_also_across_a_restart(config: Config, clock: FakeClock) -> None:
    app = await open_app(config, clock=clock)
    try:
        day_ref, class_id = await _first_day(app, clock)
    finally:
        await app.close()

    # a restart: a new application on the same database, the clock a little later
    clock.advance(timedelta(minutes=5))
    app = await open_app(config, clock=clock)
    try:
        await tick(app)
        assert len(await reminder_refs(app)) == 2
        clock.current = START - timedelta(hours=2)
        await tick(app)
        clock.advance(timedelta(seconds=30))
        await tick(app)
        refs = [r[0] for r in await reminder_refs(app)]
        assert sorted(refs) == sorted([day_ref, day_ref, f"reminder:{class_id}:7200:1",
                                       f"reminder:{class_id}:7200:1"])
        klass = await classes.get(app.db, class_id)
        assert klass is not None and klass.next_reminder_at is None  # nothing left: the idle query skips it
        clock.current = START + timedelta(hours=1)
        await tick(app)
        assert len(await reminder_refs(app)) == 4
    finally:
        await app.close()


async def _first_day(app: App, clock: FakeClock) -> tuple[str, int]:
    """A class with four leaders (coming, declined, /stop-ped, silent) up to its 1-day reminder."""
    staff = Chat(app, Identity("tg", "9000"))
    coming = await onboarded(app, 1)
    declined = await onboarded(app, 2)
    stopped = await onboarded(app, 3)
    silent = await onboarded(app, 4)
    class_id = await make_class(staff)
    await coming.press_payload(f"cls:y:{class_id}")
    await declined.press_payload(f"cls:n:{class_id}")
    await stopped.send("/stop")
    ids = [(await people.by_identity(app.db, c.identity)).id for c in (coming, silent)]  # type: ignore[union-attr]

    await tick(app)
    assert await reminder_refs(app) == []
    clock.current = START - timedelta(days=1, seconds=1)
    await tick(app)
    assert await reminder_refs(app) == []
    clock.current = START - timedelta(days=1)  # exactly one day before
    await tick(app)
    await tick(app)  # the job run twice
    day_ref = f"reminder:{class_id}:86400:1"
    assert sorted(await reminder_refs(app)) == sorted([(day_ref, ids[0], "pending"), (day_ref, ids[1], "pending")])
    payload = (await rows(app, "reminder"))[0]["payload"]
    assert "còn 1 ngày nữa" in str(payload["text"]) and "Thứ Bảy, 05/12/2026, 08:00" in str(payload["text"])  # type: ignore[index]
    assert ["🙏 Tôi không tham dự được", f"cls:n:{class_id}"] in payload["options"]  # type: ignore[index]
    return day_ref, class_id


async def test_a_clock_jump_back_sends_nothing_twice(app: App, staff: Chat, clock: FakeClock) -> None:
    await onboarded(app, 1)
    await make_class(staff)
    clock.current = START - timedelta(hours=2)
    await tick(app)
    assert len(await reminder_refs(app)) == 1  # the 1-day one was missed (bot down): only the latest goes
    clock.current = START - timedelta(days=2)  # the clock jumps back
    await tick(app)
    clock.current = START - timedelta(hours=1)
    await tick(app)
    assert len(await reminder_refs(app)) == 1


async def test_a_class_planned_three_hours_ahead_gets_only_the_two_hour_reminder(
    app: App, staff: Chat, clock: FakeClock
) -> None:
    await onboarded(app, 1)
    clock.current = START - timedelta(hours=3)
    class_id = await make_class(staff)
    for minutes in range(0, 180, 30):
        clock.current = START - timedelta(hours=3) + timedelta(minutes=minutes)
        await tick(app)
    assert [r[0] for r in await reminder_refs(app)] == [f"reminder:{class_id}:7200:1"]


async def test_a_reminder_due_while_down_is_skipped_once_the_class_started(
    app: App, staff: Chat, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    await onboarded(app, 1)
    class_id = await make_class(staff)
    clock.current = START + timedelta(minutes=10)
    with caplog.at_level(logging.WARNING, logger="bot.reminders"):
        await tick(app)
    assert await reminder_refs(app) == []
    assert "skipped" in caplog.text
    klass = await classes.get(app.db, class_id)
    assert klass is not None and klass.next_reminder_at is None


async def test_an_edit_moves_the_reminders(app: App, staff: Chat, clock: FakeClock) -> None:
    await onboarded(app, 1)
    class_id = await make_class(staff)
    clock.current = START - timedelta(days=1)
    await tick(app)
    assert [r[2] for r in await reminder_refs(app)] == ["pending"]
    await staff.send("/classes")
    await staff.press("1. Xem lớp")
    await staff.press("Đổi ngày giờ")
    await staff.send("06/12/2026 08:00")  # one day later
    await staff.press("Lưu")
    assert "Đã lưu thay đổi" in staff.text
    # the unsent reminder with the old time is dropped; the change goes out instead
    assert [r[2] for r in await reminder_refs(app)] == ["skipped"]
    assert [r["ref"] for r in await rows(app, "class_change")] == [f"class:{class_id}:v2"]
    new_start = START + timedelta(days=1)
    clock.current = START - timedelta(hours=2)  # the old 2-hour time: nothing
    await tick(app)
    assert len(await reminder_refs(app)) == 1
    clock.current = new_start - timedelta(days=1)
    await tick(app)
    clock.current = new_start - timedelta(hours=2)
    await tick(app)
    refs = [r[0] for r in await reminder_refs(app)]
    assert refs[1:] == [f"reminder:{class_id}:86400:2", f"reminder:{class_id}:7200:2"]
    payload = (await rows(app, "reminder"))[-1]["payload"]
    assert "Chủ Nhật, 06/12/2026, 08:00" in str(payload["text"])  # type: ignore[index]


async def test_cancellation_stops_the_reminders(app: App, staff: Chat, clock: FakeClock) -> None:
    await onboarded(app, 1)
    class_id = await make_class(staff)
    clock.current = START - timedelta(days=1)
    await tick(app)
    await staff.send("/classes")
    await staff.press("1. Xem lớp")
    await staff.press("Hủy lớp")
    await staff.press("Hủy lớp")
    assert [r[2] for r in await reminder_refs(app)] == ["skipped"]
    clock.current = START - timedelta(hours=2)
    await tick(app)
    assert len(await reminder_refs(app)) == 1
    assert [r["ref"] for r in await rows(app, "class_cancel")] == [f"class:{class_id}"]


async def test_offsets_come_from_the_configuration(config: Config, clock: FakeClock) -> None:
    from dataclasses import replace

    from bot.config import parse_offsets

    app = await open_app(replace(config, reminders=parse_offsets("3d,30m")), clock=clock)
    try:
        staff = Chat(app, Identity("tg", "9000"))
        await onboarded(app, 1)
        class_id = await make_class(staff, ONE_LINE)
        for moment in (START - timedelta(days=3), START - timedelta(days=1), START - timedelta(minutes=30)):
            clock.current = moment
            await tick(app)
        assert [r[0] for r in await reminder_refs(app)] == [f"reminder:{class_id}:259200:1",
                                                            f"reminder:{class_id}:1800:1"]
        assert "còn 30 phút nữa" in str((await rows(app, "reminder"))[-1]["payload"]["text"])  # type: ignore[index]
    finally:
        await app.close()


async def test_a_late_reminder_says_how_long_is_really_left(app: App, staff: Chat, clock: FakeClock) -> None:
    await onboarded(app, 1)
    class_id = await make_class(staff)
    clock.current = START - timedelta(hours=20)  # the bot was down at the 1-day mark
    await tick(app)
    late = await rows(app, "reminder")
    assert [r["ref"] for r in late] == [f"reminder:{class_id}:86400:1"]
    assert "còn 20 giờ nữa" in str(late[0]["payload"]["text"])  # type: ignore[index]
    clock.current = START - timedelta(hours=2, seconds=-30)  # 30 s after the 2-hour mark: on time
    await tick(app)
    assert "còn 2 giờ nữa" in str((await rows(app, "reminder"))[-1]["payload"]["text"])  # type: ignore[index]
