"""Conflicting roster rows at the desk (a registered leader's own answers differ from the file): the
staff member overwrites the ticked rows or all of them (the command line's --update-conflicts), within
their communes, in the import's one transaction; the report after applying says "Đã thêm / Đã cập nhật /
Bỏ qua" as the command line does. Every step is a redirect: reloading repeats nothing."""

from __future__ import annotations

from typing import Any

from bot.app import App
from bot.store import people
from tests.chat import Chat
from tests.conftest import STAFF
from tests.test_web_roster_import import KHE, check_file, csv_file, khe_staff
from tests.web_rig import Site, site

__all__ = ["khe_staff", "site"]  # fixtures
DUNG = "Phạm Văn Dũng,0987000111,Xã Hương Khê,Thôn 1,Trưởng thôn,1975"  # line 2: Phạm Thị Dung in the bot
BAY = "Ngô Văn Bẩy,0987000222,Xã Hương Khê,Thôn 1,Trưởng thôn,1970"  # line 3: Ngô Văn Bảy in the bot
NEW = "Người Mới,0912000333,Xã Hương Khê,Thôn 1,Trưởng thôn,1980"  # line 4: not in the bot


async def registered(app: App, address: str, name: str, phone: str, commune: str = "Hương Khê") -> int:
    """A leader who registered through the bot with their own answers, and this phone."""
    chat = Chat(app, STAFF.__class__("tg", address))
    await chat.onboard(name=name, commune=commune)
    me = await people.by_identity(app.db, chat.identity)
    assert me is not None
    await people.update_profile(app.db, me.id, phone=phone)
    return me.id


async def name_of(app: App, person_id: int) -> str:
    """The person's stored name."""
    return str(await app.db.fetchval("SELECT name FROM people WHERE id = ?", (person_id,)))


async def imports(app: App) -> list[tuple[Any, ...]]:
    """The audit entries of roster imports: (actor, scope, subject)."""
    rows = await app.db.fetchall(
        "SELECT actor, scope, subject FROM audit_log WHERE action = 'roster.import' ORDER BY id")
    return [tuple(row) for row in rows]


async def test_overwriting_the_ticked_conflict_then_all(site: Site, app: App) -> None:
    dung = await registered(app, "101", "Phạm Thị Dung", "0987000111")
    bay = await registered(app, "102", "Ngô Văn Bảy", "0987000222")
    page = await site.login(STAFF)
    report = await check_file(page, site, csv_file(DUNG, BAY, NEW))
    await site.shot(page, "import-conflicts")
    assert "Xung đột (2)" in report and "“Phạm Thị Dung” trong bot, “Phạm Văn Dũng” trong tệp" in report
    assert "đánh dấu “Ghi đè theo tệp”" in report and "--update-conflicts" not in report
    assert await page.locator("#import-conflicts input[name=line]").count() == 2
    waiting_url = page.url
    assert waiting_url.startswith(f"{site.base}/leaders/import/")  # the waiting file's own page, a GET
    await page.reload()
    assert "Xung đột (2)" in await page.text_content("#import-report")
    assert await app.db.fetchval("SELECT count(*) FROM roster_uploads") == 1

    await page.check("#conflict-2")  # Phạm Thị Dung's row only
    await page.click("#import-apply-button")
    await page.wait_for_selector("#import-report")
    await site.shot(page, "import-conflicts-applied")
    applied = str(await page.text_content("#import-report"))
    assert "Đã thêm: 1 người" in applied and "Đã cập nhật: 1 người" in applied and "Bỏ qua (xung đột): 1" in applied
    assert "Đã cập nhật theo tệp dù xung đột (1):\nDòng 2: 0987000111" in applied
    assert "Bỏ qua vì xung đột (1):\nDòng 3: 0987000222" in applied
    assert (await name_of(app, dung), await name_of(app, bay)) == ("Phạm Văn Dũng", "Ngô Văn Bảy")
    # The overwritten row's other blanks are filled too (the birth year the leader never gave).
    assert await app.db.fetchval("SELECT birth_year FROM people WHERE id = ?", (dung,)) == 1975
    assert await imports(app) == [(str(STAFF), "*", "added:1 changed:0 overwritten:1")]
    people_now = await app.db.fetchval("SELECT count(*) FROM people")
    await page.reload()  # the result again; nothing applied twice
    assert "Đã cập nhật: 1 người" in await page.text_content("#import-report")
    assert len(await imports(app)) == 1 and await app.db.fetchval("SELECT count(*) FROM people") == people_now
    response = await page.goto(waiting_url)  # the applied file is gone
    assert response is not None and response.status == 404

    # The same file again: one conflict left; "overwrite all" writes it.
    report = await check_file(page, site, csv_file(DUNG, BAY, NEW))
    assert "Xung đột (1)" in report
    await page.click("#import-apply-all-button")
    await page.wait_for_selector("#import-report")
    applied = str(await page.text_content("#import-report"))
    assert "Đã cập nhật: 1 người" in applied and "Bỏ qua (xung đột): 0" in applied
    assert await name_of(app, bay) == "Ngô Văn Bẩy"
    assert (await imports(app))[-1] == (str(STAFF), "*", "added:0 changed:0 overwritten:1")


