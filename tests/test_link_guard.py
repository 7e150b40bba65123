"""/link cannot be guessed into someone else's account (issue 20 item 1)."""

from __future__ import annotations

import json
from datetime import timedelta

from bot.app import App
from bot.clock import FakeClock
from bot.model import Identity
from bot.outbox import ChannelSettings, Outbox
from bot.store import links, people
from handlers.inbox import digest_job
from tests.chat import Chat
from tests.test_outbox_fakes import FakeChannel
from tests.test_zalo_link import code_of, confirm


def wrong_code(real: str) -> str:
    return f"{(int(real) + 1) % 10 ** 8:08d}"


async def test_wrong_guesses_survive_delete_me(app: App, leader: Chat) -> None:
    await leader.onboard()
    await leader.send("/link")
    real = code_of(leader)
    guesser = Chat(app, Identity("zalo", "attacker"))
    for _ in range(5):
        await guesser.send(f"/link {wrong_code(real)}")
        assert "không đúng" in guesser.text
    await guesser.send("/delete_me")
    await guesser.press("Xóa hết")
    await guesser.send(f"/link {real}")  # a fresh person row, the same Zalo account
    assert "sai mã nhiều lần" in guesser.text
    assert await app.db.fetchval("SELECT count(*) FROM link_codes WHERE claimed_by IS NOT NULL") == 0


async def test_wrong_guesses_are_counted_over_all_accounts(app: App, leader: Chat, clock: FakeClock) -> None:
    await leader.onboard()
    await leader.send("/link")
    real = code_of(leader)
    for n in range(links.GUESSES_OVERALL // links.GUESSES_PER_IDENTITY):
        for _ in range(links.GUESSES_PER_IDENTITY):
            await links.record_guess(app.db, Identity("zalo", f"bot{n}"), clock.now())
    newcomer = Chat(app, Identity("zalo", "brand-new"))
    await newcomer.send(f"/link {real}")
    assert "sai mã nhiều lần" in newcomer.text
    clock.advance(links.GUESS_WINDOW + timedelta(seconds=1))  # the window passes: linking works again
    await leader.send("/link")
    await newcomer.send(f"/link {code_of(leader)}")
    assert "Đúng là tôi" in newcomer.text


async def test_the_code_is_long_and_a_right_code_alone_merges_nobody(app: App, leader: Chat) -> None:
    await leader.onboard(name="Chủ Tài Khoản")
    await leader.send("/link")
    code = code_of(leader)
    assert len(code) == links.CODE_DIGITS >= 8
    guesser = Chat(app, Identity("zalo", "guesser"), name="Kẻ Đoán Mã")
    await guesser.send(f"/link {code}")
    assert await app.db.fetchval("SELECT count(*) FROM people") == 2
    # The guesser cannot answer the question meant for the code's owner.
    owner_id = (await people.by_identity(app.db, leader.identity)).id  # type: ignore[union-attr]
    claimer_id = (await people.by_identity(app.db, guesser.identity)).id  # type: ignore[union-attr]
    assert claimer_id != owner_id
    await guesser.press_payload(f"lnk:ok:{code}:{claimer_id}")
    assert "đã hết hạn hoặc đã được xử lý" in guesser.text
    assert await app.db.fetchval("SELECT count(*) FROM people") == 2
    # The owner sees who asked and refuses: nothing joined, the code is dead, the claim counts as a guess.
    await confirm(leader, "Không phải tôi")
    assert "Đã từ chối" in leader.text
    question = await app.db.fetchval("SELECT payload FROM deliveries WHERE ref LIKE 'ask:%'")
    assert "Kẻ Đoán Mã" in json.loads(question)["text"]
    assert await app.db.fetchval("SELECT count(*) FROM people") == 2
    assert await app.db.fetchval("SELECT count(*) FROM link_codes") == 0
    assert await app.db.fetchval("SELECT count(*) FROM link_guesses WHERE address = 'guesser'") == 1
    refused = await app.db.fetchval("SELECT channel FROM deliveries WHERE ref LIKE 'no:%'")
    assert refused == "zalo"


async def test_a_second_claim_cannot_take_over_the_question(app: App, leader: Chat) -> None:
    await leader.onboard()
    await leader.send("/link")
    code = code_of(leader)
    mine = Chat(app, Identity("zalo", "mine"))
    await mine.send(f"/link {code}")
    thief = Chat(app, Identity("zalo", "thief"))
    await thief.send(f"/link {code}")
    assert "không đúng" in thief.text
    await confirm(leader)
    assert {i.address for i in await people.identities_of(app.db, (await people.by_identity(
        app.db, leader.identity)).id)} == {leader.identity.address, "mine"}  # type: ignore[union-attr]


async def test_staff_digest_goes_only_to_the_staff_identity(app: App, staff: Chat, leader: Chat,
                                                           clock: FakeClock) -> None:
    await staff.send("/inbox")
    await staff.press("Bật bản tin")
    await staff.send("/link")
    linked = Chat(app, Identity("zalo", "staff-phone"))
    await linked.send(f"/link {code_of(staff)}")
    await confirm(staff)
    await linked.send("/menu")  # Zalo is now the channel last used
    await leader.onboard()
    await leader.send("/feedback")
    await leader.press("Góp ý")
    await leader.send("Một góp ý cho bản tin")
    await leader.press("Gửi")
    clock.advance(timedelta(minutes=31))
    await digest_job(app.services)
    queued = await app.db.fetchall("SELECT channel FROM deliveries WHERE kind = 'digest'")
    assert [r["channel"] for r in queued] == ["zalo"]  # queued where the person was last seen
    tg, zalo = FakeChannel("tg"), FakeChannel("zalo")
    fast = ChannelSettings(rate=0, per_chat=0, idle_poll=0.02)
    outbox = Outbox(app.services, {"tg": tg, "zalo": zalo}, {"tg": fast, "zalo": fast})
    await outbox.start()
    try:
        assert await outbox.drain()
    finally:
        await outbox.stop()
    digests = [s for s in [*tg.sent, *zalo.sent] if "góp ý" in s.reply.text.lower() and "bản tin" in s.reply.text]
    assert [s.address for s in zalo.sent if s in digests] == []
    assert [s.address for s in tg.sent if s in digests] == [staff.identity.address]
