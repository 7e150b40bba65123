"""Classes, their invitees (RSVP, reason, attendance) and the reminder bookkeeping."""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

import aiosqlite

from bot.clock import iso, parse_iso
from bot.model import Reply
from bot.store import deliveries
from bot.store.db import Database
from bot.store.people import Person
from bot.store.scope import audience_within, commune_in

ALL: dict[str, Any] = {"kind": "all"}


@dataclass(frozen=True, slots=True)
class ClassRow:
    """One class as stored."""

    id: int
    title: str
    place: str
    starts_at: datetime
    minutes: int
    topics: tuple[str, ...]
    audience: dict[str, Any]
    status: str
    version: int
    reminders_from: datetime
    next_reminder_at: datetime | None
    checkin_code: str | None
    checkin_until: datetime | None

    @property
    def ends_at(self) -> datetime:
        """When the class is over."""
        return self.starts_at + timedelta(minutes=self.minutes)

    @property
    def cancelled(self) -> bool:
        """Whether staff cancelled it."""
        return self.status == "cancelled"

    def checkin_open(self, now: datetime) -> bool:
        """Whether leaders can check in with the code right now."""
        return bool(self.checkin_code) and self.checkin_until is not None and now < self.checkin_until

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> ClassRow:
        """Build from a `classes` row."""
        return cls(
            id=row["id"], title=row["title"], place=row["place"], starts_at=parse_iso(row["starts_at"]),
            minutes=row["minutes"], topics=tuple(json.loads(row["topics"])),
            audience=json.loads(row["audience"]), status=row["status"], version=row["version"],
            reminders_from=parse_iso(row["reminders_from"]),
            next_reminder_at=parse_iso(row["next_reminder_at"]) if row["next_reminder_at"] else None,
            checkin_code=row["checkin_code"],
            checkin_until=parse_iso(row["checkin_until"]) if row["checkin_until"] else None,
        )


@dataclass(frozen=True, slots=True)
class Invitee:
    """One invited person and their answer / attendance."""

    person_id: int
    name: str | None
    commune: str | None
    hamlet: str | None
    phone: str | None
    role: str | None
    rsvp: str | None
    reason: str | None
    attended: bool
    attended_by: str | None


@dataclass(frozen=True, slots=True)
class Counts:
    """How many were invited, are coming, not coming, did not answer, and came."""

    invited: int = 0
    yes: int = 0
    no: int = 0
    none: int = 0
    attended: int = 0


def audience_matches(audience: dict[str, Any], person: Person) -> bool:
    """Whether a registered person belongs to a class's audience."""
    if not person.registered:
        return False
    kind = audience.get("kind", "all")
    if kind == "communes":
        return person.commune in audience.get("communes", [])
    if kind == "role":
        return person.role == audience.get("role") and ("communes" not in audience
                                                        or person.commune in audience["communes"])
    return True


def _audience_sql(audience: dict[str, Any]) -> tuple[str, list[Any]]:
    kind = audience.get("kind", "all")
    sql = "SELECT id FROM people WHERE registered_at IS NOT NULL"
    if kind == "communes":
        names = list(audience.get("communes", []))
        return f"{sql} AND commune IN ({', '.join('?' for _ in names) or 'NULL'})", names
    if kind == "role" and "communes" in audience:  # a role within some communes (commune staff's choice)
        names = list(audience["communes"])
        return (f"{sql} AND role = ? AND commune IN ({', '.join('?' for _ in names) or 'NULL'})",
                [audience.get("role"), *names])
    if kind == "role":
        return f"{sql} AND role = ?", [audience.get("role")]
    return sql, []


async def create(
    db: Database, *, title: str, place: str, starts_at: datetime, minutes: int, topics: Sequence[str],
    audience: dict[str, Any], created_by: int | None, now: datetime, next_reminder: datetime | None,
    invitation: Callable[[ClassRow], Reply],
) -> tuple[ClassRow, int]:
    """Store a class, invite its audience and queue the invitations, in one transaction.

    Returns the class and how many people were invited.
    """
    async with db.write() as conn:
        cursor = await conn.execute(
            "INSERT INTO classes (title, place, starts_at, minutes, topics, audience, reminders_from,"
            " next_reminder_at, created_by, created_at, updated_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            (title, place, iso(starts_at), minutes, json.dumps(list(topics)), json.dumps(audience,
             ensure_ascii=False), iso(now), iso(next_reminder) if next_reminder else None, created_by,
             iso(now), iso(now)),
        )
        class_id = int(cursor.lastrowid or 0)
        select, params = _audience_sql(audience)
        await conn.execute(
            f"INSERT INTO class_invitees (class_id, person_id, invited_at) SELECT ?, id, ? FROM ({select})",
            (class_id, iso(now), *params),
        )
        ids = await _ids(conn, "SELECT person_id FROM class_invitees WHERE class_id = ?", (class_id,))
        row = await _get_in(conn, class_id)
        assert row is not None
        await deliveries.enqueue_in(conn, "invitation", f"class:{class_id}", ids, invitation(row), now=now)
    return row, len(ids)


