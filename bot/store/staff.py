"""Staff stored in the database: identity, communes, `sensitive`, who added them; one-time
invitation codes. Every change writes its audit entry in the same transaction."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass

import aiosqlite

from bot.store import audit
from bot.store.db import Database

_SEP = "\x1f"  # between commune names in group_concat (never typed in a commune name)


@dataclass(frozen=True, slots=True)
class Member:
    """One stored staff member."""

    identity: str
    province: bool
    sensitive: bool
    communes: frozenset[str]
    added_by: str
    added_at: str


def _member(row: aiosqlite.Row) -> Member:
    names = row["communes"] or ""
    return Member(row["identity"], bool(row["province"]), bool(row["sensitive"]),
                  frozenset(n for n in names.split(_SEP) if n), row["added_by"], row["added_at"])


_SELECT = ("SELECT s.identity, s.province, s.sensitive, s.added_by, s.added_at,"
           f" (SELECT group_concat(c.commune, '{_SEP}') FROM staff_communes c WHERE c.identity = s.identity)"
           " AS communes FROM staff s")


async def get(db: Database, identity: str) -> Member | None:
    """The stored staff member with this identity, or None (one primary-key probe)."""
    row = await db.fetchone(f"{_SELECT} WHERE s.identity = ?", (identity,))
    return _member(row) if row else None


async def members(db: Database) -> list[Member]:
    """Every stored staff member, province admins first."""
    return [_member(r) for r in await db.fetchall(f"{_SELECT} ORDER BY s.province DESC, s.identity")]


async def province_count(db: Database) -> int:
    """How many stored province admins there are."""
    return int(await db.fetchval("SELECT count(*) FROM staff WHERE province = 1") or 0)


async def _set_communes_in(conn: aiosqlite.Connection, identity: str, communes: frozenset[str]) -> None:
    await conn.execute("DELETE FROM staff_communes WHERE identity = ?", (identity,))
    await conn.executemany("INSERT INTO staff_communes (identity, commune) VALUES (?, ?)",
                           [(identity, name) for name in sorted(communes)])


async def add(db: Database, identity: str, *, communes: frozenset[str], sensitive: bool, province: bool,
              by: str, at: str) -> None:
    """Add a staff member, or replace the rights of an existing one."""
    async with db.write() as conn:
        await _add_in(conn, identity, communes=communes, sensitive=sensitive, province=province, by=by, at=at)


async def _add_in(conn: aiosqlite.Connection, identity: str, *, communes: frozenset[str], sensitive: bool,
                  province: bool, by: str, at: str) -> None:
    await conn.execute(
        "INSERT INTO staff (identity, province, sensitive, added_by, added_at) VALUES (?, ?, ?, ?, ?)"
        " ON CONFLICT (identity) DO UPDATE SET province = excluded.province, sensitive = excluded.sensitive",
        (identity, int(province), int(sensitive), by, at))
    await _set_communes_in(conn, identity, communes)
    scope = "*" if province else audit.scope_label(communes)
    await audit.record_in(conn, at, by, "staff.add", scope, f"staff:{identity}{' sensitive' if sensitive else ''}")


async def set_communes(db: Database, identity: str, communes: frozenset[str], *, by: str, at: str) -> bool:
    """Replace a staff member's communes; False if they are not stored."""
    async with db.write() as conn:
        async with conn.execute("SELECT 1 FROM staff WHERE identity = ?", (identity,)) as cursor:
            if await cursor.fetchone() is None:
                return False
        await _set_communes_in(conn, identity, communes)
        await audit.record_in(conn, at, by, "staff.communes", audit.scope_label(communes), f"staff:{identity}")
    return True


async def set_sensitive(db: Database, identity: str, sensitive: bool, *, by: str, at: str) -> bool:
    """Grant or revoke the right to see aspirations; False if the staff member is not stored."""
    async with db.write() as conn:
        cursor = await conn.execute("UPDATE staff SET sensitive = ? WHERE identity = ?", (int(sensitive), identity))
        if not cursor.rowcount:
            return False
        action = "staff.sensitive_grant" if sensitive else "staff.sensitive_revoke"
        await audit.record_in(conn, at, by, action, "", f"staff:{identity}")
    return True


