"""The enqueue side of the outbox: one row per (kind, ref, person), so enqueueing twice is harmless."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from bot.clock import iso
from bot.model import Reply
from bot.store.db import Database

RETENTION_DAYS = 30  # a settled delivery keeps its text this long (reports show who got what)
FINAL_SETTLED = ("sent", "blocked", "skipped", "failed")  # "unknown" may still be sent again by staff
_INSERT_SHARED = (
    "INSERT INTO deliveries (kind, ref, person_id, channel, payload, body_id, not_before, created_at)"
    " SELECT ?, ?, p.id, COALESCE(p.last_channel, 'console'), '', ?, ?, ? FROM people p WHERE p.id = ?"
    " ON CONFLICT (kind, ref, person_id) DO NOTHING"
)
_INSERT = (
    "INSERT INTO deliveries (kind, ref, person_id, channel, payload, not_before, created_at)"
    " SELECT ?, ?, p.id, COALESCE(p.last_channel, 'console'), ?, ?, ? FROM people p WHERE p.id = ?"
    " ON CONFLICT (kind, ref, person_id) DO NOTHING"
)


async def enqueue_in(
    conn: aiosqlite.Connection, kind: str, ref: str, person_ids: Iterable[int], reply: Reply,
    *, now: datetime, not_before: datetime | None = None,
) -> int:
    """Queue `reply` for each person inside the caller's transaction; return how many rows are new."""
    payload = json.dumps(reply.to_dict(), ensure_ascii=False)
    when, created = iso(not_before or now), iso(now)
    before = conn.total_changes
    await conn.executemany(_INSERT, ((kind, ref, payload, when, created, pid) for pid in person_ids))
    return conn.total_changes - before


async def enqueue_shared_in(
    conn: aiosqlite.Connection, kind: str, ref: str, person_ids: Iterable[int], reply: Reply,
    *, now: datetime, not_before: datetime | None = None,
) -> int:
    """Like enqueue_in, but the message is stored once and each row refers to it (a broadcast to
    thousands costs a few dozen bytes per recipient, not a copy of the text)."""
    cursor = await conn.execute("INSERT INTO delivery_bodies (body, created_at) VALUES (?, ?)",
                                (json.dumps(reply.to_dict(), ensure_ascii=False), iso(now)))
    body_id = int(cursor.lastrowid or 0)
    when, created = iso(not_before or now), iso(now)
    before = conn.total_changes
    await conn.executemany(_INSERT_SHARED, ((kind, ref, body_id, when, created, pid) for pid in person_ids))
    return conn.total_changes - before


async def prune(db: Database, now: datetime) -> int:
    """Forget the text of deliveries settled more than RETENTION_DAYS ago (the rows stay for the
    reports); a body goes once no row that may still be sent refers to it. Return rows cleared."""
    cutoff = iso(now - timedelta(days=RETENTION_DAYS))
    marks = ", ".join("?" for _ in FINAL_SETTLED)
    async with db.write() as conn:
        cursor = await conn.execute(
            f"UPDATE deliveries SET payload = '', body_id = NULL WHERE created_at < ? AND status IN ({marks})"
            " AND (payload != '' OR body_id IS NOT NULL)", (cutoff, *FINAL_SETTLED))
        await conn.execute(
            "DELETE FROM delivery_bodies WHERE created_at < ?"
            " AND NOT EXISTS (SELECT 1 FROM deliveries d WHERE d.body_id = delivery_bodies.id)", (cutoff,))
        return cursor.rowcount


async def enqueue_shared_where_in(
    conn: aiosqlite.Connection, kind: str, ref: str, where: str, params: Sequence[Any], reply: Reply,
    *, now: datetime, not_before: datetime | None = None,
) -> int:
    """Like enqueue_shared_in, for every person `p` matching the SQL condition `where`, in person id
    order, in one INSERT … SELECT inside the caller's transaction: no list of ids in memory."""
    cursor = await conn.execute("INSERT INTO delivery_bodies (body, created_at) VALUES (?, ?)",
                                (json.dumps(reply.to_dict(), ensure_ascii=False), iso(now)))
    body_id = int(cursor.lastrowid or 0)
    before = conn.total_changes
    await conn.execute(
        "INSERT INTO deliveries (kind, ref, person_id, channel, payload, body_id, not_before, created_at)"
        f" SELECT ?, ?, p.id, COALESCE(p.last_channel, 'console'), '', ?, ?, ? FROM people p WHERE {where}"
        " ORDER BY p.id ON CONFLICT (kind, ref, person_id) DO NOTHING",
        (kind, ref, body_id, iso(not_before or now), iso(now), *params))
    return conn.total_changes - before


async def enqueue(
    db: Database, kind: str, ref: str, person_ids: Iterable[int], reply: Reply,
    *, now: datetime, not_before: datetime | None = None,
) -> int:
    """Queue `reply` for each person in one transaction; return how many rows are new."""
    async with db.write() as conn:
        return await enqueue_in(conn, kind, ref, person_ids, reply, now=now, not_before=not_before)
