"""Exports: the round trip roster → onboarding by phone → /export → openpyxl, filters, formula injection,
missing feature tables, CSV, and the command line."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
import zipfile
from datetime import datetime, timedelta
from pathlib import Path

import pytest
from openpyxl import Workbook, load_workbook

from bot import export, roster
from bot.app import App, with_admin
from bot.clock import FakeClock
from bot.config import Config
from bot.model import Identity, Reply
from bot.store import deliveries, people
from tests.chat import Chat

ROOT = Path(__file__).resolve().parent.parent
ROSTER = (
    "Họ và tên,Số điện thoại,Xã/Phường,Thôn/Tổ dân phố,Chức danh,Năm sinh\n"
    "Nguyễn Văn An,0912345678,Hương Khê,Thôn 1,Trưởng thôn,1970\n"
    "Trần Thị Bình,0913222333,Phúc Trạch,Thôn Trung,Chi hội trưởng Phụ nữ,1980\n"
)
LEADERS = "Cấp trưởng thôn, tổ dân phố"  # the first sheet: all four roles, not only trưởng thôn


async def import_roster(app: App, fmt: str = "csv") -> None:
    data, name = ROSTER.encode(), "ds.csv"
    if fmt == "xlsx":
        book = Workbook()
        for line in ROSTER.splitlines():
            book.active.append(line.split(","))
        buffer = io.BytesIO()
        book.save(buffer)
        data, name = buffer.getvalue(), "ds.xlsx"
    plan = await roster.apply(app.db, app.content, data, name, 2026, "2026-11-30T01:00:00.000000Z")
    assert len(plan.add) == 2 and not plan.rejected


async def onboard_by_phone(leader: Chat) -> None:
    await leader.send("/start")
    await leader.press("Tôi đồng ý")
    await leader.send("Nguyễn Văn An")
    await leader.press("Trưởng thôn")
    await leader.press("Hương Khê")
    await leader.press("Thôn 1")
    await leader.share_contact("0912345678")
    await leader.press("Đúng")
    assert "Đăng ký xong" in leader.text


def workbook_of(reply: Reply):  # type: ignore[no-untyped-def]
    assert reply.attachment is not None and reply.attachment.filename.endswith(".xlsx")
    return load_workbook(io.BytesIO(reply.attachment.data))


def rows_by_header(sheet) -> list[dict[str, object]]:  # type: ignore[no-untyped-def]
    values = list(sheet.iter_rows(values_only=True))
    return [dict(zip(values[0], row, strict=False)) for row in values[1:]]


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
async def test_round_trip_roster_onboarding_export(app: App, leader: Chat, staff: Chat, fmt: str) -> None:
    await import_roster(app, fmt)
    await onboard_by_phone(leader)
    await staff.send("/export")
    reply = staff.replies[0]
    assert f"{LEADERS}: 2 dòng" in reply.text
    book = workbook_of(reply)
    sheet = book[LEADERS]
    assert sheet.freeze_panes == "A2"
    assert sheet.auto_filter.ref == f"A1:{sheet.cell(1, sheet.max_column).column_letter}3"
    assert sheet.column_dimensions["B"].width >= len("Nguyễn Văn An")
    rows = {row["Số điện thoại"]: row for row in rows_by_header(sheet)}
    an, binh = rows["0912345678"], rows["0913222333"]
    assert (an["Họ và tên"], an["Chức danh"], an["Xã/Phường"], an["Thôn/Tổ dân phố"], an["Năm sinh"]) == (
        "Nguyễn Văn An", "Trưởng thôn", "Xã Hương Khê", "Thôn 1", 1970)
    assert (an["Kênh"], an["Liên lạc được"], an["Nguồn"]) == ("Telegram", "Có", "Từ danh sách")
    # FakeClock: 2026-12-01 01:00 UTC is 08:00 in Hà Nội time
    assert an["Đăng ký lúc"] == datetime(2026, 12, 1, 8, 0)
    assert an["Đồng ý lưu dữ liệu lúc"] == datetime(2026, 12, 1, 8, 0)
    assert (binh["Chức danh"], binh["Hội"], binh["Liên lạc được"], binh["Đăng ký lúc"]) == (
        "Chi hội trưởng", "Chi hội Phụ nữ", "Không", None)
    headers = [c.value for c in sheet[1]]
    date_cells = [row[headers.index("Đăng ký lúc")] for row in sheet.iter_rows(min_row=2)]
    assert any(c.is_date and c.number_format == "dd/mm/yyyy hh:mm" for c in date_cells)


async def test_formula_like_values_stay_text(app: App, staff: Chat, leader: Chat, config: Config) -> None:
    await leader.onboard()
    me = await people.by_identity(app.db, leader.identity)
    assert me is not None
    evil = "=HYPERLINK(\"http://x\",\"bấm\")"
    await people.update_profile(app.db, me.id, name=evil, hamlet="@SUM(1+1)\x07")
    await staff.send("/export")
    sheet = workbook_of(staff.replies[0])[LEADERS]
    cell = next(c for c in sheet[2] if c.value == evil)
    assert cell.data_type == "s"  # a string, never a formula
    assert "@SUM(1+1)" in [c.value for c in sheet[2]]  # the control character is dropped, the text kept
    query = export.make_query(app.content, config.tz, None, None, None)
    buffer = io.BytesIO()
    export.write_export(config.db_path, app.content, config.tz, query, buffer, "csv")
    with zipfile.ZipFile(buffer) as archive:
        raw = archive.read(f"{LEADERS}.csv")
    assert raw.startswith("\ufeff".encode())
    table = list(csv.reader(io.StringIO(raw.decode("utf-8-sig"))))
    assert table[0][1] == "Họ và tên" and table[1][1] == "'" + evil


async def test_commune_and_date_filters(app: App, staff: Chat, clock: FakeClock) -> None:
    await import_roster(app)
    ids = [row[0] for row in await app.db.fetchall("SELECT id FROM people ORDER BY id")]
    for day in range(3):  # one delivery per person on 1, 2 and 3 December
        await deliveries.enqueue(app.db, "broadcast", f"test{day}", ids, Reply("Xin chào"),
                                 now=clock.now() + timedelta(days=day))
    await staff.send("/export phuc trach 02/12/2026 2026-12-02")
    reply = staff.replies[0]
    assert "Xã Phúc Trạch" in reply.text and "từ 02/12/2026 đến 02/12/2026" in reply.text
    assert reply.attachment is not None and "phuc-trach" in reply.attachment.filename
    book = workbook_of(reply)
    leaders = rows_by_header(book[LEADERS])
    assert [row["Họ và tên"] for row in leaders] == ["Trần Thị Bình"]
    sent = rows_by_header(book["Tin đã gửi"])
    assert [(row["Họ và tên"], row["Tham chiếu"]) for row in sent] == [("Trần Thị Bình", "test1")]


async def test_bad_filters_are_explained(app: App, staff: Chat) -> None:
    await staff.send("/export 31/02/2026")
    assert "chưa đúng" in staff.text and staff.replies[0].attachment is None
    await staff.send("/export Hà Nội")
    assert "Không có xã, phường “Hà Nội”" in staff.text
    await staff.send("/export 05/12/2026 01/12/2026")
    assert "trước ngày bắt đầu" in staff.text
    await staff.send("/export 1/12/2026 2/12/2026 3/12/2026")
    assert "tối đa hai ngày" in staff.text


async def test_export_is_staff_only_and_not_on_zalo(app: App, leader: Chat) -> None:
    await leader.onboard()
    await leader.send("/export")
    assert leader.replies[0].attachment is None and "cán bộ" in leader.text
    zalo = Identity("zalo", "z1")
    app.services.config = with_admin(app.config, zalo)
    chat = Chat(app, zalo)
    await chat.send("/export")
    assert "Telegram" in chat.text and chat.replies[0].attachment is None


async def test_sheets_follow_the_tables_that_exist(app: App, staff: Chat, leader: Chat) -> None:
    await leader.onboard()
    have = {row[0] for row in await app.db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
    if {"quiz_attempts", "quiz_answers"} <= have:
        me = await people.by_identity(app.db, leader.identity)
        assert me is not None
        attempt = await app.db.execute(
            "INSERT INTO quiz_attempts (person_id, quiz, questions, position, score, total, status, started_at,"
            " finished_at) VALUES (?, 'mix', '[]', 2, 2, 2, 'done', ?, ?)",
            (me.id, "2026-12-01T01:00:00.000000Z", "2026-12-01T01:05:00.000000Z"))
        question = next(q for bank in app.content.quizzes.values() for q in bank) if app.content.quizzes else None
        question_id = question.id if question else "q1"
        await app.db.execute(
            "INSERT INTO quiz_answers (attempt_id, position, person_id, quiz, question, chosen, correct, answered_at)"
            " VALUES (?, 0, ?, 'mix', ?, 0, 1, ?)", (attempt, me.id, question_id, "2026-12-01T01:01:00.000000Z"))
        await staff.send("/export")
        book = workbook_of(staff.replies[0])
        attempts = rows_by_header(book["Bài kiểm tra"])
        assert [(a["Số câu đúng"], a["Số câu"], a["Đạt"], a["Trạng thái"]) for a in attempts] == [
            (2, 2, "Có", "Đã nộp")]
        answers = rows_by_header(book["Câu trả lời"])
        assert [(a["Câu số"], a["Mã câu hỏi"], a["Đúng"]) for a in answers] == [(1, question_id, "Có")]
        if question is not None:  # the question and the chosen option in words, from the quiz bank
            assert (answers[0]["Câu hỏi"], answers[0]["Câu trả lời đã chọn"]) == (question.text, question.right)
        await app.db.execute("DROP TABLE quiz_answers")
    await staff.send("/export")
    book = workbook_of(staff.replies[0])
    assert "Câu trả lời" not in book.sheetnames and book.sheetnames[0] == LEADERS


def run_cli(tmp_path: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CAUNOI_DB": str(tmp_path / "cli.sqlite3"), "PYTHONPATH": str(ROOT)}
    env.pop("TELEGRAM_BOT_TOKEN", None)
    return subprocess.run([sys.executable, "-m", "bot", *args], capture_output=True, text=True, env=env,
                          cwd=tmp_path, timeout=120)


def test_cli_import_roster_dry_run_apply_and_export(tmp_path: Path) -> None:
    source = tmp_path / "ds.csv"
    source.write_bytes("\ufeff".encode() + ROSTER.encode() + b"X,abc,Huong Khe,,,\n")
    dry = run_cli(tmp_path, "import-roster", str(source))
    assert dry.returncode == 0, dry.stderr
    assert "chạy thử" in dry.stdout and "Thêm mới: 2" in dry.stdout and "Dòng 4" in dry.stdout
    assert "--apply" in dry.stdout
    applied = run_cli(tmp_path, "import-roster", str(source), "--apply")
    assert applied.returncode == 0 and "Đã nhập tệp" in applied.stdout
    again = run_cli(tmp_path, "import-roster", str(source), "--apply")
    assert "Không đổi: 2" in again.stdout
    bad = tmp_path / "bad.xlsx"
    bad.write_text("not excel")
    failed = run_cli(tmp_path, "import-roster", str(bad))
    assert failed.returncode == 1 and "không phải là tệp Excel" in failed.stderr

    out = tmp_path / "out.xlsx"
    done = run_cli(tmp_path, "export", "-o", str(out), "--commune", "Hương Khê")
    assert done.returncode == 0, done.stderr
    sheet = load_workbook(out)[LEADERS]
    assert [c.value for c in sheet[2]][1:3] == ["Nguyễn Văn An", "Trưởng thôn"] and sheet.max_row == 2
    zipped = tmp_path / "out.zip"
    done = run_cli(tmp_path, "export", "-o", str(zipped), "--format", "csv", "--from", "2026-01-01")
    assert done.returncode == 0, done.stderr
    with zipfile.ZipFile(zipped) as archive:
        assert archive.read(f"{LEADERS}.csv").startswith("\ufeff".encode())
    single = tmp_path / "leaders.csv"
    done = run_cli(tmp_path, "export", "-o", str(single))
    assert done.returncode == 0, done.stderr
    table = list(csv.reader(io.StringIO(single.read_bytes().decode("utf-8-sig"))))
    assert single.read_bytes().startswith("\ufeff".encode()) and table[0][:2] == ["Mã người", "Họ và tên"]
    assert sorted(row[1] for row in table[1:]) == ["Nguyễn Văn An", "Trần Thị Bình"]
    wrong = run_cli(tmp_path, "export", "-o", str(out), "--from", "hôm qua")
    assert wrong.returncode == 2 and "chưa đúng" in wrong.stderr
    assert not list(tmp_path.glob("*.part"))


async def test_every_sheet_query_runs_on_the_current_schema(app: App, staff: Chat, leader: Chat) -> None:
    from bot.store import reports

    await leader.onboard()
    have = {row[0] for row in await app.db.fetchall("SELECT name FROM sqlite_master WHERE type = 'table'")}
    expected = [app.content.texts(f"export.sheets.{s.key}") for s in reports.SHEETS
                if set(s.tables) <= have and not s.operator]  # the audit log is the CLI's alone
    await staff.send("/export")
    assert workbook_of(staff.replies[0]).sheetnames == expected  # no sheet skipped for a broken query


def test_times_are_local_including_summer_time() -> None:
    from zoneinfo import ZoneInfo

    buffer = io.BytesIO()
    writer = export.XlsxWriter(buffer, ZoneInfo("Europe/Berlin"))
    stored = [("2026-01-15T12:00:00.000000Z",), ("2026-07-15T12:00:00.999999Z",), (None,), ("không phải ngày",)]
    writer.add_sheet("Giờ", ["Lúc"], stored, [None], ["date"])
    writer.close()
    values = [row[0] for row in load_workbook(buffer).active.iter_rows(min_row=2, values_only=True)]
    assert values == [datetime(2026, 1, 15, 13, 0), datetime(2026, 7, 15, 14, 0), None, "không phải ngày"]
