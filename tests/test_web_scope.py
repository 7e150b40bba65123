"""One authorization layer for chat and web: commune staff stored in the database (bot/store/staff.py,
resolved by bot.staff.lookup) see and act on their communes only on every web page; typing another
commune's ids into URLs gets the refusal page; a removed staff member's session stops working."""

from __future__ import annotations

import openpyxl
import pytest

from bot.app import App
from bot.model import Identity
from bot.store import staff as stored
from tests import web_rig
from tests.chat import Chat
from tests.conftest import STAFF
from tests.test_inbox import answer_aspiration_yes, send_feedback
from tests.test_web_pages import drain
from tests.web_rig import Site

site = web_rig.site  # the fixture
NOW = "2026-12-01T00:00:00.000000Z"
KHE = Identity("tg", "7001")  # commune staff of Xã Hương Khê, without the aspiration permission
DO = Identity("tg", "7002")  # commune staff of Xã Hương Đô


@pytest.fixture
async def communes(app: App) -> dict[str, Chat]:
    """Two commune staff in the database, a leader in each commune with a feedback item, one aspiration."""
    for identity, commune in ((KHE, "Xã Hương Khê"), (DO, "Xã Hương Đô")):
        await stored.add(app.db, str(identity), communes=frozenset({commune}), sensitive=False, province=False,
                         by="tg:9000", at=NOW)
    khe, do = Chat(app, Identity("tg", "301")), Chat(app, Identity("tg", "302"))
    await khe.onboard(name="Lê Thị Khê", commune="Hương Khê", hamlet="Thôn 1")
    await do.onboard(name="Phan Văn Đô", commune="Hương Đô", hamlet="Thôn 2")
    await send_feedback(khe, "Khó khăn", "Đèn đường thôn 1 hỏng")
    await send_feedback(do, "Khó khăn", "Cống thôn 2 tắc")
    await answer_aspiration_yes(do)
    return {"khe": khe, "do": do}


async def test_commune_staff_see_only_their_commune_on_every_page(site: Site, app: App,
                                                                   communes: dict[str, Chat]) -> None:
    page = await site.login(KHE)
    await site.shot(page, "scoped-overview")
    table = await page.text_content("#by-commune")
    assert "Xã Hương Khê" in table and "Hương Đô" not in table
    assert "Nguyện vọng" not in await page.text_content("main")  # no aspiration counts without the permission
    assert "Cán bộ, nhật ký" not in await page.text_content("nav")
    await page.goto(f"{site.base}/inbox")
    inbox = await page.text_content("#inbox-table")
    assert "Đèn đường thôn 1 hỏng" in inbox and "Cống thôn 2 tắc" not in inbox
    await page.goto(f"{site.base}/results/followup")
    await site.shot(page, "scoped-followup")
    followup = await page.text_content("#followup")
    assert "Lê Thị Khê" in followup and "Phan Văn Đô" not in followup
    await page.goto(f"{site.base}/downloads")
    options = await page.eval_on_selector_all("#download-form select[name=commune] option",
                                              "o => o.map(x => x.value)")
    assert options == ["", "Xã Hương Khê"]  # "" = all of theirs
    async with page.expect_download() as info:
        await page.click("#download-button")
    download = await info.value
    saved = site.shots.parent / download.suggested_filename
    await download.save_as(saved)
    workbook = openpyxl.load_workbook(saved, read_only=True)
    assert "Nguyện vọng vào Đảng" not in workbook.sheetnames
    leaders_sheet = workbook["Cấp trưởng thôn, tổ dân phố"]
    cells = " | ".join(str(value) for row in leaders_sheet.iter_rows(values_only=True) for value in row)
    assert "Lê Thị Khê" in cells and "Phan Văn Đô" not in cells


