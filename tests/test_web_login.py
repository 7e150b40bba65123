"""Web dashboard login: one-time links (reuse and expiry refused), cookie flags, CSRF, logout."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.clock import FakeClock
from bot.model import Identity
from tests import web_rig
from tests.conftest import STAFF
from tests.web_rig import Site

site = web_rig.site  # the fixture


async def test_a_link_logs_in_once(site: Site, app: App) -> None:
    link = await site.link(STAFF)
    page = await site.new_page()
    await page.goto(link)
    await site.shot(page, "login")
    await page.click("#login-button")
    await page.wait_for_url(f"{site.base}/")
    assert "Tổng quan theo xã, phường" in await page.text_content("h1")
    await site.shot(page, "overview-empty")
    # The same link again, in another browser: refused.
    other = await site.new_page()
    await other.goto(link)
    await other.click("#login-button")
    assert "không dùng được" in await other.text_content("#error-message")
    await site.shot(other, "login-reused")
    entries = await app.db.fetchall("SELECT actor, action, scope FROM audit_log")
    assert [(e["actor"], e["action"], e["scope"]) for e in entries] == [("tg:9000", "web.login", "*")]


async def test_an_expired_link_is_refused(site: Site, clock: FakeClock) -> None:
    link = await site.link(STAFF)
    clock.advance(timedelta(minutes=10, seconds=1))
    page = await site.new_page()
    await page.goto(link)
    await page.click("#login-button")
    assert "quá 10 phút" in await page.text_content("#error-message")
    # Nothing behind the login is reachable without a session.
    await page.goto(f"{site.base}/inbox")
    assert "gửi /web" in await page.text_content("#login-needed")


async def test_a_link_for_someone_not_staff_is_refused(site: Site) -> None:
    page = await site.new_page()
    await page.goto(await site.link(Identity("tg", "100")))
    await page.click("#login-button")
    assert "không dùng được" in await page.text_content("#error-message")


async def test_session_cookie_flags(site: Site) -> None:
    page = await site.login(STAFF)
    cookies = await page.context.cookies()
    assert len(cookies) == 1
    cookie = cookies[0]
    assert cookie["name"] == "caunoi_session" and cookie["httpOnly"] and cookie["sameSite"] == "Strict"
    assert cookie["secure"] is False  # plain http on loopback; https base URLs set Secure (test_web_units)


async def test_a_form_without_its_csrf_token_is_refused(site: Site, app: App) -> None:
    page = await site.login(STAFF)
    await page.goto(f"{site.base}/broadcasts/new")
    await page.fill("textarea[name=text]", "Họp dân lúc 8 giờ sáng Chủ nhật.")
    await page.eval_on_selector("#compose input[name=csrf]", "e => e.remove()")
    await page.click("#preview-button")
    assert "Biểu mẫu đã cũ" in await page.text_content("#error-message")
    await site.shot(page, "csrf-refused")
    # A wrong token is refused too, and the logout form is a POST guarded the same way.
    response = await page.request.post(f"{site.base}/logout", form={"csrf": "forged"})
    assert response.status == 403
    await page.goto(f"{site.base}/")
    assert "Tổng quan" in await page.text_content("h1")


async def test_logout_ends_the_session(site: Site, app: App) -> None:
    page = await site.login(STAFF)
    await page.click(".logout button")
    await page.wait_for_url(f"{site.base}/logged-out")
    await site.shot(page, "logged-out")
    assert await page.context.cookies() == []
    await page.goto(f"{site.base}/")
    assert "gửi /web" in await page.text_content("#login-needed")
    assert await app.db.fetchval("SELECT count(*) FROM web_sessions") == 0


async def test_an_idle_session_expires(site: Site, clock: FakeClock) -> None:
    page = await site.login(STAFF)
    clock.advance(timedelta(minutes=29))
    await page.goto(f"{site.base}/inbox")
    assert "Hộp thư" in await page.text_content("h1")
    clock.advance(timedelta(minutes=31))
    await page.goto(f"{site.base}/inbox")
    assert "gửi /web" in await page.text_content("#login-needed")
