"""Invitation codes at the desk (province admins, as chat's /staff "Tạo mã mời"): the code is made by
the same function as in chat, shown once with a copy button, only its hash is stored, the open codes
are listed with their expiry; redeemed in chat with /staff_join through the real router, the new staff
member appears on /audit with the communes chosen on the web. Commune staff get the refusal page,
for the page and for a forged form."""

from __future__ import annotations

from datetime import timedelta

from playwright.async_api import expect

from bot.app import App
from bot.clock import FakeClock
from bot.model import Identity
from bot.store import staff as stored
from tests.chat import Chat
from tests.conftest import STAFF
from tests.test_web_scope import KHE, communes
from tests.web_rig import Site, site

__all__ = ["communes", "site"]  # fixtures
NEWCOMER = Identity("tg", "7010")
TRACH, LINH = "Xã Phúc Trạch", "Xã Hà Linh"


async def _admin_with_clipboard(site: Site) -> object:
    """A province admin's page whose browser context may write and read the clipboard."""
    context = await site.browser.new_context(viewport={"width": 1100, "height": 900}, locale="vi-VN",
                                             permissions=["clipboard-read", "clipboard-write"])
    page = await context.new_page()
    await page.goto(await site.link(STAFF))
    await page.click("#login-button")
    await page.wait_for_url(f"{site.base}/")
    return page


async def test_an_invitation_made_on_the_web_is_redeemed_in_chat(site: Site, app: App, clock: FakeClock) -> None:
    admin = await _admin_with_clipboard(site)
    await admin.goto(f"{site.base}/audit")
    assert await admin.locator("#invites-none").count() == 1
    await admin.click("#invite-button")  # no commune ticked: refused as in chat, nothing stored
    assert "ít nhất một xã" in await admin.text_content("#invite-error")
    assert await app.db.fetchval("SELECT count(*) FROM staff_invites") == 0

    await admin.check("#invite-communes >> text=Xã Phúc Trạch")
    await admin.check("#invite-communes >> text=Xã Hà Linh")
    await admin.check("#invite-sensitive")
    await admin.click("#invite-button")
    code = await admin.input_value("#invite-code")
    assert len(code) == 12 and code.isalnum() and code.isupper()
    assert await admin.text_content("#invite-command") == f"/staff_join {code}"
    where = await admin.text_content("#invite-where")
    assert "Xã Hà Linh, Xã Phúc Trạch" in where and "nguyện vọng" in where
    expires = clock.now() + timedelta(hours=48)
    assert expires.astimezone(app.config.tz).strftime("%H:%M %d/%m/%Y") in await admin.text_content("#invite-made")
    await admin.click("#invite-copy")
    # The button's text changes once the clipboard has answered (an await in the page's script).
    await expect(admin.locator("#invite-copy")).to_have_text("Đã chép mã")
    assert await admin.evaluate("navigator.clipboard.readText()") == code
    await site.shot(admin, "staff-invite-made")

    # The open code is listed without the code itself; the database keeps only its hash.
    listed = await admin.text_content("#invites")
    assert "Xã Hà Linh, Xã Phúc Trạch" in listed and "tg:9000" in listed and code not in listed
    assert await app.db.fetchval("SELECT count(*) FROM staff_invites WHERE code_hash = ?",
                                 (stored.code_hash(code),)) == 1
    row = await app.db.fetchone("SELECT * FROM staff_invites")
    assert row is not None and all(code not in str(value) for value in tuple(row))

    # Another session of the same admin, given the result's URL, does not see the code.
    other = await site.login(STAFF)
    await other.goto(admin.url)
    assert await other.locator("#invite-code").count() == 0 and code not in await other.content()

    # Redeemed in chat, through the real router on the same database.
    newcomer = Chat(app, NEWCOMER)
    await newcomer.send(f"/staff_join {code}")
    assert "Xã Hà Linh, Xã Phúc Trạch" in newcomer.text and "nguyện vọng" in newcomer.text
    member = await stored.get(app.db, str(NEWCOMER))
    assert member is not None and member.communes == {TRACH, LINH} and member.sensitive and not member.province
    await admin.goto(f"{site.base}/audit")
    row_of = admin.locator("#staff tr[data-identity='tg:7010']")
    assert await row_of.count() == 1
    ticked = await row_of.locator("input[name=commune]:checked").evaluate_all("boxes => boxes.map(b => b.value)")
    assert sorted(ticked) == [LINH, TRACH]
    assert await row_of.locator("input[name=sensitive]").is_checked()
    assert await admin.locator("#invites-none").count() == 1  # used: no longer waiting
    await site.shot(admin, "staff-invite-redeemed")
    again = Chat(app, Identity("tg", "7011"))
    await again.send(f"/staff_join {code}")
    assert "không đúng" in again.text and await stored.get(app.db, "tg:7011") is None

    actions = [tuple(r) for r in await app.db.fetchall(
        "SELECT actor, action, scope, subject FROM audit_log WHERE action LIKE 'staff.%' ORDER BY id")]
    assert actions == [("tg:9000", "staff.invite", "Xã Hà Linh,Xã Phúc Trạch", ""),
                       ("tg:9000", "staff.add", "Xã Hà Linh,Xã Phúc Trạch", "staff:tg:7010 sensitive"),
                       ("tg:7010", "staff.join", "", "staff:tg:7010")]


