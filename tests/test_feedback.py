"""Leaders' feedback (/feedback, /myfeedback): choose, type or send media, check, send; bad input."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.app import App
from bot.clock import FakeClock
from bot.model import Event
from bot.store import people
from tests.chat import Chat


async def _items(app: App) -> list[dict[str, object]]:
    rows = await app.db.fetchall("SELECT * FROM voices ORDER BY id")
    return [dict(r) for r in rows]


async def test_leader_sends_a_difficulty_after_checking_it(app: App, leader: Chat) -> None:
    await leader.onboard()
    await leader.press("Góp ý & nguyện vọng")
    assert "muốn gửi điều gì" in leader.text
    await leader.press("Khó khăn")
    assert "tối đa 3.000 ký tự" in leader.text
    await leader.send("  Đường vào   thôn bị sạt lở,\r\n\r\n\r\n dân đi lại khó khăn. ")
    assert "kiểm tra lại" in leader.text and "Khó khăn, vướng mắc" in leader.text
    assert leader.labels[:3] == ["✅ Gửi", "✏️ Sửa", "✖ Hủy"]
    assert await _items(app) == []  # nothing saved before Gửi
    await leader.press("Gửi")
    items = await _items(app)
    assert len(items) == 1
    assert items[0]["body"] == "Đường vào thôn bị sạt lở,\n\ndân đi lại khó khăn."
    assert items[0]["kind"] == "kho_khan" and items[0]["status"] == "new"
    assert f"#{items[0]['id']}" in leader.text
    # Pressing Gửi again (an old button) does not save twice.
    await leader.press_payload("fb:send")
    assert "đã cũ" in leader.text
    assert len(await _items(app)) == 1


async def test_edit_and_cancel(app: App, leader: Chat) -> None:
    await leader.onboard()
    await leader.send("/feedback")
    await leader.press("Góp ý")
    await leader.send("Lớp học nên tổ chức buổi tối")
    await leader.press("Sửa")
    assert "Lớp học nên tổ chức buổi tối" in leader.text  # shown back so it can be copied
    await leader.send("Lớp học nên tổ chức vào buổi tối thứ Bảy")
    assert "thứ Bảy" in leader.text and "kiểm tra lại" in leader.text
    # More text typed while checking is added, not lost.
    await leader.send("Và có tài liệu in sẵn.")
    assert "đã thêm" in leader.text and "thứ Bảy" in leader.text and "in sẵn" in leader.text
    await leader.press("Hủy")
    assert "Đã hủy" in leader.text
    assert await _items(app) == []


async def test_empty_emoji_and_overlong_text(app: App, leader: Chat) -> None:
    await leader.onboard()
    await leader.send("/feedback")
    await leader.press("Tâm tư")
    for bad in ("   ", "😀😀", "...", "\x00\x07"):
        await leader.send(bad)
        assert "chưa có chữ" in leader.text
    long_text = ("Câu dài về tâm tư của người trưởng thôn. " * 120).strip()
    assert len(long_text) > 3000
    await leader.send(long_text)
    assert "quá giới hạn 3.000" in leader.text and "giữ nguyên" in leader.text
    state = await app.db.fetchval("SELECT data FROM conversations")
    assert json.loads(state)["draft"] == long_text  # kept whole
    await leader.press("Gửi phần đầu")
    assert "kiểm tra lại" in leader.text
    await leader.press("Gửi")
    assert "phần sau" in leader.text
    await leader.send_media("sticker")  # something else meanwhile: the rest is still offered
    assert "còn giữ phần sau" in leader.text
    await leader.press("Gửi tiếp phần sau")
    await leader.press("Gửi")
    items = await _items(app)
    assert len(items) == 2
    assert all(len(str(i["body"])) <= 3000 for i in items)
    # Nothing lost: both parts together are the whole text (modulo the space at the cut).
    assert " ".join(str(i["body"]) for i in items) == long_text


async def test_photo_and_voice_note_with_caption(app: App, leader: Chat) -> None:
    await leader.onboard()
    await leader.send("/feedback")
    await leader.press("Khó khăn")
    await app.dispatch(Event(leader.identity, "media", "photo", file_ref="AgAD-photo", caption="Cống bị vỡ",
                             file_size=200_000))
    replies = await app.dispatch(Event(leader.identity, "media", "voice", file_ref="AwAD-voice", file_size=50_000))
    text = "\n".join(r.text for r in replies)
    assert "1 ảnh, 1 tin nhắn thoại" in text and "Cống bị vỡ" in text
    leader.replies = replies
    await leader.press("Gửi")
    item = (await _items(app))[0]
    assert item["body"] == "Cống bị vỡ" and item["channel"] == "tg"
    assert json.loads(str(item["media"])) == [["photo", "AgAD-photo"], ["voice", "AwAD-voice"]]


async def test_media_too_large_or_unsupported(app: App, leader: Chat) -> None:
    await leader.onboard()
    await leader.send("/feedback")
    await leader.press("Góp ý")
    replies = await app.dispatch(Event(leader.identity, "media", "video", file_ref="big", file_size=25 * 1024 * 1024))
    assert "lớn quá (25,0 MB)" in replies[0].text and "20 MB" in replies[0].text
    await leader.send_media("sticker")
    assert "chưa nhận được loại tệp" in leader.text
    await leader.send("Vẫn gửi được bằng chữ")
    await leader.press("Gửi")
    assert len(await _items(app)) == 1


async def test_myfeedback_lists_own_items_only(app: App, leader: Chat, clock: FakeClock) -> None:
    other = Chat(app, leader.identity.__class__("zalo", "u2"))
    await other.onboard(name="Lê Thị Hoa")
    await other.send("/feedback")
    await other.press("Nguyện vọng")
    await other.send("Nguyện vọng của người khác")
    await other.press("Gửi")
    await leader.onboard()
    await leader.send("/myfeedback")
    assert "chưa gửi góp ý nào" in leader.text
    for n in range(4):
        clock.advance(timedelta(minutes=1))  # a person typing, not a flood
        await leader.send("gop y")  # the bare word, as on Zalo
        await leader.press("Góp ý")
        await leader.send(f"Góp ý số {n}")
        await leader.press("Gửi")
    await leader.send("/myfeedback")
    assert "(4)" in leader.text and "Góp ý số 3" in leader.text and "Góp ý số 0" not in leader.text
    assert "người khác" not in leader.text and "Chưa có trả lời" in leader.text
    await leader.press("Trang sau")
    assert "Góp ý số 0" in leader.text


async def test_unregistered_person_is_sent_to_onboarding(app: App, leader: Chat) -> None:
    await leader.send("/feedback")
    assert "Nghị định 356/2025/NĐ-CP" in leader.text and "91/2025/QH15" in leader.text
    person = await people.by_identity(app.db, leader.identity)
    assert person is not None and not person.registered


async def test_a_wish_typed_as_feedback_says_who_reads_it_and_points_to_the_aspiration(leader: Chat) -> None:
    await leader.onboard()
    await leader.press("Góp ý & nguyện vọng")
    await leader.press("Khó khăn")
    assert "quan điểm chính trị" not in leader.text
    await leader.press("Hủy")
    await leader.press("Góp ý & nguyện vọng")
    await leader.press("🌱 Nguyện vọng")
    assert "Mọi cán bộ phụ trách" in leader.text and "Mong muốn vào Đảng" in leader.text
