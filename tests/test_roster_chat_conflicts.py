"""A roster sent in chat whose rows conflict with what registered leaders answered: chat skips them and
its report points to the dashboard's "Nhập danh sách" page (reached with /web) or /leaders, never to the
command line's --update-conflicts, which chat staff cannot run; the command line keeps its own note."""

from __future__ import annotations

from bot import roster
from bot.app import App
from bot.store import people
from tests.chat import Chat
from tests.test_roster import HEADER, ROWS, csv_bytes, document

CONFLICTING = "Phạm Dung,0987000111,Hương Khê,Thôn 9,Trưởng thôn,1975\n"


async def _registered_with_phone(app: App, leader: Chat) -> None:
    await leader.onboard(name="Phạm Thị Dung", commune="Hương Bình", hamlet="Thôn 5")
    me = await people.by_identity(app.db, leader.identity)
    assert me is not None
    await people.update_profile(app.db, me.id, phone="0987000111")


async def test_chat_report_of_conflicts_points_to_the_desk_not_the_command_line(app: App, staff: Chat,
                                                                                 leader: Chat) -> None:
    await _registered_with_phone(app, leader)
    data = csv_bytes(HEADER + ROWS + CONFLICTING)
    await staff.send("/import")
    staff.replies = await app.dispatch(document(staff, data, "ds.csv"))
    report = staff.text
    assert "Xung đột (1)" in report and "0987000111" in report
    assert app.content.texts("roster.chat_conflict_note") in report
    assert "“Nhập danh sách”" in report and "/leaders/import" in report and "/web" in report
    assert "/leaders" in report and "--update-conflicts" not in report and "--apply" not in report

    await staff.press("Áp dụng")  # chat skips the conflict; her own answers stay
    assert "Bỏ qua vì xung đột (1)" in staff.text
    me = await people.by_identity(app.db, leader.identity)
    assert me is not None and (me.name, me.commune) == ("Phạm Thị Dung", "Xã Hương Bình")


async def test_a_report_without_conflicts_has_no_conflict_note(app: App, staff: Chat) -> None:
    await staff.send("/import")
    staff.replies = await app.dispatch(document(staff, csv_bytes(HEADER + ROWS), "ds.csv"))
    assert "Áp dụng" in staff.text and app.content.texts("roster.chat_conflict_note") not in staff.text


async def test_the_command_line_report_keeps_its_own_flag(app: App, leader: Chat) -> None:
    await _registered_with_phone(app, leader)
    plan = await roster.dry_run(app.db, app.content, csv_bytes(HEADER + ROWS + CONFLICTING), "ds.csv", 2026)
    printed = roster.render_report(app.content.texts, plan, "ds.csv", note="roster.cli_note")  # as bot/cli.py
    assert "--apply --update-conflicts" in printed and "/leaders/import" not in printed
