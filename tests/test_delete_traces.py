"""/delete_me leaves no trace in staff digests or waiting roster files; waiting files expire
after a day (issue 20 item 13)."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.clock import FakeClock
from handlers.inbox import digest_job
from handlers.roster_upload import expire_uploads
from tests.chat import Chat
from tests.test_inbox import send_feedback
from tests.test_roster import HEADER, ROWS, csv_bytes, document


async def delete_me(chat: Chat) -> None:
    await chat.send("/delete_me")
    await chat.press("Xóa hết")
    assert "đã xóa" in chat.text.lower()


async def test_the_staff_digest_row_about_a_deleted_leader_is_purged(
    app: App, staff: Chat, leader: Chat, clock: FakeClock,
) -> None:
    await staff.send("/inbox")
    await staff.press("Bật bản tin")
    other = Chat(app, leader.identity.__class__("tg", "101"))
    await leader.onboard(name="Hoàng Thị Riêng Tư")
    await other.onboard(name="Người Khác")
    clock.advance(timedelta(minutes=1))
    await send_feedback(leader, "Tâm tư", "Chuyện riêng của gia đình tôi")
    clock.advance(timedelta(minutes=31))
    await digest_job(app.services)
    await send_feedback(other, "Góp ý", "Góp ý chung về đường thôn")
    clock.advance(timedelta(minutes=31))
    await digest_job(app.services)
    assert await app.db.fetchval("SELECT count(*) FROM deliveries WHERE kind = 'digest'") == 2
    await delete_me(leader)
    left = await app.db.fetchall("SELECT payload FROM deliveries WHERE kind = 'digest'")
    assert len(left) == 1  # the other leader's digest stays
    assert all("Riêng Tư" not in r["payload"] and "gia đình tôi" not in r["payload"] for r in left)


async def test_waiting_roster_files_go_with_a_deletion_and_after_a_day(
    app: App, staff: Chat, leader: Chat, clock: FakeClock,
) -> None:
    await leader.onboard()
    staff.replies = await app.dispatch(document(staff, csv_bytes(HEADER + ROWS), "ds.csv"))
    assert "Áp dụng" in staff.labels[0]
    assert await app.db.fetchval("SELECT count(*) FROM roster_uploads") == 1
    await delete_me(leader)
    assert await app.db.fetchval("SELECT count(*) FROM roster_uploads") == 0
    await staff.press("Áp dụng")
    assert "gửi lại" in staff.text.lower() or "không còn" in staff.text.lower()

    staff.replies = await app.dispatch(document(staff, csv_bytes(HEADER + ROWS), "ds.csv"))
    clock.advance(timedelta(hours=23))
    await expire_uploads(app.services)
    assert await app.db.fetchval("SELECT count(*) FROM roster_uploads") == 1
    clock.advance(timedelta(hours=2))
    await expire_uploads(app.services)
    assert await app.db.fetchval("SELECT count(*) FROM roster_uploads") == 0