async def remove(db: Database, identity: str, *, by: str, at: str, keep_province: int = 0) -> str:
    """Remove a staff member: "removed", "absent", or "last" when they are the last province admin
    and `keep_province` (province admins outside the table, CAUNOI_ADMINS) is 0. Checked and done
    in one transaction so two admins removing each other cannot both succeed."""
    async with db.write() as conn:
        async with conn.execute("SELECT province FROM staff WHERE identity = ?", (identity,)) as cursor:
            row = await cursor.fetchone()
        if row is None:
            return "absent"
        if row["province"] and not keep_province:
            async with conn.execute("SELECT count(*) FROM staff WHERE province = 1") as cursor:
                count_row = await cursor.fetchone()
            if count_row is not None and int(count_row[0]) <= 1:
                return "last"
        await conn.execute("DELETE FROM staff WHERE identity = ?", (identity,))
        await audit.record_in(conn, at, by, "staff.remove", "", f"staff:{identity}")
    await db.after_deletion()
    return "removed"


def code_hash(code: str) -> str:
    """What is stored of an invitation code (the code itself is shown once, to the admin)."""
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()


async def create_invite(db: Database, code: str, *, communes: frozenset[str], sensitive: bool, province: bool,
                        by: str, at: str, expires_at: str) -> None:
    """Store a one-time invitation (its hash) with the rights it gives."""
    async with db.write() as conn:
        await conn.execute(
            "INSERT INTO staff_invites (code_hash, province, sensitive, communes, created_by, created_at,"
            " expires_at) VALUES (?, ?, ?, ?, ?, ?, ?)",
            (code_hash(code), int(province), int(sensitive), json.dumps(sorted(communes), ensure_ascii=False),
             by, at, expires_at))
        await audit.record_in(conn, at, by, "staff.invite", "*" if province else audit.scope_label(communes), "")


@dataclass(frozen=True, slots=True)
class Invite:
    """An invitation code not used yet (the code itself is never stored)."""

    province: bool
    sensitive: bool
    communes: frozenset[str]
    created_by: str
    created_at: str
    expires_at: str


async def open_invites(db: Database, at: str) -> list[Invite]:
    """The invitations still waiting at `at` (neither used nor expired), the soonest to expire first."""
    rows = await db.fetchall(
        "SELECT province, sensitive, communes, created_by, created_at, expires_at FROM staff_invites"
        " WHERE used_at IS NULL AND expires_at > ? ORDER BY expires_at", (at,))
    return [Invite(bool(r["province"]), bool(r["sensitive"]), frozenset(json.loads(r["communes"])),
                   r["created_by"], r["created_at"], r["expires_at"]) for r in rows]


async def redeem_invite(db: Database, code: str, identity: str, at: str) -> Member | None:
    """Use an invitation code: the new staff member, or None when the code is unknown, used or expired."""
    async with db.write() as conn:
        cursor = await conn.execute(
            "UPDATE staff_invites SET used_by = ?, used_at = ? WHERE code_hash = ? AND used_at IS NULL"
            " AND expires_at > ? RETURNING province, sensitive, communes, created_by",
            (identity, at, code_hash(code), at))
        row = await cursor.fetchone()
        await cursor.close()
        if row is None:
            return None
        communes = frozenset(json.loads(row["communes"]))
        await _add_in(conn, identity, communes=communes, sensitive=bool(row["sensitive"]),
                      province=bool(row["province"]), by=row["created_by"], at=at)
        await audit.record_in(conn, at, identity, "staff.join", "", f"staff:{identity}")
    return Member(identity, bool(row["province"]), bool(row["sensitive"]), communes, row["created_by"], at)


async def orphaned(db: Database, known: frozenset[str]) -> list[tuple[str, str]]:
    """(identity, commune) of staff assigned to a commune that is not in `known` (units.yaml)."""
    rows = await db.fetchall("SELECT identity, commune FROM staff_communes ORDER BY identity, commune")
    return [(r["identity"], r["commune"]) for r in rows if r["commune"] not in known]
