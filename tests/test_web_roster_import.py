"""Importing the leader roster at the desk (/leaders/import), as chat's /import: a dry run with chat's
report, the file waiting in roster_uploads, "Áp dụng" writing it within the staff member's communes
(another commune's rows refused with the reason), audited; CSRF and login guard the upload too."""

from __future__ import annotations

import io
from typing import Any

import openpyxl
import pytest

from bot import roster
from bot.app import App
from bot.model import Identity
from bot.store import staff as stored
from tests import web_rig
from tests.conftest import STAFF
from tests.web_rig import Site

site = web_rig.site  # the fixture
KHE = Identity("tg", "7001")  # commune staff of Xã Hương Khê
NOW = "2026-12-01T00:00:00.000000Z"
HEADER = "Họ và tên,Số điện thoại,Xã/phường,Thôn/tổ dân phố,Chức danh,Năm sinh\n"


@pytest.fixture
async def khe_staff(app: App) -> Identity:
    """A commune staff member of Xã Hương Khê stored in the database."""
    await stored.add(app.db, str(KHE), communes=frozenset({"Xã Hương Khê"}), sensitive=False, province=False,
                     by=str(STAFF), at=NOW)
    return KHE


def csv_file(*rows: str, name: str = "danh-sach.csv") -> dict[str, Any]:
    """A roster CSV made here, as Playwright's set_input_files takes it."""
    return {"name": name, "mimeType": "text/csv", "buffer": (HEADER + "\n".join(rows) + "\n").encode("utf-8")}


async def check_file(page: Any, site: Site, file: dict[str, Any]) -> str:
    """Open the import page from the leaders page, send the file, return the dry-run report."""
    await page.goto(f"{site.base}/leaders")
    await page.click("#import-link")
    await page.set_input_files("#import-form input[name=file]", files=[file])
    await page.click("#import-check-button")
    await page.wait_for_selector("#import-report")
    return str(await page.text_content("#import-report"))


async def phones(app: App) -> set[str]:
    """The phones of everyone in the database."""
    return {row["phone"] for row in await app.db.fetchall("SELECT phone FROM people WHERE phone IS NOT NULL")}


async def test_a_province_admin_imports_a_roster_at_the_desk(site: Site, app: App) -> None:
    page = await site.login(STAFF)
    report = await check_file(page, site, csv_file(
        "Nguyễn Văn An,0912345671,Xã Hương Khê,Thôn 1,Trưởng thôn,1970",
        "Trần Thị Bình,0912345672,Xã Hương Đô,Thôn 2,Trưởng thôn,1975"))
    await site.shot(page, "import-dry-run")
    assert "chạy thử, chưa ghi gì" in report and "Sẽ thêm (2)" in report
    assert "Nguyễn Văn An" in report and "Trần Thị Bình" in report
    assert "Bấm “Áp dụng” để ghi" in report  # chat's note: the same report as in chat
    assert await phones(app) == set()  # a dry run writes nothing
    assert await app.db.fetchval("SELECT count(*) FROM roster_uploads") == 1  # waiting, as in chat
    await page.click("#import-apply-button")
    await page.wait_for_selector("#import-report")
    await site.shot(page, "import-applied")
    applied = await page.text_content("#import-report")
    assert "Đã thêm: 2 người" in applied and "Đã cập nhật: 0 người" in applied and "Bỏ qua (xung đột): 0" in applied
    assert await phones(app) == {"0912345671", "0912345672"}
    row = await app.db.fetchone("SELECT name, commune, hamlet, source FROM people WHERE phone = '0912345672'")
    assert tuple(row) == ("Trần Thị Bình", "Xã Hương Đô", "Thôn 2", "roster")
    assert await app.db.fetchval("SELECT count(*) FROM roster_uploads") == 0
    entry = await app.db.fetchone("SELECT actor, action, scope, subject FROM audit_log WHERE action = 'roster.import'")
    assert tuple(entry) == (str(STAFF), "roster.import", "*", "added:2 changed:0")
    await page.goto(f"{site.base}/leaders?commune=Xã Hương Đô")
    assert "Trần Thị Bình" in await page.text_content("#leaders-table")

    # The same file again changes one row: "Đã cập nhật"; cancelling forgets the waiting file.
    report = await check_file(page, site, csv_file(
        "Nguyễn Văn An,0912345671,Xã Hương Khê,Thôn 3,Trưởng thôn,1970"))
    assert "Sẽ cập nhật (1)" in report and "Dòng 2: Nguyễn Văn An (0912345671) — đổi: thôn/tổ" in report
    await page.click("#import-cancel-button")
    assert "Đã hủy" in await page.text_content("#import-notice")
    assert await app.db.fetchval("SELECT count(*) FROM roster_uploads") == 0
    assert await app.db.fetchval("SELECT hamlet FROM people WHERE phone = '0912345671'") == "Thôn 1"


