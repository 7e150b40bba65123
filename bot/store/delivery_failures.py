"""Evidence that a person cannot be reached on a channel, and staff putting them back in reach.

A channel whose refusals do not prove a person is gone (Zalo's 403 "internal server error" and
404 "not found") records each one here; the person is marked unreachable only when the same
code came back on `sends` sends spread over at least `span`, with no sign of life in between
(a message from them, or a delivery to them accepted on that channel). Times are the bot's
clock, so tests move a FakeClock instead of waiting.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta

import aiosqlite

from bot.clock import iso, parse_iso
from bot.model import Identity
from bot.store import audit
from bot.store.db import Database


@dataclass(frozen=True, slots=True)
class Evidence:
    """The refusals recorded for one person on one channel."""

    code: int
    sends: int
    first_at: datetime
    last_at: datetime

    def holds(self, sends: int, span: timedelta) -> bool:
        """Whether it is enough to call the person unreachable."""
        return self.sends >= sends and self.last_at - self.first_at >= span


async def note_refusal(db: Database, identity: Identity, code: int, now: datetime, *,
                       sends: int, span: timedelta) -> bool:
    """Record one refused send to `identity`; when the evidence now holds, mark the person
    unreachable and return True. An unknown identity records nothing (False)."""
    async with db.write() as conn:
        async with conn.execute("SELECT person_id FROM identities WHERE channel = ? AND address = ?",
                                (identity.channel, identity.address)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return False
        person_id = int(row["person_id"])
        evidence = await _noted_in(conn, person_id, identity.channel, code, now)
        if not evidence.holds(sends, span):
            return False
        await conn.execute("UPDATE people SET unreachable = 1 WHERE id = ?", (person_id,))
        return True


async def _noted_in(conn: aiosqlite.Connection, person_id: int, channel: str, code: int,
                    now: datetime) -> Evidence:
    async with conn.execute(
        "SELECT f.code, f.sends, f.first_at,"
        " EXISTS (SELECT 1 FROM identities i WHERE i.person_id = f.person_id AND i.channel = f.channel"
        "         AND i.last_seen > f.first_at)"
        " OR EXISTS (SELECT 1 FROM deliveries d WHERE d.person_id = f.person_id AND d.channel = f.channel"
        "         AND d.status = 'sent' AND d.sent_at > f.first_at) AS alive"
        " FROM delivery_failures f WHERE f.person_id = ? AND f.channel = ?", (person_id, channel),
    ) as cursor:
        row = await cursor.fetchone()
    if row is None or row["code"] != code or row["alive"]:
        evidence = Evidence(code, 1, now, now)  # a first refusal, or the earlier ones no longer count
    else:
        evidence = Evidence(code, int(row["sends"]) + 1, parse_iso(row["first_at"]), now)
    await conn.execute(
        "INSERT INTO delivery_failures (person_id, channel, code, sends, first_at, last_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (person_id, channel) DO UPDATE SET"
        " code = excluded.code, sends = excluded.sends, first_at = excluded.first_at, last_at = excluded.last_at",
        (person_id, channel, code, evidence.sends, iso(evidence.first_at), iso(evidence.last_at)))
    return evidence


async def evidence(db: Database, person_id: int) -> dict[str, Evidence]:
    """The recorded refusals of one person, by channel."""
    rows = await db.fetchall("SELECT channel, code, sends, first_at, last_at FROM delivery_failures"
                             " WHERE person_id = ?", (person_id,))
    return {r["channel"]: Evidence(r["code"], r["sends"], parse_iso(r["first_at"]), parse_iso(r["last_at"]))
            for r in rows}


async def set_reachable(db: Database, person_ids: list[int], now: datetime, actor: str,
                        scope: str = "") -> int:
    """Staff put people back in reach: unreachable cleared, their evidence forgotten, an audit
    entry each. Return how many were unreachable."""
    changed = 0
    async with db.write() as conn:
        for person_id in person_ids:
            cursor = await conn.execute("UPDATE people SET unreachable = 0 WHERE id = ? AND unreachable",
                                        (person_id,))
            await conn.execute("DELETE FROM delivery_failures WHERE person_id = ?", (person_id,))
            if cursor.rowcount:
                changed += 1
                await audit.record_in(conn, iso(now), actor, "person.reachable", scope, f"person:{person_id}")
    return changed


async def marked_in_broadcast(db: Database, broadcast_id: int, communes: frozenset[str] | None) -> list[int]:
    """The people a broadcast was for who are marked unreachable now (in `communes`, or all)."""
    rows = await db.fetchall(
        "SELECT DISTINCT p.id, p.commune FROM deliveries d JOIN people p ON p.id = d.person_id"
        " WHERE d.kind = 'broadcast' AND d.ref = ? AND p.unreachable ORDER BY p.id", (str(broadcast_id),))
    return [r["id"] for r in rows if communes is None or r["commune"] in communes]
