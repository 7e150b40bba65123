"""Export labels (issue 22 item 3): "Loại tin" and "Tham chiếu" in Vietnamese, a first sheet named for all
four roles."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.app import App
from bot.clock import FakeClock
from bot.content import load_content
from bot.export_refs import describe_ref
from bot.model import Reply
from bot.store import deliveries, people
from tests.chat import Chat
from tests.test_export import LEADERS, rows_by_header, workbook_of
from tests.test_inbox import send_feedback


def local(value: object) -> datetime | None:
    return datetime.fromisoformat(str(value)).astimezone(UTC).replace(tzinfo=None)


def test_every_ref_shape_the_outbox_writes_reads_as_words() -> None:
    t = load_content().texts
    cases = {
        "12": "Thông báo #12",
        "class:3": "Lớp học #3",
        "class:3:v2": "Lớp học #3 (lần sửa 2)",
        "reminder:3:86400:1": "Lớp học #3, nhắc trước 1 ngày",
        "reminder:3:7200:2": "Lớp học #3, nhắc trước 2 giờ",
        "reminder:3:5400:1": "Lớp học #3, nhắc trước 90 phút",
        "fb:7:1": "Góp ý #7, trả lời lần 1",
        "voices:2026-12-06T01:30:00.000000Z": "Bản tin góp ý đến 01:30 06/12/2026",
        "zalo:2026-12-06T11": "Kênh Zalo, lúc 11:00 06/12/2026",
        "tg:123:2026-12-06T02:00:00.000000Z": "Liên kết tài khoản lúc 02:00 06/12/2026",
        "something:new": "something:new",  # a shape not known yet is shown as stored
    }
    assert {ref: describe_ref(ref, t, local) for ref in cases} == cases
    assert describe_ref(None, t, local) is None


async def test_sent_messages_sheet_in_words(app: App, staff: Chat, leader: Chat, clock: FakeClock) -> None:
    await leader.onboard()
    await send_feedback(leader, "Khó khăn", "Đường vào thôn hỏng")
    await staff.send("/inbox")
    await staff.press("Mở #1")
    await staff.press("Trả lời")
    await staff.send("Xã sẽ sửa trong tháng này")
    await staff.press("Gửi")  # a real staff answer: kind "answer", ref "fb:1:1"
    me = await people.by_identity(app.db, leader.identity)
    assert me is not None
    for kind, ref in (("invitation", "class:1"), ("bprogress", "4"), ("class_change", "class:1:v2")):
        await deliveries.enqueue(app.db, kind, ref, [me.id], Reply("x"), now=clock.now())
    await staff.send("/export")
    book = workbook_of(staff.replies[0])
    assert book.sheetnames[0] == LEADERS
    sent = {(row["Loại tin"], row["Tham chiếu"]) for row in rows_by_header(book["Tin đã gửi"])}
    assert {("Trả lời góp ý", "Góp ý #1, trả lời lần 1"), ("Mời lớp", "Lớp học #1"),
            ("Tiến độ gửi thông báo (cho cán bộ)", "Thông báo #4"),
            ("Báo lớp học thay đổi", "Lớp học #1 (lần sửa 2)")} <= sent
    assert not {kind for kind, _ in sent} & {"answer", "invitation", "bprogress", "class_change"}


def test_every_feedback_kind_has_a_vietnamese_label_for_exports_and_stats() -> None:
    from bot.store import voices

    texts = load_content().texts
    missing = [kind for kind in voices.KINDS if f"export.values.voice_kind.{kind}" not in texts]
    assert not missing, f"feedback kinds shown raw in exports and /stats: {missing}"