async def _ids(conn: aiosqlite.Connection, sql: str, params: Sequence[Any]) -> list[int]:
    async with conn.execute(sql, params) as cursor:
        return [int(r[0]) for r in await cursor.fetchall()]


async def _get_in(conn: aiosqlite.Connection, class_id: int) -> ClassRow | None:
    async with conn.execute("SELECT * FROM classes WHERE id = ?", (class_id,)) as cursor:
        row = await cursor.fetchone()
    return ClassRow.from_row(row) if row else None


async def get(db: Database, class_id: int, scope: frozenset[str] | None = None) -> ClassRow | None:
    """The class with this id, or None (also when it invited communes beyond `scope`; None = all)."""
    within, names = audience_within("audience", scope)
    row = await db.fetchone(f"SELECT * FROM classes WHERE id = ? AND {within}", (class_id, *names))
    return ClassRow.from_row(row) if row else None


async def update(
    db: Database, class_id: int, version: int, *, now: datetime, changes: dict[str, Any],
    next_reminder: Callable[[ClassRow], datetime | None], change_reply: Callable[[ClassRow], Reply],
) -> ClassRow | None:
    """Apply `changes` (title, place, starts_at, topics) if the class is still at `version`.

    Bumps the version, re-plans reminders from now, skips queued messages that carry the old
    details and queues the change to everyone invited. None when someone else changed it first
    (or it was cancelled).
    """
    allowed = {"title", "place", "starts_at", "topics"}
    if not changes or set(changes) - allowed:
        raise ValueError(f"cannot change {sorted(set(changes) - allowed)}")
    values = {k: _stored(v) for k, v in changes.items()}
    assignments = ", ".join(f"{k} = ?" for k in values)
    async with db.write() as conn:
        cursor = await conn.execute(
            f"UPDATE classes SET {assignments}, version = version + 1, reminders_from = ?, updated_at = ?"
            " WHERE id = ? AND version = ? AND status = 'scheduled'",
            (*values.values(), iso(now), iso(now), class_id, version),
        )
        if cursor.rowcount != 1:
            return None
        row = await _get_in(conn, class_id)
        assert row is not None
        due = next_reminder(row)
        await conn.execute("UPDATE classes SET next_reminder_at = ? WHERE id = ?",
                           (iso(due) if due else None, class_id))
        await skip_pending_in(conn, class_id, ("reminder", "class_change"))
        # Everyone invited, also those who declined: the new time may suit them.
        ids = await _ids(conn, "SELECT person_id FROM class_invitees WHERE class_id = ?", (class_id,))
        await deliveries.enqueue_in(conn, "class_change", f"class:{class_id}:v{row.version}", ids,
                                    change_reply(row), now=now)
    return await get(db, class_id)


def _stored(value: Any) -> Any:
    """A changed field as its column holds it: times in ISO UTC, topic ids as a JSON list."""
    if isinstance(value, datetime):
        return iso(value)
    if isinstance(value, (list, tuple)):
        return json.dumps(list(value))
    return value


async def cancel(
    db: Database, class_id: int, version: int, *, now: datetime, cancel_reply: Callable[[ClassRow], Reply],
) -> ClassRow | None:
    """Cancel the class if still at `version`: no more reminders, and everyone invited is told once."""
    async with db.write() as conn:
        cursor = await conn.execute(
            "UPDATE classes SET status = 'cancelled', version = version + 1, next_reminder_at = NULL,"
            " checkin_code = NULL, checkin_until = NULL, updated_at = ?"
            " WHERE id = ? AND version = ? AND status = 'scheduled'",
            (iso(now), class_id, version),
        )
        if cursor.rowcount != 1:
            return None
        row = await _get_in(conn, class_id)
        assert row is not None
        await skip_pending_in(conn, class_id, ("invitation", "reminder", "class_change"))
        ids = await _ids(conn, "SELECT person_id FROM class_invitees WHERE class_id = ?", (class_id,))
        await deliveries.enqueue_in(conn, "class_cancel", f"class:{class_id}", ids, cancel_reply(row), now=now)
    return row


