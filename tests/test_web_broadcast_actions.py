"""The buttons of chat's broadcast report, on the web report /broadcasts/{id}: withdraw a scheduled
broadcast (chat's `bc:x`), send again where delivery is unknown (`bcu`), put the broadcast's
unreachable people back in reach (`bcreach`). Each is clicked as staff would, its effect checked in the
database and the outbox; commune staff get the refusal page for a broadcast beyond their communes."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

import pytest

from bot.app import App
from bot.model import Identity
from bot.store import broadcasts, delivery_failures, people
from bot.store import staff as stored
from tests import web_rig
from tests.chat import Chat
from tests.conftest import STAFF
from tests.test_web_pages import drain
from tests.web_rig import Site

site = web_rig.site  # the fixture
NOW = "2026-12-01T00:00:00.000000Z"
KHE = Identity("tg", "7001")  # commune staff of Xã Hương Khê
DO = Identity("tg", "7002")  # commune staff of Xã Hương Đô
MESSAGE = "Họp thôn lúc 19 giờ tối nay tại nhà văn hóa."


@pytest.fixture
async def leaders(app: App) -> dict[str, int]:
    """Two commune staff in the database and a registered leader in each commune: their person ids."""
    for identity, commune in ((KHE, "Xã Hương Khê"), (DO, "Xã Hương Đô")):
        await stored.add(app.db, str(identity), communes=frozenset({commune}), sensitive=False, province=False,
                         by=str(STAFF), at=NOW)
    await Chat(app, Identity("tg", "301")).onboard(name="Lê Thị Khê", commune="Hương Khê", hamlet="Thôn 1")
    await Chat(app, Identity("tg", "302")).onboard(name="Phan Văn Đô", commune="Hương Đô", hamlet="Thôn 2")
    ids = {}
    for key, address in (("khe", "301"), ("do", "302")):
        person = await people.by_identity(app.db, Identity("tg", address))
        assert person is not None
        ids[key] = person.id
    return ids


async def compose(site: Site, page: Any, text: str, when: str = "") -> int:
    """Send a broadcast to all of the staff member's communes from /broadcasts/new; its id."""
    await page.goto(f"{site.base}/broadcasts/new")
    await page.fill("textarea[name=text]", text)
    await page.select_option("#audience-kind", "all")
    if when:
        await page.fill("input[name=when]", when)
    await page.click("#preview-button")
    await page.click("#send-button")
    await page.wait_for_selector("#report-counts")
    return int(page.url.rsplit("/", 1)[1])


async def post_as(site: Site, page: Any, path: str) -> tuple[int, str]:
    """POST a report's form as that page's session would (its CSRF token), following the redirect:
    the status and the page it ends on."""
    html = await (await page.request.get(f"{site.base}/broadcasts")).text()
    token = html.split('name="csrf" value="')[1].split('"')[0]
    response = await page.request.post(f"{site.base}{path}", form={"csrf": token})
    return int(response.status), str(await response.text())


async def refused(site: Site, page: Any, path: str) -> bool:
    """Whether posting that form (with a valid CSRF token) gets the refusal page."""
    status, html = await post_as(site, page, path)
    return status == 403 and "không có quyền" in html


async def statuses(app: App, broadcast_id: int) -> dict[int, str]:
    rows = await app.db.fetchall("SELECT person_id, status FROM deliveries WHERE kind = 'broadcast' AND ref = ?",
                                 (str(broadcast_id),))
    return {int(r["person_id"]): str(r["status"]) for r in rows}


