"""Class topics and role audiences at the desk: the topics ticked on the web are stored as chat's
/newclass topics step stores them, shown on the class page, in the invitation and change notice, and
on chat's class screen; edited away on the web. A role is invited within communes (commune staff:
within theirs only, forged forms refused) or across the province by province staff."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.app import App
from bot.clock import FakeClock
from bot.model import Identity
from tests.chat import Chat
from tests.conftest import STAFF
from tests.test_web_class_plan import texts_to
from tests.test_web_pages import drain
from tests.test_web_scope import DO, KHE, communes
from tests.web_rig import Site, site

__all__ = ["communes", "site"]  # fixtures


async def _fill(page: object, title: str) -> None:
    """The date, title and place of a new class."""
    await page.fill("input[name=when]", "20/12/2026 08:00")  # type: ignore[attr-defined]
    await page.fill("input[name=title]", title)  # type: ignore[attr-defined]
    await page.fill("input[name=place]", "Nhà văn hóa")  # type: ignore[attr-defined]


async def _csrf(page: object, site: Site) -> str:
    """The CSRF token of a logged-in page's session, read from the new-class form."""
    html = await (await page.request.get(f"{site.base}/classes/new")).text()  # type: ignore[attr-defined]
    return html.split('name="csrf" value="')[1].split('"')[0]


async def test_topics_ticked_on_the_web_are_what_chat_shows(site: Site, app: App, communes: dict[str, Chat]) -> None:
    first, second, third = app.content.topics[:3]
    page = await site.login(STAFF)
    await page.goto(f"{site.base}/classes/new")
    await _fill(page, "Lớp hai chuyên đề")
    await page.check(f"#class-topics >> text={first.label}")
    await page.check(f"#class-topics >> text={third.label}")
    await page.check("#class-communes >> text=Xã Hương Khê")
    await site.shot(page, "class-new-topics")
    await page.click("#create-button")
    await page.wait_for_selector("#invitees")
    await site.shot(page, "class-topics")
    class_id = int(page.url.rsplit("/", 1)[1])
    shown = await page.text_content("#class-topics")
    assert first.label in shown and third.label in shown and second.label not in shown
    assert "Xã Hương Khê" in await page.text_content("#class-audience")
    stored = json.loads(await app.db.fetchval("SELECT topics FROM classes WHERE id = ?", (class_id,)))
    assert stored == [first.id, third.id]  # topic ids in a JSON list, as chat's topics step stores them
    invitation = texts_to(await drain(app), "301")[-1]
    assert f"Chuyên đề: {first.label}; {third.label}" in invitation

    staff_chat = Chat(app, STAFF, name="Cán bộ")  # what chat's class screen shows for the same class
    await staff_chat.send("/classes")
    await staff_chat.press_payload(f"cla:v:{class_id}")
    assert f"Chuyên đề: {first.label}; {third.label}" in staff_chat.text, staff_chat.text
    await communes["khe"].send("/classes")  # and the leader's own list
    assert f"Chuyên đề: {first.label}; {third.label}" in communes["khe"].text

    await page.click("#edit-class")
    assert await page.is_checked(f"#class-topics >> text={first.label}")
    assert await page.is_checked(f"#class-topics >> text={third.label}")
    await page.uncheck(f"#class-topics >> text={first.label}")
    await page.click("#save-class-button")
    await page.wait_for_selector("#invitees")
    shown = await page.text_content("#class-topics")
    assert third.label in shown and first.label not in shown
    assert json.loads(await app.db.fetchval("SELECT topics FROM classes WHERE id = ?", (class_id,))) == [third.id]
    changed = texts_to(await drain(app), "301")
    assert len(changed) == 1 and "có thay đổi" in changed[0] and f"Chuyên đề: {third.label}" in changed[0]
    assert first.label not in changed[0]
    await staff_chat.send("/classes")
    await staff_chat.press_payload(f"cla:v:{class_id}")
    assert f"Chuyên đề: {third.label}" in staff_chat.text and first.label not in staff_chat.text


async def test_chat_and_web_store_the_same_topics(site: Site, app: App, communes: dict[str, Chat]) -> None:
    first = app.content.topics[0]
    staff_chat = Chat(app, STAFF, name="Cán bộ")  # the same class made in chat, topics step included
    await staff_chat.send("/newclass")
    await staff_chat.send("20/12/2026")
    await staff_chat.send("08:00")
    await staff_chat.send("Lớp qua chat")
    await staff_chat.send("Nhà văn hóa")
    await staff_chat.press(first.label)
    await staff_chat.press("Xong")
    await staff_chat.press("Chọn một hoặc vài xã")
    await staff_chat.press("Hương Khê")
    await staff_chat.press("Xong")
    await staff_chat.press("Tạo lớp")
    page = await site.login(STAFF)
    await page.goto(f"{site.base}/classes/new")
    await _fill(page, "Lớp qua web")
    await page.check(f"#class-topics >> text={first.label}")
    await page.check("#class-communes >> text=Xã Hương Khê")
    await page.click("#create-button")
    await page.wait_for_selector("#invitees")
    found = await app.db.fetchall("SELECT title, topics, audience FROM classes ORDER BY id")
    assert [(r["topics"], r["audience"]) for r in found] == [(found[0]["topics"], found[0]["audience"])] * 2
    assert json.loads(found[0]["topics"]) == [first.id]
    web_id = int(page.url.rsplit("/", 1)[1])  # and the chat-made one reads the same on the web
    await page.goto(f"{site.base}/classes/{web_id - 1}")
    assert first.label in await page.text_content("#class-topics")


