"""/stats: one screen of figures for staff and a PNG chart by commune."""

from __future__ import annotations

from bot import chart, roster
from bot.app import App
from bot.store import people
from tests.chat import Chat

ROSTER = (
    "Họ và tên,Số điện thoại,Xã/Phường,Thôn/Tổ dân phố,Chức danh\n"
    "Nguyễn Văn An,0912345678,Hương Khê,Thôn 1,Trưởng thôn\n"
    "Trần Thị Bình,0913222333,Phúc Trạch,Thôn Trung,Chi hội trưởng Phụ nữ\n"
)


async def test_empty_bot_says_so_without_a_chart(app: App, staff: Chat) -> None:
    await staff.send("/stats")
    assert "Chưa có trưởng thôn nào" in staff.text
    assert all(r.attachment is None for r in staff.replies)


async def test_stats_screen_and_chart(app: App, staff: Chat, leader: Chat) -> None:
    await roster.apply(app.db, app.content, ROSTER.encode(), "ds.csv", 2026, "2026-11-30T01:00:00.000000Z")
    await leader.onboard(commune="Hương Khê", hamlet="Thôn 2")
    me = await people.by_identity(app.db, leader.identity)
    assert me is not None
    await app.db.execute(
        "INSERT INTO quiz_attempts (person_id, quiz, questions, position, score, total, status, started_at,"
        " finished_at) VALUES (?, 'mix', '[]', 5, 5, 5, 'done', ?, ?)",
        (me.id, "2026-12-01T01:00:00.000000Z", "2026-12-01T01:05:00.000000Z"))
    await app.db.execute(
        "INSERT INTO voices (person_id, kind, body, created_at, updated_at) VALUES (?, 'kho_khan', 'x', ?, ?)",
        (me.id, "2026-12-01T01:00:00.000000Z", "2026-12-01T01:00:00.000000Z"))
    await staff.send("/stats")
    text = staff.replies[0].text
    assert "Đã đăng ký: 1 người (liên lạc được 1)" in text
    assert "chưa vào bot: 2" in text
    assert "• Xã Hương Khê: 1 / 1 / 1" in text and "• Xã Phúc Trạch: 0 / 0 / 1" in text
    assert "• Trưởng thôn: 1" in text
    assert "1 lượt nộp, 1 người đã làm, 1 người đạt" in text
    assert "chưa xử lý xong: 1 (Khó khăn, vướng mắc 1)" in text
    assert "Chưa có lớp học nào sắp tới" in text
    assert "Chưa gửi thông báo nào" in text
    photo = staff.replies[-1].attachment
    assert photo is not None and photo.kind == "photo" and photo.data.startswith(b"\x89PNG\r\n\x1a\n")
    assert "Xuất Excel" in staff.labels[0]


async def test_stats_is_for_staff_only(app: App, leader: Chat) -> None:
    await leader.onboard()
    await leader.send("/stats")
    assert "cán bộ" in leader.text and all(r.attachment is None for r in leader.replies)


def test_chart_draws_vietnamese_labels() -> None:
    bars = [chart.Bar("Xã Hương Khê", 50.0, 25.0), chart.Bar("Xã Phúc Trạch", 0.0, None)]
    png = chart.render_png(bars, chart.Labels("Đọc tài liệu theo xã", "Đã đọc", "Đạt", "Tỷ lệ (%)"))
    assert png.startswith(b"\x89PNG") and len(png) > 5000