async def skip_pending_in(conn: aiosqlite.Connection, class_id: int, kinds: Sequence[str]) -> int:
    """Mark queued, unsent messages about this class as 'skipped' (their details are out of date)."""
    skipped = 0
    for kind in kinds:
        # Refs are "class:7", "class:7:v2" or "reminder:7:…": a range keeps the (kind, ref) index usable,
        # the ':' test keeps class 70 out of class 7's range.
        prefix = f"reminder:{class_id}" if kind == "reminder" else f"class:{class_id}"
        cursor = await conn.execute(
            "UPDATE deliveries SET status = 'skipped' WHERE kind = ? AND ref >= ? AND ref < ?"
            " AND status = 'pending' AND (ref = ? OR substr(ref, ?, 1) = ':')",
            (kind, prefix, prefix + "\uffff", prefix, len(prefix) + 1),
        )
        skipped += cursor.rowcount
    return skipped


async def invitation_of(db: Database, class_id: int, person_id: int) -> Invitee | None:
    """This person's invitation to this class, or None when not invited."""
    row = await db.fetchone(_INVITEE_SELECT + " WHERE ci.class_id = ? AND ci.person_id = ?", (class_id, person_id))
    return _invitee(row) if row else None


_INVITEE_SELECT = (
    "SELECT ci.person_id, p.name, p.commune, p.hamlet, p.phone, p.role, ci.rsvp, ci.reason,"
    " ci.attended_at, ci.attended_by FROM class_invitees ci JOIN people p ON p.id = ci.person_id"
)


def _invitee(row: aiosqlite.Row) -> Invitee:
    return Invitee(
        person_id=row["person_id"], name=row["name"], commune=row["commune"], hamlet=row["hamlet"],
        phone=row["phone"], role=row["role"], rsvp=row["rsvp"], reason=row["reason"],
        attended=row["attended_at"] is not None, attended_by=row["attended_by"],
    )


async def invitees(db: Database, class_id: int, commune: str | None = None,
                   scope: frozenset[str] | None = None) -> list[Invitee]:
    """Everyone invited to a class (optionally of one commune; in `scope`, None = all), by commune,
    hamlet and name."""
    within, names = commune_in("p.commune", scope)
    sql = _INVITEE_SELECT + f" WHERE ci.class_id = ? AND {within}"
    params: list[object] = [class_id, *names]
    if commune is not None:
        sql += " AND p.commune IS ?"
        params.append(commune)
    rows = await db.fetchall(sql + " ORDER BY p.commune, p.hamlet, p.name, ci.person_id", params)
    return [_invitee(row) for row in rows]


async def no_answer(db: Database, class_id: int, limit: int, scope: frozenset[str] | None = None) -> list[Invitee]:
    """The first `limit` invitees (in `scope`) who have not answered, by commune, hamlet and name."""
    within, names = commune_in("p.commune", scope)
    rows = await db.fetchall(_INVITEE_SELECT + f" WHERE ci.class_id = ? AND ci.rsvp IS NULL AND {within}"
                             " ORDER BY p.commune, p.hamlet, p.name, ci.person_id LIMIT ?", (class_id, *names, limit))
    return [_invitee(row) for row in rows]


async def set_rsvp(db: Database, class_id: int, person_id: int, rsvp: str, now: datetime) -> None:
    """Record yes / no (a new answer clears an old reason)."""
    await db.execute(
        "UPDATE class_invitees SET rsvp = ?, reason = NULL, answered_at = ? WHERE class_id = ? AND person_id = ?",
        (rsvp, iso(now), class_id, person_id),
    )


async def set_reason(db: Database, class_id: int, person_id: int, reason: str) -> None:
    """The optional reason for not coming."""
    await db.execute(
        "UPDATE class_invitees SET reason = ? WHERE class_id = ? AND person_id = ? AND rsvp = 'no'",
        (reason, class_id, person_id),
    )


