"""The send side of the outbox: pick due rows, claim one before sending, record each result at once.

Row life: pending -> sending (claimed, just before the channel call) -> sent | blocked | failed |
unknown | skipped, or back to pending (flood control, quota, retry with backoff). A row left in
`sending` by a crash becomes `unknown` at the next start: it may have been delivered, and a
duplicate is worse than asking staff.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Literal

import aiosqlite

from bot.clock import iso
from bot.model import Reply
from bot.store.db import Database

# Kinds still delivered to a person who used /stop: a staff answer to the person's own question
# (they asked for it), and staff's own operational messages (broadcast progress and report, alerts).
STOP_EXEMPT_KINDS = frozenset({"answer", "bprogress", "bdone", "alert"})
FINAL_STATUSES = ("sent", "failed", "blocked", "unknown", "skipped")


@dataclass(frozen=True, slots=True)
class Due:
    """A pending delivery whose time has come."""

    id: int
    kind: str
    ref: str
    person_id: int
    payload: str
    attempts: int

    def reply(self) -> Reply:
        """The queued message."""
        return Reply.from_dict(json.loads(self.payload))


@dataclass(frozen=True, slots=True)
class Claim:
    """What to do with a claimed row: send to `address`, or nothing (the row was settled or moved)."""

    action: Literal["send", "gone", "skipped", "blocked", "moved"]
    address: str = ""
    attempts: int = 0
    channel: str = ""


async def recover(db: Database) -> int:
    """At start-up: rows a crash left in `sending` become `unknown` (never resent automatically)."""
    async with db.write() as conn:
        cursor = await conn.execute(
            "UPDATE deliveries SET status = 'unknown', error = 'interrupted while sending'"
            " WHERE status = 'sending'")
        return cursor.rowcount


async def reroute(db: Database, running: Iterable[str]) -> int:
    """Move pending rows queued for a channel that is not running to one of the person's running
    channels (the most recently used); rows of people with no such identity stay where they are."""
    names = sorted(set(running))
    if not names:
        return 0
    marks = ", ".join("?" for _ in names)
    async with db.write() as conn:
        cursor = await conn.execute(
            f"UPDATE deliveries SET channel = ("
            f"  SELECT i.channel FROM identities i WHERE i.person_id = deliveries.person_id"
            f"  AND i.channel IN ({marks}) ORDER BY i.last_seen DESC LIMIT 1)"
            f" WHERE status = 'pending' AND channel NOT IN ({marks}) AND EXISTS ("
            f"  SELECT 1 FROM identities i WHERE i.person_id = deliveries.person_id AND i.channel IN ({marks}))",
            (*names, *names, *names),
        )
        return cursor.rowcount


async def due(db: Database, channel: str, now: datetime, limit: int = 100, after_id: int = 0,
              address: str | None = None) -> list[Due]:
    """Pending rows of `channel` due at `now`, in id order (uses the partial index deliveries_pending);
    with `address`, only that identity's rows (a `caunoi chat` terminal serves its own user).
    A row queued to go at once (not_before = created_at) is due whatever the clock says now: a clock
    set back must not hold it (issue 20 item 10)."""
    only = (" AND d.person_id IN (SELECT person_id FROM identities WHERE channel = ? AND address = ?)"
            if address else "")
    rows = await db.fetchall(
        "SELECT d.id, d.kind, d.ref, d.person_id, COALESCE(b.body, d.payload) AS payload, d.attempts"
        " FROM deliveries d LEFT JOIN delivery_bodies b ON b.id = d.body_id"
        " WHERE d.channel = ? AND d.status = 'pending' AND d.id > ?"
        f" AND (d.not_before <= ? OR d.not_before <= d.created_at){only} ORDER BY d.id LIMIT ?",
        (channel, after_id, iso(now), *((channel, address) if address else ()), limit),
    )
    return [Due(r["id"], r["kind"], r["ref"], r["person_id"], r["payload"], r["attempts"]) for r in rows]


async def next_due(db: Database, channel: str) -> str | None:
    """The earliest not_before of the channel's pending rows (to know how long to idle)."""
    value = await db.fetchval(
        "SELECT MIN(not_before) FROM deliveries WHERE channel = ? AND status = 'pending'", (channel,))
    return str(value) if value is not None else None


