"""The /stats chart reads right (issue 22 item 2) and /stats shows how old the content check is (issue 15)."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest
from matplotlib.colors import to_hex

from bot import chart, roster
from bot.app import App
from bot.clock import FakeClock
from bot.store import people
from tests.chat import Chat

LABELS = chart.Labels("Đọc tài liệu theo xã", "Đã đọc", "Đạt", "Tỷ lệ (%)", "chưa có số liệu",
                      "Biểu đồ vẽ {shown} xã, phường đầu tiên; còn {count} trong số {total} xã, phường chưa vẽ.")
ROSTER = (
    "Họ và tên,Số điện thoại,Xã/Phường,Thôn/Tổ dân phố,Chức danh\n"
    "Trần Thị Bình,0913222333,Phúc Trạch,Thôn Trung,Chi hội trưởng Phụ nữ\n"
)


def texts_of(figure: Any) -> list[str]:
    return [t.get_text() for axes in figure.axes for t in axes.texts] + [t.get_text() for t in figure.texts]


def test_no_data_is_written_not_drawn_as_zero_and_passed_is_not_red() -> None:
    bars = [chart.Bar("Xã A", 50.0, 25.0), chart.Bar("Xã B", None, None), chart.Bar("Xã C", 40.0, None),
            chart.Bar("Xã D", 0.0, 0.0)]
    figure = chart.build_figure(bars, LABELS)
    texts = texts_of(figure)
    assert texts.count("chưa có số liệu") == 2  # once for the whole of B, once for C's quiz bar
    assert texts.count("0%") == 2  # D measured a real zero: shown as such
    assert sorted(t for t in texts if t.endswith("%")) == ["0%", "0%", "25%", "40%", "50%"]
    axes = figure.axes[0]
    passed = [p for p in axes.patches if p.get_visible() and to_hex(p.get_facecolor()) == chart.PASSED_COLOUR]
    assert len(passed) == 2 and chart.PASSED_COLOUR not in ("#c62828", "#ff0000", "#d32f2f")
    assert not [t for t in figure.texts if "chưa vẽ" in t.get_text()]  # everything fits: no footnote


def test_communes_beyond_the_first_twenty_are_announced_on_the_picture() -> None:
    bars = [chart.Bar(f"Xã {n}", float(n), None) for n in range(25)]
    figure = chart.build_figure(bars, LABELS)
    assert [tick.get_text() for tick in figure.axes[0].get_yticklabels()] == [f"Xã {n}" for n in range(20)]
    assert "Biểu đồ vẽ 20 xã, phường đầu tiên; còn 5 trong số 25 xã, phường chưa vẽ." in texts_of(figure)
    assert chart.render_png(bars, LABELS).startswith(b"\x89PNG")


async def test_stats_chart_bars_and_the_oldest_content_check(app: App, staff: Chat, leader: Chat,
                                                              clock: FakeClock,
                                                              monkeypatch: pytest.MonkeyPatch) -> None:
    drawn: list[list[chart.Bar]] = []
    render = chart.render_png

    def spy(bars: list[chart.Bar], labels: chart.Labels) -> bytes:
        drawn.append(list(bars))
        return render(bars, labels)

    monkeypatch.setattr(chart, "render_png", spy)
    await roster.apply(app.db, app.content, ROSTER.encode(), "ds.csv", 2026, "2026-11-30T01:00:00.000000Z")
    await leader.onboard(commune="Hương Khê")
    await staff.send("/stats")
    text = staff.replies[0].text
    assert "📚 Chuyên đề rà soát đã lâu nhất: 1. Về Đảng và chi bộ, ngày 06/12/2026" in text
    # Registered in Hương Khê but nothing read or taken; Phúc Trạch only on the roster: both "no data".
    assert drawn[-1] == [chart.Bar("Xã Hương Khê", None, None), chart.Bar("Xã Phúc Trạch", None, None)]

    me = await people.by_identity(app.db, leader.identity)
    assert me is not None
    await app.db.execute(
        "INSERT INTO quiz_attempts (person_id, quiz, questions, position, score, total, status, started_at,"
        " finished_at) VALUES (?, 'mix', '[]', 5, 2, 5, 'done', ?, ?)",
        (me.id, "2026-12-01T01:00:00.000000Z", "2026-12-01T01:05:00.000000Z"))
    await staff.send("/stats")
    # A quiz taken and failed, nothing read: real zeros now, drawn as 0%.
    assert drawn[-1] == [chart.Bar("Xã Hương Khê", 0.0, 0.0), chart.Bar("Xã Phúc Trạch", None, None)]

    clock.advance(timedelta(days=200))
    await staff.send("/stats")
    assert "⚠️ Chuyên đề 1. Về Đảng và chi bộ được rà soát lần cuối ngày 06/12/2026, đã quá 6 tháng" \
        in staff.replies[0].text