async def counts(db: Database, class_id: int, scope: frozenset[str] | None = None) -> Counts:
    """Invited / coming / not coming / no answer / present for one class (of leaders in `scope`, None = all:
    a leader who moved to another commune no longer counts for the old commune's staff)."""
    within, names = commune_in("p.commune", scope)
    source = "class_invitees ci" if scope is None else "class_invitees ci JOIN people p ON p.id = ci.person_id"
    row = await db.fetchone(
        "SELECT count(*), count(*) FILTER (WHERE ci.rsvp = 'yes'), count(*) FILTER (WHERE ci.rsvp = 'no'),"
        f" count(*) FILTER (WHERE ci.rsvp IS NULL), count(ci.attended_at) FROM {source}"
        f" WHERE ci.class_id = ? AND {within if scope is not None else '1'}",
        (class_id, *names),
    )
    return Counts(*(int(v) for v in row)) if row else Counts()


async def upcoming_for(db: Database, person_id: int, now: datetime) -> list[tuple[ClassRow, Invitee]]:
    """Classes this person is invited to that have not ended (soonest first), with their answer."""
    rows = await db.fetchall(
        "SELECT c.id FROM class_invitees ci JOIN classes c ON c.id = ci.class_id"
        " WHERE ci.person_id = ? AND c.status = 'scheduled' AND c.starts_at > ? ORDER BY c.starts_at, c.id",
        (person_id, iso(now - timedelta(days=1))),
    )
    found: list[tuple[ClassRow, Invitee]] = []
    for row in rows:
        klass, invitee = await get(db, row["id"]), await invitation_of(db, row["id"], person_id)
        if klass and invitee and klass.ends_at > now:
            found.append((klass, invitee))
    return found


async def listed(db: Database, since: datetime, limit: int = 20,
                 scope: frozenset[str] | None = None) -> list[ClassRow]:
    """Classes (scheduled or cancelled) starting after `since` (those within `scope`), soonest first."""
    within, names = audience_within("audience", scope)
    rows = await db.fetchall(f"SELECT * FROM classes WHERE starts_at >= ? AND {within} ORDER BY starts_at, id"
                             " LIMIT ?", (iso(since), *names, limit))
    return [ClassRow.from_row(row) for row in rows]


async def invite_if_matching(db: Database, person: Person, now: datetime) -> int:
    """Invite someone who registered after classes were planned to the upcoming ones meant for them."""
    rows = await db.fetchall(
        "SELECT * FROM classes WHERE status = 'scheduled' AND starts_at > ? AND id NOT IN"
        " (SELECT class_id FROM class_invitees WHERE person_id = ?)", (iso(now), person.id))
    new = [ClassRow.from_row(r) for r in rows if audience_matches(json.loads(r["audience"]), person)]
    if new:
        async with db.write() as conn:
            await conn.executemany(
                "INSERT OR IGNORE INTO class_invitees (class_id, person_id, invited_at) VALUES (?, ?, ?)",
                [(c.id, person.id, iso(now)) for c in new])
    return len(new)


async def checkin_tries(db: Database, class_id: int, person_id: int) -> int:
    """How many wrong check-in codes this person typed for this class."""
    return int(await db.fetchval("SELECT tries FROM checkin_tries WHERE class_id = ? AND person_id = ?",
                                 (class_id, person_id)) or 0)


async def add_checkin_try(db: Database, class_id: int, person_id: int, now: datetime) -> int:
    """Count one more wrong check-in code; return the total."""
    async with db.write() as conn:
        await conn.execute(
            "INSERT INTO checkin_tries (class_id, person_id, tries, last_at) VALUES (?, ?, 1, ?)"
            " ON CONFLICT (class_id, person_id) DO UPDATE SET tries = tries + 1, last_at = excluded.last_at",
            (class_id, person_id, iso(now)))
        async with conn.execute("SELECT tries FROM checkin_tries WHERE class_id = ? AND person_id = ?",
                                (class_id, person_id)) as cursor:
            row = await cursor.fetchone()
    return int(row[0]) if row else 0


async def set_checkin(db: Database, class_id: int, code: str | None, until: datetime | None) -> None:
    """Open (code, until) or close (None, None) the check-in window."""
    await db.execute("UPDATE classes SET checkin_code = ?, checkin_until = ? WHERE id = ?",
                     (code, iso(until) if until else None, class_id))


