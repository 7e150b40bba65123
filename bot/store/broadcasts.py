"""Staff broadcasts: audiences, creating one (with its outbox rows), acknowledgements and reports."""

from __future__ import annotations

import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from bot.clock import iso
from bot.model import Reply
from bot.store import audit, deliveries, outbox
from bot.store.db import Database
from bot.store.scope import audience_within, commune_in

KIND = "broadcast"  # deliveries.kind of the message to leaders
PROGRESS_KIND = "bprogress"  # the staff member's progress message, edited in place
DONE_KIND = "bdone"  # the staff member's final report
AUDIENCE_KINDS = ("all", "commune", "role", "no_quiz", "no_rsvp")


@dataclass(frozen=True, slots=True)
class Broadcast:
    """One broadcast as stored."""

    id: int
    staff_id: int | None
    text: str
    audience: dict[str, Any]
    recipients: int
    not_before: str
    created_at: str
    cancelled_at: str | None
    finished_at: str | None
    progress: str | None


def _from_row(row: Any) -> Broadcast:
    return Broadcast(row["id"], row["staff_id"], row["text"], json.loads(row["audience"]), row["recipients"],
                     row["not_before"], row["created_at"], row["cancelled_at"], row["finished_at"], row["progress"])


async def audience_kinds(db: Database) -> list[str]:
    """The audiences staff can choose from (migrations always run, so every feature's tables exist)."""
    return ["all", "commune", "role", "no_quiz", "no_rsvp"]


async def _where(db: Database, audience: dict[str, Any], now: datetime) -> tuple[str, list[Any]]:
    """SQL condition on people p for an audience (registered leaders only)."""
    kind = audience.get("kind")
    conditions, params = ["p.registered_at IS NOT NULL"], []
    if kind == "commune":
        conditions.append("p.commune = ?")
        params.append(str(audience.get("value", "")))
    elif kind == "role":
        conditions.append("p.role = ?")
        params.append(str(audience.get("value", "")))
    elif kind == "no_quiz":
        # "Taken" means finished: an attempt left open half-way does not count.
        conditions.append("NOT EXISTS (SELECT 1 FROM quiz_attempts q WHERE q.person_id = p.id AND q.status = 'done')")
    elif kind == "no_rsvp":
        conditions.append(
            "EXISTS (SELECT 1 FROM class_invitees ci JOIN classes c ON c.id = ci.class_id"
            " WHERE ci.person_id = p.id AND ci.rsvp IS NULL AND c.status = 'scheduled' AND c.starts_at > ?)")
        params.append(iso(now))
    elif kind != "all":
        raise ValueError(f"unknown audience {kind!r}")
    if "communes" in audience:  # sent by commune staff: only their communes, whatever the kind
        condition, names = commune_in("p.commune", audience["communes"])
        conditions.append(condition)
        params.extend(names)
    return " AND ".join(conditions), params


@dataclass(frozen=True, slots=True)
class Audience:
    """Who a broadcast would reach now, and who it leaves out."""

    ids: list[int]
    stopped: int
    unreachable: int


@dataclass(frozen=True, slots=True)
class Reach:
    """How many people an audience names, counted in SQL (no list of ids: 100,000 leaders cost nothing)."""

    reachable: int
    stopped: int
    unreachable: int


_REACHABLE = "NOT p.stopped AND NOT p.unreachable"


async def reach(db: Database, audience: dict[str, Any], now: datetime) -> Reach:
    """The counts of `select` (for the preview), without reading every id."""
    where, params = await _where(db, audience, now)
    row = await db.fetchone(
        f"SELECT coalesce(sum({_REACHABLE}), 0) AS reachable, coalesce(sum(p.stopped <> 0), 0) AS stopped,"
        f" coalesce(sum(p.unreachable <> 0 AND NOT p.stopped), 0) AS unreachable FROM people p WHERE {where}",
        params)
    assert row is not None
    return Reach(int(row["reachable"]), int(row["stopped"]), int(row["unreachable"]))


async def select(db: Database, audience: dict[str, Any], now: datetime) -> Audience:
    """The people an audience names: those reachable, and how many used /stop or are unreachable."""
    where, params = await _where(db, audience, now)
    rows = await db.fetchall(f"SELECT p.id, p.stopped, p.unreachable FROM people p WHERE {where} ORDER BY p.id",
                             params)
    ids = [r["id"] for r in rows if not r["stopped"] and not r["unreachable"]]
    stopped = sum(1 for r in rows if r["stopped"])
    unreachable = sum(1 for r in rows if r["unreachable"] and not r["stopped"])
    return Audience(ids, stopped, unreachable)


async def communes(db: Database, scope: frozenset[str] | None = None) -> list[str]:
    """Communes registered leaders gave, by name (within `scope`; None = all)."""
    within, params = commune_in("commune", scope)
    rows = await db.fetchall(
        "SELECT DISTINCT commune FROM people WHERE registered_at IS NOT NULL AND commune IS NOT NULL"
        f" AND {within} ORDER BY commune", params)
    return [str(r["commune"]) for r in rows]


