"""The audit log: who did what with people's data, kept after the person is deleted."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import aiosqlite

from bot.store.db import Database


@dataclass(frozen=True, slots=True)
class Entry:
    """One audit log line."""

    at: str
    actor: str
    action: str
    scope: str
    subject: str


def scope_label(communes: Iterable[str] | None) -> str:
    """How a commune filter is written in the log: '*' for every commune."""
    return "*" if communes is None else ",".join(sorted(communes))


async def record_in(conn: aiosqlite.Connection, at: str, actor: str, action: str,
                    scope: str = "", subject: str = "") -> None:
    """Add an entry inside an open write transaction (so it commits with what it records)."""
    await conn.execute("INSERT INTO audit_log (at, actor, action, scope, subject) VALUES (?, ?, ?, ?, ?)",
                       (at, actor, action, scope, subject))


async def record(db: Database, at: str, actor: str, action: str, scope: str = "", subject: str = "") -> None:
    """Add an entry in a transaction of its own."""
    async with db.write() as conn:
        await record_in(conn, at, actor, action, scope, subject)


async def recent(db: Database, limit: int = 20) -> list[Entry]:
    """The newest entries first."""
    rows = await db.fetchall("SELECT at, actor, action, scope, subject FROM audit_log ORDER BY id DESC LIMIT ?",
                             (limit,))
    return [Entry(row["at"], row["actor"], row["action"], row["scope"], row["subject"]) for row in rows]


async def all_entries(db: Database) -> list[Entry]:
    """Every entry, oldest first (for exports)."""
    rows = await db.fetchall("SELECT at, actor, action, scope, subject FROM audit_log ORDER BY id")
    return [Entry(row["at"], row["actor"], row["action"], row["scope"], row["subject"]) for row in rows]
