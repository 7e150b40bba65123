"""A broadcast's body is stored once, not once per recipient, and delivered payloads are pruned
after the retention period (issue 20 item 11)."""

from __future__ import annotations

from datetime import timedelta

from bot.app import App
from bot.clock import FakeClock
from bot.model import Option, Reply
from bot.outbox import ChannelSettings, Outbox
from bot.store import broadcasts, deliveries
from handlers.broadcast import prune_payloads
from tests.test_outbox_fakes import FakeChannel, add_leader

BODY = ("Kính gửi các đồng chí trưởng thôn, tổ trưởng tổ dân phố. " * 60)[:3000]
RECIPIENTS = 60


async def database_bytes(app: App) -> int:
    # The database's logical size as committed (pages in the WAL count too), less free pages.
    pages = await app.db.fetchval("PRAGMA page_count")
    free = await app.db.fetchval("PRAGMA freelist_count")
    size = await app.db.fetchval("PRAGMA page_size")
    return int((pages - free) * size)


async def create(app: App, staff_id: int) -> int:
    def message(broadcast_id: int) -> Reply:
        return Reply(BODY, [Option("Đã nhận ✅", f"ack:{broadcast_id}")])

    def progress(broadcast_id: int, total: int) -> Reply:
        return Reply(f"#{broadcast_id}: 0/{total}")

    now = app.clock.now()
    broadcast_id, count = await broadcasts.create(app.db, staff_id, BODY, {"kind": "all"}, now, now, message,
                                                  progress)
    assert count == RECIPIENTS
    return broadcast_id


async def test_the_body_is_stored_once_and_delivered_to_everyone(app: App, clock: FakeClock) -> None:
    staff_id = await add_leader(app, 9000)
    for n in range(RECIPIENTS - 1):
        await add_leader(app, 500 + n)
    before = await database_bytes(app)
    await create(app, staff_id)
    per_recipient = (await database_bytes(app) - before) / RECIPIENTS
    assert per_recipient < 1000, per_recipient  # the 3,000-character body alone is over 3,000 bytes
    copies = await app.db.fetchval("SELECT count(*) FROM deliveries WHERE kind = 'broadcast' AND payload LIKE ?",
                                   (f"%{BODY[:40]}%",))
    assert copies == 0
    tg = FakeChannel("tg")
    outbox = Outbox(app.services, {"tg": tg}, {"tg": ChannelSettings(rate=0, per_chat=0, idle_poll=0.02)})
    await outbox.start()
    try:
        assert await outbox.drain()
    finally:
        await outbox.stop()
    bodies = [s.reply for s in tg.sent if s.reply.text == BODY]
    assert len(bodies) == RECIPIENTS and all(r.options[0].payload.startswith("ack:") for r in bodies)


async def test_delivered_payloads_are_pruned_after_the_retention(app: App, clock: FakeClock) -> None:
    staff_id = await add_leader(app, 9000)
    for n in range(RECIPIENTS - 1):
        await add_leader(app, 500 + n)
    await create(app, staff_id)
    await app.db.execute("UPDATE deliveries SET status = 'sent' WHERE kind = 'broadcast'")
    await deliveries.enqueue(app.db, "answer", "feedback:1", [staff_id], Reply("Trả lời chờ gửi"),
                             now=clock.now())
    clock.advance(timedelta(days=deliveries.RETENTION_DAYS - 1))
    await prune_payloads(app.services)
    assert await app.db.fetchval("SELECT count(*) FROM delivery_bodies") == 1
    clock.advance(timedelta(days=2))
    await prune_payloads(app.services)
    assert await app.db.fetchval("SELECT count(*) FROM delivery_bodies") == 0
    assert await app.db.fetchval("SELECT count(*) FROM deliveries WHERE kind = 'broadcast'") == RECIPIENTS
    assert await app.db.fetchval("SELECT count(*) FROM deliveries WHERE status = 'sent' AND payload != ''") == 0
    pending = await app.db.fetchval("SELECT payload FROM deliveries WHERE kind = 'answer'")
    assert "Trả lời chờ gửi" in pending  # what is still to be sent is never pruned