async def test_another_communes_ids_in_urls_are_refused(site: Site, app: App, communes: dict[str, Chat]) -> None:
    do_voice = await app.db.fetchval("SELECT v.id FROM voices v JOIN people p ON p.id = v.person_id"
                                     " WHERE p.commune = 'Xã Hương Đô'")
    do_person = await app.db.fetchval("SELECT id FROM people WHERE commune = 'Xã Hương Đô'")
    other = await site.login(DO)  # Hương Đô's staff sends a broadcast to all of theirs
    await other.goto(f"{site.base}/broadcasts/new")
    await other.fill("textarea[name=text]", "Họp thôn tối nay.")
    await other.click("#preview-button")
    await other.click("#send-button")
    await other.wait_for_selector("#report-counts")
    broadcast = await app.db.fetchval("SELECT max(id) FROM broadcasts")
    page = await site.login(KHE)
    for path in (f"/inbox/{do_voice}", f"/leaders/{do_person}", f"/broadcasts/{broadcast}", "/audit",
                 f"/leaders/{do_person}?aspiration=1"):
        response = await page.goto(f"{site.base}{path}")
        assert response is not None and response.status == 403, path
        assert "không có quyền" in await page.text_content("#error-message")
    await site.shot(page, "scoped-refused")
    html = await (await page.request.get(f"{site.base}/inbox")).text()
    token = html.split('name="csrf" value="')[1].split('"')[0]
    for path, form in ((f"/inbox/{do_voice}/answer", {"body": "Giả mạo"}), (f"/inbox/{do_voice}/status",
                                                                            {"status": "done"}),
                       ("/downloads", {"commune": "Xã Hương Đô"}),
                       ("/broadcasts/send", {"text": "Giả", "kind": "commune", "value": "Xã Hương Đô"})):
        response = await page.request.post(f"{site.base}{path}", form={"csrf": token, **form})
        assert response.status == 403 or "không gửi được tới nhóm này" in await response.text(), path
    assert await app.db.fetchval("SELECT count(*) FROM voice_entries") == 0
    assert await app.db.fetchval("SELECT status FROM voices WHERE id = ?", (do_voice,)) == "new"
    assert await app.db.fetchval("SELECT count(*) FROM broadcasts") == 1


async def test_two_commune_staff_broadcast_to_all_of_theirs(site: Site, app: App, communes: dict[str, Chat]) -> None:
    for identity, text in ((KHE, "Tin của xã Hương Khê"), (DO, "Tin của xã Hương Đô")):
        page = await site.login(identity)
        await page.goto(f"{site.base}/broadcasts/new")
        await page.fill("textarea[name=text]", text)
        await page.select_option("#audience-kind", "all")
        await page.wait_for_function("document.getElementById('recipient-count').textContent.includes('1 người')")
        await page.click("#preview-button")
        await page.click("#send-button")
        await page.wait_for_selector("#report-counts")
    channel = await drain(app)
    got = {(s.address, s.reply.text) for s in channel.sent if s.reply.text.startswith("Tin của")}
    assert got == {("301", "Tin của xã Hương Khê"), ("302", "Tin của xã Hương Đô")}
    audited = await app.db.fetchall("SELECT actor, scope FROM audit_log WHERE action = 'broadcast' ORDER BY id")
    assert [tuple(r) for r in audited] == [("tg:7001", "Xã Hương Khê"), ("tg:7002", "Xã Hương Đô")]


async def test_a_removed_staff_members_session_stops(site: Site, app: App, communes: dict[str, Chat]) -> None:
    page = await site.login(KHE)
    await page.goto(f"{site.base}/inbox")
    assert "Hộp thư" in await page.text_content("h1")
    assert await stored.remove(app.db, str(KHE), by=str(STAFF), at=NOW) == "removed"
    response = await page.goto(f"{site.base}/inbox")
    assert response is not None and response.status == 403
    assert await app.db.fetchval("SELECT count(*) FROM web_sessions WHERE identity = ?", (str(KHE),)) == 0


