"""Claims: a leader typed a phone that is on the roster. Nothing of the roster row is shown to
them; staff of the row's commune confirm (the two records are merged) or reject the claim."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass

import aiosqlite

from bot.store.db import Database


@dataclass(frozen=True, slots=True)
class Claim:
    """One open claim: who typed the phone, and the roster row it matches."""

    id: int
    claimant_id: int
    claimant_name: str | None
    claimant_commune: str | None
    listed_id: int
    listed_name: str | None
    listed_commune: str | None
    phone: str | None
    created_at: str


_SELECT = ("SELECT c.id, c.created_at, c.claimant_id, a.name AS a_name, a.commune AS a_commune,"
           " c.listed_id, l.name AS l_name, l.commune AS l_commune, l.phone"
           " FROM claims c JOIN people a ON a.id = c.claimant_id JOIN people l ON l.id = c.listed_id")


def _claim(r: aiosqlite.Row) -> Claim:
    return Claim(r["id"], r["claimant_id"], r["a_name"], r["a_commune"], r["listed_id"], r["l_name"],
                 r["l_commune"], r["phone"], r["created_at"])


async def create(db: Database, claimant_id: int, listed_id: int, now: str) -> None:
    """Record a claim (once per pair)."""
    await db.execute("INSERT OR IGNORE INTO claims (claimant_id, listed_id, created_at) VALUES (?, ?, ?)",
                     (claimant_id, listed_id, now))


async def open_claims(db: Database, communes: Iterable[str] | None, limit: int = 30) -> list[Claim]:
    """Claims on roster rows of these communes (None = all), oldest first."""
    sql, params = _SELECT, []
    if communes is not None:
        names = sorted(communes)
        sql += f" WHERE l.commune IN ({', '.join('?' for _ in names)})"
        params.extend(names)
    rows = await db.fetchall(sql + " ORDER BY c.id LIMIT ?", (*params, limit))
    return [_claim(row) for row in rows]


async def get(db: Database, claim_id: int) -> Claim | None:
    """One claim, or None when it was settled meanwhile."""
    row = await db.fetchone(_SELECT + " WHERE c.id = ?", (claim_id,))
    return _claim(row) if row else None


async def reject(db: Database, claim_id: int) -> bool:
    """Forget a claim; False if it was already settled."""
    return await db.change("DELETE FROM claims WHERE id = ?", (claim_id,)) > 0