async def test_commune_staff_import_only_their_communes_rows(site: Site, app: App, khe_staff: Identity) -> None:
    admin = await site.login(STAFF)  # the province admin's own waiting file is not the commune staff's to use
    await check_file(admin, site, csv_file("Lê Văn Cường,0912345679,Xã Hương Đô,Thôn 5,Trưởng thôn,1980"))
    admin_upload = await app.db.fetchval("SELECT id FROM roster_uploads")

    page = await site.login(khe_staff)
    report = await check_file(page, site, csv_file(
        "Nguyễn Văn An,0912345671,Xã Hương Khê,Thôn 1,Trưởng thôn,1970",
        "Trần Thị Bình,0912345672,Xã Hương Đô,Thôn 2,Trưởng thôn,1975"))
    await site.shot(page, "import-commune-dry-run")
    assert "Dòng bị loại (1)" in report
    assert "Dòng 3: xã/phường “Xã Hương Đô” không thuộc phạm vi anh/chị phụ trách (Xã Hương Khê)" in report
    assert "Sẽ thêm (1)" in report
    await page.click("#import-apply-button")
    await page.wait_for_selector("#import-report")
    assert "Đã thêm: 1 người" in await page.text_content("#import-report")
    assert await phones(app) == {"0912345671"}
    entry = await app.db.fetchone("SELECT actor, scope FROM audit_log WHERE action = 'roster.import'")
    assert tuple(entry) == (str(KHE), "Xã Hương Khê")

    # Applying someone else's waiting file by its id (a forged form) finds nothing, and leaves it waiting.
    token = (await (await page.request.get(f"{site.base}/leaders/import")).text()).split('name="csrf" value="')[1]
    response = await page.request.post(f"{site.base}/leaders/import/{admin_upload}/apply",
                                       form={"csrf": token.split('"')[0]})
    assert response.status == 404 and "không còn được giữ" in await response.text()
    response = await page.request.post(f"{site.base}/leaders/import/{admin_upload}/cancel",
                                       form={"csrf": token.split('"')[0]})
    assert response.status == 200  # the form again, saying "cancelled", with nothing of theirs done
    assert await app.db.fetchval("SELECT count(*) FROM roster_uploads WHERE id = ?", (admin_upload,)) == 1
    assert "0912345679" not in await phones(app)


async def test_an_upload_without_csrf_or_session_is_refused(site: Site, app: App) -> None:
    page = await site.login(STAFF)
    file = csv_file("Nguyễn Văn An,0912345671,Xã Hương Khê,Thôn 1,Trưởng thôn,1970")
    await page.goto(f"{site.base}/leaders/import")
    await page.eval_on_selector("#import-form input[name=csrf]", "e => e.remove()")
    await page.set_input_files("#import-form input[name=file]", files=[file])
    await page.click("#import-check-button")
    assert "Biểu mẫu đã cũ" in await page.text_content("#error-message")
    response = await page.request.post(f"{site.base}/leaders/import", multipart={"csrf": "forged", "file": file})
    assert response.status == 403
    assert await app.db.fetchval("SELECT count(*) FROM roster_uploads") == 0

    stranger = await site.new_page()  # not logged in: sent to the login explanation, nothing read
    response = await stranger.goto(f"{site.base}/leaders/import")
    assert response is not None and response.status == 401
    assert "gửi /web" in await stranger.text_content("#login-needed")
    response = await stranger.request.post(f"{site.base}/leaders/import", multipart={"file": file})
    assert response.status == 401
    assert await app.db.fetchval("SELECT count(*) FROM roster_uploads") == 0 and await phones(app) == set()


async def test_a_file_over_chats_limit_is_refused(site: Site, app: App) -> None:
    page = await site.login(STAFF)
    await page.goto(f"{site.base}/leaders/import")
    big = {"name": "lon.csv", "mimeType": "text/csv", "buffer": HEADER.encode() + b"x" * roster.MAX_BYTES}
    await page.set_input_files("#import-form input[name=file]", files=[big])
    await page.click("#import-check-button")
    await site.shot(page, "import-too-big")
    assert "tệp lớn quá (tối đa 10 MB)" in await page.text_content("#form-error")
    assert await app.db.fetchval("SELECT count(*) FROM roster_uploads") == 0


async def test_an_xlsx_roster_and_a_request_over_the_limit(site: Site, app: App) -> None:
    workbook = openpyxl.Workbook()
    sheet = workbook.active
    assert sheet is not None
    sheet.append(HEADER.strip().split(","))
    sheet.append(["Phạm Thị Dung", "0912345673", "Xã Hương Khê", "Thôn 4", "Trưởng thôn", 1982])
    buffer = io.BytesIO()
    workbook.save(buffer)
    xlsx = {"name": "danh-sach.xlsx", "buffer": buffer.getvalue(),
            "mimeType": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"}
    page = await site.login(STAFF)
    report = await check_file(page, site, xlsx)
    assert "Dòng 2: Phạm Thị Dung, 0912345673, Xã Hương Khê, Thôn 4" in report
    await page.click("#import-apply-button")
    await page.wait_for_selector("#import-report")
    assert await phones(app) == {"0912345673"}
    # A request larger than any allowed file is stopped before it is read, with chat's sentence.
    token = (await (await page.request.get(f"{site.base}/leaders/import")).text()).split('name="csrf" value="')[1]
    huge = {"name": "lon.csv", "mimeType": "text/csv", "buffer": b"x" * (roster.MAX_BYTES + 200 * 1024)}
    response = await page.request.post(f"{site.base}/leaders/import",
                                       multipart={"csrf": token.split('"')[0], "file": huge})
    assert response.status == 413 and "tệp lớn quá (tối đa 10 MB)" in await response.text()
    assert await app.db.fetchval("SELECT count(*) FROM roster_uploads") == 0
