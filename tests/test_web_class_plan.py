"""Planning classes at the desk: create (invitations queued in the outbox and delivered), edit (change
notice), cancel (cancellation notice), through the same store calls as chat; commune staff can only
invite and touch their communes, and forged forms or URLs get the refusal page."""

from __future__ import annotations

from bot.app import App
from tests.chat import Chat
from tests.conftest import STAFF
from tests.test_web_pages import drain
from tests.test_web_scope import DO, KHE, communes
from tests.web_rig import Site, site

__all__ = ["communes", "site"]  # fixtures


def texts_to(channel: object, address: str) -> list[str]:
    """What the fake channel delivered to one address, in order."""
    return [s.reply.text for s in channel.sent if s.address == address]  # type: ignore[attr-defined]


async def test_a_class_planned_on_the_web_invites_edits_and_cancels(site: Site, app: App,
                                                                      communes: dict[str, Chat]) -> None:
    page = await site.login(STAFF)
    await page.click("nav >> text=Lớp học")
    await page.click("#new-class")
    await page.fill("input[name=when]", "31/02/2026 08:00")
    await page.fill("input[name=title]", "Lớp bồi dưỡng tại xã")
    await page.fill("input[name=place]", "Nhà văn hóa thôn 1")
    await page.check("#class-communes >> text=Xã Hương Khê")
    await page.click("#create-button")
    assert "không có trên lịch" in await page.text_content("#form-error")  # the typed rest is kept
    assert await page.input_value("input[name=title]") == "Lớp bồi dưỡng tại xã"
    await page.fill("input[name=when]", "20/12/2026 8 giờ")
    await page.check("#class-communes >> text=Xã Hương Khê")
    await page.click("#create-button")
    await page.wait_for_selector("#invitees")
    await site.shot(page, "class-created")
    class_id = int(page.url.rsplit("/", 1)[1])
    assert "Lê Thị Khê" in await page.text_content("#invitees")
    assert "Phan Văn Đô" not in await page.text_content("#invitees")
    queued = await app.db.fetchall("SELECT kind, person_id FROM deliveries WHERE ref = ?", (f"class:{class_id}",))
    assert len(queued) == 1 and queued[0]["kind"] == "invitation"
    channel = await drain(app)
    invitation = texts_to(channel, "301")[-1]
    assert "Kính mời" in invitation and "Lớp bồi dưỡng tại xã" in invitation and "20/12/2026" in invitation
    assert "Nhà văn hóa thôn 1, Xã Hương Khê" in invitation  # the commune added to the place, as in chat
    assert not any("Lớp bồi dưỡng" in text for text in texts_to(channel, "302"))

    await page.click("#edit-class")
    await site.shot(page, "class-edit")
    await page.fill("input[name=when]", "21/12/2026 14:00")
    await page.fill("input[name=place]", "Hội trường UBND xã Hương Khê")
    await page.click("#save-class-button")
    await page.wait_for_selector("#invitees")
    assert "14:00 21/12/2026" in await page.text_content("main")
    changed = texts_to(await drain(app), "301")
    assert len(changed) == 1 and "có thay đổi" in changed[0] and "Hội trường UBND xã Hương Khê" in changed[0]
    assert "21/12/2026" in changed[0]

    await page.click("#edit-class")
    await page.click("#cancel-class-button")  # asked first, as in chat; nothing cancelled yet
    assert "chắc chắn HỦY lớp" in await page.text_content("#cancel-question")
    assert await app.db.fetchval("SELECT status FROM classes WHERE id = ?", (class_id,)) == "scheduled"
    await page.click("#confirm-cancel-button")
    await page.wait_for_selector("#invitees")
    assert "đã hủy" in await page.text_content("main")
    cancelled = texts_to(await drain(app), "301")
    assert len(cancelled) == 1 and "HỦY" in cancelled[0]
    response = await page.goto(f"{site.base}/classes/{class_id}/edit")  # nothing left to edit
    assert response is not None and response.status == 403


async def test_commune_staff_plan_only_for_their_communes(site: Site, app: App, communes: dict[str, Chat]) -> None:
    other = await site.login(DO)
    await other.goto(f"{site.base}/classes/new")
    assert await other.eval_on_selector_all("#class-communes input", "o => o.map(x => x.value)") == ["Xã Hương Đô"]
    await other.fill("input[name=when]", "20/12/2026 08:00")
    await other.fill("input[name=title]", "Lớp của xã Hương Đô")
    await other.fill("input[name=place]", "Nhà văn hóa")
    await other.click("#create-button")  # no commune ticked: all of theirs, not the province
    await other.wait_for_selector("#invitees")
    do_class = int(other.url.rsplit("/", 1)[1])
    assert "Phan Văn Đô" in await other.text_content("#invitees")
    assert "Lê Thị Khê" not in await other.text_content("#invitees")

    page = await site.login(KHE)
    token = (await (await page.request.get(f"{site.base}/classes/new")).text()).split('name="csrf" value="')[1]
    token = token.split('"')[0]
    form = {"csrf": token, "when": "20/12/2026 08:00", "title": "Lớp giả mạo", "place": "Nhà văn hóa",
            "commune": "Xã Hương Đô"}
    response = await page.request.post(f"{site.base}/classes/new", form=form)
    assert response.status == 403
    assert await app.db.fetchval("SELECT count(*) FROM classes WHERE title = 'Lớp giả mạo'") == 0
    for path in (f"/classes/{do_class}", f"/classes/{do_class}/edit"):
        response = await page.goto(f"{site.base}{path}")
        assert response is not None and response.status == 403, path
    moved = {"when": "22/12/2026 08:00", "title": "Đổi", "place": "Chỗ khác"}
    for path, extra in ((f"/classes/{do_class}/edit", moved), (f"/classes/{do_class}/cancel", {})):
        response = await page.request.post(f"{site.base}{path}", form={"csrf": token, "version": "1", **extra})
        assert response.status == 403, path
    row = await app.db.fetchone("SELECT status, place, version FROM classes WHERE id = ?", (do_class,))
    assert tuple(row) == ("scheduled", "Nhà văn hóa, Xã Hương Đô", 1)
