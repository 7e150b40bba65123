"""Web dashboard pages in a real browser: answering an inbox item reaches the leader through the
outbox; composing, previewing and sending a broadcast; the report; the overview and the download."""

from __future__ import annotations

import openpyxl
import pytest

from bot.app import App
from bot.model import Identity
from tests import web_rig
from tests.chat import Chat
from tests.conftest import STAFF
from tests.test_inbox import send_feedback
from tests.web_rig import Site

outbox = pytest.importorskip("bot.outbox")
fakes = pytest.importorskip("tests.test_outbox_fakes")
site = web_rig.site  # the fixture


async def drain(app: App) -> object:
    """Run the real outbox once over a fake Telegram channel; the channel with what it sent."""
    channel = fakes.FakeChannel("tg")
    settings = outbox.ChannelSettings(rate=0, per_chat=0, concurrency=1, idle_poll=0.02, backoff=5.0)
    box = outbox.Outbox(app.services, {"tg": channel}, {"tg": settings})
    await box.start()
    try:
        assert await box.drain()
    finally:
        await box.stop()
    return channel


async def test_an_answer_from_the_web_reaches_the_leader(site: Site, app: App, leader: Chat) -> None:
    await leader.onboard()
    await send_feedback(leader, "Khó khăn", "Đường vào thôn bị sạt lở")
    page = await site.login(STAFF)
    await page.click("nav >> text=Hộp thư")
    await page.wait_for_selector("#inbox-table")
    await site.shot(page, "inbox")
    assert "Đường vào thôn bị sạt lở" in await page.text_content("#inbox-table")
    await page.click("#inbox-table >> text=Đường vào thôn bị sạt lở")
    await page.fill("#answer-form textarea", "Xã đã báo đơn vị sửa trong tuần này.")
    await page.click("#answer-send")
    await page.wait_for_selector("#notice")
    await site.shot(page, "inbox-item-answered")
    assert "Xã đã báo đơn vị sửa trong tuần này." in await page.text_content("main")
    channel = await drain(app)
    assert [s.address for s in channel.sent] == [leader.identity.address]
    sent = channel.sent[0].reply
    assert "Xã đã báo đơn vị sửa trong tuần này." in sent.text and "Đường vào thôn bị sạt lở" in sent.text
    # The leader's button opens their items with the answer, as when answered in chat.
    leader.replies = [sent]
    await leader.press("Xem các góp ý của tôi")
    assert "Xã đã báo đơn vị sửa" in leader.text
    assert await app.db.fetchval("SELECT status FROM voices") == "answered"


async def test_an_empty_answer_is_refused_and_nothing_is_sent(site: Site, app: App, leader: Chat) -> None:
    await leader.onboard()
    await send_feedback(leader, "Khó khăn", "Thiếu bàn ghế nhà văn hóa")
    page = await site.login(STAFF)
    await page.goto(f"{site.base}/inbox/1")
    await page.eval_on_selector("#answer-form textarea", "e => e.removeAttribute('required')")
    await page.fill("#answer-form textarea", "   ")
    await page.click("#answer-send")
    assert "chưa viết nội dung" in await page.text_content("#form-error")
    assert await app.db.fetchval("SELECT count(*) FROM deliveries WHERE kind = 'answer'") == 0


async def test_compose_preview_and_send_a_broadcast(site: Site, app: App, leader: Chat) -> None:
    await leader.onboard()
    other = Chat(app, Identity("tg", "101"))
    await other.onboard(name="Trần Thị Bình", commune="Hương Khê", hamlet="Thôn 2")
    page = await site.login(STAFF)
    await page.goto(f"{site.base}/broadcasts/new")
    await page.fill("textarea[name=text]", "Họp dân lúc 8 giờ sáng Chủ nhật tại nhà văn hóa.")
    await page.select_option("#audience-kind", "commune")
    await page.wait_for_function("document.getElementById('recipient-count').textContent.includes('2 người')")
    await site.shot(page, "broadcast-compose")
    await page.click("#preview-button")
    await page.wait_for_selector("#preview-text")
    await site.shot(page, "broadcast-preview")
    assert "Họp dân lúc 8 giờ sáng" in await page.text_content("#preview-text")
    assert "2 người" in await page.text_content("#preview-audience")
    html = await page.content()
    await page.click("#send-button")
    await page.wait_for_selector("#report-counts")
    # The same preview form posted again (a double click, a re-post) shows the broadcast, sends nothing.
    form = {name: html.split(f'name="{name}" value="')[1].split('"')[0] for name in ("csrf", "kind", "value", "draft")}
    again = await page.request.post(f"{site.base}/broadcasts/send",
                                    form={**form, "text": "Họp dân lúc 8 giờ sáng Chủ nhật tại nhà văn hóa."})
    assert again.ok and again.url.endswith("/broadcasts/1")
    assert await app.db.fetchval("SELECT count(*) FROM broadcasts") == 1
    channel = await drain(app)
    sent = sorted(s.address for s in channel.sent if "Họp dân" in s.reply.text)
    assert sent == ["100", "101"]
    # One leader presses "Đã nhận"; the report shows who did and who not yet.
    leader.replies = [next(s.reply for s in channel.sent if s.address == "100")]
    await leader.press("Đã nhận")
    await page.reload()
    await site.shot(page, "broadcast-report")
    assert "Nguyễn Văn An" in await page.text_content("#list-acked")
    assert "Trần Thị Bình" in await page.text_content("#list-unacked")
    await page.goto(f"{site.base}/broadcasts")
    await site.shot(page, "broadcasts")
    assert "Họp dân lúc 8 giờ" in await page.text_content("main")


