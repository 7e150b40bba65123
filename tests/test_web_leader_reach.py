"""Put a leader back in reach from their card /leaders/{id} (chat's "Thử gửi lại", `ld:u`): shown only
when the leader is marked unreachable, audited, and refused for another commune's leader."""

from __future__ import annotations

from datetime import timedelta

import pytest

from bot.app import App
from bot.model import Identity
from bot.store import broadcasts, delivery_failures, people
from bot.store import staff as stored
from tests import web_rig
from tests.chat import Chat
from tests.conftest import STAFF
from tests.web_rig import Site

site = web_rig.site  # the fixture
NOW = "2026-12-01T00:00:00.000000Z"
KHE = Identity("tg", "7001")  # commune staff of Xã Hương Khê


@pytest.fixture
async def leaders(app: App) -> dict[str, int]:
    """Hương Khê's commune staff, a leader in Hương Khê and one in Hương Đô, both marked unreachable
    (the channel refused them; here one refusal is made to count)."""
    await stored.add(app.db, str(KHE), communes=frozenset({"Xã Hương Khê"}), sensitive=False, province=False,
                     by=str(STAFF), at=NOW)
    ids = {}
    for key, address, name, commune in (("khe", "301", "Lê Thị Khê", "Hương Khê"),
                                        ("do", "302", "Phan Văn Đô", "Hương Đô")):
        await Chat(app, Identity("tg", address)).onboard(name=name, commune=commune, hamlet="Thôn 1")
        assert await delivery_failures.note_refusal(app.db, Identity("tg", address), 403, app.clock.now(),
                                                    sends=1, span=timedelta(0))
        person = await people.by_identity(app.db, Identity("tg", address))
        assert person is not None and person.unreachable
        ids[key] = person.id
    return ids


async def test_commune_staff_put_their_leader_back_in_reach(site: Site, app: App, leaders: dict[str, int]) -> None:
    page = await site.login(KHE)
    await page.goto(f"{site.base}/leaders/{leaders['khe']}")
    await site.shot(page, "leader-unreachable")
    assert "Không gửi được tin cho người này" in await page.text_content("#unreachable")
    await page.click("#reach-button")
    await page.wait_for_selector("#notice")
    await site.shot(page, "leader-reached")
    assert "bot sẽ thử gửi tin cho người này như bình thường" in await page.text_content("#notice")
    assert await page.query_selector("#unreachable") is None  # a reachable leader's card offers no reset
    person = await people.get(app.db, leaders["khe"])
    assert person is not None and not person.unreachable
    assert await delivery_failures.evidence(app.db, leaders["khe"]) == {}
    audited = await app.db.fetchall("SELECT actor, action, scope, subject FROM audit_log"
                                    " WHERE action = 'person.reachable'")
    assert [tuple(r) for r in audited] == [("tg:7001", "person.reachable", "Xã Hương Khê",
                                            f"person:{leaders['khe']}")]
    # Messages reach her again: a broadcast to Hương Khê counts her.
    chosen = await broadcasts.reach(app.db, {"kind": "commune", "value": "Xã Hương Khê"}, app.clock.now())
    assert chosen.reachable == 1 and chosen.unreachable == 0


async def test_another_communes_leader_cannot_be_reset(site: Site, app: App, leaders: dict[str, int]) -> None:
    page = await site.login(KHE)
    response = await page.goto(f"{site.base}/leaders/{leaders['do']}")
    assert response is not None and response.status == 403
    html = await (await page.request.get(f"{site.base}/leaders")).text()
    token = html.split('name="csrf" value="')[1].split('"')[0]
    for target in (str(leaders["do"]), "999999"):  # another commune's leader, or nobody
        response = await page.request.post(f"{site.base}/leaders/{target}/reach", form={"csrf": token})
        assert response.status == 403 and "không có quyền" in await response.text()
    person = await people.get(app.db, leaders["do"])
    assert person is not None and person.unreachable
    assert await delivery_failures.evidence(app.db, leaders["do"]) != {}
    assert await app.db.fetchval("SELECT count(*) FROM audit_log WHERE action = 'person.reachable'") == 0
    # The province admin may.
    admin = await site.login(STAFF)
    await admin.goto(f"{site.base}/leaders/{leaders['do']}")
    await admin.click("#reach-button")
    await admin.wait_for_selector("#notice")
    person = await people.get(app.db, leaders["do"])
    assert person is not None and not person.unreachable
    assert await app.db.fetchval("SELECT scope FROM audit_log WHERE action = 'person.reachable'") == "*"
