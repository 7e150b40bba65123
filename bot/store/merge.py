"""One person once: merge two people rows into one, in one transaction.

Used by /link (two channels of one person), by staff confirming a roster claim, and by staff
merging duplicates (/leaders, `caunoi leaders merge`). The kept row's profile wins; its empty
fields are filled from the other row (the phone moves with it). Every row of every table that
refers to people moves to the kept person; a row that would then collide with one the kept
person already has under a unique key is first reconciled (class answers, an open quiz) and
otherwise left to go with the other row (ON DELETE CASCADE): nothing is sent or counted twice.

HANDLED names every foreign key to people(id) with what happens to it; tests/test_merge.py
reads the schema and fails when a table references people without being listed here.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

import aiosqlite

from bot.store import audit
from bot.store.db import Database
from bot.store.people import PROFILE_FIELDS, Person, name_key

MergeStatus = Literal["merged", "same", "gone"]

# (table, column) -> what a merge does with the other person's rows.
HANDLED: dict[tuple[str, str], str] = {
    ("identities", "person_id"): "move: the kept person answers on every channel",
    ("conversations", "person_id"): "the kept person's pending step stays; the other's goes",
    ("deliveries", "person_id"): "move; the same notice queued for both stays once",
    ("topic_reads", "person_id"): "move; a section read by both counts once",
    ("topic_done", "person_id"): "move; a topic done by both counts once",
    ("quiz_attempts", "person_id"): "move; an open quiz of the other is set aside if the kept one has one",
    ("quiz_answers", "person_id"): "move with their attempts",
    ("voices", "person_id"): "move: feedback of both",
    ("voice_entries", "author_id"): "move: staff answers they wrote",
    ("aspirations", "person_id"): "the kept person's answer wins, else the other's moves",
    ("voice_digests", "person_id"): "the kept person's digest setting wins",
    ("classes", "created_by"): "move",
    ("class_invitees", "person_id"): "move; invited to both: answers and attendance combined",
    ("broadcasts", "staff_id"): "move",
    ("broadcast_acks", "person_id"): "move; acknowledged by both counts once",
    ("roster_uploads", "person_id"): "move",
    ("link_codes", "person_id"): "move",
    ("link_failures", "person_id"): "move (guessing limits keep counting)",
    ("delivery_failures", "person_id"): "move; on a channel both failed on, the kept person's evidence stays",
    ("claims", "claimant_id"): "move; a claim between the two merged people is done",
    ("claims", "listed_id"): "move; a claim between the two merged people is done",
    ("checkin_tries", "person_id"): "move; wrong check-in codes of both are added up (a merge gives no new tries)",
    ("delivery_subjects", "person_id"): "move: a digest naming the other person now names the kept one",
    ("link_codes", "claimed_by"): "move: a pending claim on a code follows the person",
}

# Rows both people have under the same key, where the move would keep the kept person's row as it
# is: first take over what only the other row knows. :keep and :drop are the two ids.
_RECONCILE: tuple[tuple[str, str], ...] = (
    ("class_invitees",
     "UPDATE class_invitees AS k SET rsvp = COALESCE(k.rsvp, d.rsvp), reason = COALESCE(k.reason, d.reason),"
     " answered_at = COALESCE(k.answered_at, d.answered_at), attended_at = COALESCE(k.attended_at, d.attended_at),"
     " attended_by = COALESCE(k.attended_by, d.attended_by)"
     " FROM class_invitees AS d WHERE k.person_id = :keep AND d.person_id = :drop AND d.class_id = k.class_id"),
    ("quiz_attempts",
     "UPDATE quiz_attempts SET status = 'abandoned' WHERE person_id = :drop AND status = 'open'"
     " AND EXISTS (SELECT 1 FROM quiz_attempts WHERE person_id = :keep AND status = 'open')"),
    ("checkin_tries",
     "UPDATE checkin_tries AS k SET tries = k.tries + d.tries, last_at = MAX(k.last_at, d.last_at)"
     " FROM checkin_tries AS d WHERE k.person_id = :keep AND d.person_id = :drop AND d.class_id = k.class_id"),
    ("claims",
     "DELETE FROM claims WHERE (claimant_id = :keep AND listed_id = :drop)"
     " OR (claimant_id = :drop AND listed_id = :keep)"),
)
_FILLED = (*PROFILE_FIELDS, "consent_at", "registered_at")


@dataclass(frozen=True)
class MergeResult:
    """`merged` (person = the kept row), `same` (one id twice: refused) or `gone` (a row no longer exists,
    e.g. another staff member merged the pair a moment ago)."""

    status: MergeStatus
    person: Person | None = None


@dataclass(frozen=True)
class Preview:
    """What merging would move from the other person: rows per table."""

    counts: dict[str, int]


async def merge_people(db: Database, keep_id: int, drop_id: int, *, channel: str | None = None,
                       actor: str | None = None, at: str = "", scope: str = "") -> MergeResult:
    """Merge `drop_id` into `keep_id` in one transaction (audited when `actor` is given)."""
    if keep_id == drop_id:
        return MergeResult("same")
    async with db.write() as conn:
        result = await merge_in(conn, keep_id, drop_id, channel=channel)
        if result.status == "merged" and actor:
            await audit.record_in(conn, at, actor, "leader.merge", scope, f"person:{keep_id}<-person:{drop_id}")
    if result.status == "merged":
        await db.after_deletion()  # the dropped record's old versions leave the WAL too
    return result


async def merge_in(conn: aiosqlite.Connection, keep_id: int, drop_id: int, *,
                   channel: str | None = None) -> MergeResult:
    """The same inside the caller's write transaction."""
    if keep_id == drop_id:
        return MergeResult("same")
    keep, drop = await _person(conn, keep_id), await _person(conn, drop_id)
    if keep is None or drop is None:
        return MergeResult("gone", keep)
    tables = await _tables(conn)
    for table, sql in _RECONCILE:
        if table in tables:  # features may be absent from an older database
            await conn.execute(sql, {"keep": keep_id, "drop": drop_id})
    for table, column in await foreign_keys_to_people(conn):
        quoted, col = _quote(table), _quote(column)
        await conn.execute(f"UPDATE OR IGNORE {quoted} SET {col} = ? WHERE {col} = ?", (keep_id, drop_id))
    await _merge_profile(conn, keep, drop, channel)
    await conn.execute("DELETE FROM people WHERE id = ?", (drop_id,))
    return MergeResult("merged", await _person(conn, keep_id))


