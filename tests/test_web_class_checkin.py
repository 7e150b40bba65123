"""The class page's check-in code window and cancellation question, as chat's attendance and cancel
buttons: the code opens from an hour before the class, a leader checks in with it in chat, staff
close it; too early or too late says why and changes nothing; another commune's class is refused."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.clock import FakeClock
from tests.chat import Chat
from tests.conftest import STAFF
from tests.test_web_scope import DO, communes
from tests.web_rig import Site, site

__all__ = ["communes", "site"]  # fixtures


async def _khe_class(site: Site, title: str) -> tuple[object, int]:
    """A class for Hương Khê on 20/12/2026 08:00, planned on the web by the province; (page, id)."""
    page = await site.login(STAFF)
    await page.goto(f"{site.base}/classes/new")
    await page.fill("input[name=when]", "20/12/2026 08:00")
    await page.fill("input[name=title]", title)
    await page.fill("input[name=place]", "Nhà văn hóa")
    await page.check("#class-communes >> text=Xã Hương Khê")
    await page.click("#create-button")
    await page.wait_for_selector("#invitees")
    return page, int(page.url.rsplit("/", 1)[1])


async def test_check_in_by_code_opened_and_closed_on_the_web(site: Site, app: App, clock: FakeClock,
                                                              communes: dict[str, Chat]) -> None:
    page, class_id = await _khe_class(site, "Lớp điểm danh")
    await page.click("#open-checkin")  # days before: too early, nothing opened
    assert "1 giờ trước giờ học" in await page.text_content("#form-notice")
    assert await app.db.fetchval("SELECT checkin_code FROM classes WHERE id = ?", (class_id,)) is None

    clock.advance(timedelta(days=19, minutes=30))  # 20/12 07:30 in Hà Nội
    page = await site.login(STAFF)
    await page.goto(f"{site.base}/classes/{class_id}")
    await page.click("#open-checkin")
    await page.wait_for_selector("#checkin-code")
    await site.shot(page, "class-checkin")
    code = (await page.text_content("#checkin-code")).strip()
    assert code == await app.db.fetchval("SELECT checkin_code FROM classes WHERE id = ?", (class_id,))
    assert len(code) == 4 and "12:30" in await page.text_content("#checkin")  # 30 minutes after the end

    leader = communes["khe"]  # the leader checks in in chat with the code shown on the web
    await leader.send("/checkin")
    await leader.send(code)
    assert "Đã điểm danh" in leader.text, leader.text
    await page.reload()
    person = await app.db.fetchval("SELECT id FROM people WHERE name = 'Lê Thị Khê'")
    assert "Bỏ đánh dấu" in await page.text_content(f"#person-{person}")  # marked present
    assert await app.db.fetchval("SELECT count(attended_at) FROM class_invitees WHERE class_id = ?",
                                 (class_id,)) == 1

    other = await site.login(DO)  # not Hương Đô's class: refused, window untouched
    token = (await (await other.request.get(f"{site.base}/classes/new")).text()).split('name="csrf" value="')[1]
    response = await other.request.post(f"{site.base}/classes/{class_id}/checkin", form={"csrf": token.split('"')[0]})
    assert response.status == 403
    assert await app.db.fetchval("SELECT checkin_code FROM classes WHERE id = ?", (class_id,)) == code

    await page.click("#close-checkin")
    await page.wait_for_selector("#open-checkin")
    assert await app.db.fetchval("SELECT checkin_code FROM classes WHERE id = ?", (class_id,)) is None

    clock.advance(timedelta(hours=6))  # 13:30: the class is over
    page = await site.login(STAFF)
    await page.goto(f"{site.base}/classes/{class_id}")
    await page.click("#open-checkin")
    assert "đánh dấu có mặt trong bảng" in await page.text_content("#form-notice")
    assert await app.db.fetchval("SELECT checkin_code FROM classes WHERE id = ?", (class_id,)) is None


async def test_keeping_the_class_at_the_cancel_question_changes_nothing(site: Site, app: App,
                                                                        communes: dict[str, Chat]) -> None:
    page, class_id = await _khe_class(site, "Lớp giữ lại")
    await page.click("#edit-class")
    await page.click("#cancel-class-button")
    await site.shot(page, "class-cancel-question")
    assert "Lớp giữ lại" in await page.text_content("#cancel-question")
    await page.click("#keep-class")
    await page.wait_for_selector("#invitees")
    assert await app.db.fetchval("SELECT status FROM classes WHERE id = ?", (class_id,)) == "scheduled"
    assert await app.db.fetchval("SELECT count(*) FROM deliveries WHERE kind = 'class_cancel'") == 0
