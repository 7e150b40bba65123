"""The dispatcher's own reads and writes per update: one read for the sender, one write transaction
for what the update changed (conversation, options shown, last seen once a minute); and a broadcast
counted and queued in SQL rather than through a list of every recipient."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.app import App
from bot.clock import FakeClock, iso
from bot.model import Identity, Reply
from bot.store import broadcasts, people
from tests.chat import Chat
from tests.test_outbox_fakes import add_leader


async def _seen(app: App, address: str) -> str:
    return str(await app.db.fetchval("SELECT last_seen FROM identities WHERE channel = 'tg' AND address = ?",
                                     (address,)))


async def test_last_seen_is_written_once_a_minute_with_the_update(app: App, leader: Chat, clock: FakeClock) -> None:
    await leader.onboard()
    first = await _seen(app, "100")
    clock.advance(timedelta(seconds=20))
    await leader.send("/menu")
    assert await _seen(app, "100") == first  # seen within the same minute: no write for it
    clock.advance(timedelta(minutes=2))
    await leader.send("/help")
    assert await _seen(app, "100") == iso(clock.now())
    # …and the update's other writes went with it: the options of /help are what a typed "1" chooses.
    await leader.send("1")
    assert leader.text == app.content.texts("core.menu_title")


async def test_a_handler_error_still_records_when_the_person_was_seen(app: App, leader: Chat, clock: FakeClock,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    await leader.onboard()
    clock.advance(timedelta(minutes=5))

    async def broken(*_: object) -> list[object]:
        raise RuntimeError("boom")

    commands = app.dispatcher.router.commands
    monkeypatch.setitem(commands, "help", replace(commands["help"], handler=broken))
    replies = await leader.send("/help")
    assert replies[0].text == app.content.texts("core.error")
    assert await _seen(app, "100") == iso(clock.now())


async def test_arrive_reads_person_options_conversation_and_stored_staff(app: App, leader: Chat) -> None:
    await leader.onboard()
    await leader.send("/topics")
    arrival = await people.arrive(app.db, Identity("tg", "100"), "", iso(app.clock.now()))
    assert arrival.person is not None and arrival.person.registered
    assert [o.payload for o in arrival.shown] == [o.payload for o in leader.replies[-1].options]
    assert arrival.conversation.step is None and not arrival.stored_staff and not arrival.must_touch
    unknown = await people.arrive(app.db, Identity("tg", "999"), "", iso(app.clock.now()))
    assert unknown.person is None and unknown.must_touch


async def test_write_batch_is_one_transaction(app: App) -> None:
    await app.db.execute("INSERT INTO people (id, created_at) VALUES (7, 'x')")
    with pytest.raises(sqlite3.IntegrityError):
        await app.db.write_batch([("UPDATE people SET name = 'An' WHERE id = 7", ()),
                                  ("INSERT INTO people (id, created_at) VALUES (7, 'y')", ())])
    assert await app.db.fetchval("SELECT name FROM people WHERE id = 7") is None  # rolled back
    await app.db.write_batch([("UPDATE people SET name = 'Bình' WHERE id = 7", ())])
    assert await app.db.fetchval("SELECT name FROM people WHERE id = 7") == "Bình"


async def test_a_broadcast_counts_and_queues_in_sql_exactly_the_people_select_names(app: App, clock: FakeClock) -> None:
    ids = [await add_leader(app, 400 + n) for n in range(6)]
    await people.set_stopped(app.db, ids[1], True)
    await people.set_unreachable(app.db, ids[2])
    await people.touch(app.db, Identity("tg", "499"), "chưa đăng ký", iso(clock.now()))  # not registered
    now = clock.now()
    listed = await broadcasts.select(app.db, {"kind": "all"}, now)
    counted = await broadcasts.reach(app.db, {"kind": "all"}, now)
    assert (counted.reachable, counted.stopped, counted.unreachable) == (len(listed.ids), listed.stopped,
                                                                        listed.unreachable) == (4, 1, 1)
    broadcast_id, queued = await broadcasts.create(app.db, ids[0], "Họp", {"kind": "all"}, now, now,
                                                   lambda b: Reply("Họp"), lambda b, n: Reply(f"0/{n}"))
    rows = await app.db.fetchall("SELECT person_id FROM deliveries WHERE kind = 'broadcast' AND ref = ? ORDER BY id",
                                 (str(broadcast_id),))
    assert queued == 4 and [r["person_id"] for r in rows] == listed.ids
    progress = await app.db.fetchval("SELECT payload FROM deliveries WHERE kind = 'bprogress' AND ref = ?",
                                     (str(broadcast_id),))
    assert "0/4" in progress
