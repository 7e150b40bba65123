"""The dispatcher's own reads and writes per update: one read for the sender, one write transaction
for what the update changed (conversation, options shown, last seen once a minute)."""

from __future__ import annotations

import sqlite3
from dataclasses import replace
from datetime import timedelta

import pytest

from bot.app import App
from bot.clock import FakeClock, iso
from bot.model import Identity
from bot.store import people
from tests.chat import Chat


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
