"""Roster import: parsing, dry run, apply in one transaction, bad files, the bot upload and onboarding by phone."""

from __future__ import annotations

import io
import unicodedata
import zipfile

import pytest
from openpyxl import Workbook

from bot import roster
from bot.app import App
from bot.model import Event, Identity
from bot.store import people
from tests.chat import Chat

HEADER = "Họ và tên,Số điện thoại,Xã/Phường,Thôn/Tổ dân phố,Chức danh,Năm sinh\n"
ROWS = (
    "Nguyễn Văn An,0912345678,Hương Khê,Thôn 1,Trưởng thôn,1970\n"
    "Trần Thị Bình,+84 913 222 333,xa phuc trach,Thôn Trung,Chi hội trưởng Phụ nữ,1980\n"
    "Lê Văn Cường,84914555666,Xã Hà Linh,Tổ dân phố 3,Tổ trưởng tổ dân phố,\n"
)


def csv_bytes(text: str, bom: bool = False) -> bytes:
    return ("\ufeff" if bom else "").encode() + text.encode()


def xlsx_bytes(rows: list[list[object]]) -> bytes:
    workbook = Workbook()
    sheet = workbook.active
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


async def dry(app: App, data: bytes, name: str = "ds.csv") -> roster.Plan:
    return await roster.dry_run(app.db, app.content, data, name, 2026)


async def test_dry_run_then_apply_then_reimport_changes_nothing(app: App) -> None:
    data = csv_bytes(HEADER + ROWS, bom=True)
    plan = await dry(app, data)
    assert [r.phone for r in plan.add] == ["0912345678", "0913222333", "0914555666"]
    assert await app.db.fetchval("SELECT count(*) FROM people") == 0  # a dry run writes nothing
    assert plan.add[1].role == "chi_hoi" and plan.add[1].association == "phu_nu"
    assert plan.add[2].role == "to_truong" and plan.add[2].commune == "Xã Hà Linh"
    assert set(plan.new_hamlets) == {("Xã Hương Khê", "Thôn 1"), ("Xã Phúc Trạch", "Thôn Trung"),
                                     ("Xã Hà Linh", "Tổ dân phố 3")}

    applied = await roster.apply(app.db, app.content, data, "ds.csv", 2026, "2026-12-01T01:00:00.000000Z")
    assert applied.applied and len(applied.add) == 3
    person = await people.by_phone(app.db, "0912345678")
    assert person is not None and person.source == "roster" and not person.registered
    assert (person.name, person.role, person.commune, person.hamlet, person.birth_year) == (
        "Nguyễn Văn An", "truong_thon", "Xã Hương Khê", "Thôn 1", 1970)
    assert await people.hamlets_learnt(app.db, "Xã Phúc Trạch") == ["Thôn Trung"]

    again = await dry(app, data)
    assert not again.writes_anything and again.same == 3
    text = roster.render_report(app.content.texts, again, "ds.csv", note="roster.cli_note")
    assert "Không có gì thay đổi" in text


async def test_changed_rows_update_roster_people_but_not_self_registered_answers(app: App, leader: Chat) -> None:
    await roster.apply(app.db, app.content, csv_bytes(HEADER + ROWS), "a.csv", 2026, "2026-12-01T01:00:00.000000Z")
    await leader.onboard(name="Phạm Thị Dung", commune="Hương Bình", hamlet="Thôn 5")
    me = await people.by_identity(app.db, leader.identity)
    assert me is not None
    await people.update_profile(app.db, me.id, phone="0987000111")
    changed = HEADER + ROWS.replace("Thôn 1,", "Thôn 2,") + "Phạm Dung,0987000111,Hương Khê,Thôn 9,Trưởng thôn,1975\n"
    plan = await dry(app, csv_bytes(changed))
    changes = {c.row.phone: c.fields for c in plan.change}
    assert changes == {"0912345678": {"hamlet": "Thôn 2"}}
    # Her own answers differ from the roster: a conflict with both values, not a silent change.
    [conflict] = plan.conflict
    assert conflict.row.phone == "0987000111" and conflict.fields["name"] == ("Phạm Thị Dung", "Phạm Dung")
    assert conflict.fields["commune"] == ("Xã Hương Bình", "Xã Hương Khê")
    assert plan.same == 2