async def test_a_rewritten_audience_is_refused(site: Site, app: App, leader: Chat) -> None:
    await leader.onboard()
    page = await site.login(STAFF)
    await page.goto(f"{site.base}/broadcasts/new")
    await page.fill("textarea[name=text]", "Thông báo thử.")
    await page.select_option("#audience-kind", "commune")
    await page.eval_on_selector("#audience-commune", "e => { e.options[0].value = 'Xã Không Có'; }")
    await page.click("#preview-button")
    assert "không gửi được tới nhóm này" in await page.text_content("#form-error")
    assert await app.db.fetchval("SELECT count(*) FROM broadcasts") == 0


async def test_overview_and_download(site: Site, app: App, leader: Chat) -> None:
    await leader.onboard()
    page = await site.login(STAFF)
    await site.shot(page, "overview")
    assert "Xã Hương Khê" in await page.text_content("#by-commune")
    await page.goto(f"{site.base}/downloads")
    await site.shot(page, "downloads")
    async with page.expect_download() as info:
        await page.click("#download-button")
    download = await info.value
    assert download.suggested_filename.endswith(".xlsx")
    saved = site.shots.parent / download.suggested_filename
    await download.save_as(saved)
    workbook = openpyxl.load_workbook(saved, read_only=True)
    assert "Cấp trưởng thôn, tổ dân phố" in workbook.sheetnames
    entries = await app.db.fetchall("SELECT actor, action, subject FROM audit_log WHERE action = 'export'")
    assert [(e["actor"], e["subject"]) for e in entries] == [("tg:9000", "web:xlsx:aspirations")]


async def test_content_status_and_audit_log(site: Site, app: App) -> None:
    page = await site.login(STAFF)
    await page.click("nav >> text=Nội dung")
    await page.wait_for_selector("#references")
    await site.shot(page, "content")
    assert "Nội dung hợp lệ" in await page.text_content("#check-result")
    assert "91/2025/QH15" in await page.text_content("#references")
    assert len(await page.query_selector_all("#topics tbody tr")) == len(app.content.topics)
    await page.click("nav >> text=Cán bộ, nhật ký")
    await page.wait_for_selector("#audit")
    await site.shot(page, "audit")
    assert "web.login" in await page.text_content("#audit")


async def test_pages_fit_a_phone_screen(site: Site, app: App, leader: Chat) -> None:
    await leader.onboard()
    await send_feedback(leader, "Góp ý", "Nên họp dân vào buổi tối để bà con đi làm về kịp dự")
    desktop = await site.login(STAFF)
    cookies = await desktop.context.cookies()
    context = await site.browser.new_context(viewport={"width": 390, "height": 844}, is_mobile=True,
                                             has_touch=True, locale="vi-VN")
    await context.add_cookies(cookies)
    phone = await context.new_page()
    for path, name in (("/", "phone-overview"), ("/inbox", "phone-inbox"), ("/inbox/1", "phone-inbox-item"),
                       ("/broadcasts/new", "phone-broadcast-compose")):
        await phone.goto(f"{site.base}{path}")
        await site.shot(phone, name)
        # The page itself never scrolls sideways; wide tables scroll inside their own box.
        overflow = await phone.evaluate("document.documentElement.scrollWidth - window.innerWidth")
        assert overflow <= 0, (path, overflow)


async def test_tables_sort_by_a_click_on_their_heading(site: Site, app: App) -> None:
    for n, (name, commune) in enumerate((("An", "Hương Khê"), ("Bình", "Hà Linh"), ("Cúc", "Hà Linh"))):
        await Chat(app, Identity("tg", str(200 + n))).onboard(name=name, commune=commune)
    page = await site.login(STAFF)
    first_column = ("Array.from(document.querySelectorAll('#by-commune tbody tr td:first-child'))"
                    ".map(c => c.textContent)")
    registered = "#by-commune thead th:nth-child(2)"
    await page.click(registered)
    ascending = await page.evaluate(first_column)
    await page.click(registered)
    assert await page.evaluate(first_column) == list(reversed(ascending))
    assert ascending == ["Xã Hương Khê", "Xã Hà Linh"]
