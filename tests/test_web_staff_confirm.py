"""Removing a staff member on the web asks first (as chat's /staff does), naming who and what they lose;
a removal posted without the confirmation only leads to that page. Every staff form answers with a
redirect (POST → 303 → GET): reloading the result shows it again and repeats nothing."""

from __future__ import annotations

from typing import Any
from urllib.parse import unquote

from bot.app import App
from bot.model import Identity
from bot.store import staff as stored
from tests.conftest import STAFF
from tests.web_rig import Site, site

__all__ = ["site"]  # fixture
MEMBER = Identity("tg", "7005")


async def entries(app: App, action: str) -> int:
    """How many audit entries of `action` there are about MEMBER."""
    return int(await app.db.fetchval("SELECT count(*) FROM audit_log WHERE action = ? AND subject LIKE ?",
                                     (action, f"staff:{MEMBER}%")))


async def csrf(page: Any) -> str:
    """The session's CSRF token, read from the page's forms."""
    return str((await page.content()).split('name="csrf" value="')[1].split('"')[0])


async def test_removing_staff_asks_first_and_quay_lai_keeps_them(site: Site, app: App) -> None:
    await stored.add(app.db, str(MEMBER), communes=frozenset({"Xã Hương Khê"}), sensitive=True, province=False,
                     by=str(STAFF), at="2026-12-01T00:00:00.000000Z")
    admin = await site.login(STAFF)
    await admin.goto(f"{site.base}/audit")
    await admin.locator("#staff tr[data-identity='tg:7005'] .remove-staff").click()
    await admin.wait_for_selector("#staff-remove-confirm")
    await site.shot(admin, "staff-remove-confirm")
    shown = str(await admin.text_content("#staff-remove-confirm"))
    assert "Xóa tg:7005 khỏi danh sách cán bộ?" in shown
    losses = str(await admin.text_content("#staff-remove-losses"))
    assert "Xã Hương Khê" in losses and "nguyện vọng" in losses and "trang quản lý" in losses
    assert await stored.get(app.db, str(MEMBER)) is not None and await entries(app, "staff.remove") == 0

    await admin.click("#staff-remove-back")  # "Quay lại": nothing changes
    await admin.wait_for_url(f"{site.base}/audit")
    assert await stored.get(app.db, str(MEMBER)) is not None

    await admin.locator("#staff tr[data-identity='tg:7005'] .remove-staff").click()
    await admin.click("#staff-remove-yes")
    assert "Đã xóa tg:7005" in await admin.text_content("#form-notice")
    assert "/audit?r=" in admin.url  # a GET: reloading it does not post again
    await admin.reload()
    assert "Đã xóa tg:7005" in await admin.text_content("#form-notice")  # the result is still shown
    assert await stored.get(app.db, str(MEMBER)) is None and await entries(app, "staff.remove") == 1

    # Another session opening the same result URL sees no result of someone else's.
    other = await site.login(STAFF)
    await other.goto(admin.url)
    assert await other.locator("#form-notice").count() == 0


async def test_a_removal_posted_without_confirmation_only_leads_to_the_confirmation(site: Site, app: App) -> None:
    await stored.add(app.db, str(MEMBER), communes=frozenset({"Xã Hương Đô"}), sensitive=False, province=False,
                     by=str(STAFF), at="2026-12-01T00:00:00.000000Z")
    admin = await site.login(STAFF)
    await admin.goto(f"{site.base}/audit")
    token = await csrf(admin)
    response = await admin.request.post(f"{site.base}/audit/staff/remove",
                                        form={"csrf": token, "identity": str(MEMBER)}, max_redirects=0)
    assert response.status == 303 and unquote(response.headers["location"]) == "/audit/staff/remove?identity=tg:7005"
    assert await stored.get(app.db, str(MEMBER)) is not None
    page = await admin.request.get(f"{site.base}{response.headers['location']}")
    assert page.status == 200 and "Xóa tg:7005 khỏi danh sách cán bộ?" in await page.text()
    assert "nguyện vọng" not in (await page.text()).split('id="staff-remove-losses"')[1].split("</ul>")[0]
    # The confirmation page of someone who is not stored (a CAUNOI_ADMINS entry, a made-up id) is refused.
    for identity in ("tg:9000", "tg:424242"):
        refused = await admin.request.get(f"{site.base}/audit/staff/remove?identity={identity}")
        assert refused.status == 403
    # With the confirmation, it is removed.
    response = await admin.request.post(f"{site.base}/audit/staff/remove",
                                        form={"csrf": token, "identity": str(MEMBER), "confirm": "1"}, max_redirects=0)
    assert response.status == 303 and response.headers["location"].startswith("/audit?r=")
    assert await stored.get(app.db, str(MEMBER)) is None


async def test_reloading_after_adding_or_saving_staff_repeats_nothing(site: Site, app: App) -> None:
    admin = await site.login(STAFF)
    await admin.goto(f"{site.base}/audit")
    await admin.fill("#staff-add-form input[name=identity]", str(MEMBER))
    await admin.check("#staff-add-communes >> text=Xã Hương Khê")
    await admin.click("#staff-add-button")
    assert "Đã thêm tg:7005" in await admin.text_content("#form-notice")
    await admin.reload()
    assert "Đã thêm tg:7005" in await admin.text_content("#form-notice")
    assert await entries(app, "staff.add") == 1

    row = admin.locator("#staff tr[data-identity='tg:7005']")
    await row.locator("label:has-text('Xã Hương Đô') input").check()
    await row.locator(".save-staff").click()
    assert "Đã lưu" in await admin.text_content("#form-notice")
    await admin.reload()
    assert "Đã lưu" in await admin.text_content("#form-notice")
    assert await entries(app, "staff.communes") == 1
    member = await stored.get(app.db, str(MEMBER))
    assert member is not None and member.communes == {"Xã Hương Khê", "Xã Hương Đô"}

    # A refused addition shows its reason after the redirect too, and adds nothing.
    await admin.fill("#staff-add-form input[name=identity]", "7006")
    await admin.click("#staff-add-button")
    assert "chưa đúng dạng" in await admin.text_content("#form-error")
    await admin.reload()
    assert "chưa đúng dạng" in await admin.text_content("#form-error")
    assert await stored.get(app.db, "tg:7006") is None