async def claim(db: Database, row_id: int, channel: str, running: Iterable[str] = ()) -> Claim:
    """claim_in, in a transaction of its own."""
    async with db.write() as conn:
        return await claim_in(conn, row_id, channel, running)


async def claim_in(conn: aiosqlite.Connection, row_id: int, channel: str, running: Iterable[str] = ()) -> Claim:
    """Mark a pending row `sending` just before the channel call, re-checking its person.

    Checked at send time, not only at enqueue: the person was deleted (the row is gone by cascade),
    used /stop (skipped, except STOP_EXEMPT_KINDS), is unreachable (blocked), or has no identity
    on this channel any more (moved to their last used running channel, or skipped).
    """
    async with conn.execute(
        "SELECT d.kind, d.status, d.attempts, p.stopped, p.unreachable,"
        " (SELECT address FROM identities i WHERE i.person_id = d.person_id AND i.channel = d.channel) AS address"
        " FROM deliveries d JOIN people p ON p.id = d.person_id WHERE d.id = ?", (row_id,),
    ) as cursor:
        row = await cursor.fetchone()
    if row is None or row["status"] != "pending":
        return Claim("gone")
    if row["stopped"] and row["kind"] not in STOP_EXEMPT_KINDS:
        await conn.execute("UPDATE deliveries SET status = 'skipped', error = 'stopped' WHERE id = ?", (row_id,))
        return Claim("skipped")
    if row["unreachable"]:
        await conn.execute("UPDATE deliveries SET status = 'blocked', error = 'unreachable' WHERE id = ?", (row_id,))
        return Claim("blocked")
    address = row["address"]
    if address is None:
        other = await _other_channel(conn, row_id, channel, set(running))
        if other is None:
            await conn.execute("UPDATE deliveries SET status = 'skipped', error = 'no address' WHERE id = ?",
                               (row_id,))
            return Claim("skipped")
        await conn.execute("UPDATE deliveries SET channel = ? WHERE id = ?", (other, row_id))
        return Claim("moved", channel=other)
    attempts = int(row["attempts"]) + 1
    await conn.execute("UPDATE deliveries SET status = 'sending', attempts = ? WHERE id = ?", (attempts, row_id))
    return Claim("send", address=str(address), attempts=attempts)


async def _other_channel(conn: aiosqlite.Connection, row_id: int, channel: str, running: set[str]) -> str | None:
    """The person's most recently used channel other than `channel` (a running one when known)."""
    async with conn.execute(
        "SELECT i.channel FROM identities i JOIN deliveries d ON d.person_id = i.person_id"
        " WHERE d.id = ? AND i.channel != ? ORDER BY i.last_seen DESC", (row_id, channel),
    ) as cursor:
        found = [str(r[0]) for r in await cursor.fetchall()]
    usable = [c for c in found if not running or c in running]
    return usable[0] if usable else None


async def reroute_or_skip_in(conn: aiosqlite.Connection, row_id: int, channel: str | None) -> None:
    """A pending row that may not go out on its channel: move it to `channel`, or skip it (None)."""
    if channel is None:
        await conn.execute("UPDATE deliveries SET status = 'skipped', error = 'not a staff identity'"
                           " WHERE id = ? AND status = 'pending'", (row_id,))
    else:
        await conn.execute("UPDATE deliveries SET channel = ? WHERE id = ? AND status = 'pending'",
                           (channel, row_id))


async def mark_sent_in(conn: aiosqlite.Connection, row_id: int, message_id: str | None, now: datetime) -> None:
    """The channel accepted the message."""
    await conn.execute(
        "UPDATE deliveries SET status = 'sent', message_id = ?, sent_at = ?, error = NULL WHERE id = ?",
        (message_id, iso(now), row_id))


