"""Backups and restore of the SQLite database, and the daily backup inside `caunoi run`.

A backup is written under a hidden temporary name, checked (integrity, row counts equal to the
moment it copied), fsynced, then renamed and the folder fsynced: a file with a final name
(`caunoi-YYYYMMDD-HHMMSS.sqlite3[.gz]`) is always complete. Files are created 0600.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import logging
import os
import re
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

from bot.lock import RunLock
from bot.store import snapshot
from bot.store.db import migrations
from bot.store.snapshot import Counts, SnapshotError

log = logging.getLogger(__name__)
FINAL_NAME = re.compile(r"^caunoi-(\d{8}-\d{6})(?:-\d+)?\.sqlite3(\.gz)?$")
_PARTIAL = re.compile(r"^\..*\.(\d+)\.partial$")
STAMP = "%Y%m%d-%H%M%S"


class BackupError(Exception):
    """A backup or restore that did not happen; the message says why in one line."""


@dataclass(frozen=True)
class BackupResult:
    """A finished, verified backup."""

    path: Path
    size: int
    counts: Counts
    seconds: float


@dataclass(frozen=True)
class RestoreResult:
    """What `restore` put in place."""

    taken_at: datetime
    counts: Counts
    aside: Path | None


def summary(counts: Counts, names: tuple[str, ...] = ("people", "identities", "voices", "classes",
                                                        "deliveries")) -> str:
    """"people 12, identities 14, …" for the tables that matter to staff."""
    return ", ".join(f"{name} {counts[name]}" for name in names if name in counts)


def _create_private(path: Path) -> None:
    os.close(os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600))


def _fsync(path: Path, directory: bool = False) -> None:
    fd = os.open(path, os.O_RDONLY | (os.O_DIRECTORY if directory else 0))
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _gzip(source: Path, target: Path) -> None:
    _create_private(target)
    with source.open("rb") as raw, gzip.open(target, "wb", compresslevel=6) as packed:
        shutil.copyfileobj(raw, packed, 1 << 20)


def remove_stale_partials(folder: Path) -> list[Path]:
    """Delete temporary files left by a backup that died (its process is gone)."""
    removed = []
    for path in folder.glob(".*"):
        match = _PARTIAL.match(path.name.split("-journal")[0])
        if not match or _alive(int(match.group(1))):
            continue
        with contextlib.suppress(OSError):
            path.unlink()
            removed.append(path)
    return removed


def _alive(pid: int) -> bool:
    if pid == os.getpid():
        return False  # our own leftovers from an earlier failed attempt
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def _free_name(folder: Path, now: datetime, suffix: str) -> Path:
    """caunoi-YYYYMMDD-HHMMSS.sqlite3, or …-2, -3 when a backup of the same second exists."""
    stem = f"caunoi-{now.astimezone(UTC).strftime(STAMP)}"
    candidate, number = folder / f"{stem}{suffix}", 1
    while candidate.exists():
        number += 1
        candidate = folder / f"{stem}-{number}{suffix}"
    return candidate


def make_backup(db_path: Path, folder: Path, now: datetime, compress: bool = False, step_pages: int = 256,
                pause: float = 0.0, progress: Callable[[int, int], None] | None = None,
                sync_pages: int = 2048) -> BackupResult:
    """Copy the live database into `folder`, verified, under its final name; BackupError otherwise."""
    if not db_path.is_file():
        raise BackupError(f"no database at {db_path}")
    started = time.monotonic()
    folder.mkdir(mode=0o700, parents=True, exist_ok=True)
    remove_stale_partials(folder)
    final = _free_name(folder, now, ".sqlite3" + (".gz" if compress else ""))
    partial = folder / f".{final.name}.{os.getpid()}.partial"
    packed = folder / f".{final.name}.gz.{os.getpid()}.partial"
    try:
        _create_private(partial)
        counts = snapshot.copy_live(db_path, partial, step_pages, pause, progress, sync_pages)
        snapshot.verify(partial, counts)
        if compress:
            _gzip(partial, packed)
            partial.unlink()
            partial = packed
        _fsync(partial)
        os.replace(partial, final)
        _fsync(folder, directory=True)
    except Exception as exc:  # whatever went wrong, no half file may stay behind
        for leftover in (partial, packed, partial.with_name(partial.name + "-journal")):
            leftover.unlink(missing_ok=True)
        raise BackupError(f"backup failed: {exc}") from exc
    return BackupResult(final, final.stat().st_size, counts, time.monotonic() - started)


def backups_in(folder: Path) -> list[tuple[datetime, Path]]:
    """Final-named backups in `folder`, oldest first."""
    found = []
    for path in folder.glob("caunoi-*.sqlite3*"):
        match = FINAL_NAME.match(path.name)
        if match:
            found.append((datetime.strptime(match.group(1), STAMP).replace(tzinfo=UTC), path))
    return sorted(found)


def to_keep(stamps: list[datetime], days: int, weeks: int, tz: ZoneInfo, now: datetime) -> set[datetime]:
    """The newest backup of each of the last `days` days and of each of the last `weeks` ISO weeks."""
    today = now.astimezone(tz).date()
    this_week = today - timedelta(days=today.weekday())
    newest_of: dict[tuple[str, object], datetime] = {}
    for stamp in stamps:
        day = stamp.astimezone(tz).date()
        week = day - timedelta(days=day.weekday())
        recent_day, recent_week = (today - day).days < days, (this_week - week).days < 7 * weeks
        for key, recent in ((("d", day), recent_day), (("w", week), recent_week)):
            if recent and stamp > newest_of.get(key, datetime.min.replace(tzinfo=UTC)):
                newest_of[key] = stamp
    keep = set(newest_of.values())
    if stamps:
        keep.add(max(stamps))  # never delete the newest backup
    return keep


def prune(folder: Path, days: int, weeks: int, tz: ZoneInfo, now: datetime) -> list[Path]:
    """Delete backups outside the retention (`CAUNOI_BACKUP_KEEP`); return what was deleted."""
    found = backups_in(folder)
    keep = to_keep([stamp for stamp, _ in found], days, weeks, tz, now)
    removed = [path for stamp, path in found if stamp not in keep]
    for path in removed:
        path.unlink(missing_ok=True)
    return removed


def _unpack(file: Path, target: Path) -> None:
    """Copy (or gunzip) a backup file to `target`, created 0600."""
    _create_private(target)
    opener = gzip.open if file.name.endswith(".gz") else open
    try:
        with opener(file, "rb") as source, target.open("wb") as out:
            shutil.copyfileobj(source, out, 1 << 20)
    except (OSError, EOFError) as exc:
        target.unlink(missing_ok=True)
        raise BackupError(f"cannot read {file}: {exc}") from None


def verify_file(file: Path) -> tuple[Counts, int]:
    """Check a backup file (plain or .gz): (counts, schema version) or BackupError."""
    scratch = file.with_name(f".{file.name}.verify.{os.getpid()}.partial")
    _unpack(file, scratch)
    try:
        return snapshot.verify(scratch)
    except SnapshotError as exc:
        raise BackupError(f"{file}: {exc}") from None
    finally:
        scratch.unlink(missing_ok=True)


def taken_at(file: Path) -> datetime:
    """When a backup was made: from its name, else its modification time."""
    match = FINAL_NAME.match(file.name)
    if match:
        return datetime.strptime(match.group(1), STAMP).replace(tzinfo=UTC)
    return datetime.fromtimestamp(file.stat().st_mtime, UTC)


def restore(db_path: Path, file: Path, now: datetime) -> RestoreResult:
    """Put a verified backup in place of the database, keeping the current one aside.

    Takes the run lock for its duration (LockHeld if a bot runs on this database).
    """
    if not file.is_file():
        raise BackupError(f"no file {file}")
    with RunLock(db_path):
        incoming = db_path.with_name(f".{db_path.name}.restore.{os.getpid()}.partial")
        _unpack(file, incoming)
        try:
            counts, version = snapshot.verify(incoming)
            newest = max(number for number, _, _ in migrations())
            if version > newest:
                raise BackupError(f"{file} was made by a newer Cầu Nối (schema {version} > {newest}): update first")
            aside = _set_aside(db_path, now)
            _fsync(incoming)
            os.replace(incoming, db_path)
            _fsync(db_path.parent, directory=True)
        except SnapshotError as exc:
            raise BackupError(f"{file}: {exc}") from None
        finally:
            incoming.unlink(missing_ok=True)
    return RestoreResult(taken_at(file), counts, aside)


def _set_aside(db_path: Path, now: datetime) -> Path | None:
    """Move the current database (checkpointed into one file) to `<db>.before-restore-<stamp>`."""
    if not db_path.exists():
        return None
    snapshot.checkpoint_file(db_path)
    aside = db_path.with_name(f"{db_path.name}.before-restore-{now.astimezone(UTC).strftime(STAMP)}")
    os.replace(db_path, aside)
    for suffix in ("-wal", "-shm"):
        db_path.with_name(db_path.name + suffix).unlink(missing_ok=True)
    return aside


async def backup_async(db_path: Path, folder: Path, now: datetime, compress: bool) -> BackupResult:
    """make_backup in a worker thread (the bot keeps answering meanwhile)."""
    return await asyncio.to_thread(make_backup, db_path, folder, now, compress)
