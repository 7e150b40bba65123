"""The leader directory on the web, in a real browser: search, card (aspiration audited), edit,
merge with a preview, remove, phone claims, proposed hamlets, duplicates — and commune staff
typing another commune's ids into URLs get the refusal page."""

from __future__ import annotations

import pytest

from bot import roster
from bot.app import App
from bot.model import Identity
from bot.store import people
from bot.store import staff as stored
from tests import web_rig
from tests.chat import Chat
from tests.conftest import STAFF
from tests.test_inbox import send_feedback
from tests.test_leaders import HEADER, KHE, NOW, two_communes
from tests.web_rig import Site

site = web_rig.site  # the fixtures


@pytest.fixture
async def commune_staff(app: App) -> Chat:
    """Commune staff of Xã Hương Khê only, without the aspiration permission, stored as `caunoi staff add` does."""
    await stored.add(app.db, str(KHE), communes=frozenset({"Xã Hương Khê"}), sensitive=False, province=False,
                     by="tg:9000", at=NOW)
    return Chat(app, KHE, name="Cán bộ Hương Khê")

TEXTS = "cells => cells.map(c => c.textContent)"


async def test_search_card_and_aspiration(site: Site, app: App) -> None:
    _, b = await two_communes(app)
    page = await site.login(STAFF)
    await page.click("nav >> text=Cấp trưởng")
    await page.fill("#leader-search input[name=name]", "nguyen van")
    await page.click("#leader-search button")
    await page.wait_for_selector("#leaders-table")
    await site.shot(page, "leaders-search")
    names = await page.eval_on_selector_all("#leaders-table tbody td:first-child", TEXTS)
    assert names == ["Nguyễn Văn Ân", "Nguyễn Văn Bảo"]
    await page.fill("#leader-search input[name=name]", "")
    await page.fill("#leader-search input[name=phone]", "0912.000.001")
    await page.click("#leader-search button")
    assert await page.eval_on_selector_all("#leaders-table tbody tr", "rows => rows.length") == 1
    await page.goto(f"{site.base}/leaders/{b}")
    await page.click("#show-aspiration")
    await page.wait_for_selector("#aspiration")
    await site.shot(page, "leader-card")
    assert "chưa trả lời" in await page.text_content("#aspiration")
    entry = await app.db.fetchone("SELECT actor, action, subject FROM audit_log WHERE action = 'aspiration.view'")
    assert entry is not None and tuple(entry) == ("tg:9000", "aspiration.view", f"person:{b}")


async def test_edit_a_leader(site: Site, app: App) -> None:
    _, b = await two_communes(app)
    page = await site.login(STAFF)
    await page.goto(f"{site.base}/leaders/{b}/edit")
    await page.fill("#edit-form input[name=phone]", "0912 000 001")  # Nguyễn Văn Ân's number
    await page.click("#save-leader")
    assert "đã thuộc về một cấp trưởng khác" in await page.text_content("#error-phone")
    await site.shot(page, "leader-edit-error")
    await page.fill("#edit-form input[name=name]", " ")
    await page.click("#save-leader")
    assert "Nội dung chưa hợp lệ" in await page.text_content("#error-name")
    await page.fill("#edit-form input[name=name]", "Nguyễn Văn Bảo")
    await page.fill("#edit-form input[name=phone]", "+84 913 222 333")
    await page.fill("#edit-form input[name=hamlet]", "Thôn Kim")
    await page.fill("#edit-form input[name=birth_year]", "1965")
    await page.select_option("#edit-form select[name=role]", "chi_hoi")
    await page.select_option("#edit-form select[name=association]", "cuu_chien_binh")
    await page.click("#save-leader")
    await page.wait_for_selector("#notice")
    edited = await people.get(app.db, b)
    assert edited is not None and (edited.phone, edited.hamlet, edited.birth_year, edited.role, edited.association) \
        == ("0913222333", "Thôn Kim", 1965, "chi_hoi", "cuu_chien_binh")
    entry = await app.db.fetchone("SELECT subject FROM audit_log WHERE action = 'leader.edit'")
    assert entry is not None and entry[0] == f"person:{b}:association,birth_year,hamlet,phone,role"


async def test_merge_two_leaders_with_a_preview_then_remove(site: Site, app: App) -> None:
    a, b = await two_communes(app)
    page = await site.login(STAFF)
    await page.goto(f"{site.base}/leaders/{a}/merge")
    await page.fill("input[name=other]", str(b))
    await page.click("text=Xem trước khi gộp")
    await page.wait_for_selector("#merge-preview")
    await site.shot(page, "leader-merge-preview")
    assert "kênh chat: 1" in await page.text_content("#merge-preview")
    await page.click("#merge-button")
    await page.wait_for_selector("#notice")
    assert await people.get(app.db, b) is None and len(await people.identities_of(app.db, a)) == 2
    await page.check("#remove-form input[name=confirm]")
    await page.click("#remove-form button")
    await page.wait_for_selector("#removed")
    assert await people.get(app.db, a) is None
    actions = [row[0] for row in await app.db.fetchall("SELECT action FROM audit_log WHERE actor = 'tg:9000'")]
    assert actions == ["web.login", "leader.merge", "leader.remove"]