@pytest.mark.parametrize(("content", "reason"), [
    ("Nguyễn A,abc,Hương Khê,,,\n", "bad_phone"),
    (",0912000001,Hương Khê,,,\n", "no_name"),
    ("😀😀,0912000002,Hương Khê,,,\n", "bad_name"),
    ("Nguyễn B,,Hương Khê,,,\n", "no_phone"),
    ("Nguyễn C,0912000003,Hà Nội,,,\n", "unknown_commune"),
    ("Nguyễn D,0912000004,,,,\n", "no_commune"),
    ("=1+1,0912000005,Hương Khê,,,\n", "formula"),
    ("Nguyễn E,0912000006,Hương Khê,=HYPERLINK(\"x\"),,\n", "formula"),
    ("Nguyễn F,0912000007,Hương Khê,,,1850\n", "bad_birth_year"),
    ("Nguyễn G,0912000008,Hương Khê," + "x" * 120 + ",,\n", "bad_hamlet"),
])
async def test_bad_rows_are_rejected_with_row_number_and_reason(app: App, content: str, reason: str) -> None:
    plan = await dry(app, csv_bytes(HEADER + ROWS + content))
    assert [(r.line, r.reason) for r in plan.rejected] == [(5, reason)]
    assert len(plan.add) == 3
    text = roster.render_report(app.content.texts, plan, "ds.csv")
    assert "Dòng 5:" in text


async def test_duplicate_phones_blank_rows_and_title_row(app: App) -> None:
    text = ("DANH SÁCH TRƯỞNG THÔN XÃ HƯƠNG KHÊ\n\n" + HEADER + ROWS + ",,,,,\n\n"
            + "Nguyễn Văn Anh,0912 345 678,Hương Khê,Thôn 1,Trưởng thôn,1971\n")
    plan = await dry(app, csv_bytes(text))
    assert plan.parsed.blank == 2
    assert [(r.line, r.reason, r.values["first"]) for r in plan.rejected] == [(9, "dup_phone", 4)]
    report = roster.render_report(app.content.texts, plan, "ds.csv")
    assert "trùng với dòng 4" in report


async def test_english_headers_semicolons_and_missing_optional_columns(app: App) -> None:
    data = csv_bytes("Roster, December\nName;Phone;Commune\nNguyen Van An;912345678;huong do\n")
    plan = await dry(app, data)
    assert [(r.name, r.phone, r.commune, r.hamlet, r.role) for r in plan.add] == [
        ("Nguyen Van An", "0912345678", "Xã Hương Đô", None, None)]


@pytest.mark.parametrize(("data", "name", "key"), [
    (b"", "a.csv", "errors.empty"),
    ("Họ và tên,Số điện thoại\nAn,0912345678\n".encode(), "a.csv", "errors.missing_columns"),
    (unicodedata.normalize("NFD", "Họ và tên,Số điện thoại,Xã/Phường\nAn,0912345678,Hương Khê\n").encode(
        "cp1258", errors="replace"), "a.csv", "errors.not_utf8_at"),
    ("Họ và tên,Số điện thoại,Xã/Phường\n".encode("utf-16"), "a.csv", "errors.not_utf8"),
    (b"hello,world\n1,2\n", "a.csv", "errors.no_header"),
    ("Họ và tên,Số điện thoại,Xã/Phường\n".encode(), "a.csv", "errors.no_rows"),
    (b"this is not a spreadsheet", "ds.xlsx", "errors.not_xlsx"),
    (b"\xd0\xcf\x11\xe0" + b"\x00" * 100, "ds.xls", "errors.old_xls"),
])
async def test_unusable_files_get_one_clear_error(app: App, data: bytes, name: str, key: str) -> None:
    with pytest.raises(roster.RosterError) as caught:
        await dry(app, data, name)
    assert caught.value.key == key
    message = roster.render_error(app.content.texts, caught.value)
    assert message.startswith("⚠️ Không nhập được tệp")
    if key == "errors.missing_columns":
        assert "Xã/Phường" in message


async def test_a_zip_that_is_not_a_workbook(app: App) -> None:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        archive.writestr("word/document.xml", "<w/>")
    with pytest.raises(roster.RosterError) as caught:
        await dry(app, buffer.getvalue(), "ds.xlsx")
    assert caught.value.key == "errors.not_xlsx"


async def test_xlsx_with_numbers_formulas_and_title(app: App) -> None:
    data = xlsx_bytes([
        ["Danh sách"],
        ["STT", "Họ và tên", "Số điện thoại", "Xã/Phường", "Thôn/Tổ dân phố", "Chức danh", "Năm sinh", "Ghi chú"],
        [1, "Nguyễn Văn An", 912345678, "Hương Khê", 4, "Bí thư chi đoàn", 1990.0, ""],
        [2, "=CONCAT(\"A\",\"B\")", "0913000000", "Hương Khê", "Thôn 2", "", None, ""],
        [None, None, None, None, None, None, None, None],
        [3, "Hoàng Văn Em", "0915000000", "Hương Xuân", "Thôn Hạ", "Chủ tịch MTTQ", None, "mới"],
    ])
    plan = await dry(app, data, "ds.xlsx")
    assert [(r.line, r.name, r.phone, r.hamlet, r.role, r.birth_year) for r in plan.add] == [
        (3, "Nguyễn Văn An", "0912345678", "Thôn 4", "chi_doan", 1990),
        (6, "Hoàng Văn Em", "0915000000", "Thôn Hạ", "khac", None)]
    # openpyxl wrote the formula without a computed value: data_only reads it as empty
    assert [(r.line, r.reason) for r in plan.rejected] == [(4, "no_name")]
    assert plan.parsed.blank == 1


