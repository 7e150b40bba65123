"""The web dashboard's login links and sessions (bot/web). Only hashes of secrets are stored."""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.clock import iso, parse_iso
from bot.store.db import Database

LINK_TTL = timedelta(minutes=10)


@dataclass(frozen=True, slots=True)
class Session:
    """One browser session: whose it is and its CSRF token."""

    identity: str
    csrf: str
    last_seen: datetime


def digest(secret: str) -> str:
    """The stored form of a token or session id."""
    return hashlib.sha256(secret.encode()).hexdigest()


async def create_link(db: Database, identity: str, now: datetime, ttl: timedelta = LINK_TTL) -> str:
    """A new one-time login token for `identity` (returned once, stored hashed); old used or
    expired tokens are swept in the same transaction."""
    token = secrets.token_urlsafe(32)
    async with db.write() as conn:
        await conn.execute("DELETE FROM web_logins WHERE expires_at <= ? OR used_at IS NOT NULL", (iso(now),))
        await conn.execute("INSERT INTO web_logins (token_hash, identity, created_at, expires_at) VALUES (?, ?, ?, ?)",
                           (digest(token), identity, iso(now), iso(now + ttl)))
    return token


async def redeem(db: Database, token: str, now: datetime) -> str | None:
    """Use a login token: the identity it was made for, or None if unknown, used or expired.
    The compare-and-set makes two simultaneous uses of one link give one session."""
    async with db.write() as conn:
        cursor = await conn.execute(
            "UPDATE web_logins SET used_at = ? WHERE token_hash = ? AND used_at IS NULL AND expires_at > ?"
            " RETURNING identity", (iso(now), digest(token), iso(now)))
        row = await cursor.fetchone()
        await cursor.close()
    return str(row[0]) if row else None


SESSION_SWEEP = timedelta(days=1)  # longer than any idle timeout (at most 24 h)


async def open_session(db: Database, identity: str, now: datetime) -> tuple[str, str]:
    """A new session: (session id for the cookie, CSRF token). Sessions idle for a day, which no
    browser can use any more, are swept in the same transaction."""
    session_id, csrf = secrets.token_urlsafe(32), secrets.token_urlsafe(24)
    async with db.write() as conn:
        await conn.execute("DELETE FROM web_sessions WHERE last_seen < ?", (iso(now - SESSION_SWEEP),))
        await conn.execute(
            "INSERT INTO web_sessions (id_hash, identity, csrf, created_at, last_seen) VALUES (?, ?, ?, ?, ?)",
            (digest(session_id), identity, csrf, iso(now), iso(now)))
    return session_id, csrf


async def session(db: Database, session_id: str, now: datetime, idle: timedelta) -> Session | None:
    """The live session with this id, or None (unknown, or idle longer than `idle`: then removed)."""
    row = await db.fetchone("SELECT identity, csrf, last_seen FROM web_sessions WHERE id_hash = ?",
                            (digest(session_id),))
    if row is None:
        return None
    last_seen = parse_iso(row["last_seen"])
    if now - last_seen > idle:
        await close_session(db, session_id)
        return None
    return Session(str(row["identity"]), str(row["csrf"]), last_seen)


async def touch_session(db: Database, session_id: str, now: datetime) -> None:
    """Note activity (the caller does it at most once a minute to spare writes)."""
    await db.execute("UPDATE web_sessions SET last_seen = ? WHERE id_hash = ?", (iso(now), digest(session_id)))


async def close_session(db: Database, session_id: str) -> None:
    """Log out: the session id stops working."""
    await db.execute("DELETE FROM web_sessions WHERE id_hash = ?", (digest(session_id),))


async def close_sessions_of(db: Database, identity: str) -> int:
    """End every session of one identity (e.g. a staff member removed); how many."""
    return await db.execute("DELETE FROM web_sessions WHERE identity = ?", (identity,))
