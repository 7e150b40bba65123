"""Linking one person's two channels: short-lived codes, and merging two people rows into one.

Which row is kept: the registered one; when both are registered, the one registered first;
when neither is, the one who asked for the code. The merge itself is bot/store/merge.py's,
the same one staff use.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Literal

import aiosqlite

from bot.clock import iso
from bot.store.db import Database
from bot.store.merge import merge_in
from bot.store.people import Person

CODE_TTL = timedelta(minutes=10)
LinkStatus = Literal["linked", "invalid", "same_person", "same_channel"]


@dataclass(frozen=True)
class LinkResult:
    """What typing a code did; `person` is the merged person when linked."""

    status: LinkStatus
    person: Person | None = None
    other_channel: str = ""
    dropped_id: int | None = None


async def new_code(db: Database, person_id: int, channel: str, now: datetime) -> str:
    """A fresh 6-digit code for this person, shown on `channel`; their older codes stop working."""
    async with db.write() as conn:
        await conn.execute("DELETE FROM link_codes WHERE expires_at <= ? OR person_id = ?", (iso(now), person_id))
        for _ in range(50):
            code = f"{secrets.randbelow(1_000_000):06d}"
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO link_codes (code, person_id, channel, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (code, person_id, channel, iso(now), iso(now + CODE_TTL)),
            )
            if cursor.rowcount:
                return code
    raise RuntimeError("no free link code")  # a million live codes: not a real situation


async def failures_since(db: Database, person_id: int, since: datetime) -> int:
    """How many wrong codes this person typed since `since`."""
    count = await db.fetchval("SELECT count(*) FROM link_failures WHERE person_id = ? AND at >= ?",
                              (person_id, iso(since)))
    return int(count or 0)


async def record_failure(db: Database, person_id: int, now: datetime) -> None:
    """Remember a wrong code (and forget those older than a day)."""
    async with db.write() as conn:
        await conn.execute("DELETE FROM link_failures WHERE at < ?", (iso(now - timedelta(days=1)),))
        await conn.execute("INSERT INTO link_failures (person_id, at) VALUES (?, ?)", (person_id, iso(now)))


async def use_code(db: Database, code: str, person_id: int, channel: str, now: datetime) -> LinkResult:
    """The person `person_id`, writing on `channel`, typed `code`: merge the two people in one
    transaction (see the module docstring), or say why not."""
    async with db.write() as conn:
        async with conn.execute("SELECT * FROM link_codes WHERE code = ? AND expires_at > ?",
                                (code, iso(now))) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return LinkResult("invalid")
        issuer_id, code_channel = int(row["person_id"]), str(row["channel"])
        if code_channel == channel:
            return LinkResult("same_channel", other_channel=code_channel)
        if issuer_id == person_id:
            return LinkResult("same_person", other_channel=code_channel)
        issuer, typer = await _person(conn, issuer_id), await _person(conn, person_id)
        keep, drop = _choose(issuer, typer)
        result = await merge_in(conn, keep.id, drop.id, channel=channel)
        await conn.execute("DELETE FROM link_codes WHERE code = ?", (code,))
        merged = result.person
    return LinkResult("linked", merged, other_channel=code_channel, dropped_id=drop.id)


def _choose(issuer: Person, typer: Person) -> tuple[Person, Person]:
    if issuer.registered != typer.registered:
        return (issuer, typer) if issuer.registered else (typer, issuer)
    if issuer.registered and typer.registered and (typer.registered_at or "") < (issuer.registered_at or ""):
        return typer, issuer
    return issuer, typer


async def _person(conn: aiosqlite.Connection, person_id: int) -> Person:
    async with conn.execute("SELECT * FROM people WHERE id = ?", (person_id,)) as cursor:
        row = await cursor.fetchone()
    if row is None:
        raise LookupError(f"person {person_id} vanished during linking")
    return Person.from_row(row)