async def test_ten_thousand_rows_apply_in_one_transaction(app: App) -> None:
    lines = [f"Người {i},09{i:08d},Hương Khê,Thôn {i % 30},Trưởng thôn,1970\n" for i in range(1, 10_001)]
    data = csv_bytes(HEADER + "".join(lines))
    plan = await roster.apply(app.db, app.content, data, "big.csv", 2026, "2026-12-01T01:00:00.000000Z")
    assert len(plan.add) == 10_000
    assert await app.db.fetchval("SELECT count(*) FROM people WHERE source = 'roster'") == 10_000
    assert await app.db.fetchval("SELECT count(*) FROM hamlets") == 30


async def test_too_many_rows_is_refused_before_writing(app: App) -> None:
    lines = "".join(f"N {i},09{i:08d},Hương Khê\n" for i in range(roster.MAX_ROWS + 1))
    with pytest.raises(roster.RosterError) as caught:
        await dry(app, csv_bytes("Họ và tên,Số điện thoại,Xã/Phường\n" + lines))
    assert caught.value.key == "errors.too_many_rows"


async def test_apply_is_all_or_nothing(app: App, monkeypatch: pytest.MonkeyPatch) -> None:
    from bot.store import roster as store

    async def broken(*args: object, **kwargs: object) -> None:
        await original(*args, **kwargs)
        raise RuntimeError("disk full")

    original = store.apply_plan
    monkeypatch.setattr(store, "apply_plan", broken)
    with pytest.raises(RuntimeError):
        await roster.apply(app.db, app.content, csv_bytes(HEADER + ROWS), "a.csv", 2026, "2026-12-01T01:00:00.000000Z")
    assert await app.db.fetchval("SELECT count(*) FROM people") == 0
    assert await app.db.fetchval("SELECT count(*) FROM hamlets") == 0


def document(chat: Chat, data: bytes | None, name: str) -> Event:
    return Event(chat.identity, "media", "document", display_name=chat.name, file_ref="doc1",
                 file_name=name, file_size=len(data or b""), file_data=data)


async def test_staff_upload_in_the_bot_dry_run_then_apply(app: App, staff: Chat) -> None:
    await staff.send("/import")
    assert "Gửi tệp" in staff.text or "gửi tệp" in staff.text
    await staff.send("xin chào")
    assert "đang chờ tệp" in staff.text
    staff.replies = await app.dispatch(document(staff, b"not,a,roster\n", "x.csv"))
    assert "không tìm thấy dòng tiêu đề" in staff.text
    staff.replies = await app.dispatch(document(staff, csv_bytes(HEADER + ROWS + "X,abc,Hương Khê,,,\n"), "ds.csv"))
    assert "chạy thử" in staff.text and "Dòng 5" in staff.text and "Áp dụng" in staff.labels[0]
    assert await app.db.fetchval("SELECT count(*) FROM people WHERE source = 'roster'") == 0
    apply_payload = staff.option("Áp dụng").payload
    await staff.press("Áp dụng")
    assert "Đã nhập tệp" in staff.text
    assert await app.db.fetchval("SELECT count(*) FROM people WHERE source = 'roster'") == 3
    await staff.press_payload(apply_payload)  # replayed button: the upload is gone
    assert "đã cũ" in staff.text or "đã được áp dụng" in staff.text
    assert await app.db.fetchval("SELECT count(*) FROM roster_uploads") == 0


async def test_upload_cancel_and_forged_buttons(app: App, staff: Chat, leader: Chat) -> None:
    await staff.send("/import")
    staff.replies = await app.dispatch(document(staff, csv_bytes(HEADER + ROWS), "ds.csv"))
    await staff.press("Hủy")
    assert "Đã hủy" in staff.text
    assert await app.db.fetchval("SELECT count(*) FROM roster_uploads") == 0
    assert await app.db.fetchval("SELECT count(*) FROM people WHERE source = 'roster'") == 0
    await staff.press_payload("roster:apply:99999")
    assert "đã cũ" in staff.text
    await leader.onboard()
    await leader.send("/import")
    assert "dành cho cán bộ" in leader.text or "cán bộ" in leader.text
    await staff.send("/import")
    staff.replies = await app.dispatch(document(staff, None, "ds.csv"))
    assert "chưa tải được" in staff.text