async def test_applying_without_ticking_skips_conflicts(site: Site, app: App) -> None:
    dung = await registered(app, "101", "Phạm Thị Dung", "0987000111")
    page = await site.login(STAFF)
    await check_file(page, site, csv_file(DUNG, NEW))
    await page.click("#import-apply-button")
    await page.wait_for_selector("#import-report")
    applied = str(await page.text_content("#import-report"))
    assert "Đã thêm: 1 người" in applied and "Đã cập nhật: 0 người" in applied and "Bỏ qua (xung đột): 1" in applied
    assert await name_of(app, dung) == "Phạm Thị Dung"
    assert await imports(app) == [(str(STAFF), "*", "added:1 changed:0")]


async def test_commune_staff_overwrite_only_within_their_communes(site: Site, app: App, khe_staff: Any) -> None:
    dung = await registered(app, "101", "Phạm Thị Dung", "0987000111")
    do = await registered(app, "103", "Trần Văn Đô", "0987000444", commune="Hương Đô")
    admin = await site.login(STAFF)
    await check_file(admin, site, csv_file(DUNG))
    admins_file = admin.url
    page = await site.login(KHE)
    response = await page.goto(admins_file)  # someone else's waiting file: not shown, as if gone
    assert response is not None and response.status == 404 and "Phạm Văn Dũng" not in await page.content()
    # Line 3 claims Hương Đô's leader for Hương Khê under another name: refused with the reason, not a conflict.
    report = await check_file(page, site, csv_file(DUNG, "Trần Văn Khác,0987000444,Xã Hương Khê,Thôn 1,Trưởng thôn,"))
    assert "Xung đột (1)" in report and "Dòng bị loại (1)" in report
    assert await page.locator("#import-conflicts input[name=line]").count() == 1
    # A forged tick for line 3 besides "overwrite all" changes nothing outside their communes.
    await page.eval_on_selector("#import-apply-form", """form => {
        const box = document.createElement('input');
        box.type = 'checkbox'; box.name = 'line'; box.value = '3'; box.checked = true; form.appendChild(box);
    }""")
    await page.click("#import-apply-all-button")
    await page.wait_for_selector("#import-report")
    applied = str(await page.text_content("#import-report"))
    assert "Đã cập nhật: 1 người" in applied and "Dòng bị loại: 1" in applied
    assert (await name_of(app, dung), await name_of(app, do)) == ("Phạm Văn Dũng", "Trần Văn Đô")
    assert await app.db.fetchval("SELECT commune FROM people WHERE id = ?", (do,)) == "Xã Hương Đô"
    assert await imports(app) == [(str(KHE), "Xã Hương Khê", "added:0 changed:0 overwritten:1")]


async def test_reloading_the_import_pages_repeats_nothing(site: Site, app: App) -> None:
    page = await site.login(STAFF)
    await check_file(page, site, csv_file(NEW))
    first = await app.db.fetchval("SELECT id FROM roster_uploads")
    await page.reload()  # the waiting file's page: read again, not sent again
    assert await app.db.fetchval("SELECT id FROM roster_uploads") == first
    await page.click("#import-cancel-button")
    assert "Đã hủy" in await page.text_content("#import-notice") and "/leaders/import?r=" in page.url
    await page.reload()
    assert "Đã hủy" in await page.text_content("#import-notice")
    assert await app.db.fetchval("SELECT count(*) FROM roster_uploads") == 0

    # A file that changes nothing: its report is the result, shown again on reload, nothing kept.
    await check_file(page, site, csv_file(NEW))
    await page.click("#import-apply-button")
    await page.wait_for_selector("#import-again")
    report = await check_file(page, site, csv_file(NEW))
    assert "Không có gì thay đổi" in report and "/leaders/import?r=" in page.url
    await page.reload()
    assert "Không có gì thay đổi" in await page.text_content("#import-report")
    assert await app.db.fetchval("SELECT count(*) FROM roster_uploads") == 0
    assert len(await imports(app)) == 1
