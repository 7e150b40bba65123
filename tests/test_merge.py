"""One person once: bot/store/merge.py moves every row that refers to a person, in one transaction."""

from __future__ import annotations

import asyncio

from bot.app import App
from bot.store import merge, people
from bot.store.db import Database

NOW = "2026-12-01T00:00:00.000000Z"


async def new_person(db: Database, name: str, **fields: object) -> int:
    columns = ["name", "created_at", *fields]
    return await db.execute(f"INSERT INTO people ({', '.join(columns)}) VALUES ({', '.join('?' for _ in columns)})",
                            (name, NOW, *fields.values()))


async def test_every_foreign_key_to_people_is_handled(app: App) -> None:
    """A new table that references people must say in merge.HANDLED what a merge does with it."""
    tables = [row[0] for row in await app.db.fetchall(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'")]
    found = set()
    for table in tables:
        for key in await app.db.fetchall(f'PRAGMA foreign_key_list("{table}")'):
            if key["table"] == "people":
                found.add((table, key["from"]))
    assert len(found) >= 15  # the scan sees the schema
    missing = found - set(merge.HANDLED)
    assert not missing, f"tables referencing people that merge.HANDLED does not cover: {sorted(missing)}"


async def broadcast_and_class(db: Database) -> None:
    await db.execute("INSERT INTO broadcasts (id, text, audience, not_before, created_at) VALUES (1, 't', '{}', ?, ?)",
                     (NOW, NOW))
    await db.execute("INSERT INTO classes (id, title, place, starts_at, reminders_from, created_at, updated_at)"
                     " VALUES (1, 'Lớp', 'Hội trường', ?, ?, ?, ?)", (NOW, NOW, NOW, NOW))


async def fill(db: Database, person: int, channel: str, address: str) -> None:
    """One row in each people-referencing table for this person; some collide between two people."""
    async with db.write() as conn:
        await conn.execute("INSERT INTO identities (channel, address, person_id) VALUES (?, ?, ?)",
                           (channel, address, person))
        await conn.execute("INSERT INTO voices (person_id, kind, body, created_at, updated_at)"
                           " VALUES (?, 'gop_y', 'x', ?, ?)", (person, NOW, NOW))
        cursor = await conn.execute("INSERT INTO quiz_attempts (person_id, quiz, questions, total, started_at,"
                                    " status, score) VALUES (?, '1_dang', '[]', 5, ?, 'done', 4)", (person, NOW))
        await conn.execute("INSERT INTO quiz_answers (attempt_id, position, person_id, quiz, question, chosen,"
                           " correct, answered_at) VALUES (?, 0, ?, '1_dang', 'q1', 0, 1, ?)",
                           (cursor.lastrowid, person, NOW))
        await conn.execute("INSERT INTO aspirations (person_id, wish, consent_at, created_at, updated_at)"
                           " VALUES (?, ?, ?, ?, ?)", (person, "yes" if channel == "tg" else "maybe", NOW, NOW, NOW))
        await conn.execute("INSERT INTO broadcast_acks (broadcast_id, person_id, acked_at) VALUES (1, ?, ?)",
                           (person, NOW))
        await conn.execute("INSERT INTO deliveries (kind, ref, person_id, channel, payload, not_before, created_at)"
                           " VALUES ('broadcast', '1', ?, ?, '{}', ?, ?)", (person, channel, NOW, NOW))
        await conn.execute("INSERT INTO deliveries (kind, ref, person_id, channel, payload, not_before, created_at)"
                           " VALUES ('answer', ?, ?, ?, '{}', ?, ?)", (address, person, channel, NOW, NOW))
        await conn.execute("INSERT INTO class_invitees (class_id, person_id, rsvp, invited_at) VALUES (1, ?, ?, ?)",
                           (person, "yes" if channel == "zalo" else None, NOW))


async def test_merge_moves_every_row_and_keeps_one_of_each_collision(app: App) -> None:
    db = app.db
    keep = await new_person(db, "Nguyễn Văn An", commune="Xã Hương Khê", registered_at=NOW)
    drop = await new_person(db, "Nguyen Van An", phone="0912345678", hamlet="Thôn 1", birth_year=1970)
    await broadcast_and_class(db)
    await fill(db, keep, "tg", "1")
    await fill(db, drop, "zalo", "z1")
    preview = await merge.preview(db, drop)
    assert preview.counts["identities"] == 1 and preview.counts["voices"] == 1

    result = await merge.merge_people(db, keep, drop, actor="tg:9000", at=NOW, scope="*")
    assert result.status == "merged" and result.person is not None
    person = result.person
    assert (person.name, person.phone, person.hamlet, person.birth_year, person.commune) == (
        "Nguyễn Văn An", "0912345678", "Thôn 1", 1970, "Xã Hương Khê")  # kept wins, blanks filled
    assert await people.get(db, drop) is None
    for table, column in merge.HANDLED:
        left = await db.fetchval(f'SELECT count(*) FROM "{table}" WHERE "{column}" = ?', (drop,))
        assert left == 0, table
    count = {table: await db.fetchval(f"SELECT count(*) FROM {table} WHERE person_id = ?", (keep,))
             for table in ("identities", "voices", "quiz_attempts", "quiz_answers", "aspirations",
                           "broadcast_acks", "deliveries", "class_invitees")}
    assert count == {"identities": 2, "voices": 2, "quiz_attempts": 2, "quiz_answers": 2, "aspirations": 1,
                     "broadcast_acks": 1, "deliveries": 3, "class_invitees": 1}
    assert await db.fetchval("SELECT wish FROM aspirations WHERE person_id = ?", (keep,)) == "yes"
    assert await db.fetchval("SELECT rsvp FROM class_invitees WHERE person_id = ?", (keep,)) == "yes"
    entry = await db.fetchone("SELECT actor, action, subject FROM audit_log")
    assert entry is not None and tuple(entry) == ("tg:9000", "leader.merge", f"person:{keep}<-person:{drop}")


async def test_a_person_is_not_merged_with_itself_nor_with_someone_gone(app: App) -> None:
    one = await new_person(app.db, "Một")
    assert (await merge.merge_people(app.db, one, one)).status == "same"
    assert (await merge.merge_people(app.db, one, one + 99)).status == "gone"
    assert await people.get(app.db, one) is not None


async def test_two_staff_merging_the_same_pair_at_once_get_one_person(app: App) -> None:
    a = await new_person(app.db, "A", phone="0912000001")
    b = await new_person(app.db, "B", hamlet="Thôn 2")
    await broadcast_and_class(app.db)
    await fill(app.db, a, "tg", "1")
    await fill(app.db, b, "zalo", "z1")
    first, second = await asyncio.gather(merge.merge_people(app.db, a, b), merge.merge_people(app.db, b, a))
    assert sorted([first.status, second.status]) == ["gone", "merged"]
    assert await app.db.fetchval("SELECT count(*) FROM people") == 1
    assert await app.db.fetchval("SELECT count(*) FROM identities") == 2
    assert await app.db.fetchval("SELECT count(*) FROM voices") == 2