async def create(
    db: Database, staff_id: int, text: str, audience: dict[str, Any], now: datetime, not_before: datetime,
    message: Callable[[int], Reply], progress: Callable[[int, int], Reply], actor: str = "", *,
    draft: str | None = None,
) -> tuple[int, int]:
    """Store a broadcast and queue it (the staff's progress message first), in one transaction.

    `message(id)` builds the leaders' message, `progress(id, n)` the staff's first progress message.
    Returns (broadcast id, recipients queued). Recipients are chosen now, not at preview time.
    A `draft` already stored (confirmed twice) queues nothing: see `by_draft`.
    """
    where, params = await _where(db, audience, now)
    recipients = f"{where} AND {_REACHABLE}"
    async with db.write() as conn:
        # Counted and queued in SQL: a broadcast to 100,000 leaders never holds their ids in memory.
        async with conn.execute(f"SELECT count(*) FROM people p WHERE {recipients}", params) as cursor:
            found = await cursor.fetchone()
        total = int(found[0]) if found else 0
        cursor = await conn.execute(
            "INSERT INTO broadcasts (staff_id, text, audience, recipients, not_before, created_at, draft_id)"
            " VALUES (?, ?, ?, ?, ?, ?, ?) ON CONFLICT (draft_id) WHERE draft_id IS NOT NULL DO NOTHING",
            (staff_id, text, json.dumps(audience, ensure_ascii=False), total, iso(not_before), iso(now),
             draft))
        if cursor.rowcount == 0:
            raise DraftAlreadySent(draft or "")
        broadcast_id = int(cursor.lastrowid or 0)
        ref = str(broadcast_id)
        await deliveries.enqueue_in(conn, PROGRESS_KIND, ref, [staff_id], progress(broadcast_id, total),
                                    now=now, not_before=not_before)
        queued = await deliveries.enqueue_shared_where_in(conn, KIND, ref, recipients, params,
                                                          message(broadcast_id), now=now, not_before=not_before)
        if queued != total:
            await conn.execute("UPDATE broadcasts SET recipients = ? WHERE id = ?", (queued, broadcast_id))
        if actor:
            await audit.record_in(conn, iso(now), actor, "broadcast", audit.scope_label(audience.get("communes")),
                                  f"broadcast:{broadcast_id}")
    return broadcast_id, queued


class DraftAlreadySent(Exception):
    """This draft was confirmed before: the broadcast exists (find it with by_draft)."""


async def by_draft(db: Database, draft: str) -> Broadcast | None:
    """The broadcast stored from this draft, or None."""
    row = await db.fetchone("SELECT * FROM broadcasts WHERE draft_id = ?", (draft,))
    return _from_row(row) if row else None


async def get(db: Database, broadcast_id: int, scope: frozenset[str] | None = None) -> Broadcast | None:
    """One broadcast, or None (also when it reached beyond `scope`: None = every commune)."""
    within, params = audience_within("audience", scope)
    row = await db.fetchone(f"SELECT * FROM broadcasts WHERE id = ? AND {within}", (broadcast_id, *params))
    return _from_row(row) if row else None


async def recent(db: Database, limit: int = 5, scope: frozenset[str] | None = None) -> list[Broadcast]:
    """The latest broadcasts within `scope` (None = all), newest first."""
    within, params = audience_within("audience", scope)
    rows = await db.fetchall(f"SELECT * FROM broadcasts WHERE {within} ORDER BY id DESC LIMIT ?", (*params, limit))
    return [_from_row(r) for r in rows]


async def open_broadcasts(db: Database, now: datetime) -> list[Broadcast]:
    """Broadcasts being sent now (due, not finished, not cancelled)."""
    rows = await db.fetchall(
        "SELECT * FROM broadcasts WHERE finished_at IS NULL AND cancelled_at IS NULL AND not_before <= ?"
        " ORDER BY id", (iso(now),))
    return [_from_row(r) for r in rows]


async def counts(db: Database, broadcast_id: int) -> dict[str, int]:
    """Deliveries per status, plus `acked`."""
    rows = await db.fetchall(
        "SELECT status, COUNT(*) AS n FROM deliveries WHERE kind = ? AND ref = ? GROUP BY status",
        (KIND, str(broadcast_id)))
    result = {str(r["status"]): int(r["n"]) for r in rows}
    result["acked"] = int(await db.fetchval(
        "SELECT COUNT(*) FROM broadcast_acks WHERE broadcast_id = ?", (broadcast_id,)) or 0)
    return result


async def set_progress(db: Database, broadcast_id: int, text: str, finished: datetime | None = None) -> None:
    """Remember the progress text last shown (and when the broadcast finished)."""
    await db.execute("UPDATE broadcasts SET progress = ?, finished_at = COALESCE(?, finished_at) WHERE id = ?",
                     (text, iso(finished) if finished else None, broadcast_id))