async def test_commune_staff_withdraw_their_scheduled_broadcast(site: Site, app: App,
                                                                 leaders: dict[str, int]) -> None:
    later = (app.clock.now() + timedelta(hours=3)).astimezone(app.services.config.tz)
    do_page = await site.login(DO)
    broadcast_id = await compose(site, do_page, MESSAGE, later.strftime("%Y-%m-%dT%H:%M"))
    assert await statuses(app, broadcast_id) == {leaders["do"]: "pending"}
    # Hương Khê's staff can neither see it nor withdraw it, by URL or by a forged form.
    khe_page = await site.login(KHE)
    response = await khe_page.goto(f"{site.base}/broadcasts/{broadcast_id}")
    assert response is not None and response.status == 403
    assert await refused(site, khe_page, f"/broadcasts/{broadcast_id}/withdraw")
    item = await broadcasts.get(app.db, broadcast_id)
    assert item is not None and item.cancelled_at is None
    assert await statuses(app, broadcast_id) == {leaders["do"]: "pending"}

    await do_page.goto(f"{site.base}/broadcasts/{broadcast_id}")
    await site.shot(do_page, "broadcast-scheduled")
    assert "Hẹn gửi lúc" in await do_page.text_content("main")
    await do_page.click("#withdraw-button")
    await do_page.wait_for_selector("#notice")
    await site.shot(do_page, "broadcast-withdrawn")
    notice = await do_page.text_content("#notice")
    assert f"Đã hủy thông báo #{broadcast_id}; 2 tin chưa gửi đã được rút lại" in notice  # the leader's + progress
    assert await do_page.text_content("#broadcast-state") == "đã hủy"
    assert await do_page.query_selector("#withdraw-button") is None
    item = await broadcasts.get(app.db, broadcast_id)
    assert item is not None and item.cancelled_at is not None and "đã hủy" in (item.progress or "")
    assert await statuses(app, broadcast_id) == {leaders["do"]: "skipped"}
    # The time comes: the outbox sends nothing of it.
    app.clock.advance(timedelta(hours=4))
    channel = await drain(app)
    assert [s for s in channel.sent if s.reply.text == MESSAGE] == []
    # Posted again later (a stale tab; the session has lapsed meanwhile): refused with the reason.
    do_page = await site.login(DO)
    status, html = await post_as(site, do_page, f"/broadcasts/{broadcast_id}/withdraw")
    assert status == 200 and "đã gửi xong hoặc đã hủy trước đó" in html and "withdraw-button" not in html


async def test_a_second_withdrawal_is_refused_with_the_reason(site: Site, app: App, leaders: dict[str, int]) -> None:
    later = (app.clock.now() + timedelta(hours=3)).astimezone(app.services.config.tz)
    page = await site.login(STAFF)
    broadcast_id = await compose(site, page, MESSAGE, later.strftime("%Y-%m-%dT%H:%M"))
    other_tab = await site.login(STAFF)
    await other_tab.goto(f"{site.base}/broadcasts/{broadcast_id}")
    await page.click("#withdraw-button")
    await page.wait_for_selector("#notice")
    await other_tab.click("#withdraw-button")  # the button was still on this older page
    await other_tab.wait_for_selector("#form-error")
    assert "đã gửi xong hoặc đã hủy trước đó" in await other_tab.text_content("#form-error")
    assert await app.db.fetchval("SELECT count(*) FROM deliveries WHERE ref = ? AND status = 'skipped'",
                                 (str(broadcast_id),)) == 3  # two leaders and the progress message, once


async def test_staff_send_again_where_delivery_is_unknown(site: Site, app: App, leaders: dict[str, int]) -> None:
    admin = await site.login(STAFF)
    broadcast_id = await compose(site, admin, MESSAGE)  # the province's: to both communes
    await drain(app)
    # A crash left both messages in doubt; Lê Thị Khê pressed "Đã nhận" (so hers arrived).
    await app.db.execute("UPDATE deliveries SET status = 'unknown' WHERE kind = 'broadcast' AND ref = ?",
                         (str(broadcast_id),))
    await Chat(app, Identity("tg", "301")).press_payload(f"ack:{broadcast_id}")
    # Commune staff cannot resend a broadcast that reached beyond their commune.
    khe_page = await site.login(KHE)
    assert await refused(site, khe_page, f"/broadcasts/{broadcast_id}/resend")
    assert set((await statuses(app, broadcast_id)).values()) == {"unknown"}

    await admin.goto(f"{site.base}/broadcasts/{broadcast_id}")
    unknown = await admin.text_content("#list-unknown")
    assert "Phan Văn Đô" in unknown and "Lê Thị Khê" not in unknown
    await site.shot(admin, "broadcast-unknown")
    await admin.click("#resend-button")
    await admin.wait_for_selector("#notice")
    await site.shot(admin, "broadcast-resent")
    assert "cho 1 người chưa rõ đã nhận" in await admin.text_content("#notice")
    assert await statuses(app, broadcast_id) == {leaders["khe"]: "unknown", leaders["do"]: "pending"}
    channel = await drain(app)
    again = [s.address for s in channel.sent if s.reply.text == MESSAGE]
    assert again == ["302"]
    await admin.goto(f"{site.base}/broadcasts/{broadcast_id}")
    assert await admin.query_selector("#resend-button") is None  # nobody left in doubt
    status, html = await post_as(site, admin, f"/broadcasts/{broadcast_id}/resend")  # a stale form
    assert status == 200 and "không còn người nào chưa rõ đã nhận" in html and "resend-button" not in html
    channel = await drain(app)
    assert [s for s in channel.sent if s.reply.text == MESSAGE] == []


