"""The staff's leader directory: search, a leader's card, possible duplicates, edit and remove.

Every function that lists people takes `communes` (None = every commune: province admins and the
server's operator), applied in SQL; the handlers check `Staff.covers` before acting on one person.
Names are searched through `people.name_key` (folded: no diacritics, lower case), kept beside the
name by every writer; rows whose key is missing (written by another tool) are keyed first.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from bot.store import audit, people
from bot.store.db import Database
from bot.store.people import PROFILE_FIELDS, Person, name_key
from bot.textutil import fold

SEARCH_LIMIT = 20


@dataclass(frozen=True, slots=True)
class Channel:
    """One channel identity of a leader and when they were last seen there."""

    channel: str
    last_seen: str | None


@dataclass(frozen=True)
class Card:
    """Everything the directory shows about one leader (aspiration only when asked for)."""

    person: Person
    channels: list[Channel]
    last_seen: str | None
    quiz_bests: dict[str, tuple[int, int]]
    classes_invited: int
    classes_attended: int
    feedback: int
    open_claims: int


def _communes_sql(communes: Iterable[str] | None, column: str = "commune") -> tuple[str, list[Any]]:
    if communes is None:
        return "", []
    names = sorted(communes)
    return f" AND {column} IN ({', '.join('?' for _ in names)})", names


async def ensure_name_keys(db: Database) -> int:
    """Key the names written without a key (another tool, an older row); returns how many."""
    rows = await db.fetchall("SELECT id, name FROM people WHERE name_key IS NULL AND name IS NOT NULL")
    if rows:
        await db.executemany("UPDATE people SET name_key = ? WHERE id = ?",
                             [(name_key(row["name"]), row["id"]) for row in rows])
    return len(rows)


async def search(db: Database, communes: Iterable[str] | None, *, name: str = "", phone: str = "",
                 commune: str = "", hamlet: str = "", role: str = "", limit: int = SEARCH_LIMIT) -> list[Person]:
    """Leaders matching every given criterion: name by folded prefix (of the full name, else of any
    word), exact normalised phone, commune, hamlet (exact), role key."""
    await ensure_name_keys(db)
    # A record without a name is no leader yet: a staff account, or someone who stopped at consent.
    where, params = ["name IS NOT NULL"], []
    scope, scope_params = _communes_sql(communes)
    for column, value in (("phone", phone), ("commune", commune), ("hamlet", hamlet), ("role", role)):
        if value:
            where.append(f"{column} = ?")
            params.append(value)
    base = " AND ".join(where) + scope
    key = fold(name)
    if not key:
        rows = await db.fetchall(f"SELECT * FROM people WHERE {base} ORDER BY name_key, id LIMIT ?",
                                 (*params, *scope_params, limit))
        return [Person.from_row(row) for row in rows]
    # The index answers a prefix as a range: name_key >= 'ngu' AND name_key < 'ngu' + the largest character.
    rows = await db.fetchall(
        f"SELECT * FROM people WHERE name_key >= ? AND name_key < ? AND {base} ORDER BY name_key, id LIMIT ?",
        (key, key + "\U0010ffff", *params, *scope_params, limit))
    if not rows:
        pattern = "% " + key.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_") + "%"
        rows = await db.fetchall(
            f"SELECT * FROM people WHERE name_key LIKE ? ESCAPE '\\' AND {base} ORDER BY name_key, id LIMIT ?",
            (pattern, *params, *scope_params, limit))
    return [Person.from_row(row) for row in rows]


async def card(db: Database, person: Person) -> Card:
    """The card of a leader already loaded (and checked against the staff's scope)."""
    pid = person.id
    channels = [Channel(row["channel"], row["last_seen"]) for row in await db.fetchall(
        "SELECT channel, last_seen FROM identities WHERE person_id = ? ORDER BY last_seen DESC", (pid,))]
    bests: dict[str, tuple[int, int]] = {}
    for row in await db.fetchall("SELECT quiz, score, total FROM quiz_attempts WHERE person_id = ?"
                                 " AND status = 'done' AND total > 0", (pid,)):
        quiz, score, total = row["quiz"], int(row["score"]), int(row["total"])
        if quiz not in bests or score * bests[quiz][1] > bests[quiz][0] * total:
            bests[quiz] = (score, total)
    classes = await db.fetchone("SELECT count(*), count(attended_at) FROM class_invitees WHERE person_id = ?",
                                (pid,))
    feedback = await db.fetchval("SELECT count(*) FROM voices WHERE person_id = ?", (pid,))
    claims = await db.fetchval("SELECT count(*) FROM claims WHERE claimant_id = ? OR listed_id = ?", (pid, pid))
    return Card(person, channels, channels[0].last_seen if channels else None, bests,
                int(classes[0]) if classes else 0, int(classes[1]) if classes else 0, int(feedback or 0),
                int(claims or 0))


async def aspiration(db: Database, person_id: int, actor: str, at: str, scope: str) -> str | None:
    """The leader's aspiration answer (yes / maybe), recording that it was viewed."""
    async with db.write() as conn:
        async with conn.execute("SELECT wish FROM aspirations WHERE person_id = ?", (person_id,)) as cursor:
            row = await cursor.fetchone()
        await audit.record_in(conn, at, actor, "aspiration.view", scope, f"person:{person_id}")
    return str(row["wish"]) if row else None


@dataclass(frozen=True, slots=True)
class Duplicate:
    """Two or more people who may be one: why, and who."""

    reason: str  # "phone" (a typed phone matches a roster row) | "name" (same folded name in one hamlet)
    people: tuple[Person, ...]


async def duplicates(db: Database, communes: Iterable[str] | None, limit: int = 30) -> list[Duplicate]:
    """Possible duplicates: open claims (a phone typed by one, on the roster row of another), then
    the same folded name in the same commune and hamlet."""
    await ensure_name_keys(db)
    scope, params = _communes_sql(communes, "l.commune")
    found: list[Duplicate] = []
    for row in await db.fetchall(f"SELECT claimant_id, listed_id FROM claims c JOIN people l ON l.id = c.listed_id"
                                 f" WHERE 1 = 1{scope} ORDER BY c.id LIMIT ?", (*params, limit)):
        found.append(Duplicate("phone", tuple(await _people(db, (row[0], row[1])))))
    scope, params = _communes_sql(communes)
    groups = await db.fetchall(
        "SELECT group_concat(id) AS ids FROM people WHERE name_key IS NOT NULL AND commune IS NOT NULL"
        f"{scope} GROUP BY commune, hamlet, name_key HAVING count(*) > 1 LIMIT ?", (*params, limit))
    for group in groups:
        ids = sorted(int(i) for i in str(group["ids"]).split(","))
        found.append(Duplicate("name", tuple(await _people(db, ids))))
    return found[:limit]


async def _people(db: Database, ids: Sequence[int]) -> list[Person]:
    rows = await db.fetchall(f"SELECT * FROM people WHERE id IN ({', '.join('?' for _ in ids)}) ORDER BY id",
                             list(ids))
    return [Person.from_row(row) for row in rows]


async def edit(db: Database, person_id: int, fields: dict[str, Any], actor: str, at: str, scope: str) -> None:
    """Change profile fields of a leader (audited with the field names, never the values)."""
    unknown = set(fields) - set(PROFILE_FIELDS)
    if unknown:
        raise ValueError(f"not profile fields: {sorted(unknown)}")
    if "name" in fields:
        fields = {**fields, "name_key": name_key(fields["name"])}
    async with db.write() as conn:
        assignments = ", ".join(f"{name} = ?" for name in fields)
        await conn.execute(f"UPDATE people SET {assignments} WHERE id = ?", (*fields.values(), person_id))
        changed = ",".join(sorted(f for f in fields if f != "name_key"))
        await audit.record_in(conn, at, actor, "leader.edit", scope, f"person:{person_id}:{changed}")


async def remove(db: Database, person_id: int, actor: str, at: str, scope: str) -> bool:
    """Delete a leader completely, as /delete_me does (the audit entry stays, without their data)."""
    if await people.get(db, person_id) is None:
        return False
    await people.delete(db, person_id)  # the very deletion /delete_me does
    await audit.record(db, at, actor, "leader.remove", scope, f"person:{person_id}")
    return True

