"""People: leaders and staff, their channel identities and profile."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

import aiosqlite

from bot.model import Identity, Option
from bot.store.conversations import Conversation, from_columns
from bot.store.db import Database
from bot.textutil import fold

PROFILE_FIELDS = ("name", "role", "association", "commune", "hamlet", "phone", "birth_year")


@dataclass(frozen=True, slots=True)
class Person:
    """One person as stored; `registered` once onboarding was confirmed."""

    id: int
    name: str | None
    role: str | None
    association: str | None
    commune: str | None
    hamlet: str | None
    phone: str | None
    birth_year: int | None
    consent_at: str | None
    registered_at: str | None
    stopped: bool
    unreachable: bool
    last_channel: str | None
    source: str

    @property
    def registered(self) -> bool:
        """Whether onboarding is complete."""
        return self.registered_at is not None

    @classmethod
    def from_row(cls, row: aiosqlite.Row | dict[str, Any]) -> Person:
        """Build from a `people` row."""
        return cls(
            id=row["id"], name=row["name"], role=row["role"], association=row["association"],
            commune=row["commune"], hamlet=row["hamlet"], phone=row["phone"],
            birth_year=row["birth_year"], consent_at=row["consent_at"],
            registered_at=row["registered_at"], stopped=bool(row["stopped"]),
            unreachable=bool(row["unreachable"]), last_channel=row["last_channel"], source=row["source"],
        )


async def get(db: Database, person_id: int) -> Person | None:
    """The person with this id, or None (e.g. deleted)."""
    row = await db.fetchone("SELECT * FROM people WHERE id = ?", (person_id,))
    return Person.from_row(row) if row else None


async def by_identity(db: Database, identity: Identity) -> Person | None:
    """The person behind a channel identity, or None."""
    row = await db.fetchone(
        "SELECT p.* FROM people p JOIN identities i ON i.person_id = p.id WHERE i.channel = ? AND i.address = ?",
        (identity.channel, identity.address),
    )
    return Person.from_row(row) if row else None


async def by_phone(db: Database, phone: str) -> Person | None:
    """The person with this normalised phone number, or None."""
    row = await db.fetchone("SELECT * FROM people WHERE phone = ?", (phone,))
    return Person.from_row(row) if row else None


async def touch(
    db: Database, identity: Identity, display_name: str, now: str
) -> tuple[Person, list[Option]]:
    """The person behind `identity` (created on first contact) and the options last shown there.

    Also records on which channel the person was last seen, so deliveries go to the
    channel last used. The common case (a known person, same channel, seen within the
    last minute) is one read and no write.
    """
    row = await db.fetchone(
        "SELECT p.*, i.options AS shown, i.last_seen AS seen FROM identities i"
        " JOIN people p ON p.id = i.person_id WHERE i.channel = ? AND i.address = ?",
        (identity.channel, identity.address),
    )
    if row is not None and not _needs_write(row, identity, now):
        return Person.from_row(row), _options(row["shown"])
    async with db.write() as conn:
        async with conn.execute(
            "SELECT person_id, options FROM identities WHERE channel = ? AND address = ?",
            (identity.channel, identity.address),
        ) as cursor:
            found = await cursor.fetchone()
        if found is None:
            cursor = await conn.execute("INSERT INTO people (created_at, last_channel) VALUES (?, ?)",
                                        (now, identity.channel))
            person_id = int(cursor.lastrowid or 0)
            await conn.execute(
                "INSERT INTO identities (channel, address, person_id, display_name, last_seen)"
                " VALUES (?, ?, ?, ?, ?)",
                (identity.channel, identity.address, person_id, display_name[:128], now),
            )
            options: list[Option] = []
        else:
            person_id = int(found["person_id"])
            options = _options(found["options"])
            await conn.execute(
                "UPDATE identities SET last_seen = ?, display_name = COALESCE(NULLIF(?, ''), display_name)"
                " WHERE channel = ? AND address = ?",
                (now, display_name[:128], identity.channel, identity.address),
            )
            await conn.execute(
                "UPDATE people SET last_channel = ?, unreachable = 0 WHERE id = ?"
                " AND (last_channel IS NOT ? OR unreachable)",
                (identity.channel, person_id, identity.channel),
            )
        async with conn.execute("SELECT * FROM people WHERE id = ?", (person_id,)) as cursor:
            person_row = await cursor.fetchone()
    assert person_row is not None
    return Person.from_row(person_row), options


@dataclass(frozen=True, slots=True)
class Arrival:
    """The sender of an update as one read finds them (see `arrive`)."""

    person: Person | None  # None: not known yet (touch creates them)
    shown: list[Option]  # the options last shown on this identity
    conversation: Conversation
    stored_staff: bool  # has a row in the staff table (their rights are looked up)
    must_touch: bool  # touch must write before anything else: new, other channel, or unreachable
    seen_statement: tuple[str, tuple[Any, ...]] | None  # last_seen is a minute old: write it with the rest


_ARRIVE = (
    "SELECT p.*, i.options AS shown, i.last_seen AS seen, c.step AS conversation_step,"
    " c.data AS conversation_data, EXISTS (SELECT 1 FROM staff s WHERE s.identity = ?) AS stored_staff"
    " FROM identities i JOIN people p ON p.id = i.person_id LEFT JOIN conversations c ON c.person_id = p.id"
    " WHERE i.channel = ? AND i.address = ?"
)


async def arrive(db: Database, identity: Identity, display_name: str, now: str) -> Arrival:
    """Person, options shown, conversation and whether they are stored staff, in one read.

    The dispatcher's per-update reads used to be three or four trips to the reader's thread;
    this is one. Writes are left to the caller: `touch` when `must_touch`, else
    `seen_statement` (if any) goes into the update's one write transaction.
    """
    row = await db.fetchone(_ARRIVE, (str(identity), identity.channel, identity.address))
    if row is None:
        return Arrival(None, [], Conversation(), False, True, None)
    seen = row["seen"] or ""
    must = row["last_channel"] != identity.channel or bool(row["unreachable"])
    statement = None
    if not must and seen[:16] < now[:16]:
        statement = ("UPDATE identities SET last_seen = ?, display_name = COALESCE(NULLIF(?, ''), display_name)"
                     " WHERE channel = ? AND address = ?",
                     (now, display_name[:128], identity.channel, identity.address))
    return Arrival(Person.from_row(row), _options(row["shown"]),
                   from_columns(row["conversation_step"], row["conversation_data"]),
                   bool(row["stored_staff"]), must, statement)


def _needs_write(row: aiosqlite.Row, identity: Identity, now: str) -> bool:
    """Whether touch must write: another channel was used last, the person was unreachable,
    or last_seen is more than a minute old (ISO text compares like time up to the minute)."""
    seen = row["seen"] or ""
    return row["last_channel"] != identity.channel or bool(row["unreachable"]) or seen[:16] < now[:16]


def _options(raw: str) -> list[Option]:
    return [Option(label, payload) for label, payload in json.loads(raw)]


async def save_options(conn: aiosqlite.Connection, identity: Identity, options: list[Option]) -> None:
    """Remember the options last shown to this identity (inside the caller's transaction)."""
    await conn.execute(*options_statement(identity, options))


def options_statement(identity: Identity, options: list[Option]) -> tuple[str, tuple[Any, ...]]:
    """The statement that remembers the options last shown (for a Database.write_batch)."""
    return ("UPDATE identities SET options = ? WHERE channel = ? AND address = ?",
            (json.dumps([[o.label, o.payload] for o in options], ensure_ascii=False),
             identity.channel, identity.address))


def name_key(name: str | None) -> str | None:
    """The folded name stored beside the name, for search without diacritics."""
    return None if name is None else fold(name)


async def update_profile(db: Database, person_id: int, **fields: Any) -> None:
    """Set profile fields (names from PROFILE_FIELDS)."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    if not fields:
        return
    if "name" in fields:
        fields["name_key"] = name_key(fields["name"])
    assignments = ", ".join(f"{name} = ?" for name in fields)
    await db.execute(f"UPDATE people SET {assignments} WHERE id = ?", (*fields.values(), person_id))


async def set_consent(db: Database, person_id: int, when: str | None) -> None:
    """Record (or clear) acceptance of the privacy notice."""
    await db.execute("UPDATE people SET consent_at = ? WHERE id = ?", (when, person_id))


async def register(db: Database, person_id: int, when: str) -> None:
    """Mark onboarding as confirmed (keeps the first registration time)."""
    await db.execute("UPDATE people SET registered_at = COALESCE(registered_at, ?) WHERE id = ?",
                     (when, person_id))


async def set_stopped(db: Database, person_id: int, stopped: bool) -> None:
    """/stop (True) or /start again (False)."""
    await db.execute("UPDATE people SET stopped = ? WHERE id = ?", (int(stopped), person_id))


async def set_unreachable(db: Database, person_id: int) -> None:
    """The channel reported the person blocked the bot or the chat is gone."""
    await db.execute("UPDATE people SET unreachable = 1 WHERE id = ?", (person_id,))


async def delete(db: Database, person_id: int) -> None:
    """Delete the person and, through ON DELETE CASCADE, everything that refers to them."""
    await db.execute("DELETE FROM people WHERE id = ?", (person_id,))
    await db.after_deletion()  # deleted means deleted: no copy left in the WAL either


async def identities_of(db: Database, person_id: int) -> list[Identity]:
    """Every channel identity of a person, the most recently used first."""
    rows = await db.fetchall(
        "SELECT channel, address FROM identities WHERE person_id = ? ORDER BY last_seen DESC", (person_id,)
    )
    return [Identity(row["channel"], row["address"]) for row in rows]


async def hamlets_learnt(db: Database, commune: str) -> list[str]:
    """Approved hamlets of a commune stored in the database (from a roster or staff)."""
    rows = await db.fetchall("SELECT name FROM hamlets WHERE commune = ? AND status = 'approved' ORDER BY name",
                             (commune,))
    return [row["name"] for row in rows]