async def test_open_codes_show_their_expiry_and_leave_the_list_when_expired(site: Site, app: App,
                                                                            clock: FakeClock) -> None:
    admin = await site.login(STAFF)
    await admin.goto(f"{site.base}/audit")
    await admin.check("#invite-communes >> text=Xã Phúc Trạch")
    await admin.click("#invite-button")
    code = await admin.input_value("#invite-code")
    await admin.goto(f"{site.base}/audit")
    assert await admin.locator("#invite-code").count() == 0  # shown once: a fresh /audit has no code
    listed = await admin.locator("#invites tbody tr").all_text_contents()
    expires = (clock.now() + timedelta(hours=48)).astimezone(app.config.tz).strftime("%H:%M %d/%m/%Y")
    assert len(listed) == 1 and "Xã Phúc Trạch" in listed[0] and expires in listed[0] and "Không" in listed[0]
    clock.advance(timedelta(hours=49))
    admin = await site.login(STAFF)  # the first session ended after 30 idle minutes
    await admin.goto(f"{site.base}/audit")
    assert await admin.locator("#invites-none").count() == 1
    late = Chat(app, NEWCOMER)
    await late.send(f"/staff_join {code}")
    assert "hết hạn" in late.text and await stored.get(app.db, str(NEWCOMER)) is None


async def test_a_forged_commune_is_refused(site: Site, app: App) -> None:
    admin = await site.login(STAFF)
    await admin.goto(f"{site.base}/audit")
    token = await admin.get_attribute("#invite-form input[name=csrf]", "value")
    response = await admin.request.post(f"{site.base}/audit/staff/invite",
                                        form={"csrf": token or "", "commune": "Phường Không Có"})
    assert response.status == 403
    assert await app.db.fetchval("SELECT count(*) FROM staff_invites") == 0


async def test_commune_staff_cannot_make_invitations(site: Site, app: App, communes: dict[str, Chat]) -> None:
    page = await site.login(KHE)
    response = await page.goto(f"{site.base}/audit")
    assert response is not None and response.status == 403
    assert "Mã mời" not in await page.content()
    token = (await (await page.request.get(f"{site.base}/inbox")).text()).split('name="csrf" value="')[1]
    token = token.split('"')[0]
    response = await page.request.post(f"{site.base}/audit/staff/invite",
                                       form={"csrf": token, "commune": "Xã Hương Khê", "sensitive": "1"})
    assert response.status == 403
    assert await app.db.fetchval("SELECT count(*) FROM staff_invites") == 0
    assert await app.db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'staff.invite'") == 0

