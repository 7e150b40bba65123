"""File-level SQLite work for backups and restores: the online backup API, checks and counts.

Plain `sqlite3` (not aiosqlite): these run in a worker thread or a short CLI process, and the
backup API is only in the standard module.
"""

from __future__ import annotations

import os
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

Counts = dict[str, int]


class SnapshotError(Exception):
    """The copy or the file is not a sound Cầu Nối database."""


def _connect(path: Path, *, read_only: bool = False) -> sqlite3.Connection:
    uri = f"file:{path}?mode=ro" if read_only else f"file:{path}"
    conn = sqlite3.connect(uri, uri=True, isolation_level=None, timeout=30)
    conn.execute("PRAGMA busy_timeout=30000")
    return conn


def table_counts(conn: sqlite3.Connection) -> Counts:
    """Rows in every table (not SQLite's own), by name."""
    names = [row[0] for row in conn.execute(
        "SELECT name FROM sqlite_master WHERE type = 'table' AND name NOT LIKE 'sqlite_%' ORDER BY name")]
    return {name: int(conn.execute(f'SELECT COUNT(*) FROM "{name}"').fetchone()[0]) for name in names}


def copy_live(source: Path, target: Path, step_pages: int = 256, pause: float = 0.0,
              progress: Callable[[int, int], None] | None = None, sync_pages: int = 2048) -> Counts:
    """Copy the live database `source` into the new file `target`; return the table counts it holds.

    The source connection holds one read transaction across the whole copy, so the backup API
    copies one snapshot (a concurrent writer does not restart it) and WAL lets writers go on.
    The copy goes in steps of `step_pages` with `pause` seconds between, so the disk is shared,
    and the copy is fsynced every `sync_pages` pages: on ext4 a writer's fsync (the bot's WAL
    checkpoint) also waits for every dirty page on the disk, so the copy must not pile them up.
    """
    src = _connect(source)
    dst = sqlite3.connect(target, isolation_level=None)
    target_fd = os.open(target, os.O_RDONLY)
    synced = [0]
    try:
        src.execute("BEGIN")
        counts = table_counts(src)  # the moment the copy holds

        def step(status: int, remaining: int, total: int) -> None:
            if progress is not None:
                progress(total - remaining, total)
            if sync_pages and total - remaining - synced[0] >= sync_pages:
                os.fsync(target_fd)
                synced[0] = total - remaining
            if pause:
                time.sleep(pause)

        src.backup(dst, pages=step_pages, progress=step)
        src.execute("COMMIT")
        dst.execute("PRAGMA journal_mode=DELETE")  # a backup is one self-contained file
        return counts
    finally:
        os.close(target_fd)
        dst.close()
        src.close()


def verify(path: Path, expected: Counts | None = None) -> tuple[Counts, int]:
    """Integrity check and counts of a database file; (counts, user_version) or SnapshotError."""
    try:
        conn = _connect(path, read_only=True)
    except sqlite3.Error as exc:
        raise SnapshotError(f"not a database: {exc}") from None
    try:
        result = [row[0] for row in conn.execute("PRAGMA integrity_check")]
        if result != ["ok"]:
            raise SnapshotError("integrity check failed: " + "; ".join(map(str, result[:3])))
        counts = table_counts(conn)
        version = int(conn.execute("PRAGMA user_version").fetchone()[0])
    except sqlite3.DatabaseError as exc:
        raise SnapshotError(f"not a sound database: {exc}") from None
    finally:
        conn.close()
    if "people" not in counts:
        raise SnapshotError("not a Cầu Nối database (no people table)")
    if expected is not None and counts != expected:
        differing = sorted(name for name in set(counts) | set(expected) if counts.get(name) != expected.get(name))
        raise SnapshotError("row counts differ from the source: " + ", ".join(differing))
    return counts, version


def quick_check(path: Path) -> str:
    """`PRAGMA quick_check` of a live database: "ok" or the first problem."""
    conn = _connect(path, read_only=True)
    try:
        rows = [str(row[0]) for row in conn.execute("PRAGMA quick_check")]
    finally:
        conn.close()
    return "ok" if rows == ["ok"] else "; ".join(rows[:3])


def checkpoint_file(path: Path) -> None:
    """Fold a closed database's WAL into the main file (before moving the file away)."""
    conn = _connect(path)
    try:
        conn.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        conn.close()