async def preview(db: Database, drop_id: int) -> Preview:
    """How many rows of each table would move from `drop_id` (for the staff's confirmation)."""
    counts: dict[str, int] = {}
    async with db.write() as conn:  # the writer sees the schema and the committed rows; nothing is written
        for table, column in await foreign_keys_to_people(conn):
            async with conn.execute(f"SELECT count(*) FROM {_quote(table)} WHERE {_quote(column)} = ?",
                                    (drop_id,)) as cursor:
                row = await cursor.fetchone()
            if row and row[0]:
                counts[table] = counts.get(table, 0) + int(row[0])
    return Preview(counts)


async def foreign_keys_to_people(conn: aiosqlite.Connection) -> list[tuple[str, str]]:
    """Every (table, column) whose foreign key points at people(id), from the schema itself."""
    found: list[tuple[str, str]] = []
    for table in sorted(await _tables(conn)):
        if table == "people":
            continue
        async with conn.execute(f"PRAGMA foreign_key_list({_quote(table)})") as cursor:
            keys = await cursor.fetchall()
        found.extend((table, str(key["from"])) for key in keys
                     if key["table"] == "people" and key["to"] in (None, "id"))
    return found


async def _tables(conn: aiosqlite.Connection) -> set[str]:
    async with conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'") as c:
        return {str(row[0]) for row in await c.fetchall()}


def _quote(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


async def _person(conn: aiosqlite.Connection, person_id: int) -> Person | None:
    async with conn.execute("SELECT * FROM people WHERE id = ?", (person_id,)) as cursor:
        row = await cursor.fetchone()
    return Person.from_row(row) if row else None


async def _merge_profile(conn: aiosqlite.Connection, keep: Person, drop: Person, channel: str | None) -> None:
    """The kept row's fields win; its empty ones come from the other row (phones are unique: the
    other row lets go of its phone first)."""
    fill: dict[str, object] = {name: getattr(drop, name) for name in _FILLED
                               if getattr(keep, name) is None and getattr(drop, name) is not None}
    if "phone" in fill:
        await conn.execute("UPDATE people SET phone = NULL WHERE id = ?", (drop.id,))
    if "name" in fill:
        fill["name_key"] = name_key(str(fill["name"]))
    if channel is not None:
        fill.update(last_channel=channel, unreachable=0)
    if fill:
        assignments = ", ".join(f"{name} = ?" for name in fill)
        await conn.execute(f"UPDATE people SET {assignments} WHERE id = ?", (*fill.values(), keep.id))
