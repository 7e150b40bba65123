"""Read-only figures for `caunoi status` (plain sqlite3, opened read-only: status never migrates or writes)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass, field
from pathlib import Path


@dataclass
class Health:
    """What `caunoi status` prints."""

    schema_version: int = 0
    registered: int = 0
    people: int = 0
    queue: dict[str, dict[str, int]] = field(default_factory=dict)  # channel -> status -> rows
    stuck: int = 0  # pending rows due more than an hour ago
    last_seen: dict[str, str] = field(default_factory=dict)  # channel -> last update received
    last_sent: dict[str, str] = field(default_factory=dict)  # channel -> last outbox message sent
    last_backup: tuple[str, str | None] | None = None  # (finished_at, path) of the last good one
    last_backup_failed: tuple[str, str] | None = None  # (finished_at, error) when the latest attempt failed
    recent: list[tuple[str, str, str, str]] = field(default_factory=list)  # channel, address, name, last_seen


def _tables(conn: sqlite3.Connection) -> set[str]:
    return {row[0] for row in conn.execute("SELECT name FROM sqlite_master WHERE type = 'table'")}


def read(path: Path, hour_ago: str, recent: int = 5) -> Health:
    """Every figure, from one read transaction."""
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True, isolation_level=None, timeout=10)
    try:
        conn.execute("BEGIN")
        health = Health(schema_version=int(conn.execute("PRAGMA user_version").fetchone()[0]))
        tables = _tables(conn)
        if "people" in tables:
            health.people, health.registered = conn.execute(
                "SELECT COUNT(*), COUNT(registered_at) FROM people").fetchone()
            health.last_seen = dict(conn.execute(
                "SELECT channel, MAX(last_seen) FROM identities WHERE last_seen IS NOT NULL GROUP BY channel"))
            health.recent = [(str(row[0]), str(row[1]), str(row[2]), str(row[3])) for row in conn.execute(
                "SELECT channel, address, COALESCE(display_name, ''), last_seen FROM identities"
                " WHERE last_seen IS NOT NULL ORDER BY last_seen DESC LIMIT ?", (recent,))]
        if "deliveries" in tables:
            _deliveries(conn, health, hour_ago)
        if "backups" in tables:
            _backups(conn, health)
        conn.execute("COMMIT")
        return health
    finally:
        conn.close()


def _deliveries(conn: sqlite3.Connection, health: Health, hour_ago: str) -> None:
    for channel, status, count in conn.execute(
            "SELECT channel, status, COUNT(*) FROM deliveries"
            " WHERE status IN ('pending', 'sending', 'unknown', 'failed') GROUP BY channel, status"):
        health.queue.setdefault(str(channel), {})[str(status)] = int(count)
    health.last_sent = dict(conn.execute(
        "SELECT channel, MAX(sent_at) FROM deliveries WHERE status = 'sent' GROUP BY channel"))
    health.stuck = int(conn.execute(
        "SELECT COUNT(*) FROM deliveries WHERE status = 'pending' AND not_before < ?", (hour_ago,)).fetchone()[0])


def _backups(conn: sqlite3.Connection, health: Health) -> None:
    good = conn.execute(
        "SELECT finished_at, path FROM backups WHERE ok = 1 ORDER BY finished_at DESC, id DESC LIMIT 1").fetchone()
    health.last_backup = (str(good[0]), good[1]) if good else None
    latest = conn.execute("SELECT finished_at, ok, detail FROM backups ORDER BY finished_at DESC, id DESC LIMIT 1"
                          ).fetchone()
    if latest is not None and not latest[1]:
        health.last_backup_failed = (str(latest[0]), str(latest[2] or ""))
