"""Linking one person's two channels: short-lived codes, claimed on one channel and confirmed on
the other, then merging two people rows into one.

Which row is kept: the registered one; when both are registered, the one registered first;
when neither is, the one who asked for the code. The kept row's profile wins; its empty
fields are filled from the other row. Everything else that refers to the other row (quiz
results, feedback, class answers, deliveries… any table with a foreign key to people) is
moved to the kept row, except rows that would then collide with a row the kept person
already has under a unique key (the same reminder queued twice, an aspiration answered on
both): those are dropped with the other row, so nothing is sent or counted twice. Before
that, a class answer or attendance given only on the other channel is copied onto the kept
invitation, and a second quiz in progress is set aside (one open quiz per person).
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
from bot.store.people import PROFILE_FIELDS, Person

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
        await _reconcile(conn, drop.id, keep.id)
        await _move_references(conn, drop.id, keep.id)
        await _merge_profile(conn, keep, drop, channel)
        await conn.execute("DELETE FROM people WHERE id = ?", (drop.id,))
        await conn.execute("DELETE FROM link_codes WHERE code = ?", (code,))
        merged = await _person(conn, keep.id)
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


# Rows both people have under the same key, where the generic move would keep the kept
# person's row as it is: first take over what only the other row knows.
_RECONCILE: tuple[tuple[str, str], ...] = (
    # Invited twice to one class: keep the answer and the attendance given on either channel.
    ("class_invitees",
     "UPDATE class_invitees AS k SET rsvp = COALESCE(k.rsvp, d.rsvp), reason = COALESCE(k.reason, d.reason),"
     " answered_at = COALESCE(k.answered_at, d.answered_at), attended_at = COALESCE(k.attended_at, d.attended_at),"
     " attended_by = COALESCE(k.attended_by, d.attended_by)"
     " FROM class_invitees AS d WHERE k.person_id = :keep AND d.person_id = :drop AND d.class_id = k.class_id"),
    # One quiz in progress per person: the kept person's stays open, the other one is set aside.
    ("quiz_attempts",
     "UPDATE quiz_attempts SET status = 'abandoned' WHERE person_id = :drop AND status = 'open'"
     " AND EXISTS (SELECT 1 FROM quiz_attempts WHERE person_id = :keep AND status = 'open')"),
)


async def _reconcile(conn: aiosqlite.Connection, old: int, new: int) -> None:
    async with conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'") as cursor:
        tables = {str(row[0]) for row in await cursor.fetchall()}
    for table, sql in _RECONCILE:
        if table in tables:  # features may be absent from an older database
            await conn.execute(sql, {"keep": new, "drop": old})


async def _move_references(conn: aiosqlite.Connection, old: int, new: int) -> None:
    """Point every foreign key to people(id) from `old` to `new`; rows that would break a unique
    key stay behind and go with `old` (ON DELETE CASCADE)."""
    async with conn.execute("SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%'"
                            " AND name != 'people'") as cursor:
        tables = [str(row[0]) for row in await cursor.fetchall()]
    for table in tables:
        quoted = '"' + table.replace('"', '""') + '"'
        async with conn.execute(f"PRAGMA foreign_key_list({quoted})") as cursor:
            keys = await cursor.fetchall()
        for key in keys:
            if key["table"] != "people" or key["to"] not in (None, "id"):
                continue
            column = '"' + str(key["from"]).replace('"', '""') + '"'
            await conn.execute(f"UPDATE OR IGNORE {quoted} SET {column} = ? WHERE {column} = ?", (new, old))


async def _merge_profile(conn: aiosqlite.Connection, keep: Person, drop: Person, channel: str) -> None:
    fill = {name: getattr(drop, name) for name in (*PROFILE_FIELDS, "consent_at")
            if getattr(keep, name) is None and getattr(drop, name) is not None}
    if "phone" in fill:  # phones are unique: free it before the kept row takes it
        await conn.execute("UPDATE people SET phone = NULL WHERE id = ?", (drop.id,))
    assignments = "".join(f", {name} = ?" for name in fill)
    await conn.execute(
        f"UPDATE people SET last_channel = ?, unreachable = 0{assignments} WHERE id = ?",
        (channel, *fill.values(), keep.id),
    )
