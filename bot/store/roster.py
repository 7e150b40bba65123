"""SQL for the roster: who is already known by phone, writing an import, adopting a roster row
at onboarding, and the uploaded files waiting for "Áp dụng"."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.store import hamlets as hamlet_store
from bot.store.db import Database
from bot.store.people import Person, name_key

PROFILE = ("name", "role", "association", "commune", "hamlet", "birth_year")
_EXISTING = f"SELECT id, phone, registered_at, {', '.join(PROFILE)} FROM people WHERE phone IS NOT NULL"


@dataclass(frozen=True)
class Existing:
    """A person already in the bot, as the roster import compares them."""

    id: int
    registered: bool
    profile: dict[str, Any]


def _existing(rows: Sequence[aiosqlite.Row]) -> dict[str, Existing]:
    return {row["phone"]: Existing(row["id"], row["registered_at"] is not None, {f: row[f] for f in PROFILE})
            for row in rows}


async def existing_by_phone(db: Database) -> dict[str, Existing]:
    """Everyone with a phone, by phone (committed data)."""
    return _existing(await db.fetchall(_EXISTING))


async def existing_by_phone_in(conn: aiosqlite.Connection) -> dict[str, Existing]:
    """The same, inside the caller's write transaction."""
    async with conn.execute(_EXISTING) as cursor:
        return _existing(list(await cursor.fetchall()))


async def apply_plan(
    conn: aiosqlite.Connection, add: list[dict[str, Any]], change: list[tuple[int, dict[str, Any]]],
    hamlets: list[tuple[str, str]], now: str,
) -> None:
    """Insert new roster people, update changed ones, add hamlets (inside the caller's transaction)."""
    columns = (*PROFILE, "phone", "name_key")
    await conn.executemany(
        f"INSERT INTO people ({', '.join(columns)}, source, created_at)"
        f" VALUES ({', '.join('?' for _ in columns)}, 'roster', ?)",
        [(*(row.get(c) for c in columns[:-1]), name_key(row.get("name")), now) for row in add],
    )
    for person_id, fields in change:
        unknown = set(fields) - set(PROFILE)
        if unknown:
            raise ValueError(f"not profile fields: {sorted(unknown)}")
        if "name" in fields:
            fields = {**fields, "name_key": name_key(fields["name"])}
        assignments = ", ".join(f"{name} = ?" for name in fields)
        await conn.execute(f"UPDATE people SET {assignments} WHERE id = ?", (*fields.values(), person_id))
    await hamlet_store.add_approved_in(conn, hamlets, now)


async def roster_only_by_phone(db: Database, phone: str) -> Person | None:
    """The person pre-registered from a roster with this phone who never used the bot, or None."""
    row = await db.fetchone(
        "SELECT * FROM people p WHERE p.phone = ? AND p.source = 'roster'"
        " AND NOT EXISTS (SELECT 1 FROM identities i WHERE i.person_id = p.id)", (phone,))
    return Person.from_row(row) if row else None


async def adopt(db: Database, temporary_id: int, roster_id: int) -> Person | None:
    """Give the roster row the identities and consent of the person who just onboarded, and delete the
    temporary person; None (nothing changed) if the roster row was taken or removed meanwhile."""
    async with db.write() as conn:
        async with conn.execute(
            "SELECT 1 FROM people p WHERE p.id = ? AND p.source = 'roster'"
            " AND NOT EXISTS (SELECT 1 FROM identities i WHERE i.person_id = p.id)", (roster_id,),
        ) as cursor:
            if await cursor.fetchone() is None:
                return None
        await conn.execute(
            "UPDATE people SET (consent_at, last_channel, stopped) ="
            " (SELECT consent_at, last_channel, stopped FROM people WHERE id = ?) WHERE id = ?",
            (temporary_id, roster_id))
        await conn.execute("UPDATE identities SET person_id = ? WHERE person_id = ?", (roster_id, temporary_id))
        await conn.execute("DELETE FROM people WHERE id = ?", (temporary_id,))
        async with conn.execute("SELECT * FROM people WHERE id = ?", (roster_id,)) as cursor:
            row = await cursor.fetchone()
    return Person.from_row(row) if row else None


async def save_upload(db: Database, person_id: int, file_name: str, data: bytes, now: str) -> int:
    """Keep a file until staff apply or cancel it; a person keeps only their latest upload."""
    async with db.write() as conn:
        await conn.execute("DELETE FROM roster_uploads WHERE person_id = ?", (person_id,))
        cursor = await conn.execute(
            "INSERT INTO roster_uploads (person_id, file_name, data, created_at) VALUES (?, ?, ?, ?)",
            (person_id, file_name, data, now))
        return int(cursor.lastrowid or 0)


async def get_upload(db: Database, upload_id: int, person_id: int) -> tuple[str, bytes] | None:
    """(file name, bytes) of this person's upload, or None if it is gone or someone else's."""
    row = await db.fetchone("SELECT file_name, data FROM roster_uploads WHERE id = ? AND person_id = ?",
                            (upload_id, person_id))
    return (row["file_name"], bytes(row["data"])) if row else None


async def delete_upload(db: Database, upload_id: int) -> None:
    """Forget an upload (applied or cancelled)."""
    await db.execute("DELETE FROM roster_uploads WHERE id = ?", (upload_id,))
