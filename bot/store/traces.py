"""Deleting a person completely (issue 20 item 13): besides their own rows (ON DELETE CASCADE),
the queued messages to others that name them (the staff digest) and the roster files waiting
for "Áp dụng" (they may hold their phone number) go in the same transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

import aiosqlite

from bot.clock import iso
from bot.store.db import Database

UPLOAD_TTL_HOURS = 24


async def delete_person(db: Database, person_id: int) -> None:
    """Delete the person, every message about them queued for others, and every waiting roster file."""
    async with db.write() as conn:
        await conn.execute(
            "DELETE FROM deliveries WHERE id IN (SELECT delivery_id FROM delivery_subjects WHERE person_id = ?)",
            (person_id,))
        # A waiting file cannot be edited row by row and may list this person: staff send it again.
        await conn.execute("DELETE FROM roster_uploads")
        await conn.execute("DELETE FROM people WHERE id = ?", (person_id,))
    await db.after_deletion()  # deleted means deleted: no old copy left in the WAL either


async def mention_in(conn: aiosqlite.Connection, kind: str, ref: str, recipient: int, subjects: Iterable[int]) -> None:
    """Record whom the queued message (kind, ref) to `recipient` names (inside the caller's transaction)."""
    await conn.executemany(
        "INSERT OR IGNORE INTO delivery_subjects (delivery_id, person_id)"
        " SELECT d.id, ? FROM deliveries d WHERE d.kind = ? AND d.ref = ? AND d.person_id = ?",
        [(subject, kind, ref, recipient) for subject in set(subjects)])


async def expire_uploads(db: Database, older_than: datetime) -> int:
    """Forget roster files waiting since before `older_than`; return how many."""
    async with db.write() as conn:
        cursor = await conn.execute("DELETE FROM roster_uploads WHERE created_at < ?", (iso(older_than),))
        return cursor.rowcount