async def mark_unreachable(app: App, address: str) -> None:
    """The channel refused this person often enough (here: once counts) to mark them unreachable."""
    assert await delivery_failures.note_refusal(app.db, Identity("tg", address), 403, app.clock.now(),
                                                sends=1, span=timedelta(0))


async def reachable_for_all(app: App) -> int:
    """How many a broadcast to everyone would reach now."""
    return (await broadcasts.reach(app.db, {"kind": "all"}, app.clock.now())).reachable


async def test_staff_put_a_broadcasts_unreachable_people_back_in_reach(site: Site, app: App,
                                                                        leaders: dict[str, int]) -> None:
    do_page = await site.login(DO)
    do_broadcast = await compose(site, do_page, "Tin của xã Hương Đô")
    admin = await site.login(STAFF)
    province_broadcast = await compose(site, admin, MESSAGE)
    await drain(app)
    await mark_unreachable(app, "301")
    await mark_unreachable(app, "302")
    assert await reachable_for_all(app) == 0
    # Hương Khê's staff: refused for Hương Đô's broadcast and for the province's.
    khe_page = await site.login(KHE)
    for broadcast_id in (do_broadcast, province_broadcast):
        assert await refused(site, khe_page, f"/broadcasts/{broadcast_id}/reach")
    assert await reachable_for_all(app) == 0
    assert await app.db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'person.reachable'") == 0

    await do_page.goto(f"{site.base}/broadcasts/{do_broadcast}")
    assert "(1)" in await do_page.text_content("#marked h2")
    await site.shot(do_page, "broadcast-marked")
    await do_page.click("#reach-button")
    await do_page.wait_for_selector("#notice")
    assert "Đã mở lại liên lạc cho 1 người" in await do_page.text_content("#notice")
    assert await do_page.query_selector("#marked") is None
    do_leader = await people.get(app.db, leaders["do"])
    khe_leader = await people.get(app.db, leaders["khe"])
    assert do_leader is not None and not do_leader.unreachable
    assert khe_leader is not None and khe_leader.unreachable  # not in that broadcast, not their commune
    assert await delivery_failures.evidence(app.db, leaders["do"]) == {}
    assert await reachable_for_all(app) == 1

    await admin.goto(f"{site.base}/broadcasts/{province_broadcast}")
    assert "(1)" in await admin.text_content("#marked h2")  # Phan Văn Đô is back in reach already
    await admin.click("#reach-button")
    await admin.wait_for_selector("#notice")
    assert await reachable_for_all(app) == 2
    # Pressed again from a stale page: nobody is left, and the page says so.
    status, html = await post_as(site, admin, f"/broadcasts/{province_broadcast}/reach")
    assert status == 200 and "Không còn ai của thông báo này" in html
    audited = await app.db.fetchall("SELECT actor, scope, subject FROM audit_log WHERE action = 'person.reachable'"
                                    " ORDER BY id")
    assert [tuple(r) for r in audited] == [("tg:7002", "Xã Hương Đô", f"person:{leaders['do']}"),
                                           ("tg:9000", "*", f"person:{leaders['khe']}")]
    # The next broadcast goes to both again.
    await compose(site, admin, "Tin thứ hai")
    channel = await drain(app)
    assert sorted(s.address for s in channel.sent if s.reply.text == "Tin thứ hai") == ["301", "302"]
