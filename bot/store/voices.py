"""Voices: leaders' feedback items, staff answers and notes, the aspiration survey, staff digests."""

from __future__ import annotations

import json
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

import aiosqlite

from bot.clock import iso
from bot.model import Identity, Reply
from bot.store import deliveries, traces
from bot.store.db import Database
from bot.store.scope import commune_in

KINDS = ("kho_khan", "tam_tu", "gop_y", "nguyen_vong", "cau_hoi")  # cau_hoi: free text sent from the menu
STATUSES = ("new", "in_progress", "answered", "done")
WISHES = ("yes", "maybe")
HELPS = ("class", "talk", "docs")


@dataclass(frozen=True, slots=True)
class Entry:
    """A staff answer (sent to the leader) or an internal note on an item."""

    id: int
    kind: str
    body: str
    author_name: str | None
    created_at: str


@dataclass(frozen=True, slots=True)
class Voice:
    """One item with who sent it (profile fields as stored now)."""

    id: int
    person_id: int
    kind: str
    body: str
    media: list[tuple[str, str]]
    channel: str | None
    status: str
    created_at: str
    updated_at: str
    name: str | None
    role: str | None
    association: str | None
    commune: str | None
    hamlet: str | None
    phone: str | None = None  # for staff whose scope covers the leader (they call them)

    @classmethod
    def from_row(cls, row: aiosqlite.Row) -> Voice:
        """Build from a voices row joined with people."""
        return cls(
            id=row["id"], person_id=row["person_id"], kind=row["kind"], body=row["body"],
            media=[(str(k), str(r)) for k, r in json.loads(row["media"])], channel=row["channel"],
            status=row["status"], created_at=row["created_at"], updated_at=row["updated_at"],
            name=row["name"], role=row["role"], association=row["association"],
            commune=row["commune"], hamlet=row["hamlet"], phone=row["phone"],
        )


@dataclass(frozen=True, slots=True)
class Aspiration:
    """A leader's answer to the aspiration survey."""

    person_id: int
    wish: str
    helps: tuple[str, ...]
    consent_at: str
    updated_at: str


@dataclass(frozen=True, slots=True)
class FollowupRow:
    """One leader on the follow-up list."""

    person_id: int
    name: str | None
    role: str | None
    association: str | None
    commune: str | None
    hamlet: str | None
    phone: str | None
    wish: str
    helps: tuple[str, ...]
    updated_at: str


_SELECT = (
    "SELECT v.*, p.name, p.role, p.association, p.commune, p.hamlet, p.phone"
    " FROM voices v JOIN people p ON p.id = v.person_id"
)


# --- items -------------------------------------------------------------------------------------

async def create(
    db: Database, person_id: int, kind: str, body: str, media: list[tuple[str, str]],
    channel: str | None, now: str,
) -> int:
    """Store a new item (status new) and return its id."""
    if kind not in KINDS:
        raise ValueError(f"unknown voice kind {kind!r}")
    return await db.execute(
        "INSERT INTO voices (person_id, kind, body, media, channel, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?, ?)",
        (person_id, kind, body, json.dumps([list(m) for m in media], ensure_ascii=False), channel, now, now),
    )


async def get(db: Database, voice_id: int, scope: frozenset[str] | None = None) -> Voice | None:
    """One item with its sender, or None (never existed, the sender deleted their data, or the sender
    is not in `scope`: None = every commune)."""
    within, names = commune_in("p.commune", scope)
    row = await db.fetchone(f"{_SELECT} WHERE v.id = ? AND {within}", (voice_id, *names))
    return Voice.from_row(row) if row else None


async def of_person(db: Database, person_id: int, limit: int, offset: int = 0) -> tuple[int, list[Voice]]:
    """(total, a page) of a person's own items, newest first."""
    total = int(await db.fetchval("SELECT count(*) FROM voices WHERE person_id = ?", (person_id,)) or 0)
    rows = await db.fetchall(f"{_SELECT} WHERE v.person_id = ? ORDER BY v.created_at DESC, v.id DESC"
                             " LIMIT ? OFFSET ?", (person_id, limit, offset))
    return total, [Voice.from_row(r) for r in rows]