async def test_upload_on_zalo_and_console_is_explained(app: App) -> None:
    from bot.app import with_admin

    zalo = Identity("zalo", "abc")
    app.services.config = with_admin(app.config, zalo)
    chat = Chat(app, zalo)
    await chat.send("/import")
    assert "Telegram" in chat.text
    console = Identity("console", "an")
    app.services.config = with_admin(app.config, console)
    chat = Chat(app, console)
    await chat.send("/import")
    assert "caunoi import-roster" in chat.text


async def test_leader_on_the_roster_is_recognised_by_shared_phone(app: App, leader: Chat) -> None:
    await roster.apply(app.db, app.content, csv_bytes(HEADER + ROWS), "a.csv", 2026, "2026-12-01T01:00:00.000000Z")
    listed = await people.by_phone(app.db, "0913222333")
    assert listed is not None
    await leader.send("/start")
    await leader.press("Tôi đồng ý")
    await leader.send("Trần Thị Bình")
    await leader.press("Chi hội trưởng")
    await leader.press("Phụ nữ")
    await leader.press("Phúc Trạch")
    await leader.press("Thôn Trung")  # the roster taught the bot this hamlet
    await leader.share_contact("+84913222333")
    assert "tìm thấy anh/chị trong danh sách" in leader.text and "0913222333" in leader.text
    await leader.press("Đúng")
    assert "Đăng ký xong" in leader.text
    me = await people.by_identity(app.db, leader.identity)
    assert me is not None and me.id == listed.id and me.registered and me.consent_at is not None
    assert (me.birth_year, me.association, me.source) == (1980, "phu_nu", "roster")
    assert await app.db.fetchval("SELECT count(*) FROM people") == 3  # the temporary person is gone
    await leader.send("/menu")
    assert "Menu chính" in leader.text


async def test_someone_elses_phone_is_still_refused(app: App, leader: Chat) -> None:
    other = Chat(app, Identity("tg", "555"))
    await other.onboard(name="Người Khác")
    me = await people.by_identity(app.db, other.identity)
    assert me is not None
    await people.update_profile(app.db, me.id, phone="0916000000")
    await leader.send("/start")
    await leader.press("Tôi đồng ý")
    await leader.send("Nguyễn Văn An")
    await leader.press("Trưởng thôn")
    await leader.press("Hương Khê")
    await leader.send("Thôn 1")
    await leader.send("0916000000")
    assert "đã được một người khác đăng ký" in leader.text


async def test_oversized_upload_is_refused_before_reading(app: App, staff: Chat) -> None:
    await staff.send("/import")
    event = Event(staff.identity, "media", "document", display_name=staff.name, file_ref="big", file_name="x.csv",
                  file_size=roster.MAX_BYTES + 1, file_data=None)
    staff.replies = await app.dispatch(event)
    assert "lớn quá" in staff.text and "Hủy" in staff.labels[0]


async def test_staff_can_drop_a_roster_without_import_but_leaders_cannot(app: App, staff: Chat, leader: Chat) -> None:
    staff.replies = await app.dispatch(document(staff, csv_bytes(HEADER + ROWS), "ds.csv"))
    assert "chạy thử" in staff.text and "Thêm mới: 3" in staff.text
    await staff.press("Áp dụng")
    assert await app.db.fetchval("SELECT count(*) FROM people WHERE source = 'roster'") == 3
    await leader.onboard()
    leader.replies = await app.dispatch(document(leader, csv_bytes(HEADER), "ds.csv"))
    assert "chưa cần" in leader.text and "chạy thử" not in leader.text


@pytest.mark.parametrize(("cell", "expected"), [
    ("Trưởng thôn", ("truong_thon", None)),
    ("Tổ trưởng tổ dân phố", ("to_truong", None)),
    ("Trưởng TDP", ("to_truong", None)),
    ("Bí thư chi đoàn", ("chi_doan", None)),
    ("Chi hội trưởng Phụ nữ tổ dân phố 3", ("chi_hoi", "phu_nu")),
    ("chi hoi truong CCB", ("chi_hoi", "cuu_chien_binh")),
    ("chi_doan", ("chi_doan", None)),
    ("Chủ tịch Mặt trận", ("khac", None)),
    ("", (None, None)),
])
def test_role_labels_map_to_keys(cell: str, expected: tuple[str | None, str | None]) -> None:
    assert roster.role_of(cell) == expected


async def test_birth_date_column_gives_the_year(app: App) -> None:
    plan = await dry(app, csv_bytes("Họ tên,SĐT,Xã,Ngày sinh\nNguyễn An,0912345678,Hương Khê,05/03/1970\n"))
    assert [(r.name, r.birth_year) for r in plan.add] == [("Nguyễn An", 1970)]
