"""Linking one person's two channels: short-lived codes, claimed on one channel and confirmed on
the other, then merging two people rows into one.

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
from bot.model import Identity
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


CODE_DIGITS = 8  # 10^8 codes: with a few live at once and the limits below, guessing is hopeless
GUESS_WINDOW = timedelta(hours=1)
GUESSES_PER_IDENTITY = 5  # wrong codes per channel identity per window
GUESSES_OVERALL = 200  # wrong codes over all identities per window (new accounts do not help)
ClaimStatus = Literal["claimed", "invalid", "same_person", "same_channel"]


@dataclass(frozen=True)
class Claim:
    """A right code typed on the other channel, waiting for the issuer's confirmation."""

    status: ClaimStatus
    code: str = ""
    issuer_id: int = 0
    issuer_channel: str = ""
    claimer_id: int = 0
    claimer_channel: str = ""
    claimer_address: str = ""
    claimer_name: str = ""


async def new_code(db: Database, person_id: int, channel: str, now: datetime) -> str:
    """A fresh CODE_DIGITS-digit code for this person, shown on `channel`; their older codes stop working."""
    async with db.write() as conn:
        await conn.execute("DELETE FROM link_codes WHERE expires_at <= ? OR person_id = ?", (iso(now), person_id))
        for _ in range(50):
            code = f"{secrets.randbelow(10 ** CODE_DIGITS):0{CODE_DIGITS}d}"
            cursor = await conn.execute(
                "INSERT OR IGNORE INTO link_codes (code, person_id, channel, created_at, expires_at)"
                " VALUES (?, ?, ?, ?, ?)",
                (code, person_id, channel, iso(now), iso(now + CODE_TTL)),
            )
            if cursor.rowcount:
                return code
    raise RuntimeError("no free link code")  # 10^8 live codes: not a real situation


async def guessing_stopped(db: Database, identity: Identity, now: datetime) -> bool:
    """Whether this identity, or everyone together, typed too many wrong codes in the last window."""
    since = iso(now - GUESS_WINDOW)
    mine = await db.fetchval("SELECT count(*) FROM link_guesses WHERE channel = ? AND address = ? AND at >= ?",
                             (identity.channel, identity.address, since))
    if int(mine or 0) >= GUESSES_PER_IDENTITY:
        return True
    overall = await db.fetchval("SELECT count(*) FROM link_guesses WHERE at >= ?", (since,))
    return int(overall or 0) >= GUESSES_OVERALL


async def record_guess(db: Database, identity: Identity, now: datetime) -> None:
    """Remember a wrong (or refused) code for this identity; forget those older than a day."""
    async with db.write() as conn:
        await conn.execute("DELETE FROM link_guesses WHERE at < ?", (iso(now - timedelta(days=1)),))
        await conn.execute("INSERT INTO link_guesses (channel, address, at) VALUES (?, ?, ?)",
                           (identity.channel, identity.address, iso(now)))


async def claim_code(db: Database, code: str, person_id: int, identity: Identity, now: datetime) -> Claim:
    """The person `person_id`, writing from `identity`, typed `code`: remember the claim for the
    issuer to confirm (nothing is merged yet), or say why not."""
    async with db.write() as conn:
        async with conn.execute("SELECT * FROM link_codes WHERE code = ? AND expires_at > ?",
                                (code, iso(now))) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return Claim("invalid")
        issuer_id, code_channel = int(row["person_id"]), str(row["channel"])
        if code_channel == identity.channel:
            return Claim("same_channel", issuer_channel=code_channel)
        if issuer_id == person_id:
            return Claim("same_person", issuer_channel=code_channel)
        if row["claimed_by"] is not None and int(row["claimed_by"]) != person_id:
            return Claim("invalid")  # first claim wins: a later one cannot take over the confirmation
        await conn.execute(
            "UPDATE link_codes SET claimed_by = ?, claimed_channel = ?, claimed_address = ? WHERE code = ?",
            (person_id, identity.channel, identity.address, code))
        async with conn.execute(
            "SELECT COALESCE(p.name, NULLIF(i.display_name, ''), '') FROM people p"
            " LEFT JOIN identities i ON i.person_id = p.id AND i.channel = ? AND i.address = ? WHERE p.id = ?",
            (identity.channel, identity.address, person_id),
        ) as cursor:
            name_row = await cursor.fetchone()
    return Claim("claimed", code, issuer_id, code_channel, person_id, identity.channel, identity.address,
                 str(name_row[0]) if name_row else "")


async def claim_of(db: Database, code: str, now: datetime) -> Claim | None:
    """The pending claim of a live code, or None (expired, used, refused, or never claimed)."""
    row = await db.fetchone(
        "SELECT * FROM link_codes WHERE code = ? AND expires_at > ? AND claimed_by IS NOT NULL", (code, iso(now)))
    if row is None:
        return None
    return Claim("claimed", code, int(row["person_id"]), str(row["channel"]), int(row["claimed_by"]),
                 str(row["claimed_channel"]), str(row["claimed_address"]))


async def drop_code(db: Database, code: str) -> None:
    """The issuer refused the claim: the code is dead."""
    await db.execute("DELETE FROM link_codes WHERE code = ?", (code,))


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