async def test_admission_list_only_with_the_permission_and_only_their_communes(
        site: Site, app: App, communes: dict[str, Chat]) -> None:
    admin = await site.login(STAFF)
    await admin.click("nav >> text=Nguyện vọng")
    await admin.click("#admission-counts >> text=Xã Hương Đô")
    await admin.wait_for_selector("#admission-list")
    await site.shot(admin, "admission")
    assert "Phan Văn Đô" in await admin.text_content("#admission-list")
    views = await app.db.fetchall("SELECT subject FROM audit_log WHERE action = 'admission.view' ORDER BY id")
    assert [r[0] for r in views] == ["", "commune:Xã Hương Đô"]
    page = await site.login(KHE)  # no permission
    assert "Nguyện vọng" not in await page.text_content("nav")
    response = await page.goto(f"{site.base}/admission")
    assert response is not None and response.status == 403
    await stored.set_sensitive(app.db, str(KHE), True, by=str(STAFF), at=NOW)
    await page.goto(f"{site.base}/admission")
    assert "Hương Đô" not in await page.text_content("main")
    response = await page.goto(f"{site.base}/admission?commune=X%C3%A3%20H%C6%B0%C6%A1ng%20%C4%90%C3%B4")
    assert response is not None and response.status == 403


async def test_classes_counts_and_attendance(site: Site, app: App, communes: dict[str, Chat], staff: Chat) -> None:
    from bot.store import classes, people
    from tests.test_classes import make_class

    class_id = await make_class(staff, "/newclass 2026-12-05 08:00 | Lớp bồi dưỡng nhận thức về Đảng"
                                       " | Hội trường UBND xã | Tất cả")
    khe = await people.by_identity(app.db, communes["khe"].identity)
    do = await people.by_identity(app.db, communes["do"].identity)
    assert khe is not None and do is not None
    await classes.set_rsvp(app.db, class_id, khe.id, "yes", app.clock.now())
    page = await site.login(STAFF)
    await page.click("nav >> text=Lớp học")
    await site.shot(page, "classes")
    row = await page.text_content("#classes-table tbody tr")
    assert "Lớp bồi dưỡng nhận thức về Đảng" in row
    await page.click("#classes-table >> text=Lớp bồi dưỡng nhận thức về Đảng")
    figures = "els => els.map(e => e.textContent)"
    # invited, coming, not coming, no answer, present
    assert await page.eval_on_selector_all("#class-counts b", figures) == ["2", "1", "0", "1", "0"]
    await page.locator(f"#person-{khe.id} button").click()
    await page.wait_for_selector(f"#person-{khe.id}")
    await site.shot(page, "class")
    invitee = await classes.invitation_of(app.db, class_id, khe.id)
    assert invitee is not None and invitee.attended and invitee.attended_by == "tg:9000"
    # The province's class reached beyond Hương Khê: its staff get the refusal, as in chat.
    scoped = await site.login(KHE)
    response = await scoped.goto(f"{site.base}/classes/{class_id}")
    assert response is not None and response.status == 403
    own = await make_class(Chat(app, KHE), "/newclass 2026-12-06 08:00 | Lớp của xã | Nhà văn hóa | Tất cả")
    await scoped.goto(f"{site.base}/classes/{own}")
    assert "Lê Thị Khê" in await scoped.text_content("#invitees")
    assert await scoped.eval_on_selector_all("#class-counts b", figures) == ["1", "0", "0", "1", "0"]
    token = (await scoped.content()).split('name="csrf" value="')[1].split('"')[0]
    for target in (class_id, own):  # Phan Văn Đô: another commune's class, or not invited
        response = await scoped.request.post(f"{site.base}/classes/{target}/attendance",
                                             form={"csrf": token, "person": str(do.id), "present": "1"})
        assert response.status == 403
    forged = await classes.invitation_of(app.db, class_id, do.id)
    assert forged is not None and not forged.attended
