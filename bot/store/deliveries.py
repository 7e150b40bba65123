"""The enqueue side of the outbox: one row per (kind, ref, person), so enqueueing twice is harmless."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

import aiosqlite

from bot.clock import iso
from bot.model import Reply
from bot.store.db import Database

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


async def enqueue_where_in(
    conn: aiosqlite.Connection, kind: str, ref: str, where: str, params: Sequence[Any], reply: Reply,
    *, now: datetime, not_before: datetime | None = None,
) -> int:
    """Queue `reply` for every person `p` matching the SQL condition `where`, in person id order, in one
    INSERT … SELECT inside the caller's transaction (no list of ids in memory); return how many are new."""
    payload = json.dumps(reply.to_dict(), ensure_ascii=False)
    before = conn.total_changes
    await conn.execute(
        "INSERT INTO deliveries (kind, ref, person_id, channel, payload, not_before, created_at)"
        f" SELECT ?, ?, p.id, COALESCE(p.last_channel, 'console'), ?, ?, ? FROM people p WHERE {where}"
        " ORDER BY p.id ON CONFLICT (kind, ref, person_id) DO NOTHING",
        (kind, ref, payload, iso(not_before or now), iso(now), *params))
    return conn.total_changes - before


async def enqueue(
    db: Database, kind: str, ref: str, person_ids: Iterable[int], reply: Reply,
    *, now: datetime, not_before: datetime | None = None,
) -> int:
    """Queue `reply` for each person in one transaction; return how many rows are new."""
    async with db.write() as conn:
        return await enqueue_in(conn, kind, ref, person_ids, reply, now=now, not_before=not_before)