async def test_commune_staff_invite_a_role_within_their_communes_on_the_web(
        site: Site, app: App, communes: dict[str, Chat]) -> None:
    chi_hoi = Chat(app, Identity("tg", "303"))
    await chi_hoi.onboard(name="Trần Văn Hội", commune="Hương Khê", hamlet="Thôn 3", role="Chi hội trưởng")
    page = await site.login(KHE)
    await page.goto(f"{site.base}/classes/new")
    await _fill(page, "Lớp trưởng thôn Hương Khê")
    await page.wait_for_selector("#class-count:has-text('Hiện có 2 người')")  # the live count, as chat's preview
    await page.select_option("#class-role", "truong_thon")
    await page.wait_for_selector("#class-count:has-text('Hiện có 1 người')")
    await page.click("#create-button")  # no commune ticked: all of theirs
    await page.wait_for_selector("#invitees")
    await site.shot(page, "class-role-commune")
    invitees = await page.text_content("#invitees")
    assert "Lê Thị Khê" in invitees and "Trần Văn Hội" not in invitees and "Phan Văn Đô" not in invitees
    assert "chức danh Trưởng thôn ở Xã Hương Khê" in await page.text_content("#class-audience")
    audience = json.loads(await app.db.fetchval("SELECT audience FROM classes"))
    assert audience == {"kind": "role", "role": "truong_thon", "communes": ["Xã Hương Khê"]}

    token = await _csrf(page, site)
    base = {"csrf": token, "when": "21/12/2026 08:00", "place": "Nhà văn hóa"}
    forged = ({"title": "Lớp giả mạo 1", "role": "truong_thon", "commune": "Xã Hương Đô"},  # not their commune
              {"title": "Lớp giả mạo 2", "role": "khong_co"},  # not a role
              {"title": "Lớp giả mạo 3", "topic": "khong_co"})  # not a topic
    for extra in forged:
        response = await page.request.post(f"{site.base}/classes/new", form={**base, **extra})
        assert response.status == 403, extra
    assert await app.db.fetchval("SELECT count(*) FROM classes WHERE title LIKE 'Lớp giả mạo%'") == 0
    response = await page.request.get(f"{site.base}/classes/count?commune=Xã Hương Đô")
    assert response.status == 403  # not even how many another commune has

    other = await site.login(DO)  # Hương Đô's staff do not see Hương Khê's role class
    response = await other.goto(f"{site.base}/classes/1")
    assert response is not None and response.status == 403


async def test_province_staff_invite_a_role_across_communes(site: Site, app: App, communes: dict[str, Chat]) -> None:
    page = await site.login(STAFF)
    await page.goto(f"{site.base}/classes/new")
    await _fill(page, "Lớp trưởng thôn toàn tỉnh")
    await page.select_option("#class-role", "truong_thon")
    await page.click("#create-button")
    await page.wait_for_selector("#invitees")
    invitees = await page.text_content("#invitees")
    assert "Lê Thị Khê" in invitees and "Phan Văn Đô" in invitees
    assert json.loads(await app.db.fetchval("SELECT audience FROM classes")) == {"kind": "role", "role": "truong_thon"}


async def test_a_class_under_way_is_not_edited(site: Site, app: App, clock: FakeClock,
                                               communes: dict[str, Chat]) -> None:
    page = await site.login(STAFF)
    await page.goto(f"{site.base}/classes/new")
    await _fill(page, "Lớp sắp bắt đầu")
    await page.click("#create-button")
    await page.wait_for_selector("#edit-class")
    class_id = int(page.url.rsplit("/", 1)[1])
    clock.advance(timedelta(days=19, hours=2))  # 20/12 10:00 in Hà Nội: two hours into the class
    page = await site.login(STAFF)  # (the first session expired meanwhile)
    await page.goto(f"{site.base}/classes/{class_id}")
    assert "Lớp sắp bắt đầu" in await page.text_content("h1")
    assert await page.query_selector("#edit-class") is None
    response = await page.goto(f"{site.base}/classes/{class_id}/edit")
    assert response is not None and response.status == 403
    token = await _csrf(page, site)
    response = await page.request.post(f"{site.base}/classes/{class_id}/edit",
                                       form={"csrf": token, "version": "1", "when": "27/12/2026 08:00",
                                             "title": "Đổi", "place": "Chỗ khác"})
    assert response.status == 403
    assert await app.db.fetchval("SELECT version FROM classes WHERE id = ?", (class_id,)) == 1
