"""Hamlets (thôn, tổ dân phố) as data: per commune, compared by `hamlet_key`, 'approved' (offered
as buttons) or 'proposed' (typed by a leader, waiting for the commune's staff).

The hamlets of content/units.yaml are approved by definition; the database holds the others.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiosqlite

from bot.content.units import NUMBERED_KINDS, Units, hamlet_key, tidy_hamlet
from bot.store.db import Database


@dataclass(frozen=True, slots=True)
class Hamlet:
    """One hamlet of a commune."""

    commune: str
    name: str
    status: str
    people: int = 0


def listed(units: Units, commune: str) -> tuple[str, ...]:
    """The hamlets content/units.yaml lists for a commune."""
    return next((c.hamlets for c in units.communes if c.name == commune), ())


async def approved(db: Database, units: Units, commune: str) -> list[str]:
    """Hamlets offered to leaders of a commune: units.yaml's first, then approved ones by name."""
    names = list(listed(units, commune))
    seen = {hamlet_key(n) for n in names}
    rows = await db.fetchall("SELECT key, name FROM hamlets WHERE commune = ? AND status = 'approved'"
                             " ORDER BY name", (commune,))
    names.extend(row["name"] for row in rows if row["key"] not in seen)
    return names


async def match(db: Database, units: Units, commune: str, typed: str) -> Hamlet | None:
    """The known hamlet (units.yaml, approved or proposed) a typed name means, or None."""
    key = hamlet_key(typed)
    if not key:
        return None
    for name in listed(units, commune):
        if hamlet_key(name) == key:
            return Hamlet(commune, name, "approved")
    row = await db.fetchone("SELECT name, status FROM hamlets WHERE commune = ? AND key = ?", (commune, key))
    if row is None and key.isdigit():  # "3" alone: the commune's one hamlet numbered 3, if only one is
        return await _only_numbered(db, units, commune, key)
    return Hamlet(commune, row["name"], row["status"]) if row else None


async def _only_numbered(db: Database, units: Units, commune: str, number: str) -> Hamlet | None:
    def numbered(key: str) -> bool:  # "thon 3", "tdp 3": a kind and this number, nothing else
        kind, _, rest = key.partition(" ")
        return rest == number and kind in NUMBERED_KINDS

    found = {name: "approved" for name in listed(units, commune) if numbered(hamlet_key(name))}
    for row in await db.fetchall("SELECT name, status, key FROM hamlets WHERE commune = ?", (commune,)):
        if numbered(str(row["key"])):
            found.setdefault(str(row["name"]), str(row["status"]))
    if len(found) != 1:
        return None
    (name, status), = found.items()
    return Hamlet(commune, name, status)


async def propose(db: Database, commune: str, name: str, now: str) -> None:
    """Keep a hamlet name a leader typed, for staff to approve (nothing if its key is known)."""
    await db.execute("INSERT OR IGNORE INTO hamlets (commune, key, name, status, created_at)"
                     " VALUES (?, ?, ?, 'proposed', ?)", (commune, hamlet_key(name), name, now))


async def settle(db: Database, units: Units, commune: str, typed: str, now: str) -> str:
    """The name to store for a typed hamlet: the known spelling, else the typed one, proposed."""
    known = await match(db, units, commune, typed)
    if known is not None:
        return known.name
    name = tidy_hamlet(typed)
    await propose(db, commune, name, now)
    return name


async def add_approved_in(conn: aiosqlite.Connection, pairs: list[tuple[str, str]], now: str) -> None:
    """Approve (commune, name) pairs inside the caller's transaction (a roster import)."""
    await conn.executemany(
        "INSERT INTO hamlets (commune, key, name, status, created_at) VALUES (?, ?, ?, 'approved', ?)"
        " ON CONFLICT (commune, key) DO UPDATE SET status = 'approved'",
        [(commune, hamlet_key(name), name, now) for commune, name in pairs])


async def all_known_in(conn: aiosqlite.Connection) -> set[tuple[str, str]]:
    """Every (commune, name) in the database, inside the caller's transaction."""
    async with conn.execute("SELECT commune, name FROM hamlets") as cursor:
        return {(row[0], row[1]) for row in await cursor.fetchall()}


async def all_known(db: Database) -> set[tuple[str, str]]:
    """Every (commune, name) in the database."""
    return {(row[0], row[1]) for row in await db.fetchall("SELECT commune, name FROM hamlets")}


async def proposed(db: Database, communes: frozenset[str] | None, limit: int = 50) -> list[Hamlet]:
    """Proposed hamlets of these communes (None = all) with how many people named them."""
    sql = ("SELECT h.commune, h.name, h.status, (SELECT count(*) FROM people p WHERE p.commune = h.commune"
           " AND p.hamlet = h.name) AS n FROM hamlets h WHERE h.status = 'proposed'")
    params: list[object] = []
    if communes is not None:
        sql += f" AND h.commune IN ({', '.join('?' for _ in communes)})"
        params.extend(sorted(communes))
    rows = await db.fetchall(sql + " ORDER BY h.commune, h.name LIMIT ?", (*params, limit))
    return [Hamlet(row["commune"], row["name"], row["status"], int(row["n"])) for row in rows]


async def get(db: Database, commune: str, name: str) -> Hamlet | None:
    """The stored hamlet of that commune with that exact name."""
    row = await db.fetchone("SELECT commune, name, status FROM hamlets WHERE commune = ? AND name = ?",
                            (commune, name))
    return Hamlet(row["commune"], row["name"], row["status"]) if row else None


async def approve(db: Database, commune: str, name: str) -> bool:
    """Approve a proposed hamlet; False if it is gone."""
    return await db.change("UPDATE hamlets SET status = 'approved' WHERE commune = ? AND name = ?"
                           " AND status = 'proposed'", (commune, name)) > 0


async def merge_into(db: Database, commune: str, name: str, into: str) -> int:
    """A proposed hamlet is another spelling of `into`: its people move there, it is removed.
    Returns how many people moved."""
    async with db.write() as conn:
        cursor = await conn.execute("UPDATE people SET hamlet = ? WHERE commune = ? AND hamlet = ?",
                                    (into, commune, name))
        await conn.execute("DELETE FROM hamlets WHERE commune = ? AND name = ? AND status = 'proposed'",
                           (commune, name))
        return cursor.rowcount


async def rename(db: Database, commune: str, name: str, new_name: str, now: str) -> str:
    """Give a proposed hamlet its right name (approved); its people follow. If the new name is
    another spelling of a known hamlet, they join that one. Returns the name kept."""
    key = hamlet_key(new_name)
    async with db.write() as conn:
        async with conn.execute("SELECT name FROM hamlets WHERE commune = ? AND key = ? AND name != ?",
                                (commune, key, name)) as cursor:
            other = await cursor.fetchone()
        kept = str(other["name"]) if other else new_name
        await conn.execute("DELETE FROM hamlets WHERE commune = ? AND name = ?", (commune, name))
        await conn.execute(
            "INSERT INTO hamlets (commune, key, name, status, created_at) VALUES (?, ?, ?, 'approved', ?)"
            " ON CONFLICT (commune, key) DO UPDATE SET status = 'approved'", (commune, key, kept, now))
        await conn.execute("UPDATE people SET hamlet = ? WHERE commune = ? AND hamlet = ?", (kept, commune, name))
    return kept