async def test_a_typed_roster_phone_is_confirmed_on_the_web(site: Site, app: App) -> None:
    await roster.apply(app.db, app.content, (HEADER + "Lê Văn Cường,0987654321,Hương Đô,Thôn Kim,Trưởng thôn,1970\n"
                                             ).encode(), "ds.csv", 2026, NOW)
    chat = Chat(app, Identity("zalo", "z7"))
    await chat.send("/start")
    await chat.press("Tôi đồng ý")
    await chat.send("Lê Văn Cường")
    await chat.press("Trưởng thôn")
    await chat.press("Hương Đô")
    await chat.send("Thôn Kim")
    await chat.send("0987654321")
    await chat.press("Đúng")
    page = await site.login(STAFF)
    await page.goto(f"{site.base}/leaders/claims")
    await site.shot(page, "leader-claims")
    assert "gõ số 0987654321" in await page.text_content("main")
    await page.click(".claim >> text=Xác nhận, gộp hồ sơ")
    assert "Đã xác nhận và gộp" in await page.text_content("#notice")
    me = await people.by_identity(app.db, chat.identity)
    assert me is not None and me.phone == "0987654321" and me.birth_year == 1970
    assert await app.db.fetchval("SELECT count(*) FROM claims") == 0


async def test_proposed_hamlets_and_duplicates(site: Site, app: App) -> None:
    for n, hamlet in enumerate(("Thôn Trung Thủy", "xom Bac", "Nam")):  # kept tidied: "Xóm Bac", "Nam"
        await Chat(app, Identity("tg", f"40{n}")).onboard(name=f"Người {n}", commune="Phúc Trạch", hamlet=hamlet)
    for n, name in enumerate(("Trần Thị Hoa", "Tran Thi Hoa")):
        await Chat(app, Identity("tg", f"50{n}")).onboard(name=name, commune="Hương Xuân", hamlet="Thôn 4")
    page = await site.login(STAFF)
    await page.goto(f"{site.base}/leaders/hamlets")
    await site.shot(page, "leader-hamlets")
    section = page.locator(".hamlet", has_text="Nam")
    await section.locator("input[name=new_name]").fill("Thôn Nam")
    await section.locator("text=Đổi tên").click()
    await page.wait_for_selector("#notice")
    section = page.locator(".hamlet", has_text="Xóm Bac")
    await section.locator("select[name=into]").select_option("Thôn Nam")
    await section.locator("text=Là cách viết khác của").click()
    await page.wait_for_selector("#notice")
    await page.locator(".hamlet", has_text="Thôn Trung Thủy").locator("text=Duyệt").click()
    await page.wait_for_selector("#notice")
    assert [await h.text_content() for h in await page.query_selector_all(".hamlet b")] == ["Thôn 4"]  # Hương Xuân's
    rows = await app.db.fetchall("SELECT DISTINCT hamlet FROM people WHERE commune = 'Xã Phúc Trạch' ORDER BY 1")
    assert [r[0] for r in rows] == ["Thôn Nam", "Thôn Trung Thủy"]
    await page.goto(f"{site.base}/leaders/duplicates")
    await site.shot(page, "leader-duplicates")
    text = await page.text_content("main")
    assert "Cùng họ tên trong cùng thôn" in text and "Trần Thị Hoa" in text and "Tran Thi Hoa" in text


async def test_commune_staff_get_the_refusal_page_for_another_communes_ids(
        site: Site, app: App, commune_staff: Chat) -> None:
    khe, do = await two_communes(app)
    writer = Chat(app, Identity("zalo", "202"))  # Nguyễn Văn Bảo, Xã Hương Đô
    await send_feedback(writer, "Khó khăn", "Cầu tràn bị ngập")
    voice = await app.db.fetchval("SELECT id FROM voices")
    page = await site.login(KHE)
    await page.goto(f"{site.base}/leaders?name=nguyen")
    names = await page.eval_on_selector_all("#leaders-table tbody td:first-child", TEXTS)
    assert names == ["Nguyễn Văn Ân"]
    await page.goto(f"{site.base}/leaders/{khe}")
    assert "show-aspiration" not in await page.content()  # no permission to see aspirations
    for path in (f"/leaders/{do}", f"/leaders/{do}/edit", f"/leaders/{khe}/merge?other={do}",
                 f"/leaders/{khe}?aspiration=1", f"/inbox/{voice}"):
        response = await page.goto(f"{site.base}{path}")
        assert response is not None and response.status == 403, path
        assert "không có quyền" in await page.text_content("#error-message")
    await site.shot(page, "refused")
    # Forged forms with this staff member's own valid CSRF token are refused the same way.
    csrf = await page.evaluate(f"fetch('/leaders/{khe}/edit').then(r => r.text())")
    token = csrf.split('name="csrf" value="')[1].split('"')[0]
    for path, form in ((f"/leaders/{do}/edit", {"name": "X", "commune": "Xã Hương Khê"}),
                       (f"/leaders/{khe}/merge", {"other": str(do)}), (f"/leaders/{do}/remove", {"confirm": "yes"}),
                       (f"/inbox/{voice}/answer", {"body": "Trả lời giả"})):
        response = await page.request.post(f"{site.base}{path}", form={"csrf": token, **form})
        assert response.status == 403, path
    assert await people.get(app.db, do) is not None
    assert await app.db.fetchval("SELECT count(*) FROM voice_entries") == 0
    assert await app.db.fetchval("SELECT count(*) FROM audit_log WHERE action LIKE 'leader.%'") == 0