async def cancel(db: Database, broadcast_id: int, now: datetime) -> int:
    """Cancel what is still pending of a broadcast; return how many deliveries were withdrawn."""
    async with db.write() as conn:
        cursor = await conn.execute(
            "UPDATE deliveries SET status = 'skipped', error = 'cancelled'"
            " WHERE kind IN (?, ?) AND ref = ? AND status = 'pending'", (KIND, PROGRESS_KIND, str(broadcast_id)))
        withdrawn = cursor.rowcount
        await conn.execute(
            "UPDATE broadcasts SET cancelled_at = ?, finished_at = COALESCE(finished_at, ?) WHERE id = ?",
            (iso(now), iso(now), broadcast_id))
    return withdrawn


async def ack(db: Database, broadcast_id: int, person_id: int, now: datetime) -> str:
    """"Đã nhận" pressed: 'new', 'again', or 'invalid' when this person never got this broadcast."""
    async with db.write() as conn:
        async with conn.execute(
            "SELECT 1 FROM deliveries WHERE kind = ? AND ref = ? AND person_id = ? AND status IN ('sent', 'unknown')",
            (KIND, str(broadcast_id), person_id)) as cursor:
            if await cursor.fetchone() is None:
                return "invalid"
        cursor = await conn.execute(
            "INSERT INTO broadcast_acks (broadcast_id, person_id, acked_at) VALUES (?, ?, ?)"
            " ON CONFLICT DO NOTHING", (broadcast_id, person_id, iso(now)))
        return "new" if cursor.rowcount else "again"


@dataclass(frozen=True, slots=True)
class Named:
    """A leader in a report list."""

    name: str
    commune: str
    hamlet: str


async def people_with(db: Database, broadcast_id: int, which: str, limit: int = 60,
                      scope: frozenset[str] | None = None) -> tuple[list[Named], int]:
    """Leaders of a broadcast who are `unreachable` (blocked or failed), `unacked` (sent, no
    "Đã nhận" yet), `acked`, or `unknown` (cut off in flight by a crash or a timeout, no "Đã
    nhận" either): the first `limit` of them and the total."""
    acked = "EXISTS (SELECT 1 FROM broadcast_acks a WHERE a.broadcast_id = ? AND a.person_id = d.person_id)"
    conditions = {
        "unreachable": "d.status IN ('blocked', 'failed')",
        "unknown": f"d.status = 'unknown' AND NOT {acked}",
        "unacked": f"d.status = 'sent' AND NOT {acked}",
        "acked": acked,
    }
    if which not in conditions:
        raise ValueError(which)
    condition = conditions[which]
    params: list[Any] = [KIND, str(broadcast_id)]
    if which != "unreachable":
        params.append(broadcast_id)
    within, names = commune_in("p.commune", scope)  # a leader who moved away is no longer listed
    params.extend(names)
    base = (f"FROM deliveries d JOIN people p ON p.id = d.person_id WHERE d.kind = ? AND d.ref = ? AND {condition}"
            f" AND {within}")
    total = int(await db.fetchval(f"SELECT COUNT(*) {base}", params) or 0)
    rows = await db.fetchall(
        f"SELECT p.name, p.commune, p.hamlet {base} ORDER BY p.commune, p.hamlet, p.name LIMIT ?", [*params, limit])
    return [Named(r["name"] or "—", r["commune"] or "", r["hamlet"] or "") for r in rows], total


async def resend_unknown(db: Database, broadcast_id: int, now: datetime) -> int:
    """Staff chose to send again to the leaders for whom it is unknown whether the message arrived
    (and who have not pressed "Đã nhận", which proves it did): back to pending, the broadcast open
    again so its progress is shown. Return how many."""
    async with db.write() as conn:
        cursor = await conn.execute(
            "UPDATE deliveries SET status = 'pending', not_before = ?, error = 'sent again by staff'"
            " WHERE kind = ? AND ref = ? AND status = 'unknown' AND NOT EXISTS (SELECT 1 FROM broadcast_acks a"
            " WHERE a.broadcast_id = ? AND a.person_id = deliveries.person_id)",
            (iso(now), KIND, str(broadcast_id), broadcast_id))
        count = cursor.rowcount
        if count:
            await conn.execute("UPDATE broadcasts SET finished_at = NULL WHERE id = ? AND cancelled_at IS NULL",
                               (broadcast_id,))
    return count


async def progress_message(db: Database, item: Broadcast) -> tuple[str, str, str] | None:
    """(channel, address, message_id) of the staff member's progress message, once delivered."""
    if item.staff_id is None:
        return None
    return await outbox.sent_message(db, PROGRESS_KIND, str(item.id), item.staff_id)


async def enqueue_done(db: Database, item: Broadcast, reply: Reply, now: datetime) -> None:
    """Queue the final report for the staff member who sent the broadcast (once)."""
    if item.staff_id is not None:
        await deliveries.enqueue(db, DONE_KIND, str(item.id), [item.staff_id], reply, now=now)
