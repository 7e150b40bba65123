"""Staff management at the desk (province admins, as chat's /staff): add a commune staff member who
then logs in with `caunoi web-login` and sees only their commune, change communes and `sensitive`,
remove; every change audited; CAUNOI_ADMINS entries stay; commune staff get the refusal page."""

from __future__ import annotations

import asyncio

from bot.app import App
from bot.model import Identity
from bot.store import staff as stored
from tests.chat import Chat
from tests.conftest import STAFF
from tests.test_cli import run
from tests.test_web_scope import KHE, communes
from tests.test_web_units import LINK
from tests.web_rig import Site, site

__all__ = ["communes", "site"]  # fixtures
NEW = Identity("tg", "7003")


async def test_a_province_admin_adds_changes_and_removes_commune_staff(site: Site, app: App,
                                                                       communes: dict[str, Chat]) -> None:
    admin = await site.login(STAFF)
    await admin.goto(f"{site.base}/audit")
    await admin.fill("#staff-add-form input[name=identity]", "7003")
    await admin.click("#staff-add-button")
    assert "chưa đúng dạng" in await admin.text_content("#form-error")
    await admin.fill("#staff-add-form input[name=identity]", "tg:9000")
    await admin.click("#staff-add-button")
    assert "CAUNOI_ADMINS" in await admin.text_content("#form-error")
    await admin.fill("#staff-add-form input[name=identity]", "tg:7003")
    await admin.check("#staff-add-communes >> text=Xã Hương Khê")
    await admin.click("#staff-add-button")
    assert "Đã thêm tg:7003" in await admin.text_content("#form-notice")
    await site.shot(admin, "staff-added")
    member = await stored.get(app.db, str(NEW))
    assert member is not None and member.communes == {"Xã Hương Khê"} and not member.sensitive

    # The operator prints a one-time link for them; they see Hương Khê only.
    result = await asyncio.to_thread(run, site.shots, "web-login", str(NEW), CAUNOI_ADMINS="tg:9000",
                                     CAUNOI_DB=str(app.config.db_path), CAUNOI_WEB_URL=site.base)
    assert result.returncode == 0, result.stderr
    link = LINK.fullmatch(result.stdout.strip())
    assert link is not None
    page = await site.new_page()
    await page.goto(link.group(1))
    await page.click("#login-button")
    await page.wait_for_url(f"{site.base}/")
    table = await page.text_content("#by-commune")
    assert "Xã Hương Khê" in table and "Hương Đô" not in table
    await page.goto(f"{site.base}/leaders")
    assert "Lê Thị Khê" in await page.text_content("main") and "Phan Văn Đô" not in await page.text_content("main")
    response = await page.goto(f"{site.base}/audit")
    assert response is not None and response.status == 403

    # Hương Đô too, and the aspiration permission: saved, audited, and their next page shows it.
    await admin.goto(f"{site.base}/audit")
    row = admin.locator("#staff tr[data-identity='tg:7003']")
    await row.locator("label:has-text('Xã Hương Đô') input").check()
    await row.locator("input[name=sensitive]").check()
    await row.locator(".save-staff").click()
    assert "Đã lưu" in await admin.text_content("#form-notice")
    member = await stored.get(app.db, str(NEW))
    assert member is not None and member.communes == {"Xã Hương Khê", "Xã Hương Đô"} and member.sensitive
    await page.goto(f"{site.base}/leaders")
    assert "Phan Văn Đô" in await page.text_content("main")

    await admin.locator("#staff tr[data-identity='tg:7003'] .remove-staff").click()
    await admin.click("#staff-remove-yes")  # the confirmation page first (tests/test_web_staff_confirm.py)
    assert "Đã xóa tg:7003" in await admin.text_content("#form-notice")
    assert await stored.get(app.db, str(NEW)) is None
    response = await page.goto(f"{site.base}/leaders")
    assert response is not None and response.status == 403
    actions = await app.db.fetchall("SELECT actor, action, subject FROM audit_log WHERE subject LIKE 'staff:tg:7003%'"
                                    " ORDER BY id")
    assert [tuple(r) for r in actions] == [
        ("tg:9000", "staff.add", "staff:tg:7003"), ("tg:9000", "staff.communes", "staff:tg:7003"),
        ("tg:9000", "staff.sensitive_grant", "staff:tg:7003"), ("tg:9000", "staff.remove", "staff:tg:7003")]

    # A CAUNOI_ADMINS entry has no remove button, and a forged removal changes nothing.
    token = (await admin.content()).split('name="csrf" value="')[1].split('"')[0]
    response = await admin.request.post(f"{site.base}/audit/staff/remove", form={"csrf": token, "identity": "tg:9000"})
    assert response.status == 403
    assert "tg:9000" in await (await admin.request.get(f"{site.base}/audit")).text()


async def test_commune_staff_cannot_manage_staff(site: Site, app: App, communes: dict[str, Chat]) -> None:
    page = await site.login(KHE)
    response = await page.goto(f"{site.base}/audit")
    assert response is not None and response.status == 403
    token = (await (await page.request.get(f"{site.base}/inbox")).text()).split('name="csrf" value="')[1]
    token = token.split('"')[0]
    for path, form in (("/audit/staff/add", {"identity": "tg:7009", "commune": "Xã Hương Đô", "sensitive": "1"}),
                       ("/audit/staff/save", {"identity": str(KHE), "commune": "Xã Hương Đô", "sensitive": "1"}),
                       ("/audit/staff/remove", {"identity": "tg:7002"})):
        response = await page.request.post(f"{site.base}{path}", form={"csrf": token, **form})
        assert response.status == 403, path
    assert await stored.get(app.db, "tg:7009") is None
    khe = await stored.get(app.db, str(KHE))
    assert khe is not None and khe.communes == {"Xã Hương Khê"} and not khe.sensitive
    assert await stored.get(app.db, "tg:7002") is not None
