"""The record of backups (table `backups`): what /stats, `caunoi status` and the stale alert read."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass
from pathlib import Path

from bot.store.db import Database


@dataclass(frozen=True)
class BackupRecord:
    """One backup attempt."""

    finished_at: str
    ok: bool
    path: str | None
    size: int | None
    detail: str


async def record(db: Database, started_at: str, finished_at: str, ok: bool, path: str | None,
                 size: int | None, detail: str) -> None:
    """Remember one backup attempt (keeps the last 500)."""
    async with db.write() as conn:
        await conn.execute(
            "INSERT INTO backups (started_at, finished_at, ok, path, size, detail) VALUES (?, ?, ?, ?, ?, ?)",
            (started_at, finished_at, int(ok), path, size, detail[:500]))
        await conn.execute("DELETE FROM backups WHERE id <= (SELECT MAX(id) FROM backups) - 500")


async def last(db: Database, ok_only: bool = True) -> BackupRecord | None:
    """The most recent (good) backup, or None."""
    where = "WHERE ok = 1" if ok_only else ""
    row = await db.fetchone(
        f"SELECT finished_at, ok, path, size, detail FROM backups {where} ORDER BY finished_at DESC, id DESC LIMIT 1")
    if row is None:
        return None
    return BackupRecord(str(row["finished_at"]), bool(row["ok"]), row["path"], row["size"], str(row["detail"] or ""))


def record_file(db_path: Path, started_at: str, finished_at: str, ok: bool, path: str | None, size: int | None,
                detail: str) -> bool:
    """`record` for `caunoi backup`, without opening the app: a backup must never migrate the
    database it copies (an updated program beside an older running bot). False if the table is
    missing (a database older than migration 0110)."""
    conn = sqlite3.connect(db_path, isolation_level=None, timeout=30)
    try:
        if conn.execute("SELECT 1 FROM sqlite_master WHERE type = 'table' AND name = 'backups'").fetchone() is None:
            return False
        conn.execute("BEGIN IMMEDIATE")
        conn.execute("INSERT INTO backups (started_at, finished_at, ok, path, size, detail) VALUES (?, ?, ?, ?, ?, ?)",
                     (started_at, finished_at, int(ok), path, size, detail[:500]))
        conn.execute("DELETE FROM backups WHERE id <= (SELECT MAX(id) FROM backups) - 500")
        conn.execute("COMMIT")
        return True
    finally:
        conn.close()
