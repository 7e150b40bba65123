"""The aspiration survey: consent first, never forced, change and withdraw, /delete_me removes all."""

from __future__ import annotations

from bot.app import App
from tests.chat import Chat
from tests.test_inbox import answer_aspiration_yes, send_feedback


async def _stored(app: App) -> list[tuple[str, str]]:
    rows = await app.db.fetchall("SELECT wish, helps FROM aspirations")
    return [(r["wish"], r["helps"]) for r in rows]


async def test_consent_is_asked_first_and_later_stores_nothing(app: App, leader: Chat) -> None:
    await leader.onboard()
    await leader.press("Mong muốn vào Đảng")
    assert "KHÔNG bắt buộc" in leader.text and "Nghị định 13/2023" not in leader.text
    assert "91/2025/QH15" in leader.text and "Nghị định 356/2025/NĐ-CP" in leader.text
    assert "được giao quyền xem mục này" in leader.text and "cấp tỉnh" in leader.text  # who sees it
    assert "tệp Excel" in leader.text and "rút lại" in leader.text
    assert "không ảnh hưởng gì đến việc anh/chị dùng Cầu Nối" in leader.text
    # A forged answer without consent stores nothing.
    await leader.press_payload("asp:w:yes")
    assert "đã cũ" in leader.text
    await leader.send("/aspiration")
    await leader.press("Không, cảm ơn")
    assert "Không sao" in leader.text and "như bình thường" in leader.text
    assert await _stored(app) == []


async def test_yes_with_several_helps_then_change_and_withdraw(app: App, leader: Chat, staff: Chat) -> None:
    await leader.onboard()
    await leader.send("/aspiration")
    await leader.press("Tôi đồng ý trả lời")
    assert "có mong muốn được xem xét kết nạp vào Đảng không" in leader.text
    assert leader.labels == ["Có", "Cần tìm hiểu thêm", "Không"]
    await leader.press("Cần tìm hiểu thêm")
    await leader.press("Một lớp bồi dưỡng")
    await leader.press("Tài liệu")
    await leader.press("Một lớp bồi dưỡng")  # pressed again: unchosen
    assert "✅ Tài liệu để đọc thêm" in leader.labels and "▫️ Một lớp bồi dưỡng, học tập" in leader.labels
    await leader.send("hmm")  # typing instead of pressing: asked again, nothing lost
    assert "chọn một hoặc nhiều mục" in leader.text
    await leader.press("Xong")
    assert "Cần tìm hiểu thêm" in leader.text and "Tài liệu để đọc thêm" in leader.text
    assert await _stored(app) == [("maybe", "docs")]

    await leader.send("/aspiration")
    assert "Câu trả lời anh/chị đã gửi" in leader.text
    await leader.press("Đổi câu trả lời")
    await leader.press("Có")
    await leader.press("Xong")
    assert await _stored(app) == [("yes", "docs")]  # the helps chosen before are kept

    await staff.send("/admission")
    assert "1 có mong muốn" in staff.text

    await leader.send("/aspiration")
    await leader.press("Rút lại")
    assert "Rút lại và xóa câu trả lời?" in leader.text  # asked once, nothing deleted yet
    assert await _stored(app) == [("yes", "docs")]
    await leader.press("Không, giữ nguyên")
    assert "vẫn được giữ nguyên" in leader.text and await _stored(app) == [("yes", "docs")]

    await leader.send("/aspiration")
    await leader.press("Rút lại")
    await leader.press("Rút lại và xóa")
    assert "đã xóa câu trả lời" in leader.text
    assert await _stored(app) == []
    await staff.send("/admission")
    assert "Chưa có ai" in staff.text


async def test_withdraw_needs_the_confirmation_just_shown(app: App, leader: Chat) -> None:
    await leader.onboard()
    await answer_aspiration_yes(leader)
    await leader.send("/aspiration")
    await leader.press_payload("asp:withdraw:yes")  # forged: the confirmation was never shown
    assert await _stored(app) == [("yes", "talk")]
    await leader.send("/aspiration")
    await leader.press("Rút lại")
    await leader.send("/menu")  # walked away from the question
    await leader.press_payload("asp:withdraw:yes")
    assert await _stored(app) == [("yes", "talk")]


async def test_not_yet_is_not_stored_and_replaces_an_earlier_answer(app: App, leader: Chat) -> None:
    await leader.onboard()
    await answer_aspiration_yes(leader)
    assert await _stored(app) == [("yes", "talk")]
    await leader.send("/aspiration")
    await leader.press("Đổi câu trả lời")
    await leader.press("Không")
    assert "không lưu câu trả lời “Không”" in leader.text and "đã xóa câu trả lời trước đây" in leader.text
    assert await _stored(app) == []


async def test_offered_by_the_quiz_button(app: App, leader: Chat) -> None:
    await leader.onboard()
    await leader.press_payload("cmd:aspiration")  # the learning feature's button after the first quiz
    assert "Tôi đồng ý trả lời" in "\n".join(leader.labels)


async def test_delete_me_removes_everything(app: App, leader: Chat, staff: Chat) -> None:
    await leader.onboard()
    await send_feedback(leader, "Khó khăn", "Một khó khăn")
    await answer_aspiration_yes(leader)
    await staff.send("/inbox")
    await staff.press("Mở #1")
    await staff.press("Ghi chú nội bộ")
    await staff.send("Ghi chú")
    await staff.press("Trả lời")
    await staff.send("Trả lời")
    await staff.press("Gửi")
    for table in ("voices", "voice_entries", "aspirations", "deliveries"):
        assert await app.db.fetchval(f"SELECT count(*) FROM {table}") > 0
    await leader.send("/delete_me")
    await leader.press("Xóa hết")
    for table in ("voices", "voice_entries", "aspirations", "deliveries"):
        assert await app.db.fetchval(f"SELECT count(*) FROM {table}") == 0, table
    await staff.send("/inbox")
    assert "không có mục nào" in staff.text
    await staff.send("/admission")
    assert "Chưa có ai" in staff.text


async def test_feedback_wish_points_to_the_aspiration_question(app: App, leader: Chat) -> None:
    # Issue 15 point 6: free text under "Nguyện vọng" is read by every commune staff member.
    await leader.onboard()
    await leader.send("/feedback")
    assert "đừng ghi quan điểm chính trị" in leader.text and "“🌱 Mong muốn vào Đảng”" in leader.text