async def mark_blocked_in(conn: aiosqlite.Connection, row_id: int, person_id: int, error: str) -> None:
    """The person blocked the bot or the chat is gone: this row and the person are unreachable."""
    await conn.execute("UPDATE deliveries SET status = 'blocked', error = ? WHERE id = ?", (error[:300], row_id))
    await conn.execute("UPDATE people SET unreachable = 1 WHERE id = ?", (person_id,))


async def mark(db: Database, row_id: int, status: str, error: str) -> None:
    """mark_in, in a transaction of its own."""
    async with db.write() as conn:
        await mark_in(conn, row_id, status, error)


async def mark_in(conn: aiosqlite.Connection, row_id: int, status: str, error: str) -> None:
    """A final status other than sent/blocked (failed, unknown, skipped)."""
    if status not in FINAL_STATUSES:
        raise ValueError(f"not a final status: {status}")
    await conn.execute("UPDATE deliveries SET status = ?, error = ? WHERE id = ?", (status, error[:300], row_id))


async def release_in(conn: aiosqlite.Connection, row_id: int, error: str, not_before: datetime | None = None) -> None:
    """Back to pending without counting an attempt (flood control, quota): nothing is lost.
    `not_before`: not due again until then (one chat's flood limit)."""
    if not_before is None:
        await conn.execute(
            "UPDATE deliveries SET status = 'pending', attempts = MAX(attempts - 1, 0), error = ?"
            " WHERE id = ? AND status = 'sending'", (error[:300], row_id))
    else:
        await conn.execute(
            "UPDATE deliveries SET status = 'pending', attempts = MAX(attempts - 1, 0), error = ?, not_before = ?"
            " WHERE id = ? AND status = 'sending'", (error[:300], iso(not_before), row_id))


async def retry_at_in(conn: aiosqlite.Connection, row_id: int, when: datetime, error: str) -> None:
    """Back to pending, due again at `when` (backoff after a network or server error)."""
    await conn.execute(
        "UPDATE deliveries SET status = 'pending', not_before = ?, error = ? WHERE id = ? AND status = 'sending'",
        (iso(when), error[:300], row_id))


async def enqueue_on(
    db: Database, kind: str, ref: str, person_id: int, channel: str, reply: Reply, now: datetime,
) -> bool:
    """Queue one message on a given channel (e.g. a staff alert that must avoid a channel out of quota)."""
    async with db.write() as conn:
        cursor = await conn.execute(
            "INSERT INTO deliveries (kind, ref, person_id, channel, payload, not_before, created_at)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (kind, ref, person_id) DO NOTHING",
            (kind, ref, person_id, channel, json.dumps(reply.to_dict(), ensure_ascii=False), iso(now), iso(now)),
        )
        return cursor.rowcount > 0


async def counts(db: Database, kind: str, ref: str) -> dict[str, int]:
    """How many deliveries of (kind, ref) are in each status."""
    rows = await db.fetchall(
        "SELECT status, COUNT(*) AS n FROM deliveries WHERE kind = ? AND ref = ? GROUP BY status", (kind, ref))
    return {str(r["status"]): int(r["n"]) for r in rows}


async def sent_message(db: Database, kind: str, ref: str, person_id: int) -> tuple[str, str, str] | None:
    """(channel, address, message_id) of a delivered message, to edit it in place; None if not sent."""
    row = await db.fetchone(
        "SELECT d.channel, d.message_id, i.address FROM deliveries d"
        " JOIN identities i ON i.person_id = d.person_id AND i.channel = d.channel"
        " WHERE d.kind = ? AND d.ref = ? AND d.person_id = ? AND d.status = 'sent' AND d.message_id IS NOT NULL",
        (kind, ref, person_id))
    if row is None:
        return None
    return str(row["channel"]), str(row["address"]), str(row["message_id"])