async def inbox(
    db: Database, *, kind: str | None, commune: str | None, status: str | None, limit: int, page: int = 0,
    scope: frozenset[str] | None = None,
) -> tuple[int, int, list[Voice]]:
    """(total, the page shown (clamped), its items) of items matching the filters (None = any) from
    leaders in `scope` (None = every commune), newest first."""
    where, params = _filters(kind, commune, status, scope)
    # Every item has its sender (ON DELETE CASCADE), so only the commune filters need the join to count;
    # CROSS JOIN keeps SQLite's order: that commune's people first, then their items (index 0021).
    joined = commune is not None or scope is not None
    source = "people p CROSS JOIN voices v ON p.id = v.person_id" if joined else "voices v"
    total = int(await db.fetchval(f"SELECT count(*) FROM {source}{where}", params) or 0)
    page = min(max(page, 0), max(0, -(-total // limit) - 1))
    rows = await db.fetchall(f"{_SELECT}{where} ORDER BY v.created_at DESC, v.id DESC LIMIT ? OFFSET ?",
                             (*params, limit, page * limit))
    return total, page, [Voice.from_row(r) for r in rows]


def _filters(kind: str | None, commune: str | None, status: str | None,
             scope: frozenset[str] | None = None) -> tuple[str, tuple[Any, ...]]:
    clauses: list[str] = []
    params: list[Any] = []
    if scope is not None:
        within, names = commune_in("p.commune", scope)
        clauses.append(within)
        params.extend(names)
    for column, value in (("v.kind", kind), ("p.commune", commune), ("v.status", status)):
        if value is not None:
            clauses.append(f"{column} = ?")
            params.append(value)
    return (" WHERE " + " AND ".join(clauses)) if clauses else "", tuple(params)


async def communes(db: Database, scope: frozenset[str] | None = None) -> list[str]:
    """The communes people are registered in (within `scope`; None = all), sorted (for the inbox filter)."""
    within, names = commune_in("commune", scope)
    rows = await db.fetchall(
        f"SELECT DISTINCT commune FROM people WHERE commune IS NOT NULL AND {within} ORDER BY commune", names)
    return [r["commune"] for r in rows]


async def entries(db: Database, voice_ids: list[int], *, notes: bool) -> dict[int, list[Entry]]:
    """Answers (and internal notes if `notes`) of these items, oldest first."""
    if not voice_ids:
        return {}
    marks = ",".join("?" * len(voice_ids))
    kinds = "('answer', 'note')" if notes else "('answer')"
    rows = await db.fetchall(
        f"SELECT * FROM voice_entries WHERE voice_id IN ({marks}) AND kind IN {kinds} ORDER BY id", voice_ids)
    found: dict[int, list[Entry]] = {}
    for r in rows:
        found.setdefault(r["voice_id"], []).append(
            Entry(r["id"], r["kind"], r["body"], r["author_name"], r["created_at"]))
    return found


async def set_status(db: Database, voice_id: int, status: str, now: str) -> bool:
    """Change an item's status; False if the item no longer exists."""
    if status not in STATUSES:
        raise ValueError(f"unknown status {status!r}")
    changed = await db.execute("UPDATE voices SET status = ?, updated_at = ? WHERE id = ?", (status, now, voice_id))
    return changed > 0


async def add_note(db: Database, voice_id: int, author_id: int, author_name: str | None, body: str,
                   now: str) -> bool:
    """Add an internal note; False if the item no longer exists."""
    async with db.write() as conn:
        if not await _exists(conn, voice_id):
            return False
        await conn.execute(
            "INSERT INTO voice_entries (voice_id, author_id, author_name, kind, body, created_at)"
            " VALUES (?, ?, ?, 'note', ?, ?)", (voice_id, author_id, author_name, body, now))
        await conn.execute("UPDATE voices SET updated_at = ? WHERE id = ?", (now, voice_id))
    return True


async def add_answer(
    db: Database, voice_id: int, author_id: int, author_name: str | None, body: str,
    message: Reply, now: datetime,
) -> int | None:
    """Store a staff answer, mark the item answered and queue `message` to its sender, in one
    transaction. Returns the answer's number for this item (1, 2, …), or None if the item is gone."""
    stamp = iso(now)
    async with db.write() as conn:
        async with conn.execute("SELECT person_id FROM voices WHERE id = ?", (voice_id,)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return None
        await conn.execute(
            "INSERT INTO voice_entries (voice_id, author_id, author_name, kind, body, created_at)"
            " VALUES (?, ?, ?, 'answer', ?, ?)", (voice_id, author_id, author_name, body, stamp))
        async with conn.execute(
            "SELECT count(*) FROM voice_entries WHERE voice_id = ? AND kind = 'answer'", (voice_id,)
        ) as cursor:
            count_row = await cursor.fetchone()
        number = int(count_row[0]) if count_row else 1
        await conn.execute("UPDATE voices SET status = 'answered', updated_at = ? WHERE id = ?", (stamp, voice_id))
        await deliveries.enqueue_in(conn, "answer", f"fb:{voice_id}:{number}", [int(row["person_id"])], message,
                                    now=now)
    return number


async def _exists(conn: aiosqlite.Connection, voice_id: int) -> bool:
    async with conn.execute("SELECT 1 FROM voices WHERE id = ?", (voice_id,)) as cursor:
        return await cursor.fetchone() is not None


# --- aspiration survey -------------------------------------------------------------------------

async def aspiration(db: Database, person_id: int) -> Aspiration | None:
    """The person's survey answer, or None."""
    row = await db.fetchone("SELECT * FROM aspirations WHERE person_id = ?", (person_id,))
    if row is None:
        return None
    return Aspiration(row["person_id"], row["wish"], _helps(row["helps"]), row["consent_at"], row["updated_at"])


async def save_aspiration(db: Database, person_id: int, wish: str, helps: tuple[str, ...], consent_at: str,
                          now: str) -> None:
    """Store (or change) the answer; the caller has the person's explicit consent."""
    if wish not in WISHES or any(h not in HELPS for h in helps):
        raise ValueError(f"bad aspiration {wish!r} {helps!r}")
    await db.execute(
        "INSERT INTO aspirations (person_id, wish, helps, consent_at, created_at, updated_at)"
        " VALUES (?, ?, ?, ?, ?, ?) ON CONFLICT (person_id) DO UPDATE SET wish = excluded.wish,"
        " helps = excluded.helps, consent_at = excluded.consent_at, updated_at = excluded.updated_at",
        (person_id, wish, ",".join(helps), consent_at, now, now),
    )


async def delete_aspiration(db: Database, person_id: int) -> bool:
    """Withdraw: delete the answer entirely. True if there was one."""
    return await db.execute("DELETE FROM aspirations WHERE person_id = ?", (person_id,)) > 0


async def followup(db: Database, commune: str | None = None, scope: frozenset[str] | None = None,
                   *, any_commune: bool = True) -> list[FollowupRow]:
    """Leaders who wish (or may wish) to be considered for admission, by commune, hamlet and name:
    of `commune` (with any_commune=False, None means those without a commune), within `scope`."""
    within, params = commune_in("p.commune", scope)
    if commune is not None:
        within += " AND p.commune = ?"
        params.append(commune)
    elif not any_commune:
        within += " AND p.commune IS NULL"
    rows = await db.fetchall(
        "SELECT a.*, p.name, p.role, p.association, p.commune, p.hamlet, p.phone"
        f" FROM aspirations a JOIN people p ON p.id = a.person_id WHERE {within}"
        " ORDER BY p.commune, p.hamlet, p.name, p.id", params)
    return [FollowupRow(r["person_id"], r["name"], r["role"], r["association"], r["commune"], r["hamlet"],
                        r["phone"], r["wish"], _helps(r["helps"]), r["updated_at"]) for r in rows]


async def followup_counts(db: Database, scope: frozenset[str] | None = None) -> list[tuple[str | None, int, int]]:
    """(commune, how many said yes, how many said maybe) for each commune (within `scope`) with answers."""
    within, params = commune_in("p.commune", scope)
    rows = await db.fetchall(
        "SELECT p.commune, sum(a.wish = 'yes') AS yes, sum(a.wish = 'maybe') AS maybe"
        f" FROM aspirations a JOIN people p ON p.id = a.person_id WHERE {within}"
        " GROUP BY p.commune ORDER BY p.commune", params)
    return [(r["commune"], int(r["yes"] or 0), int(r["maybe"] or 0)) for r in rows]


def _helps(raw: str) -> tuple[str, ...]:
    return tuple(h for h in raw.split(",") if h in HELPS)


# --- staff digest ------------------------------------------------------------------------------

async def digest_enabled(db: Database, person_id: int) -> bool:
    """Whether this staff member asked for the digest."""
    return await db.fetchval("SELECT 1 FROM voice_digests WHERE person_id = ?", (person_id,)) is not None


async def set_digest(db: Database, person_id: int, on: bool, now: str) -> None:
    """Opt in (only items from now on are summarised) or out."""
    if on:
        await db.execute("INSERT INTO voice_digests (person_id, last_until) VALUES (?, ?)"
                         " ON CONFLICT (person_id) DO NOTHING", (person_id, now))
    else:
        await db.execute("DELETE FROM voice_digests WHERE person_id = ?", (person_id,))


async def digest_subscribers(db: Database) -> list[tuple[int, str, list[Identity]]]:
    """(person id, end of the last summarised window, identities) of every opted-in staff member."""
    rows = await db.fetchall(
        "SELECT d.person_id, d.last_until, i.channel, i.address FROM voice_digests d"
        " JOIN identities i ON i.person_id = d.person_id ORDER BY d.person_id")
    found: dict[int, tuple[str, list[Identity]]] = {}
    for r in rows:
        found.setdefault(r["person_id"], (r["last_until"], []))[1].append(Identity(r["channel"], r["address"]))
    return [(pid, last, ids) for pid, (last, ids) in found.items()]


async def created_between(db: Database, since: str, until: str, limit: int,
                          scope: frozenset[str] | None = None) -> tuple[int, list[Voice]]:
    """(total, the newest `limit`) items created in [since, until) by leaders in `scope` (None = all)."""
    within, names = commune_in("p.commune", scope)
    params = (since, until, *names)
    total = int(await db.fetchval(
        "SELECT count(*) FROM voices v JOIN people p ON p.id = v.person_id"
        f" WHERE v.created_at >= ? AND v.created_at < ? AND {within}", params) or 0)
    rows = await db.fetchall(f"{_SELECT} WHERE v.created_at >= ? AND v.created_at < ? AND {within}"
                             " ORDER BY v.created_at DESC, v.id DESC LIMIT ?", (*params, limit))
    return total, [Voice.from_row(r) for r in rows]


async def aspirations_between(db: Database, since: str, until: str, scope: frozenset[str] | None = None) -> int:
    """How many survey answers of leaders in `scope` (None = all) were given or changed in [since, until)."""
    within, names = commune_in("p.commune", scope)
    return int(await db.fetchval(
        "SELECT count(*) FROM aspirations a JOIN people p ON p.id = a.person_id"
        f" WHERE a.updated_at >= ? AND a.updated_at < ? AND {within}", (since, until, *names)) or 0)


async def close_digest_window(
    db: Database, person_id: int, since: str, until: str, message: Reply | None, now: datetime,
    subjects: Iterable[int] = (),
) -> bool:
    """Advance the staff member's window from `since` to `until` and queue `message` (if any) once.

    Compare-and-set on `since` plus the outbox's unique (kind, ref, person) make a second run
    for the same window (a restart, two schedulers) a no-op. True if this call closed the window.
    """
    async with db.write() as conn:
        cursor = await conn.execute(
            "UPDATE voice_digests SET last_until = ? WHERE person_id = ? AND last_until = ?",
            (until, person_id, since))
        if cursor.rowcount != 1:
            return False
        if message is not None:
            await deliveries.enqueue_in(conn, "digest", f"voices:{until}", [person_id], message, now=now)
            await traces.mention_in(conn, "digest", f"voices:{until}", person_id, subjects)
    return True


# --- quiz results beside the follow-up list ---------

async def quiz_summaries(db: Database, person_ids: list[int]) -> dict[int, tuple[int, int, int]]:
    """(finished quizzes, best score, that quiz's total) per person who finished one."""
    if not person_ids:
        return {}
    marks = ",".join("?" * len(person_ids))
    # SQLite: with max() the other bare columns come from the row holding the maximum.
    rows = await db.fetchall(
        "SELECT person_id, count(*) AS n, max(CAST(score AS REAL) / total) AS ratio, score, total"
        f" FROM quiz_attempts WHERE status = 'done' AND total > 0 AND person_id IN ({marks}) GROUP BY person_id",
        person_ids)
    return {int(r["person_id"]): (int(r["n"]), int(r["score"]), int(r["total"])) for r in rows}
