"""Staff inbox (/inbox, /admission) end to end through the real router and store (no network)."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import timedelta

from bot.app import App
from bot.clock import FakeClock
from bot.model import Identity
from bot.store import people, voices
from handlers.inbox import digest_job
from tests.chat import Chat


async def send_feedback(chat: Chat, kind: str, text: str) -> None:
    await chat.send("/feedback")
    await chat.press(kind)
    await chat.send(text)
    await chat.press("Gửi")
    assert "Đã gửi" in chat.text, chat.text


async def answer_aspiration_yes(chat: Chat) -> None:
    await chat.send("/aspiration")
    await chat.press("Tôi đồng ý trả lời")
    await chat.press("Có")
    await chat.press("Trao đổi với bí thư")
    await chat.press("Xong")
    assert "đã ghi nhận" in chat.text, chat.text


async def test_leader_to_staff_and_back(app: App, leader: Chat, staff: Chat) -> None:
    await leader.onboard(name="Nguyễn Văn An", hamlet="Thôn 3")
    await send_feedback(leader, "Khó khăn", "Kinh phí sửa nhà văn hóa thôn chưa có.")
    await answer_aspiration_yes(leader)

    await staff.send("/inbox")
    assert "Hộp thư góp ý — 1 mục" in staff.text
    assert "Nguyễn Văn An — Trưởng thôn, Thôn 3, Xã Hương Khê" in staff.text
    assert "🆕 Mới" in staff.text and "Kinh phí sửa nhà văn hóa" in staff.text
    assert "08:00 01/12/2026" in staff.text  # 01:00 UTC shown in Asia/Ho_Chi_Minh
    await staff.press("Mở #1")
    assert "Kinh phí sửa nhà văn hóa thôn chưa có." in staff.text
    await staff.press("Trả lời")
    assert "Nguyễn Văn An" in staff.text
    await staff.send("   ")
    assert "Chưa có chữ" in staff.text
    await staff.send("x" * 2500)
    assert "quá giới hạn 2.000" in staff.text
    await staff.send("Xã sẽ hỗ trợ kinh phí trong quý tới.")
    assert "Gửi nhé?" in staff.text
    await staff.press("Gửi")
    assert "Đã lưu câu trả lời" in staff.text and "💬 Đã trả lời" in staff.text

    person = await people.by_identity(app.db, leader.identity)
    assert person is not None
    rows = await app.db.fetchall("SELECT * FROM deliveries WHERE kind = 'answer'")
    assert len(rows) == 1
    row = rows[0]
    assert (row["person_id"], row["ref"], row["status"], row["channel"]) == (person.id, "fb:1:1", "pending", "tg")
    payload = json.loads(row["payload"])
    assert "Xã sẽ hỗ trợ kinh phí trong quý tới." in payload["text"] and "#1" in payload["text"]
    assert payload["options"][0][1] == "cmd:myfeedback"

    await leader.send("/myfeedback")
    assert "Đã trả lời" in leader.text and "Xã sẽ hỗ trợ kinh phí" in leader.text

    await staff.send("/admission")
    assert "Xã Hương Khê: 1 có mong muốn" in staff.text
    await staff.press("Xã Hương Khê")
    assert "Nguyễn Văn An" in staff.text and "Trao đổi với bí thư chi bộ" in staff.text
    assert "Thôn 3" in staff.text


async def test_notes_status_and_filters(app: App, leader: Chat, staff: Chat, clock: FakeClock) -> None:
    other = Chat(app, Identity("tg", "101"))
    await other.onboard(name="Trần Thị Bình", commune="Phúc Trạch", hamlet="Thôn Trung")
    await send_feedback(other, "Tâm tư", "Tâm tư của chị Bình")
    await leader.onboard()
    await send_feedback(leader, "Góp ý", "Góp ý của anh An")
    clock.advance(timedelta(minutes=5))
    await send_feedback(leader, "Khó khăn", "Khó khăn của anh An")

    await staff.send("hop thu")  # the bare word, as on Zalo
    assert "3 mục" in staff.text
    assert staff.text.index("Khó khăn của anh An") < staff.text.index("Góp ý của anh An")  # newest first
    await staff.press("Lọc theo xã")
    await staff.press("Phúc Trạch")
    assert "1 mục" in staff.text and "chị Bình" in staff.text and "anh An" not in staff.text
    await staff.press("Lọc theo xã")
    await staff.press("Tất cả")
    await staff.press("Lọc theo loại")
    await staff.press("Góp ý")
    assert "1 mục" in staff.text and "Góp ý của anh An" in staff.text

    await staff.press("Mở #2")
    await staff.press("Ghi chú nội bộ")
    await staff.send("Đã gọi điện cho anh An")
    assert "Đã lưu ghi chú" in staff.text and "Đã gọi điện cho anh An" in staff.text
    await staff.press("Đánh dấu đã xong")
    assert "✅ Đã xong" in staff.text
    await staff.press("Về danh sách")
    await staff.press("Lọc theo loại")
    await staff.press("Tất cả")
    await staff.press("Lọc theo trạng thái")
    await staff.press("Đã xong")
    assert "1 mục" in staff.text and "Góp ý của anh An" in staff.text
    await staff.press("Lọc theo trạng thái")
    await staff.press("Mới")
    assert "2 mục" in staff.text

    # The leader sees the answer-free item, never the internal note.
    await leader.send("/myfeedback")
    assert "Đã gọi điện" not in leader.text and "Đã xong" in leader.text


async def test_pagination(app: App, leader: Chat, staff: Chat, clock: FakeClock) -> None:
    await leader.onboard()
    for n in range(7):
        clock.advance(timedelta(minutes=1))
        await send_feedback(leader, "Góp ý", f"Ý kiến số {n}")
    await staff.send("/inbox")
    assert "trang 1/2" in staff.text and "Ý kiến số 6" in staff.text and "Ý kiến số 1" not in staff.text
    await staff.press("Trang sau")
    assert "trang 2/2" in staff.text and "Ý kiến số 0" in staff.text
    await staff.press("Trang trước")
    assert "trang 1/2" in staff.text


async def test_answer_to_a_deleted_leader_is_polite(app: App, leader: Chat, staff: Chat) -> None:
    await leader.onboard()
    await send_feedback(leader, "Tâm tư", "Một tâm tư")
    await staff.send("/inbox")
    await staff.press("Mở #1")
    await staff.press("Trả lời")
    await staff.send("Cảm ơn anh")
    await leader.send("/delete_me")
    await leader.press("Xóa hết")
    await staff.press("Gửi")
    assert "không còn nữa" in staff.text
    assert await app.db.fetchval("SELECT count(*) FROM deliveries") == 0
    await staff.press_payload("ib:o:1:a.a.a.0")  # a stale button to the gone item
    assert "đã cũ" in staff.text or "không còn nữa" in staff.text


async def test_non_staff_cannot_reach_the_inbox(app: App, leader: Chat) -> None:
    await leader.onboard()
    for command in ("/inbox", "/admission", "hop thu"):
        await leader.send(command)
        assert "chỉ dành cho cán bộ" in leader.text
    await leader.press_payload("ib:l:a.a.a.0")
    assert "chỉ dành cho cán bộ" in leader.text or "đã cũ" in leader.text
    await leader.press_payload("fu:c:0:0")
    assert "Nguyễn" not in leader.text


async def test_forged_inbox_payloads(app: App, leader: Chat, staff: Chat) -> None:
    await leader.onboard()
    await send_feedback(leader, "Góp ý", "Một góp ý")
    await staff.send("/inbox")
    for forged in ("ib:o:999:a.a.a.0", "ib:s:1:9:a.a.a.0", "ib:as:1:a.a.a.0", "ib:l:💥.x.y", "ib"):
        await staff.press_payload(forged)
        assert "đã cũ" in staff.text
    assert await app.db.fetchval("SELECT status FROM voices") == "new"


async def test_digest_one_summary_per_window_and_idempotent(app: App, leader: Chat, staff: Chat,
                                                          clock: FakeClock) -> None:
    await staff.send("/inbox")
    await staff.press("Bật bản tin")
    assert "Đã bật bản tin" in staff.text
    await leader.onboard()
    clock.advance(timedelta(minutes=1))
    await send_feedback(leader, "Khó khăn", "Khó khăn thứ nhất")
    await send_feedback(leader, "Tâm tư", "Tâm tư thứ hai")
    await answer_aspiration_yes(leader)
    await digest_job(app.services)  # the window has not closed yet
    assert await app.db.fetchval("SELECT count(*) FROM deliveries WHERE kind = 'digest'") == 0
    clock.advance(timedelta(minutes=30))
    await digest_job(app.services)
    await digest_job(app.services)  # a second run (restart, two schedulers) adds nothing
    rows = await app.db.fetchall("SELECT * FROM deliveries WHERE kind = 'digest'")
    assert len(rows) == 1
    staff_person = await people.by_identity(app.db, staff.identity)
    assert staff_person is not None and rows[0]["person_id"] == staff_person.id
    text = json.loads(rows[0]["payload"])["text"]
    assert "2 góp ý mới" in text and "Khó khăn thứ nhất" in text and "Tâm tư thứ hai" in text
    assert "1 người vừa trả lời" in text and "Nguyễn Văn An, Xã Hương Khê" in text
    # Nothing new in the next window: no message.
    clock.advance(timedelta(minutes=30))
    await digest_job(app.services)
    assert await app.db.fetchval("SELECT count(*) FROM deliveries WHERE kind = 'digest'") == 1
    # Opting out stops it.
    await staff.send("/inbox")
    await staff.press("Tắt bản tin")
    await send_feedback(leader, "Góp ý", "Sau khi tắt")
    clock.advance(timedelta(minutes=30))
    await digest_job(app.services)
    assert await app.db.fetchval("SELECT count(*) FROM deliveries WHERE kind = 'digest'") == 1


async def test_commune_filter_pages_many_communes(app: App, staff: Chat) -> None:
    for n in range(23):
        person, _ = await people.touch(app.db, Identity("zalo", f"z{n}"), "", "2026-12-01T00:00:00.000000Z")
        await people.update_profile(app.db, person.id, name=f"Người {n}", commune=f"Phường {n:02d}")
        await voices.create(app.db, person.id, "gop_y", f"Ý kiến {n}", [], "zalo", "2026-12-01T00:00:00.000000Z")
    await staff.send("/inbox")
    await staff.press("Lọc theo xã")
    assert "Phường 19" in "\n".join(staff.labels) and "Phường 20" not in "\n".join(staff.labels)
    await staff.press("Trang sau")
    await staff.press("Phường 22")
    assert "1 mục" in staff.text and "Ý kiến 22" in staff.text


async def test_digest_skips_someone_no_longer_staff(app: App, staff: Chat, leader: Chat, clock: FakeClock) -> None:
    await staff.send("/inbox")
    await staff.press("Bật bản tin")
    app.services.config = replace(app.config, admins=frozenset())
    await leader.onboard()
    await send_feedback(leader, "Góp ý", "Một góp ý")
    clock.advance(timedelta(minutes=31))
    await digest_job(app.services)
    assert await app.db.fetchval("SELECT count(*) FROM deliveries") == 0
    assert await app.db.fetchval("SELECT last_until FROM voice_digests") > "2026-12-01T01:00:00"