async def mark_attended(db: Database, class_id: int, person_id: int, present: bool, by: str,
                        now: datetime) -> bool:
    """Mark someone present (or not); False when they are not invited."""
    cursor_count = await db.execute(
        "UPDATE class_invitees SET attended_at = ?, attended_by = ? WHERE class_id = ? AND person_id = ?",
        (iso(now) if present else None, by if present else None, class_id, person_id),
    )
    return cursor_count == 1


# --- reminders ---------------------------------------------------------------------------------

async def due_for_reminders(db: Database, now: datetime) -> list[ClassRow]:
    """Classes with a reminder due (cheap: a range probe of a partial index)."""
    rows = await db.fetchall(
        "SELECT * FROM classes WHERE next_reminder_at IS NOT NULL AND next_reminder_at <= ?"
        " ORDER BY next_reminder_at", (iso(now),))
    return [ClassRow.from_row(row) for row in rows]


async def enqueue_reminder(
    db: Database, klass: ClassRow, offset_seconds: int | None, reply: Reply | None, *, now: datetime,
    next_reminder: datetime | None,
) -> int:
    """Queue one reminder of a class to everyone invited who has not declined or /stop-ped, and
    move the class's next reminder time on, in one transaction (if the class is unchanged).

    offset_seconds None only moves the next reminder time (a missed reminder skipped).
    Returns the number of new delivery rows.
    """
    async with db.write() as conn:
        cursor = await conn.execute(
            "UPDATE classes SET next_reminder_at = ? WHERE id = ? AND version = ? AND status = 'scheduled'",
            (iso(next_reminder) if next_reminder else None, klass.id, klass.version),
        )
        if cursor.rowcount != 1 or offset_seconds is None or reply is None:
            return 0
        ids = await _ids(
            conn,
            "SELECT ci.person_id FROM class_invitees ci JOIN people p ON p.id = ci.person_id"
            " WHERE ci.class_id = ? AND ci.rsvp IS NOT 'no' AND p.stopped = 0 AND p.unreachable = 0",
            (klass.id,),
        )
        return await deliveries.enqueue_in(
            conn, "reminder", f"reminder:{klass.id}:{offset_seconds}:{klass.version}", ids, reply, now=now)


async def audience_count(db: Database, audience: dict[str, Any]) -> int:
    """How many registered people an audience reaches now."""
    select, params = _audience_sql(audience)
    return int(await db.fetchval(f"SELECT count(*) FROM ({select})", params) or 0)


async def invite_latecomers(
    db: Database, now: datetime, since: datetime, invitation: Callable[[ClassRow], Reply],
) -> int:
    """Invite people registered since `since` to the upcoming classes meant for them (the
    audience rule as at creation) and queue their invitation; return how many were invited."""
    async with db.write() as conn:
        async with conn.execute(
            "SELECT c.id, p.id FROM people p JOIN classes c ON c.status = 'scheduled' AND c.starts_at > ?"
            " WHERE p.registered_at >= ? AND NOT EXISTS (SELECT 1 FROM class_invitees ci"
            "   WHERE ci.class_id = c.id AND ci.person_id = p.id)"
            " AND CASE json_extract(c.audience, '$.kind')"
            "   WHEN 'communes' THEN p.commune IN (SELECT value FROM json_each(c.audience, '$.communes'))"
            "   WHEN 'role' THEN p.role IS json_extract(c.audience, '$.role')"
            "     AND (json_type(c.audience, '$.communes') IS NULL"
            "          OR p.commune IN (SELECT value FROM json_each(c.audience, '$.communes')))"
            "   ELSE 1 END",
            (iso(now), iso(since)),
        ) as cursor:
            pairs = [(int(r[0]), int(r[1])) for r in await cursor.fetchall()]
        by_class: dict[int, list[int]] = {}
        for class_id, person_id in pairs:
            by_class.setdefault(class_id, []).append(person_id)
        for class_id, person_ids in by_class.items():
            await conn.executemany(
                "INSERT OR IGNORE INTO class_invitees (class_id, person_id, invited_at) VALUES (?, ?, ?)",
                [(class_id, pid, iso(now)) for pid in person_ids])
            klass = await _get_in(conn, class_id)
            assert klass is not None
            await deliveries.enqueue_in(conn, "invitation", f"class:{class_id}", person_ids, invitation(klass),
                                        now=now)
    return len(pairs)
